package grievance

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// historyRuns orders a history list's candidates by the title or the
// reporter from the live column's runs (OrderRunIndex), for a list the
// history postings narrowed (a text filter, one person's tickets): the
// sort index walk would pass over the other tickets' items before
// reaching them, and sorting them in memory read every candidate's
// versions (the title search's 111 candidates at 10,000 tickets, 346
// items; about 3,300 at 100,000).
//
// A ticket whose every version holds its live value on the column (the
// history rows say its title never changed; the reporter's unchanged
// column says every version kept the reporter) sorts where its live
// ticket does: the runs place it, so the page reads its first runs'
// candidates, as the live list does. The others (a title corrected, a
// reporter changed, a deleted ticket the live runs no longer hold, one
// the history rows do not vouch for) are few: their versions are read
// with the first runs' and merged in by the order. A version read from a
// run whose value is not the run's (the consumer has not yet caught up
// with a change) joins them where it sorts among the rows still to come:
// the page read lists it, though a later page's cursor may pass it until
// the consumer catches up (as a live ticket whose order postings lag).
// Every row is judged by every filter, the guard and the rights, as any
// history row.
type historyRuns struct {
	field string
	desc  bool
	// buckets are the runs holding settled candidates, in the order's
	// sequence (runBuckets); loose the candidates no run places.
	buckets []OrderBucket
	loose   *SeqSet
	// runs are the buckets before the column's groups split them.
	runs []OrderBucket
	// counts is the history rows column: each ticket's count of versions.
	counts []uint16
}

// runStart is where a history list by the runs last started, as the
// container remembers it for a few minutes (Service.runStarts, by reader,
// filters, column and direction): the group of its first row, and
// whether the run holding it held twice the page's rows or more. A run is
// read whole to be sorted (its members are listed by number), so where
// its candidates crowd it (a text every ticket holds; a title search's
// candidates sorting together) the page read the run's every version for
// its first few tickets. Sent again (the client sends a list again as its
// user pages, turns the order or saves a ticket), the list reads the
// column's groups from that one on beside the runs (historyRunCols.head),
// and a crowded run splits into them. A start only sizes and places the
// groups read: a stale one (a ticket that now sorts before it) leaves the
// runs before it whole, read as before, never a row lost.
type runStart struct {
	// gram is the first row's group; members its run's then.
	gram    string
	members *SeqSet
	crowded bool
	// perTicket is the rows its run's tickets held on average: a group
	// is about a ticket, so it sizes the groups read.
	perTicket float64
}

// groups is how many of the column's groups a page of want rows reads
// beside the runs: the tickets that hold them at st's rows a ticket, a
// quarter more (a page starts inside its cursor's ticket, and tickets
// hold more rows or fewer) and two.
func (st runStart) groups(want int) int {
	per := max(st.perTicket, 1)
	n := int(float64(want)/per + 0.999)
	return n + n/4 + 2
}

// seenCands are a history list's candidates as a container last read
// them for a reader and filters, in whatever order the list was (the
// client lists a search by its default order before its user clicks a
// column), and the rows they held a candidate: with the column's runs
// last read (Service.runsSeen) they say where a list by the column that
// no runStart names yet will start, and whether its run crowds the page
// (guessStart).
type seenCands struct {
	cands   *SeqSet
	rowsPer float64
	// tickets is how many tickets there were to be candidates.
	tickets int
}

// ticketsOf is how many tickets there are to be candidates: the highest
// number the history rows column (rows, when read) holds a ticket at
// (tickets are numbered from 1; the column is read in blocks, so past it
// are unused numbers), else the highest of cands' numbers and one. Found
// from the column's end, on every history list with a count: only its
// last block's unused numbers are passed over.
func ticketsOf(rows []uint16, cands *SeqSet) int {
	if rows == nil {
		return int(cands.Max()) + 1
	}
	for n := len(rows) - 1; n > 0; n-- {
		if v, _ := historyRowsOf(rows[n]); v > 0 {
			return n
		}
	}
	return 1
}

// seenCandsMax bounds the candidates remembered: a set is a bit a ticket
// (12.5 KB at 100,000 tickets).
const seenCandsMax = 256

// learnRuns remembers field's runs as read (never changed once read), to
// guess where a list by the column starts (guessStart).
func (s *Service) learnRuns(field string, runs []OrderRun) {
	if len(runs) > 0 {
		s.runsSeen.put(field, runs, s.now(), len(OrderRunFields))
	}
}

