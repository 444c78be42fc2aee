// Package storetest is the contract of grievance.Store as one test suite.
// It runs against the in-memory store (grievancetest), on which the domain's
// rule tests run, and against the DynamoDB store (shared/store, on moto),
// which the functions run on: what passes for one passes for the other, so
// the rule tests cannot drift from production.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// Store is a grievance.Store (with attachments) that can also load the
// directory, which the services only read.
type Store interface {
	grievance.Store
	grievance.AttachmentStore
	UpsertPeople(ctx context.Context, people []grievance.Person) error
}

// Run runs the suite; newStore returns an empty store for one test.
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s Store)
	}{
		{"NewTicketsGetConsecutiveCodes", newTicketsGetConsecutiveCodes},
		{"StaleVersionIsAConflictAndChangesNothing", staleVersionIsAConflict},
		{"CommentIsCreatedOnce", commentIsCreatedOnce},
		{"RangesMergeInNumberOrder", rangesMergeInNumberOrder},
		{"LongRangesReadToTheEnd", longRangesReadToTheEnd},
		{"SortedRangesInListOrder", sortedRangesInListOrder},
		{"SortedRangesWithinAKeyRange", sortedRangesWithinAKeyRange},
		{"DescendingTopRunsStayRight", descendingTopRunsStayRight},
		{"TicketValuesListTheLiveValues", ticketValuesListTheLiveValues},
		{"TicketsByIDReturnsThoseThatExist", ticketsByID},
		{"CommentsReadByIDAndByTicket", commentsReadByIDAndByTicket},
		{"PeopleUpsertIsIdempotentAndFindsUsers", peopleUpsert},
		{"ClaimsRunAMutationOnce", claimsRunAMutationOnce},
		{"RetryableFailureIsTakenOver", retryableFailureIsTakenOver},
		{"ConfigDocumentVersionedWrites", configDocumentVersionedWrites},
		{"ReturnedValuesAreCopies", returnedValuesAreCopies},
		{"AttachmentsAreVersionedWithTheirTicket", attachmentsVersionedWithTheirTicket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newStore(t))
		})
	}
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func newTicket(n int, status grievance.Status, category string) *grievance.Ticket {
	return &grievance.Ticket{ID: id(n), Version: 1, Status: status, Category: category, Title: fmt.Sprint("t ", n),
		DateCreated: t0, DateUpdated: t0, DateValidFrom: t0, UserCreated: "u1", UserUpdated: "u1"}
}

func create(t *testing.T, s Store, tk *grievance.Ticket) *grievance.Ticket {
	t.Helper()
	if err := s.Commit(context.Background(), &grievance.Write{NewTicket: tk}); err != nil {
		t.Fatalf("create %s: %v", tk.ID, err)
	}
	return tk
}

func codes(t *testing.T, s Store, r grievance.TicketRange) []string {
	t.Helper()
	var out []string
	err := s.ScanTickets(context.Background(), r, func(tk *grievance.Ticket) (bool, error) {
		out = append(out, tk.Code)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func newTicketsGetConsecutiveCodes(t *testing.T, s Store) {
	ctx := context.Background()
	a := create(t, s, newTicket(1, grievance.StatusReceived, "Default"))
	b := create(t, s, newTicket(2, grievance.StatusOpen, "Default"))
	if a.Code != "GRS00000001" || b.Code != "GRS00000002" || b.Seq != 2 {
		t.Fatalf("codes=%s,%s, want GRS00000001,GRS00000002", a.Code, b.Code)
	}
	got, err := s.Ticket(ctx, id(2))
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != "GRS00000002" || got.Seq != 2 || got.Status != grievance.StatusOpen || !got.DateCreated.Equal(t0) {
		t.Fatalf("read back %+v", got)
	}
	if _, err := s.Ticket(ctx, id(99)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("missing ticket err=%v, want NOT_FOUND", err)
	}
}

func staleVersionIsAConflict(t *testing.T, s Store) {
	ctx := context.Background()
	tk := create(t, s, newTicket(1, grievance.StatusReceived, "Default"))
	upd := tk.Clone()
	upd.Title, upd.Version = "new", 2
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: upd, Prev: 1}}}); err != nil {
		t.Fatal(err)
	}
	stale := tk.Clone()
	stale.Title, stale.Version = "lost", 2
	c := &grievance.Comment{ID: id(50), TicketID: tk.ID, Version: 1, Comment: "x", DateCreated: t0, DateUpdated: t0}
	err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: stale, Prev: 1}}, Comments: []grievance.CommentWrite{{Comment: c}}})
	if grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("err=%v, want CONFLICT", err)
	}
	got, _ := s.Ticket(ctx, tk.ID)
	if got.Title != "new" || got.Version != 2 {
		t.Fatalf("ticket=%q v%d, want new v2", got.Title, got.Version)
	}
	if _, err := s.Comment(ctx, c.ID); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("comment of a failed write exists: %v", err)
	}
}

