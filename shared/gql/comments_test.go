package gql_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// clientComments is the client's comment-panel document (fe-core
// formatPageQuery; no first: the server default applies).
const clientComments = `{ comments(ticket_Id: "%s",orderBy: ["-dateCreated"]) { pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor} edges { node { id,commenter,commenterId,commenterType,commenterTypeName,comment,isResolution,dateCreated,commenterFirstName,commenterLastName,commenterDob } } } }`

func comments(ns []map[string]any) []string {
	var out []string
	for _, n := range ns {
		out = append(out, fmt.Sprint(n["comment"]))
	}
	return out
}

func TestComments_ClientDocument(t *testing.T) {
	// Ensure the comment panel's query: the ticket's comments newest first,
	// with the commenter double-encoded and anonymous comments nameless.
	e := newEnv(t)
	id := e.createTicket(t, waterTicket)
	other := e.createTicket(t, `category: "Default", title: "other"`)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "first", commenterType: "individual", commenterId: %q`, id, janeID), "c1")
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "second"`, id), "c2")
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "elsewhere"`, other), "c3")

	d := e.ok(t, admin, fmt.Sprintf(clientComments, id))
	ns := nodes(t, d, "comments")
	if got, want := comments(ns), []string{"second", "first"}; !slices.Equal(got, want) {
		t.Fatalf("comments=%v, want %v", got, want)
	}
	anon, jane := ns[0], ns[1]
	if anon["commenter"] != nil || anon["commenterTypeName"] != nil || anon["commenterType"] != nil || anon["commenterId"] != nil || anon["isResolution"] != false {
		t.Errorf("anonymous comment=%v", anon)
	}
	if jane["commenterTypeName"] != "individual" || jane["commenterType"] != float64(1) || jane["commenterId"] != janeID ||
		jane["commenterFirstName"] != "Jane" || jane["commenterLastName"] != "Doe" || jane["commenterDob"] != "1990-01-01" {
		t.Errorf("jane's comment=%v", jane)
	}
	var inner string
	var rec map[string]any
	if err := json.Unmarshal([]byte(jane["commenter"].(string)), &inner); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(inner), &rec); err != nil || rec["id"] != janeID {
		t.Fatalf("commenter=%v (%v)", jane["commenter"], err)
	}
	// The client keeps a comment whose decoded id is in the ticket's
	// comment_ids (closed tickets, history rows).
	tk := nodes(t, e.ok(t, admin, fmt.Sprintf(`{ tickets(id: %q) { edges { node { jsonExt } } } }`, id)), "tickets")[0]
	var ext struct {
		CommentIDs []string `json:"comment_ids"`
	}
	if err := json.Unmarshal([]byte(tk["jsonExt"].(string)), &ext); err != nil {
		t.Fatal(err)
	}
	if got := decodeID(t, jane["id"].(string), "CommentGQLType"); !slices.Contains(ext.CommentIDs, got) {
		t.Fatalf("comment %s not in comment_ids %v", got, ext.CommentIDs)
	}
}

func TestComments_Filters(t *testing.T) {
	e := newEnv(t)
	water := e.createTicket(t, `category: "Default", title: "Water leak", attendingStaffId: "`+bobID+`"`)
	pay := e.createTicket(t, `category: "Default", title: "Payment"`)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "pipe burst"`, water), "c1")
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "bank closed"`, pay), "c2")
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "fixed"`, water), "c3")
	for _, tc := range []struct {
		name, args string
		want       []string
	}{
		{"TicketID", fmt.Sprintf(`ticket_Id: %q`, water), []string{"pipe burst", "fixed"}},
		{"TicketGlobalID", fmt.Sprintf(`ticket_Id: %q`, globalTicketID(pay)), []string{"bank closed"}},
		{"TicketTitleIcontains", `ticket_Title_Icontains: "PAY"`, []string{"bank closed"}},
		{"TicketStaffUsername", `ticket_AttendingStaff_Username: "bob"`, []string{"pipe burst", "fixed"}},
		{"TicketStatusLiteral", `ticket_Status: RECEIVED`, []string{"pipe burst", "bank closed", "fixed"}},
		{"CommentIcontains", `comment_Icontains: "IX"`, []string{"fixed"}},
		{"IsResolution", `isResolution: true`, nil},
		{"OrderByComment", `orderBy: ["comment"]`, []string{"bank closed", "fixed", "pipe burst"}},
		{"FirstAndAfter", fmt.Sprintf(`first: 1, after: %q`, cursorOf(0)), []string{"bank closed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.ok(t, admin, fmt.Sprintf(`{ comments(%s) { edges { node { comment } } } }`, tc.args))
			if got := comments(nodes(t, d, "comments")); !slices.Equal(got, tc.want) {
				t.Fatalf("comments=%v, want %v", got, tc.want)
			}
		})
	}
	t.Run("CommentSet", func(t *testing.T) {
		// Ensure a ticket's commentSet lists its comments, with filters.
		d := e.ok(t, admin, `{ tickets(orderBy: ["title"]) { edges { node { title commentSet(comment_Icontains: "i") { totalCount edges { node { comment } } } } } } }`)
		got := map[string][]string{}
		for _, n := range nodes(t, d, "tickets") {
			got[n["title"].(string)] = comments(nodes(t, n, "commentSet"))
		}
		if !slices.Equal(got["Water leak"], []string{"pipe burst", "fixed"}) || len(got["Payment"]) != 0 {
			t.Fatalf("commentSets=%v", got)
		}
	})
}