// guessStart is where the first history list by field of the candidates
// remembered (seen) starts, when the run its page ends in is crowded
// by them: that run's first group ascending, the group after its last
// descending, and as many groups as the page's rows still wanted there
// take tickets at the candidates' rows a ticket, with one more for each
// of the run's other tickets (its tickets are listed by number, so where
// the candidates sort in it is not known). Without the column's runs
// (none read lately) a search whose candidates are most tickets guesses
// the column's first run. A guess only places reads as a remembered
// start does: the runs read beside decide which run comes first, and a
// run before the guessed one (all its runs, which the page passes
// through, or one a candidate joined since) is read whole in its place.
func (s *Service) guessStart(field string, desc bool, seen seenCands, want int) (headStart, bool) {
	now := s.now()
	if seen.cands.Len() == 0 {
		return headStart{}, false
	}
	runs, rok := s.runsSeen.get(field, now)
	if !rok {
		// No run of the column read lately (a container's first list by
		// it): candidates spread over most tickets (a text nearly every
		// ticket holds) crowd the column's first run, whichever it is.
		share := min(float64(seen.cands.Len())/float64(max(seen.tickets, 1)), 1)
		if !crowdedRun(share*guessRunTickets*seen.rowsPer, want) {
			return headStart{}, false
		}
		n := float64(runStart{perTicket: seen.rowsPer}.groups(want)) / share
		return headStart{n: min(int(n+0.999), maxGuessGroups)}, true
	}
	for i := range runs {
		j := i
		if desc {
			j = len(runs) - 1 - i
		}
		r := runs[j]
		in := 0
		if c := r.candidates(seen.cands); c != nil {
			in = c.Len()
		}
		rows := float64(in) * seen.rowsPer
		if rows < float64(want) {
			// The page goes on past this run, read whole in its place.
			want -= int(rows)
			continue
		}
		// The page ends in this run. A group run (one value's tickets, or
		// a prefix's past a run's size) is not split: a whole value's
		// tickets tie. A ranked run is split by its ranks.
		if !r.splitByGroups(rows, want) {
			return headStart{}, false
		}
		// Where in the run the candidates sort is not known (its
		// tickets are listed by number): its other tickets may all come
		// first.
		n := min(runStart{perTicket: seen.rowsPer}.groups(want)+len(r.Seqs)-in, maxGuessGroups)
		if !desc {
			return headStart{from: r.From, n: n}, true
		}
		hs := headStart{n: n, below: true}
		if j+1 < len(runs) {
			hs.from = runs[j+1].From
		}
		return hs, true
	}
	return headStart{}, false
}

// blindStart is where the first list by field of a text search the
// container remembers nothing of (no list of it in any order: its user
// typed it with the column sorted, or the container is new) reads the
// column's groups from: the column's start, or its end descending, as
// many as a page's rows take tickets at the tickets' versions on average
// (versionsPer; blindVersionsPer before any history rows were read). A
// text nearly every ticket holds crowds the column's first run, and
// nothing before the postings' answer, a round trip later, says whether
// this one does: read blind, beside the postings, the groups cost a
// bounded handful of small items on a first list whose candidates are
// few, and split the run where they crowd it. Where the column's runs
// read in the last hour say its first run cannot crowd a page (a group
// run, which is never split, or too few tickets), no group is read.
//
// A search of the column itself (q, a title's `Icontains`) is placed by
// those runs where one's first value holds it (sampleStart).
func (s *Service) blindStart(field string, desc bool, want int, q string) headStart {
	now := s.now()
	per, ok := s.versionsPer.within("", now, slowTTL)
	if !ok {
		per = blindVersionsPer
	}
	runs, _ := s.runsSeen.within(field, now, slowTTL)
	if hs, ok := sampleStart(runs, desc, q, per, want); ok {
		return hs
	}
	if len(runs) > 0 {
		r := runs[0]
		if desc {
			r = runs[len(runs)-1]
		}
		if !r.splitByGroups(float64(len(r.Seqs))*per, want) {
			return headStart{}
		}
	}
	return headStart{n: min(runStart{perTicket: per}.groups(want), maxGuessGroups)}
}

