package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

var lifecycle = []string{"ticket-insert", "ticket-update", "comment-insert", "ticket-resolve", "ticket-reopen", "ticket-delete"}

// stream returns an event holding the records of the named fixtures of
// events/stream, in order.
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

// newTestHandler returns a handler over fresh tables in the test binary's
// moto, its log, and a function counting the history table's records.
func newTestHandler(tb testing.TB) (*Handler, *bytes.Buffer, func() int) {
	tb.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(tb).Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	prefix := strings.NewReplacer("/", "-", "_", "-").Replace(tb.Name()) + fmt.Sprintf("-%d-", os.Getpid())
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), prefix)
	if err != nil {
		tb.Fatal(err)
	}
	var logs bytes.Buffer
	plain[tb.Name()] = store.New(cfg, names)
	fnCfg := cfg
	platform.RecordCalls(&fnCfg, "history", names, "")
	st := store.New(fnCfg, names)
	h := &Handler{History: st, Search: st, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	count := func() int {
		n, err := dynamo.New(cfg).Table(names.History).Scan().Filter("kind <> ?", store.KindVersionCount).Count(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		return int(n)
	}
	return h, &logs, count
}

// plain holds, per test, a store over its tables whose calls are not
// recorded as the function's (a test's own reads are not the function's).
var plain = map[string]*store.Store{}

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

func TestHandler_Handle(t *testing.T) {
	// Ensure a ticket's life is recorded once per version of the ticket
	// (6) and of its comment (3), and that delivering the same batch again
	// adds nothing and reports no failure.
	t.Run("LifecycleTwice", func(t *testing.T) {
		h, _, count := newTestHandler(t)
		ev := stream(t, append(slices.Clone(lifecycle), "mixed-batch")...)
		for i := range 2 {
			resp, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			} else if len(resp.BatchItemFailures) != 0 {
				t.Fatalf("delivery %d: BatchItemFailures=%v", i+1, failures(resp))
			}
			if got, want := count(), 6+3+1; got != want {
				t.Fatalf("delivery %d: history records=%d, want %d", i+1, got, want)
			}
		}
	})

	// Ensure a malformed image in the middle of a batch is reported with
	// every later record, the record before it is recorded, and the batch
	// Lambda delivers after the DLQ took the poison record is recorded.
	t.Run("MalformedInTheMiddle", func(t *testing.T) {
		h, logs, count := newTestHandler(t)
		ev := stream(t, "malformed")
		resp, err := h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := failures(resp), seqs(ev.Records[1:]); !slices.Equal(got, want) {
			t.Fatalf("BatchItemFailures=%v, want %v", got, want)
		}
		if got, want := count(), 1; got != want {
			t.Fatalf("history records=%d, want %d", got, want)
		}
		if !strings.Contains(logs.String(), `"msg":"malformed stream record (poison), batch stopped","sequenceNumber":"`+ev.Records[1].Change.SequenceNumber+`"`) {
			t.Fatalf("poison record not logged with its sequence number:\n%s", logs.String())
		}
		// Retries fail the same way; then the mapping moves on without it.
		resp, _ = h.Handle(context.Background(), events.DynamoDBEvent{Records: ev.Records[1:]})
		if got := failures(resp); len(got) != 2 || got[0] != ev.Records[1].Change.SequenceNumber {
			t.Fatalf("retry BatchItemFailures=%v", got)
		}
		resp, _ = h.Handle(context.Background(), events.DynamoDBEvent{Records: ev.Records[2:]})
		if len(resp.BatchItemFailures) != 0 || count() != 2 {
			t.Fatalf("after the DLQ: failures=%v records=%d, want none and 2", failures(resp), count())
		}
	})

	// Ensure a store failure in the middle of a batch reports the record it
	// names and every later one, and a failure without a record the whole
	// batch.
	t.Run("StoreFailure", func(t *testing.T) {
		ev := stream(t, lifecycle...)
		mid := ev.Records[3].Change.SequenceNumber
		h := &Handler{History: recorderFunc(func(context.Context, []events.DynamoDBEventRecord) (string, error) {
			return mid, errors.New("throttled")
		}), Log: slog.New(slog.DiscardHandler)}
		resp, _ := h.Handle(context.Background(), ev)
		if got, want := failures(resp), seqs(ev.Records[3:]); !slices.Equal(got, want) {
			t.Fatalf("BatchItemFailures=%v, want %v", got, want)
		}
		h.History = recorderFunc(func(context.Context, []events.DynamoDBEventRecord) (string, error) {
			return "", errors.New("confused")
		})
		resp, _ = h.Handle(context.Background(), ev)
		if got, want := failures(resp), seqs(ev.Records); !slices.Equal(got, want) {
			t.Fatalf("BatchItemFailures=%v, want the whole batch", got)
		}
	})

	// Ensure every record is logged with its key, whatever its kind.
	t.Run("Logs", func(t *testing.T) {
		h, logs, _ := newTestHandler(t)
		ev := stream(t, "ticket-insert")
		if _, err := h.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		var line struct {
			EventName      string `json:"eventName"`
			Key            string `json:"key"`
			SequenceNumber string `json:"sequenceNumber"`
		}
		first, _, _ := strings.Cut(logs.String(), "\n")
		if err := json.Unmarshal([]byte(first), &line); err != nil {
			t.Fatalf("log %q: %v", logs.String(), err)
		}
		if line.EventName != "INSERT" || line.SequenceNumber != ev.Records[0].Change.SequenceNumber ||
			line.Key != "pk=TICKET#3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13 sk=TICKET" {
			t.Fatalf("log=%+v", line)
		}
	})
}

