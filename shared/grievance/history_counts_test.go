package grievance_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// countSpy counts the reads of the counts of versions, and adds skew to
// every count it returns: a totalCount that moves with the skew came from
// the counts (a read of them only for their values, as a history lookup
// makes, does not move it).
type countSpy struct {
	*grievancetest.Store
	mu                   sync.Mutex // a list reads counts beside each other
	counted, asked, skew int
}

func (s *countSpy) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	s.mu.Lock()
	s.counted++
	s.mu.Unlock()
	c, err := s.Store.VersionCounts(ctx, ask)
	for _, byValue := range c {
		for v := range byValue {
			byValue[v] += s.skew
		}
	}
	return c, err
}

func (s *countSpy) VersionCountsComplete(ctx context.Context) (bool, error) {
	s.mu.Lock()
	s.asked++
	s.mu.Unlock()
	return s.Store.VersionCountsComplete(ctx)
}

// A history list's totalCount from the counts of versions is the number
// of rows paging through every version gives, for every filter set and
// reader: the counts are used exactly when they decide the count (filters
// they split by, a reader the sight rule does not affect), and the rows
// are the same either way.
func TestHistoryCounts_SameTotalAsJudgingEveryVersion(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	spy := &countSpy{Store: st}
	counted := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})

	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	twenty, three := 20, 3
	for _, tc := range []struct {
		fs []grievance.Filter
		// byCount: the counts decide for a reader the sight rule does not
		// touch on these filters.
		byCount bool
	}{
		{nil, true},
		{[]grievance.Filter{f("status", grievance.IContains, "OPEN")}, true},
		{[]grievance.Filter{f("status", grievance.Exact, "IN_PROGRESS")}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "z")}, false}, // no status matches: 0 without a read
		{[]grievance.Filter{f("category", grievance.Exact, "Open")}, true},
		{[]grievance.Filter{f("category", grievance.IContains, "secret")}, true},
		{[]grievance.Filter{f("priority", grievance.IContains, "high")}, true},
		{[]grievance.Filter{f("priority", grievance.IStartsWith, "M")}, true},
		{[]grievance.Filter{f("attending_staff__id", grievance.Exact, staff.ID)}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "OPEN"), f("category", grievance.Exact, "Anon")}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "res"), f("category", grievance.IContains, "SECRET")}, true},
		// The pairs: any two of status, category, priority and staff.
		{[]grievance.Filter{f("category", grievance.Exact, "Open"), f("priority", grievance.Exact, "High")}, true},
		{[]grievance.Filter{f("category", grievance.IContains, "SECRET"), f("priority", grievance.IContains, "h")}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "progress"), f("priority", grievance.IContains, "medium")}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "res"), f("attending_staff__id", grievance.Exact, staff.ID)}, true},
		{[]grievance.Filter{f("status", grievance.IContains, "o"), f("attending_staff__id", grievance.Exact, ally.ID)}, true},
		{[]grievance.Filter{f("category", grievance.IContains, "o"), f("attending_staff__id", grievance.Exact, ally.ID)}, true},
		{[]grievance.Filter{f("priority", grievance.Exact, "Medium"), f("attending_staff__id", grievance.Exact, staff.ID)}, true},
		// Two staff members at once: no version, whatever the counts say.
		{[]grievance.Filter{f("priority", grievance.IContains, "i"), f("attending_staff__id", grievance.Exact, staff.ID), f("attending_staff__id", grievance.Exact, ally.ID)}, false},
		// Three fields, or the reporter with another: judged.
		{[]grievance.Filter{f("status", grievance.IContains, "OPEN"), f("category", grievance.Exact, "Open"), f("attending_staff__id", grievance.Exact, staff.ID)}, false},
		{[]grievance.Filter{f("status", grievance.IContains, "OPEN"), f("reporter_id", grievance.Exact, admin.ID)}, false},
		{[]grievance.Filter{f("title", grievance.IContains, "case 1")}, false},
	} {
		for _, reader := range []*grievance.Principal{admin, specialist, gbvOfficer, confOfficer, officer, viewer, staff} {
			for _, page := range []grievance.PageArgs{{First: &twenty}, {First: &three}} {
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: tc.fs, WantCount: true, Page: page, OrderBy: []string{"-dateCreated"}}
				ctx := grievance.NewContext(context.Background(), reader)
				spy.counted = 0
				got, err := counted.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				all := rowsByPaging(t, ctx, plain, q)
				want, err := plain.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got.TotalCount != all || want.TotalCount != all || versions(got.Items) != versions(want.Items) || got.HasNextPage != want.HasNextPage {
					t.Errorf("%s %v: totalCount %d (rows %s), every version judged: %d rows (count %d, rows %s)",
						reader.Username, tc.fs, got.TotalCount, versions(got.Items), all, want.TotalCount, versions(want.Items))
				}
				unaffected := reader == admin || reader == specialist || (reader == gbvOfficer && !touchesHidden(tc.fs))
				spy.skew = 1000
				skewed, err := counted.ListTickets(ctx, q)
				spy.skew = 0
				if err != nil {
					t.Fatal(err)
				}
				if wantCounts := tc.byCount && unaffected; (skewed.TotalCount != got.TotalCount) != wantCounts {
					t.Errorf("%s %v: totalCount %d with the counts skewed, %d without: want it from the counts: %v", reader.Username, tc.fs, skewed.TotalCount, got.TotalCount, wantCounts)
				}
			}
		}
	}
}

