package grievance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Service levels: every ticket with a due date runs against it from the
// start of its period (its creation, or its last reopening under the
// "new_period" policy) to the end of its due date (UTC). docs/sla.md
// describes the states, the configuration and the functions that act on
// them.

// SLAStatus is a ticket's service-level state.
type SLAStatus string

// Service-level states: three while the ticket is open, two once it is
// resolved.
const (
	SLAOnTrack  SLAStatus = "ON_TRACK" // open, more than the at-risk share of its period left
	SLAAtRisk   SLAStatus = "AT_RISK"  // open, at most the at-risk share left
	SLABreached SLAStatus = "BREACHED" // open, due date passed
	SLAMet      SLAStatus = "MET"      // resolved before its due date ran out
	SLAMissed   SLAStatus = "MISSED"   // resolved after its due date
)

// Limits of the service-level configuration.
const (
	maxLevels = 10       // escalation levels per grievance type
	maxAfter  = 24 * 365 // after_hours: the sweep looks back one year (SLAHorizon)
)

// SLAStatuses lists every state, open ones first.
var SLAStatuses = []SLAStatus{SLAOnTrack, SLAAtRisk, SLABreached, SLAMet, SLAMissed}

// ParseSLAStatus returns the state named s.
func ParseSLAStatus(s string) (SLAStatus, error) {
	for _, st := range SLAStatuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", Errorf(CodeInvalid, "Unknown slaStatus %q; expected one of ON_TRACK, AT_RISK, BREACHED, MET, MISSED.", s)
}

// Open reports whether st is a state of an open ticket.
func (st SLAStatus) Open() bool { return st == SLAOnTrack || st == SLAAtRisk || st == SLABreached }

// Reopen policies (sla_reopen_policy).
const (
	// ReopenNewPeriod starts a new period when a resolved ticket is
	// reopened: its due date becomes the reopening plus its resolution
	// time (the ticket's own, else its category's).
	ReopenNewPeriod = "new_period"
	// ReopenKeep keeps the due date the ticket had.
	ReopenKeep = "keep"
)

// SLAHorizon is how far back the scheduled sweep looks for overdue
// tickets, and so how long escalation markers are kept: a ticket overdue
// for longer is no longer escalated.
const SLAHorizon = 365 * 24 * time.Hour

// Terminal reports whether tickets in status s are resolved (RESOLVED,
// CLOSED): they no longer run against a due date.
func (s Status) Terminal() bool { return s == StatusResolved || s == StatusClosed }

// Deadline returns the instant a due date runs out: the end of that day
// (UTC), so a ticket due on the 27th is on time all day.
func Deadline(dueDate string) (time.Time, bool) {
	d, err := time.Parse(DateLayout, dueDate)
	if err != nil {
		return time.Time{}, false
	}
	return d.Add(24 * time.Hour), true
}

// PeriodStart returns when the ticket's current period started.
func (t *Ticket) PeriodStart() time.Time {
	if !t.SLAStart.IsZero() {
		return t.SLAStart
	}
	return t.DateCreated
}

// ResolvedAt returns when a resolved ticket was resolved (zero for open
// ones). Tickets resolved before Redress recorded it count from their
// last update.
func (t *Ticket) ResolvedAt() time.Time {
	if !t.Status.Terminal() {
		return time.Time{}
	}
	if !t.DateResolved.IsZero() {
		return t.DateResolved
	}
	return t.DateUpdated
}

// SLA returns the ticket's state at now, with atRiskShare the share of
// its period at which it turns AT_RISK; ok is false for tickets without a
// due date, which have no state.
func (t *Ticket) SLA(now time.Time, atRiskShare float64) (st SLAStatus, ok bool) {
	deadline, ok := Deadline(t.DueDate)
	if !ok {
		return "", false
	}
	if t.Status.Terminal() {
		if t.ResolvedAt().Before(deadline) {
			return SLAMet, true
		}
		return SLAMissed, true
	}
	if !now.Before(deadline) {
		return SLABreached, true
	}
	left, total := deadline.Sub(now), deadline.Sub(t.PeriodStart())
	if float64(left) <= atRiskShare*float64(total) {
		return SLAAtRisk, true
	}
	return SLAOnTrack, true
}

