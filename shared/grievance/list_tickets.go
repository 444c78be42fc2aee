package grievance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// ListMode selects which tickets a list reads.
type ListMode int

// List modes.
const (
	ModeLive    ListMode = iota // tickets: live tickets
	ModeAll                     // ticketsStr, ticketDetails: deleted ones too
	ModeHistory                 // tickets(showHistory/ticketVersion): every version
)

// TicketQuery is a ticket list request.
type TicketQuery struct {
	Connection       string // field name, for limit messages
	Filters          []Filter
	OrderBy          []string
	Mode             ListMode
	Version          int // ticketVersion
	ClientMutationID string
	Page             PageArgs
	WantCount        bool
	// SLAStatus and ResolvedWithinTime filter on the computed service-level
	// fields ("" and nil: no filter). A ticket whose due date the reader
	// may not see matches neither.
	SLAStatus          string
	ResolvedWithinTime *bool
	// WithPeople: the caller will load the people the page's rows name
	// (TicketPeople); a maintained count is then read with them, in one
	// request, and Page.People holds them.
	WithPeople bool
}

var ticketOrderFields = []string{"id", "code", "title", "key", "description", "status", "priority", "category",
	"flags", "channel", "resolution", "reporter_id", "reporter_type", "version", "date_created", "date_updated",
	"due_date", "date_of_incident", "is_deleted", "date_valid_from", "attending_staff"}

// ticketPlan is a parsed ticket list request and the rows it reads.
type ticketPlan struct {
	q        TicketQuery
	w        *window[*Ticket]
	fs       []Filter
	order    []orderKey
	staffIDs map[string]bool // nil: no username filter
	slaMatch func(*Ticket) bool
	// slaAt is the reading time the SLA filter judges by; slaStatuses
	// the statuses it allows (nil without one); slaShare the at-risk
	// share it judges by.
	slaAt       time.Time
	slaShare    float64
	slaStatuses []Status
	// none: the filters match no ticket; nothing is read.
	none bool
	// liveTexts: the latest version of the store's postings of
	// LiveTextFields that holds every live ticket (planSearch; 0: none),
	// or a guess of it until the store answers (liveKnown: it has, for
	// this list); slaPosting: the SLA filter is decided by a resolved
	// level's posting (slaResolvedKey).
	liveTexts  int
	liveKnown  bool
	slaPosting bool
	// native: rows come in the requested order (ticket-number order);
	// keyed: from a key range, so cursors carry the number.
	native, keyed, desc bool
	// sortKeyed is the field of the sort index the rows come from, when
	// read from its top or from a cursor (not a search): cursors then
	// carry the row's value on it as well.
	sortKeyed string
	// versionKeyed: history rows newest first (versionStart), so cursors
	// carry their number and version.
	versionKeyed bool
	// counted, when set, is the range whose maintained count is the
	// totalCount; known, when set, is that count, read while planning.
	counted *TicketRange
	known   *int
	source  rows[*Ticket]
	links   *individualLinks
	// waits are reads beside the list, taken before it returns.
	waits []func()
	// search, when set, is the text index's narrowing the source reads;
	// fixedCount is its count of the answer, and boundCount says the
	// count is the rows found plus the candidates left unread.
	search     *textSearch
	fixedCount *int
	boundCount bool
	// countLess, when set, waits for how many of fixedCount's tickets
	// the count drops (read beside the page: textSearch.less).
	countLess func() (int, error)
	// versionCount, when set, waits for the history list's totalCount
	// from the counts of versions, read beside the list.
	versionCount func() (int, error)
	// fieldCounts, by field, is the read of every value's count of
	// versions under way for versionCount, when it reads one.
	fieldCounts map[string]func() (map[string]map[string]int, error)
	// historyCands, when a history list's postings narrowed it, are the
	// tickets whose versions may be its rows (historySearch).
	historyCands *SeqSet
	// newest is each ticket's newest version a history list read: from
	// a search's versions read whole, or the first a scan met.
	newest newestVersions
}

