package bus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/redress-grm/redress/shared/bus"
)

// fakeBridge is an in-process EventBridge. refuse decides, per request
// (counted from 1) and entry, whether the entry is refused as throttled;
// fail, whether the whole request fails.
type fakeBridge struct {
	mu        sync.Mutex
	requests  [][]string // the ids of each request's entries
	published []string
	refuse    func(call int, id string) bool
	fail      func(call int) error
	short     bool // answer with one result entry less than requested
	onCall    func(call int)
}

func (f *fakeBridge) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.Entries) > bus.MaxEntries {
		return nil, fmt.Errorf("%d entries, at most %d allowed", len(in.Entries), bus.MaxEntries)
	}
	call := len(f.requests) + 1
	var ids []string
	for _, e := range in.Entries {
		ids = append(ids, id(e))
	}
	f.requests = append(f.requests, ids)
	if f.onCall != nil {
		f.onCall(call)
	}
	if f.fail != nil {
		if err := f.fail(call); err != nil {
			return nil, err
		}
	}
	out := &eventbridge.PutEventsOutput{}
	for j, e := range in.Entries {
		if f.short && j == len(in.Entries)-1 {
			f.short = false
			break
		}
		if f.refuse != nil && f.refuse(call, id(e)) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")})
			continue
		}
		f.published = append(f.published, id(e))
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint(len(f.published)))})
	}
	return out, nil
}

// id is the eventId of an entry's detail, which the tests set to e0, e1…
func id(e types.PutEventsRequestEntry) string {
	d := aws.ToString(e.Detail)
	i := strings.Index(d, `"eventId":"`) + len(`"eventId":"`)
	return d[i : i+strings.IndexByte(d[i:], '"')]
}

// events returns n events with ids e0… in the groups named, round robin.
func events(n int, groups ...string) []bus.Event {
	if len(groups) == 0 {
		groups = []string{""}
	}
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	var out []bus.Event
	for i := range n {
		out = append(out, bus.Event{DetailType: bus.TicketCreated, Time: at, Group: groups[i%len(groups)],
			Detail: &bus.TicketDetail{Header: bus.Header{EventID: fmt.Sprint("e", i), DetailVersion: bus.DetailVersion, OccurredAt: at, Actor: "u"},
				Ticket: bus.Ticket{ID: fmt.Sprint("t", i)}}})
	}
	return out
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprint("e", i))
	}
	return out
}

// publisher returns a publisher to fb that records its pauses instead of
// sleeping.
func publisher(fb *fakeBridge) (*bus.Publisher, *[]time.Duration) {
	var pauses []time.Duration
	return &bus.Publisher{API: fb, Bus: "test-bus", Sleep: func(_ context.Context, d time.Duration) error {
		pauses = append(pauses, d)
		return nil
	}}, &pauses
}

// Ensure events go out in order, MaxEntries per request, as entries of the
// bus with the package's source, their detail-type, time and detail.
func TestPublish_InOrderTenPerRequest(t *testing.T) {
	fb := &fakeBridge{}
	p, _ := publisher(fb)
	evs := events(25)
	var entry types.PutEventsRequestEntry
	p.API = apiFunc(func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		if entry.Source == nil {
			entry = in.Entries[0]
		}
		return fb.PutEvents(ctx, in)
	})
	failed, err := p.Publish(context.Background(), evs)
	if err != nil || failed != nil {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
	if got, want := fb.requests, [][]string{ids(0, 10), ids(10, 20), ids(20, 25)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests=%v\nwant     %v", got, want)
	}
	if aws.ToString(entry.EventBusName) != "test-bus" || aws.ToString(entry.Source) != bus.Source || aws.ToString(entry.DetailType) != bus.TicketCreated ||
		!aws.ToTime(entry.Time).Equal(evs[0].Time) || !strings.Contains(aws.ToString(entry.Detail), `"ticket":{"id":"t0"`) {
		t.Fatalf("entry=%+v detail=%s", entry, aws.ToString(entry.Detail))
	}
}

type apiFunc func(ctx context.Context, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)

func (f apiFunc) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	return f(ctx, in)
}

