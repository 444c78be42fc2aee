package grievance_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure a clientMutationId runs once: a repeat after the first returns its
// log, a repeat that raced past the look-up loses at commit and returns the
// first log too, and a mutation whose execution died before committing
// left nothing behind, so sending it again simply runs it.
func TestMutate_ClientMutationIDRunsOnce(t *testing.T) {
	st := grievancetest.NewStore()
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{})
	p := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true}
	ctx := grievance.NewContext(context.Background(), p)
	req := grievance.MutationRequest{Name: "createTicket", Class: "CreateTicketMutation", ClientMutationID: "c1"}
	title := "once"
	plan := func(ctx context.Context) (*grievance.Write, error) {
		return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: &title})
	}
	count := func() int {
		page, err := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true})
		if err != nil {
			t.Fatal(err)
		}
		return page.TotalCount
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
	if page, _ := svc.MutationLogs(ctx, grievance.MutationLogQuery{ClientMutationID: "c1"}); len(page.Items) != 0 || count() != 0 {
		t.Fatalf("a dead execution left %d logs and %d tickets", len(page.Items), count())
	}

	first, err := svc.Mutate(ctx, req, plan)
	if err != nil || first.Status != grievance.MutationSuccess {
		t.Fatalf("resend: %+v %v", first, err)
	}
	again, err := svc.Mutate(ctx, req, plan)
	if err != nil || again.ID != first.ID {
		t.Fatalf("repeat: %+v %v, want the first log", again, err)
	}
	// A repeat that got past the look-up (two containers racing: the
	// look-up misses) loses at commit and answers with the first log.
	blind := &blindLookup{Store: st}
	racer := grievance.NewService(blind, clock.Now, grievancetest.IDs(), grievance.Options{})
	raced, err := racer.Mutate(ctx, req, func(ctx context.Context) (*grievance.Write, error) {
		return racer.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: &title})
	})
	if err != nil || raced.ID != first.ID || count() != 1 || blind.misses != 1 {
		t.Fatalf("raced repeat: %+v %v, tickets=%d, misses=%d; want the first log and one ticket", raced, err, count(), blind.misses)
	}
}

// blindLookup misses the first clientMutationId look-up, as a container
// does that looks before a racing one commits.
type blindLookup struct {
	*grievancetest.Store
	misses int
}

func (b *blindLookup) ClientMutation(ctx context.Context, userID, cmid string) (*grievance.MutationLog, error) {
	if b.misses == 0 {
		b.misses++
		return nil, nil
	}
	return b.Store.ClientMutation(ctx, userID, cmid)
}

func strp(s string) *string { return &s }
