package grievance

import (
	"encoding/json"
	"fmt"
	"io"
)

// Person is a directory record a ticket can point at: an individual, a
// beneficiary (linked to an individual) or a staff user. Redress keeps its
// own copy of the people its tickets name; a deployment loads them from the
// programme's registry.
type Person struct {
	ID           string         `json:"id"`
	Type         PersonType     `json:"type"`
	FirstName    string         `json:"firstName,omitempty"`
	LastName     string         `json:"lastName,omitempty"`
	Dob          string         `json:"dob,omitempty"`
	Username     string         `json:"username,omitempty"`
	Roles        []string       `json:"roles,omitempty"`
	IndividualID string         `json:"individualId,omitempty"`
	JSONExt      map[string]any `json:"jsonExt,omitempty"`
	// Registry data (imports, docs/directory.md). Phone and Email are
	// personal data: never logged, never in events.
	ExternalID string `json:"externalId,omitempty"`
	Sex        string `json:"sex,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
	Location   string `json:"location,omitempty"`
	Programme  string `json:"programme,omitempty"`
	// Inactive marks a record the registry (or the user pool) no longer
	// lists as active; tickets that name it keep showing it.
	Inactive bool `json:"inactive,omitempty"`
}

// Validate checks a directory record.
func (p *Person) Validate() error {
	if !ValidUUID(p.ID) {
		return Errorf(CodeInvalid, "person id %q is not a valid UUID.", p.ID)
	}
	switch p.Type {
	case PersonIndividual, PersonBeneficiary:
	case PersonUser:
		if p.Username == "" {
			return Errorf(CodeInvalid, "user %s has no username.", p.ID)
		}
	default:
		return Errorf(CodeInvalid, "person %s has unknown type %q.", p.ID, p.Type)
	}
	if p.Type == PersonBeneficiary && p.IndividualID != "" && !ValidUUID(p.IndividualID) {
		return Errorf(CodeInvalid, "beneficiary %s has an invalid individualId.", p.ID)
	}
	if p.Dob != "" {
		if _, err := ParseDate("dob", p.Dob); err != nil {
			return err
		}
	}
	for _, f := range []struct{ n, v string }{{"firstName", p.FirstName}, {"lastName", p.LastName}, {"username", p.Username}} {
		if err := checkText(f.n, f.v, maxShortText, false); err != nil {
			return err
		}
	}
	return checkJSONExt(p.JSONExt)
}

// ParsePeople reads a directory seed: {"people": [Person, …]}.
func ParsePeople(r io.Reader) ([]Person, error) {
	var doc struct {
		People []Person `json:"people"`
		// StaffGroups (username → user-pool groups) is for the local
		// stack, which creates its user pool from the seed.
		StaffGroups map[string][]string `json:"staffGroups"`
	}
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse people: %w", err)
	}
	for i := range doc.People {
		p := &doc.People[i]
		id, err := CanonicalUUID("id", p.ID)
		if err != nil {
			return nil, fmt.Errorf("parse people: person %d: %w", i, err)
		}
		p.ID = id
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("parse people: person %d: %w", i, err)
		}
	}
	return doc.People, nil
}
