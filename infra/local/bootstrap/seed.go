package bootstrap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
)

// Seed is the local stack's directory seed (SEED_FILE), split the way a
// deployed stack's directory is filled: staff users for the user pool
// (staffsync makes them directory users) and individuals and
// beneficiaries as a registry import file (the importer loads it).
//
// The file is {"people": [Person, …], "staffGroups": {username: [group, …]}}
// with people as grievance.Person's JSON. A staff user's id becomes their
// pool sub; other people are imported with their ids, so tickets and
// tokens that name seeded people by id keep working. A person without an
// externalId gets their id as registry id.
type Seed struct {
	Staff []PoolUser
	// Registry is a JSON Lines import file of the other people (nil when
	// there are none), Rows its number of rows.
	Registry []byte
	Rows     int
}

// ReadSeed reads and converts a seed file. Fields that the pool or the
// import format cannot carry (a staff user's roles, which come from their
// groups through group_roles; free JSON) are errors, not silently lost.
func ReadSeed(path string) (Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("seed: %w", err)
	}
	var doc struct {
		People      []grievance.Person  `json:"people"`
		StaffGroups map[string][]string `json:"staffGroups"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Seed{}, fmt.Errorf("seed %s: %w", path, err)
	}
	var s Seed
	var rows bytes.Buffer
	for i, p := range doc.People {
		if p.ID, err = grievance.CanonicalUUID("id", p.ID); err != nil {
			return Seed{}, fmt.Errorf("seed %s: person %d: %w", path, i, err)
		}
		if err := p.Validate(); err != nil {
			return Seed{}, fmt.Errorf("seed %s: person %d: %w", path, i, err)
		}
		if p.Type == grievance.PersonUser {
			if len(p.Roles) > 0 || p.Dob != "" || len(p.JSONExt) > 0 || p.ExternalID != "" || p.Phone != "" || p.Email != "" {
				return Seed{}, fmt.Errorf("seed %s: staff user %s: only id, username, firstName, lastName and inactive can be seeded (roles come from staffGroups through group_roles)", path, p.Username)
			}
			s.Staff = append(s.Staff, PoolUser{Sub: p.ID, Username: p.Username, GivenName: p.FirstName, FamilyName: p.LastName,
				Groups: doc.StaffGroups[p.Username], Disabled: p.Inactive})
			continue
		}
		if p.ExternalID == "" {
			p.ExternalID = p.ID
		}
		f, err := directory.RowOf(p)
		if err != nil {
			return Seed{}, fmt.Errorf("seed %s: %w", path, err)
		}
		line, err := json.Marshal(f)
		if err != nil {
			return Seed{}, err
		}
		rows.Write(append(line, '\n'))
		s.Rows++
	}
	if s.Rows > 0 {
		s.Registry = rows.Bytes()
	}
	return s, nil
}
