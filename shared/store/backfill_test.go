package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/store"
)

func t0Clock() time.Time { return t0 }

var backfillAdmin = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Username: "admin", Admin: true}

// oldTickets are n tickets with runs of equal priorities, titles and due
// dates, empty values and some deleted.
func oldTickets(n int) []*grievance.Ticket {
	var ts []*grievance.Ticket
	for i := range n {
		tk := newTicket(id(i+1), grievance.Statuses[i%len(grievance.Statuses)], []string{"A", "B", ""}[i%7%3])
		tk.Seq, tk.Code = int64(i+1), grievance.FormatCode(int64(i+1))
		tk.Priority = []string{"High", "", "Low", "High", "Medium"}[i%5]
		tk.Title = fmt.Sprintf("title %d", i%4)
		if i%2 == 0 {
			tk.DueDate = "2026-12-0" + fmt.Sprint(i%3+1)
		}
		tk.IsDeleted = i%11 == 5
		ts = append(ts, tk)
	}
	return ts
}

// listCodes lists the live tickets through the service in q's order.
func listCodes(t *testing.T, svc *grievance.Service, q grievance.TicketQuery) ([]string, *grievance.Page[*grievance.Ticket]) {
	t.Helper()
	ctx := grievance.NewContext(context.Background(), backfillAdmin)
	q.Page = grievance.PageArgs{First: new(int)}
	*q.Page.First = 100
	page, err := svc.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, tk := range page.Items {
		codes = append(codes, tk.Code)
	}
	return codes, page
}

// checkListsAndCounts compares every sorted list and every priority and
// status+category count the service gives with the live tickets; it
// returns the mismatches.
func checkListsAndCounts(t *testing.T, svc *grievance.Service) []string {
	t.Helper()
	_, all := listCodes(t, svc, grievance.TicketQuery{})
	live := all.Items
	var bad []string
	for _, field := range grievance.SortIndexed {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(live)
			slices.SortStableFunc(want, grievance.TicketOrder(field, desc))
			var wantCodes []string
			for _, tk := range want {
				wantCodes = append(wantCodes, tk.Code)
			}
			order := field
			if desc {
				order = "-" + field
			}
			got, _ := listCodes(t, svc, grievance.TicketQuery{OrderBy: []string{order}})
			if !slices.Equal(got, wantCodes) {
				bad = append(bad, fmt.Sprintf("orderBy %s: got %v, want %v", order, got, wantCodes))
			}
		}
	}
	exact := func(field, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: grievance.Exact, Value: v}
	}
	byPriority, byStatCat := map[string]int{}, map[[2]string]int{}
	for _, tk := range live {
		byPriority[tk.Priority]++
		byStatCat[[2]string{string(tk.Status), tk.Category}]++
	}
	for _, p := range []string{"High", "Low", "Medium", "None"} {
		_, page := listCodes(t, svc, grievance.TicketQuery{WantCount: true, Filters: []grievance.Filter{exact("priority", p)}})
		if !page.Counted || page.TotalCount != byPriority[p] {
			bad = append(bad, fmt.Sprintf("priority %s: totalCount %d (counted %v), want %d", p, page.TotalCount, page.Counted, byPriority[p]))
		}
	}
	// The filter panel's icontains: the dictionary's values and counts.
	icontains := func(field, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: grievance.IContains, Value: v}
	}
	for _, f := range []grievance.Filter{icontains("category", "a"), icontains("priority", "i"), icontains("priority", "OW")} {
		want := 0
		for _, tk := range live {
			if strings.Contains(strings.ToLower(grievance.SortValue(tk, f.Field)), strings.ToLower(f.Value.(string))) {
				want++
			}
		}
		got, page := listCodes(t, svc, grievance.TicketQuery{WantCount: true, Filters: []grievance.Filter{f}})
		if !page.Counted || page.TotalCount != want || len(got) != want {
			bad = append(bad, fmt.Sprintf("%s icontains %v: %d rows, totalCount %d (counted %v), want %d", f.Field, f.Value, len(got), page.TotalCount, page.Counted, want))
		}
	}
	for _, st := range grievance.Statuses {
		for _, cat := range []string{"A", "B"} {
			_, page := listCodes(t, svc, grievance.TicketQuery{WantCount: true, Filters: []grievance.Filter{exact("status", string(st)), exact("category", cat)}})
			if want := byStatCat[[2]string{string(st), cat}]; !page.Counted || page.TotalCount != want {
				bad = append(bad, fmt.Sprintf("status %s category %s: totalCount %d (counted %v), want %d", st, cat, page.TotalCount, page.Counted, want))
			}
		}
	}
	return bad
}

func update(t *testing.T, s *store.Store, tk *grievance.Ticket, change func(*grievance.Ticket)) *grievance.Ticket {
	t.Helper()
	n := tk.Clone()
	change(n)
	n.Version++
	if err := s.Commit(context.Background(), &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: n, Prev: tk.Version}}}); err != nil {
		t.Fatalf("update %s: %v", tk.Code, err)
	}
	return n
}