// ListTickets returns a page of tickets.
func (s *Service) ListTickets(ctx context.Context, q TicketQuery) (*Page[*Ticket], error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.QueryTicketsPerms })
	if err != nil {
		return nil, err
	}
	g := s.guard(cfg, p)
	pl, err := s.planTickets(ctx, cfg, g, q)
	if err != nil {
		return nil, err
	}
	if pl.none {
		return pl.w.page(true), nil
	}
	defer func() {
		for _, wait := range pl.waits {
			wait()
		}
	}()
	ts, seen := pl.search, pl.w.n
	page, err := pl.collect(ctx, s.store, pl.guarded(ctx, g))
	if err != nil {
		return nil, err
	}
	if ts != nil && pl.search == ts {
		s.searchRates.learn(ts.rateKey, pl.w.n-seen, ts.judged, s.now())
	}
	if q.Mode == ModeHistory {
		page.LiveVersions = pl.liveVersions(g, page.Items)
	}
	return page, nil
}

// liveVersions are the live versions of the rows' tickets the list read:
// the guard's live tickets (a configuration that may hide anything from
// the reader judges history rows by them), else the newest of the versions a search
// read whole, or the first a scan of the history met (versions come
// newest first). The newest recorded version trails the live one only by the
// history consumer's lag, as the postings that found the row do.
func (pl *ticketPlan) liveVersions(g *guard, items []*Ticket) map[string]int {
	out := map[string]int{}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range items {
		if live, ok := g.live[t.ID]; ok {
			out[t.ID] = 0
			if live != nil && visible(g.cfg, g.p, live) {
				out[t.ID] = live.Version
			}
			continue
		}
		if v, ok := pl.newest.get(t.ID); ok {
			out[t.ID] = v
		}
	}
	return out
}

// newestVersions are the newest recorded version of each ticket a
// history list learned while reading (isHistory compares rows with it).
type newestVersions struct {
	mu sync.Mutex
	m  map[string]int
}

func (nv *newestVersions) learn(vs map[int64][]*Ticket) {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	if nv.m == nil {
		nv.m = map[string]int{}
	}
	for _, versions := range vs {
		for _, t := range versions {
			nv.m[t.ID] = max(nv.m[t.ID], t.Version)
		}
	}
}

// first notes t's version as its ticket's newest unless a version of the
// ticket came before (a scan that yields versions newest first).
func (nv *newestVersions) first(t *Ticket) {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	if nv.m == nil {
		nv.m = map[string]int{}
	}
	if _, seen := nv.m[t.ID]; !seen {
		nv.m[t.ID] = t.Version
	}
}

// note notes v as the newest version of ticket id unless a newer one
// was learned.
func (nv *newestVersions) note(id string, v int) {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	if nv.m == nil {
		nv.m = map[string]int{}
	}
	nv.m[id] = max(nv.m[id], v)
}

func (nv *newestVersions) get(id string) (int, bool) {
	nv.mu.Lock()
	defer nv.mu.Unlock()
	v, ok := nv.m[id]
	return v, ok
}

