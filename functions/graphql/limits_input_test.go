package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Ensure an oversized value in any string argument of a query or mutation
// is refused INVALID (or simply matches nothing), never INTERNAL: DynamoDB
// refuses keys over 2 KB and moto does not, so the domain must.
func TestLimits_OversizedArguments(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, adminClaims, basicTicket)
	huge := strings.Repeat("x", 3000)
	for _, tc := range []struct {
		name, doc string
		invalid   bool // must be INVALID; otherwise an empty answer is fine too
	}{
		{"CreateTicketClientMutationID", fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q}) { internalId } }`, basicTicket, huge), true},
		{"CreateTicketLabel", fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q, clientMutationLabel: %q}) { internalId } }`, basicTicket, uuid.NewString(), huge), true},
		{"CreateTicketDetails", fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q, clientMutationDetails: [%q]}) { internalId } }`, basicTicket, uuid.NewString(), huge), true},
		{"UpdateTicketClientMutationID", fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", title: "u", clientMutationId: %q}) { internalId } }`, id, huge), true},
		{"TicketsByClientMutationID", fmt.Sprintf(`{ tickets(clientMutationId: %q) { totalCount } }`, huge), true},
		{"MutationLogsByClientMutationID", fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { totalCount } }`, huge), true},
		{"MutationLogsByLabel", fmt.Sprintf(`{ mutationLogs(clientMutationLabel: %q) { totalCount } }`, huge), true},
		{"TicketsByID", fmt.Sprintf(`{ tickets(id: %q) { totalCount } }`, huge), false},
		{"TicketsByCode", fmt.Sprintf(`{ tickets(code: %q) { totalCount } }`, huge), false},
		{"TicketsByCategory", fmt.Sprintf(`{ tickets(category: %q) { totalCount } }`, huge), true},
		{"TicketsByTitle", fmt.Sprintf(`{ tickets(title_Icontains: %q) { totalCount } }`, huge), true},
		{"TicketsByStaffUsername", fmt.Sprintf(`{ tickets(attendingStaff_Username: %q) { totalCount } }`, huge), true},
		{"TicketsByReporterID", fmt.Sprintf(`{ tickets(reporterId: %q) { totalCount } }`, huge), true},
		{"TicketsByStaffID", fmt.Sprintf(`{ tickets(attendingStaff_Id: %q) { totalCount } }`, huge), false},
		{"CommentsByTicketID", fmt.Sprintf(`{ comments(ticket_Id: %q) { totalCount } }`, huge), false},
		{"Statistics", fmt.Sprintf(`{ grievanceStatistics(category: %q) { totalCount } }`, huge), false},
		{"MutationLogsByID", fmt.Sprintf(`{ mutationLogs(id: %q) { totalCount } }`, huge), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.gql(t, adminClaims, tc.doc, nil)
			checkNoLeak(t, r.Raw)
			for _, er := range r.Errors {
				code := er.Extensions["code"]
				if code == "INTERNAL" || code == "UNAVAILABLE" || r.Status >= 500 {
					t.Fatalf("status %d: %s", r.Status, r.Raw)
				}
				if code != "INVALID" && code != nil {
					t.Fatalf("code %v, want INVALID: %s", code, r.Raw)
				}
			}
			if tc.invalid && (len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "INVALID" || !strings.Contains(r.Errors[0].Message, "limit")) {
				t.Fatalf("want INVALID naming the limit: %.300s", r.Raw)
			}
		})
	}
}
