package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/redress-grm/redress/shared/bus"
)

// EventBridge is the part of the EventBridge API the publisher uses;
// *eventbridge.Client implements it, tests substitute a fake that throttles.
type EventBridge interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ EventBridge = (*eventbridge.Client)(nil)

// maxEntries is the most entries one PutEvents request takes.
const maxEntries = 10

// Pending is an event waiting to be published, with the index of the
// stream record it comes from.
type Pending struct {
	Record int
	Event  bus.Event
}

// Publisher puts events on a bus in order, in requests of up to ten
// entries, retrying entries that fail.
type Publisher struct {
	API EventBridge
	Bus string
	// Attempts bounds the tries of a request's failed entries (default 4).
	// The SDK already retries a throttled request as a whole; entries that
	// fail inside an accepted request (FailedEntryCount) are ours to retry.
	Attempts int
	// Backoff is the pause before the first retry, doubled at each next
	// one, with jitter (default 100 ms: 4 attempts wait about 0.7 s at most).
	Backoff time.Duration
	// Sleep waits; tests replace it to run without pauses.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Publish puts the events in order. When entries still fail after the
// retries it stops (later requests are not sent, to keep order) and
// returns the record index of the first failed entry and why; entries of
// later records in the same request may have been published, and will be
// published again with the same eventId when the record is retried.
func (p *Publisher) Publish(ctx context.Context, evs []Pending) (failedRecord int, err error) {
	for start := 0; start < len(evs); start += maxEntries {
		chunk := evs[start:min(start+maxEntries, len(evs))]
		if i, err := p.put(ctx, chunk); err != nil {
			return chunk[i].Record, err
		}
	}
	return 0, nil
}

// put sends one request's events until all are accepted or the attempts
// are used up, and then returns the index of the first failed one.
func (p *Publisher) put(ctx context.Context, chunk []Pending) (int, error) {
	entries := make([]types.PutEventsRequestEntry, len(chunk))
	for i, pe := range chunk {
		detail, err := json.Marshal(pe.Event.Detail)
		if err != nil {
			return i, fmt.Errorf("encode %s detail: %w", pe.Event.DetailType, err)
		}
		entries[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(p.Bus),
			Source:       aws.String(bus.Source),
			DetailType:   aws.String(pe.Event.DetailType),
			Detail:       aws.String(string(detail)),
			Time:         aws.Time(pe.Event.Time),
		}
	}
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = 4
	}
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	pending := make([]int, len(chunk)) // indexes in chunk still to publish
	for i := range pending {
		pending[i] = i
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(pending))}
		for j, i := range pending {
			in.Entries[j] = entries[i]
		}
		out, err := p.API.PutEvents(ctx, in)
		switch {
		case err != nil:
			lastErr = fmt.Errorf("put events: %w", err)
		case out.FailedEntryCount == 0 && len(out.Entries) >= len(pending):
			return 0, nil
		default:
			// Entries line up with the request; a failed one has an error
			// code instead of an event id.
			var still []int
			for j, i := range pending {
				if j >= len(out.Entries) || out.Entries[j].ErrorCode != nil || out.Entries[j].EventId == nil {
					still = append(still, i)
					if j < len(out.Entries) && out.Entries[j].ErrorCode != nil {
						lastErr = fmt.Errorf("put events: %d of %d entries failed, first %s: %s: %s", out.FailedEntryCount, len(pending),
							aws.ToString(entries[i].DetailType), aws.ToString(out.Entries[j].ErrorCode), aws.ToString(out.Entries[j].ErrorMessage))
					}
				}
			}
			if len(still) == 0 {
				return 0, nil
			}
			if lastErr == nil {
				lastErr = fmt.Errorf("put events: %d entries without a result", len(still))
			}
			pending = still
		}
		if attempt >= attempts || ctx.Err() != nil {
			return pending[0], lastErr
		}
		d := backoff << (attempt - 1)
		if err := p.sleep(ctx, d/2+rand.N(d)); err != nil {
			return pending[0], lastErr
		}
	}
}

func (p *Publisher) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
