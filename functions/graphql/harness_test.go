package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// People of the test directory. Staff user ids equal their token subjects.
var (
	adminID      = "00000000-0000-4000-a000-000000000001"
	officerID    = "00000000-0000-4000-a000-000000000002"
	staffID      = "00000000-0000-4000-a000-000000000003" // attends some tickets, holds no right
	viewerID     = "00000000-0000-4000-a000-000000000004"
	outsiderID   = "00000000-0000-4000-a000-000000000005"
	individualID = "00000000-0000-4000-b000-000000000001"
	benefID      = "00000000-0000-4000-b000-000000000002"
)

var testPeople = []grievance.Person{
	{ID: adminID, Type: grievance.PersonUser, Username: "admin", FirstName: "Ad", LastName: "Min", Roles: []string{"1"}},
	{ID: officerID, Type: grievance.PersonUser, Username: "officer", FirstName: "Off", LastName: "Icer", Roles: []string{"1"}},
	{ID: staffID, Type: grievance.PersonUser, Username: "staff", FirstName: "Sta", LastName: "Ff", Roles: []string{"2"}},
	{ID: viewerID, Type: grievance.PersonUser, Username: "viewer", Roles: []string{"3"}},
	{ID: outsiderID, Type: grievance.PersonUser, Username: "outsider", Roles: []string{"2"}},
	{ID: individualID, Type: grievance.PersonIndividual, FirstName: "TestFN", LastName: "TestLN", Dob: "2020-01-01", JSONExt: map[string]any{"key": "value", "key2": "value2"}},
	{ID: benefID, Type: grievance.PersonBeneficiary, IndividualID: individualID},
}

// Token claims as API Gateway's JWT authorizer passes them.
var (
	adminClaims    = map[string]string{"sub": adminID, "username": "admin", "cognito:groups": "[GrievanceAdmin]"}
	officerClaims  = map[string]string{"sub": officerID, "username": "officer", "cognito:groups": "[GrievanceOfficer]"}
	staffClaims    = map[string]string{"sub": staffID, "username": "staff"}
	viewerClaims   = map[string]string{"sub": viewerID, "username": "viewer", "cognito:groups": "[GrievanceViewer]"}
	outsiderClaims = map[string]string{"sub": outsiderID, "username": "outsider"}
)

func rightsClaims(sub string, rights ...string) map[string]string {
	return map[string]string{"sub": sub, "username": "r-" + sub[len(sub)-4:], "custom:rights": strings.Join(rights, ",")}
}

// testStore is what the tests read behind the handler's back.
type testStore interface {
	grievance.Store
	grievance.HistoryStore
}

type env struct {
	h   *Handler
	st  testStore
	svc *grievance.Service
	now atomic.Int64 // unix micros of the fake clock
	// db is the DynamoDB store on moto (newDynamoEnv only), with its
	// tables and AWS configuration; nil over the in-memory store.
	db *store.Store
	// consumer stands in for the history function (RecordHistory,
	// ApplyStats) on moto; its calls are recorded as that function's.
	consumer *store.Store
	names    store.TableNames
	cfg      aws.Config
}

var tableSeq atomic.Int64

// newEnv builds the real handler over grievancetest's in-memory store,
// which the store contract (shared/grievance/storetest) holds to the
// DynamoDB store's behaviour, with a clock that advances 1 ms per reading.
// History is recorded as tickets are committed.
func newEnv(tb testing.TB) *env {
	tb.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(testPeople...)
	e := &env{st: st}
	e.start(tb, st, grievance.Options{History: st})
	return e
}

// newDynamoEnv builds the real handler over fresh tables in the test
// binary's moto, for the tests of what only DynamoDB does: its stream
// (history, statistics) and races between containers.
func newDynamoEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(tb).Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("gq%d-%d-", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		tb.Fatal(err)
	}
	// The handler's store records its calls as the graphql function's
	// (REDRESS_CALL_LOG); the test's own reads and writes go through db.
	db := store.New(cfg, names)
	fnCfg, consumerCfg := cfg, cfg
	platform.RecordCalls(&fnCfg, "graphql", names, "")
	platform.RecordCalls(&consumerCfg, "history", names, "")
	fn := store.New(fnCfg, names)
	e := &env{st: db, db: db, consumer: store.New(consumerCfg, names), names: names, cfg: cfg}
	e.start(tb, fn, grievance.Options{History: fn, Stats: fn, Directory: fn})
	if err := db.UpsertPeople(ctx, testPeople); err != nil {
		tb.Fatal(err)
	}
	return e
}

