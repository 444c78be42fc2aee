package grievance

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// verifyAll is how many candidates a text search with totalCount reads
// whole when the index cannot count them: about three pages.
const verifyAll = 3 * 20

// indexAnswers reports whether the index decides f exactly or narrows it
// as a text search: every status lookup, an exact category or priority,
// or a searchable text filter.
func indexAnswers(f Filter) bool {
	switch f.Field {
	case "status":
		return true
	case "category", "priority", "reporter_id", "attending_staff__id":
		// Empty values have no posting: the tickets without one are
		// found by reading.
		v, ok := f.Value.(string)
		return ok && v != "" && f.Lookup == Exact
	}
	return searchable(f)
}

// liveTextFilter reports whether the live text postings decide or narrow
// f once the store keeps them (liveLookup).
func liveTextFilter(f Filter) bool {
	_, how := liveLookup(f)
	return how != liveNone
}

// searches is searchable for pl: with the live text postings, a lookup
// their grams narrow too.
func (pl *ticketPlan) searches(f Filter) bool {
	if searchable(f) {
		return true
	}
	_, how := liveLookup(f)
	return how == liveGrams && pl.liveHolds(f.Field)
}

// answers is indexAnswers for pl: with the live text postings, a lookup
// they decide or narrow too.
func (pl *ticketPlan) answers(f Filter) bool {
	return indexAnswers(f) || liveTextFilter(f) && pl.liveHolds(f.Field)
}

// liveHolds reports whether the live postings every live ticket is in
// hold field's (LiveIndexedFields): on a table indexed under an earlier
// version, only the fields it already held.
func (pl *ticketPlan) liveHolds(field string) bool {
	return pl.liveTexts >= LiveSince(field)
}

// valueKeys are the postings whose union holds exactly the tickets f (on
// a value-indexed field, indexAnswers, or a lookup one live text posting
// decides, liveLookup) matches.
func valueKeys(f Filter) []PostingKey {
	if k, how := liveLookup(f); how == livePosting {
		return []PostingKey{k}
	}
	if f.Field == "status" {
		var keys []PostingKey
		for _, st := range statusesMatching(f) {
			keys = append(keys, ValueKey("status", string(st)))
		}
		return keys
	}
	return []PostingKey{ValueKey(f.Field, f.Value.(string))}
}

// valueKeysOf is valueKeys, with category and priority lookups other than
// exact resolved by the dictionary's values.
func valueKeysOf(f Filter, values *panelValues) []PostingKey {
	if f.Lookup != Exact && slices.Contains(ValueFields, f.Field) && values.resolved(f.Field) {
		var keys []PostingKey
		for _, v := range slices.Sorted(maps.Keys(values.matched[f.Field])) {
			keys = append(keys, ValueKey(f.Field, v))
		}
		return keys
	}
	return valueKeys(f)
}

// searchable reports whether the text index can narrow f: a text lookup
// on an indexed field or the code.
func searchable(f Filter) bool {
	if f.Field != "code" && !slices.Contains(TextIndexedFields, f.Field) {
		return false
	}
	s, ok := f.Value.(string)
	return ok && s != "" && slices.Contains(textLookups, f.Lookup)
}

// textSearch is a live ticket list narrowed by the text index: the
// candidates are read by number, newest first (or oldest), and every one
// is judged like any row read from a range.
type textSearch struct {
	ti    TextIndex
	cands *SeqSet
	// exact: the candidates are exactly the live tickets the text filters
	// match, as of the index (code lookups and grams of ≤ 3 characters).
	exact bool
	// answered says, per filter of the plan, whether the index decides it
	// (or narrows it, as a text search).
	answered []bool
	// judged counts the candidates read so far; inRange those the read
	// covers (after a keyset start); live is how many live tickets there
	// are.
	judged, inRange, live int
	// allow is what the page's reads by number may still take in
	// (ticketAllowance).
	allow *allowance
	// groups, when set, are the candidates split by the value of the
	// order's field, in the order's sequence (valueGroups): the rows are
	// read group after group, each newest first. groupVals are their
	// values ("" for the candidates of no value posting), groupField the
	// field.
	groups     []*SeqSet
	groupVals  []string
	groupField string
	// after, when set, is the keyset start in the order's column: the
	// rows come after the cursor's row, and before counts the candidates
	// known to sort before it without being read (the groups skipped).
	after  *sortAfter
	before int
	// order, when set, is the walk of the order's column's order
	// postings that places the candidates (walked).
	order *orderWalk
	// spots are where the rows offered from sorted runs sorted in them,
	// by number (runBefore).
	spots map[int64]runSpot
	// rateKey names the search in the container's searchRates.
	rateKey string
	// less, when set, waits for how many candidates of unknown due days
	// (dayColumns.judgeUnknown) the count of the candidates drops.
	less func() (int, error)
	// slaDecided: the candidates hold the SLA filter decided (BREACHED
	// by the due days, ON_TRACK and AT_RISK with the SLA periods too, a
	// resolved level by its posting), so it does not keep the postings
	// from counting.
	slaDecided bool
}

// runSpot is a row's place in the sorted run it was read in: the run's
// numbers known to sort before the run's first read (prior), the
// numbers read, and the rows that sorted after it.
type runSpot struct {
	prior, seqs []int64
	later       []*Ticket
}

