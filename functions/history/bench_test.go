package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
	"github.com/redress-grm/redress/tools/awsmeter"
)

// BenchmarkStream records batches of 100 new ticket changes (real stream
// records of the Main table in moto) and reports records per second and
// the DynamoDB requests per batch (docs/performance.md).
func BenchmarkStream(b *testing.B) {
	ctx := context.Background()
	sb := newStreamBench(b, "hb")
	st, h, meter := sb.st, sb.h, sb.meter

	// Batches of 100 ticket records, made on demand (each is recorded once:
	// a redelivered batch would write nothing).
	var batches [][]events.DynamoDBEventRecord
	seq := int64(0)
	more := func() {
		ts := make([]*grievance.Ticket, 1000)
		at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
		for i := range ts {
			seq++
			ts[i] = &grievance.Ticket{ID: uuid.NewString(), Version: 1, Seq: seq, Code: grievance.FormatCode(seq), Title: "Payment not received",
				Description: "Second instalment missing.", Status: grievance.StatusOpen, Category: "Default", Priority: "High",
				Channel: []string{"Channel A", "Channel B", "Default"}[seq%3], Flags: []string{"Default", "Flag A"}[seq%2],
				DateOfIncident: at.AddDate(0, 0, -int(seq%7)).Format(grievance.DateLayout), Resolution: []string{"5,0", "4,0", "6,12"}[seq%3], Key: fmt.Sprintf("REF-%s-%06d", []string{"LL", "BT", "ZA"}[seq%3], seq),
				JSONExt: map[string]any{"comment_ids": []any{}}, DateCreated: at, DateUpdated: at, DateValidFrom: at,
				UserCreated: "00000000-0000-4000-a000-000000000002", UserUpdated: "00000000-0000-4000-a000-000000000002"}
		}
		if err := st.ImportTickets(ctx, ts); err != nil {
			b.Fatal(err)
		}
		recs := sb.ticketRecords(b)
		for len(recs) >= 100 {
			batches = append(batches, recs[:100])
			recs = recs[100:]
		}
		meter.Take()
	}
	acc := awsmeter.Stats{}
	var busy time.Duration
	i := 0
	for b.Loop() {
		if i >= len(batches) {
			b.StopTimer()
			more()
			b.StartTimer()
		}
		t0 := time.Now()
		resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: batches[i]})
		busy += time.Since(t0)
		if err != nil || len(resp.BatchItemFailures) > 0 {
			b.Fatalf("batch %d: %v %+v", i, err, resp)
		}
		acc.Add(meter.Take())
		i++
	}
	b.StopTimer()
	per := acc.Scale(i)
	b.ReportMetric(float64(100*i)/busy.Seconds(), "records/s")
	b.ReportMetric(per.Total("DynamoDB").Calls, "ddb-req/batch")
	b.ReportMetric(per.Total("DynamoDB").WCU, "wcu/batch")
	b.ReportMetric(per.Total("DynamoDB").IndexWCU, "index-wcu/batch")
	b.Logf("requests: %s", per)
	b.Logf("minimum: history BatchGetItem×1 (existing versions) + BatchWriteItem×4 (25 items each); statistics: see docs/sla.md")
}

