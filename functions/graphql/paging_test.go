package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Ensure following endCursor pages through every ticket once, in order,
// and that totalCount (from the maintained counts where the key range is
// the whole answer, from the rows otherwise) stays right as tickets change
// status and are deleted.
func TestPagingAndCounts(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := range 7 {
		ids = append(ids, e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "t%d"`, i)))
	}
	e.setStatus(t, ids[1], "OPEN")
	e.setStatus(t, ids[4], "OPEN")
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteTicket(input: {ids: [%q], clientMutationId: %q}) { internalId } }`, ids[6], cmid))
	e.mustSucceed(t, adminClaims, cmid)

	for _, tc := range []struct {
		filter string
		want   string // titles, newest first unless ordered
	}{
		{``, "t5,t4,t3,t2,t1,t0"},
		{`status: OPEN`, "t4,t1"},
		{`status_Icontains: RECEIVED`, "t5,t3,t2,t0"},
		{`category: "Default"`, "t5,t4,t3,t2,t1,t0"},
		{`title_Icontains: "t"`, "t5,t4,t3,t2,t1,t0"},
		{`status: OPEN, title_Icontains: "4"`, "t4"},
		// A sortable column: the next page starts after the cursor's row
		// in the column's order.
		{`orderBy: ["title"]`, "t0,t1,t2,t3,t4,t5"},
		{`orderBy: ["-title"]`, "t5,t4,t3,t2,t1,t0"},
		{`orderBy: ["-status"]`, "t5,t3,t2,t0,t4,t1"},
		{`status_Icontains: RECEIVED, orderBy: ["title"]`, "t0,t2,t3,t5"},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			var got []string
			after := ""
			for page := 0; page < 10; page++ {
				args := "first: 2"
				if tc.filter != "" {
					args += ", " + tc.filter
				}
				if after != "" {
					args += fmt.Sprintf(", after: %q", after)
				}
				d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } }`, args))
				if total := path(d, "tickets", "totalCount"); total != float64(len(strings.Split(tc.want, ","))) {
					t.Fatalf("totalCount=%v, want %d", total, len(strings.Split(tc.want, ",")))
				}
				for _, n := range nodes(d, "tickets") {
					got = append(got, n["title"].(string))
				}
				if path(d, "tickets", "pageInfo", "hasNextPage") != true {
					break
				}
				after = path(d, "tickets", "pageInfo", "endCursor").(string)
			}
			if strings.Join(got, ",") != tc.want {
				t.Fatalf("pages gave %v, want %s", got, tc.want)
			}
		})
	}
	// Plain offset cursors (as graphql-relay makes them) still work.
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(first: 2, after: %q) { edges { node { title } } } }`, "YXJyYXljb25uZWN0aW9uOjE="))
	if got := codes(d, "tickets"); got != "t3,t2" {
		t.Fatalf("after plain cursor 1: %s, want t3,t2", got)
	}
	d = e.ok(t, adminClaims, `{ ticketsStr { totalCount } }`)
	if path(d, "ticketsStr", "totalCount") != 7.0 {
		t.Fatalf("ticketsStr totalCount=%v, want 7 (the deleted one too)", path(d, "ticketsStr", "totalCount"))
	}
}
