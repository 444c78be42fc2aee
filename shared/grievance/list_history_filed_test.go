package grievance_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// triageSeed gives a store 400 tickets of 2 to 4 versions, one in ten
// filed under the category Anon: triage moves most of those to another
// category as it opens them (and a few back as it starts on them),
// leaves some in Anon, raises half the Low priorities to High, assigns
// one ticket in five to a staff member, and corrects the title of a few
// before (a second version still RECEIVED
// and Anon); a third of all are then started (IN_PROGRESS); one is
// deleted.
func triageSeed(t *testing.T) func(*grievancetest.Store) {
	return func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 400 {
			cat := []string{"Open", "Secret"}[i%7/6]
			if i%10 == 3 {
				cat = "Anon"
			}
			ins = append(ins, grievance.TicketInput{Category: strp(cat), Priority: strp([]string{"High", "Low"}[i%2]), Title: strp(fmt.Sprintf("case %03d", (i*7)%400))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			var steps []grievance.TicketInput
			if i%80 == 23 {
				steps = append(steps, grievance.TicketInput{Title: strp(fmt.Sprintf("case %03d corrected", i))})
			}
			open := grievance.TicketInput{Status: strp("OPEN")}
			if i%10 == 3 && i%100 != 13 {
				open.Category = strp([]string{"Open", "Secret"}[i%3/2])
			}
			if i%4 == 1 {
				open.Priority = strp("High")
			}
			if i%5 == 2 {
				open.AttendingStaffID = strp(staff.ID)
			}
			steps = append(steps, open)
			switch {
			case i%20 == 13 && i%100 != 13: // back to the intake category
				steps = append(steps, grievance.TicketInput{Status: strp("IN_PROGRESS"), Category: strp("Anon")})
			case i%3 == 0:
				steps = append(steps, grievance.TicketInput{Status: strp("IN_PROGRESS")})
			}
			return steps
		}, 143)
	}
}

// A history list of the panel's values whose rows are the tickets' first
// versions (filed under a category triage later moved, with the status a
// ticket is created with), their newest (the status they hold now), or
// both (a category moved back), reads those versions alone, and ordered
// by the version descending places them in their groups without reading
// the versions between: the filed and live postings (FiledKey) and the
// history rows' count of each candidate's matching versions say where
// its rows are. Every order pages through the rows sorting every version
// gives, for an administrator and officers a category is hidden from or
// not, with each row's live version known (isHistory).
func TestHistoryFiled_RowsOfTheFirstVersionAreReadAlone(t *testing.T) {
	st, plain := seededTwice(triageSeed(t))
	for _, tc := range []struct {
		name    string
		filters []grievance.Filter
		// items: the most versions a first page of ten by the version
		// descending reads for the administrator: each group's version
		// of its tickets, in the groups of their rows' first and newest
		// versions alone where the columns and postings place them
		// (11–15; 13–40 while a ticket's rows were read for its first
		// group, 58–110 before they were placed).
		items int
	}{
		{"the intake category", []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Anon"}}, 16},
		{"the intake category and status", []grievance.Filter{{Field: "category", Lookup: grievance.IContains, Value: "anon"},
			{Field: "status", Lookup: grievance.IContains, Value: "RECEIVED"}}, 17},
		{"the intake category, moved back", []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Anon"},
			{Field: "status", Lookup: grievance.IContains, Value: "PROGRESS"}}, 12},
		{"the status of the live version", []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}}, 12},
	} {
		for _, order := range []string{"-version", "version", "title", "-status", "priority", "reporter_id"} {
			for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
				ctx := grievance.NewContext(context.Background(), reader)
				spy := &versionSpy{Store: st}
				svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 2000})
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Filters: tc.filters}
				want, wantTotal := pagedVersions(t, ctx, plain, q)
				got, gotTotal := pagedVersions(t, ctx, svc, q)
				if got != want || gotTotal != wantTotal {
					t.Errorf("%s %s by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, tc.name, order, got, gotTotal, want, wantTotal)
				}
				if reader != admin || order != "-version" {
					continue
				}
				if read := pageOfTenReads(t, ctx, st, svc, plain, spy, q, tc.name); read > tc.items {
					t.Errorf("%s by the version descending: read %d versions for a page of ten, want at most %d", tc.name, read, tc.items)
				}
			}
		}
	}
}

