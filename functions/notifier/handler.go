package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
)

// Notifier sends the messages of one event (grievance.Notifier).
type Notifier interface {
	Notify(ctx context.Context, n grievance.Notice) (grievance.Outcome, error)
}

// Deferrer hides a queue message for d: quiet hours hold SMS back.
type Deferrer interface {
	Defer(ctx context.Context, receiptHandle string, d time.Duration) error
}

// maxDefer is SQS's longest visibility timeout.
const maxDefer = 12 * time.Hour

// Handler takes the notifier queue's messages, each an EventBridge event
// a rule routed there, and reports the ones to retry as batch item
// failures (the event source mapping has ReportBatchItemFailures): the
// queue redelivers them, and after its maxReceiveCount moves them to its
// dead-letter queue.
type Handler struct {
	Notifier Notifier
	Queue    Deferrer
	Now      func() time.Time
	Log      *slog.Logger
}

// Handle implements the Lambda handler.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	fail := func(r events.SQSMessage) {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
	}
	for _, r := range ev.Records {
		n, err := decodeNotice([]byte(r.Body))
		if err != nil {
			// A poison message goes to the dead-letter queue after its
			// retries; it is never dropped silently.
			h.Log.Error("malformed event", "messageId", r.MessageId, "err", err)
			fail(r)
			continue
		}
		if n == nil {
			continue
		}
		out, err := h.Notifier.Notify(ctx, *n)
		if err != nil {
			h.Log.Warn("notification failed; the event comes back", "eventId", n.EventID, "type", n.Type,
				"code", grievance.ErrorCode(err), "err", grievance.ErrorMessage(err))
			fail(r)
			continue
		}
		h.Log.Info("notified", "eventId", n.EventID, "type", n.Type, "sent", out.Sent, "duplicate", out.Duplicate,
			"optedOut", out.OptedOut, "noRecipient", out.NoRecipient)
		if !out.DeferredUntil.IsZero() {
			wait := min(max(out.DeferredUntil.Sub(h.Now()), time.Second), maxDefer)
			if err := h.Queue.Defer(ctx, r.ReceiptHandle, wait); err != nil {
				h.Log.Warn("defer failed; the event comes back at the visibility timeout", "eventId", n.EventID, "err", err)
			}
			h.Log.Info("held back by quiet hours", "eventId", n.EventID, "until", out.DeferredUntil)
			fail(r)
		}
	}
	return resp, nil
}

// NoticeTypes are the detail-types the notifier's rules route to it.
var NoticeTypes = grievance.NoticeTypes

// decodeNotice reads an EventBridge event; nil for a detail-type the
// notifier does not act on.
func decodeNotice(body []byte) (*grievance.Notice, error) {
	var env struct {
		Source     string          `json:"source"`
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not an EventBridge event: %w", err)
	}
	if env.Source != bus.Source {
		return nil, fmt.Errorf("source %q is not %s", env.Source, bus.Source)
	}
	if !slices.Contains(NoticeTypes, env.DetailType) {
		return nil, nil
	}
	var d struct {
		EventID  string `json:"eventId"`
		Mutation string `json:"mutation"`
		Ticket   struct {
			ID string `json:"id"`
		} `json:"ticket"`
		Escalation *bus.Escalation `json:"escalation"`
	}
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, fmt.Errorf("%s detail: %w", env.DetailType, err)
	}
	if d.EventID == "" || d.Ticket.ID == "" {
		return nil, errors.New(env.DetailType + " detail lacks eventId or ticket.id")
	}
	n := &grievance.Notice{EventID: d.EventID, Type: env.DetailType, TicketID: d.Ticket.ID, Mutation: d.Mutation}
	if d.Escalation != nil {
		n.Role = d.Escalation.Role
	}
	return n, nil
}