func commentIsCreatedOnce(t *testing.T, s Store) {
	ctx := context.Background()
	tk := create(t, s, newTicket(1, grievance.StatusOpen, "Default"))
	c := &grievance.Comment{ID: id(50), TicketID: tk.ID, Version: 1, Comment: "x", DateCreated: t0, DateUpdated: t0}
	if err := s.Commit(ctx, &grievance.Write{Comments: []grievance.CommentWrite{{Comment: c}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &grievance.Write{Comments: []grievance.CommentWrite{{Comment: c}}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("second create err=%v, want CONFLICT", err)
	}
}

func rangesMergeInNumberOrder(t *testing.T, s Store) {
	ctx := context.Background()
	statuses := []grievance.Status{grievance.StatusOpen, grievance.StatusReceived, grievance.StatusOpen, grievance.StatusClosed, grievance.StatusReceived}
	var tickets []*grievance.Ticket
	for i, st := range statuses {
		tk := newTicket(i+1, st, []string{"Default", "Category A"}[i%2])
		if i == 2 {
			tk.AttendingStaffID = id(900)
		}
		tickets = append(tickets, create(t, s, tk))
	}
	// Ticket 5 is deleted: it leaves the live lists.
	del := tickets[4].Clone()
	del.IsDeleted, del.Version = true, 2
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: del, Prev: 1}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    grievance.TicketRange
		want string
	}{
		{"AllLiveAscending", grievance.TicketRange{By: grievance.RangeAll}, "[GRS00000001 GRS00000002 GRS00000003 GRS00000004]"},
		{"AllLiveDescending", grievance.TicketRange{By: grievance.RangeAll, Descending: true}, "[GRS00000004 GRS00000003 GRS00000002 GRS00000001]"},
		{"LiveAndDeleted", grievance.TicketRange{By: grievance.RangeAll, Deleted: true, AlsoLive: true}, "[GRS00000001 GRS00000002 GRS00000003 GRS00000004 GRS00000005]"},
		{"DeletedOnly", grievance.TicketRange{By: grievance.RangeAll, Deleted: true}, "[GRS00000005]"},
		{"TwoStatusesMerged", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}}, "[GRS00000001 GRS00000002 GRS00000003]"},
		{"TwoStatusesMergedDescending", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}, Descending: true}, "[GRS00000003 GRS00000002 GRS00000001]"},
		{"AfterANumber", grievance.TicketRange{By: grievance.RangeAll, After: 2}, "[GRS00000003 GRS00000004]"},
		{"Category", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A"}}, "[GRS00000002 GRS00000004]"},
		{"Staff", grievance.TicketRange{By: grievance.RangeStaff, Keys: []string{id(900)}}, "[GRS00000003]"},
		{"CategoryInStatuses", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A"}, Statuses: []string{"OPEN", "CLOSED"}}, "[GRS00000004]"},
		{"TwoCategoriesMerged", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Default", "Category A"}, Descending: true}, "[GRS00000004 GRS00000003 GRS00000002 GRS00000001]"},
		{"CategoriesInStatusesMerged", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A", "Default"}, Statuses: []string{"OPEN", "RECEIVED"}}, "[GRS00000001 GRS00000002 GRS00000003]"},
		{"CategoriesInStatusesAfterANumber", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A", "Default"}, Statuses: []string{"OPEN", "RECEIVED"}, After: 1}, "[GRS00000002 GRS00000003]"},
		{"OneNumber", grievance.TicketRange{By: grievance.RangeSeq, Seq: 4}, "[GRS00000004]"},
		{"DeletedNumberAmongLive", grievance.TicketRange{By: grievance.RangeSeq, Seq: 5}, "[]"},
		{"DeletedNumberAmongAll", grievance.TicketRange{By: grievance.RangeSeq, Seq: 5, Deleted: true, AlsoLive: true}, "[GRS00000005]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(codes(t, s, tc.r)); got != tc.want {
				t.Fatalf("codes=%s, want %s", got, tc.want)
			}
		})
	}
	for _, c := range []struct {
		r    grievance.TicketRange
		want int
	}{
		{grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}}, 3},
		{grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A"}, Statuses: []string{"RECEIVED", "CLOSED"}}, 2},
		{grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Default"}, Statuses: []string{"CLOSED"}}, 0},
		{grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Default", "Category A"}}, 4},
		{grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Default", "Category A"}, Statuses: []string{"OPEN", "CLOSED"}}, 3},
	} {
		if n, err := s.CountTickets(ctx, c.r); err != nil || n != c.want {
			t.Fatalf("count of %+v = %d err=%v, want %d", c.r, n, err, c.want)
		}
	}
}

// A sorted range is in the list's order (value, ties newest first, either
// direction); with a value, it holds that value's tickets in number order.
func sortedRangesInListOrder(t *testing.T, s Store) {
	ctx := context.Background()
	for i, p := range []string{"High", "Low", "", "High", "Low", "High"} {
		tk := newTicket(i+1, grievance.StatusOpen, "Default")
		tk.Priority = p
		create(t, s, tk)
	}
	for _, tc := range []struct {
		name string
		r    grievance.TicketRange
		want string
	}{
		{"PriorityAscending", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority"}, "[GRS00000003 GRS00000006 GRS00000004 GRS00000001 GRS00000005 GRS00000002]"},
		{"PriorityDescending", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true}, "[GRS00000005 GRS00000002 GRS00000006 GRS00000004 GRS00000001 GRS00000003]"},
		{"TitleDescending", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", Descending: true, PageHint: 2}, "[GRS00000006 GRS00000005 GRS00000004 GRS00000003 GRS00000002 GRS00000001]"},
		{"OnePriorityNewestFirst", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High"}, Descending: true}, "[GRS00000006 GRS00000004 GRS00000001]"},
		{"OnePriorityAfterANumber", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High"}, After: 1}, "[GRS00000004 GRS00000006]"},
		{"TwoPrioritiesMerged", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"Low", "High"}}, "[GRS00000001 GRS00000002 GRS00000004 GRS00000005 GRS00000006]"},
		{"TwoPrioritiesNewestFirst", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"Low", "High"}, Descending: true, After: 5, PageHint: 1}, "[GRS00000004 GRS00000002 GRS00000001]"},
		// Keyset paging: after a row (its value and number) in the order.
		{"PriorityAscendingAfterARow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", After: 4, AfterValue: "High", PageHint: 1}, "[GRS00000001 GRS00000005 GRS00000002]"},
		{"PriorityAscendingAfterTheEmptyValue", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", After: 3, AfterValue: ""}, "[GRS00000006 GRS00000004 GRS00000001 GRS00000005 GRS00000002]"},
		{"PriorityDescendingAfterARunsFirstRow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, After: 5, AfterValue: "Low", PageHint: 1}, "[GRS00000002 GRS00000006 GRS00000004 GRS00000001 GRS00000003]"},
		{"PriorityDescendingAfterARow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, After: 6, AfterValue: "High", PageHint: 2}, "[GRS00000004 GRS00000001 GRS00000003]"},
		{"PriorityDescendingAfterARunsLastRow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, After: 1, AfterValue: "High"}, "[GRS00000003]"},
		{"PriorityDescendingAfterTheLastRow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, After: 3, AfterValue: ""}, "[]"},
		{"TitleDescendingAfterARow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", Descending: true, After: 4, AfterValue: "t 4", PageHint: 2}, "[GRS00000003 GRS00000002 GRS00000001]"},
		{"TitleAscendingAfterARow", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", After: 2, AfterValue: "t 2"}, "[GRS00000003 GRS00000004 GRS00000005 GRS00000006]"},
		{"TitleDescendingAfterAValueNoTicketHas", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", Descending: true, After: 9, AfterValue: "t 3x"}, "[GRS00000003 GRS00000002 GRS00000001]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(codes(t, s, tc.r)); got != tc.want {
				t.Fatalf("codes=%s, want %s", got, tc.want)
			}
		})
	}
	n, err := s.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High"}})
	if err != nil || n != 3 {
		t.Fatalf("count=%d err=%v, want 3", n, err)
	}
	if n, err := s.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High", "Low"}}); err != nil || n != 5 {
		t.Fatalf("count of two priorities=%d err=%v, want 5", n, err)
	}
}

// sortedFixture creates n tickets whose sortable columns repeat in runs
// (several longer than a small page), some deleted, and returns the live
// ones as stored.
func sortedFixture(t *testing.T, s Store, n int) []*grievance.Ticket {
	ctx := context.Background()
	var live []*grievance.Ticket
	for i := range n {
		tk := newTicket(i+1, grievance.Statuses[i%3], []string{"Default", "Category A"}[i%2])
		tk.Priority = []string{"High", "Low", "Medium"}[i%7%3]
		tk.ReporterID = []string{"", id(800), id(801)}[i%3]
		if i%4 != 0 {
			tk.AttendingStaffID = id(900 + i%2)
		}
		tk.DueDate = []string{"", "2026-12-01", "2026-12-02"}[i%5%3]
		tk = create(t, s, tk)
		for range i % 3 { // versions 1 to 3
			up := tk.Clone()
			up.Version++
			if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: up, Prev: tk.Version, Old: tk}}}); err != nil {
				t.Fatal(err)
			}
			tk = up
		}
		if i%9 == 4 {
			del := tk.Clone()
			del.IsDeleted, del.Version = true, tk.Version+1
			if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: del, Prev: tk.Version, Old: tk}}}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		live = append(live, tk)
	}
	return live
}

