package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/redress-grm/redress/shared/gql"
)

// Documents of the openIMIS web client (fe-grievance-social-protection
// and fe-core), as seeds.
const (
	clientTicketListDoc = `{ tickets(first: 10,orderBy: ["-dateCreated"]) { totalCount pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor} edges { node { id,title,code,description,status,priority,dueDate,reporter,reporterId,reporterType,reporterTypeName,category,flags,channel,resolution,title,dateOfIncident,dateCreated,attendingStaff {id, username},version,isHistory,,jsonExt,reporterFirstName,reporterLastName,reporterDob } } } }`
	clientCommentsDoc   = `{ comments(ticket_Id: "00000000-0000-4000-8000-000000000001",orderBy: ["-dateCreated"]) { pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor} edges { node { id,commenter,commenterId,commenterType,commenterTypeName,comment,isResolution,dateCreated,commenterFirstName,commenterLastName,commenterDob } } } }`
)

// FuzzHandle sends arbitrary request bodies through the real handler (over
// the in-memory store, as an admin): it must never panic, never answer
// 5xx, always answer JSON with the request id.
func FuzzHandle(f *testing.F) {
	seed := func(doc string, vars map[string]any) string {
		b, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
		return string(b)
	}
	for _, s := range []string{
		seed(clientTicketListDoc, nil),
		seed(clientCommentsDoc, nil),
		seed(`{ tickets(title_Icontains: null, status: null) { edges { node { title } } } }`, nil),
		seed(`query ($t: String, $n: Int) { tickets(title: $t, first: $n) { totalCount } }`, map[string]any{"t": nil, "n": 1e300}),
		seed(`{ tickets { totalCount } }`, map[string]any{"searchString": "x", "first": 5}),
		seed(`mutation ($i: CreateTicketMutationInput!) { createTicket(input: $i) { internalId } }`,
			map[string]any{"i": map[string]any{"category": "Default", "title": "t", "clientMutationId": "c", "jsonExt": `{"a": [1, 2]}`}}),
		seed(`mutation { createTicket(input: {category: "Default", title: "x\u0007", dateOfIncident: "2023-02-29", resolution: "99,0", clientMutationId: "m"}) { internalId } }`, nil),
		seed(`mutation { createComment(input: {ticketId: "not-a-uuid", comment: "c", clientMutationId: "m2"}) { internalId } }`, nil),
		seed(`{ mutationLogs(first: 5, orderBy: "-request_date_time") { edges { node { status error } } } }`, nil),
		`[{"query":"{ tickets { totalCount } }"}]`,
		`{"query": "{ tickets { totalCount } }", "operationName": "Nope"}`,
		`{"query": 5}`,
		`{"query": "{ tickets { totalCount } }", "variables": [1]}`,
		`{"query": "{ tickets { totalCount } }"} trailing`,
		`{`,
		"",
	} {
		f.Add(s, false, false)
	}
	f.Add(clientTicketListDoc, true, false)
	f.Add(base64.StdEncoding.EncodeToString([]byte(seed(clientTicketListDoc, nil))), false, true)

	m := newMemHandler(f, gql.Options{})
	f.Fuzz(func(t *testing.T, body string, graphqlType, b64 bool) {
		ev := event(adminClaims, body)
		ev.IsBase64Encoded = b64
		if graphqlType {
			ev.Headers["content-type"] = "application/graphql"
		}
		resp, err := m.h.Handle(context.Background(), ev)
		if err != nil {
			t.Fatalf("handler error: %v", err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, resp.Body)
		}
		checkRequestID(t, ev, resp)
	})
}
