package grievance

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is a ticket's state.
type Status string

// Ticket statuses (openIMIS TicketStatus).
const (
	StatusReceived   Status = "RECEIVED"
	StatusOpen       Status = "OPEN"
	StatusInProgress Status = "IN_PROGRESS"
	StatusResolved   Status = "RESOLVED"
	StatusClosed     Status = "CLOSED"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusReceived, StatusOpen, StatusInProgress, StatusResolved, StatusClosed}

// ParseStatus returns the status named s.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(CodeInvalid, "Unknown status %q; expected one of RECEIVED, OPEN, IN_PROGRESS, RESOLVED, CLOSED.", s)
}

// PersonType is the kind of directory record a reporter or commenter is.
type PersonType string

// Person types, named as openIMIS's ContentType names.
const (
	PersonIndividual  PersonType = "individual"
	PersonBeneficiary PersonType = "beneficiary"
	PersonUser        PersonType = "user"
)

// ParsePersonType accepts a type name in any case; "" means no type.
func ParsePersonType(s string) (PersonType, error) {
	switch t := PersonType(strings.ToLower(strings.TrimSpace(s))); t {
	case "", PersonIndividual, PersonBeneficiary, PersonUser:
		return t, nil
	}
	return "", Errorf(CodeInvalid, "Unknown reporter or commenter type %q; expected individual, beneficiary or user.", s).
		WithKey("ContentType matching query does not exist.")
}

// Ticket is a grievance. Optional text fields are "" when absent.
type Ticket struct {
	ID        string
	Version   int
	IsDeleted bool
	// Seq is the ticket's number: Code is "GRS" followed by it, zero padded.
	Seq              int64
	Code             string
	Key              string
	Title            string
	Description      string
	ReporterType     PersonType
	ReporterID       string
	AttendingStaffID string
	DateOfIncident   string // YYYY-MM-DD
	Status           Status
	Priority         string
	DueDate          string // YYYY-MM-DD
	Category         string
	Flags            string
	Channel          string
	Resolution       string // "days,hours"
	// JSONExt is the free JSON object of the ticket; "comment_ids" lists
	// the ticket's comments, as the openIMIS client expects.
	JSONExt       map[string]any
	DateCreated   time.Time
	DateUpdated   time.Time
	DateValidFrom time.Time
	UserCreated   string
	UserUpdated   string
	// SLAStart is when the current service period started; zero means at
	// creation. Reopening under sla_reopen_policy "new_period" sets it.
	SLAStart time.Time
	// DateResolved is when the ticket last became RESOLVED or CLOSED; zero
	// while it is open (docs/sla.md).
	DateResolved time.Time
	// AttachmentIDs lists the ticket's clean, not deleted attachments, in
	// the order they arrived: adding or removing one is a ticket version.
	AttachmentIDs []string
	// Rating is the complainant's rating (1–5) of the outcome, given at
	// RatedAt; AppealedAt is when a low rating reopened the ticket as an
	// appeal (once per ticket).
	Rating     int
	RatedAt    time.Time
	AppealedAt time.Time
	// AcknowledgedAt is when the complainant's acknowledgement was sent
	// (zero: not yet); the notifier records it as a version of its own.
	AcknowledgedAt time.Time
	// Contact reaches a complainant who is not in the directory; never
	// changed in place (a change replaces it), so clones may share it.
	Contact *Contact
	// Source is the intake source (SourceWeb, …) of a complaint filed from
	// outside; "" for tickets staff created.
	Source string
}

// Clone returns a deep enough copy of t for an update to modify.
func (t *Ticket) Clone() *Ticket {
	c := *t
	c.JSONExt = cloneJSONObject(t.JSONExt)
	c.AttachmentIDs = slices.Clone(t.AttachmentIDs)
	return &c
}

// CommentIDs returns json_ext.comment_ids.
func (t *Ticket) CommentIDs() []string {
	raw, _ := t.JSONExt["comment_ids"].([]any)
	ids := make([]string, 0, len(raw))
	for _, v := range raw {
		if s, ok := v.(string); ok {
			ids = append(ids, s)
		}
	}
	return ids
}

func (t *Ticket) addCommentID(id string) {
	if t.JSONExt == nil {
		t.JSONExt = map[string]any{}
	}
	raw, _ := t.JSONExt["comment_ids"].([]any)
	t.JSONExt["comment_ids"] = append(raw, id)
}

// CodePrefix starts every generated ticket code.
const CodePrefix = "GRS"

// FormatCode renders the code of ticket number seq: GRS%08d.
func FormatCode(seq int64) string { return fmt.Sprintf("%s%08d", CodePrefix, seq) }

