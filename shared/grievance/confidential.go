package grievance

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"sync"
	"time"
)

// Restricted replaces the text of a field a reader may not see.
const Restricted = "[Restricted]"

// attends reports whether p is t's attending staff. Attending staff see and
// work on a ticket their rights alone would hide (the staff exemption); since
// whoever names them grants it, only principals cleared by right may name
// them (checkReclassify).
func attends(p *Principal, t *Ticket) bool {
	return p != nil && t.AttendingStaffID != "" && t.AttendingStaffID == p.ID
}

// byRight returns what p's rights alone let p see of the tickets of
// category: whether they exist for p (restricted_categories), and the
// fields hidden from p (grievance_anonymized_fields; nil: none).
func byRight(cfg *Config, p *Principal, category string) (bool, map[string]bool) {
	exists := true
	if rights, restricted := cfg.RestrictedCategories.Get(category); restricted {
		exists = p.HasAny(rights)
	}
	fields, _ := cfg.GrievanceAnonymizedFields.Get(category)
	if len(fields) == 0 || p.HasAny(cfg.ConfidentialPerms) {
		return exists, nil
	}
	m := make(map[string]bool, len(fields))
	for _, f := range fields {
		m[f] = true
	}
	return exists, m
}

// cleared reports whether p's rights alone show every ticket of category in
// full: the condition for changing who may see such a ticket.
func cleared(cfg *Config, p *Principal, category string) bool {
	exists, m := byRight(cfg, p, category)
	return exists && len(m) == 0
}

// sight decides what p sees of t: whether t exists for p, and the fields
// hidden from p. Every read and write rule asks it (or byRight, when the
// staff exemption must not count).
func sight(cfg *Config, p *Principal, t *Ticket) (bool, map[string]bool) {
	if attends(p, t) {
		return true, nil
	}
	return byRight(cfg, p, t.Category)
}

// visible reports whether p may see t at all: tickets of a restricted
// category exist only for holders of its rights and its attending staff.
func visible(cfg *Config, p *Principal, t *Ticket) bool {
	ok, _ := sight(cfg, p, t)
	return ok
}

// MayReadTicketDetails checks the right openIMIS demands, per field, for a
// ticket's reporter fields and isHistory: the ticket-query right. Readers
// of comments reach tickets without it, and then see the rest only.
func MayReadTicketDetails(cfg *Config, p *Principal) error {
	if p == nil {
		return Errorf(CodeUnauthenticated, "Unauthorized")
	}
	if !p.HasAny(cfg.QueryTicketsPerms) {
		return Errorf(CodeForbidden, "unauthorized")
	}
	return nil
}

// MayReadCommenter checks the right for a comment's commenter fields: the
// comment-query right, or attending the comment's ticket, which ticket
// returns (nil when the reader cannot see it); it is called only when the
// right is missing, so holders of the right cost no ticket read.
func MayReadCommenter(cfg *Config, p *Principal, ticket func() (*Ticket, error)) error {
	if p == nil {
		return Errorf(CodeUnauthenticated, "Unauthorized")
	}
	if p.HasAny(cfg.QueryCommentsPerms) {
		return nil
	}
	t, err := ticket()
	if err != nil {
		return err
	}
	if t != nil && attends(p, t) {
		return nil
	}
	return Errorf(CodeForbidden, "Unauthorized")
}

// maskedFields returns the fields of t that p may not see: those listed in
// grievance_anonymized_fields for t's category, unless p holds the
// confidential right or attends t. nil means t is shown in full.
func maskedFields(cfg *Config, p *Principal, t *Ticket) map[string]bool {
	_, m := sight(cfg, p, t)
	return m
}