// sampleStart is where the very first list of a search for q in the
// column runs are of starts, from those runs (the ones read in the last
// hour, slowTTL): a run's first value (its From) is a sample of the column,
// one a run, and a search whose candidates sort together (titles made from one pattern,
// searched by the number or the name in them) has them where the
// samples hold q. Ascending, the first run whose sample holds q starts
// them or the run before it ends with them: the groups are read from
// that run before's start, as many as it holds tickets and groups more
// (a page's rows at the versions a ticket). Descending, the last such
// run ends them, anywhere in it: the groups are read below the next
// run's start, as many as that run holds and groups more. A wrong
// sample (q in one title by chance) costs those groups, at most
// maxGuessGroups small items; the runs read beside still decide the
// order, as for any guess. A run too small to crowd a page at per rows
// a ticket is not placed.
func sampleStart(runs []OrderRun, desc bool, q string, per float64, want int) (headStart, bool) {
	if q == "" || len(runs) == 0 {
		return headStart{}, false
	}
	groups := runStart{perTicket: per}.groups(want)
	q = strings.ToLower(q)
	holds := make([]bool, len(runs))
	all := true
	for i, r := range runs {
		v, ok := orderGramValue(r.From)
		holds[i] = ok && strings.Contains(strings.ToLower(v), q)
		all = all && (holds[i] || r.From == "")
	}
	if all {
		// Every sample holds it: a text every title holds crowds the
		// column's first run, read blind from the column's start.
		return headStart{}, false
	}
	for i := range runs {
		j := i
		if desc {
			j = len(runs) - 1 - i
		}
		r := runs[j]
		if !holds[j] {
			continue
		}
		if r.Ranks != nil && (desc || j == 0 || runs[j-1].Group != "" || runs[j-1].Ranks != nil) {
			// Its ranks split it (and the run before, which may end with
			// the candidates): no group to read.
			return headStart{}, true
		}
		if r.Group != "" || !crowdedRun(float64(len(r.Seqs))*per, want) {
			// One value's tickets, which tie, are not split; nor is a
			// run that a page's rows do not crowd.
			return headStart{}, false
		}
		if desc {
			hs := headStart{n: min(groups+len(r.Seqs), maxGuessGroups), below: true}
			if j+1 < len(runs) {
				hs.from = runs[j+1].From
			}
			return hs, true
		}
		if j == 0 || runs[j-1].Group != "" {
			return headStart{from: r.From, n: groups}, true
		}
		return headStart{from: runs[j-1].From, n: min(groups+len(runs[j-1].Seqs), maxGuessGroups)}, true
	}
	return headStart{}, false
}

// learnVersionsPer remembers the tickets' versions on average from the
// history rows column (rows), once in searchRateTTL: a pass over the
// column, which the list has read anyway. The average moves slowly, so
// it is trusted for slowTTL: a container whose last history list
// was a while ago still sizes its blind reads by it.
func (s *Service) learnVersionsPer(rows []uint16) {
	now := s.now()
	if rows == nil {
		return
	}
	if _, ok := s.versionsPer.get("", now); ok {
		return
	}
	var versions, tickets int
	for _, r := range rows {
		if v, _ := historyRowsOf(r); v > 0 {
			versions += v
			tickets++
		}
	}
	if tickets > 0 {
		s.versionsPer.put("", float64(versions)/float64(tickets), now, 1)
	}
}

const (
	// blindVersionsPer is the versions a ticket is taken to hold before
	// a container has read the history rows: a complaint is filed and
	// then at least answered or resolved.
	blindVersionsPer = 2
	// slowTTL is how long what moves slowly sizes or places a blind
	// read: the versions a ticket, and the column's runs as samples of
	// its values and sizes (a run is cut anew past 32 tickets; a stale
	// one costs the groups read, never a row).
	slowTTL = time.Hour
	// maxGuessGroups bounds the groups a guessed start reads (small
	// items, in one Query beside the postings).
	maxGuessGroups = 64
	// guessRunTickets is about the tickets a run holds (the store cuts a
	// run past 32), for a guess made without the runs.
	guessRunTickets = 32
)

// splitByGroups reports whether a first list's page ending in r, where
// it holds rows rows, is split by the column's groups read beside the
// runs: a crowded run but a group run (one value's tickets tie: never
// split) or a ranked one (its parts split it, byRanks).
func (r OrderRun) splitByGroups(rows float64, want int) bool {
	return r.Group == "" && r.Ranks == nil && crowdedRun(rows, want)
}

// crowdedRun reports whether a run holding rows rows crowds a page of
// want: read whole, more than half of it would be rows the page does not
// take, where the groups (about a small item a ticket the page takes)
// place the page's own tickets.
func crowdedRun(rows float64, want int) bool { return rows >= float64(2*want) }

