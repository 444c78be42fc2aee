package directory

import (
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

func TestPlanStaffSync(t *testing.T) {
	const (
		subA = "11111111-1111-4111-8111-111111111111"
		subB = "22222222-2222-4222-8222-222222222222"
		subC = "33333333-3333-4333-8333-333333333333"
		seed = "92f6450c-efe8-5899-ae45-671c4543b555"
	)
	roles := map[string]grievance.RoleIDs{"GrievanceOfficer": {"2", "1"}, "GrievanceViewer": {"3"}}
	current := []*grievance.Person{
		{ID: seed, Type: grievance.PersonUser, Username: "alice", Roles: []string{"1"}, Dob: "1988-01-15"},
		{ID: subB, Type: grievance.PersonUser, Username: "bob", FirstName: "Bob", Roles: []string{"3"}, Groups: []string{"GrievanceViewer", "Staff"}, ExternalID: PoolMarker + subB},
		{ID: subC, Type: grievance.PersonUser, Username: "carol", Roles: []string{"3"}, ExternalID: PoolMarker + subC},
	}
	pool := []PoolUser{
		{Sub: subA, Username: "alice", GivenName: "Alice", FamilyName: "Officer", Enabled: true, Groups: []string{"GrievanceOfficer", "GrievanceViewer"}},
		// The pool lists groups in any order: bob is unchanged.
		{Sub: subB, Username: "bob", GivenName: "Bob", Enabled: true, Groups: []string{"Staff", "GrievanceViewer", "Staff"}},
		{Sub: "44444444-4444-4444-8444-444444444444", Username: "dora", Enabled: false, Groups: []string{"Unmapped"}},
		{Sub: "not-a-uuid", Username: "x", Enabled: true},
	}
	out, counts := PlanStaffSync(pool, current, roles)
	if counts != (StaffCounts{Created: 1, Updated: 1, Unchanged: 1, Deactivated: 1}) {
		t.Fatalf("counts = %+v", counts)
	}
	got := map[string]grievance.Person{}
	for _, p := range out {
		got[p.Username] = p
	}
	if a := got["alice"]; a.ID != seed || a.Dob != "1988-01-15" || a.FirstName != "Alice" || len(a.Roles) != 3 || a.Roles[0] != "1" || a.ExternalID != PoolMarker+subA ||
		strings.Join(a.Groups, ",") != "GrievanceOfficer,GrievanceViewer" {
		t.Fatalf("seeded alice keeps her id and gets the pool's data (her groups too, for her rights): %+v", a)
	}
	if d := got["dora"]; !d.Inactive || len(d.Roles) != 0 || d.ID != "44444444-4444-4444-8444-444444444444" {
		t.Fatalf("disabled dora = %+v", d)
	}
	if c := got["carol"]; !c.Inactive || c.ID != subC {
		t.Fatalf("deleted carol = %+v", c)
	}
	if _, ok := got["bob"]; ok {
		t.Fatal("unchanged bob is rewritten")
	}
	// The next sync over the result changes nothing.
	var next []*grievance.Person
	for _, p := range current {
		if q, ok := got[p.Username]; ok {
			next = append(next, &q)
		} else {
			next = append(next, p)
		}
	}
	next = append(next, func() *grievance.Person { d := got["dora"]; return &d }())
	if out, c := PlanStaffSync(pool, next, roles); len(out) != 0 || c.Unchanged != 3 {
		t.Fatalf("second sync: %d changes, counts %+v", len(out), c)
	}
}
