package grievance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
)

// HistorySortIndexed are the orders a HistorySorter keeps every ticket
// version in: the web client's sortable columns but the code, which is
// the history's own number order.
var HistorySortIndexed = []string{"title", "priority", "status", "category", "reporter_id", "version"}

// HistorySorter is a history store that keeps every ticket version in the
// order of each of HistorySortIndexed, so that a showHistory list ordered
// by one of the web client's columns reads a page, not every version.
type HistorySorter interface {
	// ScanTicketHistorySorted calls fn for the ticket versions (removal
	// rows left out) in r.SortBy's order: its SortValue ascending, or
	// descending with r.Descending, then newest ticket and version first
	// in either direction (compareTickets), after the row r.After,
	// r.AfterValue and r.AfterVersion name when r.After is set.
	// r.PageHint is the rows the caller expects to take; sift says what
	// the caller wants of the versions before they are fetched.
	ScanTicketHistorySorted(ctx context.Context, r TicketRange, sift HistorySift, fn func(*Ticket) (bool, error)) error
	// HistorySortsComplete reports whether every ticket version is in the
	// sort indexes: false on a table written before them, until the
	// backfill's count pass. It never goes back to false.
	HistorySortsComplete(ctx context.Context) (bool, error)
}

// HistorySift is what the caller of a history sort index's walk says of
// its items before their versions are fetched.
type HistorySift struct {
	// Keep, when set, says from a version's number, code, version,
	// status, category, priority, reporter, attending staff and ticket id
	// alone (the other fields empty) whether the caller may want it: the
	// others may be skipped unread (the range's Share, the part of them
	// the caller expects to keep, sizes the reads). Its error ends the
	// walk with it.
	Keep func(*Ticket) (bool, error)
	// Fetching, when set, hears the kept versions (as Keep saw them)
	// before each fetch of them, so that the caller may read what it
	// needs of their tickets beside the fetch instead of after it.
	Fetching func([]*Ticket)
}

// historySorted reads a showHistory list ordered by a column of
// HistorySortIndexed from the store's sort index of it, when its filters
// are all on fields the index items carry (historyProjected) and its
// totalCount, when asked, comes from the counts of versions
// (versionCount); nil otherwise (historySortedAmong may serve it once the
// history postings have narrowed it).
func (s *Service) historySorted(ctx context.Context, pl *ticketPlan, g *guard) (rows[*Ticket], error) {
	if pl.q.WantCount && pl.versionCount == nil {
		return nil, nil
	}
	for _, f := range pl.fs {
		if !historyProjected(f) {
			return nil, nil
		}
	}
	return s.sortedWalk(ctx, pl, g, nil)
}

// historySortedAmong is historySorted for a reader the sight rule
// affects, whose list the history postings narrowed to the tickets they
// may see and the history rows counted without reading its rows
// (historySearch): the walk keeps the versions of those candidates. nil
// where no sort index serves it, where its count needs every row read,
// where the candidates are few (walkAmongMin), where the groups of a
// column of few values read it (historyGroups), or with a text filter
// (its candidates lie where its text does, often among the oldest
// tickets, which a walk newest first within each value reaches last,
// past most of the index): the list then reads the candidates' versions
// and sorts them in memory.
//
// ahead, when set, is the walk started beside the postings (walkAhead):
// it is kept to the candidates and adopted instead of starting one now.
func (s *Service) historySortedAmong(ctx context.Context, pl *ticketPlan, g *guard, ahead *walkAhead) rows[*Ticket] {
	if pl.sortKeyed != "" || pl.w.needAll {
		return nil // the history postings' groups already read it in its order
	}
	for _, f := range pl.fs {
		if !historyProjected(f) {
			return nil
		}
	}
	least := walkAmongMin
	if s.walkAmongMin > 0 {
		least = s.walkAmongMin
	}
	if pl.historyCands == nil || pl.historyCands.Len() < least {
		return nil
	}
	if ahead != nil {
		pl.waits = append(pl.waits, ahead.end) // a list that never reads it
		return ahead.adopt(pl.historyCands)
	}
	src, err := s.sortedWalk(ctx, pl, g, &laterSet{set: pl.historyCands})
	if err != nil {
		return nil // the marker unread: the candidates' versions, as before
	}
	return src
}

