package grievance_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// noIndex is the in-memory store without its text index: every list
// reads its range, the behaviour the index must not change.
type noIndex struct{ *grievancetest.Store }

// uncounted is a history store without counts of versions: its lists
// judge every version.
type uncounted struct{ grievance.HistoryStore }

func (noIndex) Postings()     {}
func (noIndex) OrderBuckets() {}

// bySeqSpy counts the tickets a list reads by number. A list reads
// beside its page (the tickets the day columns cannot tell), so the counts
// are kept under mu.
type bySeqSpy struct {
	*grievancetest.Store
	mu           sync.Mutex
	read, sorted int
	scanned      int // tickets read from a range
	calls        int // reads by number
	groups       int // order posting groups read
	noRuns       bool
	// seqs, when set, records the numbers read.
	seqs map[int64]bool
	// spares are the tickets each read by number was allowed between.
	spares []int
}

// OrderRuns answers none when noRuns (a store that keeps no runs for a
// title too common).
func (s *bySeqSpy) OrderRuns(ctx context.Context, field string) ([]grievance.OrderRun, error) {
	if s.noRuns {
		return nil, nil
	}
	return s.Store.OrderRuns(ctx, field)
}

func (s *bySeqSpy) OrderBuckets(ctx context.Context, field string, desc bool, after string, limit int) ([]grievance.OrderBucket, string, error) {
	b, next, err := s.Store.OrderBuckets(ctx, field, desc, after, limit)
	s.mu.Lock()
	s.groups += len(b)
	s.mu.Unlock()
	return b, next, err
}

func (s *bySeqSpy) ScanTickets(ctx context.Context, r grievance.TicketRange, fn func(*grievance.Ticket) (bool, error)) error {
	s.mu.Lock()
	if r.By == grievance.RangeSorted {
		s.sorted++
	}
	s.mu.Unlock()
	return s.Store.ScanTickets(ctx, r, func(t *grievance.Ticket) (bool, error) {
		s.mu.Lock()
		s.scanned++
		s.mu.Unlock()
		return fn(t)
	})
}

func (s *bySeqSpy) LiveTicketsBySeq(ctx context.Context, seqs []int64, spare int) (map[int64]*grievance.Ticket, error) {
	s.mu.Lock()
	s.read += len(seqs)
	s.calls++
	s.spares = append(s.spares, spare)
	if s.seqs != nil {
		for _, n := range seqs {
			s.seqs[n] = true
		}
	}
	s.mu.Unlock()
	return s.Store.LiveTicketsBySeq(ctx, seqs, spare)
}

func TestGrams_EverySubstringUpToThreeCharacters(t *testing.T) {
	got := grievance.Grams("abca")
	want := []string{"a", "ab", "abc", "b", "bc", "bca", "c", "ca"}
	if !slices.Equal(got, want) {
		t.Errorf("Grams(abca) = %q, want %q", got, want)
	}
	if got := grievance.Grams("ñé"); !slices.Equal(got, []string{"é", "ñ", "ñé"}) {
		t.Errorf("Grams counts characters, not bytes: %q", got)
	}
}

func TestSeqSet_RangeBothWaysAndAnd(t *testing.T) {
	s := grievance.NewSeqSet(1, 63, 64, 65, 200)
	var up, down []int64
	s.Range(2, 199, false, func(n int64) bool { up = append(up, n); return true })
	s.Range(0, 1000, true, func(n int64) bool { down = append(down, n); return len(down) < 3 })
	if !slices.Equal(up, []int64{63, 64, 65}) || !slices.Equal(down, []int64{200, 65, 64}) {
		t.Errorf("up %v down %v", up, down)
	}
	s.And(grievance.NewSeqSet(64, 200, 5000))
	if s.Len() != 2 || s.Max() != 200 || !s.Has(64) || s.Has(65) {
		t.Errorf("after And: len %d max %d", s.Len(), s.Max())
	}
}

