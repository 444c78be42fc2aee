package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// The principals of the matrix (issue #9), in column order.
var matrixColumns = []struct {
	name   string
	claims func(right string) map[string]string
}{
	{"no token", func(string) map[string]string { return nil }},
	{"token without the right", func(string) map[string]string { return map[string]string{"sub": viewerID, "username": "viewer"} }},
	{"token with the right", func(r string) map[string]string { return rightsClaims(officerID, r) }},
	{"attending staff of the ticket", func(string) map[string]string { return staffClaims }},
	{"attending staff of another ticket", func(string) map[string]string { return outsiderClaims }},
	{"admin group", func(string) map[string]string { return adminClaims }},
}

// Ensure the GraphQL edge reports each outcome of an authorization rule as
// openIMIS does: queries fail with the error's code, mutations answer 200
// and log "unauthorized", or an authentication error without a token.
// Which principal may run which operation is the domain's matrix
// (shared/grievance TestAuthorization_Matrix); these cells take one path of
// each outcome through the handler.
func TestAuthorization_EdgeOutcomes(t *testing.T) {
	e := newEnv(t)
	// The outsider attends a ticket of its own.
	e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "other", attendingStaffId: %q`, outsiderID))
	const (
		U = "UNAUTHENTICATED"
		F = "FORBIDDEN"
		D = "denied"
		K = "ok"
	)
	for _, c := range []struct {
		op     string
		column int    // of matrixColumns
		right  string // what "token with the right" holds
		closed bool   // resolve the fixture's ticket first
		doc    string // $T ticket, $C comment, $M clientMutationId, $U a fresh value
		want   string
	}{
		{"tickets", 0, "", false, `{ tickets(id: "$T") { totalCount } }`, U},
		{"ticketDetails", 1, "", false, `{ ticketDetails { totalCount } }`, F},
		{"ticketsStr", 2, "127000", false, `{ ticketsStr { totalCount } }`, K},
		{"comments", 3, "", false, `{ comments(ticket_Id: "$T") { totalCount } }`, K},
		{"mutationLogs", 0, "", false, `{ mutationLogs { totalCount } }`, K},
		{"createTicket", 0, "", false, `mutation { createTicket(input: {category: "Default", title: "$U", clientMutationId: "$M"}) { internalId } }`, U},
		{"createComment", 4, "", false, `mutation { createComment(input: {ticketId: "$T", comment: "$U", clientMutationId: "$M"}) { internalId } }`, D},
		{"updateGrievanceConfig", 2, "127002", false, `mutation { updateGrievanceConfig(input: {config: "{\"grievance_flags\": [\"$U\"]}", clientMutationId: "$M"}) { internalId } }`, D},
		{"reopenTicket", 5, "", true, `mutation { reopenTicket(input: {id: "$T", clientMutationId: "$M"}) { internalId } }`, K},
	} {
		col := matrixColumns[c.column]
		t.Run(c.op+"/"+col.name, func(t *testing.T) {
			f := e.fixture(t, c.closed)
			cmid := ""
			if strings.HasPrefix(c.doc, "mutation") {
				cmid = uuid.NewString()
			}
			doc := strings.NewReplacer("$T", f.ticket, "$C", f.comment, "$M", cmid, "$U", uuid.NewString()).Replace(c.doc)
			if got := e.outcome(t, col.claims(c.right), doc, cmid); got != c.want {
				t.Errorf("%s as %s: %s, want %s", c.op, col.name, got, c.want)
			}
		})
	}
}

// Ensure the reporter's details need the ticket-read right and the
// commenter's details need the comment-read right or being the attending
// staff of that comment's ticket, however the object is reached.
func TestAuthorization_FieldLevel(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "fields", reporterType: "individual", reporterId: %q, attendingStaffId: %q`, individualID, staffID))
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { createComment(input: {ticketId: %q, commenterType: "individual", commenterId: %q, comment: "by jane", clientMutationId: %q}) { internalId } }`, id, individualID, cmid))
	e.mustSucceed(t, adminClaims, cmid)

	reporterFields := []string{"reporter", "reporterFirstName", "reporterLastName", "reporterDob"}
	commenterFields := []string{"commenter", "commenterFirstName", "commenterLastName", "commenterDob"}
	// Reporter fields reached through a comment's ticket (no ticket list
	// needed) and commenter fields reached through a ticket's commentSet.
	viaComments := fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { comment ticket { title %s } } } } }`, id, strings.Join(reporterFields, " "))
	commenterViaComments := fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { comment %s } } } }`, id, strings.Join(commenterFields, " "))
	commenterViaTickets := fmt.Sprintf(`{ tickets(id: %q, first: 1) { edges { node { title commentSet { edges { node { comment %s } } } } } } }`, id, strings.Join(commenterFields, " "))
	reporterViaTickets := fmt.Sprintf(`{ tickets(id: %q) { edges { node { title %s } } } }`, id, strings.Join(reporterFields, " "))

	ticketReader := rightsClaims(officerID, "127000")
	commentReader := rightsClaims(officerID, "127004")
	both := rightsClaims(officerID, "127000", "127004")
	for _, tc := range []struct {
		name   string
		claims map[string]string
		doc    string
		fields []string
		want   string // "ok": the fields have values; else the code on every one of them
	}{
		{"reporter via tickets, ticket reader", ticketReader, reporterViaTickets, reporterFields, "ok"},
		{"reporter via comments, comment reader", commentReader, viaComments, reporterFields, "FORBIDDEN"},
		{"reporter via comments, staff of the ticket", staffClaims, viaComments, reporterFields, "FORBIDDEN"},
		{"reporter via comments, both rights", both, viaComments, reporterFields, "ok"},
		{"reporter via comments, admin", adminClaims, viaComments, reporterFields, "ok"},
		{"commenter via comments, comment reader", commentReader, commenterViaComments, commenterFields, "ok"},
		{"commenter via comments, staff of the ticket", staffClaims, commenterViaComments, commenterFields, "ok"},
		{"commenter via tickets, ticket reader", ticketReader, commenterViaTickets, commenterFields, "FORBIDDEN"},
		{"commenter via tickets, both rights", both, commenterViaTickets, commenterFields, "ok"},
		{"commenter via tickets, admin", adminClaims, commenterViaTickets, commenterFields, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.gql(t, tc.claims, tc.doc, nil)
			if r.Status != 200 {
				t.Fatalf("status=%d %s", r.Status, r.Raw)
			}
			denied := map[string]bool{}
			for _, er := range r.Errors {
				if code := er.Extensions["code"]; code != tc.want {
					t.Fatalf("error code %v, want %s: %s", code, tc.want, r.Raw)
				}
			}
			// The field errors name their paths; check through the raw body.
			for _, f := range tc.fields {
				if strings.Contains(r.Raw, `"`+f+`"]`) {
					denied[f] = true
				}
			}
			if tc.want == "ok" {
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %s", r.Raw)
				}
				if !strings.Contains(r.Raw, "TestFN") && strings.Contains(tc.doc, "reporterFirstName") {
					t.Fatalf("reporter details missing: %s", r.Raw)
				}
				if strings.Contains(tc.doc, "commenterFirstName") && (!strings.Contains(r.Raw, `"commenter":"`) || !strings.Contains(r.Raw, "TestFN")) {
					t.Fatalf("commenter details missing: %s", r.Raw)
				}
				return
			}
			// Each field is denied, or the whole set holding it is (a
			// ticket reader without the comment right gets no commentSet).
			if !strings.Contains(r.Raw, `"commentSet"]`) {
				for _, f := range tc.fields {
					if !denied[f] {
						t.Errorf("%s not denied: %s", f, r.Raw)
					}
				}
			}
			if strings.Contains(r.Raw, "TestFN") || strings.Contains(r.Raw, "TestLN") {
				t.Fatalf("reporter name leaked: %s", r.Raw)
			}
		})
	}
}
