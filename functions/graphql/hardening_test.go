package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/store"
)

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// staticConfig serves a fixed configuration, so that a test can break the
// store behind the resolvers and still build principals.
type staticConfig struct{ cfg *grievance.Config }

func (s staticConfig) Config(context.Context) (*grievance.Config, error) { return s.cfg, nil }

// memHandler is the real handler over grievancetest's in-memory store.
type memHandler struct {
	h    *Handler
	st   *grievancetest.Store
	logs *syncBuffer
}

func newMemHandler(tb testing.TB, opts gql.Options) *memHandler {
	tb.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(testPeople...)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{History: st})
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	opts.Logger = log
	srv, err := gql.New(svc, opts)
	if err != nil {
		tb.Fatal(err)
	}
	h := &Handler{Config: svc, GraphQL: srv, Auth: auth.Options{AllowRightsClaim: true}, Log: log, NewID: uuid.NewString, Now: time.Now}
	return &memHandler{h: h, st: st, logs: logs}
}

// wireBody is an error response body.
type wireBody struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// checkRequestID asserts resp names ev's request id in its header and in
// every error, and returns the decoded body.
func checkRequestID(tb testing.TB, ev events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) wireBody {
	tb.Helper()
	rid := ev.RequestContext.RequestID
	if got := resp.Headers["x-request-id"]; got != rid || rid == "" {
		tb.Fatalf("x-request-id=%q, want %q", got, rid)
	}
	var b wireBody
	if err := json.Unmarshal([]byte(resp.Body), &b); err != nil {
		tb.Fatalf("body is not JSON: %s", resp.Body)
	}
	for _, e := range b.Errors {
		if e.Extensions["requestId"] != rid {
			tb.Fatalf("error without the request id: %s", resp.Body)
		}
		if e.Extensions["code"] == nil && resp.StatusCode != http.StatusBadRequest {
			tb.Fatalf("error without a code: %s", resp.Body)
		}
	}
	return b
}

// leaks lists texts that must never reach a client: AWS, SDK, network and
// Go runtime details.
var leaks = []string{"dynamodb", "DynamoDB", "operation error", "api error", "ResourceNotFound", "dial tcp", "connection refused",
	"127.0.0.1", "arn:", "goroutine", ".go:", "panic", "runtime error", "boom", "secret", "smithy", "StatusCode"}

func checkNoLeak(tb testing.TB, body string) {
	tb.Helper()
	for _, l := range leaks {
		if strings.Contains(body, l) {
			tb.Fatalf("response leaks %q: %s", l, body)
		}
	}
}

func TestHardening_EveryResponseCarriesRequestID(t *testing.T) {
	m := newMemHandler(t, gql.Options{})
	m.h.MaxBody = 1024
	big := `{"query":"{ tickets { totalCount } }","variables":{"x":"` + strings.Repeat("a", 2000) + `"}}`
	for _, tc := range []struct {
		name   string
		edit   func(*events.APIGatewayV2HTTPRequest)
		status int
		code   string
	}{
		{"OK", func(*events.APIGatewayV2HTTPRequest) {}, 200, ""},
		{"FieldError", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.Authorizer = nil }, 200, "UNAUTHENTICATED"},
		{"DocumentError", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = `{"query":"{ tickets { nope } }"}` }, 400, ""},
		{"LimitError", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body = `{"query":"{ tickets { edges { node { commentSet { edges { node { ticket { commentSet { edges { node { id } } } } } } } } } } }"}`
		}, 400, "LIMIT_EXCEEDED"},
		{"TooLarge", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = big }, 413, "LIMIT_EXCEEDED"},
		{"TooLargeBase64", func(ev *events.APIGatewayV2HTTPRequest) {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(big)), true
		}, 413, "LIMIT_EXCEEDED"},
		{"Batch", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = `[{"query":"{ tickets { totalCount } }"}]` }, 400, "BAD_REQUEST"},
		{"BatchAfterSpace", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = " \n[]" }, 400, "BAD_REQUEST"},
		{"Empty", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = "" }, 400, "BAD_REQUEST"},
		{"NotJSON", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = "{query" }, 400, "BAD_REQUEST"},
		{"NoQuery", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body = `{"variables":{}}` }, 400, "BAD_REQUEST"},
		{"BadBase64", func(ev *events.APIGatewayV2HTTPRequest) { ev.Body, ev.IsBase64Encoded = "%%%", true }, 400, "BAD_REQUEST"},
		{"GET", func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.HTTP.Method = "GET" }, 405, "METHOD_NOT_ALLOWED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Ensure the status, the code and the request id in the header
			// and in every error.
			ev := event(rightsClaims(viewerID, "127000"), `{"query":"{ tickets { totalCount } }"}`)
			tc.edit(&ev)
			resp, err := m.h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status=%d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			b := checkRequestID(t, ev, resp)
			if tc.code != "" && (len(b.Errors) == 0 || b.Errors[0].Extensions["code"] != tc.code) {
				t.Fatalf("want code %s: %s", tc.code, resp.Body)
			}
		})
	}
	// Ensure a request without an API Gateway request id gets one.
	ev := event(nil, "[]")
	ev.RequestContext.RequestID = ""
	resp, _ := m.h.Handle(context.Background(), ev)
	var b wireBody
	json.Unmarshal([]byte(resp.Body), &b)
	if rid := resp.Headers["x-request-id"]; rid == "" || b.Errors[0].Extensions["requestId"] != rid {
		t.Fatalf("generated request id missing: %v %s", resp.Headers, resp.Body)
	}
}

