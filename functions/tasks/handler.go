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
	cfg := &grievance.Config{} // no category is confidential
	if h.Config != nil {
		c, err := h.Config.Config(ctx)
		if err != nil {
			// Without the configuration no event is known to be safe to
			// publish: the whole batch is retried later.
			h.Log.ErrorContext(ctx, "load configuration", "err", err)
			for _, rec := range ev.Records {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			}
			return resp, nil
		}
		cfg = c
	}
	for i, rec := range ev.Records {
		h.Log.InfoContext(ctx, "stream record", "eventName", rec.EventName,
			"key", store.LogKey(rec.Change.Keys), "sequenceNumber", rec.Change.SequenceNumber)
		ch, err := store.DecodeChange(rec)
		if err != nil {
			stopAt, stopErr = i, err
			break
		}
		for _, e := range Events(ch, cfg) {
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

// Events returns the events of one change, in the order consumers should
// see them: what happened to the ticket first, then the task it requires.
// The domain decides which facts a change holds (grievance.ChangeOf,
// grievance.CommentCreated) and what of the ticket they may reveal
// (Config.Disclose); this translates them into bus events. Items other
// than tickets and comments, removals (only done by hand, outside the
// API) and records without the image before a change have none.
func Events(ch *store.Change, cfg *grievance.Config) []bus.Event {
	if ch.EventName == store.EventRemove {
		return nil
	}
	switch {
	case ch.IsTicket():
		if ch.Ticket == nil || (ch.OldTicket == nil && ch.EventName != store.EventInsert) {
			return nil
		}
		return ticketEvents(ch, cfg)
	case ch.IsComment():
		c := ch.Comment
		if c == nil || (ch.OldComment == nil && ch.EventName != store.EventInsert) {
			return nil
		}
		event := func(dt string) bus.Event {
			return bus.Event{DetailType: dt, Time: c.DateUpdated, Detail: &bus.CommentDetail{
				Header:  header(bus.EntityComment, c.ID, c.Version, dt, c.DateUpdated, c.UserUpdated, ch.LastMutation),
				Ticket:  bus.TicketRef{ID: c.TicketID},
				Comment: bus.Comment{ID: c.ID, Version: c.Version, IsResolution: c.IsResolution},
			}}
		}
		var evs []bus.Event
		if ch.EventName == store.EventInsert && grievance.CommentCreated(ch.OldComment, c) {
			evs = append(evs, event(bus.CommentCreated))
		}
		if grievance.CommentMadePublic(ch.OldComment, c) {
			evs = append(evs, event(bus.CommentMadePublic))
		}
		return evs
	case ch.IsAttachment():
		if ch.Attachment == nil || ch.OldAttachment == nil {
			return nil
		}
		return attachmentEvents(ch)
	}
	return nil
}

// attachmentEvents are the detail-types of the domain's attachment facts.
var attachmentDetailTypes = map[grievance.AttachmentFact]string{
	grievance.AttachmentAdded:       bus.AttachmentAdded,
	grievance.AttachmentQuarantined: bus.AttachmentInfected,
	grievance.AttachmentRemoved:     bus.AttachmentRemoved,
}

// attachmentEvents: ids and metadata, never the file name, whatever the
// ticket's category.
func attachmentEvents(ch *store.Change) []bus.Event {
	a := ch.Attachment
	dt, ok := attachmentDetailTypes[grievance.AttachmentChange(ch.OldAttachment, a)]
	if !ok {
		return nil
	}
	d := &bus.AttachmentDetail{
		Header: header(bus.EntityAttachment, a.ID, a.Version, dt, a.DateUpdated, a.UserUpdated, ch.LastMutation),
		Ticket: bus.TicketRef{ID: a.TicketID},
		Attachment: bus.Attachment{ID: a.ID, Version: a.Version, Status: string(a.Status),
			ContentType: a.ContentType, Size: a.Size},
	}
	return []bus.Event{{DetailType: dt, Detail: d, Time: a.DateUpdated}}
}

// factEvents are the detail-types of the domain's ticket facts.
var factEvents = map[grievance.Fact]string{
	grievance.FactCreated:       bus.TicketCreated,
	grievance.FactDeleted:       bus.TicketDeleted,
	grievance.FactStatusChanged: bus.TicketStatusChanged,
	grievance.FactResolved:      bus.TicketResolved,
	grievance.FactReopened:      bus.TicketReopened,
	grievance.FactAppealed:      bus.TicketAppealed,
	grievance.FactStaffAssigned: bus.TicketStaffAssigned,
}

func ticketEvents(ch *store.Change, cfg *grievance.Config) []bus.Event {
	t, old := ch.Ticket, ch.OldTicket
	change := grievance.ChangeOf(old, t, ch.LastMutation)
	sum := bus.TicketOf(cfg.Disclose(old, t))
	var out []bus.Event
	for _, f := range change.Facts {
		dt := factEvents[f]
		h := header(bus.EntityTicket, t.ID, t.Version, dt, t.DateUpdated, t.UserUpdated, ch.LastMutation)
		var d any
		switch f {
		case grievance.FactCreated, grievance.FactDeleted:
			d = &bus.TicketDetail{Header: h, Ticket: sum}
		case grievance.FactStaffAssigned:
			d = &bus.StaffDetail{Header: h, Ticket: sum, PreviousAttendingStaffID: old.AttendingStaffID}
		default:
			d = &bus.StatusDetail{Header: h, Ticket: sum, PreviousStatus: string(old.Status)}
		}
		out = append(out, bus.Event{DetailType: dt, Detail: d, Time: t.DateUpdated})
	}
	if change.Task != "" {
		h := header(bus.EntityTicket, t.ID, t.Version, bus.TaskRequested, t.DateUpdated, t.UserUpdated, ch.LastMutation)
		out = append(out, bus.Event{DetailType: bus.TaskRequested, Time: t.DateUpdated, Detail: &bus.TaskDetail{Header: h, Ticket: sum, Task: bus.Task{
			Source: bus.TaskSource, EntityType: bus.EntityTicket, EntityID: t.ID,
			ExecutorActionEvent: bus.TaskExecutorActionEvent, BusinessEvent: bus.BusinessEvent(change.Task),
			BusinessStatus: map[string]string{}, Status: bus.TaskStatusReceived,
			Assignee: t.AttendingStaffID, Group: sum.Category,
		}}})
	}
	return out
}

func header(entityType, id string, version int, detailType string, at time.Time, actor, mutation string) bus.Header {
	return bus.Header{EventID: bus.EventID(entityType, id, version, detailType), DetailVersion: bus.DetailVersion,
		OccurredAt: at.UTC(), Actor: actor, Mutation: mutation}
}
