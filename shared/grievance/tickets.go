package grievance

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// TicketInput carries the fields of createTicket and updateTicket; nil
// means "not sent" (an update leaves the field as it is).
type TicketInput struct {
	ID               string
	Key              *string
	Title            *string
	Description      *string
	ReporterType     *string
	ReporterID       *string
	AttendingStaffID *string
	DateOfIncident   *string
	Status           *string
	Priority         *string
	DueDate          *string
	Category         *string
	Flags            *string
	Channel          *string
	Resolution       *string
	JSONExt          *string
	Contact          *Contact
	// Version, when sent, must equal the stored version (optimistic lock).
	Version *int
}

func errTicketNotFound(id string) error {
	return Errorf(CodeNotFound, "Ticket %s does not exist.", id)
}

// visibleTicket loads a ticket, deleted or not, that p may see; field names
// the input that carried the id. A hidden ticket answers as a missing one.
func (s *Service) visibleTicket(ctx context.Context, cfg *Config, p *Principal, field, ticketID string) (*Ticket, error) {
	id, err := CanonicalUUID(field, ticketID)
	if err != nil {
		return nil, err
	}
	t, err := s.store.Ticket(ctx, id)
	if ErrorCode(err) == CodeNotFound || (err == nil && !visible(cfg, p, t)) {
		return nil, errTicketNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("load ticket %s: %w", id, err)
	}
	return t, nil
}

// liveTicket loads a ticket a mutation may change: it exists, is visible to
// p and is not deleted.
func (s *Service) liveTicket(ctx context.Context, cfg *Config, p *Principal, id string) (*Ticket, error) {
	t, err := s.visibleTicket(ctx, cfg, p, "id", id)
	if err != nil {
		return nil, err
	}
	if t.IsDeleted {
		return nil, Errorf(CodeInvalid, "Ticket %s is deleted.", t.Code)
	}
	return t, nil
}

// authorize returns the principal and configuration if p holds one of the
// rights selected from the configuration.
func (s *Service) authorize(ctx context.Context, rights func(*Config) []string) (*Principal, *Config, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, nil, errUnauthenticated()
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, nil, err
	}
	if rights != nil && !p.HasAny(rights(cfg)) {
		return nil, nil, errForbidden()
	}
	return p, cfg, nil
}

// CreateTicket plans the creation of a ticket.
func (s *Service) CreateTicket(ctx context.Context, in TicketInput) (*Write, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.CreateTicketsPerms })
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	t := &Ticket{ID: s.newID(), Version: 1, Status: StatusReceived,
		DateCreated: now, DateUpdated: now, DateValidFrom: now, UserCreated: p.ID, UserUpdated: p.ID}
	if err := s.apply(ctx, cfg, t, in, true); err != nil {
		return nil, err
	}
	if err := checkReclassify(cfg, p, nil, t, in.AttendingStaffID != nil); err != nil {
		return nil, err
	}
	if t.DueDate == "" {
		res := t.Resolution
		if res == "" {
			res = cfg.DefaultResolutionFor(t.Category)
		}
		r, err := ParseResolution(res)
		if err != nil {
			return nil, err
		}
		t.DueDate = r.DueDate(now)
	}
	return &Write{NewTicket: t}, nil
}

// UpdateTicket plans a partial update of a ticket. Rights come before the
// ticket is looked up, so that a principal without them learns nothing
// about which ids exist.
func (s *Service) UpdateTicket(ctx context.Context, in TicketInput) (*Write, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.UpdateTicketsPerms })
	if err != nil {
		return nil, err
	}
	old, err := s.liveTicket(ctx, cfg, p, in.ID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(in.Version, old.Version, "ticket", old.Code); err != nil {
		return nil, err
	}
	if err := blindWrites(cfg, p, old, &in); err != nil {
		return nil, err
	}
	t := old.Clone()
	if err := s.apply(ctx, cfg, t, in, false); err != nil {
		return nil, err
	}
	if err := checkReclassify(cfg, p, old, t, in.AttendingStaffID != nil); err != nil {
		return nil, err
	}
	if sameTicket(old, t) {
		return nil, Errorf(CodeInvalid, "Record has not be updated - there are no changes in fields.")
	}
	s.touchTicket(t, p)
	return &Write{Tickets: []TicketWrite{{Ticket: t, Prev: old.Version, Old: old}}}, nil
}

func checkVersion(sent *int, stored int, what, name string) error {
	if sent != nil && *sent != stored {
		return Errorf(CodeConflict, "The %s %s has changed (version %d, you sent %d); reload it and try again.", what, name, stored, *sent)
	}
	return nil
}

