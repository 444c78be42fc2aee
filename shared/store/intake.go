package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Items of the public intake (docs/intake.md, docs/data-model.md).
const (
	prefixTracking = "TRACK#"
	skTracking     = "TRACK"
	KindTracking   = "tracking"
)

var _ grievance.TrackingStore = (*Store)(nil)

// trackingItem is a ticket's tracking secret, keyed by the ticket's code
// because that is what the complainant types. It holds only the slow
// hash; stream consumers skip its kind.
type trackingItem struct {
	PK            string    `dynamo:"pk"`
	SK            string    `dynamo:"sk"`
	Kind          string    `dynamo:"kind"`
	TicketID      string    `dynamo:"ticketId"`
	Hash          []byte    `dynamo:"hash"`
	Salt          []byte    `dynamo:"salt"`
	Iterations    int       `dynamo:"iterations"`
	Failures      int       `dynamo:"failures"`
	FailuresSince time.Time `dynamo:"failuresSince,omitempty"`
	LockedUntil   time.Time `dynamo:"lockedUntil,omitempty"`
}

func toTrackingItem(code string, r *grievance.TrackingRecord) trackingItem {
	return trackingItem{PK: prefixTracking + code, SK: skTracking, Kind: KindTracking, TicketID: r.TicketID,
		Hash: r.Hash, Salt: r.Salt, Iterations: r.Iterations}
}

// TrackingRecord implements grievance.TrackingStore.
func (s *Store) TrackingRecord(ctx context.Context, code string) (*grievance.TrackingRecord, error) {
	var it trackingItem
	err := s.main.Get(AttrPK, prefixTracking+code).Range(AttrSK, dynamo.Equal, skTracking).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Tracking record", code)
	}
	if err != nil {
		return nil, translate("read tracking record", err)
	}
	return &grievance.TrackingRecord{Code: code, TicketID: it.TicketID, Hash: it.Hash, Salt: it.Salt,
		Iterations: it.Iterations, Failures: it.Failures, FailuresSince: it.FailuresSince, LockedUntil: it.LockedUntil}, nil
}

// TrackingFailed implements grievance.TrackingStore. Every call sends the
// same two conditional updates, whatever the code: one counts a failure
// within the count's window, the other starts a count whose window has
// passed (or that is 0). For an unknown or a locked code both fail and
// nothing is written; for a known one exactly one succeeds. Track's
// answers thus cost the same for every well-formed code. The failure that
// reaches the limit locks the code with a third, conditional update, so
// that concurrent failures lock once, not extend it.
func (s *Store) TrackingFailed(ctx context.Context, code string, now time.Time, p grievance.TrackingPolicy) error {
	now = now.UTC()
	since := now.Add(-p.Lockout)
	// Not while locked: guesses then must neither extend the lock nor
	// count against the complainant after it.
	const open = "attribute_exists(pk) AND (attribute_not_exists(lockedUntil) OR lockedUntil <= ?)"
	var it trackingItem
	counted := true
	err := s.main.Update(AttrPK, prefixTracking+code).Range(AttrSK, skTracking).
		Add("failures", 1).
		If(open+" AND failures > ? AND failuresSince > ?", now, 0, since).Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		counted = false
	} else if err != nil {
		return translate("count tracking failure", err)
	}
	var restarted trackingItem
	err = s.main.Update(AttrPK, prefixTracking+code).Range(AttrSK, skTracking).
		Set("failures", 1).Set("failuresSince", now).
		If(open+" AND (failures = ? OR attribute_not_exists(failuresSince) OR failuresSince <= ?)", now, 0, since).
		Value(ctx, &restarted)
	switch {
	case dynamo.IsCondCheckFailed(err):
		if !counted {
			return nil // unknown or locked
		}
	case err != nil:
		return translate("start tracking failures", err)
	default:
		it = restarted
	}
	if it.Failures < p.MaxFailures {
		return nil
	}
	err = s.main.Update(AttrPK, prefixTracking+code).Range(AttrSK, skTracking).
		Set("failures", 0).Set("lockedUntil", now.Add(p.Lockout)).Remove("failuresSince").
		If("failures >= ?", p.MaxFailures).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return translate("lock tracking code", err)
}

// TrackingSucceeded implements grievance.TrackingStore.
func (s *Store) TrackingSucceeded(ctx context.Context, code string) error {
	err := s.main.Update(AttrPK, prefixTracking+code).Range(AttrSK, skTracking).
		Set("failures", 0).If("failures > ?", 0).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return nil
	}
	return translate("reset tracking failures", err)
}

// Allow counts one request against key and reports whether there was
// room: fewer than limit requests in the window of length window that
// ends at now. The count is the usual sliding-window estimate from two
// fixed windows' counters: the current one, plus the previous one weighted
// by the share of it the sliding window still covers. A fixed window alone
// would let twice the limit through around a boundary (limit requests at
// its end, limit more at the next one's start). The counters are rate
// items (one per hashed key and fixed window) on the Main table, updated
// with a condition, so the limit holds across every container; DynamoDB's
// TTL removes them. A refused request writes nothing (its update fails
// its condition, or is not sent), so a flood costs no writes and no
// stream records beyond the limit. Cost: one consistent GetItem of the
// previous counter and one conditional UpdateItem.
func (s *Store) Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	if limit <= 0 || window <= 0 {
		return false, nil
	}
	start := now.Truncate(window)
	sum := sha256.Sum256([]byte(key))
	pk := "RATE#" + hex.EncodeToString(sum[:16])
	var prev rateItem
	err := s.main.Get(AttrPK, pk).Range(AttrSK, dynamo.Equal, rateWindowSK(start.Add(-window))).
		Consistent(true).One(ctx, &prev)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return false, translate("read previous rate window", err)
	}
	room := limit - carried(prev.N, now.Sub(start), window)
	if room <= 0 {
		return false, nil
	}
	err = s.main.Update(AttrPK, pk).Range(AttrSK, rateWindowSK(start)).
		Add("n", 1).Set("kind", KindRate).Set(AttrExpires, start.Add(2*window+time.Hour).Unix()).
		If("attribute_not_exists(n) OR n < ?", room).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, translate("count request", err)
	}
	return true, nil
}

// carried is the part of the previous window's count n that the sliding
// window still covers, elapsed into the current one: n × (window −
// elapsed) / window, rounded down so that a boundary never refuses more
// than the limit would.
func carried(n int, elapsed, window time.Duration) int {
	if n <= 0 || elapsed >= window {
		return 0
	}
	return int(int64(n) * int64(window-elapsed) / int64(window))
}

func rateWindowSK(start time.Time) string { return "W#" + strconv.FormatInt(start.Unix(), 10) }
