package grievance

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Personal data of a directory record or a complainant's contact block.
// Phone numbers and e-mail addresses are personal data: validation errors
// name the field, never the value, so that a rejected value cannot reach a
// log line, an import report or an event through an error message.

// Sex codes, as the openIMIS gender codes.
const (
	SexMale   = "M"
	SexFemale = "F"
	SexOther  = "O"
)

// ParseSex accepts a code or its English word in any case; "" means unknown.
func ParseSex(field, s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "m", "male":
		return SexMale, nil
	case "f", "female":
		return SexFemale, nil
	case "o", "other":
		return SexOther, nil
	}
	return "", Errorf(CodeInvalid, "%s must be M, F or O.", field)
}

var phoneRE = regexp.MustCompile(`^\+?[0-9]{6,15}$`)

// ParsePhone returns a phone number without its separators (spaces, dashes,
// dots, parentheses): an optional + and 6 to 15 digits, as E.164 allows.
// Phone search is exact on this form.
func ParsePhone(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	p := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, s)
	if !phoneRE.MatchString(p) {
		return "", Errorf(CodeInvalid, "%s is not a phone number (an optional + and 6 to 15 digits).", field)
	}
	return p, nil
}

// ParseEmail returns a bare address (no display name), lower-cased
// domain kept as given; at most 254 characters.
func ParseEmail(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", Errorf(CodeInvalid, "%s is not an e-mail address.", field)
	}
	return s, nil
}

// Location limits: an administrative area path such as
// "Region/District/Village".
const (
	maxLocationLevels  = 8
	maxLocationSegment = 100
)

// ParseLocation returns an administrative area path with its segments
// trimmed: "Ainaro / Maubisse" becomes "Ainaro/Maubisse".
func ParseLocation(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	parts := strings.Split(s, "/")
	if len(parts) > maxLocationLevels {
		return "", Errorf(CodeInvalid, "%s has more than %d levels.", field, maxLocationLevels)
	}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return "", Errorf(CodeInvalid, "%s has an empty level; write levels as \"Region/District/Village\".", field)
		}
		if err := checkText(field, p, maxLocationSegment, false); err != nil {
			return "", err
		}
		parts[i] = p
	}
	return strings.Join(parts, "/"), nil
}

var (
	ageBandRE  = regexp.MustCompile(`^[0-9]{1,3}(-[0-9]{1,3}|\+)$`)
	languageRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)
)

// ParseAgeBand accepts "18-24" or "60+" style bands.
func ParseAgeBand(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || ageBandRE.MatchString(s) {
		return s, nil
	}
	return "", Errorf(CodeInvalid, "%s must be written like \"18-24\" or \"60+\".", field)
}

// ParseLanguage accepts a BCP 47 style language tag ("tet", "pt-TL").
func ParseLanguage(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || languageRE.MatchString(s) {
		return s, nil
	}
	return "", Errorf(CodeInvalid, "%s must be a language tag such as \"tet\" or \"pt-TL\".", field)
}

// ParseName validates a person's name part: one line, at most 255
// characters.
func ParseName(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if err := checkText(field, s, maxShortText, false); err != nil {
		return "", err
	}
	return s, nil
}

// maxExternalID bounds a registry id.
const maxExternalID = 100

// ParseExternalID validates a registry's id of a person: printable, one
// line, at most 100 characters.
func ParseExternalID(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", Errorf(CodeInvalid, "%s is required.", field)
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxExternalID {
		return "", Errorf(CodeInvalid, "%s is longer than %d characters.", field, maxExternalID)
	}
	if err := checkText(field, s, maxExternalID, false); err != nil {
		return "", err
	}
	return s, nil
}

// Contact is how to reach a complainant who is not in the registry
// (walk-in, phone call): it travels with the ticket and is masked with
// the reporter. An anonymous complainant leaves no contact at all: only
// the flag is stored.
type Contact struct {
	Name      string
	Phone     string
	Email     string
	Sex       string
	AgeBand   string
	Location  string
	Language  string
	Anonymous bool
}

// Normalize validates c and returns what a ticket stores: nil when c is
// empty (the contact is removed), the bare flag when c is anonymous.
func (c Contact) Normalize() (*Contact, error) {
	if c.Anonymous {
		return &Contact{Anonymous: true}, nil
	}
	var out Contact
	var err error
	if out.Name, err = ParseName("contact.name", c.Name); err != nil {
		return nil, err
	}
	if out.Phone, err = ParsePhone("contact.phone", c.Phone); err != nil {
		return nil, err
	}
	if out.Email, err = ParseEmail("contact.email", c.Email); err != nil {
		return nil, err
	}
	if out.Sex, err = ParseSex("contact.sex", c.Sex); err != nil {
		return nil, err
	}
	if out.AgeBand, err = ParseAgeBand("contact.ageBand", c.AgeBand); err != nil {
		return nil, err
	}
	if out.Location, err = ParseLocation("contact.location", c.Location); err != nil {
		return nil, err
	}
	if out.Language, err = ParseLanguage("contact.preferredLanguage", c.Language); err != nil {
		return nil, err
	}
	if out == (Contact{}) {
		return nil, nil
	}
	return &out, nil
}

// applyContact sets the contact sent with a ticket mutation (nil: not
// sent). An anonymous ticket names nobody: neither a contact nor a
// reporter record.
func applyContact(t *Ticket, sent *Contact) error {
	if sent != nil {
		c, err := sent.Normalize()
		if err != nil {
			return err
		}
		t.Contact = c
	}
	if t.Contact != nil && t.Contact.Anonymous && t.ReporterID != "" {
		return Errorf(CodeInvalid, "An anonymous ticket cannot name a reporter (reporterId).")
	}
	return nil
}
