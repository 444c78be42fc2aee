package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Store is what the sweep needs from storage; *store.Store implements it.
type Store interface {
	OverdueTickets(ctx context.Context, fromDay, beforeDay string, fn func(*grievance.Ticket) (bool, error)) error
	PublishedSLASteps(ctx context.Context, steps []store.SLAStep) (map[store.SLAStep]bool, error)
	ClaimSLAStep(ctx context.Context, step store.SLAStep, runID string, now time.Time, stale time.Duration) (bool, error)
	CompleteSLAStep(ctx context.Context, step store.SLAStep) error
	ReleaseSLAStep(ctx context.Context, step store.SLAStep, runID string) error
}

var _ Store = (*store.Store)(nil)

// configSource gives the module configuration (cached by the service).
type configSource interface {
	Config(ctx context.Context) (*grievance.Config, error)
}

// Handler is the service-level sweep, started on a schedule.
type Handler struct {
	Store     Store
	Config    configSource
	Publisher *bus.Publisher
	Now       func() time.Time
	NewID     func() string
	Log       *slog.Logger
	// ClaimTimeout is how long a run's claim on a step holds before another
	// run may take it over (default 5 minutes, more than the function's
	// timeout).
	ClaimTimeout time.Duration
}

// Result summarises a run (the function's response, and its log line).
type Result struct {
	// Overdue is how many open tickets were past their due date.
	Overdue int `json:"overdue"`
	// Published counts the steps published by this run: ticket.overdue
	// notices and escalation levels.
	Published int `json:"published"`
	Escalated int `json:"escalated"`
	// Failed counts the steps whose events EventBridge did not take; they
	// are released and published by a later run.
	Failed int `json:"failed"`
}

// chunk is how many overdue tickets the sweep handles at once: one
// BatchGetItem of their markers.
const chunk = 100

// Handle runs the sweep: it reads the open tickets whose due date ran out
// (index g6, due dates from one SLAHorizon ago to yesterday) and, for each,
// publishes ticket.overdue once per due date, then each escalation level
// of its category that it reached (after_hours past the end of its due
// date) once, in level order: ticket.escalated followed by a
// task.requested for the level's role or group.
//
// Once is kept across runs, retries and concurrent runs by a marker per
// step: a run claims the step (conditional put), publishes, and marks it
// published; a step whose events could not be published is released for
// the next run. A ticket's later levels are not claimed while an earlier
// one is held by another run. The event ids are deterministic
// (bus.DueEventID), so a step republished after a crash between publishing
// and marking is recognised by consumers.
//
// It returns an error (and Lambda's asynchronous invocation retries the
// run) when it cannot read, or when some steps could not be published.
func (h *Handler) Handle(ctx context.Context, _ events.CloudWatchEvent) (Result, error) {
	var res Result
	cfg, err := h.Config.Config(ctx)
	if err != nil {
		return res, fmt.Errorf("load configuration: %w", err)
	}
	now := h.Now().UTC()
	run := &sweep{h: h, cfg: cfg, now: now, runID: h.NewID(), res: &res}
	var batch []*grievance.Ticket
	err = h.Store.OverdueTickets(ctx, now.Add(-grievance.SLAHorizon).Format(grievance.DateLayout), now.Format(grievance.DateLayout),
		func(t *grievance.Ticket) (bool, error) {
			res.Overdue++
			batch = append(batch, t)
			if len(batch) == chunk {
				err := run.handle(ctx, batch)
				batch = batch[:0]
				return err == nil, err
			}
			return true, nil
		})
	if err == nil && len(batch) > 0 {
		err = run.handle(ctx, batch)
	}
	h.Log.InfoContext(ctx, "sla sweep", "overdue", res.Overdue, "published", res.Published, "escalated", res.Escalated, "failed", res.Failed, "err", err)
	if err != nil {
		return res, err
	}
	if res.Failed > 0 {
		return res, fmt.Errorf("%d steps not published; released for the next run", res.Failed)
	}
	return res, nil
}

type sweep struct {
	h     *Handler
	cfg   *grievance.Config
	now   time.Time
	runID string
	res   *Result
}

// claimed is a step this run holds, with its events.
type claimed struct {
	step   store.SLAStep
	events []bus.Event
	failed bool
}

