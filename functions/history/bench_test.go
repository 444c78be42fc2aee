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
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(b).Endpoint())
	if err != nil {
		b.Fatal(err)
	}
	meter := awsmeter.New()
	meter.Attach(&cfg)
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("hb%d-", os.Getpid()))
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(cfg, names)
	// As main.go builds it: history and the statistics aggregates.
	h := &Handler{History: st, Stats: st, Search: st, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	api := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })

	// Batches of 100 ticket records, made on demand (each is recorded once:
	// a redelivered batch would write nothing).
	var batches [][]events.DynamoDBEventRecord
	seen, seq := 0, int64(0)
	more := func() {
		ts := make([]*grievance.Ticket, 1000)
		at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
		for i := range ts {
			seq++
			ts[i] = &grievance.Ticket{ID: uuid.NewString(), Version: 1, Seq: seq, Code: grievance.FormatCode(seq), Title: "Payment not received",
				Description: "Second instalment missing.", Status: grievance.StatusOpen, Category: "Default", Priority: "High",
				JSONExt: map[string]any{"comment_ids": []any{}}, DateCreated: at, DateUpdated: at, DateValidFrom: at,
				UserCreated: "00000000-0000-4000-a000-000000000002", UserUpdated: "00000000-0000-4000-a000-000000000002"}
		}
		if err := st.ImportTickets(ctx, ts); err != nil {
			b.Fatal(err)
		}
		recs, err := streams.ReadAll(ctx, api, names.Main)
		if err != nil {
			b.Fatal(err)
		}
		var batch []events.DynamoDBEventRecord
		for _, r := range recs[seen:] {
			if r.Change.NewImage["kind"].String() != store.KindTicket {
				continue
			}
			if batch = append(batch, r); len(batch) == 100 {
				batches = append(batches, batch)
				batch = nil
			}
		}
		seen = len(recs)
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
	b.Logf("requests: %s", per)
	b.Logf("minimum: history BatchGetItem×1 (existing versions) + BatchWriteItem×4 (25 items each); statistics: see docs/sla.md")
}