type recorderFunc func(context.Context, []events.DynamoDBEventRecord) (string, error)

func (f recorderFunc) RecordHistory(ctx context.Context, recs []events.DynamoDBEventRecord) (string, error) {
	return f(ctx, recs)
}

type aggregatorFunc func(context.Context, []events.DynamoDBEventRecord) (string, error)

func (f aggregatorFunc) ApplyStats(ctx context.Context, recs []events.DynamoDBEventRecord) (string, error) {
	return f(ctx, recs)
}

// Ensure statistics are kept from the same batch as history: the real
// aggregator takes the lifecycle, and statistics never run past a history
// failure (the records after it come again).
func TestHandler_KeepsStatistics(t *testing.T) {
	h, _, _ := newTestHandler(t)
	st := h.History.(*store.Store)
	h.Stats = st
	ev := stream(t, "ticket-insert", "ticket-update", "comment-insert")
	if resp, err := h.Handle(context.Background(), ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}

	var seen [][]string
	h.Stats = aggregatorFunc(func(_ context.Context, recs []events.DynamoDBEventRecord) (string, error) {
		seen = append(seen, seqs(recs))
		return "", nil
	})
	h.History = recorderFunc(func(_ context.Context, recs []events.DynamoDBEventRecord) (string, error) {
		return recs[1].Change.SequenceNumber, fmt.Errorf("history failed")
	})
	resp, _ := h.Handle(context.Background(), ev)
	if len(seen) != 1 || !slices.Equal(seen[0], seqs(ev.Records)[:1]) || !slices.Equal(failures(resp), seqs(ev.Records)[1:]) {
		t.Fatalf("statistics saw %v, failures %v", seen, failures(resp))
	}
}

