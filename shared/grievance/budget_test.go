package grievance_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure a history query stops with LIMIT_EXCEEDED once it has read its
// budget of versions, whether or not they matched, while queries that
// stop early (a page filled, one ticket's versions) are unaffected.
func TestListTickets_HistoryReadBudget(t *testing.T) {
	st := grievancetest.NewStore()
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st, HistoryReadBudget: 10})
	admin := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true}
	ctx := grievance.NewContext(context.Background(), admin)
	var last string
	for range 12 {
		w, err := svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: strp("t")})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(ctx, w); err != nil {
			t.Fatal(err)
		}
		last = w.NewTicket.ID
	}
	five := 5
	for _, tc := range []struct {
		name     string
		q        grievance.TicketQuery
		wantCode grievance.Code
		wantRows int
	}{
		{name: "filter matching nothing reads past the budget", q: grievance.TicketQuery{Filters: []grievance.Filter{{Field: "key", Value: "nothing"}}}, wantCode: grievance.CodeLimit},
		{name: "a filter the history index answers reads only its candidates", q: grievance.TicketQuery{Filters: []grievance.Filter{{Field: "title", Value: "nothing"}}}, wantRows: 0},
		{name: "count of every version reads past the budget", q: grievance.TicketQuery{WantCount: true}, wantCode: grievance.CodeLimit},
		{name: "a page that fills stops early", q: grievance.TicketQuery{Page: grievance.PageArgs{First: &five}}, wantRows: 5},
		{name: "one ticket's versions", q: grievance.TicketQuery{Filters: []grievance.Filter{{Field: "id", Value: last}}}, wantRows: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Mode = grievance.ModeHistory
			page, err := svc.ListTickets(ctx, tc.q)
			if grievance.ErrorCode(err) != tc.wantCode {
				t.Fatalf("err=%v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode != "" {
				if msg := grievance.ErrorMessage(err); msg == "Internal error." {
					t.Fatalf("message %q", msg)
				}
				return
			}
			if len(page.Items) != tc.wantRows {
				t.Fatalf("%d rows, want %d", len(page.Items), tc.wantRows)
			}
		})
	}
}