// sparse reports whether pl's list is likely a few tickets' among the
// programme's: one person's, a complainant's (the reporter picker) or an
// officer's (the staff picker), or a code searched. A walk of a sort
// index from its top passes over about 20 ÷ their share of the versions
// in index items before it fills a page, and its last page over every
// item after their last (refused past ten times the read budget: a
// complainant's history by title at 100,000 tickets). The postings (the
// code's arithmetic) name their tickets first, and the groups or the
// runs read about a page of them, however many they are.
func (pl *ticketPlan) sparse() bool {
	return slices.ContainsFunc(pl.fs, func(f Filter) bool {
		return f.Lookup == Exact && (f.Field == "reporter_id" || f.Field == "attending_staff__id") ||
			f.Field == "code" && searchable(f)
	})
}

// postingsFirst reports whether pl's history list is read from the
// history postings before any walk of a sort index: a few tickets' list
// (sparse), one with a category or priority filter, or with a status
// filter, ordered by another column. A walk from the index's top passes
// over about 20 ÷ the filter's share of the versions before it fills a
// page (a category one ticket in a hundred is filed under: 2,000 index
// items a page, at any size), and over every one when fewer than a page
// hold it (a status no ticket reached yet: refused past ten times the
// read budget). The tickets that ever held the value, placed by the runs
// or the groups, are read about a page at the rate their versions hold
// it, whatever its share: most of them for a category or a priority,
// which rarely change, about one in three for a status. Ordered by the
// status itself, the walk starts at the filter's first value and passes
// over nothing else (valueBounds): it is walked.
func (pl *ticketPlan) postingsFirst() bool {
	byStatus := len(pl.order) == 1 && pl.order[0].field == "status"
	return pl.sparse() || slices.ContainsFunc(pl.fs, func(f Filter) bool {
		return slices.Contains(ValueFields, f.Field) || f.Field == "status" && !byStatus
	})
}

// walkAmongMin is the fewest candidates a history list ordered by a
// column walks the sort index for. Below it their versions are read (a
// Query a ticket, 16 at a time: up to 4 round trips, about 200 versions)
// and sorted; above, the walk passes over about the page ÷ their share of
// the tickets in index items, a seventh of a version's bytes each, in 3
// round trips, where reading them would take a round trip more per 16
// tickets. The sight rule's candidates are most tickets, as a rule.
const walkAmongMin = 64

// historyProjected reports whether f is judged by what a history sort
// index item carries: the status, category, priority, staff and reporter
// it projects, and the code, its ticket number's.
func historyProjected(f Filter) bool {
	return f.Field == "code" || slices.Contains(ValueIndexedFields, f.Field)
}

// sortedWalk is the walk of pl's column's history sort index, or nil
// when none serves pl: a column no category hides from the reader (the
// index orders by the stored value: sortIndexFor), a count that needs
// no row read (or none asked), and the store's marker. Each index item
// is kept by the filters its fields judge (historyProjected) and, with
// cands, by its ticket's being one of them; every version fetched is
// judged again by every filter, the guard and the reader's rights, as
// any history row. isHistory compares each row with its ticket's live
// version, the page's live tickets read after it (the history rows
// column would save most of those items, but it trails the records it
// would judge).
func (s *Service) sortedWalk(ctx context.Context, pl *ticketPlan, g *guard, cands *laterSet) (rows[*Ticket], error) {
	if pl.w.needAll {
		return nil, nil
	}
	src, adopt, err := s.planWalk(ctx, pl, g, cands)
	if src != nil {
		adopt()
	}
	return src, err
}