// Text filters answered through the index give the rows, order and count
// of reading every ticket, for every reader: a category that hides the
// title from a reader keeps its tickets out of that reader's title search.
func TestTextSearch_SameAnswerAsReadingEveryTicket(t *testing.T) {
	titles := []string{"Payment not received", "women rent", "PAYMENT delayed", "pay point closed",
		"Lost card", "Payments missing twice", "Mentor abuse", "rent", "ñandú payment", "Payment not received"}
	build := func(st *grievancetest.Store) *grievance.Service {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
		for i, title := range titles {
			cat := []string{"Open", "Anon", "Secret", "Open"}[i%4]
			desc := fmt.Sprintf("case %d: the pay point was closed", i)
			err := (&world{st: st, svc: svc}).do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
				return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(cat), Title: strp(title), Description: strp(desc)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		// A deleted ticket matches nothing.
		page, err := svc.ListTickets(grievance.NewContext(context.Background(), admin), grievance.TicketQuery{
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "lost"}}})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("lost card: %v %v", page, err)
		}
		err = (&world{st: st, svc: svc}).do(admin, "deleteTicket", func(ctx context.Context) (*grievance.Write, error) {
			return svc.DeleteTickets(ctx, []string{page.Items[0].ID}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	indexed := &bySeqSpy{Store: grievancetest.NewStore()}
	withIndex := build(indexed.Store)
	withIndex = grievance.NewService(indexed, time.Now, grievancetest.IDs(), grievance.Options{History: indexed.Store})
	plainStore := grievancetest.NewStore()
	plainSvc := build(plainStore)
	plainSvc = grievance.NewService(noIndex{plainStore}, time.Now, grievancetest.IDs(), grievance.Options{History: plainStore})

	first := func(n int) *int { return &n }
	for _, reader := range []*grievance.Principal{admin, officer, confOfficer, viewer} {
		text := func(field string, l grievance.Lookup, v string) []grievance.Filter {
			return []grievance.Filter{{Field: field, Lookup: l, Value: v}}
		}
		for _, fs := range [][]grievance.Filter{
			text("title", grievance.IContains, "p"),
			text("title", grievance.IContains, "pa"),
			text("title", grievance.IContains, "PAY"),
			text("title", grievance.IContains, "payment"),
			text("title", grievance.IContains, "ment"),
			text("title", grievance.IContains, "ÑANDÚ"),
			text("title", grievance.IContains, "zzz"),
			text("title", grievance.IStartsWith, "pay"),
			text("title", grievance.Exact, "rent"),
			text("title", grievance.IExact, "PAYMENT NOT RECEIVED"),
			text("description", grievance.IContains, "pay point"),
			text("description", grievance.IContains, "case 1"),
			text("code", grievance.IContains, "0000001"),
			text("code", grievance.IContains, "grs"),
			text("code", grievance.IStartsWith, "GRS0000000"),
			append(text("title", grievance.IContains, "pay"), grievance.Filter{Field: "status", Lookup: grievance.IContains, Value: "OPEN"}),
			append(text("title", grievance.IContains, "pay"), grievance.Filter{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}),
			append(text("title", grievance.IContains, "rent"), grievance.Filter{Field: "category", Lookup: grievance.Exact, Value: "Anon"}),
			append(text("title", grievance.IContains, "pay"), grievance.Filter{Field: "priority", Lookup: grievance.Exact, Value: "Low"}),
			append(text("title", grievance.IContains, "pay"), grievance.Filter{Field: "category", Lookup: grievance.IContains, Value: "ope"}),
			append(text("title", grievance.IContains, "pay"), grievance.Filter{Field: "category", Lookup: grievance.IContains, Value: "ANON"}),
			append(text("title", grievance.IContains, "rent"), grievance.Filter{Field: "priority", Lookup: grievance.IStartsWith, Value: "n"}),
		} {
			f := fs[0]
			for _, order := range [][]string{nil, {"dateCreated"}, {"-title"}} {
				name := fmt.Sprintf("%s/%s_%s_%v+%d/%v", reader.Username, f.Field, f.Lookup, f.Value, len(fs), order)
				t.Run(name, func(t *testing.T) {
					q := grievance.TicketQuery{Filters: fs, OrderBy: order, WantCount: true, Page: grievance.PageArgs{First: first(3)}}
					got, want := bothAnswers(t, withIndex, plainSvc, grievance.NewContext(context.Background(), reader), q)
					if indexed.read == 0 && got.TotalCount > 0 {
						t.Errorf("the indexed service read no ticket by number: the index was not used")
					}
					if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
						t.Errorf("with the index %s (%d, next %v), reading every ticket %s (%d, next %v)",
							codes(got.Items), got.TotalCount, got.HasNextPage, codes(want.Items), want.TotalCount, want.HasNextPage)
					}
				})
			}
		}
	}
}

// A text search reads the candidates the index names, a page at a time,
// not every ticket; its count comes from the index when the query is at
// most three characters and from judging every candidate when they are
// few.
func TestTextSearch_ReadsAboutThePage(t *testing.T) {
	st := &bySeqSpy{Store: grievancetest.NewStore()}
	seedPayments(st.Store, 500, 50)
	svc := grievance.NewService(st, time.Now, grievancetest.IDs(), grievance.Options{History: st.Store})
	ctx := grievance.NewContext(context.Background(), specialist)
	twenty := 20
	for _, tc := range []struct {
		value    string
		total    int
		maxReads int
	}{
		{"pay", 490, 40},          // one gram: counted by the index
		{"lost card", 10, 10},     // few candidates: every one judged
		{"received (12", 11, 40},  // many candidates, none false: the bound is exact
		{"nothing like it", 0, 0}, // no candidate, nothing read
	} {
		st.read = 0
		page, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: &twenty},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: tc.value}}})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != tc.total || st.read > tc.maxReads {
			t.Errorf("%q: totalCount %d (want %d), read %d tickets (at most %d)", tc.value, page.TotalCount, tc.total, st.read, tc.maxReads)
		}
		for _, tk := range page.Items {
			if !strings.Contains(strings.ToLower(tk.Title), tc.value) {
				t.Errorf("%q: row %q does not match", tc.value, tk.Title)
			}
		}
	}
}

// A page reads at most three items a row of its own: its reads by number
// may take in tickets between the candidates (a range read for less
// capacity) only within what the candidates and, when the caller loads
// them, the people of its rows (two a row at most) leave of that.
func TestTextSearch_ReadsTicketsBetweenOnlyWithinThePagesGoal(t *testing.T) {
	st := &bySeqSpy{Store: grievancetest.NewStore()}
	seedPayments(st.Store, 500, 50)
	svc := grievance.NewService(st, time.Now, grievancetest.IDs(), grievance.Options{History: st.Store})
	ctx := grievance.NewContext(context.Background(), specialist)
	// "received (12" has 11 candidates, all rows.
	for _, tc := range []struct {
		name       string
		first      int
		withPeople bool
		spare      int
	}{
		{"20 rows with their people: 60 less 40 people and 11 candidates", 20, true, 9},
		{"20 rows without people: 60 less 11 candidates", 20, false, 49},
		{"5 rows with their people: 15 less 10 people leave none", 5, true, 0},
		{"5 rows without people: 15 less 11 candidates", 5, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st.read, st.spares = 0, nil
			_, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true, WithPeople: tc.withPeople, Page: grievance.PageArgs{First: &tc.first},
				Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "received (12"}}})
			if err != nil {
				t.Fatal(err)
			}
			if st.read != 11 || !slices.Equal(st.spares, []int{tc.spare}) {
				t.Errorf("%d tickets read by number, spares %v; want 11 in one read sparing %d", st.read, st.spares, tc.spare)
			}
		})
	}
}

// A text search sent again (another order, the next page, the list after
// a save) is read by the share of its candidates that were rows the last
// time: when all were, the page's first read takes the page and two (23
// tickets for 20 rows and the next page's), not a quarter more (28); when
// one in two was (the other holds every gram of the query but not the
// query), twice the page at once, not a second read for the rest. The
// same rows either way; past a few minutes the share is forgotten; in the
// order of a column the walk stops where it stopped before, so a ticket
// missing from the order postings keeps its place across pages
// (TestOrderSort_TicketsNotYetInTheOrderPostingsAreListed).
func TestTextSearch_ASearchSentAgainIsReadByItsShareOfRows(t *testing.T) {
	st := &bySeqSpy{Store: grievancetest.NewStore()}
	st.SetConfigDocument([]byte(writeConfig))
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	for i := 1; i <= 400; i++ {
		title := fmt.Sprintf("Water point abcd (%d)", i)
		if i%2 == 0 {
			title = fmt.Sprintf("Water point abc bcd (%d)", i) // every gram of "abcd", not "abcd"
		}
		st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1, Title: title,
			Category: "Open", Status: grievance.StatusOpen, Priority: "High", DateCreated: clock.Now()})
	}
	at := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	svc := grievance.NewService(st, func() time.Time { return at }, grievancetest.IDs(), grievance.Options{History: st.Store})
	ctx := grievance.NewContext(context.Background(), specialist)
	twenty := 20
	list := func(text string, order ...string) (string, int, int) {
		t.Helper()
		st.read, st.calls = 0, 0
		page, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: order,
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: text}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != twenty {
			t.Fatalf("%q %v: %d rows", text, order, len(page.Items))
		}
		return codes(page.Items), st.read, st.calls
	}
	first, read, _ := list("water point")
	if read != 28 {
		t.Errorf("every candidate a row, first time: read %d tickets, want 28 (the page, a quarter more and two)", read)
	}
	// Again, in number order and in the orders of a value group and of a
	// column's order postings: the share is the filters', whatever the
	// order.
	for _, order := range [][]string{nil, {"-priority"}, {"version"}} {
		again, read, _ := list("water point", order...)
		if order == nil && again != first || read != 23 {
			t.Errorf("every candidate a row, again, %v: read %d tickets, want 23 (the page and two); rows %s, first %s", order, read, again, first)
		}
	}
	at = at.Add(6 * time.Minute)
	if _, read, _ := list("water point"); read != 28 {
		t.Errorf("every candidate a row, six minutes later: read %d tickets, want 28 (the share forgotten)", read)
	}
	first, _, calls := list("abcd")
	if calls < 2 {
		t.Fatalf("one candidate in two a row, first time: %d reads, want a second for the rest", calls)
	}
	again, read, calls := list("abcd")
	if again != first || calls != 1 || read < 2*21 {
		t.Errorf("one candidate in two a row, again: %d reads of %d tickets, want one of at least 42; rows %s, first %s", calls, read, again, first)
	}
}