// spiedAsSorted pages through q as reader, 25 rows a page, with a
// service reading versions through a spy, against sorting every version
// (plain), and returns them for a count of the versions a page reads.
func spiedAsSorted(t *testing.T, st *grievancetest.Store, plain *grievance.Service, reader *grievance.Principal, q grievance.TicketQuery, name string) (context.Context, *grievance.Service, *versionSpy) {
	t.Helper()
	ctx := grievance.NewContext(context.Background(), reader)
	spy := &versionSpy{Store: st}
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 2000})
	want, wantTotal := pagedVersionsBy(t, ctx, plain, q, 25)
	got, gotTotal := pagedVersionsBy(t, ctx, svc, q, 25)
	if got != want || gotTotal != wantTotal {
		t.Errorf("%s %s by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, name, q.OrderBy[0], got, gotTotal, want, wantTotal)
	}
	return ctx, svc, spy
}

// pageOfTenReads is how many versions the first page of ten of q reads
// through spy, the page checked against sorting every version (plain),
// with each row's live version known (isHistory: a row read alone, or
// with its ticket's other rows, knows it from the history rows).
func pageOfTenReads(t *testing.T, ctx context.Context, st *grievancetest.Store, svc, plain *grievance.Service, spy *versionSpy, q grievance.TicketQuery, name string) int {
	t.Helper()
	ten := 10
	q.Page = grievance.PageArgs{First: &ten}
	spy.items = 0
	page := pageAsSorted(t, ctx, svc, plain, q, name)
	for _, row := range page.Items {
		live, err := st.Ticket(ctx, row.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := page.LiveVersions[row.ID]; !live.IsDeleted && (!ok || v != live.Version) {
			t.Errorf("%s: row %d.%d's live version %d (known %v), want %d", name, row.Seq, row.Version, v, ok, live.Version)
		}
	}
	return spy.items
}

// Where the counts of versions give a placed list's total, the columns
// only place its rows: a list whose candidates the columns cannot count
// (partial, before the history pass) past what the read budget lets it
// judge is read as without them, not refused.
func TestHistoryFiled_PartialCandidatesPastTheBudgetAreReadNotRefused(t *testing.T) {
	st, plain := seededTwice(triageSeed(t))
	var partial []int64
	for n := int64(1); n <= 400; n += 3 {
		partial = append(partial, n) // started (IN_PROGRESS now): 134 tickets, 3 or 4 versions
	}
	st.SetHistoryRowsPartial(partial...)
	ctx := grievance.NewContext(context.Background(), admin)
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st, HistoryReadBudget: 120})
	for _, order := range []string{"priority", "-priority"} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order},
			Filters: []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}}}
		want, wantTotal := pagedVersions(t, ctx, plain, q)
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		if got != want || gotTotal != wantTotal {
			t.Errorf("by %s:\n got %s (%d)\nwant %s (%d)", order, got, gotTotal, want, wantTotal)
		}
	}
}

// A history list whose rows are the versions between a ticket's first
// and its newest (the status OPEN of a ticket since started), or from
// its second version on (a priority triage raised, a staff member it
// assigned, as it opened the ticket), reads those versions alone: the history rows' count of each
// candidate's matching versions is all of them but its first and
// newest, or all but its first, where the filed and live postings lack
// it (a placement by what they lack is checked by its read, the rows
// found there must be the count: a removed ticket's newest, which
// TestHistorySorted_PagesAsSortingEveryVersion's seed holds). Every
// order pages through the rows sorting every version gives, for an
// administrator and officers a category is hidden from or not.
func TestHistoryFiled_RowsBetweenTheFirstAndTheNewestAreReadAlone(t *testing.T) {
	st, plain := seededTwice(triageSeed(t))
	for _, tc := range []struct {
		name    string
		filters []grievance.Filter
		order   string
		// items: the most versions a first page of ten in order reads
		// for the administrator: 11, 26, 13, 14 and 24 (each
		// candidate's versions before session 51: 44, 50, 21, 186 and
		// 29; before session 57's groups by the pair columns: 24, 43,
		// 13, 106 and 24, the staff member's by the status reading
		// every candidate in the RECEIVED group, which holds none of
		// their rows).
		items int
	}{
		{"the status held mid-life", []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "OPEN"}}, "-priority", 11},
		{"the raised priority", []grievance.Filter{{Field: "priority", Lookup: grievance.Exact, Value: "High"}}, "-status", 26},
		{"the raised priority while open", []grievance.Filter{{Field: "priority", Lookup: grievance.IContains, Value: "hig"},
			{Field: "status", Lookup: grievance.IContains, Value: "OPEN"}}, "title", 15},
		{"the staff member assigned at opening", []grievance.Filter{{Field: "attending_staff__id", Lookup: grievance.Exact, Value: staff.ID}}, "-status", 14},
		{"the intake category, corrected", []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Anon"},
			{Field: "status", Lookup: grievance.Exact, Value: "RECEIVED"}}, "-title", 26},
	} {
		pagesInEveryOrder(t, st, plain, tc.name, tc.filters, tc.order, []string{"-version", "version", "title", "-status", "priority", "reporter_id"}, tc.items)
	}
}

