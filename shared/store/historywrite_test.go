package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// lifecycle lists the stream fixtures of one ticket's life, in order.
var lifecycle = []string{"ticket-insert", "ticket-update", "comment-insert", "ticket-resolve", "ticket-reopen", "ticket-delete"}

const (
	fixtureTicket  = "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13"
	fixtureComment = "b1c2d3e4-5f60-4a7b-8c9d-0e1f2a3b4c5d"
)

// stream concatenates the records of the named fixtures of events/stream.
func stream(tb testing.TB, names ...string) []events.DynamoDBEventRecord {
	tb.Helper()
	var recs []events.DynamoDBEventRecord
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", "stream", n+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			tb.Fatalf("%s: %v", n, err)
		}
		recs = append(recs, ev.Records...)
	}
	return recs
}

// counter counts the DynamoDB requests made through a config, by operation.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) get(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *counter) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// MustOpenCounted returns a Store over fresh tables whose requests are
// counted, and a client for looking at the history table directly.
func MustOpenCounted(tb testing.TB) (*store.Store, *counter, *dynamo.DB, store.TableNames) {
	tb.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(tb).Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	prefix := fmt.Sprintf("hw%d-%d-", os.Getpid(), tableSeq.Add(1))
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), prefix)
	if err != nil {
		tb.Fatal(err)
	}
	c := &counter{n: map[string]int{}}
	counted := cfg.Copy()
	counted.APIOptions = append(counted.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("countRequests",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				c.mu.Lock()
				c.n[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
				return next.HandleInitialize(ctx, in)
			}), middleware.After)
	})
	return store.New(counted, names), c, dynamo.New(cfg), names
}

type historyRow struct {
	PK             string   `dynamo:"pk"`
	SK             string   `dynamo:"sk"`
	H1SK           string   `dynamo:"h1sk"`
	Version        int      `dynamo:"version"`
	HistoryType    string   `dynamo:"historyType"`
	HistoryUser    string   `dynamo:"historyUser"`
	ChangedFields  []string `dynamo:"changedFields"`
	SequenceNumber string   `dynamo:"sequenceNumber"`
}

func historyRows(tb testing.TB, db *dynamo.DB, names store.TableNames, pk string) []historyRow {
	tb.Helper()
	var rows []historyRow
	err := db.Table(names.History).Get("pk", pk).Consistent(true).All(context.Background(), &rows)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		tb.Fatal(err)
	}
	return rows
}

