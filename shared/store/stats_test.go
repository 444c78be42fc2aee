package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure an aggregate DynamoDB refuses to grow (moto enforces the 400 KB
// item limit on updates) costs only the tickets that contribute to it:
// the tickets sharing its transaction are applied, the refused one is
// reported, and applying again later still skips nothing else.
func TestApplyStats_PoisonedAggregateCostsOnlyItsTickets(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("sp%d-%d-", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	s := store.New(cfg, names)
	day := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	mk := func(n int, category string, created time.Time) *grievance.Ticket {
		tk := newTicket(id(n), grievance.StatusOpen, category)
		tk.Seq, tk.Code, tk.Priority = int64(n), grievance.FormatCode(int64(n)), "High"
		tk.DateCreated, tk.DateUpdated, tk.DateValidFrom = created, created, created
		return tk
	}
	// Ticket 2 counts in the poisoned aggregate; 1 and 3 share its batch
	// (and transaction) but count elsewhere.
	tickets := []*grievance.Ticket{mk(1, "Category A", day), mk(2, "Default", day), mk(3, "Default", day.AddDate(0, 0, 1))}
	// The poisoned aggregate, a few bytes under moto's limit: any new
	// counter pushes it over.
	poison := map[string]any{"pk": "STATS#2026-01", "sk": "2026-01-05#Default", "kind": store.KindStats,
		"day": "2026-01-05", "category": "Default", "pad": strings.Repeat("x", 404_920)}
	if err := dynamo.New(cfg).Table(names.Main).Put(poison).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportTickets(ctx, tickets); err != nil {
		t.Fatal(err)
	}
	api := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })
	all, err := streams.ReadAll(ctx, api, names.Main)
	if err != nil {
		t.Fatal(err)
	}
	var recs []events.DynamoDBEventRecord
	seqOf := map[string]string{}
	for _, r := range all {
		if r.Change.NewImage["kind"].String() == store.KindTicket {
			recs = append(recs, r)
			seqOf[r.Change.NewImage["id"].String()] = r.Change.SequenceNumber
		}
	}
	if len(recs) != 3 {
		t.Fatalf("%d ticket records, want 3", len(recs))
	}
	for delivery := 1; delivery <= 2; delivery++ {
		failed, err := s.ApplyStats(ctx, recs)
		if failed != seqOf[id(2)] || err == nil || !strings.Contains(err.Error(), id(2)) {
			t.Fatalf("delivery %d: failed=%q err=%v, want ticket 2's record (%s) reported", delivery, failed, err, seqOf[id(2)])
		}
		aggs, err := s.StatsAggregates(ctx, "2026-01-01", "2026-01-31")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, a := range aggs {
			got[a.Key.Day+"#"+a.Key.Category] = a.Counters[grievance.CounterTickets]
		}
		if want := map[string]int64{"2026-01-05#Category A": 1, "2026-01-06#Default": 1, "2026-01-05#Default": 0}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("delivery %d: tickets per aggregate %v, want %v", delivery, got, want)
		}
	}
}
