package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/bus/bustest"
	"github.com/redress-grm/redress/shared/grievance"
)

var lifecycle = []string{"ticket-insert", "ticket-update", "comment-insert", "ticket-resolve", "ticket-reopen", "ticket-delete"}

// The events of lifecycle, in order.
var lifecycleEvents = []string{
	bus.TicketCreated,
	bus.TicketStatusChanged, bus.TicketStaffAssigned, bus.TaskRequested,
	bus.CommentCreated,
	bus.TicketStatusChanged, bus.TicketResolved,
	bus.TicketStatusChanged, bus.TicketReopened, bus.TaskRequested,
	bus.TicketDeleted,
}

func stream(tb testing.TB, names ...string) events.DynamoDBEvent {
	tb.Helper()
	var ev events.DynamoDBEvent
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", "stream", n+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		var e events.DynamoDBEvent
		if err := json.Unmarshal(b, &e); err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		ev.Records = append(ev.Records, e.Records...)
	}
	return ev
}

// fakeBus is an in-process EventBridge. Fail decides, per call and entry,
// whether an entry is refused (as throttled).
type fakeBus struct {
	mu        sync.Mutex
	calls     int
	published []types.PutEventsRequestEntry
	Fail      func(call int, e types.PutEventsRequestEntry) bool
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if len(in.Entries) > bus.MaxEntries {
		return nil, fmt.Errorf("%d entries, at most %d allowed", len(in.Entries), bus.MaxEntries)
	}
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		if f.Fail != nil && f.Fail(f.calls, e) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")})
			continue
		}
		f.published = append(f.published, e)
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(len(f.published)))})
	}
	return out, nil
}

func newTestHandler(fb *fakeBus) *Handler {
	return &Handler{
		Publisher: &bus.Publisher{API: fb, Bus: "test-bus", Sleep: func(context.Context, time.Duration) error { return nil }},
		Log:       slog.New(slog.DiscardHandler),
	}
}

func detailTypes(es []types.PutEventsRequestEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, aws.ToString(e.DetailType))
	}
	return out
}

func eventIDs(tb testing.TB, es []types.PutEventsRequestEntry) []string {
	tb.Helper()
	var out []string
	for _, e := range es {
		var h bus.Header
		if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &h); err != nil {
			tb.Fatal(err)
		}
		out = append(out, h.EventID)
	}
	return out
}

func failures(resp events.DynamoDBEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func seqs(recs []events.DynamoDBEventRecord) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Change.SequenceNumber)
	}
	return out
}

// Sensitive values of the fixtures: none may appear in any event.
var sensitive = []string{
	"Payment not received", "cash transfer did not arrive", // title, description
	"19d96b33-17fc-4b58-8aeb-69c5b97d920f", "beneficiary", // reporter
	"hotline", "comment_ids", // jsonExt
	"Called the paying agent", // comment text
	"Wrong amount", "Received half", "7e482430-4f9b-45b2-ac7f-d5d7986a3743",
}