// wantCodes orders the live tickets in r's order, keeping those keep
// accepts.
func wantCodes(live []*grievance.Ticket, field string, desc bool, keep func(*grievance.Ticket) bool) []string {
	want := slices.Clone(live)
	slices.SortStableFunc(want, grievance.TicketOrder(field, desc))
	var out []string
	for _, tk := range want {
		if keep == nil || keep(tk) {
			out = append(out, tk.Code)
		}
	}
	return out
}

// A sorted range within a key range holds that range's tickets in the
// list's order, whatever the page size; every sortable column, the narrow
// indexes (reporter, version, attending staff) included.
func sortedRangesWithinAKeyRange(t *testing.T, s Store) {
	live := sortedFixture(t, s, 45)
	within := []struct {
		name string
		r    *grievance.TicketRange
		keep func(*grievance.Ticket) bool
	}{
		{"all", nil, nil},
		{"status", &grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"OPEN"}}, func(tk *grievance.Ticket) bool { return tk.Status == grievance.StatusOpen }},
		{"categories in statuses", &grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A"}, Statuses: []string{"RECEIVED", "IN_PROGRESS"}},
			func(tk *grievance.Ticket) bool {
				return tk.Category == "Category A" && tk.Status != grievance.StatusOpen
			}},
		{"staff", &grievance.TicketRange{By: grievance.RangeStaff, Keys: []string{id(901)}}, func(tk *grievance.Ticket) bool { return tk.AttendingStaffID == id(901) }},
		{"reporter", &grievance.TicketRange{By: grievance.RangeReporter, Keys: []string{id(800)}}, func(tk *grievance.Ticket) bool { return tk.ReporterID == id(800) }},
		{"priorities", &grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"Low", "Medium"}}, func(tk *grievance.Ticket) bool { return tk.Priority != "High" }},
	}
	for _, field := range grievance.SortIndexed {
		for _, w := range within {
			for _, desc := range []bool{false, true} {
				for _, hint := range []int{0, 3} {
					t.Run(fmt.Sprintf("%s/%s/desc=%v/hint=%d", field, w.name, desc, hint), func(t *testing.T) {
						r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: field, Descending: desc, PageHint: hint, Within: w.r, Share: 0.3}
						if got, want := codes(t, s, r), wantCodes(live, field, desc, w.keep); !slices.Equal(got, want) {
							t.Fatalf("codes=%v\nwant   %v", got, want)
						}
					})
				}
			}
		}
	}
}

