package directory

import (
	"crypto/sha1"
	"fmt"
	"strings"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

// namespace is the UUID namespace of directory ids derived from registry
// ids. Changing it would give every imported person a new id, orphaning
// the tickets that name them: never change it.
var namespace = [16]byte{0x6b, 0x1f, 0x0e, 0x52, 0x3c, 0x8d, 0x4a, 0x57, 0x9e, 0x21, 0x45, 0xd0, 0x7a, 0x93, 0xc6, 0x08}

// DeriveID returns the directory id of a registry record: a name-based
// UUID (version 5, SHA-1, RFC 9562) of its type and external id. The type
// is part of the name because a registry may number individuals and
// beneficiaries independently; the same record always gets the same id,
// so re-imports update instead of duplicating.
func DeriveID(typ grievance.PersonType, externalID string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(string(typ) + ":" + externalID))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// ParseRow validates a row's fields and returns the directory record they
// describe. today bounds dates of birth. Errors are *grievance.Error
// values whose messages never contain a phone number or an e-mail address.
func ParseRow(f map[string]string, today time.Time) (grievance.Person, error) {
	var p grievance.Person
	var err error
	typ := strings.ToLower(strings.TrimSpace(f["type"]))
	switch grievance.PersonType(typ) {
	case grievance.PersonIndividual, grievance.PersonBeneficiary:
		p.Type = grievance.PersonType(typ)
	case "":
		return p, grievance.Errorf(grievance.CodeInvalid, "type is required (individual or beneficiary).")
	default:
		return p, grievance.Errorf(grievance.CodeInvalid, "type %q is not individual or beneficiary (staff users come from the user pool).", typ)
	}
	if p.ExternalID, err = grievance.ParseExternalID("external_id", f["external_id"]); err != nil {
		return p, err
	}
	if id := strings.TrimSpace(f["id"]); id != "" {
		if p.ID, err = grievance.CanonicalUUID("id", id); err != nil {
			return p, err
		}
	} else {
		p.ID = DeriveID(p.Type, p.ExternalID)
	}
	if p.FirstName, err = grievance.ParseName("first_name", f["first_name"]); err != nil {
		return p, err
	}
	if p.LastName, err = grievance.ParseName("last_name", f["last_name"]); err != nil {
		return p, err
	}
	if p.FirstName == "" && p.LastName == "" {
		return p, grievance.Errorf(grievance.CodeInvalid, "first_name or last_name is required.")
	}
	if dob := strings.TrimSpace(f["dob"]); dob != "" {
		if p.Dob, err = grievance.ParseDate("dob", dob); err != nil {
			return p, err
		}
		if p.Dob > today.Format(grievance.DateLayout) {
			return p, grievance.Errorf(grievance.CodeInvalid, "dob %q is in the future.", dob)
		}
	}
	if p.Sex, err = grievance.ParseSex("sex", f["sex"]); err != nil {
		return p, err
	}
	if p.Phone, err = grievance.ParsePhone("phone", f["phone"]); err != nil {
		return p, err
	}
	if p.Email, err = grievance.ParseEmail("email", f["email"]); err != nil {
		return p, err
	}
	if p.Location, err = grievance.ParseLocation("location", f["location"]); err != nil {
		return p, err
	}
	if p.Programme, err = grievance.ParseName("programme", f["programme"]); err != nil {
		return p, err
	}
	// A beneficiary names its individual by registry id, or by directory
	// id when the individual was imported with one (the "id" column).
	ind, indID := strings.TrimSpace(f["individual_external_id"]), strings.TrimSpace(f["individual_id"])
	if p.Type == grievance.PersonBeneficiary {
		if p.Programme == "" {
			return p, grievance.Errorf(grievance.CodeInvalid, "programme is required for a beneficiary.")
		}
		switch {
		case ind != "" && indID != "":
			return p, grievance.Errorf(grievance.CodeInvalid, "give individual_external_id or individual_id, not both.")
		case ind != "":
			if ind, err = grievance.ParseExternalID("individual_external_id", ind); err != nil {
				return p, err
			}
			p.IndividualID = DeriveID(grievance.PersonIndividual, ind)
		case indID != "":
			if p.IndividualID, err = grievance.CanonicalUUID("individual_id", indID); err != nil {
				return p, err
			}
		}
	} else if ind != "" || indID != "" {
		return p, grievance.Errorf(grievance.CodeInvalid, "individual_external_id and individual_id are only for beneficiaries.")
	}
	switch strings.ToLower(strings.TrimSpace(f["active"])) {
	case "", "true", "1", "yes", "y":
	case "false", "0", "no", "n":
		p.Inactive = true
	default:
		return p, grievance.Errorf(grievance.CodeInvalid, "active must be true or false.")
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, nil
}

// ProgrammeID is the id of the benefit plan a programme code names.
func ProgrammeID(code string) string { return DeriveID("benefitPlan", code) }

// RowOf returns the import row of an individual or beneficiary: the
// fields ParseRow reads back as the same record (the local stack imports
// its seed this way). What the format has no column for (a username,
// roles, free JSON) is an error rather than silently dropped, and so is a
// staff user, whom imports refuse.
func RowOf(p grievance.Person) (map[string]string, error) {
	if p.Type != grievance.PersonIndividual && p.Type != grievance.PersonBeneficiary {
		return nil, fmt.Errorf("person %s: type %q cannot be imported (staff users come from the user pool)", p.ID, p.Type)
	}
	switch {
	case p.Username != "":
		return nil, fmt.Errorf("person %s: the import format has no username", p.ID)
	case len(p.Roles) > 0:
		return nil, fmt.Errorf("person %s: the import format has no roles", p.ID)
	case len(p.JSONExt) > 0:
		return nil, fmt.Errorf("person %s: the import format has no jsonExt; use its columns (location, programme …)", p.ID)
	}
	f := map[string]string{"id": p.ID, "external_id": p.ExternalID, "type": string(p.Type), "first_name": p.FirstName,
		"last_name": p.LastName, "dob": p.Dob, "sex": p.Sex, "phone": p.Phone, "email": p.Email, "location": p.Location,
		"programme": p.Programme, "individual_id": p.IndividualID}
	if p.Inactive {
		f["active"] = "false"
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f, nil
}