func (s *Service) touchTicket(t *Ticket, p *Principal) {
	t.Version++
	t.DateUpdated = s.now().UTC()
	t.UserUpdated = p.ID
}

func sameTicket(a, b *Ticket) bool {
	ja, _ := json.Marshal(a.JSONExt)
	jb, _ := json.Marshal(b.JSONExt)
	ac, bc := *a, *b
	ac.JSONExt, bc.JSONExt = nil, nil
	return reflect.DeepEqual(ac, bc) && string(ja) == string(jb)
}

// apply copies the sent fields of in onto t and checks the result against
// the configuration and the directory.
func (s *Service) apply(ctx context.Context, cfg *Config, t *Ticket, in TicketInput, create bool) error {
	prevStaff := t.AttendingStaffID
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	category := t.Category
	set(&t.Key, in.Key)
	set(&t.Title, in.Title)
	set(&t.Description, in.Description)
	set(&t.ReporterID, in.ReporterID)
	set(&t.DateOfIncident, in.DateOfIncident)
	set(&t.Priority, in.Priority)
	set(&t.DueDate, in.DueDate)
	set(&t.Category, in.Category)
	set(&t.Flags, in.Flags)
	set(&t.Channel, in.Channel)
	set(&t.Resolution, in.Resolution)
	if in.ReporterType != nil {
		rt, err := ParsePersonType(*in.ReporterType)
		if err != nil {
			return err
		}
		t.ReporterType = rt
	}
	if in.AttendingStaffID != nil {
		id := *in.AttendingStaffID
		if id != "" {
			var err error
			if id, err = CanonicalUUID("attendingStaffId", id); err != nil {
				return err
			}
		}
		t.AttendingStaffID = id
	}
	if in.Status != nil {
		st, err := ParseStatus(*in.Status)
		if err != nil {
			return err
		}
		t.Status = st
	}
	if in.JSONExt != nil {
		ext, err := ParseJSONExt(*in.JSONExt)
		if err != nil {
			return err
		}
		// comment_ids belongs to the service: keep the stored list.
		if ids, ok := t.JSONExt["comment_ids"]; ok {
			ext["comment_ids"] = ids
		} else {
			delete(ext, "comment_ids")
		}
		t.JSONExt = ext
	}
	if err := applyContact(t, in.Contact); err != nil {
		return err
	}
	if in.Category == nil && create {
		return Errorf(CodeInvalid, "category is required.")
	}
	if err := t.Validate(); err != nil {
		return err
	}
	// A retired type stays on its tickets (resending it is no change) but
	// takes no new ones.
	if in.Category != nil && (create || t.Category != category) && !slices.Contains(cfg.GrievanceTypes, t.Category) {
		return unconfigured("category %q is not a configured grievance type; allowed: %s.", t.Category, quoteList(cfg.GrievanceTypes))
	}
	if in.Flags != nil && t.Flags != "" {
		if err := checkFlags(cfg, t.Flags); err != nil {
			return err
		}
	}
	if in.Channel != nil && t.Channel != "" && !slices.Contains(cfg.GrievanceChannels, t.Channel) {
		return unconfigured("channel %q is not a configured grievance channel; allowed: %s.", t.Channel, quoteList(cfg.GrievanceChannels))
	}
	if in.ReporterID != nil || in.ReporterType != nil {
		if t.ReporterID != "" {
			if err := s.checkPerson(ctx, "reporter", t.ReporterType, t.ReporterID); err != nil {
				return err
			}
		}
	}
	if (in.AttendingStaffID != nil || in.Category != nil) && t.AttendingStaffID != "" {
		if err := s.checkStaff(ctx, cfg, t, create || t.AttendingStaffID != prevStaff); err != nil {
			return err
		}
	}
	return nil
}

// checkFlags accepts one configured flag or a JSON list of configured flags
// (later openIMIS clients send lists).
func checkFlags(cfg *Config, flags string) error {
	values := []string{flags}
	if strings.HasPrefix(strings.TrimSpace(flags), "[") {
		if err := json.Unmarshal([]byte(flags), &values); err != nil {
			return Errorf(CodeInvalid, "flags %q is neither a configured flag nor a JSON list of them.", flags)
		}
	}
	for _, f := range values {
		if !slices.Contains(cfg.GrievanceFlags, strings.TrimSpace(f)) {
			return unconfigured("flag %q is not a configured grievance flag; allowed: %s.", f, quoteList(cfg.GrievanceFlags))
		}
	}
	return nil
}