// A text search ordered by a sortable column never reads a sort index:
// by a value field (priority) it reads the candidates group by group, by
// another column (title) it places them by the column's order postings.
// The rows are those of sorting every match, and the reads stay near the
// page (all the candidates when they are few: "card").
func TestTextSearch_SortedByAnIndexedColumn(t *testing.T) {
	withIndex, plain, indexed := twins(func(st *grievancetest.Store) { seedPayments(st, 400, 40) })
	ctx := grievance.NewContext(context.Background(), specialist)
	twenty := 20
	for _, order := range []string{"priority", "-priority", "title", "-title"} {
		for _, value := range []string{"pay", "payment not", "card"} {
			q := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{order},
				Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: value}}}
			indexed.read, indexed.sorted = 0, 0
			got, want := bothAnswers(t, withIndex, plain, ctx, q)
			if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
				t.Errorf("%s %q: with the index %s (%d), reading everything %s (%d)", order, value, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
			}
			if indexed.sorted > 0 || indexed.read == 0 || indexed.read > 30 {
				t.Errorf("%s %q: sort index read %d times, %d tickets read by number (1 to 30)", order, value, indexed.sorted, indexed.read)
			}
		}
	}
}

// A filtered history list narrowed by the history postings lists the
// versions reading every version would: a version matches on what it held
// then (an old title, an old status), for every reader.
func TestHistorySearch_SameVersionsAsReadingEveryVersion(t *testing.T) {
	build := func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
		w := &world{st: st, svc: svc}
		for i, title := range []string{"old payment", "lost card", "payment late", "rent", "women rent"} {
			cat := []string{"Open", "Anon", "Open", "Secret", "Open"}[i]
			prio := []string{"High", "Low"}[i%2]
			if err := w.do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
				return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(cat), Title: strp(title), Priority: strp(prio)})
			}); err != nil {
				t.Fatal(err)
			}
		}
		page, err := svc.ListTickets(grievance.NewContext(context.Background(), admin), grievance.TicketQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Items {
			in := grievance.TicketInput{ID: tk.ID, Category: strp(tk.Category), Status: strp("IN_PROGRESS")}
			if tk.Title == "old payment" {
				in.Title = strp("new card")
			}
			if tk.Title == "lost card" {
				// "Anon" and "High" now held by an old version only.
				in.Category, in.Priority = strp("Open"), strp("Urgent")
			}
			if err := w.do(admin, "updateTicket", func(ctx context.Context) (*grievance.Write, error) { return svc.UpdateTicket(ctx, in) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	withIndex, plain, _ := twins(build)
	two := 2
	for _, reader := range []*grievance.Principal{admin, officer, confOfficer} {
		for _, fs := range [][]grievance.Filter{
			{{Field: "title", Lookup: grievance.IContains, Value: "payment"}},
			{{Field: "title", Lookup: grievance.IContains, Value: "ment"}},
			{{Field: "title", Lookup: grievance.IContains, Value: "card"}},
			{{Field: "status", Lookup: grievance.IContains, Value: "OPEN"}},
			{{Field: "status", Lookup: grievance.Exact, Value: "IN_PROGRESS"}, {Field: "title", Lookup: grievance.IContains, Value: "rent"}},
			{{Field: "category", Lookup: grievance.Exact, Value: "Open"}},
			{{Field: "code", Lookup: grievance.IContains, Value: "0000003"}},
			{{Field: "category", Lookup: grievance.IContains, Value: "ANO"}},
			{{Field: "category", Lookup: grievance.IStartsWith, Value: "o"}, {Field: "priority", Lookup: grievance.IContains, Value: "hig"}},
			{{Field: "priority", Lookup: grievance.IContains, Value: "urg"}},
			{{Field: "priority", Lookup: grievance.IContains, Value: "zzz"}},
		} {
			for _, page := range []grievance.PageArgs{{}, {First: &two}} {
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fs, WantCount: true, Page: page, OrderBy: []string{"-dateCreated"}}
				got, want := bothAnswers(t, withIndex, plain, grievance.NewContext(context.Background(), reader), q)
				if versions(got.Items) != versions(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
					t.Errorf("%s %v: with the index %s (%d), reading every version %s (%d)", reader.Username, fs, versions(got.Items), got.TotalCount, versions(want.Items), want.TotalCount)
				}
			}
		}
	}
}

func versions(ts []*grievance.Ticket) string {
	var out []string
	for _, t := range ts {
		out = append(out, fmt.Sprintf("%s v%d %s %s", t.Code, t.Version, t.Status, t.Title))
	}
	return strings.Join(out, ", ")
}

// The index applies the sight rule to whole candidate sets: a reader's
// count leaves out the categories closed to them and those hiding a
// filtered field, except the tickets they attend, as judging every row
// does; so counts come from the index for every reader.
func TestTextSearch_CountsFollowTheSightRule(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		for i := 1; i <= 300; i++ {
			tk := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
				Title: fmt.Sprintf("Payment not received (%d)", i), Description: "pay point closed",
				Category: writeCategories[i%4], Status: grievance.StatusOpen, DateCreated: clock.Now()}
			if i%7 == 0 {
				tk.AttendingStaffID = officer.ID
			}
			st.SeedTicket(tk)
		}
	}
	withIndex, plain, indexed := twins(seed)
	twenty := 20
	for _, reader := range []*grievance.Principal{officer, viewer, confOfficer, gbvOfficer, specialist} {
		for _, fs := range [][]grievance.Filter{
			{{Field: "title", Lookup: grievance.IContains, Value: "pay"}},
			{{Field: "title", Lookup: grievance.IContains, Value: "received (1"}},
			{{Field: "description", Lookup: grievance.IContains, Value: "poi"}},
			{{Field: "code", Lookup: grievance.IContains, Value: "0000002"}},
			{{Field: "title", Lookup: grievance.IContains, Value: "pay"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}},
		} {
			q := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: &twenty}, Filters: fs}
			indexed.read = 0
			got, want := bothAnswers(t, withIndex, plain, grievance.NewContext(context.Background(), reader), q)
			if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
				t.Errorf("%s %v: with the index %d rows (%d), reading everything %d rows (%d)", reader.Username, fs, len(got.Items), got.TotalCount, len(want.Items), want.TotalCount)
			}
			if indexed.read > 60 {
				t.Errorf("%s %v: read %d tickets for a page of 20", reader.Username, fs, indexed.read)
			}
		}
	}
}