// planTickets validates q and chooses what to read.
func (s *Service) planTickets(ctx context.Context, cfg *Config, g *guard, q TicketQuery) (*ticketPlan, error) {
	if q.Connection == "" {
		q.Connection = "tickets"
	}
	if err := checkText("clientMutationId", q.ClientMutationID, MaxClientMutationID, false); err != nil {
		return nil, err
	}
	pl := &ticketPlan{q: q, links: &s.links}
	var err error
	if pl.w, err = newWindow[*Ticket](q.Connection, q.Page, q.WantCount); err != nil {
		return nil, err
	}
	if pl.fs, err = normalizeFilters(ticketFields, usernameFilter, q.Filters); err != nil {
		return nil, err
	}
	if pl.order, err = parseOrder(q.OrderBy, ticketOrderFields); err != nil {
		return nil, err
	}
	if pl.staffIDs, err = s.staffIDs(ctx, pl.fs); err != nil {
		return nil, err
	}
	pl.slaAt, pl.slaShare = s.now().UTC(), cfg.SLAAtRiskShare
	if pl.slaMatch, pl.slaStatuses, err = s.slaFilter(cfg, q, pl.slaAt); err != nil {
		return nil, err
	}
	pl.native = len(pl.order) == 0 || slices.Contains([]string{"date_created", "code", "date_valid_from"}, pl.order[0].field)
	pl.desc = len(pl.order) == 0 || pl.order[0].desc
	if pl.staffIDs != nil && len(pl.staffIDs) == 0 {
		pl.none = true
		return pl, nil
	}
	switch {
	case q.Mode == ModeHistory:
		if pl.versionCount, err = s.readVersionCount(ctx, pl, g); err != nil {
			return nil, err
		}
		if pl.versionCount != nil {
			pl.w.needAll = false
			pl.waits = append(pl.waits, func() { _, _ = pl.versionCount() })
		}
		// A list the history postings narrow (postingsFirst: a few
		// tickets', or by the panel's values) is left to them first, and
		// walked for only where they cannot serve it.
		var src rows[*Ticket]
		if !pl.postingsFirst() {
			src, err = s.historySorted(ctx, pl, g)
		}
		walked := src != nil
		if src == nil && err == nil {
			ahead := s.startWalkAhead(ctx, pl, g)
			src, err = s.historySearch(ctx, pl, g)
			if src != nil && err == nil {
				// Its candidates and count, and the page from a sort
				// index where one serves the order.
				if sorted := s.historySortedAmong(ctx, pl, g, ahead); sorted != nil {
					src, walked = sorted, true
				}
			}
			ahead.drop() // not taken: ended, and waited for
			if src == nil && err == nil && pl.postingsFirst() {
				src, err = s.historySorted(ctx, pl, g)
				walked = src != nil
			}
		}
		if walked && g.sensitive() {
			// The guard judges each version by its live ticket: read
			// them a page at a time beside the walk.
			src = preloading(ctx, g, src, min(max(pl.w.first+1+pl.w.lower, 4), 32))
		}
		if err != nil {
			if pl.versionCount != nil {
				_, _ = pl.versionCount() // the read beside ends with the request
			}
			return nil, err
		}
		if src == nil {
			var from *cursor
			if _, byID := exactValue(pl.fs, "id"); !byID && q.Version == 0 {
				_, pages := s.history.(HistoryPager)
				from = pl.versionStart(pages)
			}
			src = s.historySource(ctx, pl.fs, q, &pl.newest, from)
			if g.sensitive() {
				n := 32 // the store's first page
				if pl.w.first >= 0 {
					skipped := pl.w.lower // read before the page, unless it starts at its cursor
					if from != nil {
						skipped = 0
					}
					n = min(max(pl.w.first+1+skipped, 4), n)
				}
				src = preloading(ctx, g, src, n)
			}
		}
		pl.source = budgeted(src, s.historyReadBudget)
	case q.ClientMutationID != "":
		pl.source = s.mutationTicketsSource(ctx, q.ClientMutationID)
	default:
		if id, ok := exactValue(pl.fs, "id"); ok {
			pl.source = s.oneTicket(ctx, id)
			break
		}
		ts, err := s.planSearch(ctx, pl, g)
		if err != nil {
			return nil, err
		}
		if ts != nil && pl.useSearch(ctx, g, ts, s.store) {
			break
		}
		values, verify, err := s.filterValues(ctx, pl.fs)
		if err != nil {
			return nil, err
		}
		if values.none() {
			pl.none = true
			return pl, nil
		}
		native := pl.native
		r, err := pl.keyRange(ctx, s, g, values)
		if err != nil {
			if verify != nil {
				_, _, _ = verify() // the read beside ends with the request
			}
			return nil, err
		}
		pl.source = s.rangeSource(ctx, r)
		if verify != nil {
			pl.source = pl.verified(pl.source, verify, func(fresh *panelValues) (rows[*Ticket], error) {
				// The plan again, from the fresh values.
				pl.native, pl.known, pl.counted = native, nil, nil
				if fresh.none() {
					return func(func(*Ticket) (bool, error)) error { return nil }, nil
				}
				r, err := pl.keyRange(ctx, s, g, fresh)
				return s.rangeSource(ctx, r), err
			})
		}
	}
	return pl, nil
}

