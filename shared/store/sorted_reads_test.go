package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
	"github.com/redress-grm/redress/tools/awsmeter"
)

// What the reads of the filter panel and the sortable columns cost, in
// round trips (requests sent one after another) and items: a page of 10
// from 240 tickets, where every priority run and the status and category
// shares are longer than the page, and each of 30 officers attends 8
// tickets (runs shorter than the page, so a descending page ends inside
// one, whose newest tickets it wants and whose oldest come first: the
// container remembers that run, and reads what the page wants of it
// newest first beside the first Query); the due dates are a short run at the top above a long one (the
// container remembers the first long run and how deep it starts).
func TestScanTickets_PanelReadsAreFlat(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var ts []*grievance.Ticket
	for i := range 240 {
		seq := int64(i + 1)
		tk := &grievance.Ticket{ID: id(i + 1), Version: 1 + i%2, Seq: seq, Code: grievance.FormatCode(seq),
			Status: grievance.Statuses[i%4], Category: []string{"A", "B", "C"}[i%3], Priority: []string{"High", "Low"}[i/5%2],
			ReporterID: []string{id(900), id(901)}[i/7%2], AttendingStaffID: id(1000 + i%30), DateCreated: at, DateUpdated: at, DateValidFrom: at}
		switch {
		case i < 4: // a short run at the top, then a long one
			tk.DueDate = "2027-03-01"
		case i%2 == 0:
			tk.DueDate = "2027-01-01"
		}
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	openA := &grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"A"}, Statuses: []string{"OPEN"}}
	for _, tc := range []struct {
		name          string
		r             grievance.TicketRange
		rounds, items int // at most
	}{
		{"two statuses merged", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"OPEN", "RESOLVED"}, PageHint: 11}, 1, 22},
		{"status and category", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"A"}, Statuses: []string{"OPEN"}, PageHint: 11}, 1, 11},
		{"two priorities merged", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High", "Low"}, PageHint: 11}, 1, 22},
		{"priority descending, top run guessed", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Descending: true, PageHint: 11}, 1, 12},
		{"reporter (narrow index): index, then tickets", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "reporter_id", PageHint: 11}, 2, 22},
		{"version descending (narrow), top run guessed", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "version", Descending: true, PageHint: 11}, 2, 23},
		{"due date descending, a short top run above a long one: both read at once", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "due_date", Descending: true, PageHint: 11}, 1, 18},
		{"staff descending (narrow), runs shorter than the page: the run ending the page guessed", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "attending_staff", Descending: true, PageHint: 11}, 2, 23},
		{"status within a sort, share known", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", PageHint: 11,
			Within: openA, Share: 1.0 / 12}, 1, 160},
		{"status within a narrow sort, share known", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "version", Descending: true, PageHint: 11,
			Within: openA, Share: 1.0 / 12}, 2, 172},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := func() int {
				n := 0
				err := s.ScanTickets(ctx, tc.r, func(*grievance.Ticket) (bool, error) { n++; return n < tc.r.PageHint, nil })
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			read() // a warm container: what it remembers between reads
			m.Take()
			if n := read(); n != tc.r.PageHint {
				t.Fatalf("%d rows, want %d", n, tc.r.PageHint)
			}
			got := m.Take().Total("DynamoDB")
			t.Logf("%v round trips, %v items, %v requests", got.Rounds, got.ItemsRead, got.Calls)
			if int(got.Rounds) > tc.rounds || int(got.ItemsRead) > tc.items {
				t.Errorf("%v round trips and %v items (%v requests), want at most %d and %d", got.Rounds, got.ItemsRead, got.Calls, tc.rounds, tc.items)
			}
		})
	}
}

// A status filter with the due-date order reads that status's partition
// of the due dates (g16), not the due-date index from its top: here the
// 400 earliest due dates are closed tickets and the 40 open ones come
// last, where the whole index would be walked to find them. The rows are
// those of sorting the open tickets, both ways and with a category.
func TestScanTickets_StatusByDueDateReadsItsOwnPartition(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	var ts []*grievance.Ticket
	for i := range 440 {
		seq := int64(i + 1)
		tk := &grievance.Ticket{ID: id(i + 1), Version: 1, Seq: seq, Code: grievance.FormatCode(seq),
			Status: grievance.StatusClosed, Category: []string{"A", "B"}[i%2], DueDate: at.AddDate(0, 0, i/3).Format("2006-01-02"),
			DateCreated: at, DateUpdated: at, DateValidFrom: at}
		if i >= 400 {
			tk.Status = grievance.StatusOpen
		}
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	open := func(desc bool, within *grievance.TicketRange, share float64) grievance.TicketRange {
		return grievance.TicketRange{By: grievance.RangeSorted, SortBy: "due_date", Descending: desc, PageHint: 11, Within: within, Share: share}
	}
	openOnly := &grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"OPEN"}}
	openA := &grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"A"}, Statuses: []string{"OPEN"}}
	for _, tc := range []struct {
		name  string
		r     grievance.TicketRange
		keep  func(*grievance.Ticket) bool
		items int // at most
	}{
		{"open, earliest due first", open(false, openOnly, 40.0/440), func(t *grievance.Ticket) bool { return t.Status == grievance.StatusOpen }, 22},
		{"open, latest due first", open(true, openOnly, 40.0/440), func(t *grievance.Ticket) bool { return t.Status == grievance.StatusOpen }, 24},
		{"open in A, earliest due first", open(false, openA, 20.0/440), func(t *grievance.Ticket) bool {
			return t.Status == grievance.StatusOpen && t.Category == "A"
		}, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			var kept []*grievance.Ticket
			for _, tk := range ts {
				if tc.keep(tk) {
					kept = append(kept, tk)
				}
			}
			slices.SortStableFunc(kept, grievance.TicketOrder("due_date", tc.r.Descending))
			for _, tk := range kept[:tc.r.PageHint] {
				want = append(want, tk.Code)
			}
			m.Take()
			var got []string
			err := s.ScanTickets(ctx, tc.r, func(tk *grievance.Ticket) (bool, error) {
				if tc.keep(tk) {
					got = append(got, tk.Code)
				}
				return len(got) < tc.r.PageHint, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("rows %v, want %v", got, want)
			}
			read := m.Take().Total("DynamoDB")
			t.Logf("%v round trips, %v items, %v requests", read.Rounds, read.ItemsRead, read.Calls)
			if int(read.ItemsRead) > tc.items {
				t.Errorf("%v items read (%v requests), want at most %d: the due-date index was walked", read.ItemsRead, read.Calls, tc.items)
			}
		})
	}
}