// handle takes the steps due on a chunk of overdue tickets.
func (s *sweep) handle(ctx context.Context, tickets []*grievance.Ticket) error {
	due := map[string][]store.SLAStep{}
	var all []store.SLAStep
	for _, t := range tickets {
		var steps []store.SLAStep
		for _, level := range s.cfg.StepsDue(t, s.now) {
			steps = append(steps, store.SLAStep{TicketID: t.ID, DueDate: t.DueDate, Level: level})
		}
		due[t.ID] = steps
		all = append(all, steps...)
	}
	published, err := s.h.Store.PublishedSLASteps(ctx, all)
	if err != nil {
		return err
	}
	var held [][]*claimed // per ticket, in level order
	for _, t := range tickets {
		var mine []*claimed
		for _, st := range due[t.ID] {
			if published[st] {
				continue
			}
			ok, err := s.h.Store.ClaimSLAStep(ctx, st, s.runID, s.now, s.claimTimeout())
			if err != nil {
				s.release(ctx, append(held, mine))
				return err
			}
			if !ok {
				break // published meanwhile, or another run holds it: keep level order
			}
			mine = append(mine, &claimed{step: st, events: s.eventsOf(t, st)})
		}
		if len(mine) > 0 {
			held = append(held, mine)
		}
	}
	s.publish(ctx, held)
	for _, mine := range held {
		failed := false
		for _, c := range mine {
			// A failed level fails the levels after it too: they go out
			// again, after it, in a later run.
			failed = failed || c.failed
			if failed {
				s.res.Failed++
				if err := s.h.Store.ReleaseSLAStep(ctx, c.step, s.runID); err != nil {
					s.h.Log.WarnContext(ctx, "release sla step", "ticket", c.step.TicketID, "level", c.step.Level, "err", err)
				}
				continue
			}
			if err := s.h.Store.CompleteSLAStep(ctx, c.step); err != nil {
				// The events are out; the claim goes stale and a later run
				// publishes them again with the same ids.
				return err
			}
			s.res.Published++
			if c.step.Level > 0 {
				s.res.Escalated++
			}
		}
	}
	return nil
}

func (s *sweep) claimTimeout() time.Duration {
	if s.h.ClaimTimeout > 0 {
		return s.h.ClaimTimeout
	}
	return 5 * time.Minute
}

func (s *sweep) release(ctx context.Context, held [][]*claimed) {
	for _, mine := range held {
		for _, c := range mine {
			if err := s.h.Store.ReleaseSLAStep(ctx, c.step, s.runID); err != nil {
				s.h.Log.WarnContext(ctx, "release sla step", "ticket", c.step.TicketID, "err", err)
			}
		}
	}
}

// eventsOf returns the events of one step on t. The escalation's role is
// routing, configured by administrators, and goes out whatever the ticket
// discloses; its group does not for a confidential ticket (docs/events.md):
// groups are named for what a category is about (a district's GBV desk),
// and the task consumers must route such a ticket by its role alone.
func (s *sweep) eventsOf(t *grievance.Ticket, st store.SLAStep) []bus.Event {
	sum := bus.TicketOf(s.cfg.Disclose(nil, t))
	header := func(detailType string) bus.Header {
		return bus.Header{EventID: bus.DueEventID(t.ID, st.DueDate, st.Level, detailType), DetailVersion: bus.DetailVersion,
			OccurredAt: s.now, Actor: bus.SLAActor}
	}
	if st.Level == 0 {
		return []bus.Event{{DetailType: bus.TicketOverdue, Time: s.now,
			Detail: &bus.OverdueDetail{Header: header(bus.TicketOverdue), Ticket: sum}}}
	}
	l := s.cfg.Escalation(t.Category)[st.Level-1]
	if s.cfg.Confidential(t.Category) {
		l.Group = ""
	}
	return []bus.Event{
		{DetailType: bus.TicketEscalated, Time: s.now, Detail: &bus.EscalationDetail{Header: header(bus.TicketEscalated), Ticket: sum,
			Escalation: bus.Escalation{Level: st.Level, AfterHours: l.AfterHours, Role: l.Role, Group: l.Group}}},
		{DetailType: bus.TaskRequested, Time: s.now, Detail: &bus.TaskDetail{Header: header(bus.TaskRequested), Ticket: sum,
			Task: bus.Task{Source: bus.TaskSource, EntityType: bus.EntityTicket, EntityID: t.ID,
				ExecutorActionEvent: bus.TaskExecutorActionEvent, BusinessEvent: bus.BusinessEvent(grievance.TaskEscalate),
				BusinessStatus: map[string]string{}, Status: bus.TaskStatusReceived, Role: l.Role, Group: l.Group}}},
	}
}

// publish puts the events of every held step, in order; a ticket's
// events are an order group, so after an event of a ticket that could not
// be published nothing more of that ticket is sent, and its step is marked
// failed. Entries of the same request after the refused one were accepted
// already: those steps go out again, after the refused one, in the next
// run, with the same event ids.
func (s *sweep) publish(ctx context.Context, held [][]*claimed) {
	var (
		evs   []bus.Event
		steps []*claimed // the step of each event
	)
	for _, mine := range held {
		for _, c := range mine {
			for _, ev := range c.events {
				ev.Group = c.step.TicketID
				evs, steps = append(evs, ev), append(steps, c)
			}
		}
	}
	failed, err := s.h.Publisher.Publish(ctx, evs)
	for _, i := range failed {
		steps[i].failed = true
	}
	if err != nil {
		s.h.Log.WarnContext(ctx, "events not published", "entries", len(failed), "err", err)
	}
}