// checkReclassify applies the write-path rules (docs/confidentiality.md) to
// a ticket going from old (nil on creation) to t. Category and attending
// staff decide who sees a ticket, so:
//   - a ticket is created in, or moved to, a category only by principals
//     whose rights let them see that category (naming oneself attending
//     staff does not count);
//   - the category or attending staff of a ticket changes only by
//     principals whose rights show it in full, so that no one can lift a
//     restriction or a mask they are subject to, for themselves or anyone.
//
// Sending the attending staff when it is hidden from p counts as a change
// whatever its value: otherwise "refused" against "no change" would tell
// p whether their guess was right.
func checkReclassify(cfg *Config, p *Principal, old, t *Ticket, sentStaff bool) error {
	if old == nil {
		if ok, _ := byRight(cfg, p, t.Category); !ok {
			return Errorf(CodeForbidden, "You may not create tickets of category %q.", t.Category)
		}
		return nil
	}
	moved := t.Category != old.Category
	restaffed := false
	if sentStaff {
		_, hidden := sight(cfg, p, old)
		restaffed = t.AttendingStaffID != old.AttendingStaffID || hidden["attending_staff"]
	}
	if !moved && !restaffed {
		return nil
	}
	if !cleared(cfg, p, old.Category) {
		return Errorf(CodeForbidden, "Changing the category or the attending staff of this ticket needs the right to see it in full.")
	}
	if ok, _ := byRight(cfg, p, t.Category); moved && !ok {
		return Errorf(CodeForbidden, "You may not move tickets to category %q.", t.Category)
	}
	return nil
}

// blindWrites keeps p from writing the fields of old hidden from it:
// resending the value p was shown ("[Restricted]", an empty value, the
// masked jsonExt) leaves the field as stored, any other value is refused.
// Either answer is the same whatever the hidden value is, so an update
// cannot test a guess ("no changes" would confirm it), and a client that
// sends back the whole ticket it read does not overwrite what it could not
// see. The attending staff is left to checkReclassify.
func blindWrites(cfg *Config, p *Principal, old *Ticket, in *TicketInput) error {
	_, hidden := sight(cfg, p, old)
	if len(hidden) == 0 {
		return nil
	}
	shown := maskTicket(old, hidden)
	for _, f := range []struct {
		field, key string
		v          **string
		shown      string
	}{
		{"title", "title", &in.Title, shown.Title},
		{"description", "description", &in.Description, shown.Description},
		{"key", "key", &in.Key, shown.Key},
		{"priority", "priority", &in.Priority, shown.Priority},
		{"flags", "flags", &in.Flags, shown.Flags},
		{"channel", "channel", &in.Channel, shown.Channel},
		{"resolution", "resolution", &in.Resolution, shown.Resolution},
		{"reporter", "reporterId", &in.ReporterID, shown.ReporterID},
		{"reporter", "reporterType", &in.ReporterType, string(shown.ReporterType)},
		{"date_of_incident", "dateOfIncident", &in.DateOfIncident, shown.DateOfIncident},
		{"due_date", "dueDate", &in.DueDate, shown.DueDate},
	} {
		if !hidden[f.field] || *f.v == nil {
			continue
		}
		if **f.v != f.shown {
			return errBlindWrite(f.key)
		}
		*f.v = nil
	}
	if hidden["json_ext"] && in.JSONExt != nil {
		sent, err := ParseJSONExt(*in.JSONExt)
		if err != nil {
			return err
		}
		a, _ := json.Marshal(sent)
		b, _ := json.Marshal(shown.JSONExt)
		if string(a) != string(b) {
			return errBlindWrite("jsonExt")
		}
		in.JSONExt = nil
	}
	return nil
}

// blindCommentWrites is blindWrites for a comment: its commenter is hidden
// where its ticket's reporter is.
func blindCommentWrites(cfg *Config, p *Principal, t *Ticket, c *Comment, in *CommentInput) error {
	_, hidden := sight(cfg, p, t)
	if !hidden["reporter"] {
		return nil
	}
	shown := maskComment(c, hidden)
	for _, f := range []struct {
		key   string
		v     **string
		shown string
	}{
		{"commenterId", &in.CommenterID, shown.CommenterID},
		{"commenterType", &in.CommenterType, string(shown.CommenterType)},
	} {
		if *f.v == nil {
			continue
		}
		if **f.v != f.shown {
			return errBlindWrite(f.key)
		}
		*f.v = nil
	}
	return nil
}

func errBlindWrite(key string) error {
	return Errorf(CodeForbidden, "%s is hidden from you and cannot be changed.", key)
}

