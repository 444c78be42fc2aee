package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure intake through the DynamoDB store is idempotent and tracking works
// end to end: the record is written with the ticket under its code, a
// redelivery (also from another container) files nothing, failures lock.
func TestIntake_OverDynamoDB(t *testing.T) {
	a, b := MustOpenPair(t)
	now := t0
	clock := func() time.Time { return now }
	var n atomic.Int64
	newID := func() string { return id(int(n.Add(1))) }
	svc := func(s *store.Store) *grievance.Service {
		return grievance.NewService(s, clock, newID, grievance.Options{Tracking: s, Directory: s,
			NewSecret: func() string { return "ABCD-EFGH" }})
	}
	sa, sb := svc(a), svc(b)
	ctx := context.Background()
	req := grievance.IntakeRequest{Source: grievance.SourceSMS, MessageID: "cae173d2-66b9-564c-8309-21f858e9fb84",
		Category: "Default", Description: "No payment", Contact: &grievance.Contact{Phone: "+258841234567"}}

	// Two containers receive the same message at once.
	var wg sync.WaitGroup
	results := make([]*grievance.IntakeResult, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := sa
			if i%2 == 1 {
				s = sb
			}
			r, err := s.Intake(ctx, req)
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = r
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range results {
		if r == nil {
			t.FailNow()
		}
		if r.Code != "GRS00000001" {
			t.Fatalf("answer %+v, want GRS00000001", r)
		}
		if r.Created {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d answers say created, want 1", created)
	}
	if c, err := a.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}); err != nil || c != 1 {
		t.Fatalf("%d tickets (%v)", c, err)
	}

	rec, err := a.TrackingRecord(ctx, "GRS00000001")
	if err != nil || rec.Iterations != grievance.TrackingIterations || len(rec.Hash) != 32 {
		t.Fatalf("record %+v %v", rec, err)
	}
	if v, err := sb.Track(ctx, "GRS00000001", "abcd efgh"); err != nil || v.Status != grievance.StatusReceived {
		t.Fatalf("track: %+v %v", v, err)
	}
	max := grievance.DefaultConfig().Intake.TrackingMaxFailures
	for range max {
		if _, err := sa.Track(ctx, "GRS00000001", "0000-0000"); grievance.ErrorCode(err) != grievance.CodeNotFound {
			t.Fatal(err)
		}
	}
	if _, err := sb.Track(ctx, "GRS00000001", "ABCD-EFGH"); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("right secret after %d failures: %v, want the lockout's NOT_FOUND", max, err)
	}
	rec, _ = a.TrackingRecord(ctx, "GRS00000001")
	if !rec.LockedUntil.Equal(t0.Add(15*time.Minute)) || rec.Failures != 0 {
		t.Fatalf("record after lockout: until %s failures %d", rec.LockedUntil, rec.Failures)
	}
	// Guesses during the lock neither count nor extend it.
	now = now.Add(5 * time.Minute)
	for range 5 {
		if _, err := sa.Track(ctx, "GRS00000001", "0000-0000"); grievance.ErrorCode(err) != grievance.CodeNotFound {
			t.Fatal(err)
		}
	}
	if rec, _ = a.TrackingRecord(ctx, "GRS00000001"); !rec.LockedUntil.Equal(t0.Add(15*time.Minute)) || rec.Failures != 0 {
		t.Fatalf("record after guesses while locked: until %s failures %d", rec.LockedUntil, rec.Failures)
	}
	now = now.Add(11 * time.Minute)
	if _, err := sa.Track(ctx, "GRS00000001", "ABCD-EFGH"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}

	// Failures whose count began a lockout's length ago start a new count,
	// so that guesses spread over hours never add up to a lock; an
	// unknown code gets no record.
	p := grievance.TrackingPolicy{MaxFailures: 3, Lockout: 15 * time.Minute}
	at := now.Add(time.Hour)
	for _, step := range []struct {
		name     string
		advance  time.Duration
		failures int
		locked   bool
	}{
		{"first", 0, 1, false},
		{"second", time.Minute, 2, false},
		{"after the window", 15 * time.Minute, 1, false},
		{"in the new window", time.Minute, 2, false},
		{"the limit", time.Minute, 0, true},
	} {
		at = at.Add(step.advance)
		if err := a.TrackingFailed(ctx, "GRS00000001", at, p); err != nil {
			t.Fatal(err)
		}
		rec, err := a.TrackingRecord(ctx, "GRS00000001")
		if err != nil || rec.Failures != step.failures || at.Before(rec.LockedUntil) != step.locked {
			t.Fatalf("%s: failures %d, locked until %s (%v); want %d, locked %v", step.name, rec.Failures, rec.LockedUntil, err, step.failures, step.locked)
		}
	}
	if err := a.TrackingFailed(ctx, "GRS09999999", at, p); err != nil {
		t.Fatal(err)
	}
	if _, err := a.TrackingRecord(ctx, "GRS09999999"); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("an unknown code's failure wrote a record: %v", err)
	}

	// A registry id names the imported beneficiary through its index.
	ben := grievance.Person{ID: id(900), Type: grievance.PersonBeneficiary, ExternalID: "REG-77", LastName: "Lee"}
	if err := a.UpsertPeople(ctx, []grievance.Person{ben}); err != nil {
		t.Fatal(err)
	}
	reg := req
	reg.MessageID, reg.Contact, reg.ReporterExternalID = "reg-1", nil, "REG-77"
	res, err := sa.Intake(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := a.Ticket(ctx, res.TicketID)
	if err != nil || tk.ReporterType != grievance.PersonBeneficiary || tk.ReporterID != ben.ID {
		t.Fatalf("reporter %s %s (%v), want the beneficiary", tk.ReporterType, tk.ReporterID, err)
	}
}