// historyRunBy are the orders historyRuns serves: the web client's
// sortable columns whose live runs exist (OrderRunFields).
var historyRunBy = []string{"title", "reporter_id"}

// historyRunField returns the field of historyRunBy a history list
// narrowed by its postings (a text filter, a few tickets' list) sorts
// by, when the runs may serve it for g ("" when not): one key, no
// category hiding the field from the reader (the runs follow the stored
// value, and the rows shown would betray where a hidden value sorts).
func (pl *ticketPlan) historyRunField(g *guard, narrowed bool) string {
	if !narrowed || pl.q.Mode != ModeHistory || pl.native || pl.q.Version != 0 {
		return ""
	}
	if f := sortIndexFor(pl.order, g); slices.Contains(historyRunBy, f) {
		return f
	}
	return ""
}

// historyRunCols is what placing a history list by runs reads beside the
// postings: the runs and, for the reporter, its unchanged column. runs is
// nil when the store cannot place every live ticket.
type historyRunCols struct {
	runs      []OrderRun
	unchanged []uint16
	// head, when read, are the column's groups in the list's order from
	// start (headEnd: they reach the column's end). A run is read whole
	// to be sorted, so where its tickets are mostly candidates (a text
	// every ticket holds) its every version was read for a page its
	// first few tickets fill (85 items for 20 rows): the groups split it,
	// and the page reads the tickets it takes (splitByHead).
	head    []OrderBucket
	headEnd bool
	start   headStart
}

// headStart is where the column's groups a history list reads beside its
// runs start (historyRunCols.head), in the list's order, that group
// included: the column's start (from ""), a cursor's group, or the group
// of the list's first row when last sent (runStarts).
type headStart struct {
	from string
	// cursor: the list starts after a cursor, so its rows that sort
	// before the groups read are on the pages before.
	cursor bool
	// known, for a first row remembered, are the members its run held
	// then, none sorting before it; the run's others since are placed by
	// their versions once read (loose).
	known *SeqSet
	// below: descending, from is the group after the last one read (a
	// run's upper bound, guessStart), not the first one read.
	below bool
	n     int // the groups to read (0: none)
}

// before reports whether run b may hold tickets that sort before the
// groups read from hs in the list's order (rows of the pages before a
// cursor's are dropped once read, so they do not count).
func (hs headStart) before(b OrderBucket, desc bool) bool {
	switch {
	case hs.cursor || hs.from == "":
		return false
	case desc:
		return b.upper == "" || b.upper > hs.from
	default:
		return b.Gram < hs.from
	}
}

// startHistoryRuns starts the reads historyRuns needs for field, beside
// the postings, with the column's groups from hs in the order desc gives
// when hs.n is above 0; nil when the store keeps no runs or history rows.
func (s *Service) startHistoryRuns(ctx context.Context, field string, desc bool, hs headStart) func() (*historyRunCols, error) {
	ri, ok := s.store.(OrderRunIndex)
	hr, hok := s.store.(HistoryRowIndex)
	if !ok || !hok {
		return nil
	}
	done := s.runsComplete[field].under("read order runs marker", func() (bool, error) { return ri.OrderRunsComplete(ctx, field) })
	runs := async("read order runs", func() ([]OrderRun, error) { return ri.OrderRuns(ctx, field) })
	unchanged := func() ([]uint16, error) { return nil, nil }
	if slices.Contains(RowUnchangedFields, field) {
		unchanged = async("read unchanged values", func() ([]uint16, error) { return hr.HistoryValueRows(ctx, field, UnchangedValue) })
	}
	type headRead struct {
		groups []OrderBucket
		end    bool
	}
	heads := func() (headRead, error) { return headRead{}, nil }
	headsDone := func() (bool, error) { return false, nil }
	oi, ok := s.store.(OrderIndex)
	fi, fok := s.store.(OrderFromIndex)
	if ok && hs.n > 0 && (hs.from == "" || hs.below || fok) {
		heads = async("read order postings", func() (headRead, error) {
			var b []OrderBucket
			var next string
			var err error
			if hs.from == "" || hs.below {
				b, next, err = oi.OrderBuckets(ctx, field, desc, hs.from, hs.n)
			} else {
				b, next, err = fi.OrderBucketsFrom(ctx, field, desc, hs.from, hs.n)
			}
			return headRead{b, next == ""}, err
		})
		headsDone = s.ordersComplete.under("read order postings marker", func() (bool, error) { return oi.OrderPostingsComplete(ctx) })
	}
	return func() (*historyRunCols, error) {
		c := &historyRunCols{}
		var rerr, uerr error
		c.runs, rerr = runs()
		s.learnRuns(field, c.runs)
		c.unchanged, uerr = unchanged()
		whole, err := done()
		h, herr := heads()
		hwhole, hderr := headsDone()
		if err := cmp.Or(rerr, uerr, err, herr, hderr); err != nil {
			return nil, err
		}
		if !whole {
			c.runs = nil
		}
		if hwhole {
			c.head, c.headEnd, c.start = h.groups, h.end, hs
		}
		return c, nil
	}
}

