package main

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

// Ensure createTicket computes the due date from the ticket's resolution
// time, else its category's default resolution, else resolution_times, and
// keeps a due date the client sends.
func TestDueDateComputedAtCreate(t *testing.T) {
	e := newEnv(t) // the clock starts at 2026-11-20 09:00 UTC
	for _, tc := range []struct{ fields, want string }{
		{`category: "Default", resolution: "2,0"`, "2026-11-22"},
		{`category: "Default", resolution: "0,20"`, "2026-11-21"},
		{`category: "Category B"`, "2026-11-26"}, // default_resolution 6,12
		{`category: "Category A"`, "2026-11-24"}, // 4,0
		{`category: "Default", dueDate: "2027-01-31"`, "2027-01-31"},
	} {
		id := e.createTicket(t, adminClaims, tc.fields)
		if got := e.ticket(t, id).DueDate; got != tc.want {
			t.Errorf("%s: dueDate=%s, want %s", tc.fields, got, tc.want)
		}
	}
	// With the category's entry removed, resolution_times applies.
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateGrievanceConfig(input: {config: "{\"resolution_times\": \"1,0\", \"default_resolution\": {}}", clientMutationId: %q}) { internalId } }`, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	id := e.createTicket(t, adminClaims, `category: "Category B"`)
	if got := e.ticket(t, id).DueDate; got != "2026-11-21" {
		t.Errorf("resolution_times fallback: dueDate=%s, want 2026-11-21", got)
	}
}

// Ensure category, flags and channel must be configured values, with an
// error naming the allowed ones, and that the attending staff must hold a
// role configured for the category.
func TestConfiguredValuesAndStaffRoles(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ fields, want string }{
		{`category: "Nope"`, `category \"Nope\" is not a configured grievance type; allowed: \"Default\", \"Category A\", \"Category B\"`},
		{`category: "Default", flags: "Flag Z"`, `flag \"Flag Z\" is not a configured grievance flag`},
		{`category: "Default", channel: "Pigeon"`, `channel \"Pigeon\" is not a configured grievance channel`},
		// viewer holds role 3; Default requires role 1 or 2.
		{fmt.Sprintf(`category: "Default", attendingStaffId: %q`, viewerID), `holds none of the roles required for category \"Default\"`},
	} {
		cmid := uuid.NewString()
		e.ok(t, adminClaims, fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q}) { internalId } }`, tc.fields, cmid))
		e.mustFail(t, adminClaims, cmid, tc.want)
	}
	// A JSON list of configured flags is accepted (later openIMIS clients).
	e.createTicket(t, adminClaims, `category: "Default", flags: "[\"Flag A\", \"Flag B\"]"`)
	// Category A has no staff roles configured: any user may attend.
	e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Category A", attendingStaffId: %q`, viewerID))
}
