package grievance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// A showHistory list with a text filter ordered by the title or the
// reporter pages through the same rows, in the same order and with the
// same totalCount, read by the live column's runs, as sorting every
// version in memory gives: both ways, for each reader, with titles
// changed into and out of the query, a reporter changed, a deleted
// ticket and tickets the history rows do not vouch for (all read with
// the first runs and merged in), and with the rows read by the count
// (the first page) or beside the postings (the later pages).
func TestHistoryRuns_PagesAsSortingEveryVersion(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	st.SetHistoryRowsPartial(3, 6, 60)
	svc := grievance.NewService(st, rowsNow, grievancetest.IDs(), grievance.Options{History: st})
	plain := oracle(st)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	read := map[string]int{}
	for _, fs := range [][]grievance.Filter{
		{f("title", grievance.IContains, "road")},
		{f("title", grievance.IContains, "water")},
		{f("description", grievance.IContains, "late pay")},
		{f("title", grievance.IContains, "road"), f("status", grievance.IContains, "RE")},
		{f("title", grievance.IContains, "water"), f("reporter_id", grievance.Exact, textReporters[0])},
		{f("description", grievance.IContains, "pay"), f("category", grievance.IContains, "e")},
	} {
		for _, field := range []string{"title", "reporter_id"} {
			for _, order := range []string{field, "-" + field} {
				for _, reader := range []*grievance.Principal{admin, confOfficer, gbvOfficer, officer} {
					q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, OrderBy: []string{order}}
					ctx := grievance.NewContext(context.Background(), reader)
					got, gotTotal := pagedVersions(t, ctx, svc, q)
					want, wantTotal := pagedVersions(t, ctx, plain, q)
					if got != want || gotTotal != wantTotal {
						t.Errorf("%s %v by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, fs, order, got, gotTotal, want, wantTotal)
					}
					one := 1
					q.Page = grievance.PageArgs{First: &one}
					p, err := svc.ListTickets(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if sortedCursor(t, p, field) {
						read[field]++
					}
				}
			}
		}
	}
	if read["title"] == 0 || read["reporter_id"] == 0 {
		t.Errorf("lists read by the runs: %v, want some by each column", read)
	}
}

// caseSeed seeds 120 tickets titled "case 000" to "case 119", with 1 to 3
// versions (created, then OPEN, then IN_PROGRESS), ticket deleted
// deleted and, when retitled, one in twenty retitled in its last version.
func caseSeed(t *testing.T, retitled bool, deleted int) func(*grievancetest.Store) {
	return func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("case %03d", i))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}[:i%3]
			if retitled && i%20 == 7 {
				steps = append(steps, grievance.TicketInput{Title: strp(fmt.Sprintf("case %03d corrected", 119-i))})
			}
			return steps
		}, deleted)
	}
}

// A text search over many tickets ordered by the title reads the
// versions of about a page of its first runs' candidates and of the few
// whose title changed, not of every candidate (which sorting them in
// memory needs).
func TestHistoryRuns_ReadsThePageNotEveryCandidate(t *testing.T) {
	st, plain := seededTwice(caseSeed(t, true, 11))
	ctx := grievance.NewContext(context.Background(), admin)
	for _, order := range []string{"title", "-title"} {
		p, want, read := firstTwenty(t, ctx, st, plain, order, "case")
		// 6 retitled and 1 deleted are read whole; a page of 20 rows is
		// about 10 tickets of 2 versions.
		if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || read > 30 {
			t.Errorf("by %s: %s of %d reading the versions of %d tickets, want %s of %d reading at most 30",
				order, versions(p.Items), p.TotalCount, read, versions(want.Items), want.TotalCount)
		}
	}
}

