package grievance

import (
	"context"
	"fmt"
	"slices"
)

// panelValues are the stored values that a list's category and priority
// filters match, by field, with how many live tickets have each. A field
// is present when the dictionary was read for it (some filter on it is
// not exact, or both fields are filtered and one is not exact).
type panelValues map[string]map[string]int

// filterValues resolves lookups other than exact on category and priority
// (openIMIS's icontains, iexact, istartswith) to the values they match
// among those live tickets have, from the store's dictionary of values
// (one read): the list then reads those values' partitions instead of
// every ticket. The values are complete (every live ticket's value is
// counted, configured or not, typed free or not), so the partitions are
// the whole answer of those filters; the filters still run on each row.
func (s *Service) filterValues(ctx context.Context, fs []Filter) (panelValues, error) {
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
		return nil, nil
	}
	// Both fields when both are filtered: the same single read, and the
	// counts choose the narrower partitions.
	all, err := s.store.TicketValues(ctx, filtered...)
	if err != nil {
		return nil, fmt.Errorf("list the values of %v: %w", filtered, err)
	}
	out := panelValues{}
	for _, field := range filtered {
		out[field] = map[string]int{}
		for v, n := range all[field] {
			if n > 0 && valueMatches(fs, field, v) {
				out[field][v] = n
			}
		}
	}
	return out, nil
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

// keys returns the partition values of field the filters allow (sorted),
// and whether they are known: from the dictionary, or an exact filter.
func (vk panelValues) keys(fs []Filter, field string) ([]string, bool) {
	if m, ok := vk[field]; ok {
		ks := make([]string, 0, len(m))
		for v := range m {
			ks = append(ks, v)
		}
		slices.Sort(ks)
		return ks, true
	}
	if v, ok := exactValue(fs, field); ok {
		return []string{v}, true
	}
	return nil, false
}

// total is how many live tickets have one of field's matched values, and
// whether the dictionary tells.
func (vk panelValues) total(field string) (int, bool) {
	m, ok := vk[field]
	n := 0
	for _, c := range m {
		n += c
	}
	return n, ok
}

// none reports whether some filtered field matches no stored value: no
// ticket can match.
func (vk panelValues) none() bool {
	for _, m := range vk {
		if len(m) == 0 {
			return true
		}
	}
	return false
}
