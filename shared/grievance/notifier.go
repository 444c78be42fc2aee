package grievance

import (
	"context"
	"errors"
	"slices"
	"time"
)

// Business events the notifier takes (their detail-types on the bus;
// package bus owns the envelope, the domain only needs the names).
const (
	NoticeCreated       = "ticket.created"
	NoticeStatusChanged = "ticket.status-changed"
	NoticeResolved      = "ticket.resolved"
	NoticeReopened      = "ticket.reopened"
	NoticeAppealed      = "ticket.appealed"
	NoticeStaffAssigned = "ticket.staff-assigned"
	NoticeOverdue       = "ticket.overdue"
	NoticeEscalated     = "ticket.escalated"
	// NoticePublicComment: a comment was marked public (intake's public
	// flag); its text is never sent, only that there is news.
	NoticePublicComment = "comment.made-public"
)

// MutationAcknowledge is the lastMutation of the version that records a
// ticket's acknowledgement.
const MutationAcknowledge = "acknowledge"

// NoticeTypes lists the events the notifier acts on: its rules match them.
var NoticeTypes = []string{NoticeCreated, NoticeStatusChanged, NoticeResolved, NoticeReopened, NoticeAppealed,
	NoticeStaffAssigned, NoticeOverdue, NoticeEscalated, NoticePublicComment}

// Notice is one business event, as much of it as the notifier needs.
type Notice struct {
	// EventID is the fact's deterministic id: with the recipient and the
	// message kind it makes the idempotency key of a delivery.
	EventID  string
	Type     string
	TicketID string
	// Mutation that made the change, when known.
	Mutation string
	// Role is the escalation level's role (ticket.escalated).
	Role string
}

// Delivery names one message to one recipient for one event: the key
// under which it is sent at most once.
type Delivery struct {
	EventID string
	Kind    string
	Channel Channel
	// Address is the phone number or e-mail address (personal data: the
	// store keeps only a hash of it in keys, it never reaches a log).
	Address string
}

// NotifierStore is what the notifier needs from storage.
type NotifierStore interface {
	ConfigStore
	Ticket(ctx context.Context, id string) (*Ticket, error)
	People(ctx context.Context, ids []string) (map[string]*Person, error)
	Users(ctx context.Context) ([]*Person, error)
	// ClaimDelivery marks d as being sent; false when it was sent, or
	// claimed less than stale ago (a sender that died leaves a claim a
	// later attempt takes over).
	ClaimDelivery(ctx context.Context, d Delivery, now time.Time, stale time.Duration) (bool, error)
	// ReleaseDelivery drops a claim whose send failed, so a retry sends.
	ReleaseDelivery(ctx context.Context, d Delivery) error
	// MarkDelivered records that d was handed to the provider.
	MarkDelivered(ctx context.Context, d Delivery, at time.Time) error
	// OptedOut reports whether the owner of address asked for no messages.
	OptedOut(ctx context.Context, ch Channel, address string) (bool, error)
	// Acknowledge records when t's acknowledgement was sent, as a new
	// version of t (lastMutation MutationAcknowledge); the first counts.
	Acknowledge(ctx context.Context, t *Ticket, at time.Time) error
}

// Sender hands a message to a provider. Throttling and transient provider
// failures are *Error with CodeUnavailable: the notifier retries them.
type Sender interface {
	Send(ctx context.Context, to string, m *Rendered) error
}

// Notifier turns business events into messages to complainants and staff.
type Notifier struct {
	store  NotifierStore
	sender Sender
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	// Attempts per message when the provider throttles; Backoff is the
	// first pause, doubled after each attempt.
	Attempts int
	Backoff  time.Duration
	// ClaimStale is how long a claim without a sent mark blocks a resend.
	ClaimStale time.Duration
	// AdminGroup is the group that holds every right (the API's
	// ADMIN_GROUP; "" is DefaultAdminGroup), for judging who may see a
	// ticket.
	AdminGroup string
}

