package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/bus/bustest"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// fakeBus records accepted entries; fail, when set, refuses an entry.
type fakeBus struct {
	mu       sync.Mutex
	accepted []types.PutEventsRequestEntry
	requests int
	fail     func(e types.PutEventsRequestEntry) bool
}

func (b *fakeBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.requests++
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if b.fail != nil && b.fail(e) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("test")})
			continue
		}
		b.accepted = append(b.accepted, e)
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(len(b.accepted)))})
	}
	return out, nil
}

// take returns and forgets the accepted entries, validated against their
// schemas, as "detail-type ticketCode[/level]".
func (b *fakeBus) take(t *testing.T, v *bustest.Validator) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.accepted {
		dt, detail := aws.ToString(e.DetailType), aws.ToString(e.Detail)
		if err := v.Validate(dt, []byte(detail)); err != nil {
			t.Fatalf("invalid event: %v\n%s", err, detail)
		}
		var d struct {
			Ticket     bus.Ticket     `json:"ticket"`
			Escalation bus.Escalation `json:"escalation"`
			Task       bus.Task       `json:"task"`
		}
		json.Unmarshal([]byte(detail), &d)
		s := dt + " " + d.Ticket.Code
		switch dt {
		case bus.TicketEscalated:
			s += fmt.Sprintf("/%d %s", d.Escalation.Level, d.Escalation.Role+d.Escalation.Group)
		case bus.TaskRequested:
			s += " " + d.Task.BusinessEvent + " " + d.Task.Role + d.Task.Group
		}
		if d.Ticket.Category == "" && dt == bus.TicketOverdue {
			s += " (redacted)"
		}
		out = append(out, s)
	}
	b.accepted = nil
	return out
}

type env struct {
	st    *store.Store // the test's own writes (not recorded)
	fn    *store.Store // the handler's store, whose calls are recorded as sla's
	cfg   aws.Config
	names store.TableNames
	svc   *grievance.Service
	bus   *fakeBus
	now   time.Time
	v     *bustest.Validator
	seq   atomic.Int64
}

var tableSeq atomic.Int64

func newEnv(t *testing.T, config string) *env {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("sla%d-%d-", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	fnCfg := cfg
	platform.RecordCalls(&fnCfg, "sla", names, "")
	e := &env{st: store.New(cfg, names), fn: store.New(fnCfg, names), cfg: cfg, names: names, bus: &fakeBus{}, v: bustest.NewValidator(t)}
	if config != "" {
		if err := e.st.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(config)}}); err != nil {
			t.Fatal(err)
		}
	}
	e.svc = grievance.NewService(e.fn, func() time.Time { return e.now }, func() string { return "x" }, grievance.Options{})
	return e
}