// startRowsBeside reads the history rows column beside the postings, for
// a list that needs each candidate's count of versions (the runs, the
// version's groups) when its count does not read them; nil when the
// store keeps none, or until every ticket is in it.
func (s *Service) startRowsBeside(ctx context.Context) func() ([]uint16, error) {
	hr, ok := s.store.(HistoryRowIndex)
	if !ok {
		return func() ([]uint16, error) { return nil, nil }
	}
	rows := async("read history rows", func() ([]uint16, error) { return hr.HistoryRows(ctx) })
	done := s.rowsComplete.under("read history rows marker", func() (bool, error) { return hr.HistoryRowsComplete(ctx) })
	return func() ([]uint16, error) {
		col, err := rows()
		whole, derr := done()
		if err = cmp.Or(err, derr); err != nil || !whole {
			return nil, err
		}
		return col, nil
	}
}

// newHistoryRuns splits cands into the candidates the runs place (every
// version holding the live ticket's value, as rows and unchanged say)
// and the loose ones; nil when the runs cannot place the list, or when
// the loose ones hold more versions than budget (a table whose history
// rows are partial until the backfill's pass): the list then reads and
// sorts its candidates as before, refused past the budget.
func newHistoryRuns(cands *SeqSet, field string, desc bool, c *historyRunCols, rows []uint16, budget int) *historyRuns {
	if c == nil || c.runs == nil || rows == nil {
		return nil
	}
	settled := &SeqSet{}
	cands.Range(0, cands.Max(), false, func(n int64) bool {
		if n >= int64(len(rows)) {
			return true
		}
		v, flags := historyRowsOf(rows[n])
		if flags&RowsPartial != 0 {
			return true
		}
		switch field {
		case "title":
			if flags&TextChanged(field) != 0 {
				return true
			}
		default:
			if n >= int64(len(c.unchanged)) || int(c.unchanged[n]) < v {
				return true
			}
		}
		settled.Add(n)
		return true
	})
	runs := runBuckets(c.runs, settled, desc)
	hr := &historyRuns{field: field, desc: desc, runs: runs, buckets: byRanks(splitByHead(runs, c.head, c.headEnd, desc, c.start), desc), loose: cands.Clone(), counts: rows}
	for _, b := range hr.buckets {
		hr.loose.AndNot(b.Members)
	}
	versions := 0
	hr.loose.Range(0, hr.loose.Max(), false, func(n int64) bool {
		versions += max(hr.versionsOf(n), 1)
		return versions <= budget
	})
	if versions > budget {
		return nil
	}
	return hr
}