// TypedCode is a code as a complainant typed it, in the form codes are
// stored and counted in: trimmed, upper case.
func TypedCode(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// ParseCode returns the number in a generated code, or false.
func ParseCode(code string) (int64, bool) {
	if !strings.HasPrefix(code, CodePrefix) || len(code) < len(CodePrefix)+8 {
		return 0, false
	}
	digits := code[len(CodePrefix):]
	for _, r := range digits {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || FormatCode(n) != code {
		return 0, false
	}
	return n, true
}

// Field length limits, from the openIMIS columns (varchar sizes) and, for
// its unbounded text columns, limits that keep an item well inside
// DynamoDB's 400 KB.
const (
	maxShortText   = 255
	maxPriority    = 20
	maxLongText    = 10000
	maxJSONExtSize = 16 * 1024
)

// Resolution is a resolution time: days and hours.
type Resolution struct{ Days, Hours int }

var resolutionRE = regexp.MustCompile(`^([0-9]{1,2}),([0-9]{1,2})$`)

// Message keys of the openIMIS validations, kept so clients that match on
// them keep working.
const (
	KeyResolutionFormat = "validations.TicketValidation.validate_resolution.invalid_format"
	KeyResolutionDay    = "validations.TicketValidation.validate_resolution.invalid_day_value"
	KeyResolutionHour   = "validations.TicketValidation.validate_resolution.invalid_hour_value"
)

// ParseResolution parses "days,hours" with 0 <= days < 99 and
// 0 <= hours < 24 (one or two digits each, leading zeros allowed). Unlike
// Python's re.match with $, a trailing newline is rejected.
func ParseResolution(s string) (Resolution, error) {
	m := resolutionRE.FindStringSubmatch(s)
	if m == nil {
		return Resolution{}, Errorf(CodeInvalid, "Resolution time %q must be written \"days,hours\", e.g. \"5,0\".", s).WithKey(KeyResolutionFormat)
	}
	d, _ := strconv.Atoi(m[1])
	h, _ := strconv.Atoi(m[2])
	if d >= 99 {
		return Resolution{}, Errorf(CodeInvalid, "Resolution time %q: days must be between 0 and 98.", s).WithKey(KeyResolutionDay)
	}
	if h >= 24 {
		return Resolution{}, Errorf(CodeInvalid, "Resolution time %q: hours must be between 0 and 23.", s).WithKey(KeyResolutionHour)
	}
	return Resolution{d, h}, nil
}

// Duration returns the resolution time as a duration.
func (r Resolution) Duration() time.Duration {
	return time.Duration(r.Days)*24*time.Hour + time.Duration(r.Hours)*time.Hour
}

// DueDate returns the date a ticket created at created must be resolved
// by: the day on which the resolution time runs out.
func (r Resolution) DueDate(created time.Time) string {
	return created.Add(r.Duration()).Format(DateLayout)
}

// DateLayout is the wire and storage form of dates.
const DateLayout = "2006-01-02"

// ParseDate validates a YYYY-MM-DD date (real calendar dates only).
func ParseDate(field, s string) (string, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil || t.Format(DateLayout) != s {
		return "", Errorf(CodeInvalid, "%s %q is not a valid date (YYYY-MM-DD).", field, s)
	}
	if t.Year() < 1900 || t.Year() > 2999 {
		return "", Errorf(CodeInvalid, "%s %q is out of range.", field, s)
	}
	return s, nil
}

// checkText validates a text field's length and characters. Multi-line
// fields may contain newlines and tabs; no field may contain other control
// characters, which have no business in a complaint and break exports.
func checkText(field, v string, max int, multiline bool) error {
	if !utf8.ValidString(v) {
		return Errorf(CodeInvalid, "%s is not valid UTF-8 text.", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(CodeInvalid, "%s is %d characters long; the limit is %d.", field, n, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return Errorf(CodeInvalid, "%s contains a control character (U+%04X).", field, r)
		}
	}
	return nil
}

// Validate checks the shape of t's fields (not rules that need the
// configuration or the directory; the service checks those).
func (t *Ticket) Validate() error {
	for _, f := range []struct {
		name      string
		v         string
		max       int
		multiline bool
	}{
		{"title", t.Title, maxShortText, false},
		{"key", t.Key, maxShortText, false},
		{"description", t.Description, maxLongText, true},
		{"priority", t.Priority, maxPriority, false},
		{"category", t.Category, maxShortText, false},
		{"flags", t.Flags, maxShortText, false},
		{"channel", t.Channel, maxShortText, false},
		{"resolution", t.Resolution, maxShortText, false},
		{"reporterId", t.ReporterID, maxShortText, false},
	} {
		if err := checkText(f.name, f.v, f.max, f.multiline); err != nil {
			return err
		}
	}
	if t.Category == "" {
		return Errorf(CodeInvalid, "category is required.")
	}
	if _, err := ParseStatus(string(t.Status)); err != nil {
		return err
	}
	if t.Resolution != "" {
		if _, err := ParseResolution(t.Resolution); err != nil {
			return err
		}
	}
	if t.DateOfIncident != "" {
		if _, err := ParseDate("dateOfIncident", t.DateOfIncident); err != nil {
			return err
		}
	}
	if t.DueDate != "" {
		if _, err := ParseDate("dueDate", t.DueDate); err != nil {
			return err
		}
	}
	// openIMIS's client sends reporterType "user" without a reporterId
	// (its form has no user picker) and openIMIS accepts it.
	if (t.ReporterType == "") != (t.ReporterID == "") && !(t.ReporterType == PersonUser && t.ReporterID == "") {
		return Errorf(CodeInvalid, "reporterType and reporterId must be given together.")
	}
	if t.AttendingStaffID != "" && !ValidUUID(t.AttendingStaffID) {
		return Errorf(CodeInvalid, "attendingStaffId %q is not a valid UUID.", t.AttendingStaffID)
	}
	return checkJSONExt(t.JSONExt)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// ValidUUID reports whether s is a UUID (hyphens optional, any case).
func ValidUUID(s string) bool { return uuidRE.MatchString(s) }

// CanonicalUUID returns s as a lower-case hyphenated UUID, or an INVALID
// error naming field.
func CanonicalUUID(field, s string) (string, error) {
	if !ValidUUID(s) {
		return "", Errorf(CodeInvalid, "%s %q is not a valid UUID.", field, s)
	}
	h := strings.ToLower(strings.ReplaceAll(s, "-", ""))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
