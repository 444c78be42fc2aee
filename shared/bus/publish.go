package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// EventBridge is the part of the EventBridge API a Publisher uses;
// *eventbridge.Client implements it, tests substitute fakes that refuse
// entries.
type EventBridge interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ EventBridge = (*eventbridge.Client)(nil)

// MaxEntries is the most entries one PutEvents request takes.
const MaxEntries = 10

// The retry policy of every function that publishes (DefaultAttempts tries,
// the first pause DefaultBackoff, doubled at each next one, with jitter):
// about 0.7 s of pauses at most, well inside a function's timeout.
const (
	DefaultAttempts = 4
	DefaultBackoff  = 100 * time.Millisecond
)

// ErrHeldBack is the cause of an event not sent because an earlier event
// of its order group was not published.
var ErrHeldBack = errors.New("held back behind an unpublished event of its order group")

// Publisher puts events on a bus in requests of up to MaxEntries entries,
// retrying the entries EventBridge refuses.
//
// The SDK already retries a request that fails as a whole (throttling,
// network); entries refused inside an accepted request (FailedEntryCount)
// are the publisher's to retry, and it retries failed requests as well.
type Publisher struct {
	API EventBridge
	Bus string
	// Attempts bounds the tries of an entry (DefaultAttempts when 0).
	Attempts int
	// Backoff is the pause before the first retry (DefaultBackoff when 0).
	Backoff time.Duration
	// Sleep waits, or returns the context's error when it ends first;
	// tests replace it to run without pauses.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Publish puts evs on the bus in order and returns the indexes in evs, in
// ascending order, of the events that were not published, and why the
// first of them was not (nil when all were).
//
// Events of one order group (Event.Group) keep their order: once one of
// them is still refused after the retries, the later ones of its group are
// not sent (ErrHeldBack). Events of other groups go on. Entries after a
// refused one in the same request were accepted, so a caller that sends
// the unpublished events again repeats them; the deterministic event ids
// let consumers drop the copies.
//
// When ctx ends, what is not yet published is given up.
func (p *Publisher) Publish(ctx context.Context, evs []Event) (failed []int, err error) {
	errs := make([]error, len(evs))
	held := map[string]bool{} // groups with an unpublished event
	entries := map[int]types.PutEventsRequestEntry{}
	for start := 0; start < len(evs); start += MaxEntries {
		var chunk []int
		for i := start; i < min(start+MaxEntries, len(evs)); i++ {
			if held[evs[i].Group] {
				errs[i] = ErrHeldBack
				continue
			}
			if entries[i], errs[i] = p.entry(evs[i]); errs[i] != nil {
				held[evs[i].Group] = true
				continue
			}
			chunk = append(chunk, i)
		}
		p.put(ctx, chunk, entries, errs)
		for _, i := range chunk {
			if errs[i] != nil {
				held[evs[i].Group] = true
			}
		}
	}
	for i, e := range errs {
		if e != nil {
			failed = append(failed, i)
		}
	}
	if len(failed) == 0 {
		return nil, nil
	}
	// The first one is never held back: what holds an event back comes
	// before it.
	return failed, errs[failed[0]]
}

// entry is the request entry of e.
func (p *Publisher) entry(e Event) (types.PutEventsRequestEntry, error) {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return types.PutEventsRequestEntry{}, fmt.Errorf("encode %s detail: %w", e.DetailType, err)
	}
	return types.PutEventsRequestEntry{
		EventBusName: aws.String(p.Bus),
		Source:       aws.String(Source),
		DetailType:   aws.String(e.DetailType),
		Detail:       aws.String(string(detail)),
		Time:         aws.Time(e.Time),
	}, nil
}

// put sends the entries of the events in pending (indexes in the events
// being published) as one request, and again those that fail, until all
// are accepted or the attempts are used up; it records in errs why an
// event was not published.
func (p *Publisher) put(ctx context.Context, pending []int, entries map[int]types.PutEventsRequestEntry, errs []error) {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	backoff := p.Backoff
	if backoff <= 0 {
		backoff = DefaultBackoff
	}
	for attempt := 1; len(pending) > 0; attempt++ {
		if err := ctx.Err(); err != nil {
			for _, i := range pending {
				errs[i] = fmt.Errorf("put events: %w", err)
			}
			return
		}
		in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(pending))}
		for j, i := range pending {
			in.Entries[j] = entries[i]
		}
		out, err := p.API.PutEvents(ctx, in)
		pending = refused(pending, entries, out, err, errs)
		if len(pending) == 0 || attempt >= attempts {
			return
		}
		d := backoff << (attempt - 1)
		if err := p.sleep(ctx, d/2+rand.N(d)); err != nil {
			return // errs hold the last refusal, a better reason than the context
		}
	}
}

// refused returns the pending events the answer to their request did not
// take, and records why in errs (and clears the reason of those it took).
// Result entries line up with the request; a refused one has an error
// code instead of an event id.
func refused(pending []int, entries map[int]types.PutEventsRequestEntry, out *eventbridge.PutEventsOutput, err error, errs []error) []int {
	var still []int
	for j, i := range pending {
		switch {
		case err != nil:
			errs[i] = fmt.Errorf("put events: %w", err)
		case out == nil || j >= len(out.Entries):
			errs[i] = fmt.Errorf("put events: no result for the %s entry", aws.ToString(entries[i].DetailType))
		case out.Entries[j].ErrorCode != nil:
			errs[i] = fmt.Errorf("put events: %d of %d entries failed, %s: %s: %s", out.FailedEntryCount, len(pending),
				aws.ToString(entries[i].DetailType), aws.ToString(out.Entries[j].ErrorCode), aws.ToString(out.Entries[j].ErrorMessage))
		case out.Entries[j].EventId == nil:
			errs[i] = fmt.Errorf("put events: no event id for the %s entry", aws.ToString(entries[i].DetailType))
		default:
			errs[i] = nil
			continue
		}
		still = append(still, i)
	}
	return still
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