// splitByHead splits each run of buckets (in the list's order) that the
// head groups (the column's groups in the same order from hs; end: they
// reach the column's end) cover into those groups' share of its members,
// in order, and the rest of the run past the head's last group: a run
// whose first tickets fill the page then reads them alone. The rest also
// holds a cursor's run's members before its group (rows of the pages
// before, dropped once read) and those no head group holds (an order
// posting moved since the run was written), read where the rest is
// reached. A run that may hold tickets sorting before hs stays whole,
// but the remembered first row's run, whose members since are left out
// (loose: read first and merged in where they sort).
func splitByHead(buckets, head []OrderBucket, end bool, desc bool, hs headStart) []OrderBucket {
	if len(head) == 0 {
		return buckets
	}
	lo, hi := head[0].Gram, head[len(head)-1].Gram
	if desc {
		lo, hi = hi, lo
	}
	// rests are the members of a run the head ends in past its groups
	// (with any before a cursor, or moved): they come after every group
	// the head holds, not between them. tail are those of a run the head
	// passes: only rows of the pages before a cursor, and moved ones,
	// read last where the list still wants rows.
	var out, rests, tail []OrderBucket
	for _, b := range buckets {
		past := b.Gram > hi
		if desc {
			past = b.upper != "" && b.upper <= lo
		}
		if past {
			out, rests = append(out, rests...), nil
		}
		// Only a run whose range [Gram, upper) meets the head's [lo, hi].
		if !b.Run || b.Gram > hi || b.upper != "" && b.upper <= lo || hs.before(b, desc) && hs.known == nil {
			out = append(out, b)
			continue
		}
		rest := b.Members.Clone()
		if hs.before(b, desc) {
			// The first row's run: those it held then sort from the
			// groups on; any other is loose, placed once read.
			rest.And(hs.known)
		}
		for _, h := range head {
			if h.Gram < b.Gram || b.upper != "" && h.Gram >= b.upper {
				continue
			}
			in := h.Members.Clone()
			if in.And(b.Members); in.Len() == 0 {
				continue
			}
			rest.AndNot(in)
			// A prefix's group (not a whole value) is sorted once read,
			// as a run of its one gram.
			out = append(out, OrderBucket{Gram: h.Gram, Members: in, Run: !h.wholeValue(), upper: h.Gram + "\xff"})
		}
		if rest.Len() == 0 {
			continue
		}
		r := OrderBucket{Gram: b.Gram, Members: rest, Run: true, upper: b.upper, ranked: b.ranked}
		passed := end || !desc && b.upper != "" && hi >= b.upper || desc && b.Gram != "" && lo < b.Gram
		switch {
		case passed:
			// Nothing of the run sorts past the head: the rest is rows
			// before it, or moved, placed where read as the run's.
			tail = append(tail, r)
			continue
		case desc:
			r.upper = lo
		default:
			r.Gram = hi + "\xff"
		}
		rests = append(rests, r)
	}
	return append(append(out, rests...), tail...)
}

// byRanks splits each run of buckets (in the list's order) whose members
// the store ranked (OrderRun.Ranks) into its groups' candidates, in the
// list's order, each sorted once read: a run is listed by number, so a
// page whose candidates crowd it read it whole to sort it (every version
// of its tickets, 73–79 items at 10,000 tickets for a title search's
// very first list), where its ranks say which tickets the page takes.
// The parts keep the run's range of grams (their own are not known), so a
// version read from one that sorts elsewhere is placed where it sorts,
// as for the run. Of a run the head groups split (splitByHead), the rest
// past them is split so too.
func byRanks(buckets []OrderBucket, desc bool) []OrderBucket {
	if !slices.ContainsFunc(buckets, func(b OrderBucket) bool { return b.ranked != nil }) {
		return buckets
	}
	var out []OrderBucket
	for _, b := range buckets {
		r := b.ranked
		if r == nil || !b.Run {
			out = append(out, b)
			continue
		}
		var parts [256]*SeqSet
		for j, n := range r.Seqs {
			if b.Members.Has(n) {
				k := r.Ranks[j]
				if parts[k] == nil {
					parts[k] = &SeqSet{}
				}
				parts[k].Add(n)
			}
		}
		at := len(out)
		for k, m := range parts {
			if m != nil {
				out = append(out, OrderBucket{Gram: b.Gram, Members: m, Run: true, upper: b.upper, rank: k + 1})
			}
		}
		if desc {
			slices.Reverse(out[at:])
		}
	}
	return out
}

// pastRanks drops the parts of the cursor's run (byRanks) before the
// cursor's own (after, when set): their rows were on the pages before.
// Only where a part holds the cursor's ticket, a candidate whose every
// version holds its run's value, so that its rank is its row's; placed
// says whether one did.
func (hr *historyRuns) pastRanks(after *cursor) (placed bool) {
	if after == nil {
		return false
	}
	i := slices.IndexFunc(hr.buckets, func(b OrderBucket) bool { return b.rank > 0 && b.Members.Has(after.seq) })
	if i < 0 {
		return false
	}
	j := i
	for j > 0 && hr.buckets[j-1].rank > 0 && hr.buckets[j-1].Gram == hr.buckets[i].Gram {
		j--
	}
	hr.buckets = slices.Delete(hr.buckets, j, i)
	return true
}

// holds reports whether a version whose value on the column has gram
// belongs in b: its group, or within its run's grams.
func (b OrderBucket) holds(gram string) bool {
	return gram == b.Gram || b.Run && b.Gram <= gram && (b.upper == "" || gram < b.upper)
}