// maskTicket returns a copy of t with the fields in m masked: texts become
// "[Restricted]"; the reporter's identity, the attending staff and dates
// become empty (null on the wire); json_ext keeps only comment_ids, which
// the client needs and which reveals nothing.
func maskTicket(t *Ticket, m map[string]bool) *Ticket {
	if len(m) == 0 {
		return t
	}
	c := t.Clone()
	text := func(field string, v *string) {
		if m[field] && *v != "" {
			*v = Restricted
		}
	}
	text("title", &c.Title)
	text("description", &c.Description)
	text("key", &c.Key)
	text("priority", &c.Priority)
	text("flags", &c.Flags)
	text("channel", &c.Channel)
	text("resolution", &c.Resolution)
	if m["reporter"] {
		if c.ReporterID != "" {
			c.ReporterID = Restricted
		}
		c.ReporterType = ""
		c.Contact = nil
		// What only the complainant's contact produces goes with it: an
		// acknowledgement says there is a contact, a rating is the
		// complainant's own opinion.
		c.AcknowledgedAt, c.Rating, c.RatedAt, c.AppealedAt = time.Time{}, 0, time.Time{}, time.Time{}
	}
	if m["attending_staff"] {
		c.AttendingStaffID = ""
	}
	if m["date_of_incident"] {
		c.DateOfIncident = ""
	}
	if m["due_date"] {
		c.DueDate = ""
	}
	if m["json_ext"] {
		ext := map[string]any{}
		if ids, ok := c.JSONExt["comment_ids"]; ok {
			ext["comment_ids"] = ids
		}
		c.JSONExt = ext
	}
	return c
}

// maskComment hides who made a comment when the ticket's reporter is
// hidden: the commenter is often the reporter.
func maskComment(c *Comment, m map[string]bool) *Comment {
	if !m["reporter"] || c.CommenterID == "" {
		return c
	}
	d := c.Clone()
	d.CommenterID, d.CommenterType = Restricted, ""
	return d
}

// Disclosure is what of a ticket may leave the grievance store (events on
// the bus, whose consumers have weaker controls): ids, classification and
// workflow state, never what the grievance says nor who raised it.
type Disclosure struct {
	ID, Code         string
	Version          int
	Status           Status
	AttendingStaffID string
	IsDeleted        bool
	// The classification, empty for a confidential ticket: even its
	// category, priority, channel, flags or due date may be what its
	// readers are kept from (and a restricted category's name says what it
	// is about).
	Category, Priority, Channel, Flags, DueDate string
}

// Disclose returns what may leave the store of t, written over old (nil
// when there is none). A ticket is confidential when its category is
// (Config.Confidential), or was before the change: moving it out of a
// confidential category must not reveal what it was.
func (c *Config) Disclose(old, t *Ticket) Disclosure {
	d := Disclosure{ID: t.ID, Code: t.Code, Version: t.Version, Status: t.Status,
		AttendingStaffID: t.AttendingStaffID, IsDeleted: t.IsDeleted}
	if c.Confidential(t.Category) || (old != nil && c.Confidential(old.Category)) {
		return d
	}
	d.Category, d.Priority, d.Channel, d.Flags, d.DueDate = t.Category, t.Priority, t.Channel, t.Flags, t.DueDate
	return d
}

// filterField maps a filter field to the anonymizable field it reads.
var filterField = map[string]string{
	"title": "title", "description": "description", "key": "key", "priority": "priority",
	"flags": "flags", "channel": "channel", "resolution": "resolution", "due_date": "due_date",
	"date_of_incident": "date_of_incident", "reporter_id": "reporter",
	"attending_staff__id": "attending_staff", StaffUsernameField: "attending_staff", "attending_staff": "attending_staff",
}

// filtersTouch reports whether a filter reads a masked field. Such a ticket
// never matches: a reader must not find a ticket by a value they may not
// see, and a filter that silently ignored the field would reveal the
// match by leaving the ticket in.
func filtersTouch(fs []Filter, m map[string]bool) bool {
	for _, f := range fs {
		if m[filterField[f.Field]] {
			return true
		}
	}
	return false
}

