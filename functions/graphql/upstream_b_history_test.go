package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

func TestB07_DeletedTicketLeavesTheListButNotHistoryOrTicketsStr(t *testing.T) {
	e := newDynamoEnv(t) // history through the table's stream
	e.startHistory(t)
	id := e.createTicket(t, adminClaims, `category: "Default", title: "gone"`)
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteTicket(input: {ids: [%q], clientMutationId: %q}) { internalId } }`, id, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	e.waitHistory(t, id, 2)
	if d := e.ok(t, adminClaims, `{ tickets { totalCount } }`); path(d, "tickets", "totalCount") != 0.0 {
		t.Fatalf("deleted ticket listed: %v", d)
	}
	d := e.ok(t, adminClaims, `{ tickets(showHistory: true) { edges { node { version isDeleted isHistory } } } }`)
	ns := nodes(d, "tickets")
	if len(ns) != 2 || ns[0]["version"] != 2.0 || ns[0]["isDeleted"] != true || ns[1]["version"] != 1.0 || ns[1]["isHistory"] != true {
		t.Fatalf("history=%v, want v2 (deleted) then v1", ns)
	}
	if d := e.ok(t, adminClaims, `{ ticketsStr { totalCount } }`); path(d, "ticketsStr", "totalCount") != 1.0 {
		t.Fatalf("ticketsStr=%v, want the deleted ticket", d)
	}
}

func TestB08_TicketVersionReadsOneHistoryRow(t *testing.T) {
	e := newDynamoEnv(t) // history through the table's stream
	e.startHistory(t)
	id := e.createTicket(t, adminClaims, `category: "Default", title: "v1"`)
	e.retitle(t, id, "v2", "v3")
	e.waitHistory(t, id, 3)
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q, ticketVersion: 2) { edges { node { version title isHistory } } } }`, id))
	ns := nodes(d, "tickets")
	if len(ns) != 1 || ns[0]["version"] != 2.0 || ns[0]["title"] != "v2" || ns[0]["isHistory"] != true {
		t.Fatalf("version 2=%v", ns)
	}
	d = e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { version isHistory } } } }`, id))
	ns = nodes(d, "tickets")
	if len(ns) != 1 || ns[0]["version"] != 3.0 || ns[0]["isHistory"] != false {
		t.Fatalf("live=%v", ns)
	}
}

// The next-page button on the history list, a row a page: every version
// once, newest ticket first and its versions newest first, each telling
// whether it is history though its newer versions were on the pages
// before (the next page starts after the cursor's row in the history
// index).
func TestHistoryList_PagesFollowTheCursor(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	first := e.createTicket(t, adminClaims, `category: "Default", title: "v1"`)
	e.retitle(t, first, "v2", "v3")
	second := e.createTicket(t, adminClaims, `category: "Default", title: "other"`)
	e.waitHistory(t, first, 3)
	e.waitHistory(t, second, 1)
	var got []string
	after := ""
	for range 6 {
		args := "first: 1, showHistory: true"
		if after != "" {
			args += fmt.Sprintf(", after: %q", after)
		}
		d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { totalCount pageInfo { hasNextPage endCursor } edges { node { title version isHistory } } } }`, args))
		if path(d, "tickets", "totalCount") != 4.0 {
			t.Fatalf("totalCount=%v, want 4", path(d, "tickets", "totalCount"))
		}
		for _, n := range nodes(d, "tickets") {
			got = append(got, fmt.Sprintf("%v.%v.%v", n["title"], n["version"], n["isHistory"]))
		}
		if path(d, "tickets", "pageInfo", "hasNextPage") != true {
			break
		}
		after = path(d, "tickets", "pageInfo", "endCursor").(string)
	}
	if want := "[other.1.false v3.3.false v2.2.true v1.1.true]"; fmt.Sprint(got) != want {
		t.Fatalf("pages %v, want %s", got, want)
	}
}
