package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure a delivery is claimed once, blocks a second claim while fresh and
// after it is sent, is taken over once stale, and that a released claim
// can be claimed again (a failed send must be retried).
func TestDeliveryClaims(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const stale = 5 * time.Minute
	for _, tc := range []struct {
		name string
		// steps: claim@offset (c), release (r), mark sent (s); want per claim
		steps []string
		want  []bool
	}{
		{"FirstClaimWins", []string{"c0", "c1"}, []bool{true, false}},
		{"SentBlocksForever", []string{"c0", "s", "c600"}, []bool{true, false}},
		{"StaleClaimTakenOver", []string{"c0", "c600"}, []bool{true, true}},
		{"ReleasedClaimAgain", []string{"c0", "r", "c1"}, []bool{true, true}},
		{"ReleaseKeepsSent", []string{"c0", "s", "r", "c1"}, []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := MustOpen(t)
			d := grievance.Delivery{EventID: "ev-1", Kind: grievance.MsgAcknowledgement, Channel: grievance.ChannelSMS, Address: "+67077123456"}
			var got []bool
			for _, st := range tc.steps {
				switch st[0] {
				case 'c':
					var sec int
					for _, r := range st[1:] {
						sec = sec*10 + int(r-'0')
					}
					ok, err := s.ClaimDelivery(ctx, d, now.Add(time.Duration(sec)*time.Second), stale)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, ok)
				case 'r':
					if err := s.ReleaseDelivery(ctx, d); err != nil {
						t.Fatal(err)
					}
				case 's':
					if err := s.MarkDelivered(ctx, d, now); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("claims %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("claims %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// Ensure opt-outs are kept per channel and address and can be lifted, and
// that the first acknowledgement of a ticket stays, as one new version
// that a write based on the older version cannot overwrite.
func TestOptOutAndAcknowledgement(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SetOptOut(ctx, grievance.ChannelSMS, "+67077123456", true, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ch   grievance.Channel
		addr string
		want bool
	}{
		{grievance.ChannelSMS, "+67077123456", true},
		{grievance.ChannelSMS, "+67077123457", false},
		{grievance.ChannelEmail, "+67077123456", false},
	} {
		if got, err := s.OptedOut(ctx, tc.ch, tc.addr); err != nil || got != tc.want {
			t.Errorf("OptedOut(%s, %s) = %v, %v; want %v", tc.ch, tc.addr, got, err, tc.want)
		}
	}
	if err := s.SetOptOut(ctx, grievance.ChannelSMS, "+67077123456", false, now); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OptedOut(ctx, grievance.ChannelSMS, "+67077123456"); got {
		t.Error("opt-out not lifted")
	}

	tk := mustCreate(t, s, newTicket(id(1), grievance.StatusReceived, "Default"))
	for _, at := range []time.Time{now, now.Add(time.Hour)} {
		if err := s.Acknowledge(ctx, tk, at); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Ticket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.AcknowledgedAt.Equal(now) || got.Version != tk.Version+1 || got.UserUpdated != store.AckActor {
		t.Fatalf("acknowledgedAt %v (want the first, %v), version %d (want %d), by %q", got.AcknowledgedAt, now, got.Version, tk.Version+1, got.UserUpdated)
	}
	stale := tk.Clone()
	stale.Version++
	stale.Title = "edited from the version before the acknowledgement"
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: stale, Prev: tk.Version, Old: tk}}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("write based on the version before the acknowledgement: %v, want CONFLICT", err)
	}
}
