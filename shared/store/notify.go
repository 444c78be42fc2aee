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
//   - acknowledgement: pk TICKET#<id>, sk ACK, in the ticket's partition but
//     apart from its versions, so that no staff edit overwrites it and the
//     stream tells the statistics when a ticket was acknowledged.
//
// Addresses appear in keys only as a SHA-256 hash: keys travel into
// metrics, exports and stream records.
const (
	prefixNotify   = "NOTIFY#"
	prefixOptOut   = "OPTOUT#"
	skOptOut       = "OPTOUT"
	skAck          = "ACK"
	KindDelivery   = "delivery"
	KindOptOut     = "optOut"
	KindAck        = "acknowledgement"
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

type ackItem struct {
	PK             string    `dynamo:"pk"`
	SK             string    `dynamo:"sk"`
	Kind           string    `dynamo:"kind"`
	TicketID       string    `dynamo:"ticketId"`
	DateCreated    time.Time `dynamo:"dateCreated"`
	AcknowledgedAt time.Time `dynamo:"acknowledgedAt"`
}

// Acknowledge implements grievance.NotifierStore: the first one stays.
func (s *Store) Acknowledge(ctx context.Context, t *grievance.Ticket, at time.Time) error {
	it := ackItem{PK: prefixTicket + t.ID, SK: skAck, Kind: KindAck, TicketID: t.ID, DateCreated: t.DateCreated.UTC(), AcknowledgedAt: at.UTC()}
	err := s.main.Put(it).If("attribute_not_exists(pk)").Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return translate("record acknowledgement", err)
}

// AcknowledgedAt returns when ticket id was acknowledged (zero: not yet).
func (s *Store) AcknowledgedAt(ctx context.Context, id string) (time.Time, error) {
	var it ackItem
	err := s.main.Get(AttrPK, prefixTicket+id).Range(AttrSK, dynamo.Equal, skAck).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate("read acknowledgement", err)
	}
	return it.AcknowledgedAt, nil
}