// bothAnswers lists q through both services.
func bothAnswers(t *testing.T, withIndex, plain *grievance.Service, ctx context.Context, q grievance.TicketQuery) (got, want *grievance.Page[*grievance.Ticket]) {
	t.Helper()
	got, err := withIndex.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want, err = plain.ListTickets(ctx, q); err != nil {
		t.Fatal(err)
	}
	return got, want
}

// seedPayments stores n open tickets titled "Payment not received (i)",
// every lost-th "Lost card (i)" instead, priorities in turn.
func seedPayments(st *grievancetest.Store, n, lost int) {
	st.SetConfigDocument([]byte(writeConfig))
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	for i := 1; i <= n; i++ {
		title := fmt.Sprintf("Payment not received (%d)", i)
		if i%lost == 0 {
			title = fmt.Sprintf("Lost card (%d)", i)
		}
		st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1, Title: title,
			Category: "Open", Status: grievance.StatusOpen, Priority: []string{"High", "Low", "Medium"}[i%3], DateCreated: clock.Now()})
	}
}

// twins returns two services over stores seeded alike: one with the text
// index (its store counting reads), one reading every ticket.
func twins(seed func(*grievancetest.Store)) (withIndex, plain *grievance.Service, indexed *bySeqSpy) {
	indexed = &bySeqSpy{Store: grievancetest.NewStore()}
	seed(indexed.Store)
	plainStore := grievancetest.NewStore()
	seed(plainStore)
	now := func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	withIndex = grievance.NewService(indexed, now, grievancetest.IDs(), grievance.Options{History: indexed.Store})
	plain = grievance.NewService(noIndex{plainStore}, now, grievancetest.IDs(), grievance.Options{History: uncounted{plainStore}})
	return withIndex, plain, indexed
}

// keyset reports whether cursor starts a list after a row of a column's
// order (it carries the row's value).
func keyset(cursor string) bool {
	b, _ := base64.StdEncoding.DecodeString(cursor)
	return strings.Contains(string(b), "|o")
}

func codes(ts []*grievance.Ticket) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Code+" "+t.Title)
	}
	return strings.Join(out, ", ")
}

// The filter panel with a value column's order (status, category,
// priority) is read from the value postings, group by group: the rows,
// order, counts and next-page flags are those of reading every ticket for
// every reader and page, including tickets without a value, tickets of
// categories that hide the reporter, and a reporter whose tickets all sort
// last (a sort index read would reach them only at its end).
func TestValueSort_SameAnswerAsReadingEveryTicket(t *testing.T) {
	withIndex, plain, indexed := twins(seedPanelValues)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	for _, reader := range []*grievance.Principal{officer, viewer, confOfficer, gbvOfficer, specialist} {
		for _, fs := range [][]grievance.Filter{
			{f("reporter_id", grievance.Exact, panelReporters[1])},
			{f("reporter_id", grievance.Exact, panelReporters[1]), f("status", grievance.IContains, "OPEN")},
			{f("status", grievance.IContains, "RESOLVED")},
			{f("category", grievance.IContains, "ope")},
			{f("priority", grievance.IContains, "low")},
			{f("attending_staff__id", grievance.Exact, officer.ID)},
			{f("status", grievance.IContains, "OPEN"), f("category", grievance.IContains, "anon")},
			{f("priority", grievance.Exact, "High"), f("category", grievance.Exact, "Open")},
			{f("title", grievance.IContains, "received (1"), f("status", grievance.IContains, "progress")},
		} {
			for _, order := range []string{"status", "-status", "category", "-category", "priority", "-priority"} {
				for _, page := range []grievance.PageArgs{{First: intp(20)}, {First: intp(7), Offset: 9}} {
					q := grievance.TicketQuery{WantCount: true, Page: page, Filters: fs, OrderBy: []string{order}}
					indexed.read, indexed.sorted = 0, 0
					got, want := bothAnswers(t, withIndex, plain, grievance.NewContext(context.Background(), reader), q)
					if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
						t.Errorf("%s %v %s %+v: with the index %s (%d, next %v), reading everything %s (%d, next %v)", reader.Username, fs, order, page,
							codes(got.Items), got.TotalCount, got.HasNextPage, codes(want.Items), want.TotalCount, want.HasNextPage)
					}
					if got.TotalCount > 0 && indexed.read == 0 {
						t.Errorf("%s %v %s: no ticket read by number: the postings were not used", reader.Username, fs, order)
					}
					if indexed.sorted > 0 || indexed.read > 40 {
						t.Errorf("%s %v %s: sort index read %d times, %d tickets read by number (at most 40)", reader.Username, fs, order, indexed.sorted, indexed.read)
					}
				}
			}
		}
	}
}

// Filter panel combinations no one key range holds (a status with a
// priority, a reporter or staff member with another filter, a category
// with a priority) are read through the value postings in every order:
// the rows and an exact count as reading every ticket gives, a page's
// worth of tickets read.
func TestPanelPairs_SameAnswerAsReadingEveryTicket(t *testing.T) {
	withIndex, plain, indexed := twins(seedPanelValues)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	for _, reader := range []*grievance.Principal{officer, viewer, confOfficer, specialist} {
		for _, fs := range [][]grievance.Filter{
			{f("status", grievance.IContains, "OPEN"), f("priority", grievance.IContains, "low")},
			{f("category", grievance.IContains, "o"), f("priority", grievance.Exact, "High")},
			{f("reporter_id", grievance.Exact, panelReporters[2]), f("category", grievance.IContains, "anon")},
			{f("attending_staff__id", grievance.Exact, officer.ID), f("status", grievance.IContains, "RESOLVED")},
			{f("status", grievance.IContains, "e"), f("category", grievance.IContains, "e"), f("priority", grievance.IContains, "m")},
		} {
			for _, order := range [][]string{nil, {"dateCreated"}, {"-code"}, {"title"}} {
				for _, page := range []grievance.PageArgs{{First: intp(20)}, {First: intp(5), Offset: 6}} {
					q := grievance.TicketQuery{WantCount: true, Page: page, Filters: fs, OrderBy: order}
					indexed.read = 0
					got, want := bothAnswers(t, withIndex, plain, grievance.NewContext(context.Background(), reader), q)
					if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
						t.Errorf("%s %v %v %+v: with the index %s (%d, next %v), reading everything %s (%d, next %v)", reader.Username, fs, order, page,
							codes(got.Items), got.TotalCount, got.HasNextPage, codes(want.Items), want.TotalCount, want.HasNextPage)
					}
					if order == nil && got.TotalCount > 0 && (indexed.read == 0 || indexed.read > 40) {
						t.Errorf("%s %v: %d tickets read by number (the postings' page: 1 to 40)", reader.Username, fs, indexed.read)
					}
				}
			}
		}
	}
}