// ResolvedWithinTime reports whether a resolved ticket was resolved
// before its due date ran out; ok is false for open tickets and tickets
// without a due date.
func (t *Ticket) ResolvedWithinTime() (within, ok bool) {
	if !t.Status.Terminal() {
		return false, false
	}
	st, ok := t.SLA(time.Time{}, 0)
	return st == SLAMet, ok
}

// SLAOf returns the state of t now under cfg, for readers.
func (s *Service) SLAOf(cfg *Config, t *Ticket) (SLAStatus, bool) {
	return t.SLA(s.now().UTC(), cfg.SLAAtRiskShare)
}

// Now returns the service's clock reading (UTC).
func (s *Service) Now() time.Time { return s.now().UTC() }

// trackSLA keeps the service-level fields of the tickets a write stores:
// a ticket becoming RESOLVED or CLOSED records when; a resolved ticket
// becoming open again (reopenTicket, or updateTicket setting an open
// status) forgets it and, under the "new_period" policy, starts a new
// period at that moment with a new due date. Both are read from the
// ticket itself, so every mutation that writes a ticket is covered.
func (s *Service) trackSLA(ctx context.Context, w *Write) error {
	var cfg *Config
	track := func(t *Ticket) error {
		at := t.DateUpdated
		switch {
		case t.Status.Terminal() && t.DateResolved.IsZero():
			t.DateResolved = at
		case !t.Status.Terminal() && !t.DateResolved.IsZero():
			t.DateResolved = time.Time{}
			if cfg == nil {
				var err error
				if cfg, err = s.Config(ctx); err != nil {
					return err
				}
			}
			if cfg.SLAReopenPolicy != ReopenNewPeriod {
				return nil
			}
			res := t.Resolution
			if res == "" {
				res = cfg.DefaultResolutionFor(t.Category)
			}
			r, err := ParseResolution(res)
			if err != nil {
				return err
			}
			t.SLAStart, t.DueDate = at, r.DueDate(at)
		}
		return nil
	}
	if w.NewTicket != nil {
		if err := track(w.NewTicket); err != nil {
			return err
		}
	}
	for _, tw := range w.Tickets {
		if err := track(tw.Ticket); err != nil {
			return err
		}
	}
	return nil
}

// EscalationLevel is one step of a grievance type's escalation: AfterHours
// hours after the due date ran out, the ticket goes to Role and/or Group.
type EscalationLevel struct {
	AfterHours int    `json:"after_hours"`
	Role       string `json:"role,omitempty"`
	Group      string `json:"group,omitempty"`
}