// inputKeys are the mutation input keys that carry each anonymizable field.
var inputKeys = map[string][]string{
	"title": {"title"}, "description": {"description"}, "key": {"key"}, "priority": {"priority"},
	"flags": {"flags"}, "channel": {"channel"}, "resolution": {"resolution"}, "due_date": {"dueDate"},
	"date_of_incident": {"dateOfIncident"}, "attending_staff": {"attendingStaffId"}, "json_ext": {"jsonExt"},
	"reporter": {"reporterId", "reporterType", "commenterId", "commenterType", "contact"},
}

// maskLog hides, in a mutation log's recorded input, the values of fields
// the reader may not see, and the label when the title is hidden (clients
// put the title in it).
func maskLog(l *MutationLog, m map[string]bool) *MutationLog {
	if len(m) == 0 {
		return l
	}
	c := *l
	if m["title"] && c.ClientMutationLabel != "" {
		c.ClientMutationLabel = Restricted
	}
	var content map[string]any
	if json.Unmarshal([]byte(c.JSONContent), &content) != nil {
		if c.JSONContent != "" {
			c.JSONContent = Restricted
		}
		return &c
	}
	changed := false
	for field := range m {
		for _, k := range inputKeys[field] {
			if _, ok := content[k]; ok {
				content[k] = Restricted
				changed = true
			}
		}
	}
	if changed {
		b, _ := json.Marshal(content)
		c.JSONContent = string(b)
	}
	return &c
}

// guard decides, for one request, which tickets a reader sees and what of
// them. History rows are judged by their own version and by the live
// ticket, so that an old version does not show what the current one hides.
type guard struct {
	s   *Service
	cfg *Config
	p   *Principal
	// hides: the configuration may hide something from p (hidesAny).
	hides bool
	mu    sync.Mutex
	// live caches the live tickets judge reads for history rows (nil: the
	// ticket does not exist).
	live map[string]*Ticket
}

func (s *Service) guard(cfg *Config, p *Principal) *guard {
	return &guard{s: s, cfg: cfg, p: p, hides: hidesAny(cfg, p)}
}

// sensitive reports whether the configuration may hide anything from the
// reader: the live tickets a history row is judged by matter only then.
func (g *guard) sensitive() bool { return g.hides }

// hidesAny reports whether some restricted or anonymizing category is not
// cleared for p by its rights. A reader cleared for all of them (an
// administrator, an officer holding every restricted right and the
// confidential one) sees every ticket whole, live or not, so their lists
// read nothing the sight rule would have judged by: in a programme that
// restricts a category, their history lists cost what they cost where
// nothing is restricted.
func hidesAny(cfg *Config, p *Principal) bool {
	for _, c := range cfg.RestrictedCategories.Keys {
		if !cleared(cfg, p, c) {
			return true
		}
	}
	for _, c := range cfg.GrievanceAnonymizedFields.Keys {
		if !cleared(cfg, p, c) {
			return true
		}
	}
	return false
}

// affects reports whether the reader's view of a ticket list may differ
// from the stored lists: some restricted category is closed to them (its
// attending staff aside), or some category hides a field they filter on.
// Counts kept per list are then not the reader's counts.
func (g *guard) affects(fs []Filter) bool { return len(g.unseen(fs)) > 0 }

// unseen returns the categories whose tickets the reader may not see or
// may not match on fs (a filtered field is hidden there), unless they
// attend them: the sight rule over whole categories, for an index to
// apply to a candidate set the way guarded applies it to each row.
func (g *guard) unseen(fs []Filter) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range append(slices.Clone(g.cfg.RestrictedCategories.Keys), g.cfg.GrievanceAnonymizedFields.Keys...) {
		if seen[c] {
			continue
		}
		seen[c] = true
		if ok, m := byRight(g.cfg, g.p, c); !ok || filtersTouch(fs, m) {
			out = append(out, c)
		}
	}
	return out
}