// A descending read stays in the list's order read after read, while the
// top value's run grows, shrinks and changes (a store may remember it).
func descendingTopRunsStayRight(t *testing.T, s Store) {
	ctx := context.Background()
	var live []*grievance.Ticket
	add := func(n int, prio string) {
		tk := newTicket(n, grievance.StatusOpen, "Default")
		tk.Priority = prio
		live = append(live, create(t, s, tk))
	}
	check := func(step string) {
		t.Helper()
		for _, hint := range []int{2, 5} {
			r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, PageHint: hint}
			var got []string
			err := s.ScanTickets(ctx, r, func(tk *grievance.Ticket) (bool, error) {
				got = append(got, tk.Code)
				return len(got) < hint+1, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := wantCodes(live, "priority", true, nil); !slices.Equal(got, want[:min(len(want), hint+1)]) {
				t.Fatalf("%s, page of %d: %v, want %v", step, hint, got, want[:min(len(want), hint+1)])
			}
		}
	}
	for i := range 8 {
		add(i+1, []string{"Low", "High"}[i%2])
	}
	check("a long top run")
	check("the same again")
	add(9, "Medium")
	check("a new top value of one ticket")
	check("again")
	for i := range 6 {
		add(10+i, "Zero")
	}
	check("a new long top run")
	for _, tk := range slices.Clone(live) {
		if tk.Priority == "Zero" || tk.Priority == "Medium" {
			del := tk.Clone()
			del.IsDeleted, del.Version = true, tk.Version+1
			if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: del, Prev: tk.Version, Old: tk}}}); err != nil {
				t.Fatal(err)
			}
			live = slices.DeleteFunc(live, func(x *grievance.Ticket) bool { return x.ID == tk.ID })
		}
	}
	check("the top runs gone")
}

