package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/sms"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure the fixture's inbound SMS, delivered twice, is filed once over
// DynamoDB and answered through SNS (moto) as deployed.
func TestInboundSMS_OverMoto(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("sms%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	// The function's calls are recorded for the permission check
	// (REDRESS_CALL_LOG); the test's own go through cfg.
	fnCfg := cfg.Copy()
	platform.RecordIntakeCalls(&fnCfg, "sms", names, "")
	st, fnStore := store.New(cfg, names), store.New(fnCfg, names)
	h := &Handler{
		Service: grievance.NewService(fnStore, time.Now, uuid.NewString, grievance.Options{Tracking: fnStore, Directory: fnStore, OptOuts: fnStore,
			NewSecret: func() string { return "ABCD-EFGH" }}),
		Sender:    &sms.Sender{SNS: sns.NewFromConfig(fnCfg)},
		Limiter:   fnStore,
		PerSender: 10, Window: 10 * time.Minute,
		Log: slog.New(slog.DiscardHandler), Now: time.Now,
	}
	for i := range 2 {
		if err := h.Handle(ctx, fixtureEvent(t)); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if n, err := st.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}); err != nil || n != 1 {
		t.Fatalf("%d tickets (%v), want 1", n, err)
	}
	// Right and wrong secrets: the reply reads the ticket, or only the
	// tracking record; a rating before the resolution is refused in a
	// logged mutation; STOP and START write and delete the opt-out.
	for _, text := range []string{"STATUS GRS00000001 ABCD-EFGH", "STATUS GRS00000001 0000-0000", "RATE GRS00000001 4", "STOP", "START"} {
		if err := h.Handle(ctx, message(t, uuid.NewString(), text)); err != nil {
			t.Fatal(err)
		}
	}
	// Staff resolve the case; a low rating from the ticket's phone
	// reopens it as an appeal (ticket and resolution comment in one
	// transaction).
	staffSvc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	admin := grievance.NewContext(ctx, &grievance.Principal{ID: "s1", Admin: true})
	var tk *grievance.Ticket
	st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
	text := "Paid on 3 March."
	for _, step := range []grievance.Plan{
		func(ctx context.Context) (*grievance.Write, error) {
			return staffSvc.CreateComment(ctx, grievance.CommentInput{TicketID: tk.ID, Comment: &text})
		},
		func(ctx context.Context) (*grievance.Write, error) {
			cs, err := st.CommentsOfTicket(ctx, tk.ID)
			if err != nil || len(cs) != 1 {
				t.Fatalf("comments %v (%v), want 1", cs, err)
			}
			return staffSvc.ResolveByComment(ctx, cs[0].ID, nil)
		},
	} {
		if log, err := staffSvc.Mutate(admin, grievance.MutationRequest{Name: "staff"}, step); err != nil || log.Status != grievance.MutationSuccess {
			t.Fatalf("staff step: %v %+v", err, log)
		}
	}
	if err := h.Handle(ctx, message(t, uuid.NewString(), "RATE GRS00000001 1")); err != nil {
		t.Fatal(err)
	}
	got, err := st.Ticket(ctx, tk.ID)
	if err != nil || got.Rating != 1 || got.Status != grievance.StatusOpen || got.AppealedAt.IsZero() {
		t.Fatalf("ticket after a rating of 1: %+v (%v), want rated 1 and reopened", got, err)
	}
}