func (e *env) handler() *Handler {
	pub := &bus.Publisher{API: e.bus, Bus: "test-bus", Sleep: func(context.Context, time.Duration) error { return nil }}
	return &Handler{Store: e.fn, Config: e.svc, Publisher: pub,
		Now: func() time.Time { return e.now }, NewID: func() string { return fmt.Sprint("run-", e.seq.Add(1)) },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func (e *env) run(t *testing.T, h *Handler, at string) (Result, error) {
	t.Helper()
	e.now = mustTime(at)
	return h.Handle(context.Background(), events.CloudWatchEvent{DetailType: "Scheduled Event"})
}

func mustTime(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// ticket stores a ticket due on due in status st and category cat.
func (e *env) ticket(t *testing.T, n int, cat, due string, st grievance.Status, deleted bool) {
	t.Helper()
	at := mustTime("2026-02-20 09:00")
	tk := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), Version: 1, Status: st, Category: cat, DueDate: due,
		IsDeleted: deleted, DateCreated: at, DateUpdated: at, DateValidFrom: at, UserCreated: "u", UserUpdated: "u"}
	if err := e.st.Commit(context.Background(), &grievance.Write{NewTicket: tk}); err != nil {
		t.Fatal(err)
	}
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// Ensure open tickets past their due date get ticket.overdue exactly once
// per due date, across repeated runs, new containers and concurrent runs,
// and that a run whose events EventBridge refused leaves them to the next.
func TestHandle_OverdueOnce(t *testing.T) {
	e := newEnv(t, "")
	e.ticket(t, 1, "Default", "2026-03-01", grievance.StatusOpen, false)       // GRS00000001: overdue from 03-02
	e.ticket(t, 2, "Default", "2026-03-02", grievance.StatusInProgress, false) // due today: not yet
	e.ticket(t, 3, "Default", "2026-02-27", grievance.StatusClosed, false)     // resolved: not in the index
	e.ticket(t, 4, "Default", "2026-02-27", grievance.StatusOpen, true)        // deleted: not in the index
	e.ticket(t, 5, "Default", "2025-01-01", grievance.StatusOpen, false)       // beyond the horizon

	h := e.handler()
	res, err := e.run(t, h, "2026-03-02 10:00")
	if err != nil || res.Overdue != 1 || res.Published != 1 {
		t.Fatalf("first run: %+v %v", res, err)
	}
	equal(t, "first run", e.bus.take(t, e.v), []string{"ticket.overdue GRS00000001"})

	// Again, in the same and in a new container, and two at once.
	for _, hh := range []*Handler{h, e.handler()} {
		if res, err := e.run(t, hh, "2026-03-02 10:15"); err != nil || res.Published != 0 || res.Overdue != 1 {
			t.Fatalf("repeat: %+v %v", res, err)
		}
	}
	e.now = mustTime("2026-03-03 10:00") // ticket 2 is now overdue as well
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := e.handler().Handle(context.Background(), events.CloudWatchEvent{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	equal(t, "repeats and concurrent runs", e.bus.take(t, e.v), []string{"ticket.overdue GRS00000002"})

	// EventBridge refuses: the step is released, and the next run sends it.
	e.ticket(t, 6, "Default", "2026-03-02", grievance.StatusOpen, false)
	e.bus.fail = func(types.PutEventsRequestEntry) bool { return true }
	if res, err := e.run(t, h, "2026-03-03 11:00"); err == nil || res.Failed != 1 {
		t.Fatalf("refused run: %+v %v, want an error and 1 failed step", res, err)
	}
	e.bus.fail = nil
	if res, err := e.run(t, h, "2026-03-03 11:15"); err != nil || res.Published != 1 {
		t.Fatalf("after refusal: %+v %v", res, err)
	}
	equal(t, "after refusal", e.bus.take(t, e.v), []string{"ticket.overdue GRS00000006"})
}

// Ensure escalation levels go out once each, in level order, as their
// hours past the due date come, each as ticket.escalated followed by a
// task request for its role or group; a ticket first seen late gets every
// level it reached in one run, in order; a confidential category's events
// carry ids and workflow state only, and its level's role without the group.
func TestHandle_EscalationInOrder(t *testing.T) {
	e := newEnv(t, `{
		"escalation_levels": {
			"Category A": [{"after_hours": 0, "role": "officer"}, {"after_hours": 24, "group": "district"}, {"after_hours": 72, "role": "director"}],
			"Category B": [{"after_hours": 2, "role": "gbv-lead", "group": "gbv-desk"}]
		},
		"restricted_categories": {"Category B": ["127007"]}
	}`)
	e.ticket(t, 1, "Category A", "2026-03-01", grievance.StatusOpen, false) // deadline 03-02 00:00
	h := e.handler()
	for _, step := range []struct {
		at   string
		want []string
	}{
		{"2026-03-02 01:00", []string{"ticket.overdue GRS00000001", "ticket.escalated GRS00000001/1 officer", "task.requested GRS00000001 TicketService.escalate officer"}},
		{"2026-03-02 23:00", nil},
		{"2026-03-03 00:00", []string{"ticket.escalated GRS00000001/2 district", "task.requested GRS00000001 TicketService.escalate district"}},
		{"2026-03-04 00:00", nil},
		{"2026-03-05 00:00", []string{"ticket.escalated GRS00000001/3 director", "task.requested GRS00000001 TicketService.escalate director"}},
		{"2026-03-09 00:00", nil},
	} {
		if _, err := e.run(t, h, step.at); err != nil {
			t.Fatal(err)
		}
		equal(t, "at "+step.at, e.bus.take(t, e.v), step.want)
	}

	e.ticket(t, 2, "Category A", "2026-03-05", grievance.StatusInProgress, false)
	e.ticket(t, 3, "Category B", "2026-03-05", grievance.StatusOpen, false)
	if _, err := e.run(t, h, "2026-03-10 00:00"); err != nil {
		t.Fatal(err)
	}
	equal(t, "first seen late", e.bus.take(t, e.v), []string{
		"ticket.overdue GRS00000002",
		"ticket.escalated GRS00000002/1 officer", "task.requested GRS00000002 TicketService.escalate officer",
		"ticket.escalated GRS00000002/2 district", "task.requested GRS00000002 TicketService.escalate district",
		"ticket.escalated GRS00000002/3 director", "task.requested GRS00000002 TicketService.escalate director",
		"ticket.overdue GRS00000003 (redacted)",
		"ticket.escalated GRS00000003/1 gbv-lead", "task.requested GRS00000003 TicketService.escalate gbv-lead",
	})

	// A refused level holds back the levels after it.
	e.ticket(t, 4, "Category A", "2026-03-05", grievance.StatusOpen, false)
	e.bus.fail = func(en types.PutEventsRequestEntry) bool {
		return aws.ToString(en.DetailType) == bus.TicketEscalated && json.Valid([]byte(aws.ToString(en.Detail))) &&
			contains(aws.ToString(en.Detail), `"level":2`)
	}
	if _, err := e.run(t, h, "2026-03-10 00:00"); err == nil {
		t.Fatal("want an error for the refused level")
	}
	got := e.bus.take(t, e.v)
	e.bus.fail = nil
	if _, err := e.run(t, h, "2026-03-10 00:15"); err != nil {
		t.Fatal(err)
	}
	got = append(got, e.bus.take(t, e.v)...)
	equal(t, "refused level 2, then retried", got, []string{
		"ticket.overdue GRS00000004",
		"ticket.escalated GRS00000004/1 officer", "task.requested GRS00000004 TicketService.escalate officer",
		// The rest of the refused request was accepted but not marked: it
		// is sent again after level 2, with the same event ids.
		"task.requested GRS00000004 TicketService.escalate district",
		"ticket.escalated GRS00000004/3 director", "task.requested GRS00000004 TicketService.escalate director",
		"ticket.escalated GRS00000004/2 district", "task.requested GRS00000004 TicketService.escalate district",
		"ticket.escalated GRS00000004/3 director", "task.requested GRS00000004 TicketService.escalate director",
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// Ensure the sweep publishes through a real EventBridge client to the bus
// EVENT_BUS_NAME names (moto's), so that its PutEvents call is recorded
// for the permission check of infra/ like every other call it makes.
func TestHandle_PublishesToTheNamedBus(t *testing.T) {
	e := newEnv(t, "")
	e.ticket(t, 1, "Default", "2026-03-01", grievance.StatusOpen, false)
	ctx := context.Background()
	b, err := bootstrap.CreateBus(ctx, e.cfg, fmt.Sprintf("sla%d-bus-%d", os.Getpid(), tableSeq.Add(1)), fmt.Sprintf("sla%d-q-%d", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	fnCfg := e.cfg
	platform.RecordCalls(&fnCfg, "sla", e.names, b.Name)
	h := e.handler()
	h.Publisher = &bus.Publisher{API: eventbridge.NewFromConfig(fnCfg), Bus: b.Name}
	if res, err := e.run(t, h, "2026-03-02 10:00"); err != nil || res.Published != 1 {
		t.Fatalf("run: %+v %v, want 1 event published", res, err)
	}
}