func TestHandler_Handle(t *testing.T) {
	v := bustest.NewValidator(t)

	// Ensure a ticket's life publishes its facts in order, each valid
	// against its schema, with no sensitive field, in requests of at most
	// ten entries.
	t.Run("Lifecycle", func(t *testing.T) {
		fb := &fakeBus{}
		resp, err := newTestHandler(fb).Handle(context.Background(), stream(t, lifecycle...))
		if err != nil {
			t.Fatal(err)
		} else if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("BatchItemFailures=%v", failures(resp))
		}
		if got := detailTypes(fb.published); !slices.Equal(got, lifecycleEvents) {
			t.Fatalf("events=%q\nwant   %q", got, lifecycleEvents)
		}
		if got, want := fb.calls, 2; got != want {
			t.Fatalf("PutEvents calls=%d, want %d", got, want)
		}
		for _, e := range fb.published {
			d := aws.ToString(e.Detail)
			if err := v.Validate(aws.ToString(e.DetailType), []byte(d)); err != nil {
				t.Fatalf("%v\n%s", err, d)
			}
			if aws.ToString(e.Source) != bus.Source || aws.ToString(e.EventBusName) != "test-bus" {
				t.Fatalf("entry=%+v", e)
			}
			for _, s := range sensitive {
				if strings.Contains(d, s) {
					t.Fatalf("%s carries %q: %s", aws.ToString(e.DetailType), s, d)
				}
			}
		}
		var task bus.TaskDetail
		json.Unmarshal([]byte(aws.ToString(fb.published[9].Detail)), &task)
		if task.Task.BusinessEvent != bus.TaskReopen || task.Task.Assignee != "92f6450c-efe8-5899-ae45-671c4543b555" ||
			task.Ticket.Version != 5 || task.Ticket.Status != "OPEN" || task.Actor != "6e740b7b-eae6-5c49-83aa-5092e136aeaa" || task.Mutation != "reopenTicket" {
			t.Fatalf("reopen task=%+v", task)
		}
	})

	// Ensure a rating that reopens the ticket publishes the appeal (valid
	// against its schema) between the status change and the task request.
	t.Run("Appeal", func(t *testing.T) {
		fb := &fakeBus{}
		resp, _ := newTestHandler(fb).Handle(context.Background(), stream(t, "ticket-appeal"))
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("BatchItemFailures=%v", failures(resp))
		}
		want := []string{bus.TicketStatusChanged, bus.TicketAppealed, bus.TaskRequested}
		if got := detailTypes(fb.published); !slices.Equal(got, want) {
			t.Fatalf("events=%q, want %q", got, want)
		}
		d := aws.ToString(fb.published[1].Detail)
		if err := v.Validate(bus.TicketAppealed, []byte(d)); err != nil || !strings.Contains(d, `"mutation":"rateOutcome"`) {
			t.Fatalf("%v\n%s", err, d)
		}
	})

	// Ensure a creation with an attending staff requests a task, and the
	// other kinds of a mixed batch publish nothing.
	t.Run("MixedBatch", func(t *testing.T) {
		fb := &fakeBus{}
		resp, _ := newTestHandler(fb).Handle(context.Background(), stream(t, "mixed-batch"))
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("BatchItemFailures=%v", failures(resp))
		}
		if got, want := detailTypes(fb.published), []string{bus.TicketCreated, bus.TaskRequested}; !slices.Equal(got, want) {
			t.Fatalf("events=%q, want %q", got, want)
		}
		var task bus.TaskDetail
		json.Unmarshal([]byte(aws.ToString(fb.published[1].Detail)), &task)
		want := bus.Task{Source: "TicketService", EntityType: "ticket", EntityID: "8a1d2c3b-4e5f-4a6b-9c7d-8e9f0a1b2c3d",
			ExecutorActionEvent: "default", BusinessEvent: "TicketService.create", BusinessStatus: map[string]string{},
			Status: "RECEIVED", Assignee: "6e740b7b-eae6-5c49-83aa-5092e136aeaa", Group: "Payment"}
		if fmt.Sprint(task.Task) != fmt.Sprint(want) {
			t.Fatalf("task=%+v\nwant %+v", task.Task, want)
		}
	})

	// Ensure the same batch delivered twice publishes events with the same
	// ids, so consumers can drop the second copies.
	t.Run("SameBatchTwice", func(t *testing.T) {
		fb := &fakeBus{}
		h := newTestHandler(fb)
		ev := stream(t, lifecycle...)
		h.Handle(context.Background(), ev)
		first := eventIDs(t, fb.published)
		fb.published = nil
		h.Handle(context.Background(), ev)
		if second := eventIDs(t, fb.published); !slices.Equal(first, second) {
			t.Fatalf("eventIds differ:\n%v\n%v", first, second)
		}
		seen := map[string]bool{}
		for _, id := range first {
			if seen[id] {
				t.Fatalf("eventId %s used twice in one delivery", id)
			}
			seen[id] = true
		}
	})

	// Ensure throttled entries are retried and then published.
	t.Run("ThrottledThenAccepted", func(t *testing.T) {
		fb := &fakeBus{Fail: func(call int, e types.PutEventsRequestEntry) bool {
			return call <= 2 && aws.ToString(e.DetailType) == bus.TicketStaffAssigned
		}}
		resp, _ := newTestHandler(fb).Handle(context.Background(), stream(t, lifecycle...))
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("BatchItemFailures=%v", failures(resp))
		}
		got := detailTypes(fb.published)
		slices.Sort(got)
		want := slices.Clone(lifecycleEvents)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("events=%q, want %q", got, want)
		}
	})

	// Ensure entries throttled past the retries report their record and
	// every later one, after the earlier records' events were published,
	// and that no later request is sent.
	t.Run("ThrottledPastRetries", func(t *testing.T) {
		fb := &fakeBus{Fail: func(_ int, e types.PutEventsRequestEntry) bool {
			return aws.ToString(e.DetailType) == bus.TicketStaffAssigned
		}}
		ev := stream(t, lifecycle...)
		resp, _ := newTestHandler(fb).Handle(context.Background(), ev)
		// The staff assignment is in the second record (ticket-update).
		if got, want := failures(resp), seqs(ev.Records[1:]); !slices.Equal(got, want) {
			t.Fatalf("BatchItemFailures=%v\nwant %v", got, want)
		}
		if got, want := fb.calls, 4; got != want {
			t.Fatalf("PutEvents calls=%d, want %d (1 + 3 retries, no later request)", got, want)
		}
		if got := detailTypes(fb.published); got[0] != bus.TicketCreated || slices.Contains(got, bus.TicketDeleted) {
			t.Fatalf("published=%q", got)
		}
	})

	// Ensure a malformed record stops the batch: the events of the record
	// before it are published, it and the later ones reported.
	t.Run("Malformed", func(t *testing.T) {
		fb := &fakeBus{}
		ev := stream(t, "malformed")
		resp, _ := newTestHandler(fb).Handle(context.Background(), ev)
		if got, want := failures(resp), seqs(ev.Records[1:]); !slices.Equal(got, want) {
			t.Fatalf("BatchItemFailures=%v, want %v", got, want)
		}
		if got, want := detailTypes(fb.published), []string{bus.TicketCreated}; !slices.Equal(got, want) {
			t.Fatalf("events=%q, want %q", got, want)
		}
	})

	// Ensure a 100-record batch is published in requests of ten entries.
	t.Run("RequestsPerBatch", func(t *testing.T) {
		fb := &fakeBus{}
		ev := hundredCreations(t)
		resp, _ := newTestHandler(fb).Handle(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("BatchItemFailures=%v", failures(resp))
		}
		if got, want := len(fb.published), 200; got != want {
			t.Fatalf("events=%d, want %d", got, want)
		}
		if got, want := fb.calls, 20; got != want {
			t.Fatalf("PutEvents calls=%d, want %d", got, want)
		}
	})
}

