package grievance_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// rangeSpy records the ranges a list reads.
type rangeSpy struct {
	*grievancetest.Store
	ranges []grievance.TicketRange
}

func (s *rangeSpy) ScanTickets(ctx context.Context, r grievance.TicketRange, fn func(*grievance.Ticket) (bool, error)) error {
	s.ranges = append(s.ranges, r)
	return s.Store.ScanTickets(ctx, r, fn)
}

// A list ordered by an indexed column reads the sort index only when no
// category hides that column from the reader: the index orders by stored
// values, so otherwise the reader's page would place a masked ticket
// where its hidden value sorts. The rows and their order are the same
// either way.
func TestListTickets_SortIndexOnlyWhereTheColumnIsShown(t *testing.T) {
	st := &rangeSpy{Store: grievancetest.NewStore()}
	st.SetConfigDocument([]byte(writeConfig)) // "Anon" hides title from readers without 127007
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
	for i, c := range []string{"Open", "Anon", "Open", "Anon", "Open"} {
		title, prio := string(rune('e'-i)), []string{"High", "Low"}[i%2]
		err := (&world{st: st.Store, svc: svc}).do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
			return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(c), Title: strp(title), Priority: strp(prio)})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name    string
		reader  *grievance.Principal
		orderBy string
		indexed bool
	}{
		{"title, hidden in Anon from the officer", officer, "-title", false},
		{"title, shown to the confidential officer", confOfficer, "-title", true},
		{"priority, hidden nowhere", officer, "priority", true},
		{"status, never hidden", officer, "-status", true},
		{"two keys: no index serves the ties", confOfficer, "title,-priority", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := grievance.NewContext(context.Background(), tc.reader)
			st.ranges = nil
			page, err := svc.ListTickets(ctx, grievance.TicketQuery{OrderBy: []string{tc.orderBy}, WantCount: true})
			if err != nil {
				t.Fatal(err)
			}
			sorted := slices.ContainsFunc(st.ranges, func(r grievance.TicketRange) bool { return r.By == grievance.RangeSorted })
			if sorted != tc.indexed {
				t.Errorf("read the sort index: %v, want %v (ranges %+v)", sorted, tc.indexed, st.ranges)
			}
			// The same page as the in-memory sort of the reader's rows.
			st.ranges = nil
			want, err := svc.ListTickets(ctx, grievance.TicketQuery{OrderBy: []string{tc.orderBy, "-dateCreated"}, WantCount: true})
			if err != nil {
				t.Fatal(err)
			}
			var got, wantTitles []string
			for _, tk := range page.Items {
				got = append(got, tk.Code+" "+tk.Title)
			}
			for _, tk := range want.Items {
				wantTitles = append(wantTitles, tk.Code+" "+tk.Title)
			}
			if !slices.Equal(got, wantTitles) || page.TotalCount != want.TotalCount {
				t.Errorf("rows %v (%d), want %v (%d)", got, page.TotalCount, wantTitles, want.TotalCount)
			}
		})
	}
}