// verified passes on the rows of a plan made from guessed values once
// verify confirms the guess (before the first row, or at the end when
// there is none); otherwise it reads the rows of replan instead.
func (pl *ticketPlan) verified(guessed rows[*Ticket], verify func() (*panelValues, bool, error), replan func(*panelValues) (rows[*Ticket], error)) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error {
		checked, wrong := false, false
		var fresh *panelValues
		check := func() error {
			checked = true
			var ok bool
			var err error
			fresh, ok, err = verify()
			wrong = !ok
			return err
		}
		err := guessed(func(t *Ticket) (bool, error) {
			if !checked {
				if err := check(); err != nil || wrong {
					return false, err
				}
			}
			return fn(t)
		})
		if err != nil {
			return err
		}
		if !checked {
			if err := check(); err != nil {
				return err
			}
		}
		if !wrong {
			return nil
		}
		again, err := replan(fresh)
		if err != nil {
			return err
		}
		return again(fn)
	}
}

// usernameFilter accepts the attending staff's username filter, which
// normalizeFilters does not know: it is resolved to user ids (staffIDs).
func usernameFilter(f Filter) (bool, error) {
	if f.Field != StaffUsernameField {
		return false, nil
	}
	if f.Lookup != Exact && f.Lookup != IContains {
		return false, Errorf(CodeInvalid, "Filtering on %s with lookup %s is not supported.", f.Field, f.Lookup)
	}
	if _, ok := f.Value.(string); !ok {
		return false, Errorf(CodeInvalid, "%s takes a string.", f.Field)
	}
	return true, nil
}

// versionStart marks a history list read newest first as keyed by
// ticket number and version. When its source can start after a row
// (canStart) and the after cursor names one, the window starts there and
// the row is returned: the source reads from it on, the rows before it
// unread.
func (pl *ticketPlan) versionStart(canStart bool) *cursor {
	if !pl.native || !pl.desc {
		return nil
	}
	pl.versionKeyed = true
	if !canStart || !pl.w.after.versioned() || pl.q.Page.Offset != 0 {
		return nil
	}
	pl.w.startAfter()
	return &pl.w.after
}

