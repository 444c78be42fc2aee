package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"
)

// parallel runs fn for 0…n-1, at most width at once, and returns the
// first error (the others are cancelled).
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		next  = make(chan int)
	)
	for w := 0; w < min(width, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}

// batchGetAll reads the items of keys, 100 a BatchGetItem, the requests
// all at once (missing keys are left out).
func (s *Store) batchGetAll(ctx context.Context, keys []dynamo.Keyed, consistent bool) ([]dynamo.Item, error) {
	chunks := (len(keys) + 99) / 100
	found := make([][]dynamo.Item, chunks)
	err := parallel(ctx, chunks, 8, func(ctx context.Context, i int) error {
		err := s.main.Batch(AttrPK, AttrSK).Get(keys[i*100:min(len(keys), (i+1)*100)]...).Consistent(consistent).All(ctx, &found[i])
		if errors.Is(err, dynamo.ErrNotFound) {
			return nil
		}
		return err
	})
	var out []dynamo.Item
	for _, items := range found {
		out = append(out, items...)
	}
	return out, err
}

// pause waits before the next attempt after a lost race with another
// writer: base doubled per attempt (up to 32 times), jittered so that
// racers part, or until ctx ends.
func pause(ctx context.Context, attempt int, base time.Duration) error {
	d := time.Duration(1<<min(attempt, 5)) * base
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d/2 + rand.N(d)):
		return nil
	}
}
