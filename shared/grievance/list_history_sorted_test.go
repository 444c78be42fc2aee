package grievance_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// sortSpy records the walks of the history sort indexes: how many, and
// the ranges they started after.
type sortSpy struct {
	*grievancetest.Store
	mu     sync.Mutex
	walks  int
	afters []int64
}

func (s *sortSpy) ScanTicketHistorySorted(ctx context.Context, r grievance.TicketRange, sift grievance.HistorySift, fn func(*grievance.Ticket) (bool, error)) error {
	s.mu.Lock()
	s.walks++
	s.afters = append(s.afters, r.After)
	s.mu.Unlock()
	return s.Store.ScanTicketHistorySorted(ctx, r, sift, fn)
}

// pagedVersions pages through q's list with each page's end cursor,
// three rows a page, and names the rows (number.version), with the first
// page's totalCount.
func pagedVersions(t *testing.T, ctx context.Context, svc *grievance.Service, q grievance.TicketQuery) (string, int) {
	t.Helper()
	return pagedVersionsBy(t, ctx, svc, q, 3)
}

// pagedVersionsBy is pagedVersions with pages of size rows.
func pagedVersionsBy(t *testing.T, ctx context.Context, svc *grievance.Service, q grievance.TicketQuery, size int) (string, int) {
	t.Helper()
	q.Page = grievance.PageArgs{First: &size}
	var rows []string
	total := -1
	for range 100 {
		p, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if total < 0 {
			total = p.TotalCount
		}
		rows = append(rows, versions(p.Items))
		if !p.HasNextPage {
			return strings.Join(rows, " "), total
		}
		q.Page.After = p.Cursor(len(p.Items) - 1)
		q.WantCount = false
	}
	t.Fatal("more than 100 pages")
	return "", 0
}

// A showHistory list ordered by one of the web client's columns pages
// through the same rows, in the same order and with the same totalCount,
// read from the history sort index (each later page starting after the
// cursor's row) as sorting every version in memory gives, for every
// column both ways, the panel's value filters, text filters (the walk
// kept to the history postings' candidates) and readers a category
// restricts; where the index cannot serve (a column hidden from the
// reader) the list sorts in memory as before.
func TestHistorySorted_PagesAsSortingEveryVersion(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	spy := &sortSpy{Store: st}
	sorted := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	sorted.SetWalkAmongMin(1) // the seed's few candidates walk too
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	walked, lists := 0, 0
	for _, fs := range [][]grievance.Filter{
		nil,
		{f("status", grievance.IContains, "OPEN")},
		{f("category", grievance.Exact, "Open")},
		{f("priority", grievance.IContains, "high")},
		{f("attending_staff__id", grievance.Exact, staff.ID)},
		{f("status", grievance.IContains, "res"), f("category", grievance.IContains, "SECRET")},
		{f("status", grievance.IContains, "z")}, // no status passes
		{f("title", grievance.IContains, "case 1")},
		{f("title", grievance.IContains, "case"), f("status", grievance.IContains, "o")},
		{f("code", grievance.IContains, "0000001")},
		{f("description", grievance.IContains, "x"), f("priority", grievance.IContains, "high")},
	} {
		for _, field := range grievance.HistorySortIndexed {
			for _, order := range []string{field, "-" + field} {
				for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer, confOfficer} {
					q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, OrderBy: []string{order}}
					ctx := grievance.NewContext(context.Background(), reader)
					before := spy.walks
					got, gotTotal := pagedVersions(t, ctx, sorted, q)
					want, wantTotal := pagedVersions(t, ctx, plain, q)
					if got != want || gotTotal != wantTotal {
						t.Errorf("%s %v by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, fs, order, got, gotTotal, want, wantTotal)
					}
					// One officer's list, a code's, a category's, a
					// priority's or a status's by another column is read
					// by their tickets (the groups, the runs), not walked
					// for (postingsFirst).
					byStatus := strings.TrimPrefix(order, "-") == "status"
					byTickets := slices.ContainsFunc(fs, func(f grievance.Filter) bool {
						return slices.Contains([]string{"attending_staff__id", "code", "category", "priority"}, f.Field) ||
							f.Field == "status" && !byStatus
					})
					if reader == admin && byTickets && spy.walks > before {
						t.Errorf("admin %v by %s: walked a sort index, want their tickets read", fs, order)
					}
					// A list without a filter, or by a status ordered by
					// the status, is walked; an administrator's always
					// (none passes: nothing to walk).
					panel := !byTickets && !slices.ContainsFunc(fs, func(f grievance.Filter) bool {
						return f.Field == "title" || f.Field == "description" || f.Value == "z"
					})
					if panel {
						lists++
						if spy.walks > before {
							walked++
						}
					}
					if reader == admin && panel && spy.walks == before {
						t.Errorf("admin %v by %s: no sort index walked", fs, order)
					}
				}
			}
		}
	}
	if walked < lists/2 { // a column hidden from the reader: none
		t.Errorf("%d lists of %d read a sort index, want most", walked, lists)
	}
	later := 0
	for _, a := range spy.afters {
		if a > 0 {
			later++
		}
	}
	if later == 0 {
		t.Error("no later page started after its cursor's row")
	}
}