// A descending read that finds another long run before the one it
// remembered (new tickets due between them) still lists the due dates'
// order, remembers the new run and how many items are above it, and reads
// it beside its first Query the next time.
func TestScanTickets_RememberedLongRunFollowsTheTable(t *testing.T) {
	s, m := meteredStore(t)
	var ts []*grievance.Ticket
	add := func(n int, due string) {
		importMore(t, s, &ts, n, func(tk *grievance.Ticket, _ int) { tk.DueDate = due })
	}
	add(40, "2027-01-01")
	add(3, "2027-03-01")
	r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: "due_date", Descending: true, PageHint: 11}
	read := func(when string) float64 { return readSortedPage(t, s, m, r, ts, when).Rounds }
	read("cold")
	if rounds := read("warm"); rounds > 1 {
		t.Errorf("warm: %v round trips, want 1", rounds)
	}
	add(20, "2027-02-01") // a long run above the remembered one
	add(2, "2027-04-01")  // and a short one above all
	read("after the new runs")
	if rounds := read("warm again"); rounds > 1 {
		t.Errorf("warm again: %v round trips, want 1", rounds)
	}
}

// A descending read of a column of short runs (officers of six tickets
// each) whose page ends inside a run remembers that run: the next read
// fetches the newest tickets it needs of it beside its first Query, in
// the round trips of an ascending read and without reading the run's
// older tickets; a table grown above it still lists the column's order.
func TestScanTickets_RememberedShortRunEndingThePage(t *testing.T) {
	s, m := meteredStore(t)
	var ts []*grievance.Ticket
	add := func(from, officers, each int) {
		// Officers' tickets interleave, as a programme assigns them.
		importMore(t, s, &ts, officers*each, func(tk *grievance.Ticket, i int) {
			tk.AttendingStaffID = fmt.Sprintf("officer-%03d", from+i%officers)
		})
	}
	add(0, 8, 6)
	r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: "attending_staff", Descending: true, PageHint: 9}
	read := func(when string) (rounds, index float64) {
		op := readSortedPage(t, s, m, r, ts, when)
		// The narrow index's items are the items beyond the page's tickets.
		return op.Rounds, op.ItemsRead - float64(r.PageHint)
	}
	read("cold")
	// The top officer's 6, the next one's first (oldest) item to confirm
	// the guess, and the 3 newest of the next officer's the page wants.
	rounds, index := read("warm")
	if rounds > 2 || index > 10 {
		t.Errorf("warm: %v round trips, %v index items; want 2 (the index, the tickets) and 10", rounds, index)
	}
	add(20, 2, 7) // officers above the remembered one
	read("after the new runs")
	if rounds, index := read("warm again"); rounds > 2 || index > 10 {
		t.Errorf("warm again: %v round trips, %v index items; want 2 and 10", rounds, index)
	}
}

// readSortedPage reads a page of r from s, fails unless its rows are the
// first of ts in r's order, and returns what the read cost.
func readSortedPage(t *testing.T, s *store.Store, m *awsmeter.Meter, r grievance.TicketRange, ts []*grievance.Ticket, when string) awsmeter.Op {
	t.Helper()
	ctx := context.Background()
	want := slices.Clone(ts)
	slices.SortStableFunc(want, grievance.TicketOrder(r.SortBy, r.Descending))
	var got []string
	m.Take()
	err := s.ScanTickets(ctx, r, func(tk *grievance.Ticket) (bool, error) {
		got = append(got, tk.ID)
		return len(got) < r.PageHint, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tk := range want[:r.PageHint] {
		if i >= len(got) || got[i] != tk.ID {
			t.Fatalf("%s: rows %v, want %s at %d", when, got, tk.ID, i)
		}
	}
	return m.Take().Total("DynamoDB")
}

// importMore imports n open tickets numbered after those in ts, each
// given its column by set (with its place among the n), and adds them to
// ts.
func importMore(t *testing.T, s *store.Store, ts *[]*grievance.Ticket, n int, set func(tk *grievance.Ticket, i int)) {
	t.Helper()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	part := make([]*grievance.Ticket, 0, n)
	for i := range n {
		seq := int64(len(*ts) + 1)
		tk := &grievance.Ticket{ID: id(int(seq)), Version: 1, Seq: seq, Code: grievance.FormatCode(seq),
			Status: grievance.StatusOpen, Category: "A", DateCreated: at, DateUpdated: at, DateValidFrom: at}
		set(tk, i)
		*ts = append(*ts, tk)
		part = append(part, tk)
	}
	if err := s.ImportTickets(context.Background(), part); err != nil {
		t.Fatal(err)
	}
}