// rowsByPaging counts the rows of q's list by paging through it, three
// rows a page, without a count.
func rowsByPaging(t *testing.T, ctx context.Context, svc *grievance.Service, q grievance.TicketQuery) int {
	t.Helper()
	three := 3
	all := 0
	for q := (grievance.TicketQuery{Mode: q.Mode, Filters: q.Filters, OrderBy: q.OrderBy, Page: grievance.PageArgs{First: &three}}); ; {
		p, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all += len(p.Items)
		if !p.HasNextPage {
			return all
		}
		q.Page.Offset += 3
	}
}

// Ensure a history list by two lookups a pair's counts count (a category
// and a priority lookup, or the status and a category lookup) takes the
// values versions held from the pair's counts its totalCount reads: one
// read of the counts, cold or warm, not one for the pair and one for the
// fields, and the same rows as judging every version.
func TestHistoryCounts_TwoLookupsTakeTheirValuesFromThePairsCounts(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	// Without the values' dictionary (a table counted before it), where
	// the lookups list the values from the counts.
	st.SetHeldValuesComplete(false)
	spy := &countSpy{Store: st}
	counted := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	distrusted := false
	ctx := grievance.NewContext(context.Background(), admin)
	for _, fs := range [][]grievance.Filter{
		{f("category", grievance.IContains, "e"), f("priority", grievance.IContains, "i")},
		{f("status", grievance.IContains, "O"), f("category", grievance.IContains, "secret")},
		{f("category", grievance.IContains, "anon"), f("priority", grievance.IContains, "h")},
	} {
		for _, warm := range []bool{false, true} {
			spy.counted = 0
			firstPageAsJudged(t, ctx, counted, plain, fs, fmt.Sprintf("warm %v", warm))
			// A warm container guesses the values the lookups match from
			// its last list of them and reads only their pair's counts,
			// checked against the dictionary; the first such list finds
			// it untrusted and takes the values from the counts instead,
			// and the container reads the pair's counts whole from then.
			reads := 1
			if warm && !distrusted {
				reads, distrusted = 2, true
			}
			if spy.counted != reads {
				t.Errorf("%v, warm %v: the counts read %d times, want %d", fs, warm, spy.counted, reads)
			}
		}
	}
}

// heldSpy counts the reads of the values' dictionary and of the counts.
type heldSpy struct {
	*grievancetest.Store
	held, counted int
}

func (s *heldSpy) HeldValues(ctx context.Context, fields []string) (map[string][]string, bool, error) {
	s.held++
	return s.Store.HeldValues(ctx, fields)
}

func (s *heldSpy) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	s.counted++
	return s.Store.VersionCounts(ctx, ask)
}

