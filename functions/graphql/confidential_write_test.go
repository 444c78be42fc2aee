package main

// Write-path confidentiality (issue #12, docs/confidentiality.md) through
// the real handler: an officer may change a ticket but not lift what hides
// it from them.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestConfidentiality_WritePathRefusesUnmasking(t *testing.T) {
	e := newEnv(t)
	e.configureConfidential(t)
	const secret = "Title zebra"
	id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Sensitive", title: %q, attendingStaffId: %q`, secret, staffID))

	for _, tc := range []struct{ name, input, want string }{
		{"officer without 127007 moves the masked ticket to an open category",
			fmt.Sprintf(`id: %q, category: "Default"`, id), "needs the right to see it in full"},
		{"officer without 127007 names themself attending staff",
			fmt.Sprintf(`id: %q, category: "Sensitive", attendingStaffId: %q`, id, officerID), "needs the right to see it in full"},
		{"officer without 127007 does both at once",
			fmt.Sprintf(`id: %q, category: "Default", attendingStaffId: %q`, id, officerID), "needs the right to see it in full"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmid := uuid.NewString()
			e.ok(t, officerClaims, fmt.Sprintf(`mutation { updateTicket(input: {%s, clientMutationId: %q}) { internalId } }`, tc.input, cmid))
			e.mustFail(t, officerClaims, cmid, tc.want)
			if _, msg := e.mutationLog(t, officerClaims, cmid); strings.Contains(msg, "zebra") || strings.Contains(msg, staffID) {
				t.Fatalf("the refusal reveals a hidden value: %s", msg)
			}
			d := e.ok(t, officerClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { title category } } } }`, id))
			if n := nodes(d, "tickets"); len(n) != 1 || n[0]["title"] != "[Restricted]" || n[0]["category"] != "Sensitive" {
				t.Fatalf("after the refused mutation the officer reads %v, want the ticket still masked in Sensitive", n)
			}
		})
	}

	t.Run("officer creates a restricted ticket naming themself attending staff", func(t *testing.T) {
		cmid := uuid.NewString()
		e.ok(t, officerClaims, fmt.Sprintf(`mutation { createTicket(input: {category: "GBV", title: "x", attendingStaffId: %q, clientMutationId: %q}) { internalId } }`, officerID, cmid))
		e.mustFail(t, officerClaims, cmid, `You may not create tickets of category \"GBV\".`)
	})
}