// envStart is the test services' clock when they start (it moves a
// millisecond a reading).
var envStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func (e *env) start(tb testing.TB, st grievance.Store, opts grievance.Options) {
	tb.Helper()
	e.now.Store(envStart.UnixMicro())
	clock := func() time.Time { return time.UnixMicro(e.now.Add(1000)).UTC() }
	e.svc = grievance.NewService(st, clock, uuid.NewString, opts)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := gql.New(e.svc, gql.Options{Introspection: true, Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	e.h = &Handler{Config: e.svc, GraphQL: srv, Auth: auth.Options{AllowRightsClaim: true}, Log: log, NewID: uuid.NewString, Now: time.Now}
}

// event builds the API Gateway event the gateway would send.
func event(claims map[string]string, body string) events.APIGatewayV2HTTPRequest {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /api/graphql", RawPath: "/api/graphql",
		Headers: map[string]string{"content-type": "application/json"},
		Body:    body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: uuid.NewString(),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/api/graphql"},
		},
	}
	if claims != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
		}
	}
	return ev
}

// result is a decoded GraphQL response.
type result struct {
	Status int
	Data   map[string]any
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	}
	Raw string
}

func (e *env) gql(tb testing.TB, claims map[string]string, query string, vars map[string]any) result {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := e.h.Handle(context.Background(), event(claims, string(body)))
	if err != nil {
		tb.Fatalf("handler error: %v", err)
	}
	r := result{Status: resp.StatusCode, Raw: resp.Body}
	var out struct {
		Data   map[string]any `json:"data"`
		Errors json.RawMessage
	}
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		tb.Fatalf("response is not JSON: %s", resp.Body)
	}
	r.Data = out.Data
	if len(out.Errors) > 0 {
		json.Unmarshal(out.Errors, &r.Errors)
	}
	return r
}

// ok runs a document that must succeed without errors.
func (e *env) ok(tb testing.TB, claims map[string]string, query string) map[string]any {
	tb.Helper()
	r := e.gql(tb, claims, query, nil)
	if r.Status != 200 || len(r.Errors) > 0 {
		tb.Fatalf("status=%d body=%s", r.Status, r.Raw)
	}
	return r.Data
}

// mutationLog returns status and error of the caller's log for cmid.
func (e *env) mutationLog(tb testing.TB, claims map[string]string, cmid string) (int, string) {
	tb.Helper()
	d := e.ok(tb, claims, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status error clientMutationId } } } }`, cmid))
	edges := path(d, "mutationLogs", "edges").([]any)
	if len(edges) != 1 {
		tb.Fatalf("mutation logs for %s: %d, want 1", cmid, len(edges))
	}
	n := edges[0].(map[string]any)["node"].(map[string]any)
	errText, _ := n["error"].(string)
	return int(n["status"].(float64)), errText
}

// mustSucceed asserts the log of cmid says success.
func (e *env) mustSucceed(tb testing.TB, claims map[string]string, cmid string) {
	tb.Helper()
	if st, msg := e.mutationLog(tb, claims, cmid); st != 2 {
		tb.Fatalf("mutation %s status=%d error=%s, want 2", cmid, st, msg)
	}
}

// mustFail asserts the log of cmid says failure with detail containing want.
func (e *env) mustFail(tb testing.TB, claims map[string]string, cmid, want string) {
	tb.Helper()
	st, msg := e.mutationLog(tb, claims, cmid)
	if st != 1 || !strings.Contains(msg, want) {
		tb.Fatalf("mutation %s status=%d error=%s, want 1 with %q", cmid, st, msg, want)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(msg), &list); err != nil || len(list) == 0 || list[0]["message"] == nil {
		tb.Fatalf("error is not the openIMIS list [{message, detail}]: %s", msg)
	}
}

// path walks nested maps and lists (ints index lists).
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

// nodes returns the nodes of a connection in data.
func nodes(d map[string]any, field string) []map[string]any {
	edges, _ := path(d, field, "edges").([]any)
	out := make([]map[string]any, 0, len(edges))
	for _, e := range edges {
		out = append(out, e.(map[string]any)["node"].(map[string]any))
	}
	return out
}

// createTicket creates a ticket through the API as claims and returns its id.
func (e *env) createTicket(tb testing.TB, claims map[string]string, fields string) string {
	tb.Helper()
	cmid := uuid.NewString()
	d := e.ok(tb, claims, fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q}) { clientMutationId internalId } }`, fields, cmid))
	if got := path(d, "createTicket", "clientMutationId"); got != cmid {
		tb.Fatalf("clientMutationId=%v, want %s", got, cmid)
	}
	e.mustSucceed(tb, claims, cmid)
	d = e.ok(tb, claims, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid))
	ns := nodes(d, "tickets")
	if len(ns) != 1 {
		tb.Fatalf("tickets of mutation %s: %d", cmid, len(ns))
	}
	return rawID(tb, ns[0]["id"].(string))
}