// A text every ticket holds, ordered by the title, where the first run
// holds more tickets than the page takes: sent again (the client sends a
// search again as its user sorts or pages), the column's first groups,
// read beside the runs, split the run, so the page reads about its own
// tickets and not its run whole (40 of 40 tickets, and on the first
// send), both ways, with the same rows as sorting every version; a run
// the first groups only partly cover is read past them in the same
// order. Where a run holds fewer rows than twice the page (runs of 4, a
// search whose candidates are few) the groups are not read once the
// search was listed.
func TestHistoryRuns_ACrowdedRunReadsThePagesTickets(t *testing.T) {
	st, plain, groupReads, ctx := unrankedCase(t)
	query := historyTitleQuery
	for _, tc := range []struct {
		run, first, again, next int
	}{
		// A page of 20 rows is about 10 tickets of two versions (and
		// the deleted one, read with the first).
		{run: 40, first: 41, again: 13, next: 16},
		// Runs of 24: the first groups (13) cover half the first.
		{run: 24, first: 25, again: 13, next: 16},
		// Runs of 4 (8 rows each): read whole, as before.
		{run: 4, first: 16, again: 16, next: 17},
	} {
		st.OrderRunMembers = tc.run
		for _, order := range []string{"title", "-title"} {
			q, want, spy, svc := caseList(t, ctx, st, plain, order)
			var p *grievance.Page[*grievance.Ticket]
			var err error
			for send, most := range []int{tc.first, tc.again} {
				spy.seqs = 0
				if p, err = svc.ListTickets(ctx, q); err != nil {
					t.Fatal(err)
				}
				if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || spy.seqs > most {
					t.Errorf("runs of %d, by %s, send %d: %s of %d reading the versions of %d tickets, want %s of %d reading at most %d",
						tc.run, order, send+1, versions(p.Items), p.TotalCount, spy.seqs, versions(want.Items), want.TotalCount, most)
				}
			}
			// The next pages, each from its cursor's group: the page before
			// ends anywhere in a run, or at its end.
			for page := 2; page <= 5; page++ {
				q.Page.After, q.WantCount = p.Cursor(len(p.Items)-1), false
				spy.seqs = 0
				if p, err = svc.ListTickets(ctx, q); err != nil {
					t.Fatal(err)
				}
				if len(p.Items) != 20 || spy.seqs > tc.next {
					t.Errorf("runs of %d, by %s, page %d: %d rows reading the versions of %d tickets, want 20 reading at most %d", tc.run, order, page, len(p.Items), spy.seqs, tc.next)
				}
			}
			q.Page.After, q.WantCount = "", true
			got, gotTotal := pagedVersions(t, ctx, svc, q)
			all, allTotal := pagedVersions(t, ctx, plain, q)
			if got != all || gotTotal != allTotal {
				t.Errorf("runs of %d, by %s, every page:\n got %s (%d)\nwant %s (%d)", tc.run, order, got, gotTotal, all, allTotal)
			}
		}
	}
	if groupReads.Load() == 0 {
		t.Error("the crowded search never read the column's first groups")
	}
	st.OrderRunMembers = 40
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st})
	for send := range 2 {
		// Its very first list reads them blind (nothing says the search
		// is few tickets yet).
		groupReads.Store(0)
		if _, err := svc.ListTickets(ctx, query("title", "case 01")); err != nil {
			t.Fatal(err)
		}
		if n := groupReads.Load(); send > 0 && n != 0 {
			t.Errorf("a search of 10 tickets in 120 (7 rows a run), sent again, read the column's first groups %d times, want none", n)
		}
	}
}

// unrankedCase is caseSeed's store with its runs as code before the
// ranks wrote them (split by the column's groups), the oracle, a count of
// the store's group reads and an administrator's context.
func unrankedCase(t *testing.T) (*grievancetest.Store, *grievance.Service, *atomic.Int32, context.Context) {
	st, plain := seededTwice(caseSeed(t, false, 0))
	st.OrderRunsUnranked = true
	return st, plain, countGroupReads(st), grievance.NewContext(context.Background(), admin)
}

