package grievance

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// panelValues are the stored values that a list's category and priority
// filters match, by field, with how many live tickets have each. A field
// is in matched when the dictionary was read for it (some filter on it is
// not exact, or both fields are filtered and one is not exact).
type panelValues struct {
	matched map[string]map[string]int
	// totals are the live tickets with any value, by field.
	totals map[string]int
}

// filterValues resolves lookups other than exact on category and priority
// (openIMIS's icontains, iexact, istartswith) to the values they match
// among those live tickets have, from the store's dictionary of values
// (one read): the list then reads those values' partitions instead of
// every ticket. The values are complete (every live ticket's value is
// counted, configured or not, typed free or not), so the partitions are
// the whole answer of those filters; the filters still run on each row.
//
// A container that read the dictionary before does not wait for it: it
// resolves the filters from what it read last and returns verify, which
// waits for the dictionary read now (started at once, beside the list's
// first reads) and reports whether it resolves them to the same values.
// The list calls it before it passes on its first row and reads again
// with the fresh values when not: a guess costs a round trip only when a
// value appeared or vanished meanwhile, and never shows a row the fresh
// values would not.
func (s *Service) filterValues(ctx context.Context, fs []Filter) (vk *panelValues, verify func() (*panelValues, bool, error), err error) {
	var filtered []string
	inexact := false
	for _, f := range fs {
		if !slices.Contains(ValueFields, f.Field) {
			continue
		}
		if !slices.Contains(filtered, f.Field) {
			filtered = append(filtered, f.Field)
		}
		inexact = inexact || f.Lookup != Exact
	}
	if !inexact {
		return nil, nil, nil
	}
	// Both fields when both are filtered: the same single read, and the
	// counts choose the narrower partitions.
	read := func() (*panelValues, error) {
		all, err := s.store.TicketValues(ctx, filtered...)
		if err != nil {
			return nil, fmt.Errorf("list the values of %v: %w", filtered, err)
		}
		s.lastValues.put(all)
		return resolveValues(fs, filtered, all), nil
	}
	last, ok := s.lastValues.get(filtered)
	if !ok {
		vk, err := read()
		return vk, nil, err
	}
	guess := resolveValues(fs, filtered, last)
	wait := async("list values", read)
	verify = func() (*panelValues, bool, error) {
		fresh, err := wait()
		if err != nil {
			return nil, false, err
		}
		return fresh, fresh.sameKeys(guess), nil
	}
	if guess.none() {
		// Nothing to read speculatively: wait for the answer.
		fresh, _, err := verify()
		return fresh, nil, err
	}
	return guess, verify, nil
}

// resolveValues keeps, per field, the values with tickets that satisfy
// every filter on the field.
func resolveValues(fs []Filter, fields []string, all map[string]map[string]int) *panelValues {
	vk := &panelValues{matched: map[string]map[string]int{}, totals: map[string]int{}}
	for _, field := range fields {
		vk.matched[field] = map[string]int{}
		for v, n := range all[field] {
			if n <= 0 {
				continue
			}
			vk.totals[field] += n
			if valueMatches(fs, field, v) {
				vk.matched[field][v] = n
			}
		}
	}
	return vk
}

// valueMatches reports whether v satisfies every filter on field.
func valueMatches(fs []Filter, field, v string) bool {
	for _, f := range fs {
		if f.Field == field && !matchText(v, f.Lookup, f.Value.(string)) {
			return false
		}
	}
	return true
}

// resolved reports whether the dictionary resolved field.
func (vk *panelValues) resolved(field string) bool {
	if vk == nil {
		return false
	}
	_, ok := vk.matched[field]
	return ok
}

// keys returns the partition values of field the filters allow (sorted),
// and whether they are known: from the dictionary, or an exact filter.
func (vk *panelValues) keys(fs []Filter, field string) ([]string, bool) {
	if vk.resolved(field) {
		return slices.Sorted(maps.Keys(vk.matched[field])), true
	}
	if v, ok := exactValue(fs, field); ok {
		return []string{v}, true
	}
	return nil, false
}

// share is the part of the live tickets with a value in field that have
// one of the matched values (0: unknown).
func (vk *panelValues) share(field string) float64 {
	if !vk.resolved(field) || vk.totals[field] == 0 {
		return 0
	}
	n := 0
	for _, c := range vk.matched[field] {
		n += c
	}
	return float64(n) / float64(vk.totals[field])
}

// none reports whether some filtered field matches no stored value: no
// ticket can match.
func (vk *panelValues) none() bool {
	if vk == nil {
		return false
	}
	for _, m := range vk.matched {
		if len(m) == 0 {
			return true
		}
	}
	return false
}

// sameKeys reports whether vk and o resolve every field to the same
// values (their counts may differ).
func (vk *panelValues) sameKeys(o *panelValues) bool {
	if len(vk.matched) != len(o.matched) {
		return false
	}
	for f, m := range vk.matched {
		om, ok := o.matched[f]
		if !ok || len(om) != len(m) {
			return false
		}
		for v := range m {
			if _, ok := om[v]; !ok {
				return false
			}
		}
	}
	return true
}

// lastValues is the last dictionary of values the container read, by
// field: the guess filterValues starts from.
type lastValues struct {
	mu sync.Mutex
	m  map[string]map[string]int
}

func (l *lastValues) put(all map[string]map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]map[string]int{}
	}
	maps.Copy(l.m, all)
}

// all returns the last values of every field read before.
func (l *lastValues) all() map[string]map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.m)
}

// get returns the last values of every field, if all were read before.
func (l *lastValues) get(fields []string) (map[string]map[string]int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]map[string]int{}
	for _, f := range fields {
		m, ok := l.m[f]
		if !ok {
			return nil, false
		}
		out[f] = m
	}
	return out, true
}
