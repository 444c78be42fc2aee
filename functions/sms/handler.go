package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
)

// service is what the handler needs from the domain.
type service interface {
	InboundSMS(ctx context.Context, source, messageID, from, text string) (string, error)
}

// sender sends the reply (sms.Sender).
type sender interface {
	Send(ctx context.Context, to, from, text string) error
}

type limiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
}

// Inbound is the message AWS End User Messaging SMS publishes to the
// two-way SNS topic for every text a number receives.
type Inbound struct {
	OriginationNumber          string `json:"originationNumber"`
	DestinationNumber          string `json:"destinationNumber"`
	MessageKeyword             string `json:"messageKeyword"`
	MessageBody                string `json:"messageBody"`
	InboundMessageID           string `json:"inboundMessageId"`
	PreviousPublishedMessageID string `json:"previousPublishedMessageId"`
}

// Handler turns inbound SMS (SNS notifications) into complaints and
// status answers, and sends the reply back by SMS.
type Handler struct {
	Service service
	Sender  sender
	Limiter limiter
	// PerSender bounds the messages of one number per Window.
	PerSender int
	Window    time.Duration
	Log       *slog.Logger
	Now       func() time.Time
}

// Handle processes one SNS delivery. A malformed message is dropped (SNS
// would only redeliver it); a failure that may pass is returned, so that
// Lambda retries the delivery, which the message id makes harmless.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, r := range ev.Records {
		if err := h.handle(ctx, r.SNS); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h *Handler) handle(ctx context.Context, n events.SNSEntity) error {
	var in Inbound
	if err := json.Unmarshal([]byte(n.Message), &in); err != nil || in.OriginationNumber == "" || in.InboundMessageID == "" {
		// No message text or number in the log: they are personal data.
		h.Log.WarnContext(ctx, "inbound SMS dropped: not an End User Messaging message", "snsMessageId", n.MessageID)
		return nil
	}
	sum := sha256.Sum256([]byte("sms:" + in.OriginationNumber))
	ok, err := h.Limiter.Allow(ctx, hex.EncodeToString(sum[:12]), h.PerSender, h.Window, h.Now())
	if err != nil {
		return err
	}
	if !ok {
		// No reply: answering a flood would spend money on it.
		h.Log.WarnContext(ctx, "inbound SMS over the sender's rate limit", "messageId", in.InboundMessageID)
		return nil
	}
	reply, err := h.Service.InboundSMS(ctx, grievance.SourceSMS, in.InboundMessageID, in.OriginationNumber, in.MessageBody)
	if err != nil {
		h.Log.ErrorContext(ctx, "inbound SMS failed", "messageId", in.InboundMessageID, "err", err)
		return err
	}
	if err := h.Sender.Send(ctx, in.OriginationNumber, in.DestinationNumber, reply); err != nil {
		h.Log.ErrorContext(ctx, "SMS reply failed", "messageId", in.InboundMessageID, "err", err)
		return err
	}
	h.Log.InfoContext(ctx, "inbound SMS answered", "messageId", in.InboundMessageID)
	return nil
}
