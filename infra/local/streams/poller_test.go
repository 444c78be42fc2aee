package streams_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// invokerFunc adapts a function to streams.Invoker and records every batch.
type recorder struct {
	mu      sync.Mutex
	batches [][]events.DynamoDBEventRecord
	handle  func(call int, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	changed chan struct{}
}

func newRecorder(h func(int, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)) *recorder {
	return &recorder{handle: h, changed: make(chan struct{}, 1000)}
}

func (r *recorder) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	r.mu.Lock()
	call := len(r.batches)
	r.batches = append(r.batches, ev.Records)
	r.mu.Unlock()
	defer func() { r.changed <- struct{}{} }()
	resp, err := r.handle(call, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

// waitFor blocks until cond holds after an invocation. The bound only
// keeps a broken poller from hanging the test; nothing is timed.
func (r *recorder) waitFor(t *testing.T, what string, cond func([][]events.DynamoDBEventRecord) bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.batches)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("gave up waiting for %s; batches: %v", what, r.seqs())
		}
	}
}

func (r *recorder) seqs() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]string
	for _, b := range r.batches {
		out = append(out, pks(b))
	}
	return out
}

func pks(b []events.DynamoDBEventRecord) []string {
	var s []string
	for _, r := range b {
		s = append(s, r.Change.Keys["pk"].String())
	}
	return s
}

type fixture struct {
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	table   string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{
		db: dynamodb.NewFromConfig(cfg),
		streams: dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
			o.APIOptions = append(o.APIOptions, streams.FixMotoDates)
		}),
		table: strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()),
	}
	if _, err := f.db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(f.table),
		BillingMode:          dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}},
		StreamSpecification:  &dbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: dbtypes.StreamViewTypeNewAndOldImages},
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) put(t *testing.T, pks ...string) {
	t.Helper()
	for _, pk := range pks {
		if _, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String(f.table),
			Item: map[string]dbtypes.AttributeValue{
				"pk":   &dbtypes.AttributeValueMemberS{Value: pk},
				"tags": &dbtypes.AttributeValueMemberSS{Value: []string{"a"}},
			},
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// run starts the poller and stops it (waiting for it) at the end of the test.
func (f *fixture) run(t *testing.T, fn streams.Invoker, o streams.Options) *streams.Poller {
	t.Helper()
	o.PollInterval = 20 * time.Millisecond
	if o.DLQPath == "" {
		o.DLQPath = filepath.Join(t.TempDir(), "dlq.jsonl")
	}
	p := streams.NewPoller(f.streams, f.table, fn, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p
}

// Ensure a partial batch failure redelivers from the failed record only,
// and that batches respect the batch size and the shard order.
func TestPoller_PartialFailure(t *testing.T) {
	f := newFixture(t)
	f.put(t, "a", "b", "c", "d", "e")
	rec := newRecorder(func(call int, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		if call == 0 {
			// Fail "c" and "d": the retry must start at c, the lowest.
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{
				{ItemIdentifier: ev.Records[3].Change.SequenceNumber},
				{ItemIdentifier: ev.Records[2].Change.SequenceNumber},
			}}, nil
		}
		return events.DynamoDBEventResponse{}, nil
	})
	f.run(t, rec, streams.Options{Function: "test", BatchSize: 4})
	rec.waitFor(t, "e delivered", func(b [][]events.DynamoDBEventRecord) bool {
		return len(b) > 0 && pks(b[len(b)-1])[len(b[len(b)-1])-1] == "e"
	})
	got := fmt.Sprint(rec.seqs())
	if want := "[[a b c d] [c d] [e]]"; got != want {
		t.Fatalf("batches=%s, want %s", got, want)
	}
	r := rec.batches[0][0]
	if r.EventName != "INSERT" || r.EventSource != "aws:dynamodb" || !strings.Contains(r.EventSourceArn, "/stream/") ||
		r.Change.NewImage["tags"].StringSet()[0] != "a" || r.Change.ApproximateCreationDateTime.IsZero() {
		t.Fatalf("first record=%+v", r)
	}
}

// Ensure a function error retries the whole batch, that a batch failing
// beyond MaxRetries is bisected until each failing record goes to the DLQ
// on its own, and that the shard then moves on.
func TestPoller_RetriesThenDLQ(t *testing.T) {
	f := newFixture(t)
	f.put(t, "bad1", "bad2")
	rec := newRecorder(func(call int, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range ev.Records {
			if strings.HasPrefix(r.Change.Keys["pk"].String(), "bad") {
				return events.DynamoDBEventResponse{}, errors.New("boom")
			}
		}
		return events.DynamoDBEventResponse{}, nil
	})
	p := f.run(t, rec, streams.Options{Function: "test", MaxRetries: 2})
	rec.waitFor(t, "three attempts", func(b [][]events.DynamoDBEventRecord) bool { return len(b) >= 3 })

	// The DLQ is written right after the last attempt returns; the next put
	// is only delivered once the poller has moved past the bad batch.
	f.put(t, "good")
	rec.waitFor(t, "good delivered", func(b [][]events.DynamoDBEventRecord) bool {
		return len(b) > 0 && pks(b[len(b)-1])[0] == "good"
	})
	if got, want := fmt.Sprint(rec.seqs()), "[[bad1 bad2] [bad1 bad2] [bad1 bad2] [bad1] [bad1] [bad1] [bad2] [bad2] [bad2] [good]]"; got != want {
		t.Fatalf("batches=%s, want %s", got, want)
	}

	file, err := os.Open(p.DLQPath())
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("dlq line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if got, want := len(lines), 2; got != want {
		t.Fatalf("dlq lines=%d, want %d", got, want)
	}
	if got := lines[0]["attempts"]; got != 3.0 {
		t.Fatalf("attempts=%v, want 3", got)
	}
	if got := lines[0]["error"]; got != "boom" {
		t.Fatalf("error=%v, want boom", got)
	}
	if got := lines[1]["record"].(map[string]any)["dynamodb"].(map[string]any)["Keys"]; fmt.Sprint(got) != "map[pk:map[S:bad2]]" {
		t.Fatalf("second dlq record keys=%v", got)
	}
}

// Ensure a poison record in the middle of a batch goes to the DLQ alone:
// bisecting delivers the good records around it, in order.
func TestPoller_BisectIsolatesPoison(t *testing.T) {
	f := newFixture(t)
	f.put(t, "a", "bad", "b", "c")
	rec := newRecorder(func(call int, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		for _, r := range ev.Records {
			if r.Change.Keys["pk"].String() == "bad" {
				return events.DynamoDBEventResponse{}, errors.New("poison")
			}
		}
		return events.DynamoDBEventResponse{}, nil
	})
	p := f.run(t, rec, streams.Options{Function: "test", MaxRetries: 1, BatchSize: 4})
	rec.waitFor(t, "b and c delivered after the poison", func(b [][]events.DynamoDBEventRecord) bool {
		return len(b) > 0 && fmt.Sprint(pks(b[len(b)-1])) == "[b c]"
	})
	got := fmt.Sprint(rec.seqs())
	if want := "[[a bad b c] [a bad b c] [a bad] [a bad] [a] [bad] [bad] [b c]]"; got != want {
		t.Fatalf("batches=%s, want %s", got, want)
	}
	b, err := os.ReadFile(p.DLQPath())
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 1 || !strings.Contains(string(b), "poison") {
		t.Fatalf("dlq=%s, want the poison record alone", b)
	}
}