// checkPerson verifies that a reporter or commenter exists in the
// directory with the stated type.
func (s *Service) checkPerson(ctx context.Context, role string, typ PersonType, id string) error {
	people, err := s.store.People(ctx, []string{id})
	if err != nil {
		return fmt.Errorf("look up %s: %w", role, err)
	}
	p, ok := people[id]
	if !ok {
		return Errorf(CodeInvalid, "The %s %s %s does not exist.", role, typ, id)
	}
	if p.Type != typ {
		return Errorf(CodeInvalid, "The %s %s is a %s, not a %s.", role, id, p.Type, typ)
	}
	return nil
}

// checkStaff verifies the attending staff: an existing user holding one of
// the roles configured for the ticket's category, when there are any.
func (s *Service) checkStaff(ctx context.Context, cfg *Config, t *Ticket, newlyAssigned bool) error {
	people, err := s.store.People(ctx, []string{t.AttendingStaffID})
	if err != nil {
		return fmt.Errorf("look up attending staff: %w", err)
	}
	u, ok := people[t.AttendingStaffID]
	if !ok || u.Type != PersonUser {
		return Errorf(CodeInvalid, "The attending staff %s is not a known user.", t.AttendingStaffID)
	}
	// A user disabled or removed in the user pool stays on the tickets
	// they attend, but cannot be given new ones.
	if u.Inactive && newlyAssigned {
		return Errorf(CodeInvalid, "The attending staff %s is disabled and cannot be assigned.", u.Username)
	}
	roles, ok := cfg.DefaultAttendingStaffRole.Get(t.Category)
	if !ok || len(roles) == 0 {
		return nil
	}
	for _, r := range u.Roles {
		if slices.Contains(roles, r) {
			return nil
		}
	}
	return Errorf(CodeInvalid, "The attending staff %s holds none of the roles required for category %q (%s).", u.Username, t.Category, quoteList(roles))
}

// DeleteTickets plans the soft deletion of tickets (one transaction).
func (s *Service) DeleteTickets(ctx context.Context, ids []string, version *int) (*Write, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.DeleteTicketsPerms })
	if err != nil {
		return nil, err
	}
	if len(ids) > maxBatch {
		return nil, Errorf(CodeInvalid, "At most %d tickets can be deleted at once.", maxBatch)
	}
	if version != nil && len(ids) != 1 {
		return nil, Errorf(CodeInvalid, "version can only be sent when deleting one ticket.")
	}
	w := &Write{}
	seen := map[string]bool{}
	for _, id := range ids {
		t, err := s.liveTicket(ctx, cfg, p, id)
		if err != nil {
			return nil, err
		}
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if err := checkVersion(version, t.Version, "ticket", t.Code); err != nil {
			return nil, err
		}
		old := t.Clone()
		t.IsDeleted = true
		s.touchTicket(t, p)
		w.Tickets = append(w.Tickets, TicketWrite{Ticket: t, Prev: old.Version, Old: old})
	}
	return w, nil
}

// maxBatch bounds the tickets of one mutation: with their count updates
// and the log they must fit a DynamoDB transaction (100 items).
const maxBatch = 20

// ReopenTicket plans reopening a ticket: status OPEN and its resolution
// comment no longer flagged.
func (s *Service) ReopenTicket(ctx context.Context, id string, version *int) (*Write, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.UpdateTicketsPerms })
	if err != nil {
		return nil, err
	}
	t, err := s.liveTicket(ctx, cfg, p, id)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(version, t.Version, "ticket", t.Code); err != nil {
		return nil, err
	}
	if t.Status == StatusOpen {
		return nil, Errorf(CodeInvalid, "Ticket %s is already open.", t.Code)
	}
	w := &Write{}
	if err := s.unflagResolution(ctx, p, t, w); err != nil {
		return nil, err
	}
	old := t.Clone()
	t.Status = StatusOpen
	s.touchTicket(t, p)
	w.Tickets = append(w.Tickets, TicketWrite{Ticket: t, Prev: old.Version, Old: old})
	return w, nil
}

// unflagResolution adds to w the change that makes t's resolution comment
// an ordinary comment again: a reopened ticket (by reopenTicket or by an
// appeal) has no resolution.
func (s *Service) unflagResolution(ctx context.Context, p *Principal, t *Ticket, w *Write) error {
	comments, err := s.store.CommentsOfTicket(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("load comments of %s: %w", t.ID, err)
	}
	for _, c := range comments {
		if c.IsResolution {
			prev := c.Version
			c.IsResolution = false
			s.touchComment(c, p)
			w.Comments = append(w.Comments, CommentWrite{Comment: c, Prev: prev})
			return nil
		}
	}
	return nil
}