// rawID decodes a Relay global id the way the web client does.
func rawID(tb testing.TB, global string) string {
	tb.Helper()
	b, err := decodeBase64(global)
	if err != nil {
		tb.Fatalf("id %q is not base64", global)
	}
	parts := strings.SplitN(string(b), ":", 2)
	if len(parts) != 2 {
		tb.Fatalf("id %q decodes to %q", global, b)
	}
	return parts[1]
}

func (e *env) ticket(tb testing.TB, id string) *grievance.Ticket {
	tb.Helper()
	t, err := e.st.Ticket(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

const basicTicket = `category: "Default", title: "Test", resolution: "8,7", priority: "High", dateOfIncident: "2024-11-20", channel: "Channel A", flags: "Default"`

// historyInvoker consumes the stream the way functions/history does, so
// that history reads, statistics and text searches work without running
// the Lambda: history first, then the statistics and the text index over
// the records history recorded.
type historyInvoker struct{ st *store.Store }

func (h historyInvoker) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var resp events.DynamoDBEventResponse
	failed, err := h.st.RecordHistory(ctx, ev.Records)
	if failed == "" && err != nil {
		return nil, err
	}
	upTo := len(ev.Records)
	for i, rec := range ev.Records {
		if rec.Change.SequenceNumber == failed {
			upTo = i
		}
	}
	// The function logs and alarms on these instead of failing the batch;
	// here a failure fails the batch, so a test sees it (the poller
	// delivers it again, and every step is idempotent).
	if sf, err := h.st.ApplyStats(ctx, ev.Records[:upTo]); sf != "" || err != nil {
		return nil, fmt.Errorf("statistics at %s: %w", sf, err)
	}
	if sf, err := h.st.ApplySearch(ctx, ev.Records[:upTo]); sf != "" || err != nil {
		return nil, fmt.Errorf("text index at %s: %w", sf, err)
	}
	if failed != "" {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: failed}}
	}
	return json.Marshal(resp)
}

// startHistory pumps the main table's stream into the history table until
// the test ends (the in-memory store records history as it commits).
func (e *env) startHistory(tb testing.TB) {
	tb.Helper()
	if e.db == nil {
		return
	}
	api := dynamodbstreams.NewFromConfig(e.cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })
	ctx, cancel := context.WithCancel(context.Background())
	p := streams.NewPoller(api, e.names.Main, historyInvoker{e.consumer}, streams.Options{Function: "history-test", PollInterval: 20 * time.Millisecond, DLQPath: tb.TempDir() + "/dlq.jsonl"})
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
}

// waitHistory waits (bounded) until version v of ticket id is recorded.
func (e *env) waitHistory(tb testing.TB, id string, v int) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := e.st.TicketVersion(context.Background(), id, v); err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("history of %s v%d not recorded in time", id, v)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