func TestHardening_BodyLimitDefault(t *testing.T) {
	// Ensure the default limit (256 KB) applies when MaxBody is unset, and
	// a body just under it is read.
	m := newMemHandler(t, gql.Options{})
	pad := func(n int) string {
		q := `{"query":"{ tickets { totalCount } }","variables":{"pad":"`
		return q + strings.Repeat("x", n-len(q)-3) + `"}}`
	}
	resp, _ := m.h.Handle(context.Background(), event(adminClaims, pad(DefaultMaxBody)))
	if resp.StatusCode != 200 {
		t.Fatalf("at the limit: %d %s", resp.StatusCode, resp.Body)
	}
	resp, _ = m.h.Handle(context.Background(), event(adminClaims, pad(DefaultMaxBody+1)))
	if resp.StatusCode != 413 || !strings.Contains(resp.Body, "262144 bytes") {
		t.Fatalf("over the limit: %d %s", resp.StatusCode, resp.Body)
	}
}

// brokenStoreHandler is the real handler over a DynamoDB store at endpoint
// (tables named with prefix), with a configuration that does not need it.
func brokenStoreHandler(t *testing.T, endpoint, prefix string, logs *syncBuffer) *Handler {
	t.Helper()
	cfg, err := moto.AWSConfig(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryMaxAttempts = 2 // keep the closed-port case quick
	st := store.New(cfg, store.TableNames{Main: prefix + "Main", History: prefix + "History"})
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{History: st})
	log := slog.New(slog.NewTextHandler(logs, nil))
	srv, err := gql.New(svc, gql.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Config: staticConfig{grievance.DefaultConfig()}, GraphQL: srv, Auth: auth.Options{AllowRightsClaim: true},
		Log: log, NewID: uuid.NewString, Now: time.Now}
}

// closedPort returns an address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// genericOnly asserts every error is a generic INTERNAL or UNAVAILABLE one.
func genericOnly(t *testing.T, b wireBody, raw string) {
	t.Helper()
	if len(b.Errors) == 0 {
		t.Fatalf("no error: %s", raw)
	}
	for _, e := range b.Errors {
		switch e.Extensions["code"] {
		case "INTERNAL":
			if e.Message != "Internal error." {
				t.Fatalf("internal error with detail: %s", raw)
			}
		case "UNAVAILABLE":
			if !strings.Contains(e.Message, "try again") {
				t.Fatalf("unavailable without advice: %s", raw)
			}
		default:
			t.Fatalf("code %v, want INTERNAL or UNAVAILABLE: %s", e.Extensions["code"], raw)
		}
	}
}

