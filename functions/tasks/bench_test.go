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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
	"github.com/redress-grm/redress/tools/awsmeter"
)

// BenchmarkStream publishes the events of a batch of 100 stream records
// (new tickets, half of them assigned: 150 events) to an EventBridge bus in
// moto and reports records per second and the requests per batch
// (docs/performance.md).
func BenchmarkStream(b *testing.B) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(b).Endpoint())
	if err != nil {
		b.Fatal(err)
	}
	prefix := fmt.Sprintf("tb%d-", os.Getpid())
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), prefix)
	if err != nil {
		b.Fatal(err)
	}
	// A bus without rules: what is measured is the publishing, not moto
	// delivering to targets (docs/performance.md).
	busName := prefix + "bus"
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)}); err != nil {
		b.Fatal(err)
	}
	st := store.New(cfg, names)
	ts := make([]*grievance.Ticket, 100)
	at := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	for i := range ts {
		seq := int64(i + 1)
		ts[i] = &grievance.Ticket{ID: uuid.NewString(), Version: 1, Seq: seq, Code: grievance.FormatCode(seq), Title: "Payment not received",
			Status: grievance.StatusOpen, Category: "Default", Priority: "High", JSONExt: map[string]any{"comment_ids": []any{}},
			DateCreated: at, DateUpdated: at, DateValidFrom: at,
			UserCreated: "00000000-0000-4000-a000-000000000002", UserUpdated: "00000000-0000-4000-a000-000000000002"}
		if i%2 == 0 {
			ts[i].AttendingStaffID = "00000000-0000-4000-a000-000000000003"
		}
	}
	if err := st.ImportTickets(ctx, ts); err != nil {
		b.Fatal(err)
	}
	api := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })
	recs, err := streams.ReadAll(ctx, api, names.Main)
	if err != nil {
		b.Fatal(err)
	}
	var batch []events.DynamoDBEventRecord
	for _, r := range recs {
		if r.Change.NewImage["kind"].String() == store.KindTicket {
			batch = append(batch, r)
		}
	}
	if len(batch) != 100 {
		b.Fatalf("%d ticket records, want 100", len(batch))
	}

	// The handler as main.go builds it, its clients counted.
	meter := awsmeter.New()
	metered := cfg.Copy()
	meter.Attach(&metered)
	svc := grievance.NewService(store.New(metered, names), time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Publisher: &bus.Publisher{API: eventbridge.NewFromConfig(metered), Bus: busName}, Config: svc,
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	ev := events.DynamoDBEvent{Records: batch}
	acc := awsmeter.Stats{}
	var busy time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		resp, err := h.Handle(ctx, ev)
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
	b.ReportMetric(per.Total("EventBridge").Calls, "eb-req/batch")
	b.Logf("requests: %s", per)
	b.Logf("minimum: PutEvents×15 (150 events, 10 per request); configuration cached per container")
}