// planWalk is sortedWalk without its changes to pl (the order the rows
// come in, the keyset start), which adopt makes: a walk started before
// the plan knows whether it will take it (walkAhead) leaves pl alone
// until it does.
func (s *Service) planWalk(ctx context.Context, pl *ticketPlan, g *guard, cands *laterSet) (src rows[*Ticket], adopt func(), err error) {
	hs, ok := s.history.(HistorySorter)
	if !ok || pl.q.Version != 0 || len(pl.order) != 1 || !slices.Contains(HistorySortIndexed, pl.order[0].field) ||
		sortIndexFor(pl.order, g) == "" {
		return nil, nil, nil
	}
	done, err := s.historySorts.ask(func() (bool, error) { return hs.HistorySortsComplete(ctx) })
	if err != nil || !done {
		return nil, nil, err
	}
	field, desc := pl.order[0].field, pl.order[0].desc
	r := TicketRange{By: RangeSorted, SortBy: field, Descending: desc, PageHint: maxScanPage}
	// Keyset paging: the next page starts after the previous page's last
	// row (its value, number and version) instead of reading every row
	// before it; an offset or another list's cursor reads from the top.
	after := pl.historyKeysetAfter(field, desc)
	if after {
		r.After, r.AfterValue, r.AfterVersion = pl.w.after.seq, pl.w.after.value, pl.w.after.version
	}
	adopt = func() {
		if after {
			pl.w.startAfter()
		}
		pl.sortKeyed, pl.versionKeyed = field, true
		pl.native, pl.desc = true, desc
	}
	if pl.w.first >= 0 {
		// The page's rows, one more to know whether there is a next
		// page, and the rows skipped before.
		r.PageHint = pl.w.first + 1
		if !after {
			r.PageHint += pl.w.lower
		}
	}
	var judged []Filter
	for _, f := range pl.fs {
		if historyProjected(f) {
			judged = append(judged, f)
		}
	}
	// A filter on the column itself: its rows lie between the lowest and
	// the highest value it passes, so the walk starts at the first of
	// them and ends past the last, instead of passing over the rest.
	lo, hi, bounded := valueBounds(field, judged)
	if bounded && !after {
		r.After, r.AfterValue = BeforeEveryRow, lo
		if desc {
			r.AfterValue = hi
		}
	}
	// The guard judges each version by its live ticket, where the
	// configuration may hide anything from the reader: read beside each
	// batch of versions, not after it (a round trip of its own).
	var sift HistorySift
	var aside *besideReads
	if g.sensitive() {
		aside = &besideReads{}
		sift.Fetching = func(ts []*Ticket) {
			ids := make([]string, len(ts))
			for i, t := range ts {
				ids[i] = t.ID
			}
			aside.start(func() error { return g.preload(ctx, ids) })
		}
	}
	if len(judged) == 0 && pl.staffIDs == nil && cands == nil {
		return aside.before(func(fn func(*Ticket) (bool, error)) error { return hs.ScanTicketHistorySorted(ctx, r, sift, fn) }), adopt, nil
	}
	// The items a sparse filter passes over are bounded as the versions
	// read are (budgeted): an index item is about a tenth of a version,
	// so ten times as many read about as many bytes.
	skipped, kept, most := 0, 0, historySkipFactor*s.historyReadBudget
	keep := func(t *Ticket) (bool, error) {
		if bounded {
			if v := SortValue(t, field); desc && v < lo || !desc && v > hi {
				return false, errPastValues
			}
		}
		among := true
		if cands != nil {
			set, ok := cands.wait(ctx)
			if !ok {
				return false, errWalkDropped
			}
			among = set.Has(t.Seq)
		}
		if among && matchesTicket(judged, pl.staffIDs, t) {
			kept++
			return true, nil
		}
		if skipped++; skipped > most {
			return false, historyLimit(s.historyReadBudget)
		}
		return false, nil
	}
	// Within the values the walk is bounded to, a filter on the column
	// keeps every item.
	shared := judged
	if bounded {
		shared = slices.DeleteFunc(slices.Clone(judged), func(f Filter) bool { return f.Field == field })
	}
	if r.Share = historyShare(shared, pl.staffIDs); r.Share == 0 {
		// A status filter no status passes: no row to walk for.
		return func(func(*Ticket) (bool, error)) error { return nil }, adopt, nil
	}
	if cands != nil && cands.set != nil && cands.set.Max() > 0 {
		// Candidates are spread over the numbers: about their part of
		// the tickets numbered up to the highest of them.
		r.Share *= min(1, float64(cands.set.Len())/float64(cands.set.Max()))
	}
	// The share the same filters kept last time, for a container that
	// walked them lately (the client sends a list again as its user
	// pages or sorts): the first read is sized to hold the page.
	key := fmt.Sprintf("history sorted %s %v", searchRateKey(g.p, pl.fs), slices.Sorted(maps.Keys(pl.staffIDs)))
	if share, ok := s.searchRates.share(key, s.now()); ok {
		r.Share = share
	}
	sift.Keep = keep
	return aside.before(func(fn func(*Ticket) (bool, error)) error {
		err := hs.ScanTicketHistorySorted(ctx, r, sift, fn)
		if errors.Is(err, errPastValues) {
			err = nil // the last row the filter passes is behind
		}
		if err == nil {
			s.searchRates.learn(key, kept, kept+skipped, s.now())
		}
		return err
	}), adopt, nil
}

