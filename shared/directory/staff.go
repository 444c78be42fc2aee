package directory

import (
	"reflect"
	"slices"
	"strings"

	"github.com/redress-grm/redress/shared/grievance"
)

// PoolUser is a user of the stack's user pool, as the staff sync reads it.
type PoolUser struct {
	Sub        string
	Username   string
	GivenName  string
	FamilyName string
	Enabled    bool
	Groups     []string
}

// PoolMarker prefixes the ExternalID of a directory user that mirrors a
// pool user ("cognito:<sub>"): the sync owns those records and only those.
const PoolMarker = "cognito:"

// StaffCounts tally a sync.
type StaffCounts struct {
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Unchanged   int `json:"unchanged"`
	Deactivated int `json:"deactivated"` // deleted from the pool since the last sync
}

// PlanStaffSync compares the pool with the directory's staff users and
// returns the records to store. Every pool user is a directory user with
// id = sub (or, for a user the directory already had under that username
// before any sync, that record's id, so that ids handed out earlier stay
// valid), names from the pool, roles from their groups through
// groupRoles, and Inactive when the pool disabled them. A directory user
// the pool no longer has is kept (tickets keep showing them) but marked
// inactive.
func PlanStaffSync(pool []PoolUser, current []*grievance.Person, groupRoles map[string]grievance.RoleIDs) ([]grievance.Person, StaffCounts) {
	var counts StaffCounts
	byID := map[string]*grievance.Person{}
	bySub := map[string]*grievance.Person{}
	byName := map[string]*grievance.Person{}
	for _, p := range current {
		byID[p.ID] = p
		if sub, ok := strings.CutPrefix(p.ExternalID, PoolMarker); ok {
			bySub[sub] = p
		} else {
			byName[p.Username] = p
		}
	}
	inPool := map[string]bool{}
	var out []grievance.Person
	for _, u := range pool {
		id, err := grievance.CanonicalUUID("sub", u.Sub)
		if err != nil || u.Username == "" {
			continue // not a user Cognito issues tokens for
		}
		old := bySub[u.Sub]
		if old == nil {
			old = byID[id]
		}
		if old == nil {
			old = byName[u.Username]
		}
		if old != nil {
			id = old.ID
		}
		inPool[id] = true
		want := grievance.Person{ID: id, Type: grievance.PersonUser, Username: u.Username,
			FirstName: u.GivenName, LastName: u.FamilyName, Roles: rolesOf(u.Groups, groupRoles), Groups: sortedGroups(u.Groups),
			ExternalID: PoolMarker + u.Sub, Inactive: !u.Enabled}
		if old != nil {
			want.Dob, want.JSONExt = old.Dob, old.JSONExt
		}
		switch {
		case old == nil:
			counts.Created++
		case samePerson(old, &want):
			counts.Unchanged++
			continue
		default:
			counts.Updated++
		}
		out = append(out, want)
	}
	for _, p := range current {
		if strings.HasPrefix(p.ExternalID, PoolMarker) && !inPool[p.ID] && !p.Inactive {
			gone := *p
			gone.Inactive = true
			out = append(out, gone)
			counts.Deactivated++
		}
	}
	return out, counts
}

// sortedGroups is groups in one order, so that a sync compares users
// alike whatever order the pool lists their groups in.
func sortedGroups(groups []string) []string {
	if len(groups) == 0 {
		return nil
	}
	out := slices.Clone(groups)
	slices.Sort(out)
	return slices.Compact(out)
}

func rolesOf(groups []string, groupRoles map[string]grievance.RoleIDs) []string {
	var roles []string
	for _, g := range groups {
		for _, r := range groupRoles[g] {
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	slices.Sort(roles)
	return roles
}

func samePerson(a, b *grievance.Person) bool {
	x, y := *a, *b
	if len(x.Roles) == 0 && len(y.Roles) == 0 {
		x.Roles, y.Roles = nil, nil
	}
	if len(x.Groups) == 0 && len(y.Groups) == 0 {
		x.Groups, y.Groups = nil, nil
	}
	if len(x.JSONExt) == 0 && len(y.JSONExt) == 0 {
		x.JSONExt, y.JSONExt = nil, nil
	}
	return reflect.DeepEqual(x, y)
}