// pagesInEveryOrder checks that a history list of filters pages, in
// order and in each of others, through the rows sorting every version
// gives, for an administrator and officers a category is hidden from or
// not, and that the administrator's first page of ten in order reads at
// most items versions.
func pagesInEveryOrder(t *testing.T, st *grievancetest.Store, plain *grievance.Service, name string, filters []grievance.Filter, order string, others []string, items int) {
	t.Helper()
	orders := []string{order}
	for _, o := range others {
		if o != order {
			orders = append(orders, o)
		}
	}
	for _, by := range orders {
		for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{by}, Filters: filters}
			ctx, svc, spy := spiedAsSorted(t, st, plain, reader, q, name)
			if reader != admin || by != order {
				continue
			}
			if read := pageOfTenReads(t, ctx, st, svc, plain, spy, q, name); read > items {
				t.Errorf("%s by %s: read %d versions for a page of ten, want at most %d", name, by, read, items)
			}
		}
	}
}

// A history list by the version reads, of each ticket a group offers,
// that group's version alone, where reading the ticket's rows for its
// first group read every version it holds a row at (a staff member
// assigned at opening: the ticket's second version to its newest, two
// or three items for the one row the page by the version descending
// takes of most tickets), and a candidate whose rows a run between its
// first and its newest version holds is put in those versions' groups
// alone where the filed postings are complete and its ticket live (a
// status held mid-life was read in its newest version's group for
// nothing). Both ways, every reader pages through the rows sorting every
// version gives, each row's live version known; the administrator's
// first page of ten reads at most desc and asc versions, and an officer
// a category is hidden from (the guard judges each row by its live
// ticket, read beside) at most officer by the version descending: the
// live ticket stands for the newest version.
func TestHistoryByVersion_EachGroupReadsItsVersionAlone(t *testing.T) {
	st, plain := seededTwice(triageSeed(t))
	for _, tc := range []struct {
		name    string
		filters []grievance.Filter
		// desc, asc: the most versions a first page of ten reads for the
		// administrator by the version descending and ascending (11 and
		// 11, 11 and 11, 15 and 15, 29 and 32; each ticket's rows read
		// for its first group before: 30 and 85, 34 and 30, 261 and 323,
		// 32 and 32); officer: for the officer by the version descending
		// (0, 15, 39, 17; 42, 43, 287, 17 before).
		desc, asc, officer int
	}{
		{"the staff member assigned at opening", []grievance.Filter{{Field: "attending_staff__id", Lookup: grievance.Exact, Value: staff.ID}}, 12, 12, 1},
		{"the raised priority", []grievance.Filter{{Field: "priority", Lookup: grievance.Exact, Value: "High"}}, 12, 12, 16},
		{"the status held mid-life", []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "OPEN"}}, 16, 16, 40},
		{"a title, corrected", []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "corrected"}}, 30, 33, 18},
	} {
		for _, order := range []string{"-version", "version"} {
			for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Filters: tc.filters}
				ctx, svc, spy := spiedAsSorted(t, st, plain, reader, q, tc.name)
				if reader == officer && order == "-version" {
					if read := pageOfTenReads(t, ctx, st, svc, plain, spy, q, tc.name); read > tc.officer {
						t.Errorf("officer %s by %s: read %d versions for a page of ten, want at most %d", tc.name, order, read, tc.officer)
					}
				}
				if reader != admin {
					continue
				}
				most := tc.desc
				if order == "version" {
					most = tc.asc
				}
				if read := pageOfTenReads(t, ctx, st, svc, plain, spy, q, tc.name); read > most {
					t.Errorf("%s by %s: read %d versions for a page of ten, want at most %d", tc.name, order, read, most)
				}
			}
		}
	}
}

