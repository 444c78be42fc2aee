package grievance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf16"
)

// Notifications (docs/notifications.md): which message goes to whom, in
// which language, by which channel, with which text. The configuration key
// "notifications" holds the templates; they are validated when the
// configuration is stored, so a template that cannot be rendered, lacks the
// default language or would cost more than MaxSMSSegments per SMS never
// reaches the notifier.

// Channel is how a message travels.
type Channel string

// Channels.
const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Message kinds: the template keys. Complainant messages have sms and
// email templates; staff messages email templates only.
const (
	MsgAcknowledgement = "acknowledgement" // ticket.created
	MsgStatusChanged   = "status_changed"  // ticket.status-changed (not resolve/reopen)
	MsgResolved        = "resolved"        // ticket.resolved
	MsgRatingRequest   = "rating_request"  // with ticket.resolved
	MsgReopened        = "reopened"        // ticket.reopened
	MsgPublicComment   = "public_comment"  // a comment marked public
	// MsgNeutral replaces every complainant message of a confidential
	// ticket: a code and a neutral sentence, nothing else.
	MsgNeutral       = "neutral"
	MsgStaffAssigned = "staff_assigned"
	MsgStaffOverdue  = "staff_overdue"
	MsgStaffEscalate = "staff_escalated"
	// MsgStaffNeutral replaces staff messages of a confidential ticket:
	// a link to the ticket instead of anything quoted from it.
	MsgStaffNeutral = "staff_neutral"
)

// Placeholders a template may use: {code}, {status}, {due_date},
// {tracking} (the language's tracking instructions), {category} and {link}
// (the staff link to the ticket). Which kinds allow which is fixed here.
var (
	complainantPlaceholders = []string{"code", "status", "due_date", "tracking", "category"}
	neutralPlaceholders     = []string{"code", "tracking"}
	staffPlaceholders       = []string{"code", "status", "due_date", "category", "link"}
	staffNeutralHolders     = []string{"code", "link"}
	messageKinds            = map[string][]string{
		MsgAcknowledgement: complainantPlaceholders, MsgStatusChanged: complainantPlaceholders,
		MsgResolved: complainantPlaceholders, MsgRatingRequest: neutralPlaceholders,
		MsgReopened: complainantPlaceholders, MsgPublicComment: complainantPlaceholders,
		MsgNeutral:       neutralPlaceholders,
		MsgStaffAssigned: staffPlaceholders, MsgStaffOverdue: staffPlaceholders, MsgStaffEscalate: staffPlaceholders,
		MsgStaffNeutral: staffNeutralHolders,
	}
)

// staffKind reports whether kind goes to staff (by email only).
func staffKind(kind string) bool { return strings.HasPrefix(kind, "staff_") }

// MaxSMSSegments bounds an SMS: a longer one costs more segments than a
// notice is worth and some handsets reassemble it badly.
const MaxSMSSegments = 3

// NotificationConfig is the configuration key "notifications".
type NotificationConfig struct {
	// Enabled false sends nothing (events are still taken and dropped).
	Enabled bool `json:"enabled"`
	// DefaultLanguage is used when the complainant's language has no
	// template; every template must exist in it.
	DefaultLanguage string `json:"default_language"`
	// PreferredChannel is used when a complainant has both a phone and an
	// e-mail address.
	PreferredChannel Channel `json:"preferred_channel"`
	// Tracking holds, per language, the tracking instructions {tracking}
	// renders; {code} inside them is the ticket's code.
	Tracking map[string]string `json:"tracking_instructions"`
	// StaffLink renders {link}: a URL template with {id}, the ticket id.
	StaffLink string `json:"staff_link"`
	// QuietHours, when set, hold SMS back between Start and End local time.
	QuietHours *QuietHours `json:"quiet_hours,omitempty"`
	// AcknowledgementTargetHours is the published acknowledgement time
	// the statistics measure against.
	AcknowledgementTargetHours int `json:"acknowledgement_target_hours"`
	// A rating at or below AppealThreshold given within AppealWithinDays of
	// the resolution reopens the ticket as an appeal, once.
	AppealThreshold  int `json:"appeal_threshold"`
	AppealWithinDays int `json:"appeal_within_days"`
	// Templates maps message kind → language → channel → text. The first
	// line of an e-mail template is its subject.
	Templates map[string]map[string]map[Channel]string `json:"templates"`
}