// besideReads are reads started beside a source's own (the live tickets
// of a batch of versions being fetched), waited for before its next row
// is passed on.
type besideReads struct {
	mu      sync.Mutex
	pending []func() (struct{}, error)
}

// start runs read beside the caller.
func (b *besideReads) start(read func() error) {
	r := async("read beside", func() (struct{}, error) { return struct{}{}, read() })
	b.mu.Lock()
	b.pending = append(b.pending, r)
	b.mu.Unlock()
}

// wait waits for the reads started so far.
func (b *besideReads) wait() error {
	b.mu.Lock()
	pending := b.pending
	b.pending = nil
	b.mu.Unlock()
	var err error
	for _, r := range pending {
		_, rerr := r()
		err = cmp.Or(err, rerr)
	}
	return err
}

// before is src with each row passed on once the reads started beside it
// are done (src itself, for none: b nil); those still under way when it
// ends are waited for too, so none outlives the request.
func (b *besideReads) before(src rows[*Ticket]) rows[*Ticket] {
	if b == nil {
		return src
	}
	return func(fn func(*Ticket) (bool, error)) error {
		err := src(func(t *Ticket) (bool, error) {
			if err := b.wait(); err != nil {
				return false, err
			}
			return fn(t)
		})
		return cmp.Or(err, b.wait())
	}
}

// BeforeEveryRow, as a range's After with AfterValue v (and no
// AfterVersion), starts a sort index's walk at v's first row: a number
// past every ticket's sorts before them all among v's rows, which are
// newest first.
const BeforeEveryRow = math.MaxInt64

// errPastValues ends a walk past the last value its filter on the column
// passes.
var errPastValues = errors.New("past the values the filter passes")

// valueBounds returns the lowest and highest value of field (as
// SortValue gives it) that filters on field can pass, when they name
// them: the statuses a status lookup passes, an exact value (several
// filters on field: those they all pass). ok false when they do not
// (no filter on field, another lookup).
func valueBounds(field string, fs []Filter) (lo, hi string, ok bool) {
	var values []string
	for _, f := range fs {
		if f.Field != field {
			continue
		}
		v, _ := f.Value.(string)
		var pass []string
		switch {
		case field == "status":
			for _, st := range Statuses {
				if matchText(string(st), f.Lookup, v) {
					pass = append(pass, string(st))
				}
			}
		case f.Lookup == Exact:
			pass = []string{v}
		default:
			return "", "", false
		}
		if ok {
			pass = slices.DeleteFunc(pass, func(p string) bool { return !slices.Contains(values, p) })
		}
		values, ok = pass, true
	}
	if !ok || len(values) == 0 {
		return "", "", false // none passes: the share is 0, nothing is walked
	}
	return slices.Min(values), slices.Max(values), true
}

// historySkipFactor is how many index items a history list ordered by
// a column may pass over per version of its read budget.
const historySkipFactor = 10

// historyShare guesses the part of the versions value filters keep, to
// size the first reads of a sort index (the reads after are sized by the
// part they kept): the statuses a status filter passes of the five, a
// quarter for a category or priority, a twentieth for a staff member or
// reporter; 0 when no status passes.
func historyShare(fs []Filter, staffIDs map[string]bool) float64 {
	share := 1.0
	if staffIDs != nil {
		share = 0.05
	}
	for _, f := range fs {
		switch f.Field {
		case "status":
			v, _ := f.Value.(string)
			n := 0
			for _, st := range Statuses {
				if matchText(string(st), f.Lookup, v) {
					n++
				}
			}
			share = min(share, float64(n)/float64(len(Statuses)))
		case "category", "priority":
			share = min(share, 0.25)
		default:
			share = min(share, 0.05)
		}
	}
	return share
}