// Where a table's filed postings are not complete (tickets indexed
// before them, until the history pass), a ticket missing from them may
// have been filed with the value: a candidate whose rows the count and
// the postings would place between its first version and its newest is
// kept in its first version's group too. Here half the tickets were
// filed with the staff member, moved to another and given back (their
// rows the first and the newest), the other half assigned at opening
// (the second and the newest; one of them deleted since), and the first
// half is unfiled: every reader pages through both halves' rows both
// ways.
func TestHistoryByVersion_UnfiledTicketsKeepTheirFirstVersionsGroup(t *testing.T) {
	var unfiled []int64
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 60 {
			in := grievance.TicketInput{Category: strp("Open"), Title: strp(fmt.Sprintf("case %03d", i))}
			if i%2 == 0 {
				in.AttendingStaffID = strp(staff.ID)
			}
			ins = append(ins, in)
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			if i%2 == 0 {
				return []grievance.TicketInput{{AttendingStaffID: strp(officer.ID)}, {Status: strp("OPEN"), AttendingStaffID: strp(staff.ID)}}
			}
			return []grievance.TicketInput{{Status: strp("OPEN"), AttendingStaffID: strp(staff.ID)}, {Priority: strp("High")}}
		}, 57)
	}
	st, plain := seededTwice(seed)
	for n := int64(1); n <= 60; n += 2 {
		unfiled = append(unfiled, n)
	}
	st.SetUnfiled(unfiled...)
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true,
		Filters: []grievance.Filter{{Field: "attending_staff__id", Lookup: grievance.Exact, Value: staff.ID}}}
	for _, order := range []string{"-version", "version"} {
		for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
			ctx := grievance.NewContext(context.Background(), reader)
			svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st, HistoryReadBudget: 2000})
			q.OrderBy = []string{order}
			want, wantTotal := pagedVersionsBy(t, ctx, plain, q, 25)
			got, gotTotal := pagedVersionsBy(t, ctx, svc, q, 25)
			if got != want || gotTotal != wantTotal {
				t.Errorf("%s by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, order, got, gotTotal, want, wantTotal)
			}
		}
	}
}

// For a reader a category is hidden from, the rows of a candidate never
// in it are placed as for anyone: its count is its versions passing the
// filters. One ever in it may hold fewer rows than that (a version in
// the hidden category), so it is not placed: its versions are judged.
// Here every ticket held IN_PROGRESS mid-life; one in sixteen was filed
// in Secret (hidden from the officer), went IN_PROGRESS there and moved
// to Open after, so the officer's row is its third version, not its
// second. Both ways, the officer pages through the rows sorting every
// version gives, and their first page of ten reads at most 44 versions:
// the page's, the five judged tickets' four each for the count and
// their first for the ascending first group (117 and 181 before: every
// candidate's versions above its row's group).
func TestHistoryByVersion_ASightAffectedReadersRowsArePlaced(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 80 {
			ins = append(ins, grievance.TicketInput{Category: strp([]string{"Open", "Secret"}[min(i%16, 1)^1]), Title: strp(fmt.Sprintf("case %03d", i))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			if i%16 == 0 {
				return []grievance.TicketInput{{Status: strp("IN_PROGRESS")}, {Category: strp("Open")}, {Status: strp("OPEN")}}
			}
			return []grievance.TicketInput{{Status: strp("IN_PROGRESS")}, {Status: strp("OPEN")}}
		}, 0)
	}
	st, plain := seededTwice(seed)
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true,
		Filters: []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}}}
	for _, order := range []string{"-version", "version"} {
		q.OrderBy = []string{order}
		ctx, svc, spy := spiedAsSorted(t, st, plain, officer, q, "IN_PROGRESS")
		if read := pageOfTenReads(t, ctx, st, svc, plain, spy, q, "IN_PROGRESS"); read > 44 {
			t.Errorf("by %s: read %d versions for a page of ten, want at most 44", order, read)
		}
	}
}