func TestHardening_FailingDependencies(t *testing.T) {
	for _, dep := range []struct {
		name     string
		endpoint func(t *testing.T) string
		prefix   string
		cause    string // in the log
	}{
		{"ClosedPort", closedPort, "x-", "connection refused"},
		{"MissingTable", func(t *testing.T) string { return moto.ForTest(t).Endpoint() }, "missing-" + uuid.NewString()[:8] + "-", "ResourceNotFoundException"},
	} {
		t.Run(dep.name, func(t *testing.T) {
			logs := &syncBuffer{}
			h := brokenStoreHandler(t, dep.endpoint(t), dep.prefix, logs)
			docs := []string{
				`{ tickets { totalCount edges { node { title } } } }`,
				`{ comments { totalCount } }`,
				`{ grievanceConfig { grievanceTypes } }`,
				`{ mutationLogs { totalCount } }`,
				`mutation { createTicket(input: {category: "Default", title: "x", clientMutationId: "` + uuid.NewString() + `"}) { internalId } }`,
			}
			for _, doc := range docs {
				// Ensure the client sees only the generic message, a code
				// and the request id; the log has the cause.
				body, _ := json.Marshal(map[string]any{"query": doc})
				ev := event(adminClaims, string(body))
				resp, err := h.Handle(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode >= 500 && resp.StatusCode != 503 {
					t.Fatalf("%s: status %d", doc, resp.StatusCode)
				}
				b := checkRequestID(t, ev, resp)
				genericOnly(t, b, resp.Body)
				checkNoLeak(t, resp.Body)
				if !strings.Contains(logs.String(), ev.RequestContext.RequestID) {
					t.Fatalf("log lacks request id %s", ev.RequestContext.RequestID)
				}
			}
			if !strings.Contains(logs.String(), dep.cause) {
				t.Fatalf("log lacks the cause %q:\n%s", dep.cause, logs)
			}
		})
	}

	t.Run("ConfigStore", func(t *testing.T) {
		// Ensure a failing configuration load (before any resolver) is a
		// generic answer with the request id: 503 "try again", since the
		// store is out of reach.
		logs := &syncBuffer{}
		h := brokenStoreHandler(t, closedPort(t), "x-", logs)
		cfg, _ := moto.AWSConfig(context.Background(), closedPort(t))
		cfg.RetryMaxAttempts = 1
		h.Config = grievance.NewService(store.New(cfg, store.TableNames{Main: "a", History: "b"}), time.Now, uuid.NewString, grievance.Options{})
		ev := event(adminClaims, `{"query":"{ tickets { totalCount } }"}`)
		resp, _ := h.Handle(context.Background(), ev)
		if resp.StatusCode != 503 || !strings.Contains(resp.Body, `"UNAVAILABLE"`) {
			t.Fatalf("status=%d %s", resp.StatusCode, resp.Body)
		}
		genericOnly(t, checkRequestID(t, ev, resp), resp.Body)
		checkNoLeak(t, resp.Body)
	})
}

// panicky panics in Do, outside any resolver.
type panicky struct{}

func (panicky) Do(context.Context, gql.Request) gql.Response { panic("boom: secret state") }

func TestHardening_Panics(t *testing.T) {
	// Ensure a panic in a resolver (here: in the store under it) is the
	// generic error with the request id, logged with its text.
	m := newMemHandler(t, gql.Options{})
	m.st.Fail = func(op string) error {
		if op == "ScanTickets" || op == "CountTickets" {
			var p *grievance.Ticket
			_ = p.Title // nil dereference: a runtime error, not a string panic
		}
		return nil
	}
	ev := event(adminClaims, `{"query":"{ tickets { totalCount edges { node { title } } } }"}`)
	resp, _ := m.h.Handle(context.Background(), ev)
	if resp.StatusCode != 200 {
		t.Fatalf("status=%d %s", resp.StatusCode, resp.Body)
	}
	genericOnly(t, checkRequestID(t, ev, resp), resp.Body)
	checkNoLeak(t, resp.Body)
	if !strings.Contains(m.logs.String(), "nil pointer") {
		t.Fatalf("log lacks the panic:\n%s", m.logs)
	}

	// Ensure a panic outside the resolvers is a generic 500 with the
	// request id, logged with its stack.
	m.h.GraphQL = panicky{}
	ev = event(adminClaims, `{"query":"{ tickets { totalCount } }"}`)
	resp, err := m.h.Handle(context.Background(), ev)
	if err != nil || resp.StatusCode != 500 {
		t.Fatalf("status=%d err=%v", resp.StatusCode, err)
	}
	genericOnly(t, checkRequestID(t, ev, resp), resp.Body)
	checkNoLeak(t, resp.Body)
	if !strings.Contains(m.logs.String(), "boom: secret state") || !strings.Contains(m.logs.String(), ev.RequestContext.RequestID) {
		t.Fatalf("log lacks the panic:\n%s", m.logs)
	}
}

func TestHardening_OptionsFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	// Ensure deployed stages (nothing set) have introspection and
	// suggestions off and the default limits.
	o := gqlOptions(env())
	if o.Introspection || o.FieldSuggestions || o.Limits != (gql.Limits{}) {
		t.Fatalf("defaults: %+v", o)
	}
	o = gqlOptions(env("INTROSPECTION", "true", "FIELD_SUGGESTIONS", "1", "MAX_DEPTH", "3", "MAX_FIELDS", "50", "MAX_COST", "-1", "MAX_ALIASES", "2"))
	want := gql.Limits{MaxDepth: 3, MaxFields: 50, MaxCost: -1, MaxAliases: 2}
	if !o.Introspection || !o.FieldSuggestions || o.Limits != want {
		t.Fatalf("set: %+v", o)
	}
	// Ensure the limits reach the server.
	m := newMemHandler(t, o)
	r := m.do(t, adminClaims, `{ tickets { edges { node { id } } } }`)
	if r.Status != 400 || !strings.Contains(r.Raw, "the limit is 3") || !strings.Contains(r.Raw, "LIMIT_EXCEEDED") {
		t.Fatalf("got %d %s", r.Status, r.Raw)
	}
	off := newMemHandler(t, gqlOptions(env()))
	r = off.do(t, adminClaims, `{ __schema { queryType { name } } }`)
	if r.Status != 400 || !strings.Contains(r.Raw, "INTROSPECTION_DISABLED") {
		t.Fatalf("got %d %s", r.Status, r.Raw)
	}
	r = off.do(t, adminClaims, `{ tickets { edges { node { titel } } } }`)
	if strings.Contains(r.Raw, "Did you mean") {
		t.Fatalf("suggestion leaked: %s", r.Raw)
	}
}