// The index items a sparse filter passes over are bounded as the
// versions read are: past ten a version of the read budget, the list is
// refused as one reading too many versions, not walked to the end (here
// a status no version held, without the text index whose postings would
// say so: no row is ever kept).
func TestHistorySorted_PassingOverTooManyIsRefused(t *testing.T) {
	st, _, _, now := seededVersions(t)
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range []struct {
		budget int
		code   grievance.Code
	}{{1, grievance.CodeLimit}, {100, ""}} {
		svc := grievance.NewService(noIndex{st}, now, grievancetest.IDs(), grievance.Options{History: &sortSpy{Store: st}, HistoryReadBudget: tc.budget})
		_, err := svc.ListTickets(ctx, grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{"title"},
			Filters: []grievance.Filter{{Field: "status", Lookup: grievance.IContains, Value: "clos"}}})
		if got := grievance.ErrorCode(err); got != tc.code {
			t.Errorf("read budget %d: error %v, want code %q", tc.budget, err, tc.code)
		}
	}
}

// A text search's candidates are read and sorted, not walked for: they
// lie where their text does, often among the oldest tickets, which a
// walk newest first within each value reaches last.
func TestHistorySorted_TextSearchCandidatesAreReadNotWalkedFor(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	for _, tc := range []struct {
		reader *grievance.Principal
		fs     []grievance.Filter
	}{
		{admin, []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "case 1"}}},
		{officer, []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "case"}}},
	} {
		spy := &sortSpy{Store: st}
		svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
		svc.SetWalkAmongMin(1) // however many they are
		ctx := grievance.NewContext(context.Background(), tc.reader)
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{"-priority"}, Filters: tc.fs}
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		want, wantTotal := pagedVersions(t, ctx, plain, q)
		if got != want || gotTotal != wantTotal || spy.walks != 0 {
			t.Errorf("%s %v: got %s (%d) with %d walks, want %s (%d) and none", tc.reader.Username, tc.fs, got, gotTotal, spy.walks, want, wantTotal)
		}
	}
}

// A filter on the sort column itself: the walk starts at the first value
// it passes and ends past the last, passing over no other value's rows
// (which here would pass the bound of ten a version of a read budget of
// 3, and be refused) in either direction.
func TestHistorySorted_AFilterOnTheColumnWalksItsValuesOnly(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: &sortSpy{Store: st}, HistoryReadBudget: 3})
	ctx := grievance.NewContext(context.Background(), admin)
	for _, order := range []string{"status", "-status"} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order},
			Filters: []grievance.Filter{{Field: "status", Lookup: grievance.Exact, Value: "RESOLVED"}}}
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		want, wantTotal := pagedVersions(t, ctx, plain, q)
		if got != want || gotTotal != wantTotal || wantTotal == 0 {
			t.Errorf("by %s: got %s (%d), want %s (%d)", order, got, gotTotal, want, wantTotal)
		}
	}
}

// A reader the sight rule affects (a restricted category hidden from an
// officer cleared for the anonymized fields) starts the walk of the
// column's sort index beside the history postings; where the postings then name too
// few candidates to walk among (the seed's dozen, under walkAmongMin),
// the plan drops it: the list is the candidates' versions sorted, as
// before, and the dropped walk ends with the request (no goroutine
// left waiting for candidates or for a reader).
func TestHistorySorted_AWalkStartedAheadAndNotTakenEnds(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	spy := &sortSpy{Store: st}
	svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: spy})
	ctx := grievance.NewContext(context.Background(), confOfficer)
	before := runtime.NumGoroutine()
	for _, order := range []string{"title", "-reporter_id"} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}}
		got, gotTotal := pagedVersions(t, ctx, svc, q)
		want, wantTotal := pagedVersions(t, ctx, plain, q)
		if got != want || gotTotal != wantTotal {
			t.Errorf("by %s: got %s (%d), want %s (%d)", order, got, gotTotal, want, wantTotal)
		}
	}
	if spy.walks == 0 {
		t.Error("no walk started ahead")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the lists, %d before: a walk started ahead outlived its request", n, before)
	}
}

