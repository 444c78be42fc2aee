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