// hundredCreations returns 100 creations of tickets with an attending
// staff (two events each).
func hundredCreations(tb testing.TB) events.DynamoDBEvent {
	tb.Helper()
	base := stream(tb, "mixed-batch").Records[3]
	var ev events.DynamoDBEvent
	for i := range 100 {
		r := base
		r.Change.NewImage = map[string]events.DynamoDBAttributeValue{}
		for k, v := range base.Change.NewImage {
			r.Change.NewImage[k] = v
		}
		id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		r.Change.NewImage["id"] = events.NewStringAttribute(id)
		r.Change.NewImage["pk"] = events.NewStringAttribute("TICKET#" + id)
		r.Change.SequenceNumber = fmt.Sprintf("3%020d", i)
		ev.Records = append(ev.Records, r)
	}
	return ev
}

// TestWriteSamples regenerates events/samples from the fixtures, one per
// detail-type, as EventBridge delivers them. It runs only with
// UPDATE_EVENT_SAMPLES=1.
func TestWriteSamples(t *testing.T) {
	if os.Getenv("UPDATE_EVENT_SAMPLES") != "1" {
		t.Skip("set UPDATE_EVENT_SAMPLES=1 to regenerate events/samples")
	}
	fb := &fakeBus{}
	newTestHandler(fb).Handle(context.Background(), stream(t, append(slices.Clone(lifecycle), "mixed-batch")...))
	done := map[string]bool{}
	for _, e := range fb.published {
		dt := aws.ToString(e.DetailType)
		if done[dt] {
			continue
		}
		done[dt] = true
		var h bus.Header
		json.Unmarshal([]byte(aws.ToString(e.Detail)), &h)
		// EventBridge gives every delivery an id of its own; the fact's id
		// is detail.eventId.
		env := bustest.Envelope{Version: "0", ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(h.EventID)).String(), DetailType: dt, Source: aws.ToString(e.Source),
			Account: "123456789012", Time: aws.ToTime(e.Time).UTC().Format(time.RFC3339), Region: "us-east-1",
			Resources: []string{}, Detail: json.RawMessage(aws.ToString(e.Detail))}
		b, err := json.MarshalIndent(env, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "..", "events", "samples", dt+".json"), append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if len(done) != len(bus.DetailTypes) {
		t.Fatalf("samples for %d detail-types, want %d", len(done), len(bus.DetailTypes))
	}
}