// do sends a document through the in-memory handler.
func (m *memHandler) do(tb testing.TB, claims map[string]string, doc string) result {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": doc})
	resp, err := m.h.Handle(context.Background(), event(claims, string(body)))
	if err != nil {
		tb.Fatal(err)
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

// Ensure bad input through the handler gets a clear error (a document
// error, or the mutation log's error list) and stores nothing.
func TestHardening_InputValidation(t *testing.T) {
	e := newEnv(t)
	count := func() float64 {
		d := e.ok(t, adminClaims, `{ ticketsStr { totalCount } }`)
		return path(d, "ticketsStr", "totalCount").(float64)
	}
	id := e.createTicket(t, adminClaims, basicTicket)
	before := count()
	bigExt, _ := json.Marshal(map[string]string{"a": strings.Repeat("x", 17*1024)})
	for _, tc := range []struct {
		name  string
		input string // createTicket fields besides category and clientMutationId
		vars  map[string]any
		want  string // in the log's error or the GraphQL error
	}{
		{"TitleTooLong", `title: "` + strings.Repeat("é", 256) + `"`, nil, "the limit is 255"},
		{"DescriptionTooLong", `title: "t", description: "` + strings.Repeat("d", 10001) + `"`, nil, "the limit is 10000"},
		{"ControlCharacter", `title: "bell\u0007"`, nil, "control character"},
		{"EscapeSequence", `title: "t", channel: "\u001b[31m"`, nil, "control character"},
		{"NUL", `title: "t\u0000"`, nil, "control character"},
		{"ImpossibleDate", `title: "t", dateOfIncident: "2023-02-29"`, nil, "not a valid date"},
		{"DateOutOfRange", `title: "t", dateOfIncident: "0001-01-01"`, nil, "out of range"},
		{"DateTime", `title: "t", dateOfIncident: "2024-11-20T10:00:00"`, nil, "not a valid date"},
		{"ResolutionDays", `title: "t", resolution: "99,0"`, nil, "days must be between 0 and 98"},
		{"ResolutionFormat", `title: "t", resolution: "5 days"`, nil, "days,hours"},
		{"UnknownCategory", `title: "t", category: "Nope"`, nil, "Nope"},
		{"UnknownFlag", `title: "t", flags: "Nope"`, nil, "Nope"},
		{"UnknownChannel", `title: "t", channel: "Pigeon"`, nil, "Pigeon"},
		{"UnknownStatus", `title: "t", status: BOGUS`, nil, "BOGUS"},
		{"UnknownReporterType", `title: "t", reporterType: "alien", reporterId: "00000000-0000-4000-b000-000000000001"`, nil, "alien"},
		{"MalformedReporterID", `title: "t", reporterType: "individual", reporterId: "not-a-uuid"`, nil, "not-a-uuid"},
		{"MalformedStaffID", `title: "t", attendingStaffId: "1234"`, nil, "1234"},
		{"OversizedJSONExt", `title: "t", jsonExt: $j`, map[string]any{"j": string(bigExt)}, "16"},
		{"JSONExtNotObject", `title: "t", jsonExt: $j`, map[string]any{"j": `[1, 2]`}, "jsonExt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmid := uuid.NewString()
			input := tc.input
			if !strings.Contains(input, "category:") {
				input += `, category: "Default"`
			}
			doc := fmt.Sprintf(`mutation%s { createTicket(input: {%s, clientMutationId: %q}) { internalId } }`,
				map[bool]string{true: "($j: JSONString)", false: ""}[tc.vars != nil], input, cmid)
			r := e.gql(t, adminClaims, doc, tc.vars)
			var msg string
			if len(r.Errors) > 0 {
				msg = r.Errors[0].Message
			} else {
				st, m := e.mutationLog(t, adminClaims, cmid)
				if st != 1 {
					t.Fatalf("log status=%d, want 1 (error)", st)
				}
				msg = m
			}
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to contain %q", msg, tc.want)
			}
			checkNoLeak(t, msg)
		})
	}
	// Comments: malformed and unknown ticket ids, control characters.
	for _, tc := range []struct{ name, input, want string }{
		{"MalformedTicketID", `ticketId: "nope", comment: "c"`, "nope"},
		{"UnknownTicket", `ticketId: "` + uuid.NewString() + `", comment: "c"`, "does not exist"},
		{"ControlCharacter", `ticketId: "` + id + `", comment: "a\u0008b"`, "control character"},
		{"TooLong", `ticketId: "` + id + `", comment: "` + strings.Repeat("c", 10001) + `"`, "the limit is"},
	} {
		t.Run("Comment"+tc.name, func(t *testing.T) {
			cmid := uuid.NewString()
			r := e.gql(t, adminClaims, fmt.Sprintf(`mutation { createComment(input: {%s, clientMutationId: %q}) { internalId } }`, tc.input, cmid), nil)
			msg := ""
			if len(r.Errors) > 0 {
				msg = r.Errors[0].Message
			} else if st, m := e.mutationLog(t, adminClaims, cmid); st == 1 {
				msg = m
			} else {
				t.Fatalf("log status=%d, want 1", st)
			}
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to contain %q", msg, tc.want)
			}
		})
	}
	if after := count(); after != before {
		t.Fatalf("tickets %v after bad input, want %v", after, before)
	}
	cs, err := e.st.CommentsOfTicket(t.Context(), id)
	if err != nil || len(cs) != 0 {
		t.Fatalf("comments stored: %v %v", cs, err)
	}
}