// NewNotifier returns a Notifier. sleep waits between retries (nil: a
// timer honouring ctx).
func NewNotifier(store NotifierStore, sender Sender, now func() time.Time, sleep func(context.Context, time.Duration) error) *Notifier {
	if sleep == nil {
		sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	return &Notifier{store: store, sender: sender, now: now, sleep: sleep, Attempts: 4, Backoff: 200 * time.Millisecond, ClaimStale: 5 * time.Minute}
}

// Outcome counts what one event gave.
type Outcome struct {
	Sent, Duplicate, OptedOut, NoRecipient int
	// DeferredUntil is set when SMS were held back by quiet hours: the
	// event must come back then (what was sent is not sent again).
	DeferredUntil time.Time
}

// recipient is one address to write to, in one language.
type recipient struct {
	channel  Channel
	address  string
	language string
}

// Notify sends the messages of one event. An error means the event must
// be retried: what was sent stays sent (idempotency keys), the rest is
// tried again.
func (n *Notifier) Notify(ctx context.Context, nt Notice) (Outcome, error) {
	var out Outcome
	doc, _, err := n.store.ConfigDocument(ctx)
	if err != nil {
		return out, err
	}
	cfg, err := ParseConfig(doc)
	if err != nil {
		return out, errors.New("stored configuration is invalid: " + ErrorMessage(err))
	}
	nc := &cfg.Notifications
	if !nc.Enabled {
		return out, nil
	}
	t, err := n.store.Ticket(ctx, nt.TicketID)
	if ErrorCode(err) == CodeNotFound {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if t.IsDeleted {
		return out, nil
	}
	kinds, staff := messagesFor(nt)
	if len(kinds) == 0 {
		return out, nil
	}
	var rcpts []recipient
	if staff {
		rcpts, err = n.staffRecipients(ctx, cfg, t, nt)
	} else {
		rcpts, err = n.complainant(ctx, nc, t)
	}
	if err != nil {
		return out, err
	}
	if len(rcpts) == 0 {
		out.NoRecipient++
		return out, nil
	}
	values := NoticeValues{Code: t.Code, Status: string(t.Status), DueDate: t.DueDate, Category: t.Category, TicketID: t.ID}
	neutral := notifiesNeutrally(cfg, t)
	now := n.now()
	for _, r := range rcpts {
		if off, err := n.store.OptedOut(ctx, r.channel, r.address); err != nil {
			return out, err
		} else if off {
			out.OptedOut++
			continue
		}
		if r.channel == ChannelSMS {
			if until, quiet := nc.QuietHours.Until(now); quiet {
				out.DeferredUntil = until
				continue
			}
		}
		for _, kind := range kinds {
			if _, ok := nc.Templates[kind]; !ok && !neutral {
				continue // no template: the configuration does not send it
			}
			m, err := nc.Render(kind, r.channel, r.language, neutral, values)
			if ErrorCode(err) == CodeInvalid {
				continue // no template for this channel
			}
			if err != nil {
				return out, err
			}
			d := Delivery{EventID: nt.EventID, Kind: kind, Channel: r.channel, Address: r.address}
			sent, err := n.deliver(ctx, d, m)
			if err != nil {
				return out, err
			}
			if !sent {
				out.Duplicate++
				continue
			}
			out.Sent++
			if kind == MsgAcknowledgement {
				if err := n.store.Acknowledge(ctx, t, n.now()); err != nil {
					return out, err
				}
			}
		}
	}
	return out, nil
}

// deliver sends m once for d: claim, send (retrying throttling with
// back-off), mark sent. false: it was sent (or is being sent) already.
func (n *Notifier) deliver(ctx context.Context, d Delivery, m *Rendered) (bool, error) {
	ok, err := n.store.ClaimDelivery(ctx, d, n.now(), n.ClaimStale)
	if err != nil || !ok {
		return false, err
	}
	wait := n.Backoff
	for attempt := 1; ; attempt++ {
		err = n.sender.Send(ctx, d.Address, m)
		if err == nil || ErrorCode(err) != CodeUnavailable || attempt >= n.Attempts {
			break
		}
		if serr := n.sleep(ctx, wait); serr != nil {
			err = serr
			break
		}
		wait *= 2
	}
	if err != nil {
		// The claim goes, so that the event's retry sends; a release that
		// fails leaves a claim that goes stale.
		_ = n.store.ReleaseDelivery(context.WithoutCancel(ctx), d)
		return false, err
	}
	return true, n.store.MarkDelivered(ctx, d, n.now())
}

// messagesFor maps an event to the messages it gives and whether they go
// to staff.
func messagesFor(nt Notice) ([]string, bool) {
	switch nt.Type {
	case NoticeCreated:
		return []string{MsgAcknowledgement}, false
	case NoticeStatusChanged:
		// A resolve, a reopen or an appeal has its own event and message.
		if nt.Mutation == "resolveGrievanceByComment" || nt.Mutation == "reopenTicket" || nt.Mutation == MutationRate {
			return nil, false
		}
		return []string{MsgStatusChanged}, false
	case NoticeResolved:
		return []string{MsgResolved, MsgRatingRequest}, false
	case NoticeReopened, NoticeAppealed:
		return []string{MsgReopened}, false
	case NoticePublicComment:
		return []string{MsgPublicComment}, false
	case NoticeStaffAssigned:
		return []string{MsgStaffAssigned}, true
	case NoticeOverdue:
		return []string{MsgStaffOverdue}, true
	case NoticeEscalated:
		return []string{MsgStaffEscalate}, true
	}
	return nil, false
}

// complainant returns how to reach a ticket's complainant: the contact
// block, else the reporter's directory record; the preferred channel when
// both a phone and an address are known. Anonymous complainants get
// nothing: they left no way to reach them.
func (n *Notifier) complainant(ctx context.Context, nc *NotificationConfig, t *Ticket) ([]recipient, error) {
	phone, email, lang := "", "", ""
	switch {
	case t.Contact != nil:
		if t.Contact.Anonymous {
			return nil, nil
		}
		phone, email, lang = t.Contact.Phone, t.Contact.Email, t.Contact.Language
	case t.ReporterID != "" && t.ReporterType != PersonUser:
		people, err := n.store.People(ctx, []string{t.ReporterID})
		if err != nil {
			return nil, err
		}
		if p := people[t.ReporterID]; p != nil && !p.Inactive {
			phone, email = p.Phone, p.Email
		}
	}
	if lang == "" {
		lang = nc.DefaultLanguage
	}
	switch {
	case phone != "" && (email == "" || nc.PreferredChannel == ChannelSMS):
		return []recipient{{ChannelSMS, phone, lang}}, nil
	case email != "":
		return []recipient{{ChannelEmail, email, lang}}, nil
	}
	return nil, nil
}

// staffRecipients returns the attending staff and, for an escalation, the
// users holding the level's role who may see the ticket; by e-mail, in the
// default language. Inactive users are left out: they no longer work the
// ticket. Even the neutral message names the code of a ticket that, in a
// restricted category, does not exist for the others.
func (n *Notifier) staffRecipients(ctx context.Context, cfg *Config, t *Ticket, nt Notice) ([]recipient, error) {
	nc := &cfg.Notifications
	var people []*Person
	if t.AttendingStaffID != "" {
		m, err := n.store.People(ctx, []string{t.AttendingStaffID})
		if err != nil {
			return nil, err
		}
		if p := m[t.AttendingStaffID]; p != nil {
			people = append(people, p)
		}
	}
	if nt.Type == NoticeEscalated && nt.Role != "" {
		users, err := n.store.Users(ctx)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			if slices.Contains(u.Roles, nt.Role) && visible(cfg, n.principalOf(cfg, u), t) {
				people = append(people, u)
			}
		}
	}
	var out []recipient
	seen := map[string]bool{}
	for _, p := range people {
		if p.Inactive || p.Email == "" || seen[p.Email] {
			continue
		}
		seen[p.Email] = true
		out = append(out, recipient{ChannelEmail, p.Email, nc.DefaultLanguage})
	}
	return out, nil
}

// principalOf is a directory user as the API would judge them, by the
// groups the staff sync keeps. A user the sync has not yet given groups
// holds no right, and sees a restricted category's tickets only as their
// attending staff.
func (n *Notifier) principalOf(cfg *Config, u *Person) *Principal {
	return cfg.GroupPrincipal(u.ID, u.Username, u.Groups, n.AdminGroup)
}
