package grievance

// Person is a directory record a ticket can point at: an individual, a
// beneficiary (linked to an individual) or a staff user. Redress keeps its
// own copy of the people its tickets name; a deployment loads them from the
// programme's registry.
type Person struct {
	ID        string     `json:"id"`
	Type      PersonType `json:"type"`
	FirstName string     `json:"firstName,omitempty"`
	LastName  string     `json:"lastName,omitempty"`
	Dob       string     `json:"dob,omitempty"`
	Username  string     `json:"username,omitempty"`
	Roles     []string   `json:"roles,omitempty"`
	// Groups are a staff user's identity-provider groups (the user pool's,
	// kept by the staff sync), which role_rights turns into rights: what
	// the notifier checks before it tells a user of a ticket.
	Groups       []string       `json:"groups,omitempty"`
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