// A history list's category and priority lookups take the values versions
// held from the values' dictionary (one item a field) when the store says
// it is complete, and from the counts (every value's shards) when not:
// the same rows either way, as judging every version, cold and warm.
func TestHistoryCounts_LookupsTakeTheirValuesFromTheDictionary(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	ctx := grievance.NewContext(context.Background(), admin)
	for _, complete := range []bool{true, false} {
		st.SetHeldValuesComplete(complete)
		spy := &heldSpy{Store: st}
		svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
		for _, fs := range [][]grievance.Filter{
			{f("status", grievance.IContains, "O"), f("category", grievance.IContains, "e"), f("priority", grievance.IContains, "i")},
			{f("title", grievance.IContains, "case"), f("category", grievance.IContains, "secret")},
			{f("priority", grievance.IContains, "h")},
		} {
			for _, warm := range []bool{false, true} {
				spy.held, spy.counted = 0, 0
				firstPageAsJudged(t, ctx, svc, plain, fs, fmt.Sprintf("dictionary complete %v, warm %v", complete, warm))
				wantCounted := 0
				if !complete {
					wantCounted = 1
				}
				if len(fs) == 1 {
					wantCounted = 1 // the totalCount's read of the field's counts, which lists its values
				}
				if len(fs) > 1 && spy.held != 1 || spy.counted != wantCounted {
					t.Errorf("%v, dictionary complete %v, warm %v: the dictionary read %d times, the counts %d; want 1 and %d", fs, complete, warm, spy.held, spy.counted, wantCounted)
				}
			}
		}
	}
}

// askSpy records what each read of the counts of versions asks.
type askSpy struct {
	*grievancetest.Store
	asks []map[string][]string
}

func (s *askSpy) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	s.asks = append(s.asks, maps.Clone(ask))
	return s.Store.VersionCounts(ctx, ask)
}

// A warm container's history list by category or priority lookups reads
// the counts of the values they match only (guessed from the values it
// last listed), not every value's (a field's partition, or a pair's:
// their product), and its totalCount is still that of judging every
// version: a value recorded since the container's last list is found in
// the dictionary read beside and its counts read too.
func TestHistoryCounts_AWarmContainerReadsOnlyTheCountsOfTheValuesItsLookupsMatch(t *testing.T) {
	st, plainStore, plain, now := seededVersions(t)
	spy := &askSpy{Store: st}
	svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	ctx := grievance.NewContext(context.Background(), admin)
	sets := [][]grievance.Filter{
		{f("category", grievance.IContains, "secret"), f("priority", grievance.IContains, "h")},
		{f("priority", grievance.IContains, "h")},
		{f("status", grievance.IContains, "o"), f("category", grievance.IContains, "secret")},
		{f("priority", grievance.IContains, "h"), f("attending_staff__id", grievance.Exact, staff.ID)},
	}
	list := func(stage string, fs []grievance.Filter) (reads int) {
		t.Helper()
		spy.asks = nil
		firstPageAsJudged(t, ctx, svc, plain, fs, stage)
		return len(spy.asks)
	}
	noWholeRead := func(stage string, fs []grievance.Filter) {
		t.Helper()
		for _, ask := range spy.asks {
			for k, vs := range ask {
				if vs == nil {
					t.Errorf("%s %v: read every value's counts of %s, warm", stage, fs, k)
				}
			}
		}
	}
	for _, fs := range sets {
		list("cold", fs)
		list("warm", fs)
		noWholeRead("warm", fs)
	}
	// A priority no version held when the container listed them, on a
	// ticket of a secret category, in both stores.
	var id string
	err := st.ScanTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll}, func(tk *grievance.Ticket) (bool, error) {
		if strings.Contains(strings.ToLower(tk.Category), "secret") && !tk.IsDeleted {
			id = tk.ID
			return false, nil
		}
		return true, nil
	})
	if err != nil || id == "" {
		t.Fatalf("no ticket in a secret category: %v", err)
	}
	for _, s := range []*grievancetest.Store{st, plainStore} {
		n := 0
		ids := func() string { n++; return fmt.Sprintf("00000000-0000-4000-9000-%012d", n) }
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC), time.Millisecond)
		w := &world{st: s, svc: grievance.NewService(s, clock.Now, ids, grievance.Options{History: s})}
		if err := w.do(admin, "updateTicket", func(ctx context.Context) (*grievance.Write, error) {
			return w.svc.UpdateTicket(ctx, grievance.TicketInput{ID: id, Priority: strp("Highest")})
		}); err != nil {
			t.Fatal(err)
		}
	}
	if reads := list("the first list after a new value", sets[0]); reads != 2 {
		t.Errorf("the first list after a new value read the counts %d times; want 2 (the guess, then the new value's pairs)", reads)
	}
	noWholeRead("the first list after a new value", sets[0])
	for _, fs := range sets {
		if reads := list("after a new value", fs); reads != 1 {
			t.Errorf("after a new value %v: the counts read %d times; want once", fs, reads)
		}
		noWholeRead("after a new value", fs)
	}
}

