package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// fixture is what one authorization case acts on, made fresh per case.
type fixture struct{ ticket, comment string }

func (e *env) fixture(t *testing.T, closed bool) fixture {
	t.Helper()
	id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "authz", attendingStaffId: %q`, staffID))
	c := e.addComment(t, adminClaims, id, "by admin")
	if closed {
		cmid := uuid.NewString()
		e.ok(t, adminClaims, resolveDoc(c, cmid))
		e.mustSucceed(t, adminClaims, cmid)
	}
	return fixture{id, c}
}

// outcome runs doc as claims and classifies the result: "ok", a GraphQL
// error code, or for mutations "denied" (logged as unauthorized) or
// "failed: …" (logged for another reason).
func (e *env) outcome(t *testing.T, claims map[string]string, doc, cmid string) string {
	t.Helper()
	r := e.gql(t, claims, doc, nil)
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		return code
	}
	if cmid == "" {
		return "ok"
	}
	st, msg := e.mutationLog(t, claims, cmid)
	switch {
	case st == 2:
		return "ok"
	case strings.Contains(msg, `"unauthorized"`):
		return "denied"
	}
	return "failed: " + msg
}

// Ensure every query and mutation admits exactly the principals it should:
// anonymous, signed in without rights, holding the operation's right, the
// ticket's attending staff (no rights), and an admin.
func TestAuthorization_PerOperation(t *testing.T) {
	e := newEnv(t)
	type op struct {
		name  string
		right string // the right the "right" principal holds
		// closed: the fixture's ticket is resolved first
		closed bool
		doc    func(f fixture, cmid string) string
		// expected outcome for anon, none, right, staff, admin
		want [5]string
	}
	q := func(doc string) func(fixture, string) string {
		return func(f fixture, _ string) string { return strings.ReplaceAll(doc, "$T", f.ticket) }
	}
	m := func(format string) func(fixture, string) string {
		return func(f fixture, cmid string) string {
			doc := strings.NewReplacer("$T", f.ticket, "$C", f.comment, "$M", cmid, "$U", uuid.NewString()).Replace(format)
			return doc
		}
	}
	const (
		U = "UNAUTHENTICATED"
		F = "FORBIDDEN"
		D = "denied"
		K = "ok"
	)
	ops := []op{
		{name: "tickets", right: "127000", doc: q(`{ tickets { totalCount } }`), want: [5]string{U, F, K, F, K}},
		{name: "ticketsStr", right: "127000", doc: q(`{ ticketsStr { totalCount } }`), want: [5]string{U, F, K, F, K}},
		{name: "ticketDetails", right: "127000", doc: q(`{ ticketDetails { totalCount } }`), want: [5]string{U, F, K, F, K}},
		{name: "grievanceConfig", right: "127000", doc: q(`{ grievanceConfig { grievanceTypes } }`), want: [5]string{U, F, K, F, K}},
		{name: "comments", right: "127004", doc: q(`{ comments(ticket_Id: "$T") { totalCount } }`), want: [5]string{U, F, K, K, K}},
		{name: "mutationLogs", right: "127000", doc: q(`{ mutationLogs { totalCount } }`), want: [5]string{K, K, K, K, K}},
		{name: "createTicket", right: "127001", doc: m(`mutation { createTicket(input: {category: "Default", title: "$U", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "updateTicket", right: "127002", doc: m(`mutation { updateTicket(input: {id: "$T", category: "Default", title: "$U", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "deleteTicket", right: "127003", doc: m(`mutation { deleteTicket(input: {ids: ["$T"], clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "createComment", right: "127005", doc: m(`mutation { createComment(input: {ticketId: "$T", comment: "$U", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, K, K}},
		{name: "resolveGrievanceByComment", right: "127006", doc: m(`mutation { resolveGrievanceByComment(input: {id: "$C", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "reopenTicket", right: "127002", closed: true, doc: m(`mutation { reopenTicket(input: {id: "$T", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "updateComment of another author", right: "127002", doc: m(`mutation { updateComment(input: {id: "$C", comment: "$U", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "deleteComment of another author", right: "127002", doc: m(`mutation { deleteComment(input: {id: "$C", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, K, D, K}},
		{name: "updateGrievanceConfig", right: "127002", doc: m(`mutation { updateGrievanceConfig(input: {config: "{\"grievance_flags\": [\"$U\"]}", clientMutationId: "$M"}) { internalId } }`), want: [5]string{U, D, D, D, K}},
	}
	who := []string{"anonymous", "no right", "with right", "attending staff", "admin"}
	for _, o := range ops {
		for i, name := range who {
			t.Run(o.name+"/"+name, func(t *testing.T) {
				claims := []map[string]string{nil, outsiderClaims, rightsClaims(viewerID, o.right), staffClaims, adminClaims}[i]
				f := e.fixture(t, o.closed)
				cmid := ""
				if strings.HasPrefix(o.doc(f, "x"), "mutation") {
					cmid = uuid.NewString()
				}
				if got := e.outcome(t, claims, o.doc(f, cmid), cmid); got != o.want[i] {
					t.Fatalf("%s as %s: %s, want %s", o.name, name, got, o.want[i])
				}
			})
		}
	}
}

// Ensure comment authors edit their own comments with the comment right,
// and a resolution comment cannot be deleted while its ticket is closed.
func TestCommentEditRules(t *testing.T) {
	e := newEnv(t)
	author := rightsClaims(officerID, "127005")
	id := e.createTicket(t, adminClaims, basicTicket)
	cid := e.addComment(t, author, id, "mine")
	cmid := uuid.NewString()
	e.ok(t, author, fmt.Sprintf(`mutation { updateComment(input: {id: %q, comment: "edited", clientMutationId: %q}) { internalId } }`, cid, cmid))
	e.mustSucceed(t, author, cmid)
	if c, _ := e.st.Comment(t.Context(), cid); c.Comment != "edited" || c.Version != 2 {
		t.Fatalf("comment=%+v", c)
	}
	cmid = uuid.NewString()
	e.ok(t, adminClaims, resolveDoc(cid, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	cmid = uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteComment(input: {id: %q, clientMutationId: %q}) { internalId } }`, cid, cmid))
	e.mustFail(t, adminClaims, cmid, "cannot be deleted")
	cmid = uuid.NewString()
	e.ok(t, adminClaims, reopenDoc(id, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	cmid = uuid.NewString()
	e.ok(t, author, fmt.Sprintf(`mutation { deleteComment(input: {id: %q, clientMutationId: %q}) { internalId } }`, cid, cmid))
	e.mustSucceed(t, author, cmid)
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ comments(ticket_Id: %q) { totalCount } }`, id))
	if path(d, "comments", "totalCount") != 0.0 {
		t.Fatalf("deleted comment still listed: %v", d)
	}
}