// QuietHours is a daily window ("21:00"–"07:00", may wrap midnight) in a
// fixed offset from UTC during which no SMS is sent.
type QuietHours struct {
	Start         string `json:"start"`
	End           string `json:"end"`
	UTCOffsetMins int    `json:"utc_offset_minutes"`
}

var clockRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

func minutesOf(hhmm string) int {
	var h, m int
	fmt.Sscanf(hhmm, "%d:%d", &h, &m)
	return h*60 + m
}

// Until returns, when now falls inside the window, the time it ends.
func (q *QuietHours) Until(now time.Time) (time.Time, bool) {
	if q == nil {
		return time.Time{}, false
	}
	loc := time.FixedZone("quiet", q.UTCOffsetMins*60)
	l := now.In(loc)
	cur := l.Hour()*60 + l.Minute()
	start, end := minutesOf(q.Start), minutesOf(q.End)
	inside := start <= cur && cur < end
	if start > end { // wraps midnight
		inside = cur >= start || cur < end
	}
	if !inside {
		return time.Time{}, false
	}
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	until := day.Add(time.Duration(end) * time.Minute)
	if !until.After(l) {
		until = until.Add(24 * time.Hour)
	}
	return until, true
}

// DefaultNotifications returns the built-in English templates: a stack
// acknowledges complaints before anyone has written a template.
func DefaultNotifications() NotificationConfig {
	sms := func(s string) map[string]map[Channel]string {
		return map[string]map[Channel]string{"en": {ChannelSMS: s, ChannelEmail: "Your grievance {code}\n" + s}}
	}
	staff := func(subject, body string) map[string]map[Channel]string {
		return map[string]map[Channel]string{"en": {ChannelEmail: subject + "\n" + body}}
	}
	return NotificationConfig{
		Enabled:                    true,
		DefaultLanguage:            "en",
		PreferredChannel:           ChannelSMS,
		Tracking:                   map[string]string{"en": "To follow it, reply STATUS {code} and your tracking secret."},
		StaffLink:                  "https://redress.example/tickets/{id}",
		AcknowledgementTargetHours: 48,
		AppealThreshold:            2,
		AppealWithinDays:           30,
		Templates: map[string]map[string]map[Channel]string{
			MsgAcknowledgement: sms("We received your grievance {code}. We aim to answer by {due_date}. {tracking}"),
			MsgStatusChanged:   sms("Your grievance {code} is now {status}. {tracking}"),
			MsgResolved:        sms("Your grievance {code} has been resolved. {tracking}"),
			MsgRatingRequest:   sms("How satisfied are you with the outcome of {code}? Reply RATE {code} and a number from 1 (not at all) to 5 (fully)."),
			MsgReopened:        sms("Your grievance {code} has been reopened. {tracking}"),
			MsgPublicComment:   sms("There is news on your grievance {code}. {tracking}"),
			MsgNeutral:         sms("Your case {code} has been updated."),
			MsgStaffAssigned:   staff("Ticket {code} assigned to you", "Ticket {code} ({category}, due {due_date}) is assigned to you: {link}"),
			MsgStaffOverdue:    staff("Ticket {code} is overdue", "Ticket {code} ({category}) was due {due_date} and is still {status}: {link}"),
			MsgStaffEscalate:   staff("Ticket {code} escalated", "Ticket {code} ({category}) was due {due_date} and has been escalated: {link}"),
			MsgStaffNeutral:    staff("Ticket {code} needs your attention", "Ticket {code} needs your attention: {link}"),
		},
	}
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// placeholders returns the names a template uses, or an error for a brace
// that opens no placeholder.
func placeholders(text string) ([]string, error) {
	var names []string
	rest := placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
		names = append(names, m[1:len(m)-1])
		return ""
	})
	if strings.ContainsAny(rest, "{}") {
		return nil, fmt.Errorf("has an unmatched brace")
	}
	return names, nil
}

