package grievance

import (
	"context"
	"fmt"
	"slices"
)

// Every list reads in three steps, each in its own file by what it lists
// (list_tickets.go, list_history.go, list_comments.go, list_logs.go):
//   - plan: parse the request and choose the rows to read (an index range,
//     one item, a batch) and whether a maintained count answers totalCount;
//   - guard: on every row read, visibility, filters and masking, whatever
//     the plan chose, so no plan can leak what the guard hides;
//   - collect: the rows into a Relay window, sorted in memory only when no
//     index serves the order.

// rows is a source of list rows: it calls fn for each row in order until fn
// returns false or an error.
type rows[T any] func(fn func(T) (bool, error)) error

// each yields the rows of xs that keep accepts, passed through show (the
// masking for the reader).
func each[T any](xs []T, keep func(T) bool, show func(T) T) rows[T] {
	return func(fn func(T) (bool, error)) error {
		for _, x := range xs {
			if !keep(x) {
				continue
			}
			if more, err := fn(show(x)); err != nil || !more {
				return err
			}
		}
		return nil
	}
}

// collect runs the rows of source (already guarded) into the window; rows
// in an order no index serves are sorted in memory first (bounded by
// maxSorted).
func collect[T any](w *window[T], source rows[T], native bool, cmp func(a, b T) int) (*Page[T], error) {
	if native {
		full := true
		err := source(func(x T) (bool, error) {
			if !w.add(x) {
				full = false
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		return w.page(full), nil
	}
	var all []T
	err := source(func(x T) (bool, error) {
		if len(all) >= maxSorted {
			return false, errTooManyToSort(maxSorted)
		}
		all = append(all, x)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	slices.SortStableFunc(all, cmp)
	for _, x := range all {
		w.add(x)
	}
	return w.page(true), nil
}

// upTo returns a row callback that gathers rows into *dst and stops with
// LIMIT_EXCEEDED past maxSorted: lists sorted in memory are bounded.
func upTo[T any](dst *[]T) func(T) (bool, error) {
	return func(x T) (bool, error) {
		if len(*dst) >= maxSorted {
			return false, errTooManyToSort(maxSorted)
		}
		*dst = append(*dst, x)
		return true, nil
	}
}

// countAsync starts counting the tickets of r (the whole range: After is
// ignored) and returns a function that waits for the count. A nil r counts
// nothing. The wait is always taken, so the read never outlives its
// request; a panic in the store comes back as an error.
func countAsync(ctx context.Context, st TicketStore, r *TicketRange) func() (int, error) {
	if r == nil {
		return func() (int, error) { return 0, nil }
	}
	cr := *r
	cr.After = 0
	return async("count tickets", func() (int, error) { return st.CountTickets(ctx, cr) })
}

// async runs fn beside the caller and returns a function that waits for
// its result. Callers always take the wait, so the work never outlives
// its request; a panic in fn comes back as an error naming what.
func async[T any](what string, fn func() (T, error)) func() (T, error) {
	var (
		v    T
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer func() {
			if x := recover(); x != nil {
				err = fmt.Errorf("%s panicked: %v", what, x)
			}
		}()
		v, err = fn()
	}()
	return func() (T, error) {
		<-done
		return v, err
	}
}

// exactValue returns the value of the first exact string filter on field.
func exactValue(fs []Filter, field string) (string, bool) {
	for _, f := range fs {
		if f.Field == field && f.Lookup == Exact {
			if s, ok := f.Value.(string); ok {
				return s, true
			}
		}
	}
	return "", false
}

// byOrder compares two rows by the parsed orderBy keys, each key's values
// compared by field, ties broken by tie.
func byOrder[T any](order []orderKey, field func(k string, a, b T) int, tie func(a, b T) int) func(a, b T) int {
	return func(a, b T) int {
		for _, k := range order {
			c := field(k.field, a, b)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return tie(a, b)
	}
}

// People returns directory records for the reporter and commenter fields:
// those of ids that exist and, in the same read, the individuals of the
// beneficiaries among them that earlier reads named (individualLinks).
func (s *Service) People(ctx context.Context, ids []string) (map[string]*Person, error) {
	found, err := s.store.People(ctx, s.links.expand(ids))
	if err != nil {
		return nil, err
	}
	s.links.learn(found)
	return found, nil
}
