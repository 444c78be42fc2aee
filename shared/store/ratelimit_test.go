package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/store"
)

// Two containers share one count per key and window.
func TestRateLimiterSharedAcrossContainers(t *testing.T) {
	a, b := MustOpenPair(t)
	now := time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	la := &store.RateLimiter{Store: a, Max: 2, Window: time.Minute, Now: clock}
	lb := &store.RateLimiter{Store: b, Max: 2, Window: time.Minute, Now: clock}
	ctx := context.Background()
	for _, step := range []struct {
		name    string
		l       *store.RateLimiter
		advance time.Duration
		key     string
		want    bool
	}{
		{"first attempt, container A", la, 0, "tokenAuth#officer", true},
		{"second attempt, container B", lb, time.Second, "tokenAuth#officer", true},
		{"third attempt, container A, same window", la, time.Second, "tokenAuth#officer", false},
		{"another key", lb, 0, "tokenAuth#admin", true},
		{"next window", lb, time.Minute, "tokenAuth#officer", true},
	} {
		now = now.Add(step.advance)
		got, err := step.l.Allow(ctx, step.key)
		if err != nil || got != step.want {
			t.Errorf("%s: Allow = %v, %v; want %v", step.name, got, err, step.want)
		}
	}
}
