// Package e2e_test drives Redress end to end against moto, the way the
// local stack runs it: the real graphql, history and tasks binaries behind
// the emulated Lambda runtime, the Main table's stream delivered to history
// and tasks by the emulated event-source mapping, and the bus routed to a
// queue the test reads. It checks issue #4: a ticket's whole life gives
// exactly one history record per version and the expected events in order,
// also under redelivery, a failure in the middle of a batch and a
// malformed image.
package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	sttypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/infra/local/moto"
	localstack "github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/bus/bustest"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// binDir holds the function binaries of every stack the tests start:
// linked once for the package (go build leaves an up-to-date binary as it
// is), not once per test.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := moto.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// Users of infra/local/seed.json.
const (
	aliceID = "92f6450c-efe8-5899-ae45-671c4543b555"
	bobID   = "6e740b7b-eae6-5c49-83aa-5092e136aeaa"
)

// drain bounds every wait for the stream to be processed: far above the
// second or so it takes, so a slow CI machine does not fail the test.
const drain = 60 * time.Second

// stack is the deployment under test, with the clients the test reads it
// with.
type stack struct {
	*localstack.Stack
	db        *dynamo.DB
	sqs       *sqs.Client
	streams   *dynamodbstreams.Client
	validator *bustest.Validator
}

// startStack starts the local stack with fns [graphql, history, tasks],
// their AWS calls recorded for the permission check of infra/.
func startStack(t *testing.T, fns ...string) *stack {
	t.Helper()
	return startStackEnv(t, callLog(), fns...)
}

// startStackEnv is startStack with env as the functions' extra
// environment.
func startStackEnv(t *testing.T, env []string, fns ...string) *stack {
	t.Helper()
	if len(fns) == 0 {
		fns = []string{localstack.GraphQL, localstack.History, localstack.Tasks}
	}
	// The seed goes in through these two, as in every local stack.
	fns = append(fns, localstack.Importer, localstack.StaffSync)
	root, err := bustest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	prefix := fmt.Sprintf("e2e%d-", os.Getpid())
	ls, err := localstack.Start(context.Background(), localstack.Options{
		Root:         root,
		Endpoint:     moto.ForTest(t).Endpoint(),
		TablePrefix:  prefix,
		BusName:      prefix + "bus",
		QueueName:    prefix + "events",
		SeedFile:     filepath.Join(root, "infra", "local", "seed.json"),
		ImportBucket: prefix + "imports",
		ImportQueue:  prefix + "imports",
		UserPool:     prefix + "users",
		Functions:    fns,
		PollInterval: 50 * time.Millisecond,
		MaxRetries:   2,
		DLQDir:       t.TempDir(),
		BinDir:       binDir,
		Output:       out,
		Env:          env,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ls.Stop)
	return &stack{Stack: ls, db: dynamo.New(ls.AWS), sqs: sqs.NewFromConfig(ls.AWS), validator: bustest.NewValidator(t),
		streams: dynamodbstreams.NewFromConfig(ls.AWS, func(o *dynamodbstreams.Options) {
			o.APIOptions = append(o.APIOptions, streams.FixMotoDates)
		})}
}

// gql runs a GraphQL document through the graphql function as API Gateway
// sends it, signed in as username with the admin group, and returns data.
func (st *stack) gql(t *testing.T, doc string) map[string]any {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": doc})
	var ev events.APIGatewayV2HTTPRequest
	ev.Version, ev.RouteKey, ev.RawPath = "2.0", "POST /api/graphql", "/api/graphql"
	ev.Headers = map[string]string{"content-type": "application/json"}
	ev.Body = string(body)
	ev.RequestContext.HTTP.Method, ev.RequestContext.HTTP.Path = "POST", "/api/graphql"
	ev.RequestContext.RequestID = fmt.Sprint(time.Now().UnixNano())
	ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
		JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
			Claims: map[string]string{"sub": bobID, "username": "bob", "cognito:groups": "[GrievanceAdmin]"},
		},
	}
	payload, _ := json.Marshal(ev)
	out, err := st.Functions["graphql"].Invoke(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	var res struct {
		Data   map[string]any `json:"data"`
		Errors []any          `json:"errors"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &res); err != nil || resp.StatusCode != 200 || len(res.Errors) > 0 {
		t.Fatalf("%s\n-> %d %s", doc, resp.StatusCode, resp.Body)
	}
	return res.Data
}

// mutate runs a mutation with a fresh clientMutationId and fails unless
// its log says it succeeded.
func (st *stack) mutate(t *testing.T, name, input string) string {
	t.Helper()
	cmid := fmt.Sprintf("e2e-%s-%d", name, time.Now().UnixNano())
	st.gql(t, fmt.Sprintf(`mutation { %s(input: {clientMutationId: %q, %s}) { clientMutationId internalId } }`, name, cmid, input))
	n := nodes(t, st.gql(t, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status error } } } }`, cmid)), "mutationLogs")
	if len(n) != 1 || n[0]["status"] != float64(grievance.MutationSuccess) {
		t.Fatalf("%s(%s): log %v", name, input, n)
	}
	return cmid
}

