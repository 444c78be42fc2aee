package grievance

import (
	"sync"
	"time"
)

// recent is what a container remembers between requests for
// searchRateTTL, by key: a guess that sizes or places reads (a share of
// rows, where a list started), never an answer. Past its bound it starts
// again empty, which only costs the guesses.
type recent[T any] struct {
	mu sync.Mutex
	m  map[string]recentItem[T]
}

type recentItem[T any] struct {
	v  T
	at time.Time
}

// get returns what was remembered for key, if recent.
func (r *recent[T]) get(key string, now time.Time) (T, bool) {
	return r.within(key, now, searchRateTTL)
}

// within returns what was remembered for key, if remembered less than
// ttl before now.
func (r *recent[T]) within(key string, now time.Time, ttl time.Duration) (T, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	it, ok := r.m[key]
	if !ok || now.Sub(it.at) >= ttl {
		var zero T
		return zero, false
	}
	return it.v, true
}

// put remembers v for key, keeping at most bound keys.
func (r *recent[T]) put(key string, v T, now time.Time, bound int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil || len(r.m) >= bound {
		r.m = map[string]recentItem[T]{}
	}
	r.m[key] = recentItem[T]{v, now}
}