// validate checks the notification templates against the rest of the
// configuration (category names bound {category}'s length).
func (n *NotificationConfig) validate(c *Config) error {
	bad := func(format string, args ...any) error {
		return Errorf(CodeInvalid, "notifications: "+format, args...)
	}
	if n.PreferredChannel != ChannelSMS && n.PreferredChannel != ChannelEmail {
		return bad("preferred_channel must be \"sms\" or \"email\".")
	}
	if _, err := ParseLanguage("default_language", n.DefaultLanguage); err != nil || n.DefaultLanguage == "" {
		return bad("default_language must be a language tag such as \"en\".")
	}
	if q := n.QuietHours; q != nil {
		if !clockRE.MatchString(q.Start) || !clockRE.MatchString(q.End) || q.Start == q.End {
			return bad("quiet_hours start and end must be different HH:MM times.")
		}
		if q.UTCOffsetMins < -14*60 || q.UTCOffsetMins > 14*60 {
			return bad("quiet_hours utc_offset_minutes must be within ±840.")
		}
	}
	if n.AcknowledgementTargetHours < 0 || n.AppealWithinDays < 0 || n.AppealThreshold < 0 || n.AppealThreshold > 5 {
		return bad("acknowledgement_target_hours and appeal_within_days must not be negative, appeal_threshold must be 0 to 5.")
	}
	if strings.Count(n.StaffLink, "{id}") != 1 {
		return bad("staff_link must contain {id} once.")
	}
	for lang, text := range n.Tracking {
		names, err := placeholders(text)
		if err != nil {
			return bad("tracking_instructions[%q] %v.", lang, err)
		}
		for _, p := range names {
			if p != "code" {
				return bad("tracking_instructions[%q] uses {%s}; only {code} is known there.", lang, p)
			}
		}
	}
	for _, kind := range sortedKeys(n.Templates) {
		allowed, ok := messageKinds[kind]
		if !ok {
			return bad("unknown message %q (known: %s).", kind, quoteList(sortedKeys(messageKinds)))
		}
		langs := n.Templates[kind]
		if _, ok := langs[n.DefaultLanguage]; !ok {
			return bad("message %q has no template in the default language %q.", kind, n.DefaultLanguage)
		}
		for _, lang := range sortedKeys(langs) {
			if _, err := ParseLanguage("language", lang); err != nil {
				return bad("message %q: %q is not a language tag.", kind, lang)
			}
			chans := langs[lang]
			for _, ch := range sortedKeys(chans) {
				if err := n.validateTemplate(c, kind, lang, ch, chans[ch], allowed); err != nil {
					return err
				}
			}
		}
	}
	for _, kind := range []string{MsgNeutral, MsgStaffNeutral} {
		if _, ok := n.Templates[kind]; !ok {
			return bad("message %q is required: confidential tickets get nothing else.", kind)
		}
	}
	return nil
}

func (n *NotificationConfig) validateTemplate(c *Config, kind, lang string, ch Channel, text string, allowed []string) error {
	where := fmt.Sprintf("notifications: templates[%q][%q][%q]", kind, lang, ch)
	switch {
	case ch != ChannelSMS && ch != ChannelEmail:
		return Errorf(CodeInvalid, "%s: unknown channel (sms or email).", where)
	case ch == ChannelSMS && staffKind(kind):
		return Errorf(CodeInvalid, "%s: staff messages go by email only.", where)
	case strings.TrimSpace(text) == "":
		return Errorf(CodeInvalid, "%s is empty.", where)
	}
	names, err := placeholders(text)
	if err != nil {
		return Errorf(CodeInvalid, "%s %v.", where, err)
	}
	for _, p := range names {
		if !slices.Contains(allowed, p) {
			return Errorf(CodeInvalid, "%s uses unknown placeholder {%s} (allowed here: %s).", where, p, braceList(allowed))
		}
	}
	if ch == ChannelSMS {
		// The longest text the template can give: each placeholder at its
		// longest value.
		longest := placeholderRE.ReplaceAllStringFunc(text, func(m string) string {
			return n.longestValue(c, m[1:len(m)-1], lang)
		})
		if segs := SMSSegments(longest); segs > MaxSMSSegments {
			return Errorf(CodeInvalid, "%s can need %d SMS segments (at most %d): shorten it.", where, segs, MaxSMSSegments)
		}
	}
	return nil
}

// longestValue is the longest text a placeholder can render in lang.
func (n *NotificationConfig) longestValue(c *Config, name, lang string) string {
	switch name {
	case "code":
		return FormatCode(99999999)
	case "status":
		return string(StatusInProgress)
	case "due_date":
		return "2006-01-02"
	case "tracking":
		return strings.ReplaceAll(n.trackingText(lang), "{code}", FormatCode(99999999))
	case "category":
		long := ""
		for _, t := range append(slices.Clone(c.GrievanceTypes), c.RetiredGrievanceTypes...) {
			if len([]rune(t)) > len([]rune(long)) {
				long = t
			}
		}
		return long
	}
	return ""
}

