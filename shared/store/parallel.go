package store

import (
	"context"
	"errors"
	"sync"

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
