package grievancetest

import (
	"context"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

var _ grievance.NotifierStore = (*NotifyStore)(nil)

// NotifyStore is a Store with the notifier's delivery claims, opt-outs and
// acknowledgements, in memory.
type NotifyStore struct {
	*Store
	deliveries map[grievance.Delivery]delivery
	optOut     map[string]bool
}

type delivery struct {
	sent      bool
	claimedAt time.Time
}

// NewNotifyStore returns a NotifyStore over s.
func NewNotifyStore(s *Store) *NotifyStore {
	return &NotifyStore{Store: s, deliveries: map[grievance.Delivery]delivery{}, optOut: map[string]bool{}}
}

// ClaimDelivery implements grievance.NotifierStore.
func (s *NotifyStore) ClaimDelivery(ctx context.Context, d grievance.Delivery, now time.Time, stale time.Duration) (bool, error) {
	if err := s.fail("ClaimDelivery"); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.deliveries[d]; ok && (old.sent || now.Sub(old.claimedAt) < stale) {
		return false, nil
	}
	s.deliveries[d] = delivery{claimedAt: now}
	return true, nil
}

// ReleaseDelivery implements grievance.NotifierStore.
func (s *NotifyStore) ReleaseDelivery(ctx context.Context, d grievance.Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.deliveries[d].sent {
		delete(s.deliveries, d)
	}
	return nil
}

// MarkDelivered implements grievance.NotifierStore.
func (s *NotifyStore) MarkDelivered(ctx context.Context, d grievance.Delivery, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries[d] = delivery{sent: true, claimedAt: at}
	return nil
}

// SetOptOut records that address wants no messages (or again wants them).
func (s *NotifyStore) SetOptOut(ch grievance.Channel, address string, out bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optOut[string(ch)+":"+address] = out
}

// OptedOut implements grievance.NotifierStore.
func (s *NotifyStore) OptedOut(ctx context.Context, ch grievance.Channel, address string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.optOut[string(ch)+":"+address], nil
}

// Acknowledge implements grievance.NotifierStore: the first time counts,
// as a new version of the ticket.
func (s *NotifyStore) Acknowledge(ctx context.Context, tk *grievance.Ticket, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tickets[tk.ID]; t != nil && t.AcknowledgedAt.IsZero() {
		t = cloneTicket(t)
		t.AcknowledgedAt, t.DateUpdated, t.UserUpdated = at, at, "redress:notifier"
		t.Version++
		s.tickets[t.ID] = t
		s.bySeq[t.Seq-1] = t
		s.recordVersion(t)
	}
	return nil
}
