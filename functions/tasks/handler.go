package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Mutations whose effect is a business fact of its own; the stream tells
// them apart by the lastMutation the store writes on every item.
const (
	mutationResolve = "resolveGrievanceByComment"
	mutationReopen  = "reopenTicket"
)

// configSource gives the module configuration (cached by the service).
type configSource interface {
	Config(ctx context.Context) (*grievance.Config, error)
}

// Handler consumes batches of the Main table's stream and publishes the
// business facts they contain.
type Handler struct {
	// Publisher gets the events in one order group: after an event it
	// could not publish it sends none of the later ones.
	Publisher *bus.Publisher
	// Config says which categories are confidential; their tickets' events
	// carry ids and workflow state only. nil: no category is.
	Config configSource
	Log    *slog.Logger
}

// Handle publishes the events of every record, in stream order, and
// reports as batch item failures the first record whose events could not
// all be published (or that cannot be decoded) and every record after it.
// Lambda retries from there; events published before the failure may be
// published again, with the same eventId, which is why consumers dedupe.
//
// A malformed record is a poison record: it is logged and reported, never
// skipped silently, so the mapping's bounded retries send it to the DLQ
// and the shard moves on. Handle never returns an error, which would fail
// the whole batch and republish the records before the failure.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var (
		resp    events.DynamoDBEventResponse
		batch   []bus.Event
		records []int // the index of each event's record
		stopAt  = len(ev.Records)
		stopErr error
	)
	confidential := func(string) bool { return false }
	if h.Config != nil {
		cfg, err := h.Config.Config(ctx)
		if err != nil {
			// Without the configuration no event is known to be safe to
			// publish: the whole batch is retried later.
			h.Log.ErrorContext(ctx, "load configuration", "err", err)
			for _, rec := range ev.Records {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
			return resp, nil
		}
		confidential = cfg.Confidential
	}
	for i, rec := range ev.Records {
		h.Log.InfoContext(ctx, "stream record", "eventName", rec.EventName,
			"keys", store.KeyStrings(rec.Change.Keys), "sequenceNumber", rec.Change.SequenceNumber)
		ch, err := store.DecodeChange(rec)
		if err != nil {
			stopAt, stopErr = i, err
			break
		}
		for _, e := range Facts(ch, confidential) {
			batch, records = append(batch, e), append(records, i)
		}
	}
	if failed, err := h.Publisher.Publish(ctx, batch); err != nil {
		if r := records[failed[0]]; r < stopAt {
			stopAt, stopErr = r, err
		}
	}
	if stopAt == len(ev.Records) {
		return resp, nil
	}
	msg := "events not published, batch stopped"
	if errors.Is(stopErr, store.ErrMalformedRecord) {
		msg = "malformed stream record (poison), batch stopped"
	}
	h.Log.ErrorContext(ctx, msg, "sequenceNumber", ev.Records[stopAt].Change.SequenceNumber,
		"failedRecords", len(ev.Records)-stopAt, "err", stopErr)
	for _, rec := range ev.Records[stopAt:] {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
	}
	return resp, nil
}

// Facts returns the events of one change, in the order consumers should
// see them: what happened to the ticket first, then the task it requires.
// Items other than tickets and comments, ticket removals (only done by
// hand, outside the API) and comment changes other than creation have
// none.
//
// Tickets of a confidential category (restricted, or with anonymized
// fields) are summarised by ids and workflow state only.
func Facts(ch *store.Change, confidential func(category string) bool) []bus.Event {
	switch {
	case ch.IsTicket():
		redact := confidential(ch.Ticket.Category) || (ch.OldTicket != nil && confidential(ch.OldTicket.Category))
		return ticketFacts(ch, redact)
	case ch.IsComment():
		if ch.EventName != store.EventInsert || ch.Comment.IsDeleted {
			return nil
		}
		c := ch.Comment
		d := &bus.CommentDetail{
			Header:  header(bus.EntityComment, c.ID, c.Version, bus.CommentCreated, c.DateUpdated, c.UserUpdated, ch.LastMutation),
			Ticket:  bus.TicketRef{ID: c.TicketID},
			Comment: bus.Comment{ID: c.ID, Version: c.Version, IsResolution: c.IsResolution},
		}
		return []bus.Event{{DetailType: bus.CommentCreated, Detail: d, Time: c.DateUpdated}}
	}
	return nil
}

