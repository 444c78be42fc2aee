package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the date days follow real stream records — incidents days and
// years apart, before the columns' years (unknown) and none, tickets
// filed days apart and one imported into a block beyond; an incident
// moved and removed, a deletion; redelivered — and that the backfill's
// text pass fills a table indexed before them, marking them complete.
func TestDateDays_FollowTheStream(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 12; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.DateCreated = tk.DateCreated.AddDate(0, 0, -i).Add(time.Duration(i) * 7 * time.Hour)
		switch {
		case i%4 == 0:
		case i == 5:
			tk.DateOfIncident = "2019-02-28"
		case i == 7:
			tk.DateOfIncident = "1969-07-20" // before day 2: unknown
		default:
			tk.DateOfIncident = tk.DateCreated.AddDate(0, 0, -i).Format(grievance.DateLayout)
		}
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.DateOfIncident = "2026-01-02" })
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.DateOfIncident = "" })
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	far := newTicket(id(50), grievance.StatusOpen, "Default")
	far.Seq, far.Code, far.DateOfIncident = 20000, grievance.FormatCode(20000), "2026-12-15"
	all, refill := followThenRefill(t, s, ts, far, s.DateDaysComplete, store.DropDateDays)
	seen := map[uint16]bool{}
	check := func(when string) {
		t.Helper()
		for _, f := range grievance.DateDayFields {
			days, err := s.DateDays(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range all {
				want := grievance.DayOf(tk.DateOfIncident)
				if f == "date_created" {
					want = grievance.DayOf(tk.DateCreated.UTC().Format(grievance.DateLayout))
				}
				if tk.IsDeleted {
					want = grievance.DayUnknown
				}
				seen[want] = true
				if got := days[tk.Seq]; got != want {
					t.Errorf("%s: ticket %d's %s (incident %q, filed %s) day %d, want %d", when, tk.Seq, f, tk.DateOfIncident, tk.DateCreated, got, want)
				}
			}
		}
		if ok, err := s.DateDaysComplete(ctx); !ok || err != nil {
			t.Errorf("%s: date days complete %v %v", when, ok, err)
		}
	}
	check("followed from the stream")
	if !seen[grievance.DayNone] || !seen[grievance.DayUnknown] || len(seen) < 15 {
		t.Fatalf("the tickets' days are %v: none, unknown and others wanted", seen)
	}

	refill(check)
}