// One person's history (the reporter or the staff picker) or a code's,
// ordered by any of the web client's columns, is read by their tickets,
// which the history postings name: the same rows as sorting every
// version, where a walk of the sort index from its top passed over every
// other ticket's versions and was refused past ten times the read
// budget, and its last page over every item after the person's last. A
// person with a hundred tickets is read so too, page after page.
func TestHistorySorted_OnePersonsHistoryIsReadByTheirTickets(t *testing.T) {
	few, many := textReporters[0], textReporters[1]
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 300 {
			in := grievance.TicketInput{Category: strp(writeCategories[i%2]), Title: strp(fmt.Sprintf("case %03d", (i*7)%300)),
				Priority: strp([]string{"High", "Low", "Medium"}[i%3])}
			switch {
			case i == 5 || i == 200:
				in.ReporterType, in.ReporterID = strp("individual"), strp(few)
				in.AttendingStaffID = strp(staff.ID)
			case i%3 == 0:
				in.ReporterType, in.ReporterID = strp("individual"), strp(many)
			}
			ins = append(ins, in)
		}
		for _, id := range textReporters {
			st.AddPeople(grievance.Person{ID: id, Type: grievance.PersonIndividual, FirstName: "Reporter"})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS"), Priority: strp("High")}}[:i%3]
			if i == 200 || i == 33 {
				steps = append(steps, grievance.TicketInput{Title: strp("case corrected")})
			}
			return steps
		}, 11)
	}
	st, plain := seededTwice(seed)
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range []struct {
		name   string
		filter grievance.Filter
	}{
		{"a complainant with two tickets", grievance.Filter{Field: "reporter_id", Lookup: grievance.Exact, Value: few}},
		{"an officer attending two", grievance.Filter{Field: "attending_staff__id", Lookup: grievance.Exact, Value: staff.ID}},
		{"a complainant with a hundred", grievance.Filter{Field: "reporter_id", Lookup: grievance.Exact, Value: many}},
		{"a code searched", grievance.Filter{Field: "code", Lookup: grievance.IContains, Value: "00000201"}},
	} {
		for _, order := range []string{"title", "-title", "reporter_id", "-status", "priority", "-version"} {
			spy := &sortSpy{Store: st}
			svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 40})
			for _, wantCount := range []bool{true, false} {
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: wantCount, OrderBy: []string{order}, Filters: []grievance.Filter{tc.filter}}
				got, gotTotal := pagedVersions(t, ctx, svc, q)
				want, wantTotal := pagedVersions(t, ctx, plain, q)
				if got != want || wantCount && gotTotal != wantTotal {
					t.Errorf("%s by %s (totalCount %v):\n got %s (%d)\nwant %s (%d)", tc.name, order, wantCount, got, gotTotal, want, wantTotal)
				}
			}
			if spy.walks > 0 {
				t.Errorf("%s by %s: walked a sort index %d times, want its tickets read", tc.name, order, spy.walks)
			}
		}
	}
	// Without the text index no posting names the tickets: the list is
	// walked for, as before.
	spy := &sortSpy{Store: st}
	svc := grievance.NewService(noIndex{st}, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{"title"},
		Filters: []grievance.Filter{{Field: "reporter_id", Lookup: grievance.Exact, Value: few}}}
	got, gotTotal := pagedVersions(t, ctx, svc, q)
	want, wantTotal := pagedVersions(t, ctx, plain, q)
	if got != want || gotTotal != wantTotal || spy.walks == 0 {
		t.Errorf("without the text index (%d walks):\n got %s (%d)\nwant %s (%d)", spy.walks, got, gotTotal, want, wantTotal)
	}
}