// Ensure only the entries refused inside an accepted request
// (FailedEntryCount) are sent again, and then count as published.
func TestPublish_PartialFailureRetriesOnlyRefusedEntries(t *testing.T) {
	fb := &fakeBridge{refuse: func(call int, id string) bool { return call <= 2 && (id == "e3" || id == "e7") }}
	p, pauses := publisher(fb)
	failed, err := p.Publish(context.Background(), events(10))
	if err != nil || failed != nil {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
	if got, want := fb.requests, [][]string{ids(0, 10), {"e3", "e7"}, {"e3", "e7"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests=%v, want %v", got, want)
	}
	if got := slices.Sorted(slices.Values(fb.published)); !slices.Equal(got, slices.Sorted(slices.Values(ids(0, 10)))) {
		t.Fatalf("published=%v", fb.published)
	}
	if len(*pauses) != 2 {
		t.Fatalf("pauses=%v, want 2", *pauses)
	}
}

// Ensure a request that fails as a whole, or answers without a result for
// an entry, is retried.
func TestPublish_FailedRequestAndMissingResultAreRetried(t *testing.T) {
	fb := &fakeBridge{fail: func(call int) error {
		if call == 1 {
			return errors.New("connection reset")
		}
		return nil
	}, short: true}
	p, _ := publisher(fb)
	failed, err := p.Publish(context.Background(), events(3))
	if err != nil || failed != nil {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
	if got, want := fb.requests, [][]string{ids(0, 3), ids(0, 3), {"e2"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("requests=%v, want %v", got, want)
	}
}

// Ensure an entry throttled past the retries is reported with the reason,
// holds back the later events of its group (no request carries them) and
// not those of other groups.
func TestPublish_ThrottledPastRetriesHoldsBackItsGroupOnly(t *testing.T) {
	fb := &fakeBridge{refuse: func(_ int, id string) bool { return id == "e2" }}
	p, pauses := publisher(fb)
	failed, err := p.Publish(context.Background(), events(30, "a", "b")) // even ids in a, odd in b
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") || errors.Is(err, bus.ErrHeldBack) {
		t.Fatalf("err=%v, want the throttling", err)
	}
	// e4, e6 and e8 were in e2's first request, and accepted.
	want := []int{2}
	for i := 10; i < 30; i += 2 {
		want = append(want, i)
	}
	if !slices.Equal(failed, want) {
		t.Fatalf("failed=%v, want %v", failed, want)
	}
	if got := fb.requests[1:bus.DefaultAttempts]; fmt.Sprint(got) != "[[e2] [e2] [e2]]" {
		t.Fatalf("retries=%v, want e2 alone, %d attempts in all", got, bus.DefaultAttempts)
	}
	for _, r := range fb.requests[bus.DefaultAttempts:] {
		for _, id := range r {
			var n int
			fmt.Sscanf(id, "e%d", &n)
			if n%2 == 0 {
				t.Fatalf("request %v carries an event held back", r)
			}
		}
	}
	if len(fb.published) != 19 { // the 15 odd ones, e0, e4, e6 and e8
		t.Fatalf("published=%v", fb.published)
	}
	// The pauses double, each with jitter between half and one and a half.
	for i, d := range *pauses {
		base := bus.DefaultBackoff << i
		if d < base/2 || d >= base+base/2 {
			t.Fatalf("pause %d=%s, want within [%s, %s)", i+1, d, base/2, base+base/2)
		}
	}
}

// Ensure one group (the zero Group) stops at the first event refused past
// the retries: no later request is sent, everything after it is reported.
func TestPublish_OneGroupStopsAtTheFirstRefusal(t *testing.T) {
	fb := &fakeBridge{refuse: func(_ int, id string) bool { return id == "e13" }}
	p, _ := publisher(fb)
	failed, err := p.Publish(context.Background(), events(30))
	if err == nil {
		t.Fatal("no error")
	}
	// e14 to e19 were in e13's first request, and accepted.
	if want := []int{13, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}; !slices.Equal(failed, want) {
		t.Fatalf("failed=%v", failed)
	}
	if got := len(fb.requests); got != 1+bus.DefaultAttempts {
		t.Fatalf("%d requests, want %d (no request after the refusal)", got, 1+bus.DefaultAttempts)
	}
}

// Ensure an end of the context during a pause stops the retries at once,
// and no later request is sent.
func TestPublish_ContextCancelledStopsRetrying(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fb := &fakeBridge{refuse: func(_ int, id string) bool { return id == "e1" }, onCall: func(int) { cancel() }}
	p := &bus.Publisher{API: fb, Bus: "test-bus", Backoff: time.Hour, Attempts: 10} // the real, context-aware sleep
	done := make(chan struct{})
	var failed []int
	var err error
	go func() {
		defer close(done)
		failed, err = p.Publish(ctx, events(12, "a", "b"))
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Publish still waits after the context ended")
	}
	if len(fb.requests) != 1 {
		t.Fatalf("requests=%v, want the first only", fb.requests)
	}
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("err=%v, want the refusal", err)
	}
	if want := []int{1, 10, 11}; !slices.Equal(failed, want) {
		t.Fatalf("failed=%v, want %v", failed, want)
	}
}

// Ensure a detail that cannot be encoded fails its event without a request
// for it, and holds back its group.
func TestPublish_UnencodableDetailFailsItsEvent(t *testing.T) {
	fb := &fakeBridge{}
	p, _ := publisher(fb)
	evs := events(3)
	evs[1].Detail = func() {}
	failed, err := p.Publish(context.Background(), evs)
	if err == nil || !slices.Equal(failed, []int{1, 2}) {
		t.Fatalf("failed=%v err=%v", failed, err)
	}
	if fmt.Sprint(fb.requests) != "[[e0]]" {
		t.Fatalf("requests=%v", fb.requests)
	}
}