// BenchmarkTextChanges records batches of 100 title changes, each
// ticket's changes-th (real stream records of the Main table in moto), and
// reports the DynamoDB requests and write units per batch: what a text's
// first and later changes cost the consumer (the history records, the
// replaced texts' postings, the counts of changes and the counts by value
// before the change; docs/performance.md §8, "Texts changed twice").
func BenchmarkTextChanges(b *testing.B) {
	ctx := context.Background()
	sb := newStreamBench(b, "hr")
	st, h, meter := sb.st, sb.h, sb.meter
	seq := int64(0)
	// consume hands the records since the last call to the handler in
	// batches of 100 and returns what the handler's requests cost.
	consume := func() awsmeter.Stats {
		batch := sb.ticketRecords(b)
		meter.Take()
		for len(batch) > 0 {
			part := batch[:min(len(batch), 100)]
			if resp, err := h.Handle(ctx, events.DynamoDBEvent{Records: part}); err != nil || len(resp.BatchItemFailures) > 0 {
				b.Fatalf("%v %+v", err, resp)
			}
			batch = batch[len(part):]
		}
		return meter.Take()
	}
	// A created ticket changes status at its second version, then its
	// title at each version after: "recieved", "receved", ...
	titles := []string{"Payment not recieved", "Payment not receved", "Payment not received", "Payment not recieved (2)"}
	for _, changes := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("change=%d", changes), func(b *testing.B) {
			acc := awsmeter.Stats{}
			i := 0
			for b.Loop() {
				b.StopTimer()
				at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
				ts := make([]*grievance.Ticket, 100)
				for k := range ts {
					seq++
					ts[k] = &grievance.Ticket{ID: uuid.NewString(), Version: 1, Seq: seq, Code: grievance.FormatCode(seq), Title: titles[0],
						Description: "Second instalment missing.", Status: grievance.StatusReceived, Category: "Default", Priority: "High",
						JSONExt: map[string]any{"comment_ids": []any{}}, DateCreated: at, DateUpdated: at, DateValidFrom: at,
						UserCreated: "00000000-0000-4000-a000-000000000002", UserUpdated: "00000000-0000-4000-a000-000000000002"}
				}
				if err := st.ImportTickets(ctx, ts); err != nil {
					b.Fatal(err)
				}
				next := func(change func(*grievance.Ticket)) {
					for k, t := range ts {
						n := t.Clone()
						change(n)
						n.Version++
						if err := st.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: n, Prev: t.Version}}}); err != nil {
							b.Fatal(err)
						}
						ts[k] = n
					}
				}
				next(func(n *grievance.Ticket) { n.Status = grievance.StatusOpen })
				for c := 1; c < changes; c++ {
					next(func(n *grievance.Ticket) { n.Title = titles[c] })
				}
				consume()
				next(func(n *grievance.Ticket) { n.Title = titles[changes] })
				b.StartTimer()
				acc.Add(consume())
				i++
			}
			per := acc.Scale(i)
			b.ReportMetric(per.Total("DynamoDB").Calls, "ddb-req/batch")
			b.ReportMetric(per.Total("DynamoDB").WCU, "wcu/batch")
			b.ReportMetric(per.Total("DynamoDB").IndexWCU, "index-wcu/batch")
			b.Logf("requests: %s", per)
		})
	}
}

// streamBench is the history consumer as main.go builds it (history, the
// statistics aggregates, the search index) over fresh tables in moto,
// every request metered.
type streamBench struct {
	st    *store.Store
	h     *Handler
	meter *awsmeter.Meter
	api   *dynamodbstreams.Client
	main  string
	seen  int // the Main table's records handed out
}

func newStreamBench(b *testing.B, prefix string) *streamBench {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(b).Endpoint())
	if err != nil {
		b.Fatal(err)
	}
	meter := awsmeter.New()
	meter.Attach(&cfg)
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("%s%d-", prefix, os.Getpid()))
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(cfg, names)
	return &streamBench{st: st, meter: meter, main: names.Main,
		h:   &Handler{History: st, Stats: st, Search: st, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))},
		api: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })}
}

// ticketRecords are the Main table's ticket records (real stream records)
// since the last call.
func (sb *streamBench) ticketRecords(b *testing.B) []events.DynamoDBEventRecord {
	recs, err := streams.ReadAll(context.Background(), sb.api, sb.main)
	if err != nil {
		b.Fatal(err)
	}
	var out []events.DynamoDBEventRecord
	for _, r := range recs[sb.seen:] {
		if r.Change.NewImage["kind"].String() == store.KindTicket {
			out = append(out, r)
		}
	}
	sb.seen = len(recs)
	return out
}