// A category or a priority few tickets were filed under, or a status none
// reached, in history by each of the client's columns, is read by its
// tickets (the runs, the groups: postingsFirst), not by a walk of the
// sort index from its top,
// which passes over about 20 ÷ its share of the versions and here, a
// read budget of 40 letting it pass 400, is refused: the same rows as
// sorting every version, with totalCount or without, its tickets moved
// into and out of it and retitled among them, for an administrator, an
// officer the restricted category is open to and one it is hidden from.
func TestHistorySorted_ARareValuesHistoryIsReadByItsTickets(t *testing.T) {
	st, plain := seededTwice(rareSeed(t))
	for _, tc := range []struct {
		name    string
		filters []grievance.Filter
	}{
		{"a rare category", []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Secret"}}},
		{"a rare category looked up", []grievance.Filter{{Field: "category", Lookup: grievance.IContains, Value: "secr"}}},
		{"a rare priority with a status", []grievance.Filter{{Field: "priority", Lookup: grievance.IContains, Value: "med"},
			{Field: "status", Lookup: grievance.IContains, Value: "OPEN"}}},
		{"a status no version reached", []grievance.Filter{{Field: "status", Lookup: grievance.IContains, Value: "clos"}}},
	} {
		for _, order := range []string{"title", "-title", "reporter_id", "-status", "category", "priority", "-version"} {
			for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
				ctx := grievance.NewContext(context.Background(), reader)
				spy := &sortSpy{Store: st}
				svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 40})
				for _, wantCount := range []bool{true, false} {
					q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: wantCount, OrderBy: []string{order}, Filters: tc.filters}
					want, wantTotal := pagedVersions(t, ctx, plain, q)
					got, gotTotal := pagedVersions(t, ctx, svc, q)
					if got != want || wantCount && gotTotal != wantTotal {
						t.Errorf("%s %s by %s (totalCount %v):\n got %s (%d)\nwant %s (%d)", reader.Username, tc.name, order, wantCount, got, gotTotal, want, wantTotal)
					}
				}
				// Ordered by the status, a status's list is walked from
				// its first value, passing over no other (valueBounds).
				bounded := strings.HasSuffix(order, "status") && tc.filters[0].Field == "status"
				if spy.walks > 0 && !bounded {
					t.Errorf("%s %s by %s: walked a sort index %d times, want its tickets read", reader.Username, tc.name, order, spy.walks)
				}
			}
		}
	}
}

// A category whose candidates the runs cannot place (titles corrected on
// a quarter of them: their versions past the read budget) is walked by
// title among its candidates (historySortedAmong), not refused; by the
// other columns its groups or the reporters' runs read it.
func TestHistorySorted_ACategoryTheRunsCannotPlaceIsWalked(t *testing.T) {
	st, plain := seededTwice(rareSeed(t))
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	for _, order := range []string{"title", "-title", "reporter_id", "-status", "category", "-version"} {
		spy := &sortSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 40})
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Page: grievance.PageArgs{First: &twenty},
			Filters: []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Open"}}}
		pageAsSorted(t, ctx, svc, plain, q, "by "+order)
		if byTitle := strings.HasSuffix(order, "title"); (spy.walks > 0) != byTitle {
			t.Errorf("by %s: walked a sort index %d times, want walked %v", order, spy.walks, byTitle)
		}
	}
}

// rareSeed gives a store 400 tickets of 1 to 4 versions: one in a
// hundred filed under the category Secret and another under the priority
// Medium, one moved into each and one out of the category; a title in
// four corrected; one deleted.
func rareSeed(t *testing.T) func(*grievancetest.Store) {
	return func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 400 {
			cat, prio := "Open", []string{"High", "Low"}[i%2]
			switch i % 100 {
			case 50:
				cat = "Secret"
			case 20:
				prio = "Medium"
			}
			ins = append(ins, grievance.TicketInput{Category: strp(cat), Priority: strp(prio), Title: strp(fmt.Sprintf("case %03d", (i*7)%400))})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}[:i%3]
			switch i {
			case 120: // into the rare category, and retitled
				steps = append(steps, grievance.TicketInput{Category: strp("Secret"), Title: strp("case moved")})
			case 250: // out of it
				steps = append(steps, grievance.TicketInput{Category: strp("Open")})
			case 71: // to the rare priority
				steps = append(steps, grievance.TicketInput{Priority: strp("Medium")})
			}
			if i%4 == 2 {
				steps = append(steps, grievance.TicketInput{Title: strp(fmt.Sprintf("case %03d corrected", i))})
			}
			return steps
		}, 150)
	}
}