// A history list whose rows are some of the versions between a ticket's
// first and its newest, not all (a complaint resolved, reopened and
// resolved again holds RESOLVED at its fourth and its seventh versions,
// OPEN at its second and fifth, IN_PROGRESS at its third and sixth),
// reads those tickets from their second version on, or up to the one
// before their newest, where the filed and live postings say an end holds
// no row: the count of their rows checks the read. Ordered by the
// priority, a ticket filed at Medium and triaged to High or Low as it
// opened is read in the groups of the priorities the status's pair
// columns count its rows at, not in every group it held (Medium first,
// descending, holding a third of the rows), and by the status or the
// category (a fifth recategorised at triage), a ticket triaged to High
// is read in the groups it held at High alone (the pair columns the other
// way round). Every order pages through
// the rows sorting every version gives, for an administrator and
// officers a category is hidden from or not; the administrator's first
// page of ten reads at most items versions in the row's order.
func TestHistoryFiled_ReopenedTicketsReadTheirRowsVersionsAndGroups(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			ins = append(ins, grievance.TicketInput{Category: strp([]string{"Open", "Secret"}[i%7/6]),
				Priority: strp("Medium"), Title: strp(fmt.Sprintf("case %03d", (i*7)%120))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			var steps []grievance.TicketInput
			for _, s := range []string{"OPEN", "IN_PROGRESS", "RESOLVED", "OPEN", "IN_PROGRESS", "RESOLVED"}[:[]int{6, 3, 3, 2}[i%4]] {
				steps = append(steps, grievance.TicketInput{Status: strp(s)})
			}
			if i%4 == 0 && i%8 != 0 {
				steps = steps[:5] // reopened and at work again
			}
			if i%3 != 0 {
				steps[0].Priority = strp([]string{"High", "Low"}[i%2])
			}
			if i%5 == 2 {
				steps[0].Category = strp("Anon") // recategorised at triage
			}
			return steps
		}, 41)
	}
	st, plain := seededTwice(seed)
	status := func(v string) grievance.Filter {
		return grievance.Filter{Field: "status", Lookup: grievance.Exact, Value: v}
	}
	for _, tc := range []struct {
		name   string
		filter grievance.Filter
		order  string
		// items: the most versions the administrator's first page of ten
		// in order reads (each reopened candidate's every version, in
		// every group it held, before: 61, 127, 133, 38, 44, 45, 51,
		// 51, 20 and 35).
		items int
	}{
		{"RESOLVED", status("RESOLVED"), "priority", 25},
		{"RESOLVED", status("RESOLVED"), "-priority", 21},
		{"IN_PROGRESS", status("IN_PROGRESS"), "-priority", 22},
		{"RESOLVED", status("RESOLVED"), "title", 35},
		{"IN_PROGRESS", status("IN_PROGRESS"), "title", 29},
		{"OPEN", status("OPEN"), "reporter_id", 27},
		{"the priority triage raised", grievance.Filter{Field: "priority", Lookup: grievance.Exact, Value: "High"}, "-status", 37},
		{"the priority triage raised", grievance.Filter{Field: "priority", Lookup: grievance.Exact, Value: "High"}, "status", 31},
		{"the priority triage raised", grievance.Filter{Field: "priority", Lookup: grievance.Exact, Value: "High"}, "-category", 17},
		{"RESOLVED", status("RESOLVED"), "category", 22},
	} {
		pagesInEveryOrder(t, st, plain, tc.name, []grievance.Filter{tc.filter}, tc.order,
			[]string{"-version", "version", "title", "-status", "priority", "-priority", "category", "-category", "-reporter_id"}, tc.items)
	}
}

// A ticket the pair columns have not counted every version of (PairsValue
// says so) stays in every group it held: their zero is no count, and its
// rows are listed where its versions hold them.
func TestHistoryFiled_TicketsThePairsDidNotCountKeepTheirGroups(t *testing.T) {
	st, plain := seededTwice(triageSeed(t))
	var unpaired []int64
	for n := int64(1); n <= 400; n += 3 {
		unpaired = append(unpaired, n)
	}
	st.ForgetPairs(unpaired...)
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st, HistoryReadBudget: 2000})
	for _, tc := range []struct {
		filter grievance.Filter
		order  string
	}{
		{grievance.Filter{Field: "status", Lookup: grievance.Exact, Value: "OPEN"}, "-priority"},
		{grievance.Filter{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}, "category"},
		{grievance.Filter{Field: "attending_staff__id", Lookup: grievance.Exact, Value: staff.ID}, "-status"},
	} {
		for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
			ctx := grievance.NewContext(context.Background(), reader)
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{tc.order}, Filters: []grievance.Filter{tc.filter}}
			want, wantTotal := pagedVersionsBy(t, ctx, plain, q, 25)
			got, gotTotal := pagedVersionsBy(t, ctx, svc, q, 25)
			if got != want || gotTotal != wantTotal {
				t.Errorf("%s %s by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, tc.filter.Field, tc.order, got, gotTotal, want, wantTotal)
			}
		}
	}
}
