package grievance_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// versionSpy counts the tickets whose versions a history list reads by
// number, and the versions it reads (the History items a store would
// read; a walk of a history sort index's versions too).
type versionSpy struct {
	*grievancetest.Store
	mu    sync.Mutex
	seqs  int
	items int
	calls int // reads of versions by number
}

func (s *versionSpy) count(tickets int, versions map[int64][]*grievance.Ticket) {
	s.mu.Lock()
	if tickets > 0 {
		s.calls++
	}
	s.seqs += tickets
	for _, v := range versions {
		s.items += len(v)
	}
	s.mu.Unlock()
}

func (s *versionSpy) VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*grievance.Ticket, error) {
	vs, err := s.Store.VersionsBySeq(ctx, seqs)
	s.count(len(seqs), vs)
	return vs, err
}

func (s *versionSpy) NewestVersionsBySeq(ctx context.Context, seqs []int64) (map[int64]*grievance.Ticket, error) {
	vs, err := s.Store.NewestVersionsBySeq(ctx, seqs)
	s.count(len(seqs), nil)
	s.mu.Lock()
	s.items += len(vs)
	s.mu.Unlock()
	return vs, err
}

func (s *versionSpy) VersionsWithin(ctx context.Context, spans map[int64]grievance.VersionSpan) (map[int64][]*grievance.Ticket, error) {
	vs, err := s.Store.VersionsWithin(ctx, spans)
	s.count(len(spans), vs)
	return vs, err
}

func (s *versionSpy) ScanTicketHistorySorted(ctx context.Context, r grievance.TicketRange, sift grievance.HistorySift, fn func(*grievance.Ticket) (bool, error)) error {
	return s.Store.ScanTicketHistorySorted(ctx, r, sift, func(t *grievance.Ticket) (bool, error) {
		s.count(0, map[int64][]*grievance.Ticket{t.Seq: {t}})
		return fn(t)
	})
}

// seededTwice is seed's store, and a service over a second one that sorts
// every version in memory (no index, no counts): the answer to compare.
func seededTwice(seed func(*grievancetest.Store)) (*grievancetest.Store, *grievance.Service) {
	st, plainStore := grievancetest.NewStore(), grievancetest.NewStore()
	seed(st)
	seed(plainStore)
	return st, grievance.NewService(noIndex{plainStore}, seededNow, grievancetest.IDs(), grievance.Options{History: uncounted{plainStore}})
}

// sortedCursor reports whether a page's cursor names its row's value of
// field: the list was read in that column's order, not sorted in memory.
func sortedCursor(t *testing.T, p *grievance.Page[*grievance.Ticket], field string) bool {
	t.Helper()
	if len(p.Items) == 0 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(p.Cursor(len(p.Items) - 1))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), "|o"+field+"=")
}

// A showHistory list with a text filter (or a reader the sight rule
// affects) ordered by a column of few values (status, category,
// priority) or by the version pages through the same rows, in the same order and with the
// same totalCount, read group by group from the history postings of the
// column's values (the version's from the history rows), as sorting
// every version in memory gives: both ways,
// for each reader, with versions that hold no value (their group is last
// descending; ascending, where it would come first, the list sorts in
// memory as before).
func TestHistoryGrouped_PagesAsSortingEveryVersion(t *testing.T) {
	st, _, plain, now := seededVersions(t)
	grouped := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: st})
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	read := 0
	for _, fs := range [][]grievance.Filter{
		{f("title", grievance.IContains, "case")},
		{f("title", grievance.IContains, "case 1")},
		{f("title", grievance.IContains, "case"), f("status", grievance.IContains, "o")},
		{f("description", grievance.IContains, "x"), f("priority", grievance.IContains, "high")},
		{f("title", grievance.IContains, "case"), f("attending_staff__id", grievance.Exact, staff.ID)},
		{f("code", grievance.IContains, "0000001")},
	} {
		for _, field := range []string{"status", "category", "priority", "version"} {
			for _, order := range []string{field, "-" + field} {
				for _, reader := range []*grievance.Principal{admin, gbvOfficer, officer} {
					q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, OrderBy: []string{order}}
					ctx := grievance.NewContext(context.Background(), reader)
					got, gotTotal := pagedVersions(t, ctx, grouped, q)
					want, wantTotal := pagedVersions(t, ctx, plain, q)
					if got != want || gotTotal != wantTotal {
						t.Errorf("%s %v by %s:\n got %s (%d)\nwant %s (%d)", reader.Username, fs, order, got, gotTotal, want, wantTotal)
					}
					one := 1
					q.Page = grievance.PageArgs{First: &one}
					p, err := grouped.ListTickets(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					if sortedCursor(t, p, field) {
						read++
					}
				}
			}
		}
	}
	if read == 0 {
		t.Error("no list was read by its groups")
	}
}