type fixedConfig struct {
	cfg *grievance.Config
	err error
}

func (f fixedConfig) Config(context.Context) (*grievance.Config, error) { return f.cfg, f.err }

// Ensure events of a confidential category carry ids and workflow state
// only, still valid against their schemas.
func TestHandle_ConfidentialCategoryEventsCarryIDsOnly(t *testing.T) {
	for _, doc := range []string{
		`{"grievance_types": ["Payment"], "restricted_categories": {"Payment": ["127010"]}}`,
		`{"grievance_types": ["Payment"], "grievance_anonymized_fields": {"Payment": ["title"]}}`,
	} {
		cfg, err := grievance.ParseConfig([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		fb := &fakeBus{}
		h := newTestHandler(fb)
		h.Config = fixedConfig{cfg: cfg}
		resp, err := h.Handle(context.Background(), stream(t, lifecycle...))
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("resp=%+v err=%v", resp, err)
		}
		v := bustest.NewValidator(t)
		for _, e := range fb.published {
			d := aws.ToString(e.Detail)
			if err := v.Validate(aws.ToString(e.DetailType), []byte(d)); err != nil {
				t.Fatalf("%s: %v", aws.ToString(e.DetailType), err)
			}
			for _, field := range []string{`"category"`, `"priority"`, `"channel"`, `"flags"`, `"dueDate"`, `"group"`, "Payment"} {
				if strings.Contains(d, field) {
					t.Fatalf("confidential event carries %s: %s", field, d)
				}
			}
		}
	}
}

// Ensure a configuration that cannot be loaded fails the whole batch for a
// later retry instead of publishing events that may be confidential.
func TestHandle_NoConfigurationRetriesTheBatch(t *testing.T) {
	fb := &fakeBus{}
	h := newTestHandler(fb)
	h.Config = fixedConfig{err: fmt.Errorf("throttled")}
	ev := stream(t, lifecycle...)
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != len(ev.Records) || len(fb.published) != 0 {
		t.Fatalf("failures=%d published=%d, want %d and 0", len(resp.BatchItemFailures), len(fb.published), len(ev.Records))
	}
}

// Ensure an attachment's life publishes its scan verdicts and removal (not
// the pending upload, nor the expiry of one that never arrived), each
// valid against its schema and without the file name.
func TestHandle_AttachmentLifecycleEventsCarryNoFileName(t *testing.T) {
	fb := &fakeBus{}
	resp, err := newTestHandler(fb).Handle(context.Background(), stream(t, "attachment-lifecycle"))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}
	want := []string{bus.AttachmentAdded, bus.AttachmentInfected, bus.AttachmentRemoved}
	if got := detailTypes(fb.published); !slices.Equal(got, want) {
		t.Fatalf("events=%q, want %q", got, want)
	}
	v := bustest.NewValidator(t)
	for _, e := range fb.published {
		d := aws.ToString(e.Detail)
		if err := v.Validate(aws.ToString(e.DetailType), []byte(d)); err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		for _, s := range []string{"Rita", "ID card", "eicar.pdf", "fileName", "EICAR"} {
			if strings.Contains(d, s) {
				t.Errorf("%s carries %q: %s", aws.ToString(e.DetailType), s, d)
			}
		}
	}
	var removed bus.AttachmentDetail
	json.Unmarshal([]byte(aws.ToString(fb.published[2].Detail)), &removed)
	if removed.Attachment.Version != 3 || removed.Ticket.ID != "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13" || removed.Mutation != "deleteAttachment" {
		t.Errorf("attachment.removed detail: %+v", removed)
	}
}
