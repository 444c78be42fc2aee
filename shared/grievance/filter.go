package grievance

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Lookup is a django-filter lookup, as the openIMIS API names them.
type Lookup string

// Lookups.
const (
	Exact       Lookup = "exact"
	IStartsWith Lookup = "istartswith"
	IContains   Lookup = "icontains"
	IExact      Lookup = "iexact"
	IsNull      Lookup = "isnull"
)

// Filter is one condition of a list query: Field (openIMIS snake_case name,
// e.g. "title" or "attending_staff__username"), a lookup and a value
// (string, bool or int). Filters are ANDed.
type Filter struct {
	Field  string
	Lookup Lookup
	Value  any
}

// FormatDateTime renders t as openIMIS (Python's isoformat) does: ISO-8601
// without a zone (UTC here), with exactly six fractional digits unless the
// microseconds are zero, in which case there is no fraction.
func FormatDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format("2006-01-02T15:04:05.000000")
}

type valueKind int

const (
	kindText valueKind = iota
	kindUUID
	kindInt
	kindBool
	kindStatus
	kindDate
)

type field[T any] struct {
	kind    valueKind
	lookups []Lookup
	text    func(T) string // textual value for text lookups
	isNull  func(T) bool
	boolean func(T) bool
	number  func(T) int
}

var textLookups = []Lookup{Exact, IStartsWith, IContains, IExact}

func textField[T any](get func(T) string) field[T] {
	return field[T]{kind: kindText, lookups: textLookups, text: get}
}

var ticketFields = map[string]field[*Ticket]{
	"id":                  {kind: kindUUID, lookups: []Lookup{Exact, IsNull}, text: func(t *Ticket) string { return t.ID }, isNull: func(t *Ticket) bool { return t.ID == "" }},
	"version":             {kind: kindInt, lookups: []Lookup{Exact}, number: func(t *Ticket) int { return t.Version }},
	"key":                 textField(func(t *Ticket) string { return t.Key }),
	"code":                textField(func(t *Ticket) string { return t.Code }),
	"title":               textField(func(t *Ticket) string { return t.Title }),
	"description":         textField(func(t *Ticket) string { return t.Description }),
	"priority":            textField(func(t *Ticket) string { return t.Priority }),
	"category":            textField(func(t *Ticket) string { return t.Category }),
	"flags":               textField(func(t *Ticket) string { return t.Flags }),
	"channel":             textField(func(t *Ticket) string { return t.Channel }),
	"resolution":          textField(func(t *Ticket) string { return t.Resolution }),
	"status":              {kind: kindStatus, lookups: textLookups, text: func(t *Ticket) string { return string(t.Status) }},
	"reporter_id":         {kind: kindText, lookups: []Lookup{Exact}, text: func(t *Ticket) string { return t.ReporterID }},
	"due_date":            {kind: kindDate, lookups: textLookups, text: func(t *Ticket) string { return t.DueDate }},
	"date_of_incident":    {kind: kindDate, lookups: textLookups, text: func(t *Ticket) string { return t.DateOfIncident }},
	"date_created":        {kind: kindText, lookups: textLookups, text: func(t *Ticket) string { return FormatDateTime(t.DateCreated) }},
	"attending_staff__id": {kind: kindUUID, lookups: []Lookup{Exact}, text: func(t *Ticket) string { return t.AttendingStaffID }},
	// attending_staff__username is resolved to staff ids by the service.
}

var commentFields = map[string]field[*Comment]{
	"id":            {kind: kindUUID, lookups: []Lookup{Exact, IsNull}, text: func(c *Comment) string { return c.ID }, isNull: func(c *Comment) bool { return c.ID == "" }},
	"comment":       textField(func(c *Comment) string { return c.Comment }),
	"date_created":  textField(func(c *Comment) string { return FormatDateTime(c.DateCreated) }),
	"is_resolution": {kind: kindBool, lookups: []Lookup{Exact}, boolean: func(c *Comment) bool { return c.IsResolution }},
}

// StaffUsernameField is the ticket filter on the attending staff's username.
const StaffUsernameField = "attending_staff__username"