// firstPageAsJudged lists the first three rows of the history by fs,
// with totalCount, through svc and through plain (judging every
// version), and fails the test, saying label, where they differ.
func firstPageAsJudged(t *testing.T, ctx context.Context, svc, plain *grievance.Service, fs []grievance.Filter, label string) {
	t.Helper()
	three := 3
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, Page: grievance.PageArgs{First: &three}, OrderBy: []string{"-dateCreated"}}
	got, err := svc.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalCount != want.TotalCount || versions(got.Items) != versions(want.Items) {
		t.Errorf("%s %v: %d rows (%s); every version judged: %d (%s)", label, fs, got.TotalCount, versions(got.Items), want.TotalCount, versions(want.Items))
	}
}

// seededVersions gives two programmes seeded alike by seedVersions: st,
// the one the lists under test read (its counts, index and history rows),
// and plain, a service that judges every version of the other,
// plainStore (the oracle), at the clock now both read.
func seededVersions(t *testing.T) (st, plainStore *grievancetest.Store, plain *grievance.Service, now func() time.Time) {
	t.Helper()
	st, plainStore = grievancetest.NewStore(), grievancetest.NewStore()
	seedVersions(t, st)
	seedVersions(t, plainStore)
	plain = grievance.NewService(noIndex{plainStore}, seededNow, grievancetest.IDs(), grievance.Options{History: uncounted{plainStore}})
	return st, plainStore, plain, seededNow
}

// seededNow is the seeded stores' reading time, a day after their writes.
func seededNow() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }

// seedVersions gives st 12 tickets of 1 to 5 versions each: versions
// move between statuses, categories (into and out of restricted ones),
// priorities and staff; one ticket is deleted.
func seedVersions(t *testing.T, st *grievancetest.Store) {
	t.Helper()
	var ins []grievance.TicketInput
	for i := range 12 {
		cat, prio := writeCategories[i%4], []string{"High", "Low", "high-ish"}[i%3]
		in := grievance.TicketInput{Category: strp(cat), Title: strp(fmt.Sprintf("case %d", i)), Priority: strp(prio)}
		if i%3 == 0 {
			in.AttendingStaffID = strp(staff.ID)
		}
		ins = append(ins, in)
	}
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		return []grievance.TicketInput{
			{Status: strp("OPEN")},
			{Status: strp("IN_PROGRESS"), Priority: strp("Medium")},
			{Category: strp(writeCategories[(i+1)%4]), AttendingStaffID: strp(ally.ID)},
			{Status: strp("RESOLVED")},
		}[:i%5]
	}, 7)
}