// Ensure the counter holds its limit across containers, and that a
// window boundary does not open it again: the previous window still
// counts for the share of it the sliding window covers.
func TestAllow_SlidingWindowAcrossContainersAndBoundaries(t *testing.T) {
	a, b := MustOpenPair(t)
	ctx := context.Background()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			ok, err := s.Allow(ctx, "src-1", 5, time.Minute, t0)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 5 {
		t.Fatalf("%d of 12 allowed, want 5", got)
	}
	// t0 is on a minute: the windows are [t0, t0+1m), [t0+1m, t0+2m), ...
	for _, tt := range []struct {
		name string
		key  string
		at   time.Time
		want bool
	}{
		{"same window, same key", "src-1", t0.Add(59 * time.Second), false},
		{"same window, other key", "src-2", t0, true},
		// A fixed window would allow 5 more here: 10 within a second.
		{"at the boundary: the previous 5 still count", "src-1", t0.Add(time.Minute), false},
		// A second in, floor(5 × 59/60) = 4 of them count: room for 1.
		{"a second past it, 1st", "src-1", t0.Add(time.Minute + time.Second), true},
		{"a second past it, 2nd", "src-1", t0.Add(time.Minute + time.Second), false},
		// Half-way, 2 of the previous 5 count, with 1 in this window: 2 more.
		{"half-way, 1st", "src-1", t0.Add(90 * time.Second), true},
		{"half-way, 2nd", "src-1", t0.Add(90 * time.Second), true},
		{"half-way, 3rd", "src-1", t0.Add(90 * time.Second), false},
		// Two windows on, the first no longer counts, and a second before
		// the end of the window the previous 3 carry floor(3 × 1/60) = 0.
		{"a window later, the first window forgotten", "src-1", t0.Add(2*time.Minute + 59*time.Second), true},
	} {
		ok, err := a.Allow(ctx, tt.key, 5, time.Minute, tt.at)
		if err != nil || ok != tt.want {
			t.Errorf("%s: %v %v, want %v", tt.name, ok, err, tt.want)
		}
	}
}

// carried rounds down and ends with the window.
func TestCarried(t *testing.T) {
	for _, tt := range []struct {
		n       int
		elapsed time.Duration
		want    int
	}{
		{5, 0, 5},
		{5, time.Second, 4},
		{5, 30 * time.Second, 2},
		{5, 59 * time.Second, 0},
		{5, time.Minute, 0},
		{0, 0, 0},
	} {
		if got := store.Carried(tt.n, tt.elapsed, time.Minute); got != tt.want {
			t.Errorf("carried(%d, %v) = %d, want %d", tt.n, tt.elapsed, got, tt.want)
		}
	}
}
