package gql_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Directory fixtures.
const (
	janeID  = "c2a4e6f8-1b3d-4f5a-8b7c-9d0e1f2a3b4c" // individual
	benefID = "b0000000-0000-4000-8000-0000000000b1" // beneficiary of jane
	aliceID = "a11ce000-0000-4000-8000-000000000001" // staff user, admin
	bobID   = "b0b00000-0000-4000-8000-000000000002" // staff user, ticket reader
	carolID = "ca401000-0000-4000-8000-000000000003" // staff user, comment reader only
)

var (
	admin  = &grievance.Principal{ID: aliceID, Username: "alice", Admin: true}
	reader = &grievance.Principal{ID: bobID, Username: "bob", Rights: map[string]bool{grievance.RightQueryTickets: true}}
	// commentReader may read comments but not tickets.
	commentReader = &grievance.Principal{ID: carolID, Username: "carol", Rights: map[string]bool{grievance.RightQueryComments: true}}
)

// testEnv is a server over an in-memory store with a deterministic clock
// and sequential ids.
type testEnv struct {
	store *grievancetest.Store
	svc   *grievance.Service
	srv   *gql.Server
	logs  *bytes.Buffer
}

type envOption func(*gql.Options)

func withIntrospection(o *gql.Options) { o.Introspection = true }

// newEnv starts a server. The clock starts at 2024-11-21T09:12:44.512310Z
// and advances one second per reading, so creation order is time order.
func newEnv(tb testing.TB, opts ...envOption) *testEnv {
	tb.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(
		grievance.Person{ID: janeID, Type: grievance.PersonIndividual, FirstName: "Jane", LastName: "Doe", Dob: "1990-01-01",
			JSONExt: map[string]any{"phone": "0999"}},
		grievance.Person{ID: benefID, Type: grievance.PersonBeneficiary, IndividualID: janeID},
		grievance.Person{ID: aliceID, Type: grievance.PersonUser, Username: "alice", Roles: []string{"1"}},
		grievance.Person{ID: bobID, Type: grievance.PersonUser, Username: "bob", Roles: []string{"2"}},
		grievance.Person{ID: carolID, Type: grievance.PersonUser, Username: "carol"},
	)
	clock := grievancetest.NewClock(time.Date(2024, 11, 21, 9, 12, 44, 512310000, time.UTC), time.Second)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
	logs := &bytes.Buffer{}
	o := gql.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := gql.New(svc, o)
	if err != nil {
		tb.Fatal(err)
	}
	return &testEnv{store: st, svc: svc, srv: srv, logs: logs}
}

// result is a decoded response.
type result struct {
	status int
	raw    string
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// do sends query as p (nil: anonymous) with request id "req-test".
func (e *testEnv) do(tb testing.TB, p *grievance.Principal, query string, vars map[string]any) *result {
	tb.Helper()
	ctx := gql.WithRequestID(context.Background(), "req-test")
	if p != nil {
		ctx = grievance.NewContext(ctx, p)
	}
	resp := e.srv.Do(ctx, gql.Request{Query: query, Variables: vars})
	res := &result{status: resp.Status, raw: string(resp.Body)}
	if err := json.Unmarshal(resp.Body, res); err != nil {
		tb.Fatalf("response is not JSON: %v\n%s", err, resp.Body)
	}
	return res
}

// ok sends query and fails the test unless it answers 200 without errors.
func (e *testEnv) ok(tb testing.TB, p *grievance.Principal, query string) map[string]any {
	tb.Helper()
	res := e.do(tb, p, query, nil)
	if res.status != 200 || len(res.Errors) > 0 {
		tb.Fatalf("status=%d errors=%v for\n%s\nbody: %s", res.status, res.Errors, query, res.raw)
	}
	return res.Data
}

// mutate runs a mutation document that returns { clientMutationId
// internalId } and returns the mutation log node for its clientMutationId.
func (e *testEnv) mutate(tb testing.TB, p *grievance.Principal, field, input, cmid string) map[string]any {
	tb.Helper()
	doc := fmt.Sprintf(`mutation { %s(input: { clientMutationId: %q clientMutationLabel: "test" %s }) { clientMutationId internalId } }`, field, cmid, input)
	d := e.ok(tb, p, doc)
	payload := d[field].(map[string]any)
	if payload["clientMutationId"] != cmid || payload["internalId"] == nil {
		tb.Fatalf("payload=%v, want clientMutationId %q and an internalId", payload, cmid)
	}
	logs := e.ok(tb, p, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { id status error clientMutationId } } } }`, cmid))
	edges := list(tb, logs, "mutationLogs", "edges")
	if len(edges) != 1 {
		tb.Fatalf("mutationLogs(clientMutationId: %q) has %d edges, want 1", cmid, len(edges))
	}
	return edges[0].(map[string]any)["node"].(map[string]any)
}

// mustSucceed fails unless the mutation log says success.
func (e *testEnv) mustSucceed(tb testing.TB, p *grievance.Principal, field, input, cmid string) {
	tb.Helper()
	if n := e.mutate(tb, p, field, input, cmid); n["status"] != float64(2) {
		tb.Fatalf("%s %s: log status=%v error=%v, want success", field, input, n["status"], n["error"])
	}
}

var createSeq atomic.Int64

// createTicket creates a ticket as admin and returns its raw id.
func (e *testEnv) createTicket(tb testing.TB, input string) string {
	tb.Helper()
	cmid := fmt.Sprintf("create-%d", createSeq.Add(1))
	e.mustSucceed(tb, admin, "createTicket", input, cmid)
	d := e.ok(tb, admin, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid))
	edges := list(tb, d, "tickets", "edges")
	if len(edges) != 1 {
		tb.Fatalf("tickets(clientMutationId) has %d edges, want 1", len(edges))
	}
	return decodeID(tb, edges[0].(map[string]any)["node"].(map[string]any)["id"].(string), "TicketGQLType")
}

// decodeID decodes a global id as the openIMIS client does
// (atob(id).split(":")[1]) and checks its type.
func decodeID(tb testing.TB, global, typ string) string {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(global)
	if err != nil {
		tb.Fatalf("id %q is not base64: %v", global, err)
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 2 || parts[0] != typ {
		tb.Fatalf("id %q decodes to %q, want %s:<uuid>", global, b, typ)
	}
	return parts[1]
}

// get walks a decoded JSON value along keys.
func get(tb testing.TB, v any, keys ...string) any {
	tb.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			tb.Fatalf("at %q: %v is not an object", k, v)
		}
		v = m[k]
	}
	return v
}

func list(tb testing.TB, v any, keys ...string) []any {
	tb.Helper()
	l, ok := get(tb, v, keys...).([]any)
	if !ok {
		tb.Fatalf("%v is not a list", strings.Join(keys, "."))
	}
	return l
}

// nodes returns the nodes of a connection.
func nodes(tb testing.TB, v any, keys ...string) []map[string]any {
	tb.Helper()
	var out []map[string]any
	for _, e := range list(tb, v, append(keys, "edges")...) {
		out = append(out, e.(map[string]any)["node"].(map[string]any))
	}
	return out
}

func titles(ns []map[string]any) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprint(n["title"]))
	}
	return out
}

func encode(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func encodeGlobal(typ, id string) string { return encode(typ + ":" + id) }

// gqlContext is the context the edge builds: request id and principal.
func gqlContext(p *grievance.Principal) context.Context {
	ctx := gql.WithRequestID(context.Background(), "req-test")
	if p != nil {
		ctx = grievance.NewContext(ctx, p)
	}
	return ctx
}