// keyRange chooses the range a list reads from an index, its keyset
// start and first read size, and whether the maintained counts answer
// totalCount.
func (pl *ticketPlan) keyRange(ctx context.Context, s *Service, g *guard, values *panelValues) (TicketRange, error) {
	q, w := pl.q, pl.w
	r, exact := chooseRange(pl.fs, pl.staffIDs, q.Mode, pl.slaStatuses, values)
	r.Descending = pl.desc
	sortBy, share := "", 0.0
	// totalCount from the maintained counts when the key range is the whole
	// answer: no filter left to apply and nothing hidden from this reader.
	noSLA := q.SLAStatus == "" && q.ResolvedWithinTime == nil
	countable := q.WantCount && exact && noSLA && (q.Page.Last == nil || q.Page.First != nil) && !g.affects(pl.fs)
	if !pl.native && q.Mode == ModeLive && r.By != RangeSeq {
		// A sort index yields the rows in the requested order; the filters
		// that chose r still run on every row, and r still names the
		// counts.
		sortBy = sortIndexFor(pl.order, g)
		switch {
		case sortBy == "":
		case r.By == RangeStaff || r.By == RangeReporter:
			// One person's tickets are often a handful among many: the
			// sort index would be read nearly whole to find them. Their
			// count decides.
			n, total, read, err := s.sizes.of(ctx, s.store, r)
			if err != nil {
				return TicketRange{}, err
			}
			if page := max(w.first, 1) + 1; n <= maxScanPage && n*n <= page*max(total, 1) {
				sortBy = "" // read whole and sorted in memory
			} else if total > 0 {
				share = float64(n) / float64(total)
			}
			if countable && read {
				pl.known = &n // it is the totalCount too
			}
		default:
			// A status, category or priority range: its share of the
			// index from a size this container read before, else from
			// the dictionary, else learnt as the index is read; the size
			// is read beside the list for the next one.
			if n, total, ok := s.sizes.known(r); ok && total > 0 {
				share = float64(n) / float64(total)
				break
			}
			pl.waits = append(pl.waits, s.sizes.learn(ctx, s.store, r))
			if r.By == RangeCategory {
				share = values.share("category")
			} else if r.By == RangeSorted {
				share = values.share("priority")
			}
		}
		pl.native = sortBy != ""
	} else if pl.native && w.after.numbered(pl.desc) && q.Page.Offset == 0 && r.By != RangeSeq {
		// Keyset paging: start the key range after the previous page's
		// last ticket instead of reading every row before it.
		r.After = w.after.seq
		w.startAfter()
	}
	pl.keyed = pl.native && sortBy == ""
	pl.sortKeyed = sortBy
	sortedAfter := sortBy != "" && w.after.sorted(sortBy, pl.desc) && q.Page.Offset == 0
	if sortedAfter {
		// Keyset paging in the column's order: the next page starts after
		// the previous page's last row (its value and number) instead of
		// reading every row before it.
		w.startAfter()
	}
	if countable {
		counted := r
		pl.counted = &counted
		w.needAll = false
	}
	switch {
	case !pl.native || w.needAll:
		r.PageHint = maxScanPage
	case w.first >= 0:
		// The page's rows, one more to know whether there is a next page,
		// and (without a keyset start) the rows skipped before.
		r.PageHint = w.first + 1
		if r.After == 0 && !sortedAfter {
			r.PageHint += w.lower
		}
	}
	if sortBy != "" {
		sorted := TicketRange{By: RangeSorted, SortBy: sortBy, Descending: r.Descending, PageHint: r.PageHint}
		if sortedAfter {
			sorted.After, sorted.AfterValue = w.after.seq, w.after.value
		}
		if r.By != RangeAll {
			within := r
			within.After, within.PageHint, within.Descending = 0, 0, false
			sorted.Within, sorted.Share = &within, share
		}
		return sorted, nil
	}
	return r, nil
}

// rangeSizes remembers, per container and for a few minutes, how many
// live tickets one person's list holds and how many there are in all: a
// list of them in a sortable column's order reads them whole when they
// are few, else the sort index sized by their share. A size only chooses
// how to read (a stale one costs items, never a wrong row or count), so a
// container that knows it saves the round trip of reading it.
type rangeSizes struct {
	mu sync.Mutex
	m  map[string]rangeSize
}

type rangeSize struct {
	n, total int
	at       time.Time
}

// rangeSizeTTL is how long a size is trusted.
const rangeSizeTTL = 5 * time.Minute

func sizeKey(r TicketRange) string { return fmt.Sprint(r.By, r.SortBy, r.Keys, r.Statuses) }

// known returns the remembered sizes of r, when fresh.
func (rs *rangeSizes) known(r TicketRange) (n, total int, ok bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	sz, ok := rs.m[sizeKey(r)]
	if !ok || time.Since(sz.at) >= rangeSizeTTL {
		return 0, 0, false
	}
	return sz.n, sz.total, true
}