// TicketValues lists every value live tickets have in category and
// priority, with how many have it, as tickets come, change and go.
func ticketValuesListTheLiveValues(t *testing.T, s Store) {
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := range 6 {
		tk := newTicket(i+1, grievance.StatusOpen, []string{"Default", "Legacy", "Default"}[i%3])
		tk.Priority = []string{"High", "", "typed free"}[i%3]
		ts = append(ts, create(t, s, tk))
	}
	up := ts[0].Clone()
	up.Version, up.Priority, up.Category = 2, "Low", "Moved"
	del := ts[4].Clone()
	del.Version, del.IsDeleted = 2, true
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: up, Prev: 1, Old: ts[0]}, {Ticket: del, Prev: 1, Old: ts[4]}}}); err != nil {
		t.Fatal(err)
	}
	nonzero := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	got, err := s.TicketValues(ctx, "category", "priority")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"category": {"Default": 3, "Legacy": 1, "Moved": 1},
		"priority": {"High": 1, "Low": 1, "typed free": 2},
	}
	for f, w := range want {
		if g := nonzero(got[f]); fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s values %v, want %v", f, g, w)
		}
	}
	one, err := s.TicketValues(ctx, "priority")
	if err != nil || len(one) != 1 || fmt.Sprint(nonzero(one["priority"])) != fmt.Sprint(want["priority"]) {
		t.Errorf("priority alone: %v %v", one, err)
	}
}

// A long range is read past what one request of the store returns.
func longRangesReadToTheEnd(t *testing.T, s Store) {
	for i := range 150 {
		create(t, s, newTicket(i+1, grievance.StatusOpen, "Default"))
	}
	got := codes(t, s, grievance.TicketRange{By: grievance.RangeAll, Descending: true})
	if len(got) != 150 || got[0] != "GRS00000150" || got[149] != "GRS00000001" {
		t.Fatalf("got %d codes, first %v", len(got), got[:min(3, len(got))])
	}
}