// An order by a column of the order postings (title, due date, reporter,
// version, attending staff), with a text filter or the filter panel, is
// placed by walking the column's groups: the rows, order, counts and
// next-page flags are those of reading every ticket, for every reader,
// order and page — including tickets without a due date or staff (they
// sort first), long titles that share their first 400 bytes (one group,
// sorted once read), a reporter whose tickets all sort last by due date,
// and a walk of a few groups a call (so it goes on, or reads the rest).
// A text filter ordered by title, reporter or staff is placed by the
// column's runs (of one or four tickets; a group of more than two or
// eight is a group run: the anonymous complaints, a reporter's many, the
// long titles, the unattended), by due date by the due days, or, until they are complete, by
// the walk. No sort index
// is read, and a page reads about a page of tickets.
func TestOrderSort_SameAnswerAsReadingEveryTicket(t *testing.T) {
	for _, c := range []struct {
		perCall, runMembers int
		runs                bool
	}{{0, 4, true}, {3, 1, true}, {3, 4, false}} {
		perCall := c.perCall
		withIndex, plain, indexed := twins(seedOrderValues)
		indexed.OrderGroupsPerCall = perCall
		indexed.OrderRunMembers = c.runMembers
		indexed.SetOrderRunsComplete(c.runs)
		indexed.SetDueDaysComplete(c.runs)
		f := func(field string, l grievance.Lookup, v string) grievance.Filter {
			return grievance.Filter{Field: field, Lookup: l, Value: v}
		}
		for _, reader := range []*grievance.Principal{officer, viewer, confOfficer, specialist} {
			for _, fs := range [][]grievance.Filter{
				{f("title", grievance.IContains, "received (1")},
				{f("title", grievance.IContains, "long")},
				{f("title", grievance.IContains, "e"), f("status", grievance.IContains, "progress")},
				{f("reporter_id", grievance.Exact, panelReporters[1])},
				{f("status", grievance.IContains, "OPEN"), f("priority", grievance.IContains, "low")},
				{f("category", grievance.IContains, "ope")},
				{f("attending_staff__id", grievance.Exact, officer.ID), f("category", grievance.IContains, "o")},
			} {
				for _, order := range []string{"title", "-title", "due_date", "-due_date", "reporter_id", "-reporter_id", "version", "-version", "attending_staff", "-attending_staff"} {
					for _, page := range []grievance.PageArgs{{First: intp(20)}, {First: intp(7), Offset: 9}} {
						q := grievance.TicketQuery{WantCount: true, Page: page, Filters: fs, OrderBy: []string{order}}
						indexed.read, indexed.sorted = 0, 0
						got, want := bothAnswers(t, withIndex, plain, grievance.NewContext(context.Background(), reader), q)
						if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
							t.Errorf("%d a call, runs %v, %s %v %s %+v: with the index %s (%d, next %v), reading everything %s (%d, next %v)", perCall, c.runs, reader.Username, fs, order, page,
								codes(got.Items), got.TotalCount, got.HasNextPage, codes(want.Items), want.TotalCount, want.HasNextPage)
						}
						if mayOrder := reader == confOfficer || reader == specialist; mayOrder && got.TotalCount > 0 && indexed.read == 0 {
							t.Errorf("%s %v %s: no ticket read by number: the postings were not used", reader.Username, fs, order)
						}
						// About a page (20 and a quarter), or the rest of
						// the candidates when they are at most three times
						// that or the first groups held none (the reporter
						// whose tickets are all due last); with 3 groups a
						// call, the rest when walking on would read more
						// groups (at most the 96 candidates).
						// Never more than the candidates (the in-memory
						// sort's reads).
						most := max(85, got.TotalCount)
						if perCall > 0 {
							most = 100
						}
						if indexed.sorted > 0 || indexed.read > most {
							t.Errorf("%d a call, %s %v %s: sort index read %d times, %d tickets read by number (at most %d)", perCall, reader.Username, fs, order, indexed.sorted, indexed.read, most)
						}
					}
				}
			}
		}
	}
}

// seedOrderValues is seedPanelValues with the order postings' columns
// varied: a due date on two tickets in three (reporters[1]'s the latest),
// versions 1 to 4, every seventh title a long one whose first 400 bytes
// are the same, and a fifth of the tickets attended by officers of a
// ticket or two each.
func seedOrderValues(st *grievancetest.Store) {
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	seedPanel(st, func(i int, tk *grievance.Ticket) {
		tk.Version = 1 + i%4
		switch {
		case tk.ReporterID == panelReporters[1]:
			tk.DueDate = base.AddDate(1, 0, i%5).Format(grievance.DateLayout)
		case i%3 != 0:
			tk.DueDate = base.AddDate(0, 0, i%17).Format(grievance.DateLayout)
		}
		if i%7 == 0 {
			tk.Title = strings.Repeat("A long complaint ", 30) + fmt.Sprintf("(%d)", 1000-i)
		}
		if i%5 == 2 { // officers of a ticket or two each
			tk.AttendingStaffID = fmt.Sprintf("22222222-0000-4000-a000-%012d", i%37)
		}
	})
}

var panelReporters = []string{"11111111-0000-4000-a000-000000000001", "11111111-0000-4000-a000-000000000002", "11111111-0000-4000-a000-000000000003"}

// seedPanelValues stores 240 tickets whose statuses, categories (a few
// without one), priorities (a quarter without one) and reporters follow
// the ticket number, one reporter's tickets all of one priority; every
// fifth attended by the officer.
func seedPanelValues(st *grievancetest.Store) { seedPanel(st, nil) }

// seedPanel is seedPanelValues, each ticket changed by adjust (when set)
// before it is stored.
func seedPanel(st *grievancetest.Store, adjust func(i int, tk *grievance.Ticket)) {
	reporters := panelReporters
	st.SetConfigDocument([]byte(writeConfig))
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	for i := 1; i <= 240; i++ {
		tk := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
			Title: fmt.Sprintf("Payment not received (%d)", i), Category: writeCategories[i%4],
			Status:     grievance.Statuses[i%len(grievance.Statuses)],
			Priority:   []string{"High", "Low", "Medium", ""}[i%4],
			ReporterID: reporters[i%3], ReporterType: grievance.PersonType("individual"), DateCreated: clock.Now()}
		if i%3 == 1 {
			tk.Priority = "High" // reporters[1]'s all: after Medium and Low in -priority
		}
		if i%5 == 0 {
			tk.AttendingStaffID = officer.ID
		}
		if i%11 == 0 {
			tk.Category = ""
		}
		if adjust != nil {
			adjust(i, tk)
		}
		st.SeedTicket(tk)
	}
}