// read reads the count of r and of every live ticket (one round trip,
// both at once) and remembers them.
func (rs *rangeSizes) read(ctx context.Context, st TicketStore, r TicketRange) (n, total int, err error) {
	all := countAsync(ctx, st, &TicketRange{By: RangeAll})
	n, err = st.CountTickets(ctx, r)
	total, allErr := all()
	if err = errors.Join(err, allErr); err != nil {
		return 0, 0, fmt.Errorf("count tickets: %w", err)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.m == nil || len(rs.m) >= maxLinks {
		rs.m = map[string]rangeSize{}
	}
	rs.m[sizeKey(r)] = rangeSize{n, total, time.Now()}
	return n, total, nil
}

// of returns the sizes of r, read now (read true) unless known.
func (rs *rangeSizes) of(ctx context.Context, st TicketStore, r TicketRange) (n, total int, read bool, err error) {
	if n, total, ok := rs.known(r); ok {
		return n, total, false, nil
	}
	n, total, err = rs.read(ctx, st, r)
	return n, total, err == nil, err
}

// learn reads the sizes of r beside the list's own reads, for the next
// list of r; the returned wait is taken before the list returns, so the
// read never outlives its request. Its failure only leaves r unknown.
func (rs *rangeSizes) learn(ctx context.Context, st TicketStore, r TicketRange) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { _ = recover() }()
		_, _, _ = rs.read(ctx, st, r)
	}()
	return func() { <-done }
}

// guarded applies visibility, the filters and masking to every row the
// plan reads, whatever its source; rows are masked before they are sorted,
// so an order cannot reveal a hidden value either.
func (pl *ticketPlan) guarded(ctx context.Context, g *guard) rows[*Ticket] {
	history := pl.q.Mode == ModeHistory
	return func(fn func(*Ticket) (bool, error)) error {
		return pl.source(func(t *Ticket) (bool, error) {
			if pl.q.Mode == ModeLive && t.IsDeleted {
				return true, nil
			}
			ok, m, err := g.judge(ctx, t, history)
			if err != nil {
				return false, err
			}
			if !ok || !matchesTicket(pl.fs, pl.staffIDs, t) || filtersTouch(pl.fs, m) {
				return true, nil
			}
			t = maskTicket(t, m)
			if !pl.slaMatch(t) {
				return true, nil
			}
			return fn(t)
		})
	}
}

// collect reads the page, and the maintained count alongside it: while
// the page is read, or with the people of its rows when the caller wants
// those and the store reads both at once. Either way the count costs no
// round trip of its own.
func (pl *ticketPlan) collect(ctx context.Context, st TicketStore, guarded rows[*Ticket]) (*Page[*Ticket], error) {
	pc, withPeople := st.(PeopleCounter)
	withPeople = withPeople && pl.q.WithPeople && pl.counted != nil && pl.known == nil
	count := func() (int, error) { return 0, nil }
	switch {
	case pl.known != nil:
		count = func() (int, error) { return *pl.known, nil }
	case !withPeople:
		count = countAsync(ctx, st, pl.counted)
	}
	counted := pl.counted
	page, err := collect(pl.w, guarded, pl.native, compareTickets(pl.order))
	n, countErr := count()
	if err != nil {
		return nil, err
	}
	if !withPeople && pl.known == nil && pl.counted != counted {
		// Planned again while reading (verified): count the range read.
		n, countErr = countAsync(ctx, st, pl.counted)()
	}
	if withPeople {
		ids := pl.links.expand(TicketPeople(page.Items))
		var found map[string]*Person
		n, found, countErr = pc.CountTicketsWithPeople(ctx, *pl.counted, ids)
		pl.links.learn(found)
		page.People = map[string]*Person{}
		for _, id := range ids {
			page.People[id] = found[id] // nil: known missing
		}
	}
	if pl.keyed || pl.sortKeyed != "" || pl.versionKeyed {
		page.desc, page.sortField = pl.desc, pl.sortKeyed
		for _, t := range page.Items {
			page.keys = append(page.keys, t.Seq)
			if pl.sortKeyed != "" {
				page.sortVals = append(page.sortVals, SortValue(t, pl.sortKeyed))
			}
			if pl.versionKeyed {
				page.versions = append(page.versions, t.Version)
			}
		}
		if n := len(page.Items); n > 0 && pl.sortKeyed != "" && pl.search != nil {
			page.endRun = pl.search.runBefore(page.Items[n-1])
		}
	}
	switch {
	case pl.fixedCount != nil:
		less := 0
		if pl.countLess != nil {
			if less, err = pl.countLess(); err != nil {
				return nil, err
			}
		}
		page.TotalCount, page.Counted = *pl.fixedCount-less, true
	case pl.boundCount:
		page.TotalCount, page.Counted = pl.w.n+pl.search.inRange-pl.search.judged-pl.search.before, true
	case pl.versionCount != nil:
		n, err := pl.versionCount()
		if err != nil {
			return nil, fmt.Errorf("count versions: %w", err)
		}
		page.TotalCount, page.Counted = n, true
	}
	if pl.counted != nil {
		if countErr != nil {
			return nil, fmt.Errorf("count tickets: %w", countErr)
		}
		page.TotalCount, page.Counted = n, true
	}
	return page, nil
}