func (n *NotificationConfig) trackingText(lang string) string {
	if t, ok := n.Tracking[lang]; ok {
		return t
	}
	return n.Tracking[n.DefaultLanguage]
}

// gsm7 holds the GSM 03.38 basic character set; gsm7Ext the characters of
// its extension table, which take two septets each.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Ext = "^{}\\[~]|€\f"
)

// SMSSegments returns how many segments text takes: GSM-7 when every
// character is in the GSM alphabet (160 septets alone, 153 per segment
// when concatenated), UCS-2 otherwise (70 UTF-16 units alone, 67 each).
func SMSSegments(text string) int {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7Ext, r):
			septets += 2
		default:
			gsm = false
		}
	}
	single, multi, n := 160, 153, septets
	if !gsm {
		single, multi, n = 70, 67, len(utf16.Encode([]rune(text)))
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// Rendered is one message ready to send.
type Rendered struct {
	Kind    string
	Channel Channel
	// Language is the template's language actually used.
	Language string
	Subject  string // e-mail only
	Body     string
}

// NoticeValues are the values placeholders render.
type NoticeValues struct {
	Code, Status, DueDate, Category, TicketID string
}

// Render renders message kind for channel in lang (falling back to the
// default language). For a confidential ticket the neutral message is
// rendered instead, whatever kind was asked for: the template cannot opt
// into content (docs/notifications.md).
func (n *NotificationConfig) Render(kind string, ch Channel, lang string, confidential bool, v NoticeValues) (*Rendered, error) {
	if confidential {
		kind = neutralKind(kind)
	}
	langs, ok := n.Templates[kind]
	if !ok {
		return nil, Errorf(CodeInvalid, "No template for message %q.", kind)
	}
	used := lang
	text := langs[lang][ch]
	if text == "" {
		used, text = n.DefaultLanguage, langs[n.DefaultLanguage][ch]
	}
	if text == "" {
		return nil, Errorf(CodeInvalid, "No %s template for message %q.", ch, kind)
	}
	values := map[string]string{
		"code": v.Code, "status": v.Status, "due_date": v.DueDate, "category": v.Category,
		"tracking": strings.ReplaceAll(n.trackingText(used), "{code}", v.Code),
		"link":     strings.ReplaceAll(n.StaffLink, "{id}", v.TicketID),
	}
	if confidential {
		// Belt and braces: the neutral templates' placeholders are
		// validated, but nothing about the ticket beyond its code and id
		// is even offered to them.
		values = map[string]string{"code": v.Code, "tracking": values["tracking"], "link": values["link"]}
	}
	body := placeholderRE.ReplaceAllStringFunc(text, func(m string) string { return values[m[1:len(m)-1]] })
	r := &Rendered{Kind: kind, Channel: ch, Language: used, Body: body}
	if ch == ChannelEmail {
		subject, rest, _ := strings.Cut(body, "\n")
		r.Subject, r.Body = strings.TrimSpace(subject), strings.TrimSpace(rest)
	}
	return r, nil
}

// neutralKind is the message a confidential ticket gets instead of kind.
// The rating question stays: its placeholders are the neutral ones.
func neutralKind(kind string) string {
	switch {
	case kind == MsgRatingRequest:
		return kind
	case staffKind(kind):
		return MsgStaffNeutral
	}
	return MsgNeutral
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

func braceList(names []string) string {
	b := make([]string, len(names))
	for i, n := range names {
		b[i] = "{" + n + "}"
	}
	return strings.Join(b, ", ")
}

// UnmarshalJSON decodes the key strictly. Settings left out keep their
// defaults. Templates and tracking instructions, when given, replace the
// built-in ones whole rather than merge: they say exactly which messages
// are sent (a kind without a template is not), and built-in English texts
// never mix into a configured language.
func (n *NotificationConfig) UnmarshalJSON(b []byte) error {
	type plain NotificationConfig
	d := DefaultNotifications()
	d.Templates, d.Tracking = nil, nil
	p := plain(d)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return err
	}
	def := DefaultNotifications()
	if p.Templates == nil {
		p.Templates = def.Templates
	}
	if p.Tracking == nil {
		p.Tracking = def.Tracking
	}
	*n = NotificationConfig(p)
	return nil
}