// versionsOf is how many versions the history rows give ticket n.
func (hr *historyRuns) versionsOf(n int64) int {
	if n >= int64(len(hr.counts)) {
		return 0
	}
	v, _ := historyRowsOf(hr.counts[n])
	return v
}

// firstTickets is how many of the buckets' tickets (from the cursor's,
// when set) hold about want rows, at rate rows a version. placed: a part
// holds the cursor's ticket (pastRanks passed those before it); else
// every part of the cursor's run may be before it.
func (hr *historyRuns) firstTickets(want int, rate float64, at *sortAfter, gram string, placed bool) int {
	tickets, rows := 0, 0.0
	for _, b := range hr.buckets {
		rel := 1
		if at != nil {
			if rel = at.rel(b, gram); rel < 0 {
				continue
			}
		}
		// The parts of the cursor's run that may hold rows of the pages
		// before (its own part, sorted once read; every part where no
		// part holds its ticket, a title corrected) count no row: the
		// first read takes them and the page's rows after them at once.
		before := rel == 0 && b.rank > 0 && (!placed || b.Members.Has(at.seq))
		full := false
		b.Members.Range(0, b.Members.Max(), true, func(n int64) bool {
			tickets++
			if !before {
				rows += float64(hr.versionsOf(n)) * rate
			}
			full = rows >= float64(want)
			return !full
		})
		if full {
			break
		}
	}
	return tickets
}

// cursorAt is the keyset cursor after in the runs' terms: its start in
// the column and its value's group (nil and "" for none).
func (hr *historyRuns) cursorAt(after *cursor) (*sortAfter, string) {
	if after == nil {
		return nil, ""
	}
	return &sortAfter{field: hr.field, value: after.value, seq: after.seq, desc: hr.desc}, OrderKey(hr.field, after.value).Gram
}

// pastRow reports whether history row t comes after the cursor's row in
// field's order: its value, then newest ticket and version first.
func pastRow(a *cursor, field string, desc bool, t *Ticket) bool {
	c := strings.Compare(SortValue(t, field), a.value)
	if desc {
		c = -c
	}
	return c > 0 || c == 0 && (t.Seq < a.seq || t.Seq == a.seq && t.Version < a.version)
}

// rows yields the list's rows in the order's sequence: the buckets' read
// hint tickets at a time at first (a run sorted once read, a group's
// tickets newest first), the loose candidates' versions read with the
// first batch and merged in. after, when set, is the keyset cursor the
// page starts after.
func (hr *historyRuns) rows(hint int, need func() int, judged *int, after *cursor, read func([]int64) (map[int64][]*Ticket, error)) rows[*Ticket] {
	order := TicketOrder(hr.field, hr.desc)
	at, gram := hr.cursorAt(after)
	return func(fn func(*Ticket) (bool, error)) error {
		var pool []*Ticket // the loose rows not yet offered, in order
		add := func(ts ...*Ticket) {
			for _, t := range ts {
				i, _ := slices.BinarySearchFunc(pool, t, order)
				pool = slices.Insert(pool, i, t)
			}
		}
		looseRead := false
		loose := members(hr.loose)
		takeLoose := func(vs map[int64][]*Ticket) {
			looseRead = true
			for _, n := range loose {
				add(vs[n]...)
			}
		}
		bucketOf := map[int64]int{}
		keyed := func(seqs []int64) (map[int64][]*Ticket, error) {
			all := seqs
			if !looseRead {
				all = append(slices.Clone(seqs), loose...)
			}
			vs, err := read(all)
			if err != nil {
				return nil, err
			}
			if !looseRead {
				takeLoose(vs)
			}
			out := make(map[int64][]*Ticket, len(seqs))
			for _, n := range seqs {
				b := hr.buckets[bucketOf[n]]
				for _, t := range vs[n] {
					if b.holds(OrderKey(hr.field, SortValue(t, hr.field)).Gram) {
						out[n] = append(out[n], t)
					} else {
						add(t) // changed since the runs placed it: where it sorts
					}
				}
			}
			return out, nil
		}
		emit := func(t *Ticket) (bool, error) {
			if after != nil && !pastRow(after, hr.field, hr.desc, t) {
				return true, nil // on the pages before
			}
			return fn(t)
		}
		merged := func(t *Ticket) (bool, error) {
			for len(pool) > 0 && order(pool[0], t) < 0 {
				p := pool[0]
				pool = pool[1:]
				if more, err := emit(p); err != nil || !more {
					return more, err
				}
			}
			return emit(t)
		}
		bt := &batcher{read: keyed, fn: merged, judged: judged, cmp: order, chunk: min(max(hint, 4), maxScanPage), more: true, need: need}
		if need != nil {
			bt.needed = need()
		}
		for i, b := range hr.buckets {
			if !bt.more {
				break
			}
			rel := 1
			if at != nil {
				if rel = at.rel(b, gram); rel < 0 {
					continue
				}
			}
			grp := b.Members
			if b.wholeValue() {
				hi := grp.Max()
				if rel == 0 {
					hi = min(hi, after.seq) // the cursor's newer tickets came before
				}
				var err error
				grp.Range(0, hi, true, func(n int64) bool {
					bucketOf[n] = i
					err = bt.add(unit{seqs: []int64{n}})
					return err == nil && bt.more
				})
				if err != nil {
					return err
				}
				continue
			}
			seqs := members(grp)
			for _, n := range seqs {
				bucketOf[n] = i
			}
			if err := bt.add(unit{seqs: seqs, sorted: true}); err != nil {
				return err
			}
		}
		if err := bt.finish(); err != nil || !bt.more {
			return err
		}
		if !looseRead && len(loose) > 0 {
			vs, err := read(loose)
			if err != nil {
				return err
			}
			takeLoose(vs)
		}
		for _, t := range pool {
			if more, err := emit(t); err != nil || !more {
				return err
			}
		}
		return nil
	}
}