// historyTitleQuery is a history list of the versions whose title holds
// text, a page of 20 with totalCount, by order ("": the default order).
func historyTitleQuery(order, text string) grievance.TicketQuery {
	twenty := 20
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty},
		Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: text}}}
	if order != "" {
		q.OrderBy = []string{order}
	}
	return q
}

// caseList is the history search of "case" by order, the oracle's
// answer to it, and a new service (an empty container) over st whose
// reads of versions spy counts.
func caseList(t *testing.T, ctx context.Context, st *grievancetest.Store, plain *grievance.Service, order string) (grievance.TicketQuery, *grievance.Page[*grievance.Ticket], *versionSpy, *grievance.Service) {
	t.Helper()
	q := historyTitleQuery(order, "case")
	want, err := plain.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	spy := &versionSpy{Store: st}
	return q, want, spy, grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
}

// listBoth lists q by the oracle plain and by svc, whose reads of
// versions spy counts from zero.
func listBoth(t *testing.T, ctx context.Context, plain, svc *grievance.Service, spy *versionSpy, q grievance.TicketQuery) (got, want *grievance.Page[*grievance.Ticket]) {
	t.Helper()
	want, err := plain.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	spy.seqs = 0
	if got, err = svc.ListTickets(ctx, q); err != nil {
		t.Fatal(err)
	}
	return got, want
}

// countGroupReads counts st's reads of a column's order postings (its
// groups) from now on.
func countGroupReads(st *grievancetest.Store) *atomic.Int32 {
	var n atomic.Int32
	st.Fail = func(op string) error {
		if strings.HasPrefix(op, "OrderBuckets") {
			n.Add(1)
		}
		return nil
	}
	return &n
}

// firstListsByTitle checks the first history list by the title, both
// ways, of a search of "case" every ticket of st holds (runs of 40 and
// 24, with the column's runs read before by a live list or not), after
// the same search in the default order (defaultFirst) or as its very
// first list: it reads at most 13 tickets' versions and the column's
// groups, and every page matches the oracle plain.
func firstListsByTitle(t *testing.T, ctx context.Context, st *grievancetest.Store, plain *grievance.Service, groupReads *atomic.Int32, defaultFirst bool) {
	t.Helper()
	twenty := 20
	for _, tc := range []struct {
		run, most int
		runsRead  bool // a list by the title read the column's runs before
	}{
		{run: 40, most: 13, runsRead: true},
		{run: 24, most: 13, runsRead: true},
		{run: 40, most: 13},
		{run: 24, most: 13},
	} {
		st.OrderRunMembers = tc.run
		for _, order := range []string{"title", "-title"} {
			q, want, spy, svc := caseList(t, ctx, st, plain, order)
			if tc.runsRead {
				// Another search by the title, in live mode.
				if _, err := svc.ListTickets(ctx, grievance.TicketQuery{OrderBy: []string{order}, Page: grievance.PageArgs{First: &twenty},
					Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "case 01"}}}); err != nil {
					t.Fatal(err)
				}
			}
			if defaultFirst {
				if _, err := svc.ListTickets(ctx, historyTitleQuery("", "case")); err != nil {
					t.Fatal(err)
				}
			}
			groupReads.Store(0)
			spy.seqs = 0
			p, err := svc.ListTickets(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || spy.seqs > tc.most || groupReads.Load() == 0 {
				t.Errorf("runs of %d (runs read before: %v), by %s: %s of %d reading the versions of %d tickets and the groups %d times, want %s of %d reading at most %d",
					tc.run, tc.runsRead, order, versions(p.Items), p.TotalCount, spy.seqs, groupReads.Load(), versions(want.Items), want.TotalCount, tc.most)
			}
			got, gotTotal := pagedVersions(t, ctx, svc, q)
			all, allTotal := pagedVersions(t, ctx, plain, q)
			if got != all || gotTotal != allTotal {
				t.Errorf("runs of %d, by %s, every page:\n got %s (%d)\nwant %s (%d)", tc.run, order, got, gotTotal, all, allTotal)
			}
		}
	}
}