func nodes(t *testing.T, data map[string]any, field string) []map[string]any {
	t.Helper()
	conn, _ := data[field].(map[string]any)
	edges, _ := conn["edges"].([]any)
	var out []map[string]any
	for _, e := range edges {
		out = append(out, e.(map[string]any)["node"].(map[string]any))
	}
	return out
}

// rawID decodes a Relay global id ("Type:uuid", base64).
func rawID(t *testing.T, global any) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(fmt.Sprint(global))
	if err != nil {
		t.Fatalf("global id %v: %v", global, err)
	}
	_, id, _ := strings.Cut(string(b), ":")
	return id
}

type historyRow struct {
	SK            string   `dynamo:"sk"`
	Version       int      `dynamo:"version"`
	HistoryType   string   `dynamo:"historyType"`
	HistoryUser   string   `dynamo:"historyUser"`
	ChangedFields []string `dynamo:"changedFields"`
}

func (st *stack) history(t *testing.T, pk string) []historyRow {
	t.Helper()
	var rows []historyRow
	err := st.db.Table(st.Tables.History).Get("pk", pk).Consistent(true).All(context.Background(), &rows)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		t.Fatal(err)
	}
	return rows
}

// waitHistory waits (bounded) until pk has n history records.
func (st *stack) waitHistory(t *testing.T, pk string, n int) []historyRow {
	t.Helper()
	deadline := time.Now().Add(drain)
	for {
		rows := st.history(t, pk)
		if len(rows) >= n || time.Now().After(deadline) {
			return rows
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receive reads events from the bus's queue until n arrived or the wait
// ends, deleting them; every event is checked against its schema.
func (st *stack) receive(t *testing.T, n int, wait time.Duration) []bustest.Envelope {
	t.Helper()
	var got []bustest.Envelope
	deadline := time.Now().Add(wait)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := st.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(st.Bus.QueueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			e, err := st.validator.ValidateEnvelope([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatalf("event invalid: %v\n%s", err, aws.ToString(m.Body))
			}
			got = append(got, e)
			st.sqs.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(st.Bus.QueueURL), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return got
}

func detailTypes(es []bustest.Envelope) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.DetailType)
	}
	return out
}

func eventIDs(t *testing.T, es []bustest.Envelope) []string {
	t.Helper()
	var out []string
	for _, e := range es {
		var h bus.Header
		if err := json.Unmarshal(e.Detail, &h); err != nil {
			t.Fatal(err)
		}
		out = append(out, h.EventID)
	}
	return out
}

// records reads every record of the Main table's stream so far, converted
// as Lambda delivers them.
func (st *stack) records(t *testing.T) []events.DynamoDBEventRecord {
	t.Helper()
	ctx := context.Background()
	ls, err := st.streams.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(st.Tables.Main)})
	if err != nil || len(ls.Streams) == 0 {
		t.Fatalf("list streams: %v", err)
	}
	arn := ls.Streams[len(ls.Streams)-1].StreamArn
	ds, err := st.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var recs []events.DynamoDBEventRecord
	for _, sh := range ds.StreamDescription.Shards {
		it, err := st.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: arn, ShardId: sh.ShardId,
			ShardIteratorType: sttypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatal(err)
		}
		iter := it.ShardIterator
		for iter != nil {
			out, err := st.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out.Records {
				c, err := streams.ConvertRecord(r, aws.ToString(arn))
				if err != nil {
					t.Fatal(err)
				}
				recs = append(recs, c)
			}
			if len(out.Records) == 0 {
				break
			}
			iter = out.NextShardIterator
		}
	}
	return recs
}