// historyRan is the source of a history list read by the runs
// (historyRuns), its count already settled (not every row needed): the
// rows come in the order's sequence, a keyset cursor of the column
// starts the page after its row, and the first read is about the page's
// rows in tickets at the rate the candidates hold rows (found, the
// count's, of the candidates' versions).
//
// started, when set, hears where a list from its start (no cursor) began:
// the group of its first row (the first version offered, which sorts no
// later), its run's members, and whether the run crowds the page
// (runStarts).
func (pl *ticketPlan) historyRan(hr *historyRuns, found int, read func([]int64) (map[int64][]*Ticket, error), started func(runStart)) rows[*Ticket] {
	after, want, found := pl.keyedStart(hr.field, hr.desc, found)
	rate := 1.0
	if total := hr.versionsTotal(); found > 0 && total > 0 {
		rate = min(float64(found)/float64(total), 1)
	}
	placed := hr.pastRanks(after)
	at, gram := hr.cursorAt(after)
	hint := hr.firstTickets(want, rate, at, gram, placed) + 1
	judged := 0
	src := hr.rows(hint, pl.wants, &judged, after, read)
	if after != nil || started == nil {
		return src
	}
	return func(fn func(*Ticket) (bool, error)) error {
		first := true
		return src(func(t *Ticket) (bool, error) {
			if first {
				first = false
				g := OrderKey(hr.field, SortValue(t, hr.field)).Gram
				for _, b := range hr.runs {
					if !b.holds(g) {
						continue
					}
					rows := 0.0
					b.Members.Range(0, b.Members.Max(), false, func(n int64) bool { rows += float64(hr.versionsOf(n)) * rate; return true })
					// A group alone (one value's tickets) is read a few
					// tickets at a time already: only a run is split.
					// A ranked run too: sent again, the list and its next
					// pages read the groups from the start remembered or
					// the cursor's, a small item a ticket, where its parts
					// would read a part's versions more.
					started(runStart{gram: g, members: b.Members.Clone(), crowded: b.Run && crowdedRun(rows, want), perTicket: rows / float64(max(b.Members.Len(), 1))})
					break
				}
			}
			return fn(t)
		})
	}
}

// versionsTotal is the candidates' versions, placed and loose.
func (hr *historyRuns) versionsTotal() int {
	n := 0
	for _, b := range hr.buckets {
		b.Members.Range(0, b.Members.Max(), false, func(s int64) bool { n += hr.versionsOf(s); return true })
	}
	hr.loose.Range(0, hr.loose.Max(), false, func(s int64) bool { n += hr.versionsOf(s); return true })
	return n
}

// searchedFor is the longest text an `Icontains` filter of fs asks field
// to hold ("" when none): every candidate's value holds it.
func searchedFor(fs []Filter, field string) string {
	q := ""
	for _, f := range fs {
		if v, ok := f.Value.(string); ok && f.Field == field && f.Lookup == IContains && len(v) > len(q) {
			q = v
		}
	}
	return q
}