// TicketPeople are the person ids the rows name (reporter, attending
// staff, creator, last editor), empty ones left out.
func TicketPeople(ts []*Ticket) []string {
	ids := make([]string, 0, 4*len(ts))
	for _, t := range ts {
		for _, id := range []string{t.ReporterID, t.AttendingStaffID, t.UserCreated, t.UserUpdated} {
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// oneTicket yields the ticket with id, if it exists.
func (s *Service) oneTicket(ctx context.Context, id string) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error { return one(fn)(s.store.Ticket(ctx, id)) }
}

// rangeSource yields the tickets of r from the store's indexes.
func (s *Service) rangeSource(ctx context.Context, r TicketRange) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error { return s.store.ScanTickets(ctx, r, fn) }
}

// ticketOrderValue returns the value a ticket sorts by on field: text, or
// a number for the numeric orders.
func ticketOrderValue(t *Ticket, field string) (string, int) {
	switch field {
	case "version":
		return "", t.Version
	case "date_created", "date_valid_from":
		return "", int(t.Seq) // creation order is ticket-number order
	case "date_updated":
		return FormatDateTime(t.DateUpdated), 0
	case "reporter_type":
		return string(t.ReporterType), 0
	case "attending_staff":
		// As Django orders by a foreign key: the referenced id.
		return t.AttendingStaffID, 0
	case "is_deleted":
		if t.IsDeleted {
			return "1", 0
		}
		return "0", 0
	}
	if f, ok := ticketFields[field]; ok && f.text != nil {
		return f.text(t), 0
	}
	return "", 0
}

// compareTickets orders tickets by order, then newest (number, version)
// first.
func compareTickets(order []orderKey) func(a, b *Ticket) int {
	return byOrder(order, func(field string, a, b *Ticket) int {
		as, ai := ticketOrderValue(a, field)
		bs, bi := ticketOrderValue(b, field)
		return cmp.Or(strings.Compare(as, bs), cmp.Compare(ai, bi))
	}, func(a, b *Ticket) int {
		return -cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Version, b.Version))
	})
}