// runBefore returns the numbers of the run t was read in that sort
// before it, for its cursor (Page.endRun); nil when t was not read in a
// sorted run, or when they are more than a cursor carries.
func (ts *textSearch) runBefore(t *Ticket) []int64 {
	sp, ok := ts.spots[t.Seq]
	if !ok {
		return nil
	}
	after := map[int64]bool{t.Seq: true}
	for _, l := range sp.later {
		after[l.Seq] = true
	}
	out := append([]int64{}, sp.prior...)
	for _, n := range sp.seqs {
		if !after[n] {
			out = append(out, n)
		}
	}
	if len(out) > maxCursorRun {
		return nil
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// orderWalk reads one column's order postings from the order's first
// end, a request at a time.
type orderWalk struct {
	oi    OrderIndex
	field string
	desc  bool
	// first is the first request's groups, read beside the other
	// postings; next the gram to go on after ("" at the end).
	first []OrderBucket
	next  string
	// place, when set, groups the candidates in the order's sequence from
	// a read of the whole column instead of a first request (the title's
	// runs, the due days): planSearch makes them the whole walk.
	place func(cands *SeqSet) []OrderBucket
	// cmp is the list's order, for the groups that share only a prefix
	// and the candidates no group holds.
	cmp func(a, b *Ticket) int
	// days: the groups are placed by the due days (dayBuckets), whose
	// grams are day numbers, not the order postings' values.
	days bool
}

// sortAfter is a keyset start in one column's order: the list goes on
// after the row whose value on the column is value and whose number is
// seq (ties are newest first, either way).
type sortAfter struct {
	field, value string
	seq          int64
	desc         bool
	// index is the cursor row's in the list: index+1 rows come before
	// the page.
	index int
	// run, when the cursor's row was read in a sorted run, are the
	// numbers of that run that sort before it, as the page that gave
	// the cursor read them (empty: none; nil: not known).
	run []int64
}

// past reports whether t comes after the cursor's row in the order, by
// its value as read.
func (a *sortAfter) past(t *Ticket) bool {
	c := strings.Compare(SortValue(t, a.field), a.value)
	if a.desc {
		c = -c
	}
	return c > 0 || c == 0 && t.Seq < a.seq
}

// gram is the cursor's row's group in w's grams.
func (a *sortAfter) gram(w *orderWalk) string {
	if w.days {
		return dayGram(DayOf(a.value))
	}
	return OrderKey(a.field, a.value).Gram
}

// rel places a group of the walk against the cursor's row, whose group
// is g (gram), in the walk's sequence: < 0 when every gram it holds
// comes before g, 0 when it may hold g, > 0 when it comes after.
func (a *sortAfter) rel(b OrderBucket, g string) int {
	var c int
	switch {
	case !b.Run:
		c = strings.Compare(b.Gram, g)
	case b.upper != "" && b.upper <= g:
		c = -1
	case b.Gram > g:
		c = 1
	}
	if a.desc {
		c = -c
	}
	return c
}

// sortStart returns the keyset start the after cursor gives in field's
// order, nil when it gives none (an offset cursor, another order, or an
// offset argument).
func (pl *ticketPlan) sortStart(field string) *sortAfter {
	a := pl.w.after
	if field == "" || !a.sorted(field, pl.desc) || pl.q.Page.Offset != 0 {
		return nil
	}
	return &sortAfter{field: field, value: a.value, seq: a.seq, desc: pl.desc, index: a.index, run: a.run}
}

// orderFirstItems is the size of the first request of an order walk, read
// beside the other postings before the candidates are known. Titles and
// reporters rarely repeat, so their groups are about a ticket each: 100
// items place a page when a fifth of the tickets are candidates, as the
// panel's filters keep (a status, a category); a text filter usually
// keeps far fewer, so its first request only tells whether they sort
// near this end (else they are read and sorted). Due dates, versions and
// staff have few values, so a group is many tickets (up to 2 KiB an
// item): 16 items hold thousands.
// orderWalkMax is the largest request of a walk after the first: order
// posting items are small (a title's group, ~100 bytes, up to a 2 KiB
// block), and DynamoDB ends a Query at 1 MB anyway.
const orderWalkMax = 10000

func orderFirstItems(field string, text bool) int {
	switch {
	case field != "title" && field != "reporter_id":
		return 16
	case text:
		return 24
	}
	return 100
}

// sortedByValue are the orders a candidate set can be sorted in from
// value postings: fields of a handful of values, each one's tickets a
// group of the candidates, so a page reads the first groups' newest
// members and nothing of a sort index, whatever the filters' tickets'
// values are.
var sortedByValue = []string{"status", "category", "priority"}

// orderSort returns the field of OrderIndexedFields the plan's order
// sorts by, when st keeps order postings and they may serve it for g
// ("" when not).
func (pl *ticketPlan) orderSort(g *guard, st TicketStore) string {
	if _, ok := st.(OrderIndex); !ok || pl.native || pl.q.Mode != ModeLive {
		return ""
	}
	if f := sortIndexFor(pl.order, g); slices.Contains(OrderIndexedFields, f) {
		return f
	}
	return ""
}

// valueSort returns the field of sortedByValue the plan's order sorts
// by, when the index may serve it for g ("" when not).
func (pl *ticketPlan) valueSort(g *guard) string {
	if pl.native || pl.q.Mode != ModeLive {
		return ""
	}
	if f := sortIndexFor(pl.order, g); slices.Contains(sortedByValue, f) {
		return f
	}
	return ""
}

// sortValues are the values of field the groups follow, ascending: every
// status, or the dictionary's values (those the filters allow).
func sortValues(field string, values *panelValues) []string {
	if field == "status" {
		out := make([]string, len(Statuses))
		for i, st := range Statuses {
			out[i] = string(st)
		}
		slices.Sort(out)
		return out
	}
	return slices.Sorted(maps.Keys(values.matched[field]))
}

// valueGroups splits cands by their posting among vals (ascending), in
// the order's sequence; the candidates in none (no value: it sorts
// first) are a group of their own.
func valueGroups(cands *SeqSet, post map[PostingKey]*SeqSet, field string, vals []string, desc bool) ([]*SeqSet, []string) {
	rest := cands.Clone()
	groups := make([]*SeqSet, 0, len(vals)+1)
	for _, v := range vals {
		grp := cands.Clone()
		grp.And(post[ValueKey(field, v)])
		rest.AndNot(grp)
		groups = append(groups, grp)
	}
	groups = append([]*SeqSet{rest}, groups...)
	gvals := append([]string{""}, vals...)
	if desc {
		slices.Reverse(groups)
		slices.Reverse(gvals)
	}
	return groups, gvals
}

// planSearch narrows pl with the text index when the store keeps one and
// a filter can use it; nil when it cannot.
func (s *Service) planSearch(ctx context.Context, pl *ticketPlan, g *guard) (*textSearch, error) {
	ti, ok := s.store.(TextIndex)
	if !ok || pl.q.Mode != ModeLive || pl.q.ClientMutationID != "" {
		return nil, nil
	}
	if _, ok := exactValue(pl.fs, "code"); ok {
		return nil, nil // one number: the list index reads it directly
	}
	// The postings of LiveTextFields, for the fields the version every
	// live ticket is in holds. A container the store has not told yet
	// guesses the latest version (every table past its text pass) and
	// reads the marker beside the postings: an answer that lacks a field
	// of the list plans again with it. A container told an earlier
	// version asks again, before the plan, until the version holds the
	// list's fields.
	slaKey, bySLAKey := pl.slaResolvedKey()
	since := 0
	if bySLAKey {
		since = LiveSince(SLAResolvedField)
	}
	for _, f := range pl.fs {
		if liveTextFilter(f) {
			since = max(since, LiveSince(f.Field))
		}
	}
	var liveGuess func() (int, error)
	if lt, ok := s.store.(LiveTextIndex); ok && since > 0 {
		read := func() (int, error) { return lt.LiveTextsIndexed(ctx) }
		switch v, told := s.liveTexts.level(); {
		case pl.liveKnown:
		case v >= since:
			pl.liveTexts = v
		case !told:
			pl.liveTexts = LiveTextsVersion
			liveGuess = async("read live text postings marker", func() (int, error) { return s.liveTexts.ask(since, read) })
		default:
			v, err := s.liveTexts.ask(since, read)
			if err != nil {
				return nil, fmt.Errorf("read live text postings marker: %w", err)
			}
			pl.liveTexts = v
		}
		pl.slaPosting = bySLAKey && pl.liveHolds(SLAResolvedField)
	}
	live := LiveKey
	var keys []PostingKey
	type need struct {
		f     Filter
		want  string
		grams []string
	}
	var needs []need
	exact := true
	for _, f := range pl.fs {
		if !pl.searches(f) {
			continue
		}
		n := need{f: f, want: strings.ToLower(f.Value.(string))}
		if f.Field != "code" {
			var ex bool
			n.grams, ex = queryGrams(n.want)
			exact = exact && ex && f.Lookup == IContains
			for _, gram := range n.grams {
				keys = append(keys, PostingKey{Field: f.Field, Gram: gram})
			}
		}
		needs = append(needs, n)
	}
	// An order by a value field sorts the candidates by their value
	// postings (valueGroups).
	sortField := pl.valueSort(g)
	orderField := pl.orderSort(g, s.store)
	if orderField == "due_date" && pl.oneStatusByDueDate() {
		orderField = "" // its own index, g16, reads just the page
	}
	days := s.dayColumnsOf(pl)
	if len(needs) == 0 && !pl.panelByPostings(cmp.Or(sortField, orderField), days) {
		return nil, nil
	}
	// The due days column, read whole beside the postings when it decides
	// filters or places a text filter's candidates by due date.
	var readDays func() ([]uint16, error)
	var daysDone func() (bool, error)
	if di, ok := s.store.(DueDayIndex); ok && (days.due() || len(needs) > 0 && orderField == "due_date") {
		readDays = async("read due days", func() ([]uint16, error) { return di.DueDays(ctx) })
		daysDone = s.daysComplete.under("read due days marker", func() (bool, error) { return di.DueDaysComplete(ctx) })
	}
	// The date days of the date lookups they decide, beside them.
	readDates := func() (map[string][]uint16, error) { return nil, nil }
	datesDone := func() (bool, error) { return true, nil }
	if di, ok := s.store.(DateDayIndex); ok && days != nil && len(days.dates) > 0 {
		reads := map[string]func() ([]uint16, error){}
		for f := range days.dates {
			reads[f] = async("read date days", func() ([]uint16, error) { return di.DateDays(ctx, f) })
		}
		readDates = func() (map[string][]uint16, error) {
			out := map[string][]uint16{}
			var errs error
			for f, read := range reads {
				col, err := read()
				out[f], errs = col, cmp.Or(errs, err)
			}
			return out, errs
		}
		datesDone = s.dateDaysComplete.under("read date days marker", func() (bool, error) { return di.DateDaysComplete(ctx) })
	}
	// An open level's periods, beside them.
	readPeriods := func() ([]uint16, error) { return nil, nil }
	periodsDone := func() (bool, error) { return true, nil }
	if pi, ok := s.store.(SLAPeriodIndex); ok && days != nil && days.level != "" {
		readPeriods = async("read SLA periods", func() ([]uint16, error) { return pi.SLAPeriods(ctx) })
		periodsDone = s.periodsComplete.under("read SLA periods marker", func() (bool, error) { return pi.SLAPeriodsComplete(ctx) })
	}
	// An order by another column places the candidates by its order
	// postings, whose first request goes out with the other postings.
	var firstOrder func() (*orderWalk, error)
	var complete func() (bool, error)
	if orderField != "" {
		desc := pl.order[0].desc
		oi := s.store.(OrderIndex)
		complete = s.ordersComplete.under("read order postings marker", func() (bool, error) { return oi.OrderPostingsComplete(ctx) })
		// Candidates may sort anywhere in a column of one ticket a group
		// (a title filter ordered by title sorts them together, after
		// every title that comes before the filter's text), or be too
		// sparse for the walk's first groups to hold a page (the whole
		// panel, a ticket in 36; any text filter ordered by reporter,
		// where each complainant files about one ticket): the runs place
		// them all in one read.
		// Likewise a text filter's candidates by due date: the due days
		// place them wherever they sort (all due early, listed latest due
		// first, they would be behind every later day).
		var readPlace func() (func(*SeqSet) []OrderBucket, error)
		if ri, ok := s.store.(OrderRunIndex); ok && slices.Contains(OrderRunFields, orderField) {
			readPlace = placing(s.runsComplete[orderField].under("read order runs marker", func() (bool, error) { return ri.OrderRunsComplete(ctx, orderField) }),
				async("read order runs", func() ([]OrderRun, error) {
					rs, err := ri.OrderRuns(ctx, orderField)
					if err == nil {
						s.learnRuns(orderField, rs)
					}
					return rs, err
				}),
				func(rs []OrderRun, c *SeqSet) []OrderBucket { return runBuckets(rs, c, desc) })
		}
		byDays := false
		if readDays != nil && orderField == "due_date" {
			byDays = true
			readPlace = placing(daysDone, readDays,
				func(ds []uint16, c *SeqSet) []OrderBucket { return dayBuckets(ds, c, desc) })
		}
		firstOrder = async("read order postings", func() (*orderWalk, error) {
			w := &orderWalk{oi: oi, field: orderField, desc: desc, cmp: TicketOrder(orderField, desc)}
			if readPlace != nil {
				place, err := readPlace()
				if err != nil {
					return nil, fmt.Errorf("read order postings: %w", err)
				}
				if place != nil {
					w.place, w.days = place, byDays
					return w, nil
				}
				// Until the backfill has filled them, or when the store
				// keeps no runs (a title too common to keep its run):
				// the groups, a request later.
			}
			b, next, err := oi.OrderBuckets(ctx, orderField, desc, "", orderFirstItems(orderField, len(needs) > 0))
			if err != nil {
				return nil, fmt.Errorf("read order postings: %w", err)
			}
			w.first, w.next = b, next
			return w, nil
		})
	}
	// Category and priority lookups other than exact are the values the
	// dictionary says they match (panelValues): a guess from the last
	// read, checked below against the read made beside the postings. An
	// order by category or priority reads the field's values too (every
	// value matches the empty Icontains).
	vfs := pl.fs
	if slices.Contains(ValueFields, sortField) {
		vfs = append(slices.Clone(pl.fs), Filter{Field: sortField, Lookup: IContains, Value: ""})
	}
	values, verify, err := s.filterValues(ctx, vfs)
	if err != nil {
		return nil, err
	}
	sortKeys := func(values *panelValues) []PostingKey {
		if sortField == "" {
			return nil
		}
		var keys []PostingKey
		for _, v := range sortValues(sortField, values) {
			keys = append(keys, ValueKey(sortField, v))
		}
		return keys
	}
	keys = append(keys, sortKeys(values)...)
	answered := make([]bool, len(pl.fs))
	var valueFilters []int
	for i, f := range pl.fs {
		answered[i] = pl.answers(f) || values.resolved(f.Field) && slices.Contains(ValueFields, f.Field)
		if !pl.searches(f) && answered[i] {
			valueFilters = append(valueFilters, i)
			keys = append(keys, valueKeysOf(f, values)...)
		}
	}
	// An SLA filter holds for the statuses it allows only (open ones, or
	// resolved and closed).
	bySLA := days.due() && pl.slaStatuses != nil
	var slaKeys []PostingKey
	if bySLA {
		for _, st := range pl.slaStatuses {
			slaKeys = append(slaKeys, ValueKey("status", string(st)))
		}
		keys = append(keys, slaKeys...)
	}
	// The sight rule over the candidates: tickets of the categories the
	// reader may not see (or match on these filters) drop out, unless
	// the reader attends them.
	unseen := g.unseen(pl.sightFilters(days))
	mine := ValueKey("attending_staff__id", "")
	if len(unseen) > 0 {
		if g.p != nil {
			mine = ValueKey("attending_staff__id", g.p.ID)
		}
		keys = append(keys, mine)
		for _, c := range unseen {
			keys = append(keys, ValueKey("category", c))
		}
	}
	// Every posting but the history ones holds live tickets only: the
	// live posting is the base only when nothing else narrows (a code
	// lookup alone), or to weigh a sort index read (useSearch).
	if pl.slaPosting {
		keys = append(keys, slaKey)
	}
	narrowed := len(valueFilters) > 0 || bySLA || pl.slaPosting || slices.ContainsFunc(needs, func(n need) bool { return len(n.grams) > 0 })
	readLive := !narrowed || !pl.native && sortField == "" && orderField == ""
	if readLive {
		keys = append(keys, live)
	}
	post, err := ti.Postings(ctx, distinct(keys))
	if liveGuess != nil {
		v, lerr := liveGuess()
		switch {
		case lerr != nil:
			err = cmp.Or(err, fmt.Errorf("read live text postings marker: %w", lerr))
		case v < since:
			// A field of the list is not in the table's postings yet.
			if verify != nil {
				_, _, _ = verify() // the read beside ends with the request
			}
			pl.liveTexts, pl.liveKnown = v, true
			return s.planSearch(ctx, pl, g)
		default:
			pl.liveTexts = v // every field of the list holds, as guessed
		}
	}
	var walk *orderWalk
	if firstOrder != nil {
		var werr, cerr error
		var whole bool
		walk, werr = firstOrder()
		whole, cerr = complete()
		err = cmp.Or(err, werr, cerr)
		if !whole {
			// Tickets indexed before the order postings are not in them
			// yet: the plans without them.
			walk = nil
			if err == nil && len(needs) == 0 && !pl.panelByPostings(sortField, days) {
				if verify != nil {
					_, _, _ = verify() // the read beside ends with the request
				}
				return nil, nil
			}
		}
	}
	if err != nil {
		if verify != nil {
			_, _, _ = verify() // the read beside ends with the request
		}
		return nil, fmt.Errorf("read text index: %w", err)
	}
	if verify != nil {
		fresh, same, err := verify()
		if err != nil {
			return nil, err
		}
		if !same {
			// A value appeared or went: the postings of the fresh values.
			values = fresh
			more := sortKeys(values)
			for _, i := range valueFilters {
				more = append(more, valueKeysOf(pl.fs[i], values)...)
			}
			got, err := ti.Postings(ctx, more)
			if err != nil {
				return nil, fmt.Errorf("read text index: %w", err)
			}
			for k, v := range got {
				post[k] = v
			}
		}
	}
	var cands *SeqSet
	and := func(o *SeqSet) {
		if cands == nil {
			cands = o.Clone()
			return
		}
		cands.And(o)
	}
	if readLive {
		and(post[live])
	}
	for _, n := range needs {
		for _, gram := range n.grams {
			and(post[PostingKey{Field: n.f.Field, Gram: gram}])
		}
	}
	for _, i := range valueFilters {
		and(unionOf(post, valueKeysOf(pl.fs[i], values)))
	}
	if bySLA {
		and(unionOf(post, slaKeys))
	}
	if pl.slaPosting {
		and(post[slaKey])
	}
	for _, n := range needs {
		if n.f.Field == "code" {
			cands.And(codeMatches(cands.Max(), n.f.Lookup, n.f.Value.(string)))
		}
	}
	if len(unseen) > 0 {
		hidden := &SeqSet{}
		for _, c := range unseen {
			hidden.Or(post[ValueKey("category", c)])
		}
		hidden.AndNot(post[mine])
		cands.AndNot(hidden)
	}
	slaDecided := pl.slaPosting
	var less func() (int, error) // the unknown days' candidates the count drops
	if days != nil {
		var col []uint16
		done := true
		var err, cerr error
		if days.due() {
			col, err = readDays()
			done, cerr = daysDone()
		}
		periods, perr := readPeriods()
		pdone, pcerr := periodsDone()
		dates, derr := readDates()
		ddone, dcerr := datesDone()
		if err = cmp.Or(err, cerr, perr, pcerr, derr, dcerr); err != nil {
			return nil, fmt.Errorf("read day columns: %w", err)
		}
		switch {
		case done && pdone && ddone:
			// Only a count from the postings (exact) drops the unknown
			// days' tickets: any other count judges every candidate, or
			// bounds them, and would leave their read unused.
			var decided bool
			unknown := days.narrow(col, periods, dates, cands)
			if pl.q.WantCount && !exact && len(needs) > 0 && cands.Len() > verifyAll && unknown.Len() > 0 && unknown.Len() <= verifyAll {
				// A text search's count may be bounded by the candidates
				// the page does not read (case 3), which would count
				// those the columns cannot tell: judged now, a round
				// trip before the page (rare: a date out of the columns'
				// years, a ticket the consumer has not reached).
				out, err := days.rejected(ctx, ti, unknown)
				if err != nil {
					return nil, err
				}
				cands.AndNot(out)
				decided = true
			} else {
				less, decided = days.judgeUnknown(ctx, ti, unknown, pl.q.WantCount && exact)
			}
			if less != nil {
				pl.waits = append(pl.waits, func() { _, _ = less() })
			}
			exact = exact && decided
			for i, f := range pl.fs {
				answered[i] = answered[i] || days.decides(f)
			}
			// Too many tickets the columns cannot tell leave the SLA
			// filter to the rows: judged, never a bound.
			slaDecided = slaDecided || decided && (!days.breached.IsZero() || days.level != "")
		case len(needs) == 0 && !pl.panelByPostings(cmp.Or(sortField, orderField), nil):
			// Tickets indexed before the column are not in it yet: the
			// range, read whole.
			return nil, nil
		}
	}
	if walk != nil && walk.place != nil {
		walk.first, walk.next = walk.place(cands), ""
	}
	ts := &textSearch{ti: ti, cands: cands, exact: exact, answered: answered, order: walk, allow: ticketAllowance(pl), slaDecided: slaDecided, less: less}
	if readLive {
		ts.live = post[live].Len()
	}
	if sortField != "" {
		ts.groups, ts.groupVals = valueGroups(cands, post, sortField, sortValues(sortField, values), pl.order[0].desc)
		ts.groupField = sortField
	}
	return ts, nil
}

// placing waits for a column read whole beside the postings (the title's
// runs, the due days) and for whether the store says it is complete; it
// returns what places candidates by the column, or nil while it is not
// complete or when the store keeps none (then the walk places them).
func placing[T any](complete func() (bool, error), read func() ([]T, error), place func([]T, *SeqSet) []OrderBucket) func() (func(*SeqSet) []OrderBucket, error) {
	return func() (func(*SeqSet) []OrderBucket, error) {
		col, err := read()
		ok, cerr := complete()
		if err = cmp.Or(err, cerr); err != nil || !ok || col == nil {
			return nil, err
		}
		return func(c *SeqSet) []OrderBucket { return place(col, c) }, nil
	}
}

// oneStatusByDueDate reports whether the plan is the officer's daily
// list, one status (and categories) by due date, which g16 reads as one
// partition in the order.
func (pl *ticketPlan) oneStatusByDueDate() bool {
	statuses := map[Status]int{}
	n := 0
	for _, f := range pl.fs {
		switch f.Field {
		case "category":
		case "status":
			n++
			for _, st := range statusesMatching(f) {
				statuses[st]++
			}
		default:
			return false
		}
	}
	one := 0
	for _, c := range statuses {
		if c == n {
			one++
		}
	}
	return n > 0 && one == 1
}

// panelByPostings reports whether a list without a text filter is read
// through the value postings: its filters are all of the panel's value
// fields (so the postings decide them) and either its order is by a value
// field (sortField), or no one key range holds exactly its tickets (a
// status with a priority, a reporter with a status): a range read would
// read the narrowest partition filtered, and to count it the rest of it,
// while the postings count it exactly and name just the page's tickets.
func (pl *ticketPlan) panelByPostings(sortField string, days *dayColumns) bool {
	noSLA := pl.q.SLAStatus == "" && pl.q.ResolvedWithinTime == nil
	// The due days decide BREACHED, ON_TRACK, AT_RISK (with the SLA
	// periods) and a due date lookup, the date days the date lookups
	// they tell; a resolved level has its posting.
	byDays := days != nil && (days.byDue && (pl.breachedByDays() || pl.openLevelByDays()) || slices.ContainsFunc(pl.fs, days.decides))
	// A resolved level's posting decides the SLA filter as well.
	byPosting := byDays || pl.slaPosting
	if len(pl.fs) == 0 && !byPosting || !noSLA && !byPosting || pl.staffIDs != nil {
		return false
	}
	for _, f := range pl.fs {
		if days.decides(f) {
			continue
		}
		if !pl.answers(f) && !slices.Contains(ValueFields, f.Field) {
			return false
		}
	}
	if sortField != "" || byPosting {
		// No key range holds a due date's tickets, or a level's.
		return true
	}
	// chooseRange's own test, with every category and priority lookup
	// taken as resolved (the dictionary resolves them all).
	resolved := &panelValues{matched: map[string]map[string]int{}}
	for _, f := range pl.fs {
		if slices.Contains(ValueFields, f.Field) {
			resolved.matched[f.Field] = map[string]int{}
		}
	}
	_, exact := chooseRange(pl.fs, nil, ModeLive, nil, resolved)
	return !exact
}

// useSearch makes ts the source of pl and settles how totalCount is
// answered. false: the order needs more rows sorted than memory allows,
// so the plan keeps its range.
func (pl *ticketPlan) useSearch(ctx context.Context, g *guard, ts *textSearch, st TicketStore) bool {
	q, w := pl.q, pl.w
	// A column a sort index serves (and nothing hides from the reader)
	// may be read from that index, keeping only candidates.
	sortBy := ""
	if !pl.native && q.Mode == ModeLive && ts.groups == nil && ts.order == nil {
		sortBy = sortIndexFor(pl.order, g)
	}
	ordered := pl.native || sortBy != "" || ts.groups != nil || ts.order != nil
	lo, hi := int64(0), ts.cands.Max()
	keyset := false
	if pl.native && w.after.numbered(pl.desc) && q.Page.Offset == 0 {
		if pl.desc {
			hi = w.after.seq - 1
		} else {
			lo = w.after.seq + 1
		}
		w.startAfter()
		keyset = true
	}
	ts.cands.Range(lo, hi, false, func(int64) bool { ts.inRange++; return true })
	onlyText := !slices.Contains(ts.answered, false) // every filter is decided or narrowed by the index
	noSLA := q.SLAStatus == "" && q.ResolvedWithinTime == nil || ts.slaDecided
	firstOnly := w.first >= 0 && w.upper < 0 && (q.Page.Last == nil || q.Page.First != nil)
	switch {
	case !q.WantCount || !ordered:
	case ts.exact && onlyText && noSLA && firstOnly:
		// The postings count the answer (the sight rule was applied to
		// them in planSearch).
		n := ts.cands.Len()
		pl.fixedCount, pl.countLess = &n, ts.less
		w.needAll = false
	case ts.inRange <= verifyAll:
		// Judging every candidate costs no more than a few pages.
	case onlyText && noSLA && firstOnly:
		// Too many candidates to judge: the count is the rows found plus
		// the candidates not read (docs/data-model.md: exact unless some
		// of those hold every gram of the query but not the query).
		pl.boundCount = true
		w.needAll = false
	}
	// A cursor of the column's order starts the sources that read in it
	// after its row (the groups, the walk, the sort index), instead of
	// reading every row before the page again.
	var from *sortAfter
	switch {
	case ts.groups != nil:
		from = pl.sortStart(ts.groupField)
	case ts.order != nil:
		from = pl.sortStart(ts.order.field)
	case !pl.boundCount:
		// The sort index's keyset passes the candidates before the
		// cursor unseen, so it cannot bound the count by them.
		from = pl.sortStart(sortBy)
	}
	hint := ts.inRange
	if ordered && !w.needAll && w.first >= 0 {
		hint = w.first + 1 + w.lower
		if keyset || from != nil {
			hint = w.first + 1
		}
	}
	pl.search = ts
	ts.rateKey = searchRateKey(g.p, pl.fs)
	first := g.s.searchRates.firstRead(ts.rateKey, hint, g.s.now())
	startAt := func(field string) {
		pl.native, pl.sortKeyed = true, field
		if from != nil {
			ts.after = from
			w.startAfter()
		}
	}
	if ts.groups != nil {
		startAt(ts.groupField)
		pl.source = ts.grouped(ctx, first)
		return true
	}
	if ts.order != nil {
		startAt(ts.order.field)
		pl.source = ts.walked(ctx, withMargin(hint), first)
		return true
	}
	if sortBy != "" && !w.needAll {
		// The sort index yields about live ÷ candidates rows per
		// candidate; read it when that is less than reading every
		// candidate and sorting them.
		perRow := ts.live / max(ts.inRange, 1)
		if hint*perRow < ts.inRange || ts.inRange > maxSorted {
			startAt(sortBy)
			r := TicketRange{By: RangeSorted, SortBy: sortBy, Descending: pl.order[0].desc,
				PageHint: min(max(hint*perRow+hint/4, 32), maxScanPage)}
			if from != nil {
				r.After, r.AfterValue = from.seq, from.value
			}
			pl.source = func(fn func(*Ticket) (bool, error)) error {
				return st.ScanTickets(ctx, r, func(t *Ticket) (bool, error) {
					if !ts.cands.Has(t.Seq) {
						return true, nil
					}
					ts.judged++
					return fn(t)
				})
			}
			return true
		}
	}
	if !pl.native && ts.cands.Len() > maxSorted {
		pl.fixedCount, pl.countLess, pl.boundCount, pl.search = nil, nil, false, nil
		w.needAll = q.WantCount || w.needAll
		return false
	}
	if !pl.native {
		// Sorted in memory: every candidate is read anyway, in one round.
		first = withMargin(ts.inRange)
	}
	pl.keyed = pl.native
	pl.source = ts.rows(ctx, lo, hi, pl.desc || !pl.native, first)
	return true
}

// rows yields the live tickets among the candidates from lo to hi, in
// number order (descending when desc), read hint at a time at first and
// then four times as many each round.
func (ts *textSearch) rows(ctx context.Context, lo, hi int64, desc bool, hint int) rows[*Ticket] {
	return byNumber(ts.cands, lo, hi, desc, hint, &ts.judged, ts.readLive(ctx))
}

// unionOf is the tickets of any of the postings keys name.
func unionOf(post map[PostingKey]*SeqSet, keys []PostingKey) *SeqSet {
	union := &SeqSet{}
	for _, k := range keys {
		union.Or(post[k])
	}
	return union
}

// distinct returns keys without repeats (a filter and the order on one
// field name the same postings), in their first order.
func distinct(keys []PostingKey) []PostingKey {
	seen := make(map[PostingKey]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// grouped yields the live tickets of the groups, group after group, each
// newest first (the order's ties), read as one sequence: a page whose
// rows span small groups still takes one read.
//
// After a cursor (ts.after), the groups before its value's are skipped
// unread, and its value's group starts below its number.
func (ts *textSearch) grouped(ctx context.Context, hint int) rows[*Ticket] {
	each := func(fn func(int64) bool) {
		start := 0
		ts.before = 0
		if a := ts.after; a != nil {
			if start = slices.Index(ts.groupVals, a.value); start < 0 {
				start = slices.Index(ts.groupVals, "") // a value of no posting
			}
			for _, grp := range ts.groups[:start] {
				ts.before += grp.Len()
			}
			ts.before += ts.groups[start].count(a.seq, ts.groups[start].Max())
		}
		more := true
		for i, grp := range ts.groups[start:] {
			hi := grp.Max()
			if i == 0 && ts.after != nil {
				hi = min(hi, ts.after.seq-1)
			}
			grp.Range(0, hi, true, func(n int64) bool { more = fn(n); return more })
			if !more {
				return
			}
		}
	}
	return inOrder(each, hint, nil, &ts.judged, ts.readLive(ctx))
}

// walked yields the live candidates in the order's sequence, placed by
// the column's order postings: group after group, a whole value's
// candidates newest first (they tie), a prefix's sorted once read. The
// walk stops when every candidate is placed, or reads the candidates
// still unplaced and sorts them when that costs less than walking on to
// the rows still wanted; the candidates no group holds (a ticket indexed
// before the order postings) come last, sorted the same way. The
// numbers are read first at a time at first, then four times as many;
// hint, the candidates the page is taken to need, decides where the walk
// stops. The two differ when the container knows the search's share of
// rows (searchRates): the walk's decisions stay those of the fixed
// margin, so that a ticket missing from the order postings, which it
// places where it stops, keeps its place from one page to the next
// whatever the container remembers.
func (ts *textSearch) walked(ctx context.Context, hint, first int) rows[*Ticket] {
	w := ts.order
	read := ts.readLive(ctx)
	return func(fn func(*Ticket) (bool, error)) error {
		wanted := hint // rows still wanted (about: judged rows)
		bt := &batcher{read: read, fn: fn, judged: &ts.judged, cmp: w.cmp, chunk: min(max(first, 4), maxScanPage),
			flushed: func(n int) { wanted -= n }, more: true}
		if ts.after != nil {
			// A sorted group may hold the cursor's row and those before
			// it, and the candidates no group placed may sort anywhere.
			bt.keep = ts.after.past
		}
		ts.spots = map[int64]runSpot{}
		bt.spot = func(t *Ticket, u unit, later []*Ticket) {
			ts.spots[t.Seq] = runSpot{prior: u.prior, seqs: u.seqs, later: later}
		}
		queue := func(u unit) error {
			if u.sorted && len(u.seqs) > maxSorted {
				// Only before the backfill's text pass (the tickets no
				// group holds yet) or past 10,000 titles sharing their
				// first 400 bytes: bounded as every in-memory sort.
				return errTooManyToSort(maxSorted)
			}
			return bt.add(u)
		}
		left := ts.cands.Clone()
		buckets, next := w.first, w.next
		// placed counts the candidates placed, passed the tickets of the
		// groups read, top the highest number they or the candidates hold
		// (about how many tickets there are).
		placed, groups, passed, top := 0, 0, 0, ts.cands.Max()
		ts.before = 0
		var at string // the cursor's group
		if ts.after != nil {
			at = ts.after.gram(w)
		}
		for bt.more {
			for _, b := range buckets {
				groups++
				passed += b.Members.Len()
				top = max(top, b.Members.Max())
				grp := b.Members.Clone()
				grp.And(left)
				if grp.Len() == 0 {
					continue
				}
				left.AndNot(grp)
				placed += grp.Len()
				// After a cursor, the groups before its row's are passed
				// unread, and its value's group starts below its number.
				rel, hi := 1, grp.Max()
				if ts.after != nil {
					rel = ts.after.rel(b, at)
				}
				if rel < 0 {
					ts.before += grp.Len()
					continue
				}
				var err error
				if b.wholeValue() {
					if rel == 0 {
						// Its tickets from the cursor's number up came before.
						ts.before += grp.count(ts.after.seq, hi)
						hi = min(hi, ts.after.seq-1)
					}
					grp.Range(0, hi, true, func(n int64) bool {
						err = queue(unit{seqs: []int64{n}})
						return err == nil && bt.more
					})
				} else {
					u := unit{sorted: true, at: rel == 0 && ts.after != nil}
					if u.at && ts.after.run != nil {
						// The cursor names its run's rows before it: the
						// rest of the run is read, and counts toward a
						// batch as any group (keep still drops a row that
						// moved since). They are taken out one by one,
						// not as a set: the numbers come from the client,
						// and a bitmap grows to the largest.
						gone := append(slices.Clone(ts.after.run), ts.after.seq)
						for _, n := range gone {
							if grp.Has(n) {
								grp.Remove(n)
								ts.before++
							}
						}
						u.at, u.prior = false, gone
						if grp.Len() == 0 {
							continue
						}
					}
					u.seqs = members(grp)
					err = queue(u)
				}
				if err != nil {
					return err
				}
				if !bt.more {
					return nil
				}
			}
			if left.Len() == 0 || next == "" {
				break
			}
			// Walk on, or read the rest and sort it (a request fewer):
			// the rest when it is at most three times the rows still
			// wanted, or fewer tickets than the groups walking on would
			// read — at the rate groups have held candidates so far, or,
			// when they held none (the candidates sort far from this
			// end), every group left, at the tickets a group has held so
			// far. So a walk reads at most about as many items as sorting
			// the candidates would, and far fewer when the groups are
			// large (dates, versions, staff: the whole column is a few
			// hundred items) or the candidates dense.
			need := max(wanted-bt.queued, 1)
			// After a cursor, the walk also passes the candidates still
			// before it (about the rows before the page not yet passed).
			ahead := 0
			if ts.after != nil {
				ahead = max(ts.after.index+1-ts.before, 0)
			}
			perGroup := float64(placed) / float64(groups)
			walkOn := float64(need+ahead) / perGroup
			if perGroup == 0 {
				walkOn = float64(int(top)-passed) / (float64(passed) / float64(groups))
			}
			if rest := left.Len(); rest <= maxSorted && (rest <= 3*need || float64(rest) <= walkOn) {
				break
			}
			size := orderWalkMax
			if perGroup > 0 {
				size = min(max(int(float64(need+ahead)/perGroup*1.25)+1, 32), orderWalkMax)
			}
			var err error
			if buckets, next, err = w.oi.OrderBuckets(ctx, w.field, w.desc, next, size); err != nil {
				return fmt.Errorf("read order postings: %w", err)
			}
			if len(buckets) == 0 {
				break // nothing more (the rest, if any, is sorted below)
			}
		}
		if left.Len() > 0 && bt.more {
			if err := queue(unit{seqs: members(left), sorted: true}); err != nil {
				return err
			}
		}
		return bt.finish()
	}
}

// members lists set's numbers, newest first.
func members(set *SeqSet) []int64 {
	out := make([]int64, 0, set.Len())
	set.Range(0, set.Max(), true, func(n int64) bool { out = append(out, n); return true })
	return out
}

// itemsPerRow is the list goal (docs/performance.md): a page reads at
// most three items of its own a row, beside a bounded number of index
// items.
const itemsPerRow = 3

// ticketAllowance is how many live tickets a page's reads by number may
// take in: its goal, less the people its rows may name (a complainant and
// an officer each) when the caller loads them with the page. What it
// leaves beyond the candidates the reads may spend on the tickets
// between them where a range costs less capacity than Queries apart
// (LiveTicketsBySeq): a range saves half a unit at most for each such
// ticket, so the goal comes first.
func ticketAllowance(pl *ticketPlan) *allowance {
	rows := pl.w.first
	if rows < 0 {
		rows = pl.w.last
	}
	left := itemsPerRow * rows
	if pl.q.WithPeople {
		left -= 2 * rows
	}
	return &allowance{left: left}
}

// allowance is what is left of a page's ticketAllowance.
type allowance struct{ left int }

// spare spends the allowance on a read of n numbers: it returns how many
// other tickets the read may take in, and counts them spent whole, since
// the store does not say how many it took.
func (a *allowance) spare(n int) int {
	s := max(0, a.left-n)
	a.left -= n + s
	return s
}

// readLive reads the live tickets of numbers, for inOrder, within the
// page's allowance.
func (ts *textSearch) readLive(ctx context.Context) func([]int64) (map[int64][]*Ticket, error) {
	return func(seqs []int64) (map[int64][]*Ticket, error) {
		got, err := ts.ti.LiveTicketsBySeq(ctx, seqs, ts.allow.spare(len(seqs)))
		out := make(map[int64][]*Ticket, len(got))
		for n, t := range got {
			out[n] = []*Ticket{t}
		}
		return out, err
	}
}

// byNumber yields, for the members of set from lo to hi in number order
// (descending when desc), the rows read fetches for them: hint numbers a
// read at first, then four times as many each round, up to maxScanPage.
// judged counts the numbers whose rows were offered.
func byNumber(set *SeqSet, lo, hi int64, desc bool, hint int, judged *int, read func([]int64) (map[int64][]*Ticket, error)) rows[*Ticket] {
	return inOrder(func(fn func(int64) bool) { set.Range(lo, hi, desc, fn) }, hint, nil, judged, read)
}

// inOrder yields the rows read fetches for the numbers each gives, in its
// order: hint numbers a read at first, then four times as many each
// round, up to maxScanPage, or, with need (the rows the page still
// wants), as many as the rows found so far say it needs (batcher.need).
// judged counts the numbers whose rows were offered.
func inOrder(each func(func(int64) bool), hint int, need func() int, judged *int, read func([]int64) (map[int64][]*Ticket, error)) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error {
		bt := &batcher{read: read, fn: fn, judged: judged, chunk: min(max(hint, 4), maxScanPage), more: true, need: need}
		if need != nil {
			bt.needed = need()
		}
		var failed error
		each(func(n int64) bool {
			if failed = bt.add(unit{seqs: []int64{n}}); failed != nil {
				return false
			}
			return bt.more
		})
		if failed != nil {
			return failed
		}
		return bt.finish()
	}
}

// unit is numbers read together: one number, or a group to sort by the
// order once read (a prefix's group, a run, the candidates no group
// holds).
type unit struct {
	seqs   []int64
	sorted bool
	// at: the sorted group holds a keyset's cursor row, whose rows up to
	// it are dropped once read, so it does not count toward a batch.
	at bool
	// prior, for the rest of the cursor's run, are that run's numbers
	// that sort before the rest (the cursor's run and row).
	prior []int64
}

// batcher reads queued units in batches (chunk numbers at first, then
// four times as many each round, up to maxScanPage) and offers their rows
// to fn in the units' order until fn has enough (more false). judged
// counts the numbers whose rows were offered (or that have none); flushed,
// when set, hears how many numbers each batch read.
type batcher struct {
	read   func([]int64) (map[int64][]*Ticket, error)
	fn     func(*Ticket) (bool, error)
	judged *int
	cmp    func(a, b *Ticket) int
	// keep, when set, drops the rows of sorted units it refuses (those at
	// or before a keyset's cursor), judged but not offered.
	keep func(*Ticket) bool
	// spot, when set, hears the place of each row offered from a sorted
	// unit.
	spot    func(t *Ticket, u unit, later []*Ticket)
	flushed func(n int)
	chunk   int
	pend    []unit
	queued  int
	more    bool // fn wants more rows
	// need, when set, says how many rows the page still wants once
	// judged (needed: at the start), so that a read that fell a few rows
	// short is followed by about the tickets those rows take at the rate
	// found, not four times as many: a history list whose first read
	// missed by a row read 70 tickets more in a fourth round trip.
	need   func() int
	needed int
	readN  int // numbers read
}

// add queues u, reading the batch once it holds chunk numbers.
func (b *batcher) add(u unit) error {
	if !b.more {
		return nil
	}
	b.pend = append(b.pend, u)
	if !u.at {
		b.queued += len(u.seqs)
	}
	if b.queued >= b.chunk {
		return b.flush()
	}
	return nil
}

// finish reads what is still queued.
func (b *batcher) finish() error {
	if len(b.pend) > 0 && b.more {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	var seqs []int64
	for _, u := range b.pend {
		seqs = append(seqs, u.seqs...)
	}
	got, err := b.read(seqs)
	if err != nil {
		b.more = false
		return err
	}
	offer := func(t *Ticket) error {
		ok, err := b.fn(t)
		if err != nil || !ok {
			b.more = false
		}
		return err
	}
	for _, u := range b.pend {
		if !b.more {
			break
		}
		if !u.sorted {
			for _, n := range u.seqs {
				*b.judged++
				for _, t := range got[n] { // none: deleted since it was indexed
					if err := offer(t); err != nil || !b.more {
						return err
					}
				}
			}
			continue
		}
		var page []*Ticket
		for _, n := range u.seqs {
			page = append(page, got[n]...)
		}
		*b.judged += len(u.seqs) - len(page)
		slices.SortStableFunc(page, b.cmp)
		for i, t := range page {
			*b.judged++
			if b.keep != nil && !b.keep(t) {
				continue
			}
			if b.spot != nil {
				b.spot(t, u, page[i+1:])
			}
			if err := offer(t); err != nil || !b.more {
				return err
			}
		}
	}
	if b.flushed != nil {
		b.flushed(b.queued)
	}
	b.readN += b.queued
	b.pend, b.queued = b.pend[:0], 0
	next := min(b.chunk*4, maxScanPage)
	if b.need != nil {
		left := b.need()
		if got := b.needed - left; left > 0 && got > 0 {
			est := (left*b.readN + got - 1) / got
			next = min(next, max(est+est/4+2, 4))
		}
	}
	b.chunk = next
	return nil
}

// dayColumns is what of a live list the due days column decides (DueDayIndex):
// its due date lookups, whose answer for a ticket is its due date's alone,
// the SLA filter BREACHED, which holds exactly for the open tickets whose
// due date ran out, and with the SLA periods column ON_TRACK and AT_RISK,
// the open tickets before it; and beside it what the date days decide
// (DateDayIndex: the date lookups a ticket's day tells, dayTells). Without
// them such a list reads its whole range and judges every ticket; with
// them the postings and the columns name the candidates and count them.
type dayColumns struct {
	// byDue and byDate say which columns the store keeps: the due days
	// (DueDayIndex), the date days (DateDayIndex).
	byDue, byDate bool
	fs            []Filter
	// breached, when set, is the reading time of the SLA filter BREACHED:
	// only days whose deadline is not after it, and open statuses.
	breached time.Time
	// level, when set, is the SLA filter ON_TRACK or AT_RISK, judged at
	// at with the at-risk share: open statuses, days whose deadline is
	// after at, and which of the two by the periods column
	// (SLAPeriodIndex, openLevel).
	level SLAStatus
	at    time.Time
	share float64
	// dates are the lookups of DateDayFields the date days decide
	// (dayTells), by field.
	dates map[string][]Filter
}

// dayColumnsOf returns the part of pl the columns decide, or nil when they
// decide none (or the store keeps no column).
func (s *Service) dayColumnsOf(pl *ticketPlan) *dayColumns {
	d := &dayColumns{}
	_, d.byDue = s.store.(DueDayIndex)
	_, d.byDate = s.store.(DateDayIndex)
	if !d.byDue && !d.byDate || pl.q.Mode != ModeLive {
		return nil
	}
	for _, f := range pl.fs {
		switch {
		case d.byDue && dayDecided(f):
			d.fs = append(d.fs, f)
		case d.byDate && dayTells(f):
			if d.dates == nil {
				d.dates = map[string][]Filter{}
			}
			d.dates[f.Field] = append(d.dates[f.Field], f)
		}
	}
	if d.byDue && pl.breachedByDays() {
		d.breached = pl.slaAt
	}
	if _, ok := s.store.(SLAPeriodIndex); ok && d.byDue && pl.openLevelByDays() {
		d.level, d.at, d.share = SLAStatus(pl.q.SLAStatus), pl.slaAt, pl.slaShare
	}
	if !d.due() && len(d.dates) == 0 {
		return nil
	}
	return d
}

// due reports whether d decides anything by the due days.
func (d *dayColumns) due() bool {
	return d != nil && (len(d.fs) > 0 || !d.breached.IsZero() || d.level != "")
}

// decides reports whether the columns d reads decide f, once complete.
func (d *dayColumns) decides(f Filter) bool {
	return d != nil && (d.byDue && dayDecided(f) || d.byDate && dayTells(f))
}

// dayDecided reports whether f is a due date lookup (every one the filter
// accepts compares the date's text).
func dayDecided(f Filter) bool {
	s, ok := f.Value.(string)
	return f.Field == "due_date" && ok && s != "" && slices.Contains(textLookups, f.Lookup)
}

// breachedByDays reports whether the plan's SLA filter is BREACHED alone:
// ON_TRACK and AT_RISK also depend on when a ticket's period started
// (openLevelByDays), MET and MISSED on when it was resolved (their
// posting: slaResolvedKey).
func (pl *ticketPlan) breachedByDays() bool {
	st, err := ParseSLAStatus(pl.q.SLAStatus)
	return pl.q.ResolvedWithinTime == nil && err == nil && st == SLABreached
}

// openLevelByDays reports whether the plan's SLA filter is ON_TRACK or
// AT_RISK alone, which the due days decide with the periods column.
func (pl *ticketPlan) openLevelByDays() bool {
	st, err := ParseSLAStatus(pl.q.SLAStatus)
	return pl.q.ResolvedWithinTime == nil && err == nil && (st == SLAOnTrack || st == SLAAtRisk)
}

// sightFilters are the filters the sight rule weighs for pl's list by
// the postings, with d its due days: a reader who may not see a ticket's
// due date cannot have it matched on it. A due date lookup is among pl.fs
// already; an SLA filter the index decides (BREACHED or an open level by
// d, a resolved level by its posting), judged on the masked ticket,
// weighs as one.
func (pl *ticketPlan) sightFilters(d *dayColumns) []Filter {
	if !pl.slaPosting && (d == nil || d.breached.IsZero() && d.level == "") {
		return pl.fs
	}
	return append(slices.Clone(pl.fs), Filter{Field: "due_date", Lookup: IContains, Value: "-"})
}

// slaResolvedKey returns the posting that decides pl's SLA filter when it
// asks for a resolved ticket's level: slaStatus MET or MISSED,
// resolvedWithinTime, or both when they agree (SLAResolvedField). The
// level is the ticket's own, so the posting is exact whenever it is read.
func (pl *ticketPlan) slaResolvedKey() (PostingKey, bool) {
	var want SLAStatus
	if pl.q.SLAStatus != "" {
		st, err := ParseSLAStatus(pl.q.SLAStatus)
		if err != nil {
			return PostingKey{}, false
		}
		want = st
	}
	if w := pl.q.ResolvedWithinTime; w != nil {
		level := SLAMissed
		if *w {
			level = SLAMet
		}
		if want != "" && want != level {
			return PostingKey{}, false // no ticket: the range says so
		}
		want = level
	}
	if want != SLAMet && want != SLAMissed {
		return PostingKey{}, false
	}
	return LiveValueKey(SLAResolvedField, string(want)), true
}

// accepts reports whether a ticket due on date (its text) passes d, as
// far as its due date tells: for an open level, that its deadline is
// after d.at.
func (d *dayColumns) accepts(date string) bool {
	if !matchesTicket(d.fs, nil, &Ticket{DueDate: date}) {
		return false
	}
	deadline, ok := Deadline(date)
	switch {
	case !d.breached.IsZero():
		return ok && !d.breached.Before(deadline)
	case d.level != "":
		return ok && d.at.Before(deadline)
	}
	return true
}

// acceptsTicket reports whether t passes d (a ticket read: its level is
// its own).
func (d *dayColumns) acceptsTicket(t *Ticket) bool {
	for _, fs := range d.dates {
		if !matchesTicket(fs, nil, t) {
			return false
		}
	}
	if !d.accepts(t.DueDate) {
		return false
	}
	if d.level == "" {
		return true
	}
	st, ok := t.SLA(d.at, d.share)
	return ok && st == d.level
}

// narrow keeps of cands the tickets whose days d accepts (and for an open
// level, whose period says it: openLevel), and returns those of a day a
// column does not know (not indexed yet, or a date out of its years) or a
// period it cannot tell, which only their tickets decide. dates are the
// date days of d.dates' fields.
func (d *dayColumns) narrow(days, periods []uint16, dates map[string][]uint16, cands *SeqSet) (unknown *SeqSet) {
	// Per day: 0 not judged yet, 1 accepted, 2 not; a slice, as the list
	// looks up a day per candidate (two thirds of 100,000 for BREACHED).
	memo := make([]uint8, 1<<16)
	dateMemo := map[string][]uint8{}
	for f := range d.dates {
		dateMemo[f] = make([]uint8, 1<<16)
	}
	// An open level's deadlines, per day accepted.
	deadlines := map[uint16]time.Time{}
	unknown, drop := &SeqSet{}, &SeqSet{}
	dayAt := func(col []uint16, n int64) uint16 {
		if n < int64(len(col)) {
			return col[n]
		}
		return DayUnknown
	}
	cands.Range(0, cands.Max(), false, func(n int64) bool {
		for f, fs := range d.dates {
			day := dayAt(dates[f], n)
			if day == DayUnknown {
				unknown.Add(n)
				continue
			}
			if m := dateMemo[f]; m[day] == 0 {
				m[day] = 2
				if matchesTicket(fs, nil, dayTicket(f, day)) {
					m[day] = 1
				}
			}
			if dateMemo[f][day] == 2 {
				drop.Add(n)
				return true
			}
		}
		if !d.due() {
			return true
		}
		day := dayAt(days, n)
		if day == DayUnknown {
			unknown.Add(n)
			return true
		}
		if memo[day] == 0 {
			memo[day] = 2
			if d.accepts(dayDate(day)) {
				memo[day] = 1
				if d.level != "" {
					deadlines[day], _ = Deadline(dayDate(day))
				}
			}
		}
		if memo[day] == 2 {
			drop.Add(n)
			return true
		}
		if d.level != "" {
			p := PeriodUnknown
			if n < int64(len(periods)) {
				p = periods[n]
			}
			switch level, known := openLevel(deadlines[day], p, d.at, d.share); {
			case !known:
				unknown.Add(n)
			case level != d.level:
				drop.Add(n)
			}
		}
		return true
	})
	cands.AndNot(drop)
	// A ticket one column rejects is out, whatever another cannot tell.
	unknown.AndNot(drop)
	return unknown
}

// judgeUnknown reads the candidates of unknown days, when they are few,
// beside the page's first read, and returns how many of them d does not
// accept: the postings' count of the candidates, less those, is exact
// (the page judges them as any row). They are rare (a date out of the
// column's years, a ticket the consumer has not reached, for an open
// level a period within a unit of its boundary), so the read is too;
// more than verifyAll and decided is false: the list is judged on its
// rows. Without a count nothing is read.
func (d *dayColumns) judgeUnknown(ctx context.Context, ti TextIndex, unknown *SeqSet, wantCount bool) (less func() (int, error), decided bool) {
	n := unknown.Len()
	switch {
	case n == 0:
		return nil, true
	case n > verifyAll:
		return nil, false
	case !wantCount:
		return nil, true
	}
	return async("read tickets of unknown days", func() (int, error) {
		out, err := d.rejected(ctx, ti, unknown)
		if err != nil {
			return 0, err
		}
		return out.Len(), nil
	}), true
}

// rejected reads the tickets of unknown and returns those d does not
// accept (or deleted since they were indexed).
func (d *dayColumns) rejected(ctx context.Context, ti TextIndex, unknown *SeqSet) (*SeqSet, error) {
	seqs := make([]int64, 0, unknown.Len())
	unknown.Range(0, unknown.Max(), false, func(s int64) bool { seqs = append(seqs, s); return true })
	got, err := ti.LiveTicketsBySeq(ctx, seqs, 0)
	if err != nil {
		return nil, fmt.Errorf("read tickets of unknown days: %w", err)
	}
	out := &SeqSet{}
	for _, s := range seqs {
		if t := got[s]; t == nil || !d.acceptsTicket(t) {
			out.Add(s)
		}
	}
	return out, nil
}