func ticketFacts(ch *store.Change, redact bool) []bus.Event {
	t, old := ch.Ticket, ch.OldTicket
	if t == nil || (old == nil && ch.EventName != store.EventInsert) {
		return nil // REMOVE
	}
	var out []bus.Event
	add := func(detailType string, detail func(bus.Header) any) {
		h := header(bus.EntityTicket, t.ID, t.Version, detailType, t.DateUpdated, t.UserUpdated, ch.LastMutation)
		out = append(out, bus.Event{DetailType: detailType, Detail: detail(h), Time: t.DateUpdated})
	}
	sum := summary(t, redact)
	task := func(businessEvent string) {
		add(bus.TaskRequested, func(h bus.Header) any {
			return &bus.TaskDetail{Header: h, Ticket: sum, Task: bus.Task{
				Source: bus.TaskSource, EntityType: bus.EntityTicket, EntityID: t.ID,
				ExecutorActionEvent: bus.TaskExecutorActionEvent, BusinessEvent: businessEvent,
				BusinessStatus: map[string]string{}, Status: bus.TaskStatusReceived,
				Assignee: t.AttendingStaffID, Group: sum.Category,
			}}
		})
	}
	status := func(detailType string) {
		add(detailType, func(h bus.Header) any {
			return &bus.StatusDetail{Header: h, Ticket: sum, PreviousStatus: string(old.Status)}
		})
	}

	if old == nil {
		add(bus.TicketCreated, func(h bus.Header) any { return &bus.TicketDetail{Header: h, Ticket: sum} })
		if t.AttendingStaffID != "" {
			task(bus.TaskCreate)
		}
		return out
	}
	if old.IsDeleted {
		return nil // nothing happens to a deleted ticket that anyone must act on
	}
	if t.IsDeleted {
		add(bus.TicketDeleted, func(h bus.Header) any { return &bus.TicketDetail{Header: h, Ticket: sum} })
		return out
	}
	if t.Status != old.Status {
		status(bus.TicketStatusChanged)
	}
	// Resolution is read from the ticket, not from the comment whose
	// isResolution became true: every resolve writes the ticket with this
	// mutation, also when the comment was already flagged, and only the
	// ticket item carries the code, version and statuses.
	if ch.LastMutation == mutationResolve && t.Status == grievance.StatusClosed && old.Status != grievance.StatusClosed {
		status(bus.TicketResolved)
	}
	reopened := ch.LastMutation == mutationReopen && t.Status != old.Status
	if reopened {
		status(bus.TicketReopened)
	}
	if t.AttendingStaffID != old.AttendingStaffID {
		add(bus.TicketStaffAssigned, func(h bus.Header) any {
			return &bus.StaffDetail{Header: h, Ticket: sum, PreviousAttendingStaffID: old.AttendingStaffID}
		})
	}
	// One task request per version at most (its eventId is per version):
	// a reopen asks for action whoever is assigned, a reassignment asks
	// the new staff.
	switch {
	case reopened:
		task(bus.TaskReopen)
	case t.AttendingStaffID != old.AttendingStaffID && t.AttendingStaffID != "":
		task(bus.TaskAssign)
	}
	return out
}

func header(entityType, id string, version int, detailType string, at time.Time, actor, mutation string) bus.Header {
	return bus.Header{EventID: bus.EventID(entityType, id, version, detailType), DetailVersion: bus.DetailVersion,
		OccurredAt: at.UTC(), Actor: actor, Mutation: mutation}
}

// summary keeps the fields of t that may leave the grievance store: ids,
// classification and workflow state, never what the grievance says nor
// who raised it.
//
// A confidential ticket keeps only its ids and workflow state: even its
// category, priority, channel, flags or due date may be what its readers
// are kept from (and a restricted category's name says what it is about).
func summary(t *grievance.Ticket, redact bool) bus.Ticket {
	s := bus.Ticket{ID: t.ID, Code: t.Code, Version: t.Version, Status: string(t.Status),
		AttendingStaffID: t.AttendingStaffID, IsDeleted: t.IsDeleted}
	if !redact {
		s.Category, s.Priority, s.Channel, s.Flags, s.DueDate = t.Category, t.Priority, t.Channel, t.Flags, t.DueDate
	}
	return s
}