func ticketsByID(t *testing.T, s Store) {
	create(t, s, newTicket(1, grievance.StatusOpen, "Default"))
	create(t, s, newTicket(2, grievance.StatusOpen, "Default"))
	got, err := s.TicketsByID(context.Background(), []string{id(2), id(3), id(1), id(2)})
	if err != nil || len(got) != 2 || got[id(1)].Code != "GRS00000001" || got[id(2)].Code != "GRS00000002" {
		t.Fatalf("tickets=%v err=%v", got, err)
	}
}

func commentsReadByIDAndByTicket(t *testing.T, s Store) {
	ctx := context.Background()
	tk := create(t, s, newTicket(1, grievance.StatusOpen, "Default"))
	prev := tk.Version
	c1 := &grievance.Comment{ID: id(11), TicketID: tk.ID, Version: 1, Comment: "first", DateCreated: t0, DateUpdated: t0}
	c2 := &grievance.Comment{ID: id(12), TicketID: tk.ID, Version: 1, Comment: "second", DateCreated: t0.Add(time.Second), DateUpdated: t0, CommenterType: grievance.PersonIndividual, CommenterID: id(500)}
	tk.Version++
	if err := s.Commit(ctx, &grievance.Write{Comments: []grievance.CommentWrite{{Comment: c2}, {Comment: c1}}, Tickets: []grievance.TicketWrite{{Ticket: tk, Prev: prev}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Comment(ctx, c2.ID)
	if err != nil || got.Comment != "second" || got.CommenterID != id(500) || got.TicketID != tk.ID {
		t.Fatalf("comment=%+v err=%v", got, err)
	}
	all, err := s.CommentsOfTicket(ctx, tk.ID)
	if err != nil || len(all) != 2 || all[0].ID != c1.ID || all[1].ID != c2.ID {
		t.Fatalf("comments=%v err=%v, want c1 then c2", all, err)
	}
	both, withTicket, err := s.TicketWithComments(ctx, tk.ID)
	if err != nil || both.Version != 2 || len(withTicket) != 2 || withTicket[0].ID != c1.ID || withTicket[1].ID != c2.ID {
		t.Fatalf("ticket with comments=%+v %v err=%v", both, withTicket, err)
	}
	if _, _, err := s.TicketWithComments(ctx, id(77)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("missing ticket err=%v, want NOT_FOUND", err)
	}
	var scanned []string
	if err := s.ScanComments(ctx, true, func(c *grievance.Comment) (bool, error) { scanned = append(scanned, c.Comment); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(scanned) != "[second first]" {
		t.Fatalf("scan=%v", scanned)
	}
}

func peopleUpsert(t *testing.T, s Store) {
	ctx := context.Background()
	people := []grievance.Person{
		{ID: id(1), Type: grievance.PersonIndividual, FirstName: "Jane", LastName: "Doe", Dob: "1990-01-01", JSONExt: map[string]any{"phone": "0999"}},
		{ID: id(2), Type: grievance.PersonUser, Username: "Alice", Roles: []string{"1"}},
	}
	for range 2 {
		if err := s.UpsertPeople(ctx, people); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.People(ctx, []string{id(1), id(2), id(3), id(1)})
	if err != nil || len(got) != 2 || got[id(1)].JSONExt["phone"] != "0999" {
		t.Fatalf("people=%v err=%v", got, err)
	}
	u, err := s.UserByUsername(ctx, "Alice")
	if err != nil || u.ID != id(2) {
		t.Fatalf("user=%v err=%v", u, err)
	}
	if _, err := s.UserByUsername(ctx, "alice"); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("usernames are case-sensitive; err=%v", err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("users=%v err=%v", users, err)
	}
}

// A clientMutationId claimed in a mutation's write cannot be claimed again
// by its user (neither by a commit, which then stores nothing, nor by a
// failure log), and names the first log; another user may use it.
func claimsRunAMutationOnce(t *testing.T, s Store) {
	ctx := context.Background()
	first := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: first, Claim: true, NewTicket: newTicket(8, grievance.StatusReceived, "Default")}); err != nil {
		t.Fatal(err)
	}
	again := &grievance.MutationLog{ID: id(2), UserID: "u1", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	err := s.Commit(ctx, &grievance.Write{Log: again, Claim: true, NewTicket: newTicket(9, grievance.StatusReceived, "Default")})
	if grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second commit err=%v, want duplicate", err)
	}
	if _, err := s.Ticket(ctx, id(9)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatal("the duplicate's ticket was stored")
	}
	if err := s.PutMutationLog(ctx, again, true); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second failure log err=%v, want duplicate", err)
	}
	prev, err := s.ClientMutation(ctx, "u1", "abc")
	if err != nil || prev == nil || prev.ID != first.ID || prev.Status != grievance.MutationSuccess {
		t.Fatalf("lookup=%+v err=%v, want the first log", prev, err)
	}
	if prev, err := s.ClientMutation(ctx, "u2", "abc"); err != nil || prev != nil {
		t.Fatalf("another user's lookup=%v err=%v", prev, err)
	}
	other := &grievance.MutationLog{ID: id(3), UserID: "u2", ClientMutationID: "abc", RequestDateTime: t0.Add(time.Second), Status: grievance.MutationFailed}
	if err := s.PutMutationLog(ctx, other, true); err != nil {
		t.Fatalf("another user's claim: %v", err)
	}
	if l, err := s.MutationLog(ctx, id(3)); err != nil || l.UserID != "u2" {
		t.Fatalf("log by id=%+v err=%v", l, err)
	}
	var mine, all []string
	if err := s.ScanMutationLogs(ctx, "u1", "", func(l *grievance.MutationLog) (bool, error) { mine = append(mine, l.ID); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.ScanMutationLogs(ctx, "", "abc", func(l *grievance.MutationLog) (bool, error) { all = append(all, l.ID); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mine, []string{id(1)}) || !slices.Equal(all, []string{id(3), id(1)}) {
		t.Fatalf("mine=%v all=%v", mine, all)
	}
}

// A claim held by a retryable failure is taken over by the resend's commit
// (same log id, now a success); a final claim is not: a later retryable
// failure or commit under it is a duplicate.
func retryableFailureIsTakenOver(t *testing.T, s Store) {
	ctx := context.Background()
	failed := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0,
		Status: grievance.MutationFailed, Error: `[{"message":"Failed","detail":"Internal error.","code":"INTERNAL"}]`, Retryable: true}
	if err := s.PutMutationLog(ctx, failed, true); err != nil {
		t.Fatal(err)
	}
	if prev, err := s.ClientMutation(ctx, "u1", "abc"); err != nil || prev == nil || !prev.Retryable {
		t.Fatalf("lookup=%+v err=%v, want the retryable failure", prev, err)
	}
	again := *failed
	if err := s.PutMutationLog(ctx, &again, true); err != nil {
		t.Fatalf("a second retryable failure under an open claim: %v", err)
	}
	ok := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: ok, Claim: true, NewTicket: newTicket(8, grievance.StatusReceived, "Default")}); err != nil {
		t.Fatalf("resend's commit: %v", err)
	}
	prev, err := s.ClientMutation(ctx, "u1", "abc")
	if err != nil || prev == nil || prev.ID != id(1) || prev.Status != grievance.MutationSuccess || prev.Retryable {
		t.Fatalf("lookup=%+v err=%v, want the success under the same id", prev, err)
	}
	if err := s.PutMutationLog(ctx, failed, true); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("retryable failure over a success err=%v, want duplicate", err)
	}
	late := &grievance.MutationLog{ID: id(2), UserID: "u1", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: late, Claim: true, NewTicket: newTicket(9, grievance.StatusReceived, "Default")}); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("commit over a success err=%v, want duplicate", err)
	}
}

