package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the SLA periods follow real stream records — periods of days
// and of over 395 days, one starting after its deadline, none without a
// due date; a due date moved, a period started again by a reopening
// (with its due date, and alone), a due date removed, a deletion;
// redelivered — and that the backfill's text pass fills a table indexed
// before them, marking them complete.
func TestSLAPeriods_FollowTheStream(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 12; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.DateCreated = tk.DateCreated.Add(-time.Duration(i) * 37 * time.Minute) // filed at different times of day
		switch {
		case i%4 == 0:
		case i == 5:
			tk.DueDate = "2028-01-15" // over 395 days
		case i == 6:
			tk.DueDate, tk.SLAStart = "2026-11-25", tk.DateCreated.AddDate(0, 0, 30) // starts after it
		default:
			tk.DueDate = tk.DateCreated.AddDate(0, 0, i).Format(grievance.DateLayout)
		}
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.DueDate = "2026-12-24" })
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.DueDate = "" })
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	ts[6] = update(t, s, ts[6], func(n *grievance.Ticket) {
		n.SLAStart, n.DueDate = n.DateCreated.AddDate(0, 0, 3), n.DateCreated.AddDate(0, 0, 8).Format(grievance.DateLayout)
	})
	ts[8] = update(t, s, ts[8], func(n *grievance.Ticket) { n.SLAStart = n.DateCreated.AddDate(0, 0, 2) })
	far := newTicket(id(50), grievance.StatusOpen, "Default")
	far.Seq, far.Code, far.DueDate = 20000, grievance.FormatCode(20000), "2026-12-15"
	all, refill := followThenRefill(t, s, ts, far, s.SLAPeriodsComplete, store.DropSLAPeriods)
	seen := map[uint16]bool{}
	check := func(when string) {
		t.Helper()
		periods, err := s.SLAPeriods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range all {
			want := grievance.PeriodOf(tk)
			if tk.IsDeleted {
				want = grievance.PeriodUnknown
			}
			seen[want] = true
			if got := periods[tk.Seq]; got != want {
				t.Errorf("%s: ticket %d (due %q, from %s) period %d, want %d", when, tk.Seq, tk.DueDate, tk.PeriodStart(), got, want)
			}
		}
		if ok, err := s.SLAPeriodsComplete(ctx); !ok || err != nil {
			t.Errorf("%s: SLA periods complete %v %v", when, ok, err)
		}
	}
	check("followed from the stream")
	if !seen[grievance.PeriodNone] || !seen[grievance.PeriodLong] || !seen[grievance.PeriodUnknown] || len(seen) < 8 {
		t.Fatalf("the tickets' periods are %v: none, long, unknown and others wanted", seen)
	}

	refill(check)
}