func TestStore_RecordHistory(t *testing.T) {
	// Ensure a ticket's life gives one record per version of the ticket
	// and of its comment, with the right types and changed fields, and that
	// the readers of the GraphQL API find them.
	t.Run("Lifecycle", func(t *testing.T) {
		s, _, db, names := MustOpenCounted(t)
		ctx := context.Background()
		recs := stream(t, lifecycle...)
		if seq, err := s.RecordHistory(ctx, recs); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		rows := historyRows(t, db, names, "TICKET#"+fixtureTicket)
		var got []string
		for _, r := range rows {
			got = append(got, fmt.Sprintf("%s %d %s", r.SK, r.Version, r.HistoryType))
		}
		want := []string{"V#0000000001 1 +", "V#0000000002 2 ~", "V#0000000003 3 ~", "V#0000000004 4 ~", "V#0000000005 5 ~", "V#0000000006 6 ~"}
		if !slices.Equal(got, want) {
			t.Fatalf("ticket rows=%q, want %q", got, want)
		}
		if got, want := rows[1].ChangedFields, []string{"attendingStaffId", "dateUpdated", "priority", "status", "version"}; !slices.Equal(got, want) {
			t.Fatalf("v2 changedFields=%q, want %q", got, want)
		}
		if got, want := rows[5].ChangedFields, []string{"dateUpdated", "isDeleted", "version"}; !slices.Equal(got, want) {
			t.Fatalf("v6 changedFields=%q, want %q", got, want)
		}
		if !slices.Contains(rows[0].ChangedFields, "title") || slices.Contains(rows[0].ChangedFields, "g1pk") || slices.Contains(rows[0].ChangedFields, "lastMutation") {
			t.Fatalf("v1 changedFields=%q, want every domain field and no bookkeeping", rows[0].ChangedFields)
		}
		if rows[3].HistoryUser != "6e740b7b-eae6-5c49-83aa-5092e136aeaa" || rows[3].H1SK != "000000000001#0000000004" || rows[3].SequenceNumber == "" {
			t.Fatalf("v4 row=%+v", rows[3])
		}
		crow := historyRows(t, db, names, "COMMENT#"+fixtureComment)
		got = got[:0]
		for _, r := range crow {
			got = append(got, fmt.Sprintf("%s %s %s", r.SK, r.HistoryType, strings.Join(r.ChangedFields, ",")))
		}
		want = []string{"V#0000000001 + comment,commenterId,commenterType,dateCreated,dateUpdated,id,isDeleted,isResolution,ticketId,userCreated,userUpdated,version",
			"V#0000000002 ~ dateUpdated,isResolution,userUpdated,version", "V#0000000003 ~ dateUpdated,isResolution,version"}
		if !slices.Equal(got, want) {
			t.Fatalf("comment rows=%q, want %q", got, want)
		}

		tk, err := s.TicketVersion(ctx, fixtureTicket, 4)
		if err != nil {
			t.Fatal(err)
		} else if tk.Version != 4 || tk.Status != grievance.StatusClosed || len(tk.CommentIDs()) != 1 {
			t.Fatalf("version 4=%+v", tk)
		}
		var versions []int
		if err := s.ScanTicketHistory(ctx, "", func(t *grievance.Ticket) (bool, error) {
			versions = append(versions, t.Version)
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(versions, []int{6, 5, 4, 3, 2, 1}) {
			t.Fatalf("ScanTicketHistory versions=%v", versions)
		}
	})

	// Ensure a batch delivered again, whole or overlapping, writes nothing
	// new and needs only the read of its keys.
	t.Run("Redelivery", func(t *testing.T) {
		s, c, db, names := MustOpenCounted(t)
		ctx := context.Background()
		recs := stream(t, lifecycle...)
		if seq, err := s.RecordHistory(ctx, recs[:5]); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		before := historyRows(t, db, names, "TICKET#"+fixtureTicket)
		c.reset()
		// The same record twice in one batch, and the first five again.
		again := append(slices.Clone(recs), recs[2])
		if seq, err := s.RecordHistory(ctx, again); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		if got, want := c.get("BatchGetItem"), 1; got != want {
			t.Fatalf("BatchGetItem=%d, want %d", got, want)
		}
		if got, want := c.get("TransactWriteItems"), 1; got != want {
			t.Fatalf("TransactWriteItems=%d, want %d (only the new records)", got, want)
		}
		after := historyRows(t, db, names, "TICKET#"+fixtureTicket)
		if len(after) != 6 || after[0].SequenceNumber != before[0].SequenceNumber {
			t.Fatalf("rows after redelivery=%d", len(after))
		}
		c.reset()
		if seq, err := s.RecordHistory(ctx, recs); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		if got := c.get("TransactWriteItems"); got != 0 {
			t.Fatalf("TransactWriteItems=%d for a fully recorded batch, want 0", got)
		}
	})

	// Ensure a malformed image stops the batch at its sequence number,
	// after the records before it were recorded, and none after it.
	t.Run("Malformed", func(t *testing.T) {
		s, _, db, names := MustOpenCounted(t)
		recs := stream(t, "malformed")
		seq, err := s.RecordHistory(context.Background(), recs)
		if !errors.Is(err, store.ErrMalformedRecord) {
			t.Fatalf("err=%v, want ErrMalformedRecord", err)
		} else if seq != recs[1].Change.SequenceNumber {
			t.Fatalf("failed seq=%s, want %s", seq, recs[1].Change.SequenceNumber)
		}
		rows := historyRows(t, db, names, "TICKET#c0ffee00-1111-4222-8333-444455556666")
		if len(rows) != 1 || rows[0].Version != 1 {
			t.Fatalf("rows=%+v, want version 1 only", rows)
		}
	})

	// Ensure removals get their own record after the last version, and
	// items of other kinds none.
	t.Run("RemoveAndOtherKinds", func(t *testing.T) {
		s, _, db, names := MustOpenCounted(t)
		recs := stream(t, append(slices.Clone(lifecycle), "remove", "mixed-batch")...)
		if seq, err := s.RecordHistory(context.Background(), recs); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		rows := historyRows(t, db, names, "TICKET#"+fixtureTicket)
		if len(rows) != 7 || rows[6].SK != "V#0000000006-" || rows[6].HistoryType != store.HistoryDeleted || rows[6].H1SK != "" {
			t.Fatalf("rows=%d, last=%+v", len(rows), rows[len(rows)-1])
		}
		crow := historyRows(t, db, names, "COMMENT#"+fixtureComment)
		if len(crow) != 4 || crow[3].SK != "V#0000000003-" {
			t.Fatalf("comment rows=%d", len(crow))
		}
		var all []historyRow
		if err := db.Table(names.History).Scan().Filter("kind <> ?", store.KindVersionCount).All(context.Background(), &all); err != nil {
			t.Fatal(err)
		}
		if got, want := len(all), 7+4+1; got != want {
			t.Fatalf("history records=%d, want %d (ticket 1, its comment, ticket 2)", got, want)
		}
		// The live list of versions still hides the removal.
		n := 0
		s.ScanTicketHistory(context.Background(), fixtureTicket, func(*grievance.Ticket) (bool, error) { n++; return true, nil })
		if n != 6 {
			t.Fatalf("ScanTicketHistory=%d versions, want 6", n)
		}
	})

	// Ensure a 100-record batch of new versions of one ticket takes one
	// BatchGetItem and two transactions (100 items each at most: the
	// records and their counts), and its redelivery one BatchGetItem.
	t.Run("RequestsPerBatch", func(t *testing.T) {
		s, c, _, _ := MustOpenCounted(t)
		recs := hundredVersions(t)
		c.reset()
		if seq, err := s.RecordHistory(context.Background(), recs); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		if g, w := c.get("BatchGetItem"), c.get("TransactWriteItems"); g != 1 || w != 2 {
			t.Fatalf("requests: BatchGetItem=%d TransactWriteItems=%d, want 1 and 2", g, w)
		}
		c.reset()
		if seq, err := s.RecordHistory(context.Background(), recs); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		if g, w := c.get("BatchGetItem"), c.get("TransactWriteItems"); g != 1 || w != 0 {
			t.Fatalf("redelivery requests: BatchGetItem=%d TransactWriteItems=%d, want 1 and 0", g, w)
		}
	})

	// Ensure a failed write reports the first record not recorded.
	t.Run("WriteFails", func(t *testing.T) {
		s, _, db, names := MustOpenCounted(t)
		ctx := context.Background()
		recs := stream(t, lifecycle...)
		if _, err := s.RecordHistory(ctx, recs[:2]); err != nil {
			t.Fatal(err)
		}
		// Without its table every request fails.
		if err := db.Table(names.History).DeleteTable().Run(ctx); err != nil {
			t.Fatal(err)
		}
		seq, err := s.RecordHistory(ctx, recs)
		if err == nil || seq != recs[0].Change.SequenceNumber {
			t.Fatalf("RecordHistory=%q, %v; want a failure at the first record", seq, err)
		}
	})
}

// hundredVersions returns 100 MODIFY records of the fixture ticket,
// versions 2 to 101.
func hundredVersions(tb testing.TB) []events.DynamoDBEventRecord {
	tb.Helper()
	base := stream(tb, "ticket-update")[0]
	var recs []events.DynamoDBEventRecord
	for v := 2; v <= 101; v++ {
		r := base
		r.Change.NewImage = mapsClone(base.Change.NewImage)
		r.Change.OldImage = mapsClone(base.Change.OldImage)
		r.Change.NewImage["version"] = events.NewNumberAttribute(fmt.Sprint(v))
		r.Change.OldImage["version"] = events.NewNumberAttribute(fmt.Sprint(v - 1))
		r.Change.SequenceNumber = fmt.Sprintf("2%020d", v)
		recs = append(recs, r)
	}
	return recs
}

func mapsClone(m map[string]events.DynamoDBAttributeValue) map[string]events.DynamoDBAttributeValue {
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