// The first list by the title of a search the client listed before in
// its default order (its user then clicks the column) reads about the
// page's tickets where the search's candidates crowd their first run:
// the candidates remembered from the default order, with the column's
// runs when a list by the title read them lately or with the candidates'
// share of the tickets when none did, say where the page starts, and the
// column's groups read from there split the run. Every page still
// matches sorting every version, and a search of a few tickets reads no
// group.
func TestHistoryRuns_AColumnClickedAfterTheDefaultOrderReadsThePagesTickets(t *testing.T) {
	st, plain, groupReads, ctx := unrankedCase(t)
	query := historyTitleQuery
	firstListsByTitle(t, ctx, st, plain, groupReads, true)
	st.OrderRunMembers = 40
	for _, runsRead := range []bool{true, false} {
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st})
		if runsRead {
			if _, err := svc.ListTickets(ctx, query("title", "case 1")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.ListTickets(ctx, query("", "case 01")); err != nil {
			t.Fatal(err)
		}
		groupReads.Store(0)
		if _, err := svc.ListTickets(ctx, query("title", "case 01")); err != nil {
			t.Fatal(err)
		}
		if n := groupReads.Load(); n != 0 {
			t.Errorf("a search of 10 tickets in 120 by title after its default order (runs read before: %v) read the column's groups %d times, want none", runsRead, n)
		}
	}
}

// The very first list of a search, already by the title (its user typed
// it with the column sorted, or a new container serves it), reads about
// the page's tickets where the search's candidates crowd the column's
// first run: nothing remembered says so, so the column's first groups
// are read beside the postings, blind. A search of a few tickets reads
// the groups for nothing but no more versions, and where the runs read
// lately say the first run cannot crowd a page, no group is read. Every
// page still matches sorting every version.
func TestHistoryRuns_ASearchsVeryFirstListByTheColumnReadsThePagesTickets(t *testing.T) {
	st, plain, groupReads, ctx := unrankedCase(t)
	firstListsByTitle(t, ctx, st, plain, groupReads, false)
	// A search of 10 tickets in 120: the groups read blind buy nothing,
	// and cost no version.
	st.OrderRunMembers = 40
	q := historyTitleQuery("title", "case 01")
	spy := &versionSpy{Store: st}
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
	p, want := listBoth(t, ctx, plain, svc, spy, q)
	if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || spy.seqs > 10 {
		t.Errorf("a search of 10 tickets, its first list by title: %s of %d reading the versions of %d tickets, want %s of %d reading at most 10",
			versions(p.Items), p.TotalCount, spy.seqs, versions(want.Items), want.TotalCount)
	}
	// Runs of 4 tickets, read by a list before: the first cannot crowd a
	// page, and no group is read.
	st.OrderRunMembers = 4
	svc = grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st})
	if _, err := svc.ListTickets(ctx, historyTitleQuery("title", "case 1")); err != nil {
		t.Fatal(err)
	}
	groupReads.Store(0)
	if _, err := svc.ListTickets(ctx, historyTitleQuery("title", "case")); err != nil {
		t.Fatal(err)
	}
	if n := groupReads.Load(); n != 0 {
		t.Errorf("runs of 4 tickets: the first list of a search by title read the column's groups %d times, want none", n)
	}
	st.OrderRunMembers = 40
}