// A history list's category and priority lookups narrow by the values
// versions held, which a container remembers from its last list: a value
// a version took since is still found (the values read beside the
// postings add it), and the rows are judged as always.
func TestHistorySearch_LookupFindsAValueNewSinceTheLastList(t *testing.T) {
	st := grievancetest.NewStore()
	st.SetConfigDocument([]byte(writeConfig))
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
	w := &world{st: st, svc: svc}
	var id string
	for i, prio := range []string{"High", "Low", "Medium"} {
		if err := w.do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
			wr, err := svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Open"), Title: strp(fmt.Sprintf("case %d", i)), Priority: strp(prio)})
			if err == nil && i == 1 {
				id = wr.NewTicket.ID
			}
			return wr, err
		}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := grievance.NewContext(context.Background(), admin)
	list := func(v string) []*grievance.Ticket {
		page, err := svc.ListTickets(ctx, grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true,
			Filters: []grievance.Filter{{Field: "priority", Lookup: grievance.IContains, Value: v}}})
		if err != nil {
			t.Fatal(err)
		}
		if page.TotalCount != len(page.Items) {
			t.Errorf("priority %q: totalCount %d for %d rows", v, page.TotalCount, len(page.Items))
		}
		return page.Items
	}
	if got := list("h"); len(got) != 1 { // "High": the container now remembers the values
		t.Fatalf("priority h: %d rows, want 1", len(got))
	}
	if err := w.do(admin, "updateTicket", func(ctx context.Context) (*grievance.Write, error) {
		return svc.UpdateTicket(ctx, grievance.TicketInput{ID: id, Priority: strp("Highest")})
	}); err != nil {
		t.Fatal(err)
	}
	got := list("h")
	if len(got) != 2 || got[0].Priority != "Highest" && got[1].Priority != "Highest" {
		t.Errorf("priority h after a new value: %s, want High and Highest", versions(got))
	}
}

// Order posting grams sort as the list compares the values (byte by
// byte): a value before the longer values it starts, the empty value
// first, and a value longer than 400 bytes in a group after the whole
// values it starts like (its tickets are sorted once read).
func TestOrderKey_GramsSortAsTheValues(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	values := []string{"", "A", "B", "a", "a b", "ab", "abc", "b", "z", "é", "ñ", "日本", long, long + "a", long + "b", "zz"}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	grams := make([]string, len(sorted))
	for i, v := range sorted {
		grams[i] = grievance.OrderKey("title", v).Gram
	}
	if !slices.IsSorted(grams) {
		t.Errorf("grams of %q are not in the values' order: %q", sorted, grams)
	}
	if grievance.OrderKey("title", long+"a") != grievance.OrderKey("title", long+"b") || grievance.OrderKey("title", long) == grievance.OrderKey("title", long+"a") {
		t.Error("values longer than 400 bytes share the group of their first 400 bytes, apart from the 400-byte value itself")
	}
	if k := grievance.OrderKey("due_date", "2026-12-01"); k.Field != grievance.OrderField("due_date") || !strings.HasSuffix(k.Gram, "#") {
		t.Errorf("OrderKey(due_date) = %+v", k)
	}
}

// staleOrder is a store whose order postings lack some tickets, as before
// the backfill's text pass reached them.
type staleOrder struct {
	*bySeqSpy
	missing *grievance.SeqSet
}

func (s staleOrder) OrderBuckets(ctx context.Context, field string, desc bool, after string, limit int) ([]grievance.OrderBucket, string, error) {
	bs, next, err := s.bySeqSpy.OrderBuckets(ctx, field, desc, after, limit)
	for i := range bs {
		m := bs[i].Members.Clone()
		m.AndNot(s.missing)
		bs[i].Members = m
	}
	return bs, next, err
}

// Tickets the order postings do not hold yet (before the backfill's text
// pass) are still listed, once each, and the count is exact: the walk
// places them last, or at their place when it reads the rest and sorts
// it; the tickets the postings hold keep the list's order.
func TestOrderSort_TicketsNotYetInTheOrderPostingsAreListed(t *testing.T) {
	_, plain, indexed := twins(seedOrderValues)
	missing := grievance.NewSeqSet(3, 50, 51, 52, 200, 239)
	st := staleOrder{bySeqSpy: indexed, missing: missing}
	now := func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
	withIndex := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: indexed.Store})
	ctx := grievance.NewContext(context.Background(), specialist)
	fs := []grievance.Filter{{Field: "status", Lookup: grievance.IContains, Value: "e"}}
	listAll := func(svc *grievance.Service, order string) (placed, late []string, total int) {
		for off := 0; off < 240; off += 30 {
			page, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(30), Offset: off}, Filters: fs, OrderBy: []string{order}})
			if err != nil {
				t.Fatal(err)
			}
			total = page.TotalCount
			for _, tk := range page.Items {
				if missing.Has(tk.Seq) {
					late = append(late, tk.Code)
				} else {
					placed = append(placed, tk.Code)
				}
			}
		}
		return placed, late, total
	}
	for _, order := range []string{"due_date", "-title", "version", "-attending_staff"} {
		gotPlaced, gotLate, gotTotal := listAll(withIndex, order)
		wantPlaced, wantLate, wantTotal := listAll(plain, order)
		slices.Sort(gotLate)
		slices.Sort(wantLate)
		if !slices.Equal(gotPlaced, wantPlaced) || !slices.Equal(gotLate, wantLate) || gotTotal != wantTotal || len(wantLate) == 0 {
			t.Errorf("%s: indexed %v, not indexed %v (%d); want %v, %v (%d)", order, gotPlaced, gotLate, gotTotal, wantPlaced, wantLate, wantTotal)
		}
	}
}

// Until the store says every ticket is in the order postings (a table
// indexed before them, until the backfill's text pass), lists ordered by
// their columns take the plans without them, with the same rows; once it
// says so, the container remembers.
func TestOrderSort_NotUsedUntilTheOrderPostingsAreComplete(t *testing.T) {
	withIndex, plain, indexed := twins(seedOrderValues)
	indexed.SetOrderPostingsComplete(false)
	ctx := grievance.NewContext(context.Background(), specialist)
	q := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(20)}, OrderBy: []string{"-due_date"},
		Filters: []grievance.Filter{{Field: "status", Lookup: grievance.IContains, Value: "e"}}}
	for _, complete := range []bool{false, true} {
		indexed.SetOrderPostingsComplete(complete)
		indexed.read, indexed.sorted = 0, 0
		got, want := bothAnswers(t, withIndex, plain, ctx, q)
		if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
			t.Errorf("complete %v: %s (%d), want %s (%d)", complete, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
		}
		if walked := indexed.sorted == 0 && indexed.read > 0; walked != complete {
			t.Errorf("complete %v: sort index read %d times, %d tickets by number", complete, indexed.sorted, indexed.read)
		}
	}
	indexed.SetOrderPostingsComplete(false) // never happens: the answer is remembered
	indexed.read, indexed.sorted = 0, 0
	bothAnswers(t, withIndex, plain, ctx, q)
	if indexed.sorted > 0 {
		t.Error("the container asked again after the order postings were complete")
	}
}