// Where some versions hold no value, the descending list reads their
// group last, from every candidate, and the ascending one sorts in memory.
func TestHistoryGrouped_VersionsWithoutAValue(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 9 {
			in := grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("case %d", i))}
			if i%3 != 0 {
				in.Priority = strp([]string{"High", "Low"}[i%2])
			}
			ins = append(ins, in)
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			return []grievance.TicketInput{{Priority: strp("Medium")}, {Status: strp("OPEN")}}[:i%3]
		}, 4)
	}
	st, plain := seededTwice(seed)
	grouped := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: st})
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range []struct {
		order   string
		byGroup bool
	}{{"-priority", true}, {"priority", false}} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{tc.order},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "case"}}}
		got, gotTotal := pagedVersions(t, ctx, grouped, q)
		want, wantTotal := pagedVersions(t, ctx, plain, q)
		if got != want || gotTotal != wantTotal || !strings.Contains(want, " v1 ") {
			t.Errorf("by %s: got %s (%d), want %s (%d)", tc.order, got, gotTotal, want, wantTotal)
		}
		one := 1
		q.Page = grievance.PageArgs{First: &one}
		p, err := grouped.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if sortedCursor(t, p, "priority") != tc.byGroup {
			t.Errorf("by %s: read by the groups %v, want %v", tc.order, !tc.byGroup, tc.byGroup)
		}
	}
}

// A text search over many tickets ordered by a column of few values
// reads the versions of about a page of the first groups' newest
// candidates, not of every candidate (which sorting them in memory
// needs).
func TestHistoryGrouped_ReadsThePageNotEveryCandidate(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		var ins []grievance.TicketInput
		for i := range 120 {
			ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("case %d", i)),
				Priority: strp([]string{"High", "Low", "Medium"}[i%3])})
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			return []grievance.TicketInput{{Status: strp("OPEN")}}[:i%2]
		}, 7)
	}
	st, plain := seededTwice(seed)
	ctx := grievance.NewContext(context.Background(), admin)
	for _, order := range []string{"priority", "-priority", "status", "-status", "version", "-version"} {
		p, want, read := firstTwenty(t, ctx, st, plain, order, "case")
		if versions(p.Items) != versions(want.Items) || p.TotalCount != want.TotalCount || len(p.Items) != 20 || read > 40 {
			t.Errorf("by %s: %s of %d reading the versions of %d tickets, want %s of %d reading at most 40",
				order, versions(p.Items), p.TotalCount, read, versions(want.Items), want.TotalCount)
		}
	}
}

// firstTwenty lists the first 20 rows of st's history titled like title
// in order, with their totalCount, and from plain the same list to
// compare; read is how many tickets' versions st's list read by number.
func firstTwenty(t *testing.T, ctx context.Context, st *grievancetest.Store, plain *grievance.Service, order, title string) (got, want *grievance.Page[*grievance.Ticket], read int) {
	t.Helper()
	spy := &versionSpy{Store: st}
	svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
	twenty := 20
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Page: grievance.PageArgs{First: &twenty},
		Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: title}}}
	got, err := svc.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = plain.ListTickets(ctx, q); err != nil {
		t.Fatal(err)
	}
	return got, want, spy.seqs
}

// A filter on the column the groups follow reads the groups of the values
// it passes alone: the OPEN versions of a category ordered by status read
// about a page of the tickets ever OPEN, not first every candidate ever
// IN_PROGRESS (the group before OPEN) to find none of its rows there.
func TestHistoryGrouped_AFilterOnTheColumnReadsItsGroupsOnly(t *testing.T) {
	st, plain := seededTwice(rareSeed(t))
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	for _, order := range []string{"status", "-status"} {
		spy := &versionSpy{Store: st}
		svc := grievance.NewService(st, seededNow, grievancetest.IDs(), grievance.Options{History: spy})
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, OrderBy: []string{order}, Page: grievance.PageArgs{First: &twenty},
			Filters: []grievance.Filter{{Field: "category", Lookup: grievance.Exact, Value: "Open"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}}}
		got := pageAsSorted(t, ctx, svc, plain, q, "by "+order)
		if len(got.Items) != 20 || spy.seqs > 30 {
			t.Errorf("by %s: %d rows reading %d tickets' versions, want 20 reading about a page of them", order, len(got.Items), spy.seqs)
		}
	}
}

// pageAsSorted lists q's page through svc and through plain (sorting
// every version) and fails the test, saying label, where the rows or the
// totalCount differ; it returns svc's page.
func pageAsSorted(t *testing.T, ctx context.Context, svc, plain *grievance.Service, q grievance.TicketQuery, label string) *grievance.Page[*grievance.Ticket] {
	t.Helper()
	got, err := svc.ListTickets(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	want, err := plain.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if versions(got.Items) != versions(want.Items) || got.TotalCount != want.TotalCount {
		t.Errorf("%s:\n got %s (%d)\nwant %s (%d)", label, versions(got.Items), got.TotalCount, versions(want.Items), want.TotalCount)
	}
	return got
}
