package main

// CPU benchmarks of the handler with the store excluded (the in-memory
// grievancetest store), against the engine floor: plain graphql.Do of the
// client's list document over 20 in-memory rows with trivial resolvers.
// docs/performance.md reports them.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/graphql-go/graphql"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// cpuEnv is the real handler over the in-memory store.
type cpuEnv struct {
	h       *Handler
	st      *grievancetest.Store
	tickets []*grievance.Ticket
	ticket  string // has 10 comments
	comment string
}

func newCPUEnv(b *testing.B) *cpuEnv {
	b.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(testPeople...)
	e := &cpuEnv{st: st, tickets: benchTickets(60)}
	for _, t := range e.tickets {
		st.SeedTicket(t)
	}
	e.ticket = e.tickets[len(e.tickets)-1].ID
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		c := &grievance.Comment{ID: uuid.NewString(), TicketID: e.ticket, Version: 1, CommenterType: grievance.PersonUser, CommenterID: officerID,
			Comment: fmt.Sprintf("Visited the pay point (%d).", i), DateCreated: at.Add(time.Duration(i) * time.Hour), DateUpdated: at.Add(time.Duration(i) * time.Hour),
			UserCreated: officerID, UserUpdated: officerID}
		st.SeedComment(c)
		e.comment = c.ID
	}
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{History: st})
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, err := gql.New(svc, gql.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	e.h = &Handler{Config: svc, GraphQL: srv, Auth: auth.Options{}, Log: log, NewID: uuid.NewString, Now: time.Now}
	return e
}

// requestEvent is an API Gateway event as the client sends it.
func requestEvent(claims map[string]string, doc string) events.APIGatewayV2HTTPRequest {
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": nil})
	return event(claims, string(body))
}

func (e *cpuEnv) serve(b *testing.B, ev events.APIGatewayV2HTTPRequest) string {
	resp, err := e.h.Handle(context.Background(), ev)
	if err != nil || resp.StatusCode != 200 || strings.Contains(resp.Body, `"errors"`) {
		b.Fatalf("status=%d err=%v body=%.500s", resp.StatusCode, err, resp.Body)
	}
	return resp.Body
}

// The client's list document with the values the engine baseline serves.
var engineRows = func() []any {
	rows := make([]any, 20)
	for i := range rows {
		rows[i] = map[string]any{
			"id": "VGlja2V0R1FMVHlwZTo2YjFkMmYzYS04YzRlLTRkNWYtOWE2Yi03YzhkOWUwZjFhMmI=", "title": "Payment not received", "code": fmt.Sprintf("GRS%08d", i+1),
			"description": "Second instalment missing; the pay point was closed on both distribution days.", "status": "OPEN", "priority": "High",
			"dueDate": nil, "reporter": `"{\"id\": \"c2a4e6f8-1b3d-4f5a-8b7c-9d0e1f2a3b4c\", \"firstName\": \"Jane\", \"lastName\": \"Doe\", \"dob\": \"1990-01-01\"}"`,
			"reporterId": "c2a4e6f8-1b3d-4f5a-8b7c-9d0e1f2a3b4c", "reporterType": 57, "reporterTypeName": "individual", "category": "Default",
			"flags": "Default", "channel": "Channel A", "resolution": "5,0", "dateOfIncident": "2026-01-02", "dateCreated": "2026-01-05T08:00:00",
			"attendingStaff": map[string]any{"id": "VXNlckdRTFR5cGU6MDAwMDAwMDAtMDAwMC00MDAwLWEwMDAtMDAwMDAwMDAwMDAz", "username": "staff"},
			"version":        1, "isHistory": false, "jsonExt": `{"comment_ids": ["a", "b"]}`, "reporterFirstName": "Jane", "reporterLastName": "Doe", "reporterDob": "1990-01-01",
		}
	}
	return rows
}()

// engineSchema is the smallest schema that answers the client's list
// document: the same types and field names, default resolvers over maps.
func engineSchema(b *testing.B) graphql.Schema {
	user := graphql.NewObject(graphql.ObjectConfig{Name: "UserGQLType", Fields: graphql.Fields{
		"id": {Type: graphql.NewNonNull(graphql.ID)}, "username": {Type: graphql.String},
	}})
	fields := graphql.Fields{"attendingStaff": {Type: user}}
	for _, f := range []string{"id", "title", "code", "description", "status", "priority", "dueDate", "reporter", "reporterId", "reporterTypeName",
		"category", "flags", "channel", "resolution", "dateOfIncident", "dateCreated", "jsonExt", "reporterFirstName", "reporterLastName", "reporterDob"} {
		fields[f] = &graphql.Field{Type: graphql.String}
	}
	fields["reporterType"] = &graphql.Field{Type: graphql.Int}
	fields["version"] = &graphql.Field{Type: graphql.Int}
	fields["isHistory"] = &graphql.Field{Type: graphql.Boolean}
	ticket := graphql.NewObject(graphql.ObjectConfig{Name: "TicketGQLType", Fields: fields})
	pageInfo := graphql.NewObject(graphql.ObjectConfig{Name: "PageInfo", Fields: graphql.Fields{
		"hasNextPage": {Type: graphql.Boolean}, "hasPreviousPage": {Type: graphql.Boolean},
		"startCursor": {Type: graphql.String}, "endCursor": {Type: graphql.String},
	}})
	edge := graphql.NewObject(graphql.ObjectConfig{Name: "TicketGQLTypeEdge", Fields: graphql.Fields{"node": {Type: ticket}, "cursor": {Type: graphql.String}}})
	conn := graphql.NewObject(graphql.ObjectConfig{Name: "TicketGQLTypeConnection", Fields: graphql.Fields{
		"totalCount": {Type: graphql.Int}, "pageInfo": {Type: pageInfo}, "edges": {Type: graphql.NewList(edge)},
	}})
	edges := make([]any, len(engineRows))
	for i, r := range engineRows {
		edges[i] = map[string]any{"node": r, "cursor": "YXJyYXljb25uZWN0aW9uOjA="}
	}
	schema, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"tickets": {Type: conn, Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}, "orderBy": {Type: graphql.NewList(graphql.String)}},
			Resolve: func(graphql.ResolveParams) (any, error) {
				return map[string]any{"totalCount": 20, "edges": edges, "pageInfo": map[string]any{
					"hasNextPage": true, "hasPreviousPage": false, "startCursor": "YXJyYXljb25uZWN0aW9uOjA=", "endCursor": "YXJyYXljb25uZWN0aW9uOjE5"}}, nil
			}},
	}})})
	if err != nil {
		b.Fatal(err)
	}
	return schema
}