// A title search whose candidates sort together in the column's middle
// (titles made from one pattern, searched by the part that varies) has
// nothing remembered on its very first list by the title, but the runs
// a list by the title read lately each name their first title: where
// those hold the query, the column's groups are read from there, and the
// page reads about its own tickets, both ways, where it read the run
// whole. Every page still matches sorting every version.
func TestHistoryRuns_AVeryFirstTitleSearchIsPlacedByTheRunsFirstTitles(t *testing.T) {
	st, plain := seededTwice(func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("%c %03d", 'A'+i/40, i))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			return []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}
		}, 0)
	})
	st.OrderRunMembers = 40
	st.OrderRunsUnranked = true // runs written before their ranks
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	for _, tc := range []struct {
		order    string
		runsRead bool
		most     int
	}{
		{"title", true, 9}, {"-title", true, 9},
		// Without the runs read before: the column's first groups, read
		// blind, do not reach the candidates, whose run is read whole.
		{"title", false, 41},
	} {
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
		if tc.runsRead {
			// Another search by the title, in live mode.
			if _, err := svc.ListTickets(ctx, grievance.TicketQuery{OrderBy: []string{tc.order}, Page: grievance.PageArgs{First: &twenty},
				Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "a 00"}}}); err != nil {
				t.Fatal(err)
			}
		}
		q := historyTitleQuery(tc.order, "b")
		p, want := listBoth(t, ctx, plain, svc, spy, q)
		if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || spy.seqs > tc.most {
			t.Errorf("by %s (runs read before: %v): %s of %d reading the versions of %d tickets, want %s of %d reading at most %d",
				tc.order, tc.runsRead, versions(p.Items), p.TotalCount, spy.seqs, versions(want.Items), want.TotalCount, tc.most)
		}
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		all, allTotal := pagedVersions(t, ctx, plain, q)
		if got != all || gotTotal != allTotal {
			t.Errorf("by %s, every page:\n got %s (%d)\nwant %s (%d)", tc.order, got, gotTotal, all, allTotal)
		}
	}
}

// A list sent again starts the column's groups at its first row's group
// when that row's run crowded the page (a title search's candidates
// sorting together, after titles that do not hold the query): the page
// reads about its own tickets, both ways. A ticket filed since that sorts
// before the remembered row (in its run, or past the column's end) is
// still listed first, as sorting every version lists it.
func TestHistoryRuns_ARememberedStartListsANewFirstRowFirst(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			title := fmt.Sprintf("a %03d", i)
			if i >= 60 {
				title = fmt.Sprintf("b %03d", i)
			}
			ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(title)})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			return []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}
		}, 0)
	}
	// The oracle's store too gets the ticket filed later.
	st, plainStore := grievancetest.NewStore(), grievancetest.NewStore()
	seed(st)
	seed(plainStore)
	plain := grievance.NewService(noIndex{plainStore}, seededNow, grievancetest.IDs(), grievance.Options{History: uncounted{plainStore}})
	st.OrderRunMembers = 40
	st.OrderRunsUnranked = true // runs written before their ranks
	var filed atomic.Int64
	file := func(title string) {
		n := filed.Add(1)
		for _, s := range []*grievancetest.Store{st, plainStore} {
			ids := func() string { return fmt.Sprintf("00000000-0000-4000-9000-%012d", n) }
			w := &world{st: s, svc: grievance.NewService(s, seededNow, ids, grievance.Options{History: s})}
			if err := w.do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(title)})
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty},
		Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "b"}}}
	// Before the remembered first row: in its run ("b 060", in the run
	// from "a 040"), and past the column's end ("b 119", in the last).
	for _, tc := range []struct{ order, before string }{{"title", "a 045 b"}, {"-title", "b 500"}} {
		q.OrderBy = []string{tc.order}
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
		for send, most := range []int{41, 9, 9} {
			if send == 2 {
				file(tc.before)
			}
			p, want := listBoth(t, ctx, plain, svc, spy, q)
			if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || spy.seqs > most {
				t.Errorf("by %s, send %d: %s of %d reading the versions of %d tickets, want %s of %d reading at most %d",
					tc.order, send+1, versions(p.Items), p.TotalCount, spy.seqs, versions(want.Items), want.TotalCount, most)
			}
		}
	}
	// A first send guessed from the default order's candidates and the
	// runs a list by the title read before: a ticket filed since, sorting
	// in a run before the guessed one or in it, is still listed first.
	// (This store cuts its runs anew from the column's start at each
	// change, so a ticket filed early in the column moves the guessed
	// run's start: its run is then read whole, as without a guess.)
	for _, tc := range []struct {
		order, before string
		most          int
	}{{"title", "a 001 b", 21}, {"title", "a 046 b", 10}, {"-title", "b 501", 10}} {
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
		q.OrderBy = nil
		if _, err := svc.ListTickets(ctx, q); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ListTickets(ctx, grievance.TicketQuery{OrderBy: []string{tc.order}, Page: grievance.PageArgs{First: &twenty},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "a 00"}}}); err != nil {
			t.Fatal(err)
		}
		file(tc.before)
		q.OrderBy = []string{tc.order}
		p, want := listBoth(t, ctx, plain, svc, spy, q)
		if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || !strings.Contains(versions(p.Items), tc.before) || spy.seqs > tc.most {
			t.Errorf("guessed, by %s, %q filed since: %s of %d reading the versions of %d tickets, want %s of %d reading at most %d",
				tc.order, tc.before, versions(p.Items), p.TotalCount, spy.seqs, versions(want.Items), want.TotalCount, tc.most)
		}
	}
}

