package grievance_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure a mutation whose execution died between its claim and its commit
// shows as failed after a while (so polling clients stop), and that sending
// it again runs it once, under the same id.
func TestMutate_AbandonedMutationIsTakenOverOnce(t *testing.T) {
	st := grievancetest.NewStore()
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).Unix())
	clock := func() time.Time { return time.Unix(now.Load(), 0).UTC() }
	svc := grievance.NewService(st, clock, grievancetest.IDs(), grievance.Options{})
	p := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true}
	ctx := grievance.NewContext(context.Background(), p)
	req := grievance.MutationRequest{Name: "createTicket", Class: "CreateTicketMutation", ClientMutationID: "c1"}
	title := "once"
	plan := func(ctx context.Context) (*grievance.Write, error) {
		return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: &title})
	}

	// The first execution dies: its commit and its failure log never land.
	st.Fail = func(op string) error {
		if op == "Commit" || op == "PutMutationLog" {
			return errors.New("process killed")
		}
		return nil
	}
	if _, err := svc.Mutate(ctx, req, plan); err == nil {
		t.Fatal("the dying execution reported success")
	}
	st.Fail = nil
	status := func() (grievance.MutationStatus, string) {
		page, err := svc.MutationLogs(ctx, grievance.MutationLogQuery{ClientMutationID: "c1"})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("logs=%v err=%v", page, err)
		}
		return page.Items[0].Status, page.Items[0].Error
	}
	if st, _ := status(); st != grievance.MutationReceived {
		t.Fatalf("status=%d, want 0 while the execution may be alive", st)
	}
	// A resend while the first may still be running returns its log.
	if l, err := svc.Mutate(ctx, req, plan); err != nil || l.Status != grievance.MutationReceived {
		t.Fatalf("early resend: %+v %v", l, err)
	}

	now.Add(int64((3 * time.Minute).Seconds()))
	if st, msg := status(); st != grievance.MutationFailed || !strings.Contains(msg, "send it again") {
		t.Fatalf("abandoned log status=%d error=%s, want 1 asking to resend", st, msg)
	}
	first, err := svc.Mutate(ctx, req, plan)
	if err != nil || first.Status != grievance.MutationSuccess {
		t.Fatalf("takeover: %+v %v", first, err)
	}
	again, err := svc.Mutate(ctx, req, plan)
	if err != nil || again.ID != first.ID || again.Status != grievance.MutationSuccess {
		t.Fatalf("resend after takeover: %+v %v", again, err)
	}
	page, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true})
	if err != nil || page.TotalCount != 1 {
		t.Fatalf("tickets=%d err=%v, want exactly one", page.TotalCount, err)
	}
}

func strp(s string) *string { return &s }
