package store

import (
	"context"
	"fmt"
	"time"
)

// KindRate is a rate-limit window item: requests counted for one key in
// one fixed window (Store.Allow), deleted by TTL after the next one.
const KindRate = "rate"

type rateItem struct {
	PK      string `dynamo:"pk"`
	SK      string `dynamo:"sk"`
	Kind    string `dynamo:"kind"`
	N       int    `dynamo:"n"`
	Expires int64  `dynamo:"expiresAt"`
}

// RateLimiter counts attempts per key on the Main table with Store.Allow,
// so every container of a function shares one count (the openIMIS
// client's per-user sign-in limit): Max attempts in any Window.
type RateLimiter struct {
	Store  *Store
	Max    int
	Window time.Duration
	Now    func() time.Time
}

// Allow counts an attempt for key and says whether it is within Max for
// the sliding window ending now. Keys are hashed: they may hold whatever
// a caller typed as a username.
func (l *RateLimiter) Allow(ctx context.Context, key string) (bool, error) {
	now := time.Now()
	if l.Now != nil {
		now = l.Now()
	}
	ok, err := l.Store.Allow(ctx, key, l.Max, l.Window, now)
	if err != nil {
		return false, fmt.Errorf("count an attempt: %w", err)
	}
	return ok, nil
}