// staleRows is a store whose history rows have not yet seen any title
// change, as before the consumer reaches it: every ticket looks
// placeable by its live title.
type staleRows struct{ *grievancetest.Store }

func (s staleRows) HistoryRows(ctx context.Context) ([]uint16, error) {
	col, err := s.Store.HistoryRows(ctx)
	for i := range col {
		col[i] &^= uint16(grievance.TextChanged("title"))
	}
	return col, err
}

// A version whose title the runs do not place (the history rows behind
// a change) is still listed, once, where it sorts among the rows still
// to come: a page holds every row the list holds. (Across pages it may
// fall behind a later page's cursor until the consumer catches up, as a
// live ticket whose order postings lag: docs/data-model.md.)
func TestHistoryRuns_AVersionTheRunsMisplaceIsListed(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	stale := staleRows{st}
	svc := grievance.NewService(stale, rowsNow, grievancetest.IDs(), grievance.Options{History: stale})
	plain := oracle(st)
	ctx := grievance.NewContext(context.Background(), admin)
	all := 100
	rows := func(svc *grievance.Service, q grievance.TicketQuery) ([]string, int) {
		p, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		out := strings.Split(versions(p.Items), ", ")
		slices.Sort(out)
		return out, p.TotalCount
	}
	for _, order := range []string{"title", "-title"} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Page: grievance.PageArgs{First: &all},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "point 3"}}}
		got, gotTotal := rows(svc, q)
		want, wantTotal := rows(plain, q)
		if !slices.Equal(got, want) || gotTotal != wantTotal || gotTotal > all || !slices.ContainsFunc(want, func(r string) bool { return strings.HasSuffix(r, "Water point 3") }) {
			t.Errorf("by %s:\n got %v (%d)\nwant %v (%d)", order, got, gotTotal, want, wantTotal)
		}
	}
}

// Candidates the runs cannot place (here every ticket partial in the
// history rows, as before the backfill's pass) are read with the first
// runs only while their versions fit the read budget; past it the list
// is refused, as sorting them in memory is, instead of read whole.
func TestHistoryRuns_LooseCandidatesPastTheBudgetAreRefused(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	st.SetHistoryRowsPartial(seqsTo(90)...)
	ctx := grievance.NewContext(context.Background(), admin)
	three := 3
	// No totalCount: the count's judging of every partial candidate
	// would refuse it first.
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, OrderBy: []string{"title"}, Page: grievance.PageArgs{First: &three},
		Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "road"}}}
	for _, tc := range []struct {
		budget int
		code   grievance.Code
	}{{40, grievance.CodeLimit}, {1000, ""}} {
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, rowsNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: tc.budget})
		_, err := svc.ListTickets(ctx, q)
		if got := grievance.ErrorCode(err); got != tc.code {
			t.Errorf("read budget %d: error %v, want code %q", tc.budget, err, tc.code)
		}
	}
}