func (st *stack) invoke(t *testing.T, fn string, recs []events.DynamoDBEventRecord) []string {
	t.Helper()
	payload, _ := json.Marshal(events.DynamoDBEvent{Records: recs})
	out, err := st.Functions[fn].Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	var resp events.DynamoDBEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s: %s: %v", fn, out, err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

func TestLifecycle(t *testing.T) {
	st := startStack(t)

	// The life of a ticket through the API.
	cmid := st.mutate(t, "createTicket", `category: "Default", title: "Payment not received", description: "secret details", priority: "Medium", channel: "Channel A"`)
	tk := nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id version } } } }`, cmid)), "tickets")
	if len(tk) != 1 {
		t.Fatalf("created ticket not found: %v", tk)
	}
	id := rawID(t, tk[0]["id"])
	st.mutate(t, "updateTicket", fmt.Sprintf(`id: %q, category: "Default", attendingStaffId: %q, status: OPEN, priority: "High"`, id, aliceID))
	st.mutate(t, "createComment", fmt.Sprintf(`ticketId: %q, comment: "called the agent"`, id))
	cs := nodes(t, st.gql(t, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { id } } } }`, id)), "comments")
	if len(cs) != 1 {
		t.Fatalf("comments=%v", cs)
	}
	commentID := rawID(t, cs[0]["id"])
	st.mutate(t, "resolveGrievanceByComment", fmt.Sprintf(`id: %q`, commentID))
	st.mutate(t, "reopenTicket", fmt.Sprintf(`id: %q`, id))

	// Ensure the history reads of the API see the versions recorded from
	// the stream: every version, the live one not flagged isHistory.
	st.waitHistory(t, "TICKET#"+id, 5)
	all := nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(showHistory: true, id: %q) { edges { node { version isHistory status } } } }`, id)), "tickets")
	var got []string
	for _, n := range all {
		got = append(got, strings.TrimSpace(fmt.Sprintln(n["version"], n["isHistory"], n["status"])))
	}
	if want := []string{"5 false OPEN", "4 true CLOSED", "3 true OPEN", "2 true OPEN", "1 true RECEIVED"}; !slices.Equal(got, want) {
		t.Fatalf("tickets(showHistory: true)=%q, want %q", got, want)
	}
	// The stack's first ticket, recorded by the consumer, completes the
	// counts of versions (no backfill in a fresh stack), and a history
	// list's totalCount from them is the versions listed.
	if ok, err := store.New(st.AWS, st.Tables).VersionCountsComplete(context.Background()); err != nil || !ok {
		t.Fatalf("counts of versions complete: %v, %v; want the marker from ticket 1's first version", ok, err)
	}
	total := st.gql(t, `{ tickets(showHistory: true, first: 2) { totalCount } }`)
	if n, _ := total["tickets"].(map[string]any)["totalCount"].(float64); n != 5 {
		t.Fatalf("history totalCount: %v, want 5", total)
	}
	v2 := nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(id: %q, ticketVersion: 2) { edges { node { version isHistory status priority } } } }`, id)), "tickets")
	if len(v2) != 1 || v2[0]["version"] != float64(2) || v2[0]["isHistory"] != true || v2[0]["priority"] != "High" {
		t.Fatalf("tickets(ticketVersion: 2)=%v", v2)
	}

	st.mutate(t, "deleteTicket", fmt.Sprintf(`ids: [%q]`, id))

	// Ensure exactly one history record per version: ticket 1..6, comment
	// 1..3, with the right types and changed fields.
	rows := st.waitHistory(t, "TICKET#"+id, 6)
	got = got[:0]
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %d %s", r.SK, r.Version, r.HistoryType))
	}
	want := []string{"V#0000000001 1 +", "V#0000000002 2 ~", "V#0000000003 3 ~", "V#0000000004 4 ~", "V#0000000005 5 ~", "V#0000000006 6 ~"}
	if !slices.Equal(got, want) {
		t.Fatalf("ticket history=%q, want %q", got, want)
	}
	for v, fields := range map[int][]string{
		2: {"attendingStaffId", "dateUpdated", "priority", "status", "version"},
		3: {"dateUpdated", "jsonExt", "version"},
		4: {"dateResolved", "dateUpdated", "status", "version"},
		6: {"dateUpdated", "isDeleted", "version"},
	} {
		if !slices.Equal(rows[v-1].ChangedFields, fields) {
			t.Errorf("v%d changedFields=%q, want %q", v, rows[v-1].ChangedFields, fields)
		}
	}
	if rows[0].HistoryUser != bobID {
		t.Errorf("historyUser=%q, want %q", rows[0].HistoryUser, bobID)
	}
	crows := st.waitHistory(t, "COMMENT#"+commentID, 3)
	got = got[:0]
	for _, r := range crows {
		got = append(got, fmt.Sprintf("%s %s", r.SK, r.HistoryType))
	}
	if want := []string{"V#0000000001 +", "V#0000000002 ~", "V#0000000003 ~"}; !slices.Equal(got, want) {
		t.Fatalf("comment history=%q, want %q", got, want)
	}

	// Ensure the expected events arrive, in order, each valid (receive
	// checks the schema), and then no more.
	wantEvents := []string{
		bus.TicketCreated,
		bus.TicketStatusChanged, bus.TicketStaffAssigned, bus.TaskRequested,
		bus.CommentCreated,
		bus.TicketStatusChanged, bus.TicketResolved,
		bus.TicketStatusChanged, bus.TicketReopened, bus.TaskRequested,
		bus.TicketDeleted,
	}
	evs := st.receive(t, len(wantEvents), drain)
	evs = append(evs, st.receive(t, 1, time.Second)...)
	if got := detailTypes(evs); !slices.Equal(got, wantEvents) {
		t.Fatalf("events=%q\nwant   %q", got, wantEvents)
	}
	for _, e := range evs {
		if bytes.Contains(e.Detail, []byte("secret details")) || bytes.Contains(e.Detail, []byte("Payment not received")) ||
			bytes.Contains(e.Detail, []byte("called the agent")) {
			t.Fatalf("%s carries grievance text: %s", e.DetailType, e.Detail)
		}
	}
	ids := eventIDs(t, evs)

	// Fault: the same batch delivered twice. The whole stream so far is
	// delivered again, twice, to each function: no history record is added
	// and the events repeat with the same ids.
	recs := st.records(t)
	before := len(st.history(t, "TICKET#"+id)) + len(st.history(t, "COMMENT#"+commentID))
	for range 2 {
		if f := st.invoke(t, "history", recs); len(f) != 0 {
			t.Fatalf("history redelivery failures=%v", f)
		}
		if f := st.invoke(t, "tasks", recs); len(f) != 0 {
			t.Fatalf("tasks redelivery failures=%v", f)
		}
	}
	if after := len(st.history(t, "TICKET#"+id)) + len(st.history(t, "COMMENT#"+commentID)); after != before {
		t.Fatalf("history records=%d after redelivery, want %d", after, before)
	}
	again := st.receive(t, 2*len(wantEvents), drain)
	seen := map[string]int{}
	for _, id := range eventIDs(t, again) {
		seen[id]++
	}
	for _, id := range ids {
		if seen[id] != 2 {
			t.Fatalf("eventId %s redelivered %d times, want 2 (same ids)", id, seen[id])
		}
	}

	// Fault: a failure in the middle of a batch. A new ticket's insert, a
	// malformed record and the ticket's next version: the first is
	// recorded, the failure is reported at the malformed record's sequence
	// number with the later one, which is recorded when delivered again.
	var ins events.DynamoDBEventRecord
	for _, r := range recs {
		if r.EventName == "INSERT" && r.Change.NewImage["kind"].String() == store.KindTicket {
			ins = r
		}
	}
	other := "0e2e0000-0000-4000-8000-000000000001"
	first := withImage(ins, "9"+ins.Change.SequenceNumber, func(img map[string]events.DynamoDBAttributeValue) {
		img["id"], img["pk"] = events.NewStringAttribute(other), events.NewStringAttribute("TICKET#"+other)
	})
	bad := withImage(first, "9"+ins.Change.SequenceNumber+"1", func(img map[string]events.DynamoDBAttributeValue) {
		img["version"] = events.NewStringAttribute("two")
	})
	next := withImage(first, "9"+ins.Change.SequenceNumber+"2", func(img map[string]events.DynamoDBAttributeValue) {
		img["version"] = events.NewNumberAttribute("2")
	})
	next.EventName, next.Change.OldImage = "MODIFY", first.Change.NewImage
	batch := []events.DynamoDBEventRecord{first, bad, next}
	want = []string{bad.Change.SequenceNumber, next.Change.SequenceNumber}
	if f := st.invoke(t, "history", batch); !slices.Equal(f, want) {
		t.Fatalf("history failures=%v, want %v", f, want)
	}
	if rows := st.history(t, "TICKET#"+other); len(rows) != 1 {
		t.Fatalf("records before the failure=%d, want 1", len(rows))
	}
	if f := st.invoke(t, "history", batch[2:]); len(f) != 0 {
		t.Fatalf("retry failures=%v", f)
	}
	if rows := st.history(t, "TICKET#"+other); len(rows) != 2 {
		t.Fatalf("records after the retry=%d, want 2", len(rows))
	}
	if f := st.invoke(t, "tasks", batch); !slices.Equal(f, want) {
		t.Fatalf("tasks failures=%v, want %v", f, want)
	}
	if got := detailTypes(st.receive(t, 1, drain)); !slices.Equal(got, []string{bus.TicketCreated}) {
		t.Fatalf("events before the failure=%q", got)
	}

	// Fault: a malformed image written to the table. The mappings retry it
	// (bounded), move it to their DLQ, and the shard moves on: a ticket
	// created after it is recorded and announced.
	poison := "TICKET#poison-" + fmt.Sprint(time.Now().UnixNano())
	if _, err := dynamodb.NewFromConfig(st.AWS).PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(st.Tables.Main),
		Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: poison}, "sk": &ddbtypes.AttributeValueMemberS{Value: "TICKET"},
			"kind": &ddbtypes.AttributeValueMemberS{Value: store.KindTicket}, "version": &ddbtypes.AttributeValueMemberS{Value: "one"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	// The local mapping has no bisect-on-error: records after the poison
	// in its batch would go to the DLQ with it (in AWS, bisecting isolates
	// it). So the next write waits until the poison is dead-lettered.
	for _, fn := range []string{"history", "tasks"} {
		deadline := time.Now().Add(drain)
		for {
			b, _ := os.ReadFile(st.DLQPath(fn))
			if strings.Contains(string(b), poison) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("poison record not in the %s DLQ", fn)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cmid = st.mutate(t, "createTicket", `category: "Default", title: "after the poison"`)
	tk = nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid)), "tickets")
	after := rawID(t, tk[0]["id"])
	if rows := st.waitHistory(t, "TICKET#"+after, 1); len(rows) != 1 {
		t.Fatalf("ticket created after the poison record: %d history records, want 1", len(rows))
	}
	if got := detailTypes(st.receive(t, 1, drain)); !slices.Equal(got, []string{bus.TicketCreated}) {
		t.Fatalf("events after the poison=%q", got)
	}
	for _, fn := range []string{"history", "tasks"} {
		b, err := os.ReadFile(st.DLQPath(fn))
		if err != nil {
			t.Fatalf("%s DLQ: %v", fn, err)
		}
		if n := strings.Count(string(b), "\n"); n != 1 || !strings.Contains(string(b), poison) {
			t.Fatalf("%s DLQ holds %d records, want the poison one only:\n%s", fn, n, b)
		}
	}
	if rows := st.history(t, poison); len(rows) != 0 {
		t.Fatalf("poison record recorded: %v", rows)
	}
}

// withImage copies r with a new sequence number and its new image changed.
func withImage(r events.DynamoDBEventRecord, seq string, change func(map[string]events.DynamoDBAttributeValue)) events.DynamoDBEventRecord {
	img := make(map[string]events.DynamoDBAttributeValue, len(r.Change.NewImage))
	for k, v := range r.Change.NewImage {
		img[k] = v
	}
	change(img)
	r.Change.NewImage, r.Change.SequenceNumber = img, seq
	return r
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// callLog passes REDRESS_CALL_LOG on to the function binaries, when set.
func callLog() []string {
	if dir := os.Getenv(platform.EnvCallLog); dir != "" {
		return []string{platform.EnvCallLog + "=" + dir}
	}
	return nil
}