func TestComments_CommenterFieldsRights(t *testing.T) {
	// Ensure the attending staff of a ticket, without the comment right,
	// reads its comments and commenter details (openIMIS's "associated
	// with the ticket" rule, scoped to that ticket).
	e := newEnv(t)
	id := e.createTicket(t, `category: "Default", title: "t", attendingStaffId: "`+bobID+`"`)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "hi", commenterType: "individual", commenterId: %q`, id, janeID), "c")
	staff := &grievance.Principal{ID: bobID, Username: "bob"}
	d := e.ok(t, staff, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { comment commenterFirstName } } } }`, id))
	if n := nodes(t, d, "comments"); len(n) != 1 || n[0]["commenterFirstName"] != "Jane" {
		t.Fatalf("nodes=%v", n)
	}
	// Ensure someone with neither is refused.
	res := e.do(t, &grievance.Principal{ID: carolID, Username: "carol"}, `{ comments { totalCount } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("got %s", res.raw)
	}
}

func TestComments_PublicFlagIsPrivateByDefaultAndSetByStaff(t *testing.T) {
	// Ensure isPublic (what tracking shows the complainant) starts false,
	// is set by createComment and changed by updateComment alone.
	e := newEnv(t)
	id := e.createTicket(t, waterTicket)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "private note"`, id), "p1")
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "We are on it.", isPublic: true`, id), "p2")
	read := func() map[string]any {
		got := map[string]any{}
		for _, n := range nodes(t, e.ok(t, admin, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { id comment isPublic } } } }`, id)), "comments") {
			got[fmt.Sprint(n["comment"])] = n["isPublic"]
		}
		return got
	}
	if got := read(); got["private note"] != false || got["We are on it."] != true {
		t.Fatalf("isPublic=%v", got)
	}
	var private string
	for _, n := range nodes(t, e.ok(t, admin, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { id comment } } } }`, id)), "comments") {
		if n["comment"] == "private note" {
			private = decodeID(t, n["id"].(string), "CommentGQLType")
		}
	}
	e.mustSucceed(t, admin, "updateComment", fmt.Sprintf(`id: %q, isPublic: true`, private), "p3")
	if got := read(); got["private note"] != true {
		t.Fatalf("after updateComment isPublic=%v", got)
	}
	if n := e.mutate(t, admin, "updateComment", fmt.Sprintf(`id: %q, isPublic: true`, private), "p4"); n["status"] != float64(1) {
		t.Fatalf("resending the same flag is a change: %v", n)
	}
}