// TestBackfill_OldShapeTableGetsSortedListsAndCounts stores tickets as the
// code before the sort indexes did, changes one of them with the current
// code before the pass (which moves the new counts of a ticket they never
// counted) and one during it, runs the backfill, and checks every sorted
// list and count the service gives; a second run changes nothing.
func TestBackfill_OldShapeTableGetsSortedListsAndCounts(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	ts := oldTickets(40)
	store.PutOldShape(t, s, ts)
	svc := grievance.NewService(s, t0Clock, grievancetest.IDs(), grievance.Options{})

	if bad := checkListsAndCounts(t, svc); len(bad) == 0 {
		t.Fatal("before the backfill the sorted lists and counts are already right: the old shape is not old")
	}
	before := update(t, s, ts[0], func(n *grievance.Ticket) { n.Priority = "Low" }) // High → Low: PRIORITY#High goes to −1
	during := ts[2]
	var duringNew *grievance.Ticket
	store.SetBackfillRead(s, func(ticketID string) {
		if ticketID == during.ID && duringNew == nil {
			duringNew = update(t, s, during, func(n *grievance.Ticket) { n.Priority, n.Title = "Medium", "changed mid-pass" })
		}
	})

	var pages int
	r, err := s.Reindex(ctx, store.BackfillOptions{PageSize: 7, Progress: func(store.ReindexResult) { pages++ }})
	if err != nil {
		t.Fatal(err)
	}
	store.SetBackfillRead(s, nil)
	live := 0
	for _, tk := range ts {
		if !tk.IsDeleted {
			live++
		}
	}
	// Requests: a Query per page, an UpdateItem per ticket reindexed, and
	// for the one changed mid-pass the failed UpdateItem and a GetItem.
	want := store.ReindexResult{Cursor: ts[len(ts)-1].Seq, Tickets: live, Reindexed: live - 2, Current: 1, Concurrent: 1,
		Requests: live/7 + 1 + live - 2 + 2}
	if r != want {
		t.Errorf("reindex: %+v, want %+v", r, want)
	}
	if pages != live/7+1 {
		t.Errorf("%d progress calls, want %d", pages, live/7+1)
	}
	rc, err := s.Recount(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Busy) > 0 || len(rc.Rewritten) == 0 || rc.Tagged != 2 {
		t.Errorf("recount: %+v, want counts rewritten, none busy, categories A and B tagged", rc)
	}
	if bad := checkListsAndCounts(t, svc); len(bad) > 0 {
		t.Errorf("after the backfill:\n%s", fmt.Sprint(bad))
	}
	got, err := s.Ticket(ctx, during.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != duringNew.Version || got.Title != "changed mid-pass" || got.Priority != "Medium" {
		t.Errorf("ticket changed mid-pass: version %d %q %q, want version %d kept", got.Version, got.Title, got.Priority, duringNew.Version)
	}
	if got, err := s.Ticket(ctx, before.ID); err != nil || got.Version != before.Version {
		t.Errorf("ticket changed before the pass: %+v %v", got, err)
	}

	t.Run("a second run changes nothing", func(t *testing.T) {
		snap := store.Snapshot(t, s)
		r, err := s.Reindex(ctx, store.BackfillOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Reindexed != 0 || r.Concurrent != 0 || r.Current != live || r.Requests != 1 {
			t.Errorf("second reindex: %+v, want all %d current after one Query", r, live)
		}
		rc, err := s.Recount(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.Rewritten) > 0 || len(rc.Busy) > 0 || rc.Tagged > 0 {
			t.Errorf("second recount: %+v, want nothing rewritten", rc)
		}
		if after := store.Snapshot(t, s); !slices.Equal(snap, after) {
			t.Errorf("the table changed:\nbefore %v\nafter  %v", snap, after)
		}
	})
}

// TestRecount_PartitionChangedWhileCountedIsCountedAgain creates a ticket
// with the current code while a recount is counting: the partitions it
// entered are not overwritten with the count taken before it but counted
// again, so the count includes it.
func TestRecount_PartitionChangedWhileCountedIsCountedAgain(t *testing.T) {
	for _, tc := range []struct {
		name     string
		changes  int // rounds in which a ticket is created between counting and writing
		wantBusy bool
	}{
		{name: "changed in the first round", changes: 1},
		{name: "changed in every round", changes: 99, wantBusy: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustOpen(t)
			ctx := context.Background()
			ts := oldTickets(12)
			store.PutOldShape(t, s, ts)
			if _, err := s.Reindex(ctx, store.BackfillOptions{}); err != nil {
				t.Fatal(err)
			}
			created := 0
			store.SetRecountCounted(s, func(round int) {
				if round < tc.changes {
					tk := newTicket(id(100+round), grievance.StatusOpen, "A")
					tk.Priority = "High"
					mustCreate(t, s, tk)
					created++
				}
			})
			rc, err := s.Recount(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			wantBusy := []string{"PRIORITY#High", "STATCAT#OPEN#A"}
			if tc.wantBusy != slices.Equal(rc.Busy, wantBusy) || (!tc.wantBusy && len(rc.Busy) > 0) {
				t.Fatalf("busy %v, want busy=%v (%v)", rc.Busy, tc.wantBusy, wantBusy)
			}
			store.SetRecountCounted(s, nil)
			svc := grievance.NewService(s, t0Clock, grievancetest.IDs(), grievance.Options{})
			bad := checkListsAndCounts(t, svc)
			if !tc.wantBusy && len(bad) > 0 {
				t.Errorf("after %d creates during the recount:\n%v", created, bad)
			}
			if tc.wantBusy && len(bad) == 0 {
				t.Errorf("busy partitions were reported, yet every count is right")
			}
		})
	}
}
