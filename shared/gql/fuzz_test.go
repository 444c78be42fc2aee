package gql_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/graphql-go/graphql/testutil"

	"github.com/redress-grm/redress/shared/gql"
)

// FuzzDo sends arbitrary documents (with the client's documents, the null
// literals it sends, limit-breaking and malformed documents as seeds) to
// the server as an admin: never a panic or a fatal stack overflow, only 200
// or 400, always a JSON body, and a 400 never carries data.
func FuzzDo(f *testing.F) {
	seeds := []string{
		clientTicketList,
		fmt.Sprintf(clientComments, "00000000-0000-4000-8000-000000000001"),
		`{ tickets(title_Icontains: null, orderBy: ["title"]) { edges { node { title } } } }`,
		`query Q($t: String = null) { tickets(title_Icontains: $t, priority: "null") { edges { node { title } } } }`,
		`{ null: tickets(priority: "null") { edges { node { title } } } }`,
		`{ tickets(title_Icontains: """null""") { totalCount } }`,
		`mutation { createTicket(input: {category: "Default", title: "t", clientMutationId: "m1", status: null}) { internalId } }`,
		`mutation { updateGrievanceConfig(input: {config: "{\"grievance_flags\": [\"x\"]}", clientMutationId: "m2"}) { internalId } }`,
		`{ mutationLogs(first: 5, orderBy: "-request_date_time") { edges { node { status error } } } }`,
		`{ tickets { edges { node { ...A } } } } fragment A on TicketGQLType { title ...B } fragment B on TicketGQLType { ...A }`,
		`{ tickets { edges { node { commentSet { edges { node { ticket { commentSet { edges { node { id } } } } } } } } } } }`,
		`{ __schema { types { name } } }`,
		testutil.IntrospectionQuery,
		`{ tickets(first: 101) { totalCount } }`,
		`{ tickets(`,
		"{ tickets(title: \"\u00e9\x00\") { totalCount } }",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, doc string) {
		resp := e.srv.Do(gqlContext(admin), gqlRequest(doc))
		if resp.Status != 200 && resp.Status != 400 {
			t.Fatalf("status %d for %q: %s", resp.Status, doc, resp.Body)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			t.Fatalf("body is not JSON for %q: %s", doc, resp.Body)
		}
		if _, data := body["data"]; resp.Status == 400 && data {
			t.Fatalf("400 with data for %q: %s", doc, resp.Body)
		}
	})
}

func gqlRequest(doc string) gql.Request { return gql.Request{Query: doc} }