// A title filter ordered by title, whose candidates sort together in the
// middle of the column (every "(5…)" title comes after every "(1…)" to
// "(4…)" one), in either direction: the runs place them in one read, so
// a page reads about a page of tickets, not the 111 candidates (nor the
// 444 groups before them); until the runs are complete, or when the
// store keeps none, the list is the same, by the walk.
func TestOrderSort_RunsPlaceCandidatesThatSortInTheMiddle(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		for i := 1; i <= 1000; i++ {
			st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
				Title: fmt.Sprintf("Payment not received (%d)", i), Category: "Open", Status: grievance.StatusOpen, DateCreated: clock.Now()})
		}
	}
	ctx := grievance.NewContext(context.Background(), specialist)
	for _, c := range []struct{ runs, none bool }{{true, false}, {false, false}, {true, true}} {
		runs := c.runs && !c.none
		withIndex, plain, indexed := twins(seed)
		indexed.SetOrderRunsComplete(c.runs)
		indexed.noRuns = c.none
		for _, order := range []string{"title", "-title"} {
			for _, page := range []grievance.PageArgs{{First: intp(20)}, {First: intp(20), Offset: 40}} {
				q := grievance.TicketQuery{WantCount: true, Page: page, OrderBy: []string{order},
					Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "received (5"}}}
				indexed.read, indexed.sorted, indexed.groups = 0, 0, 0
				got, want := bothAnswers(t, withIndex, plain, ctx, q)
				if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage || want.TotalCount != 111 {
					t.Errorf("runs %v, %s %+v: %s (%d), want %s (%d)", runs, order, page, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
				}
				// The rows wanted and a quarter more (the first read's
				// size), and the rest of the last run; no group. Without
				// them, the walk reads groups and passes those before the
				// candidates (or reads every candidate).
				most := (page.Offset+21)*5/4 + 2 + 4
				if runs && (indexed.read > most || indexed.groups > 0) || !runs && (indexed.groups == 0 || indexed.read+indexed.groups < 111) {
					t.Errorf("runs %v, %s %+v: %d tickets read by number, %d groups (runs: at most %d tickets)", runs, order, page, indexed.read, indexed.groups, most)
				}
			}
		}
	}
}

// Panel filters too sparse for the walk's first groups to hold a page (a
// ticket in 25), ordered by title: the runs place them in one read, so a
// page reads about its own tickets and no group, whichever way.
func TestOrderSort_RunsPlaceSparsePanelCandidates(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		for i := 1; i <= 1000; i++ {
			status := grievance.StatusOpen
			if i%25 == 0 {
				status = grievance.StatusResolved
			}
			st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
				Title: fmt.Sprintf("Payment not received (%d)", i), Category: "Open", Status: status, DateCreated: clock.Now()})
		}
	}
	ctx := grievance.NewContext(context.Background(), specialist)
	for _, runs := range []bool{true, false} {
		withIndex, plain, indexed := twins(seed)
		indexed.SetOrderRunsComplete(runs)
		indexed.OrderGroupsPerCall = 100
		for _, order := range []string{"title", "-title"} {
			q := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(20)}, OrderBy: []string{order},
				Filters: []grievance.Filter{{Field: "status", Lookup: grievance.IContains, Value: "resolved"}}}
			indexed.read, indexed.sorted, indexed.groups = 0, 0, 0
			got, want := bothAnswers(t, withIndex, plain, ctx, q)
			if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || want.TotalCount != 40 {
				t.Errorf("runs %v, %s: %s (%d), want %s (%d)", runs, order, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
			}
			if runs && (indexed.read > 21*5/4+2+4 || indexed.groups > 0) || !runs && indexed.groups == 0 {
				t.Errorf("runs %v, %s: %d tickets read by number, %d groups", runs, order, indexed.read, indexed.groups)
			}
		}
	}
}

// A text filter whose tickets are all due first, listed latest due first:
// the first groups hold none of them. With the due days, they are placed
// in one read and a page reads its tickets only. Before the days are
// complete the walk places them: a due date's group is many tickets, so
// walking the rest of the column costs fewer reads than sorting the
// candidates, and the walk goes on to them.
func TestOrderSort_CandidatesDueFirstListedLatestDueFirst(t *testing.T) {
	seed := func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(writeConfig))
		clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
		for i := 1; i <= 300; i++ {
			title, due := fmt.Sprintf("Payment not received (%d)", i), fmt.Sprintf("2026-12-%02d", 2+i%10)
			if i <= 100 {
				title, due = fmt.Sprintf("Lost card (%d)", i), "2026-12-01"
			}
			st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1, Title: title, DueDate: due,
				Category: "Open", Status: grievance.StatusOpen, DateCreated: clock.Now()})
		}
	}
	for _, days := range []bool{true, false} {
		withIndex, plain, indexed := twins(seed)
		indexed.SetDueDaysComplete(days)
		indexed.OrderGroupsPerCall = 3
		ctx := grievance.NewContext(context.Background(), specialist)
		q := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(20)}, OrderBy: []string{"-due_date"},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "lost"}}}
		got, want := bothAnswers(t, withIndex, plain, ctx, q)
		if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
			t.Errorf("days %v: %s (%d), want %s (%d)", days, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
		}
		switch {
		case indexed.read > 30:
			t.Errorf("days %v: %d tickets read by number: the candidates were read instead of placed", days, indexed.read)
		case days && indexed.groups > 0, !days && indexed.groups == 0:
			t.Errorf("days %v: %d order posting groups read", days, indexed.groups)
		}
	}
}

// Day numbers sort as the due dates do, no due date first; what the
// column cannot hold is unknown (placed as a ticket not indexed).
func TestDayOf_SortsAsTheDueDates(t *testing.T) {
	dates := []string{"", "1970-01-01", "2026-02-28", "2026-03-01", "2026-12-31", "2027-01-01", "2149-01-01"}
	prev := grievance.DayUnknown
	for _, d := range dates {
		n := grievance.DayOf(d)
		if n <= prev {
			t.Errorf("DayOf(%q) = %d, not above %d (the date before)", d, n, prev)
		}
		prev = n
	}
	for _, d := range []string{"1969-12-31", "2200-01-01", "01/02/2026", "2026-13-01"} {
		if n := grievance.DayOf(d); n != grievance.DayUnknown {
			t.Errorf("DayOf(%q) = %d, want unknown", d, n)
		}
	}
}

