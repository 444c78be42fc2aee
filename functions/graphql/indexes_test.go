package main

import (
	"fmt"
	"testing"
)

// Ensure the lists by attending staff and by reporter find their tickets
// in DynamoDB. They are the only readers of Main's staff and reporter
// indexes, so this test is also what records those queries for the
// permission check of infra/ (docs/deploy.md, "Permissions").
func TestTickets_ByStaffAndByReporterFindTheirTickets(t *testing.T) {
	e := newDynamoEnv(t)
	id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "indexes", reporterType: "individual", reporterId: %q, attendingStaffId: %q`, individualID, staffID))
	e.createTicket(t, adminClaims, `category: "Default", title: "someone else's"`)
	for _, filter := range []string{
		fmt.Sprintf(`attendingStaff_Id: %q`, staffID),
		fmt.Sprintf(`reporterId: %q`, individualID),
	} {
		ns := nodes(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { edges { node { id } } } }`, filter)), "tickets")
		if len(ns) != 1 || rawID(t, fmt.Sprint(ns[0]["id"])) != id {
			t.Errorf("tickets(%s)=%v, want only %s", filter, ns, id)
		}
	}
}