// seedHistory gives st the tickets ins, created by the admin, then the
// updates steps gives each (by its place in ins), and soft-deletes the
// ticket at deleted: history recorded as the service commits.
func seedHistory(t *testing.T, st *grievancetest.Store, ins []grievance.TicketInput, steps func(i int) []grievance.TicketInput, deleted int) {
	t.Helper()
	st.SetConfigDocument([]byte(writeConfig))
	for _, p := range allPrincipal {
		st.AddPeople(grievance.Person{ID: p.ID, Type: grievance.PersonUser, Username: p.Username})
	}
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
	w := &world{st: st, svc: svc}
	var ids []string
	for _, in := range ins {
		if err := w.do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
			wr, err := svc.CreateTicket(ctx, in)
			if err == nil {
				ids = append(ids, wr.NewTicket.ID)
			}
			return wr, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		for _, in := range steps(i) {
			in.ID = id
			if err := w.do(admin, "updateTicket", func(ctx context.Context) (*grievance.Write, error) { return svc.UpdateTicket(ctx, in) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.do(admin, "deleteTicket", func(ctx context.Context) (*grievance.Write, error) {
		return svc.DeleteTickets(ctx, []string{ids[deleted]}, nil)
	}); err != nil {
		t.Fatal(err)
	}
}

// touchesHidden reports whether a filter reads a field "Anon" hides.
func touchesHidden(fs []grievance.Filter) bool {
	for _, f := range fs {
		if f.Field == "title" || f.Field == "attending_staff__id" {
			return true
		}
	}
	return false
}

// Counts that are not complete (a table upgraded from before them, not
// backfilled) are never read: every version is judged, so the total is
// never too low. Once the store says they are complete the service uses
// them and stops asking.
func TestHistoryCounts_IncompleteCountsAreNeverUsed(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	// The counts say nothing: were they read, the total would be 0.
	st.SetVersionCountsComplete(false)
	spy := &zeroCounts{countSpy{Store: st}}
	svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	ctx := grievance.NewContext(context.Background(), admin)
	three := 3
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &three}}
	want, err := plain.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want.TotalCount < 20 {
		t.Fatalf("the seed lists %d versions, want 20 at least", want.TotalCount)
	}
	for range 2 {
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != want.TotalCount || spy.counted != 0 {
			t.Fatalf("incomplete counts: totalCount %d with the counts read %d times, want %d from every version and no read",
				got.TotalCount, spy.counted, want.TotalCount)
		}
	}
	if spy.asked != 2 {
		t.Fatalf("completeness asked %d times over 2 lists, want each time while incomplete", spy.asked)
	}

	st.SetVersionCountsComplete(true)
	spy.asked = 0
	for range 2 {
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != 0 {
			t.Fatalf("complete counts: totalCount %d, want the counts' 0", got.TotalCount)
		}
	}
	if spy.counted != 2 || spy.asked != 1 {
		t.Fatalf("complete counts: read %d times, completeness asked %d times; want 2 and 1 (remembered)", spy.counted, spy.asked)
	}
}

// zeroCounts answers every count with nothing, so a total shows whether
// the counts were used.
type zeroCounts struct{ countSpy }

func (s *zeroCounts) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	s.mu.Lock()
	s.counted++
	s.mu.Unlock()
	return map[string]map[string]int{}, nil
}

func (s *zeroCounts) VersionCountsComplete(ctx context.Context) (bool, error) {
	return s.countSpy.VersionCountsComplete(ctx)
}

// A table counted before the pairs (not yet backfilled) says its pairs
// are not complete: a list by two filters judges every version then,
// while one by a single filter still takes its count from the counts.
func TestHistoryCounts_IncompletePairsAreNeverUsed(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	st.SetVersionPairsComplete(false)
	spy := &zeroCounts{countSpy{Store: st}}
	svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	ctx := grievance.NewContext(context.Background(), admin)
	three := 3
	list := func(svc *grievance.Service, fs ...grievance.Filter) int {
		t.Helper()
		p, err := svc.ListTickets(ctx, grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, Page: grievance.PageArgs{First: &three}})
		if err != nil {
			t.Fatal(err)
		}
		return p.TotalCount
	}
	status := grievance.Filter{Field: "status", Lookup: grievance.IContains, Value: "o"}
	mine := grievance.Filter{Field: "attending_staff__id", Lookup: grievance.Exact, Value: ally.ID}
	want := list(plain, status, mine)
	if want == 0 {
		t.Fatal("the seed has no version of the pair")
	}
	if got := list(svc, status, mine); got != want {
		t.Fatalf("pairs not complete: totalCount %d, want %d from every version", got, want)
	}
	if got := list(svc, status); got != 0 {
		t.Fatalf("one filter: totalCount %d, want the counts' 0 (they are complete)", got)
	}
	st.SetVersionPairsComplete(true)
	if got := list(svc, status, mine); got != 0 {
		t.Fatalf("pairs complete: totalCount %d, want the counts' 0", got)
	}
}