// liveOf returns the live version of a history row's ticket (cached).
func (g *guard) liveOf(ctx context.Context, t *Ticket) (*Ticket, error) {
	g.mu.Lock()
	l, ok := g.live[t.ID]
	g.mu.Unlock()
	if ok {
		return l, nil
	}
	l, err := g.s.store.Ticket(ctx, t.ID)
	if ErrorCode(err) == CodeNotFound {
		l, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	g.remember(map[string]*Ticket{t.ID: l})
	return l, nil
}

// remember caches live tickets by id (nil: the ticket does not exist).
func (g *guard) remember(live map[string]*Ticket) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live == nil {
		g.live = make(map[string]*Ticket, len(live))
	}
	maps.Copy(g.live, live)
}

// know caches live tickets read elsewhere for judge.
func (g *guard) know(live map[int64]*Ticket) {
	byID := make(map[string]*Ticket, len(live))
	for _, t := range live {
		byID[t.ID] = t
	}
	g.remember(byID)
}

// preload reads, in one request, the live tickets of ids that judge will
// ask for (a history page's tickets: one by one, each a round trip), when
// the configuration makes it ask at all.
func (g *guard) preload(ctx context.Context, ids []string) error {
	if !g.sensitive() {
		return nil
	}
	g.mu.Lock()
	var missing []string
	for _, id := range ids {
		if _, ok := g.live[id]; !ok && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	g.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	found, err := g.s.store.TicketsByID(ctx, missing)
	if err != nil {
		return err
	}
	byID := make(map[string]*Ticket, len(missing))
	for _, id := range missing {
		byID[id] = found[id] // nil: it does not exist, as liveOf says
	}
	g.remember(byID)
	return nil
}

// judge returns whether t is visible and the fields to mask; for history
// rows (history true) the live ticket counts too.
func (g *guard) judge(ctx context.Context, t *Ticket, history bool) (bool, map[string]bool, error) {
	if !visible(g.cfg, g.p, t) {
		return false, nil, nil
	}
	var live *Ticket
	if history && g.sensitive() {
		var err error
		if live, err = g.liveOf(ctx, t); err != nil {
			return false, nil, err
		}
	}
	ok, m := g.judgeBy(t, live)
	return ok, m, nil
}

// judgeBy is judge of t with its live ticket live (nil: none, or not a
// history row).
func (g *guard) judgeBy(t, live *Ticket) (bool, map[string]bool) {
	ok, m := sight(g.cfg, g.p, t)
	if !ok || live == nil {
		return ok, m
	}
	lok, lm := sight(g.cfg, g.p, live)
	if !lok {
		return false, nil
	}
	if len(lm) > 0 {
		m = maps.Clone(m)
		if m == nil {
			m = map[string]bool{}
		}
		maps.Copy(m, lm)
	}
	return true, m
}

// mayHide reports whether some category hides field from the reader by
// right (its attending staff aside): a list ordered by field must then
// sort the masked values, not read an index of the stored ones.
func (g *guard) mayHide(field string) bool {
	for _, c := range g.cfg.GrievanceAnonymizedFields.Keys {
		if _, m := byRight(g.cfg, g.p, c); m[field] {
			return true
		}
	}
	return false
}

// notifiesNeutrally reports whether messages about t may say nothing
// beyond its code and a neutral sentence: its category is confidential
// (restricted or with anonymized fields). A message leaves every access
// control behind (a shared phone, a forwarded mail), and even the category
// name says what the grievance is about.
func notifiesNeutrally(cfg *Config, t *Ticket) bool {
	return cfg.Confidential(t.Category)
}

// publicView is what the complainant who holds a ticket's tracking secret
// sees: status, dates and the comments staff marked public. The
// complainant is judged as a reader without any right, so a category that
// hides the due date from staff without the confidential right hides it
// from them too; nothing else of the ticket is ever part of the view.
// Restricted categories are still tracked: the complainant is entitled to
// their own case.
func publicView(cfg *Config, t *Ticket, comments []*Comment) *PublicView {
	m := maskedFields(cfg, nil, t)
	v := &PublicView{Code: t.Code, Status: t.Status, DateCreated: t.DateCreated, DueDate: t.DueDate,
		Confidential: cfg.Confidential(t.Category)}
	if m["due_date"] {
		v.DueDate = ""
	}
	for _, c := range comments {
		if c.Public && !c.IsDeleted {
			v.Comments = append(v.Comments, PublicComment{Date: c.DateCreated, Text: c.Comment})
		}
	}
	return v
}
