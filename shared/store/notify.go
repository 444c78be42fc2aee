package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Notifier items (functions/notifier, docs/notifications.md):
//
//   - delivery: pk NOTIFY#<event id>, sk <kind>#<channel>#<address hash>;
//     claimed before a message is sent, marked sent after; expiresAt lets
//     DynamoDB drop it once no redelivery of the event can come (DeliveryTTL).
//   - opt-out: pk OPTOUT#<channel>#<address hash>, sk OPTOUT.
//
// The acknowledgement is a version of the ticket (acknowledgedAt), see
// Acknowledge.
//
// Addresses appear in keys only as a SHA-256 hash: keys travel into
// metrics, exports and stream records.
const (
	prefixNotify   = "NOTIFY#"
	prefixOptOut   = "OPTOUT#"
	skOptOut       = "OPTOUT"
	KindDelivery   = "delivery"
	KindOptOut     = "optOut"
	deliveryClaim  = "claimed"
	deliverySent   = "sent"
	DeliveryTTL    = 14 * 24 * time.Hour
	addressHashLen = 32
)

var _ grievance.NotifierStore = (*Store)(nil)

func addressHash(ch grievance.Channel, address string) string {
	sum := sha256.Sum256([]byte(string(ch) + ":" + address))
	return hex.EncodeToString(sum[:])[:addressHashLen]
}

func deliveryKey(d grievance.Delivery) dynamo.Keys {
	return dynamo.Keys{prefixNotify + d.EventID, d.Kind + "#" + string(d.Channel) + "#" + addressHash(d.Channel, d.Address)}
}

type deliveryItem struct {
	PK        string    `dynamo:"pk"`
	SK        string    `dynamo:"sk"`
	Kind      string    `dynamo:"kind"`
	State     string    `dynamo:"state"`
	ClaimedAt time.Time `dynamo:"claimedAt"`
	SentAt    time.Time `dynamo:"sentAt,omitempty"`
	ExpiresAt int64     `dynamo:"expiresAt"`
}

// ClaimDelivery implements grievance.NotifierStore: one conditional put.
func (s *Store) ClaimDelivery(ctx context.Context, d grievance.Delivery, now time.Time, stale time.Duration) (bool, error) {
	k := deliveryKey(d)
	it := deliveryItem{PK: k[0].(string), SK: k[1].(string), Kind: KindDelivery, State: deliveryClaim,
		ClaimedAt: now.UTC(), ExpiresAt: now.Add(DeliveryTTL).Unix()}
	err := s.main.Put(it).If("attribute_not_exists(pk) OR ($ = ? AND claimedAt < ?)", "state", deliveryClaim, now.Add(-stale).UTC()).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, translate("claim delivery", err)
	}
	return true, nil
}

// ReleaseDelivery implements grievance.NotifierStore: drops a claim, never
// a sent mark.
func (s *Store) ReleaseDelivery(ctx context.Context, d grievance.Delivery) error {
	k := deliveryKey(d)
	err := s.main.Delete(AttrPK, k[0]).Range(AttrSK, k[1]).If("$ = ?", "state", deliveryClaim).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return translate("release delivery", err)
}

// MarkDelivered implements grievance.NotifierStore.
func (s *Store) MarkDelivered(ctx context.Context, d grievance.Delivery, at time.Time) error {
	k := deliveryKey(d)
	err := s.main.Update(AttrPK, k[0]).Range(AttrSK, k[1]).Set("state", deliverySent).Set("sentAt", at.UTC()).Run(ctx)
	return translate("mark delivery sent", err)
}

type optOutItem struct {
	PK   string    `dynamo:"pk"`
	SK   string    `dynamo:"sk"`
	Kind string    `dynamo:"kind"`
	At   time.Time `dynamo:"at"`
}

// OptedOut implements grievance.NotifierStore.
func (s *Store) OptedOut(ctx context.Context, ch grievance.Channel, address string) (bool, error) {
	var it optOutItem
	err := s.main.Get(AttrPK, prefixOptOut+string(ch)+"#"+addressHash(ch, address)).Range(AttrSK, dynamo.Equal, skOptOut).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, translate("read opt-out", err)
	}
	return true, nil
}

// SetOptOut records (out true) or lifts an opt-out of address: an SMS
// "STOP" (intake) sets it, "START" lifts it.
func (s *Store) SetOptOut(ctx context.Context, ch grievance.Channel, address string, out bool, at time.Time) error {
	pk := prefixOptOut + string(ch) + "#" + addressHash(ch, address)
	if !out {
		return translate("lift opt-out", s.main.Delete(AttrPK, pk).Range(AttrSK, skOptOut).Run(ctx))
	}
	return translate("set opt-out", s.main.Put(optOutItem{PK: pk, SK: skOptOut, Kind: KindOptOut, At: at.UTC()}).Run(ctx))
}

// AckActor is the user a ticket's acknowledgement version names.
const AckActor = "redress:notifier"

// Acknowledge implements grievance.NotifierStore: one new version of the
// ticket with acknowledgedAt, conditional on the version read, so that a
// concurrent API write conflicts and retries on fresh data instead of
// overwriting it (or being overwritten). The first acknowledgement stays.
func (s *Store) Acknowledge(ctx context.Context, t *grievance.Ticket, at time.Time) error {
	for range 5 {
		cur, err := s.Ticket(ctx, t.ID)
		if err != nil {
			return err
		}
		if !cur.AcknowledgedAt.IsZero() || cur.IsDeleted {
			return nil
		}
		err = s.main.Update(AttrPK, prefixTicket+t.ID).Range(AttrSK, skTicket).
			Set("acknowledgedAt", at.UTC()).Set("version", cur.Version+1).Set("dateUpdated", at.UTC()).
			Set("userUpdated", AckActor).Set("lastMutation", grievance.MutationAcknowledge).
			If("version = ?", cur.Version).Run(ctx)
		if !dynamo.IsCondCheckFailed(err) {
			return translate("record acknowledgement", err)
		}
	}
	return grievance.Errorf(grievance.CodeConflict, "The ticket kept changing while its acknowledgement was recorded.")
}
