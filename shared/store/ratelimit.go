package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// KindRate is a rate-limit window item: attempts counted for one key in
// one fixed window, deleted by TTL after it.
const KindRate = "rate"

type rateItem struct {
	PK      string `dynamo:"pk"`
	SK      string `dynamo:"sk"`
	Kind    string `dynamo:"kind"`
	N       int    `dynamo:"n"`
	Expires int64  `dynamo:"expiresAt"`
}

// RateLimiter counts attempts per key in fixed windows on the Main table,
// so every container of a function shares one count (the openIMIS
// client's per-user sign-in limit). One UpdateItem per attempt.
type RateLimiter struct {
	Store  *Store
	Max    int
	Window time.Duration
	Now    func() time.Time
}

// Allow counts an attempt for key and says whether it is within Max for
// the current window. Keys are hashed: they may hold whatever a caller
// typed as a username.
func (l *RateLimiter) Allow(ctx context.Context, key string) (bool, error) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	start := now.Truncate(l.Window)
	sum := sha256.Sum256([]byte(key))
	var it rateItem
	err := l.Store.main.Update(AttrPK, "RATE#"+hex.EncodeToString(sum[:16])).
		Range(AttrSK, "W#"+strconv.FormatInt(start.Unix(), 10)).
		Add("n", 1).Set("kind", KindRate).
		Set(AttrExpires, start.Add(l.Window+time.Hour).Unix()).
		Value(ctx, &it)
	if err != nil {
		return false, translate("count an attempt", err)
	}
	return it.N <= l.Max, nil
}
