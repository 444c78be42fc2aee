package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// TestScanTickets_SortIndexesGiveTheListOrder reads every sort index both
// ways and with pages of several sizes, over values with long and short
// runs of ties, empty values and a deleted ticket, and compares with the
// list's own order (grievance.TicketOrder) over the live tickets.
func TestScanTickets_SortIndexesGiveTheListOrder(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	priorities := []string{"High", "", "Low", "High", "high", "Medium"}
	var ts []*grievance.Ticket
	for i := range 60 {
		tk := newTicket(id(i+1), grievance.Statuses[i%len(grievance.Statuses)], []string{"A", "B", ""}[i%7%3])
		tk.Seq, tk.Code = int64(i+1), grievance.FormatCode(int64(i+1))
		tk.Priority = priorities[i%len(priorities)]
		tk.Title = fmt.Sprintf("title %d", i%5) // runs of 12
		if i%2 == 0 {
			tk.DueDate = "2026-12-0" + fmt.Sprint(i%3+1)
		}
		tk.IsDeleted = i == 17
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	live := slices.DeleteFunc(slices.Clone(ts), func(t *grievance.Ticket) bool { return t.IsDeleted })
	for _, field := range grievance.SortIndexed {
		for _, desc := range []bool{false, true} {
			want := slices.Clone(live)
			slices.SortStableFunc(want, grievance.TicketOrder(field, desc))
			for _, hint := range []int{0, 1, 5, 21, 100} {
				t.Run(fmt.Sprintf("%s/desc=%v/hint=%d", field, desc, hint), func(t *testing.T) {
					stop := hint
					if stop == 0 {
						stop = len(want)
					}
					var got []string
					err := s.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeSorted, SortBy: field, Descending: desc, PageHint: hint},
						func(tk *grievance.Ticket) (bool, error) {
							got = append(got, tk.Code)
							return len(got) < stop, nil
						})
					if err != nil {
						t.Fatal(err)
					}
					var wantCodes []string
					for _, tk := range want[:min(stop, len(want))] {
						wantCodes = append(wantCodes, tk.Code)
					}
					if !slices.Equal(got, wantCodes) {
						t.Errorf("got  %s\nwant %s", strings.Join(got, " "), strings.Join(wantCodes, " "))
					}
				})
			}
		}
	}
}

// A priority range reads the tickets of one priority from the priority
// sort index in number order, from a keyset start too, and its count
// item counts them.
func TestScanTickets_OnePriorityInNumberOrder(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := range 30 {
		tk := newTicket(id(i+1), grievance.StatusOpen, "A")
		tk.Seq, tk.Code = int64(i+1), grievance.FormatCode(int64(i+1))
		tk.Priority = []string{"High", "Low", "High "}[i%3]
		tk.IsDeleted = i == 9
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	var high []int64 // live "High" numbers, ascending
	for _, tk := range ts {
		if tk.Priority == "High" && !tk.IsDeleted {
			high = append(high, tk.Seq)
		}
	}
	for _, tc := range []struct {
		name  string
		desc  bool
		after int64
	}{
		{"newest first", true, 0}, {"oldest first", false, 0},
		{"newest first after 16", true, 16}, {"oldest first after 16", false, 16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			for _, n := range high {
				if tc.after == 0 || (tc.desc && n < tc.after) || (!tc.desc && n > tc.after) {
					want = append(want, n)
				}
			}
			if tc.desc {
				slices.Reverse(want)
			}
			var got []int64
			r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High"}, Descending: tc.desc, After: tc.after, PageHint: 3}
			err := s.ScanTickets(ctx, r, func(tk *grievance.Ticket) (bool, error) {
				got = append(got, tk.Seq)
				return true, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			n, err := s.CountTickets(ctx, r)
			if err != nil || n != len(high) {
				t.Errorf("count %d (%v), want %d", n, err, len(high))
			}
		})
	}
}