// Where the store ranks a run's members (the order of their groups in the
// run), a history list by the title whose candidates crowd a run reads
// about the page's tickets on any list, its very first in a new container
// too (whose blind read of the column's first groups is the only one): with candidates at the
// column's start or in its middle, titles whose order is not the
// tickets' numbers', both ways, and on the next pages a new container
// serves (the parts before the cursor's ticket are passed, and the
// page's versions read at once). Every page still matches sorting
// every version, titles corrected since filing among them.
func TestHistoryRuns_RankedRunsReadThePagesTicketsOnAVeryFirstList(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			// Numbered out of the tickets' order: 37 is prime to 120.
			k := i * 37 % 120
			ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("%c case %03d", 'a'+k/40, k))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}[:i%3]
			if i%20 == 7 {
				steps = append(steps, grievance.TicketInput{Title: strp(fmt.Sprintf("b case %03d corrected", 119-i))})
			}
			return steps
		}, 0)
	}
	st, plain := seededTwice(seed)
	st.OrderRunMembers = 40
	groupReads := countGroupReads(st)
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range []struct {
		text, order string
		most        int
	}{
		// Every ticket: the column's first run (last, descending). A
		// page is about 12 tickets and a part of the run (5 of its 40)
		// more at most, and the 7 candidates no run places (6 corrected
		// titles) are read with it, the corrected ones once more on the
		// first for the count: 30 where the run read whole is 47.
		{"case", "title", 30}, {"case", "-title", 30},
		// The middle run's 40 tickets, and corrected titles beside.
		{"b case", "title", 30}, {"b case", "-title", 30},
	} {
		q := historyTitleQuery(tc.order, tc.text)
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
		groupReads.Store(0)
		p, want := listBoth(t, ctx, plain, svc, spy, q)
		if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || spy.seqs > tc.most || groupReads.Load() > 1 {
			t.Errorf("%q by %s, a new container's first list: %s of %d reading the versions of %d tickets and the groups %d times, want %s of %d reading at most %d and the groups once at most",
				tc.text, tc.order, versions(p.Items), p.TotalCount, spy.seqs, groupReads.Load(), versions(want.Items), want.TotalCount, tc.most)
		}
		for page := 2; page <= 3; page++ {
			// Each next page from a container that served none before
			// (nothing remembered places it): the parts before the
			// cursor's ticket are passed, and the page reads about 12
			// tickets, the cursor's part (5) and a part more at most, and
			// the 7 no run places: 29 where the run read whole is 47.
			// A cursor at a corrected title's row (no part places it)
			// reads its run whole, 40 tickets, with the page.
			most := 29
			if p.Items[len(p.Items)-1].Seq%20 == 8 {
				most = 59
			}
			q.Page.After, q.WantCount = p.Cursor(len(p.Items)-1), false
			var err error
			spy.seqs, spy.calls = 0, 0
			next := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
			if p, err = next.ListTickets(ctx, q); err != nil {
				t.Fatal(err)
			}
			// One read of versions: the page's, in its round trip.
			if len(p.Items) != 20 || spy.seqs > most || spy.calls != 1 {
				t.Errorf("%q by %s, page %d: %d rows reading the versions of %d tickets in %d reads, want 20 reading at most %d in one", tc.text, tc.order, page, len(p.Items), spy.seqs, spy.calls, most)
			}
		}
		q.Page.After, q.WantCount = "", true
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		all, allTotal := pagedVersions(t, ctx, plain, q)
		if got != all || gotTotal != allTotal {
			t.Errorf("%q by %s, every page:\n got %s (%d)\nwant %s (%d)", tc.text, tc.order, got, gotTotal, all, allTotal)
		}
	}
}