// chooseRange picks the narrowest key range that holds every ticket the
// filters can match (and, when allowed is not nil, only tickets in those
// statuses); the filters still run on each row read. exact reports that
// the range is the whole answer: every filter is implied by it.
func chooseRange(fs []Filter, staffIDs map[string]bool, mode ListMode, allowed []Status, values *panelValues) (TicketRange, bool) {
	only := func(fields ...string) bool {
		for _, f := range fs {
			if !slices.Contains(fields, f.Field) {
				return false
			}
			// Status lookups and resolved category and priority lookups
			// are exact here: the partitions are the values they match.
			if f.Field != "status" && f.Lookup != Exact && !values.resolved(f.Field) {
				return false
			}
		}
		return allowed == nil
	}
	if code, ok := exactValue(fs, "code"); ok {
		if seq, ok := ParseCode(code); ok {
			return TicketRange{By: RangeSeq, Seq: seq, Deleted: mode == ModeAll, AlsoLive: true}, only("code")
		}
		return TicketRange{By: RangeSeq, Seq: -1}, true
	}
	if mode == ModeAll {
		return TicketRange{By: RangeAll, Deleted: true, AlsoLive: true}, only()
	}
	if id, ok := exactValue(fs, "attending_staff__id"); ok {
		return TicketRange{By: RangeStaff, Keys: []string{id}}, only("attending_staff__id")
	}
	if len(staffIDs) == 1 {
		for id := range staffIDs {
			return TicketRange{By: RangeStaff, Keys: []string{id}}, false
		}
	}
	if id, ok := exactValue(fs, "reporter_id"); ok {
		return TicketRange{By: RangeReporter, Keys: []string{id}}, only("reporter_id")
	}
	statuses := slices.Clone(Statuses)
	if allowed != nil {
		statuses = slices.DeleteFunc(statuses, func(s Status) bool { return !slices.Contains(allowed, s) })
	}
	for _, f := range fs {
		if f.Field == "status" {
			m := statusesMatching(f)
			statuses = slices.DeleteFunc(statuses, func(s Status) bool { return !slices.Contains(m, s) })
		}
	}
	cats, byCat := values.keys(fs, "category")
	prios, byPrio := values.keys(fs, "priority")
	if len(statuses) < len(Statuses) {
		keys := make([]string, len(statuses))
		for i, s := range statuses {
			keys[i] = string(s)
		}
		if byCat {
			// The filter panel's status and category: one partition per
			// pair of a matching status and a matching category, counted
			// per pair.
			return TicketRange{By: RangeCategory, Keys: cats, Statuses: keys}, only("status", "category")
		}
		// A status lookup is exact here: the partitions are the statuses
		// that satisfy every status filter (the SLA restriction aside).
		return TicketRange{By: RangeStatus, Keys: keys}, only("status")
	}
	if byCat && byPrio {
		// Both: the fewer tickets, when the dictionary tells.
		sc, sp := values.share("category"), values.share("priority")
		if sc > 0 && sp > 0 && sp < sc {
			byCat = false
		}
	}
	if byCat {
		return TicketRange{By: RangeCategory, Keys: cats}, only("category")
	}
	if byPrio {
		// The priority sort index, within each value, is in number order.
		return TicketRange{By: RangeSorted, SortBy: "priority", Keys: prios}, only("priority")
	}
	return TicketRange{By: RangeAll}, only()
}

// staffIDs resolves username filters to the ids of matching users; nil
// means there is no such filter.
func (s *Service) staffIDs(ctx context.Context, fs []Filter) (map[string]bool, error) {
	var ids map[string]bool
	for _, f := range fs {
		if f.Field != StaffUsernameField {
			continue
		}
		want := f.Value.(string)
		found := map[string]bool{}
		if f.Lookup == Exact {
			u, err := s.store.UserByUsername(ctx, want)
			if err != nil && ErrorCode(err) != CodeNotFound {
				return nil, fmt.Errorf("look up user %q: %w", want, err)
			}
			if err == nil {
				found[u.ID] = true
			}
		} else {
			users, err := s.store.Users(ctx)
			if err != nil {
				return nil, fmt.Errorf("list users: %w", err)
			}
			for _, u := range users {
				if matchText(u.Username, IContains, want) {
					found[u.ID] = true
				}
			}
		}
		if ids == nil {
			ids = found
			continue
		}
		for id := range ids {
			if !found[id] {
				delete(ids, id)
			}
		}
	}
	return ids, nil
}

// mutationTicketsSource yields the tickets touched by mutations with a
// clientMutationId (anyone's, as openIMIS does), newest first.
func (s *Service) mutationTicketsSource(ctx context.Context, cmid string) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error {
		var ids []string
		err := s.store.ScanMutationLogs(ctx, "", cmid, func(l *MutationLog) (bool, error) {
			if l.Status == MutationSuccess {
				ids = append(ids, l.TicketIDs...)
			}
			return len(ids) < maxBatch, nil
		})
		if err != nil {
			return err
		}
		tickets, err := s.store.TicketsByID(ctx, ids)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, id := range ids {
			t, ok := tickets[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if more, err := fn(t); err != nil || !more {
				return err
			}
		}
		return nil
	}
}