// Ensure a statistics failure never holds back history: whatever the
// aggregator reports, every record is recorded at once, no record is
// reported for Lambda to deliver again, and the failure is logged.
func TestHandler_StatisticsFailureLeavesHistoryOnTime(t *testing.T) {
	// What DynamoDB answers when an aggregate would pass 400 KB.
	tooLarge := &smithy.GenericAPIError{Code: "ValidationException", Message: "Item size to update has exceeded the maximum allowed size"}
	for _, tc := range []struct {
		name  string
		stats aggregatorFunc
	}{
		{"PoisonedAggregateMidBatch", func(_ context.Context, recs []events.DynamoDBEventRecord) (string, error) {
			return recs[1].Change.SequenceNumber, fmt.Errorf("write statistics: %w", tooLarge)
		}},
		{"FailureWithoutRecord", func(context.Context, []events.DynamoDBEventRecord) (string, error) {
			return "", errors.New("configuration unreadable")
		}},
		{"ThrottledOnFirstRecord", func(_ context.Context, recs []events.DynamoDBEventRecord) (string, error) {
			return recs[0].Change.SequenceNumber, errors.New("throttled")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, logs, count := newTestHandler(t)
			h.Stats = tc.stats
			ev := stream(t, lifecycle...)
			resp, err := h.Handle(context.Background(), ev)
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("err=%v BatchItemFailures=%v, want none", err, failures(resp))
			}
			if got, want := count(), 6+3; got != want {
				t.Fatalf("history records=%d, want %d", got, want)
			}
			if !strings.Contains(logs.String(), `"level":"ERROR","msg":"`+store.StatsNotAppliedLog+`"`) {
				t.Fatalf("statistics failure not logged:\n%s", logs.String())
			}
		})
	}
}

// Ensure the text index is kept from the same batch: the lifecycle's
// ticket ends deleted, so after it the ticket is in no posting, and a
// failing index never holds back history (it is logged for its alarm).
func TestHandler_KeepsTheTextIndex(t *testing.T) {
	h, logs, count := newTestHandler(t)
	st := h.History.(*store.Store)
	h.Search = st
	ctx := context.Background()
	live := grievance.PostingKey{Field: grievance.LiveField, Gram: grievance.LiveGram}
	ev := stream(t, "ticket-insert")
	if resp, err := h.Handle(ctx, ev); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}
	reader := plain[t.Name()]
	post, err := reader.Postings(ctx, []grievance.PostingKey{live})
	if err != nil || post[live].Len() != 1 {
		t.Fatalf("after the insert: %v live tickets (err %v), want 1", post[live], err)
	}
	if resp, _ := h.Handle(ctx, stream(t, lifecycle...)); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", failures(resp))
	}
	if post, err = reader.Postings(ctx, []grievance.PostingKey{live}); err != nil || post[live].Len() != 0 {
		t.Fatalf("after the delete: %d live tickets (err %v), want 0", post[live].Len(), err)
	}
	h.Search = indexerFunc(func(context.Context, []events.DynamoDBEventRecord) (string, error) {
		return "x", fmt.Errorf("index down")
	})
	before := count()
	resp, _ := h.Handle(ctx, stream(t, "ticket-insert", "ticket-update"))
	if len(resp.BatchItemFailures) != 0 || !strings.Contains(logs.String(), store.SearchNotAppliedLog) || count() < before {
		t.Fatalf("a failing index: failures %v, logged %v", failures(resp), strings.Contains(logs.String(), store.SearchNotAppliedLog))
	}
}

type indexerFunc func(context.Context, []events.DynamoDBEventRecord) (string, error)

func (f indexerFunc) ApplySearch(ctx context.Context, recs []events.DynamoDBEventRecord) (string, error) {
	return f(ctx, recs)
}

// Ensure the text index runs on the function's time less a margin, so a
// slow index never runs the function out of time after history is done.
func TestHandler_TextIndexLeavesTimeToAnswer(t *testing.T) {
	h, _, _ := newTestHandler(t)
	var got time.Time
	h.Search = indexerFunc(func(ctx context.Context, _ []events.DynamoDBEventRecord) (string, error) {
		got, _ = ctx.Deadline()
		return "", nil
	})
	deadline := time.Now().Add(20 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if resp, err := h.Handle(ctx, stream(t, "ticket-insert")); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp=%+v err=%v", resp, err)
	}
	if want := deadline.Add(-searchMargin); !got.Equal(want) {
		t.Errorf("the index's deadline %v, want %v (the function's less %v)", got, want, searchMargin)
	}
}