// UnmarshalJSON decodes a level strictly: unknown keys are errors and
// after_hours is required.
func (l *EscalationLevel) UnmarshalJSON(b []byte) error {
	var raw struct {
		AfterHours *int   `json:"after_hours"`
		Role       string `json:"role"`
		Group      string `json:"group"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("escalation level: %w", err)
	}
	if raw.AfterHours == nil {
		return fmt.Errorf("escalation level %s has no after_hours", b)
	}
	*l = EscalationLevel{AfterHours: *raw.AfterHours, Role: raw.Role, Group: raw.Group}
	return nil
}

// Escalation returns the levels of category, in order (none when it has
// none).
func (c *Config) Escalation(category string) []EscalationLevel {
	levels, _ := c.EscalationLevels.Get(category)
	return levels
}

// StepsDue returns the service-level steps due on t at now, in order:
// 0, the overdue notice, once its due date ran out, then every escalation
// level (numbered from 1) of its category whose after_hours have passed
// since. A resolved ticket, or one without a due date, has none.
func (c *Config) StepsDue(t *Ticket, now time.Time) []int {
	deadline, ok := Deadline(t.DueDate)
	if !ok || t.Status.Terminal() || now.Before(deadline) {
		return nil
	}
	steps := []int{0}
	for i, l := range c.Escalation(t.Category) {
		if now.Sub(deadline) >= time.Duration(l.AfterHours)*time.Hour {
			steps = append(steps, i+1)
		}
	}
	return steps
}

func (c *Config) validateSLA() error {
	if c.SLAAtRiskShare < 0 || c.SLAAtRiskShare > 1 {
		return Errorf(CodeInvalid, "sla_at_risk_share %v must be between 0 and 1.", c.SLAAtRiskShare)
	}
	if c.SLAReopenPolicy != ReopenNewPeriod && c.SLAReopenPolicy != ReopenKeep {
		return Errorf(CodeInvalid, "sla_reopen_policy %q must be %q or %q.", c.SLAReopenPolicy, ReopenNewPeriod, ReopenKeep)
	}
	for _, k := range c.EscalationLevels.Keys {
		levels := c.EscalationLevels.Values[k]
		if len(levels) == 0 || len(levels) > maxLevels {
			return Errorf(CodeInvalid, "escalation_levels[%q] must list 1 to %d levels.", k, maxLevels)
		}
		for i, l := range levels {
			if l.AfterHours < 0 || l.AfterHours > maxAfter {
				return Errorf(CodeInvalid, "escalation_levels[%q] level %d: after_hours must be between 0 and %d.", k, i+1, maxAfter)
			}
			if i > 0 && l.AfterHours <= levels[i-1].AfterHours {
				return Errorf(CodeInvalid, "escalation_levels[%q] level %d: after_hours must be greater than the level before.", k, i+1)
			}
			if l.Role == "" && l.Group == "" {
				return Errorf(CodeInvalid, "escalation_levels[%q] level %d names neither a role nor a group.", k, i+1)
			}
			if l.Role == "" && c.Confidential(k) {
				return Errorf(CodeInvalid, "escalation_levels[%q] level %d needs a role: the events of a confidential category carry no group.", k, i+1)
			}
			for _, v := range []string{l.Role, l.Group} {
				if err := checkText("escalation role or group", v, maxShortText, false); err != nil {
					return Errorf(CodeInvalid, "escalation_levels[%q] level %d: %s", k, i+1, ErrorMessage(err))
				}
			}
		}
	}
	return nil
}

// slaFilter returns the matcher of a list's service-level filters and the
// statuses a matching ticket can be in, which narrows the key range (nil:
// any status). The matcher judges at now and runs on masked rows: a ticket
// whose due date is masked for the reader has no state, so no filter value
// finds it.
func (s *Service) slaFilter(cfg *Config, q TicketQuery, now time.Time) (func(*Ticket) bool, []Status, error) {
	if q.SLAStatus == "" && q.ResolvedWithinTime == nil {
		return func(*Ticket) bool { return true }, nil, nil
	}
	var want SLAStatus
	if q.SLAStatus != "" {
		var err error
		if want, err = ParseSLAStatus(q.SLAStatus); err != nil {
			return nil, nil, err
		}
	}
	var allowed []Status
	switch {
	case q.ResolvedWithinTime != nil && want.Open():
		allowed = []Status{} // an open ticket has no resolvedWithinTime
	case want.Open():
		allowed = []Status{StatusReceived, StatusOpen, StatusInProgress}
	default:
		allowed = []Status{StatusResolved, StatusClosed}
	}
	share := cfg.SLAAtRiskShare
	return func(t *Ticket) bool {
		if want != "" {
			if st, ok := t.SLA(now, share); !ok || st != want {
				return false
			}
		}
		if q.ResolvedWithinTime != nil {
			if within, ok := t.ResolvedWithinTime(); !ok || within != *q.ResolvedWithinTime {
				return false
			}
		}
		return true
	}, allowed, nil
}