// engineDo is the floor: graphql.Do of the document (parse, validate,
// execute), without encoding the result.
func engineDo(b *testing.B, schema graphql.Schema, doc string) {
	res := graphql.Do(graphql.Params{Schema: schema, RequestString: doc, Context: context.Background()})
	if len(res.Errors) > 0 {
		b.Fatal(res.Errors)
	}
}

// BenchmarkHandlerCPU: every read the client makes and the main
// mutations, event in, response out, over the in-memory store; and the
// engine floor, alone and alternated with the handler's list page.
func BenchmarkHandlerCPU(b *testing.B) {
	e := newCPUEnv(b)
	schema := engineSchema(b)
	listDoc := clientListDoc(20)
	b.Run("engine_baseline", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			engineDo(b, schema, listDoc)
		}
	})
	reads := []struct{ name, doc string }{
		{"tickets_list", listDoc},
		{"tickets_detail", clientDetailDoc(e.tickets[10].ID)},
		{"comments", commentsPanelDoc(e.ticket)},
		{"grievanceConfig", `{ grievanceConfig { grievanceTypes, grievanceFlags, grievanceChannels, grievanceDefaultResolutionsByCategory { category, resolutionTime } } }`},
		{"mutationLogs_recent", fmt.Sprintf(`{ mutationLogs(first: 5, orderBy: "-request_date_time") { %s edges { node { %s } } } }`, pageInfoFields, clientLogFields)},
	}
	for _, r := range reads {
		ev := requestEvent(officerClaims, r.doc)
		b.Run(r.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e.serve(b, ev)
			}
		})
	}
	writes := []struct {
		name string
		doc  func(i int) string
	}{
		{"createTicket", func(i int) string {
			return fmt.Sprintf(`mutation { createTicket(input: {clientMutationId: "%d-%s", clientMutationLabel: "Create ticket", category: "Default", title: "Water point broken", description: "since May", priority: "High", resolution: "5,0", dateOfIncident: "2024-11-20", channel: "Channel A", flags: "Default", reporterType: "individual", reporterId: %q, attendingStaffId: null}) { clientMutationId internalId } }`, i, uuid.NewString(), individualID)
		}},
		{"updateTicket", func(i int) string {
			return fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", title: "Water point broken (%d)", clientMutationId: "%d-%s"}) { clientMutationId internalId } }`, e.tickets[20].ID, i, i, uuid.NewString())
		}},
		{"createComment", func(i int) string {
			return fmt.Sprintf(`mutation { createComment(input: {ticketId: %q, comment: "Visited (%d).", commenterType: "user", commenterId: %q, clientMutationId: "%d-%s"}) { clientMutationId internalId } }`, e.tickets[30+i%20].ID, i, officerID, i, uuid.NewString())
		}},
	}
	for _, w := range writes {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				e.serve(b, requestEvent(officerClaims, w.doc(i)))
				i++
			}
		})
	}
	// The ratio, measured alternately so that both see the same machine:
	// blocks of 10 requests each, the heap collected before every block
	// (untimed), so that each side pays for its own garbage.
	b.Run("tickets_list_vs_engine", func(b *testing.B) {
		ev := requestEvent(officerClaims, listDoc)
		var tEngine, tHandler time.Duration
		n := 0
		const block = 10
		for b.Loop() {
			runtime.GC()
			t0 := time.Now()
			for range block {
				engineDo(b, schema, listDoc)
			}
			tEngine += time.Since(t0)
			runtime.GC()
			t0 = time.Now()
			for range block {
				e.serve(b, ev)
			}
			tHandler += time.Since(t0)
			n += block
		}
		b.ReportMetric(float64(tEngine.Nanoseconds())/float64(n), "engine-ns/op")
		b.ReportMetric(float64(tHandler.Nanoseconds())/float64(n), "handler-ns/op")
		b.ReportMetric(float64(tHandler)/float64(tEngine), "ratio")
	})
}