func configDocumentVersionedWrites(t *testing.T, s Store) {
	ctx := context.Background()
	doc, ver, err := s.ConfigDocument(ctx)
	if err != nil || doc != nil || ver != 0 {
		t.Fatalf("empty config doc=%s ver=%d err=%v", doc, ver, err)
	}
	if err := s.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(`{"grievance_types":["A"]}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(`{}`)}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("second create err=%v, want CONFLICT", err)
	}
	if err := s.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(`{"grievance_types":["B"]}`), Prev: 1}}); err != nil {
		t.Fatal(err)
	}
	doc, ver, _ = s.ConfigDocument(ctx)
	if string(doc) != `{"grievance_types":["B"]}` || ver != 2 {
		t.Fatalf("doc=%s ver=%d", doc, ver)
	}
}

// The services change what they load before committing it: that must not
// change the stored state.
func returnedValuesAreCopies(t *testing.T, s Store) {
	ctx := context.Background()
	create(t, s, newTicket(1, grievance.StatusOpen, "Default"))
	got, err := s.Ticket(ctx, id(1))
	if err != nil {
		t.Fatal(err)
	}
	got.Title = "changed"
	if again, _ := s.Ticket(ctx, id(1)); again.Title != "t 1" {
		t.Fatalf("title=%q: a returned ticket aliases stored state", again.Title)
	}
}

// attachmentsVersionedWithTheirTicket: a pending attachment is created
// once; the scan's write (attachment and ticket together) is conditioned
// on both versions read; reads by id and by ticket see what was written,
// as copies; the ticket's other readers are not disturbed.
func attachmentsVersionedWithTheirTicket(t *testing.T, s Store) {
	ctx := context.Background()
	tk := create(t, s, newTicket(1, grievance.StatusOpen, "Default"))
	a := &grievance.Attachment{ID: id(50), TicketID: tk.ID, Version: 1, FileName: "slip.pdf", ContentType: "application/pdf",
		Size: 1234, Status: grievance.AttachmentPending, UploadedBy: "u1", DateCreated: t0, DateUpdated: t0, UserUpdated: "u1",
		ExpiresAt: t0.Add(25 * time.Hour)}
	if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Errorf("re-create: %v, want CONFLICT", err)
	}
	got, err := s.Attachment(ctx, a.ID)
	if err != nil || *got != *a {
		t.Fatalf("read back %+v, %v; want %+v", got, err, a)
	}
	got.FileName = "changed"
	if again, _ := s.Attachment(ctx, a.ID); again.FileName != "slip.pdf" {
		t.Errorf("a returned attachment is the stored one")
	}

	clean := a.Clone()
	clean.Version, clean.Status, clean.ExpiresAt = 2, grievance.AttachmentClean, time.Time{}
	t2 := tk.Clone()
	t2.Version, t2.AttachmentIDs = 2, []string{a.ID}
	w := &grievance.Write{Mutation: grievance.MutationScan,
		Attachments: []grievance.AttachmentWrite{{Attachment: clean, Prev: 1}},
		Tickets:     []grievance.TicketWrite{{Ticket: t2, Prev: 1, Old: tk}}}
	if err := s.Commit(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, w); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Errorf("stale scan write: %v, want CONFLICT", err)
	}
	back, err := s.Ticket(ctx, tk.ID)
	if err != nil || !slices.Equal(back.AttachmentIDs, []string{a.ID}) || back.Version != 2 {
		t.Fatalf("ticket %+v, %v", back, err)
	}
	list, err := s.AttachmentsOfTicket(ctx, tk.ID)
	if err != nil || len(list) != 1 || list[0].Status != grievance.AttachmentClean || !list[0].ExpiresAt.IsZero() {
		t.Fatalf("attachments of ticket: %+v, %v", list, err)
	}
	if _, cs, err := s.TicketWithComments(ctx, tk.ID); err != nil || len(cs) != 0 {
		t.Errorf("ticket with comments: %d comments, %v", len(cs), err)
	}
	if _, err := s.Attachment(ctx, id(51)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Errorf("missing attachment: %v, want NOT_FOUND", err)
	}
	if list, _ := s.AttachmentsOfTicket(ctx, id(2)); len(list) != 0 {
		t.Errorf("another ticket lists %d attachments", len(list))
	}
}