// normalizeFilters drops empty values (openIMIS ignores "", null and empty
// lists) and checks every field, lookup and value against fields.
func normalizeFilters[T any](fields map[string]field[T], extra func(Filter) (bool, error), fs []Filter) ([]Filter, error) {
	out := make([]Filter, 0, len(fs))
	for _, f := range fs {
		if f.Value == nil {
			continue
		}
		if s, ok := f.Value.(string); ok && s == "" {
			continue
		}
		if f.Lookup == "" {
			f.Lookup = Exact
		}
		if err := checkFilterLength(f); err != nil {
			return nil, err
		}
		if extra != nil {
			handled, err := extra(f)
			if err != nil {
				return nil, err
			}
			if handled {
				out = append(out, f)
				continue
			}
		}
		def, ok := fields[f.Field]
		if !ok || !slices.Contains(def.lookups, f.Lookup) {
			return nil, Errorf(CodeInvalid, "Filtering on %s with lookup %s is not supported.", f.Field, f.Lookup)
		}
		v, err := normalizeValue(def.kind, f)
		if err != nil {
			return nil, err
		}
		f.Value = v
		out = append(out, f)
	}
	return out, nil
}

// checkFilterLength bounds a filter's text: no stored value is longer
// than its field's limit, so a longer one can match nothing, and some
// become storage keys (category, reporter), which DynamoDB refuses over
// 2 KB. Only the long-text fields take long values.
func checkFilterLength(f Filter) error {
	max := maxShortText
	if f.Field == "description" || f.Field == "comment" {
		max = maxLongText
	}
	check := func(v any) error {
		if s, ok := v.(string); ok {
			if n := utf8.RuneCountInString(s); n > max {
				return Errorf(CodeInvalid, "The %s filter is %d characters long; the limit is %d.", f.Field, n, max)
			}
		}
		return nil
	}
	switch vs := f.Value.(type) {
	case []string:
		for _, v := range vs {
			if err := check(v); err != nil {
				return err
			}
		}
	case []any:
		for _, v := range vs {
			if err := check(v); err != nil {
				return err
			}
		}
	}
	return check(f.Value)
}

func normalizeValue(kind valueKind, f Filter) (any, error) {
	if f.Lookup == IsNull {
		b, ok := f.Value.(bool)
		if !ok {
			return nil, Errorf(CodeInvalid, "%s__isnull takes true or false.", f.Field)
		}
		return b, nil
	}
	switch kind {
	case kindBool:
		b, ok := f.Value.(bool)
		if !ok {
			return nil, Errorf(CodeInvalid, "%s takes true or false.", f.Field)
		}
		return b, nil
	case kindInt:
		switch v := f.Value.(type) {
		case int:
			return v, nil
		case string:
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, Errorf(CodeInvalid, "%s takes a whole number.", f.Field)
			}
			return n, nil
		}
		return nil, Errorf(CodeInvalid, "%s takes a whole number.", f.Field)
	}
	s, ok := f.Value.(string)
	if !ok {
		s = fmt.Sprint(f.Value)
	}
	switch kind {
	case kindUUID:
		id, err := CanonicalUUID(f.Field, s)
		if err != nil {
			return nil, Errorf(CodeInvalid, "{'%s': ['Enter a valid UUID.']}", strings.TrimSuffix(f.Field, "__id"))
		}
		return id, nil
	case kindStatus:
		if f.Lookup == Exact {
			if _, err := ParseStatus(s); err != nil {
				return nil, err
			}
		}
	case kindDate:
		if f.Lookup == Exact {
			if _, err := ParseDate(f.Field, s); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func matchField[T any](def field[T], f Filter, x T) bool {
	if f.Lookup == IsNull {
		return def.isNull(x) == f.Value.(bool)
	}
	switch def.kind {
	case kindBool:
		return def.boolean(x) == f.Value.(bool)
	case kindInt:
		return def.number(x) == f.Value.(int)
	}
	return matchText(def.text(x), f.Lookup, f.Value.(string))
}

func matchText(have string, l Lookup, want string) bool {
	switch l {
	case Exact:
		return have == want
	case IExact:
		return strings.EqualFold(have, want)
	case IStartsWith:
		return strings.HasPrefix(strings.ToLower(have), strings.ToLower(want))
	case IContains:
		return strings.Contains(strings.ToLower(have), strings.ToLower(want))
	}
	return false
}

// matchesTicket reports whether t satisfies every filter (the username
// filter must have been turned into staff ids already).
func matchesTicket(fs []Filter, staffIDs map[string]bool, t *Ticket) bool {
	for _, f := range fs {
		if f.Field == StaffUsernameField {
			if !staffIDs[t.AttendingStaffID] {
				return false
			}
			continue
		}
		if !matchField(ticketFields[f.Field], f, t) {
			return false
		}
	}
	return true
}

// statusesMatching returns the statuses a status filter can match.
func statusesMatching(f Filter) []Status {
	var out []Status
	for _, s := range Statuses {
		if matchText(string(s), f.Lookup, f.Value.(string)) {
			out = append(out, s)
		}
	}
	return out
}