// A cursor's run comes from the client: numbers it does not hold, up to
// the largest a number may be, change nothing, and a malformed run is the
// invalid-cursor error.
func TestSortedSearch_CursorRunFromTheClient(t *testing.T) {
	withIndex, _, indexed := twins(seedOrderValues)
	indexed.OrderRunMembers = 24
	indexed.SetOrderRunsComplete(true)
	indexed.SetOrderPostingsComplete(true)
	// Listed by the runs (no category hides a column from this reader).
	ctx := grievance.NewContext(context.Background(), confOfficer)
	list := func(after string) (*grievance.Page[*grievance.Ticket], error) {
		return withIndex.ListTickets(ctx, grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(5), After: after},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "e"}}, OrderBy: []string{"title"}})
	}
	first, err := list("")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(first.Cursor(4))
	head, order, ok := strings.Cut(string(raw), "|o")
	run, _, _ := strings.Cut(head[strings.Index(head, "|r")+2:], "|")
	if !ok || !strings.Contains(head, "|r") || run == "" {
		t.Fatalf("page 1's last cursor %q carries no run before its value", raw)
	}
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	want, err := list(first.Cursor(4))
	if err != nil {
		t.Fatal(err)
	}
	huge := strconv.FormatInt(math.MaxInt64, 36)
	forged := enc(strings.Replace(head, "|r", "|r"+huge+",zzzzzzzz,", 1) + "|o" + order)
	got, err := list(forged)
	if err != nil || codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
		t.Errorf("numbers the run does not hold: %v, err %v; want %s", got, err, codes(want.Items))
	}
	_, err = list(enc(strings.Replace(head, "|r", "|r-5,", 1) + "|o" + order))
	if grievance.ErrorCode(err) != grievance.CodeInvalid {
		t.Errorf("a negative number in the run: err %v, want %s", err, grievance.CodeInvalid)
	}
}

// The next page of a filtered list ordered by a column (the value
// postings' groups, the order postings' runs, due days or walk, a sort
// index read for the candidates) starts after the cursor of the page
// before: the pages together are the list read whole, each with its
// count, for every reader; and a later page reads about a page of
// tickets, where re-reading every row before it grows with each page.
func TestSortedSearch_NextPagesStartAfterTheCursor(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	const size = 10
	for _, c := range []struct {
		perCall, runMembers int
		runs, noOrders      bool
	}{{0, 4, true, false}, {0, 24, true, false}, {3, 1, true, false}, {3, 4, false, false}, {0, 4, false, true}} {
		t.Run(fmt.Sprintf("%d a call, runs %v, order postings %v", c.perCall, c.runs, !c.noOrders), func(t *testing.T) {
			t.Parallel()
			withIndex, plain, indexed := twins(seedOrderValues)
			indexed.OrderGroupsPerCall = c.perCall
			indexed.OrderRunMembers = c.runMembers
			indexed.SetOrderRunsComplete(c.runs)
			indexed.SetDueDaysComplete(c.runs)
			// Before the backfill, the sort indexes read for the
			// candidates.
			indexed.SetOrderPostingsComplete(!c.noOrders)
			// The officer, whom a category hides titles, reporters and
			// staff from, is listed from the candidates sorted in memory.
			readers := []*grievance.Principal{confOfficer}
			if c.perCall == 0 && c.runs {
				readers = append(readers, officer)
			}
			for _, reader := range readers {
				for _, fs := range [][]grievance.Filter{
					{f("title", grievance.IContains, "e")},
					// More candidates than are judged for the count: it
					// is the rows found and the candidates not read.
					{f("title", grievance.IContains, "eceived")},
					{f("title", grievance.IContains, "received (1")},
					{f("category", grievance.IContains, "ope")},
					{f("status", grievance.IContains, "OPEN"), f("priority", grievance.IContains, "low")},
				} {
					for _, order := range []string{"title", "-title", "due_date", "-due_date", "reporter_id", "-reporter_id", "version", "-version",
						"attending_staff", "-attending_staff", "status", "-status", "category", "-category", "priority", "-priority"} {
						name := fmt.Sprintf("%s %v %s", reader.Username, fs, order)
						ctx := grievance.NewContext(context.Background(), reader)
						var want []*grievance.Ticket
						for off := 0; ; off += 100 {
							p, err := plain.ListTickets(ctx, grievance.TicketQuery{Page: grievance.PageArgs{First: intp(100), Offset: off}, Filters: fs, OrderBy: []string{order}})
							if err != nil {
								t.Fatal(err)
							}
							if want = append(want, p.Items...); !p.HasNextPage {
								break
							}
						}
						var got []*grievance.Ticket
						after, reads := "", []int{}
						listed := map[int64]bool{}
						for n := 1; n <= 40; n++ {
							indexed.read, indexed.seqs = 0, map[int64]bool{}
							p, err := withIndex.ListTickets(ctx, grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(size), After: after}, Filters: fs, OrderBy: []string{order}})
							if err != nil {
								t.Fatal(err)
							}
							if p.TotalCount != len(want) {
								t.Errorf("%s: page %d counts %d, want %d", name, n, p.TotalCount, len(want))
							}
							got, reads = append(got, p.Items...), append(reads, indexed.read)
							// Past the backfill, a page that starts after a
							// column's cursor reads none of the rows listed
							// before it, not even those of the run it
							// starts in, wherever one read places every
							// candidate (runs, due days with a text filter,
							// value groups; a walk of groups without runs
							// may read the rest, those before it too).
							placed := !strings.HasSuffix(order, "version") && (!strings.HasSuffix(order, "due_date") || fs[0].Field == "title")
							if c.runs && placed && keyset(after) {
								for seq := range indexed.seqs {
									if listed[seq] {
										t.Errorf("%s: page %d read ticket %d again", name, n, seq)
									}
								}
							}
							for _, it := range p.Items {
								listed[it.Seq] = true
							}
							// With the runs and due days (a table past its
							// backfill), a later page reads about what the
							// first did, or the rest of the candidates when
							// they are a few pages: never the rows before it
							// again.
							if c.runs && n > 1 && indexed.read > max(reads[0], 5*size) {
								t.Errorf("%s: page %d read %d tickets by number, the first %d", name, n, indexed.read, reads[0])
							}
							if !p.HasNextPage {
								break
							}
							after = p.Cursor(len(p.Items) - 1)
						}
						if codes(got) != codes(want) {
							t.Errorf("%s: pages %s\nwant  %s", name, codes(got), codes(want))
						}
					}
				}
			}
		})
	}
}
