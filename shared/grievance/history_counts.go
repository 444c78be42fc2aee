package grievance

import (
	"context"
	"slices"
	"strings"
)

// The history consumer keeps counts of the recorded ticket versions (the
// rows of a showHistory list; removal records and comments' versions are
// no rows), per value of the fields the web client's panel filters on and
// per status and category pair, so that a history list's totalCount does
// not judge every version. Counts follow the stream, as the versions do.

// Count fields besides ValueIndexedFields: every version (value "*"), and
// a version's status and category together (PairValue).
const (
	VersionCountAll  = "all"
	VersionCountPair = "status+category"
)

// PairValue is the VersionCountPair value of a status and a category.
// Statuses hold no "#", so the first one separates them.
func PairValue(status, category string) string { return status + "#" + category }

// VersionCountKey names one count of versions.
type VersionCountKey struct{ Field, Value string }

// VersionCountKeys are the counts a recorded version adds one to. Empty
// values are counted too: a filter can match them.
func VersionCountKeys(t *Ticket) []VersionCountKey {
	keys := make([]VersionCountKey, 0, len(ValueIndexedFields)+2)
	keys = append(keys, VersionCountKey{VersionCountAll, "*"})
	for _, f := range ValueIndexedFields {
		keys = append(keys, VersionCountKey{f, IndexedValue(t, f)})
	}
	return append(keys, VersionCountKey{VersionCountPair, PairValue(string(t.Status), t.Category)})
}

// VersionCounter is a history store that keeps the counts of versions
// (optional: without it, a history list's totalCount judges every
// version).
type VersionCounter interface {
	// VersionCounts returns, per field asked, the number of recorded
	// versions per value: of the values listed, or of every value some
	// version held when the list is nil.
	VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error)
	// VersionCountsComplete reports whether every recorded version is
	// counted. Until it is, a total from the counts could be too low
	// (records written before the counts existed); once true it stays
	// true.
	VersionCountsComplete(ctx context.Context) (bool, error)
}

// versionCount plans a history list's totalCount from the counts: what
// to read and how to add it up. ok is false when the counts do not decide
// it exactly for this reader: filters the counts do not split by, an SLA
// filter, or a reader the sight rule affects (whose rows are not the
// stored versions: for any other reader every version is visible and no
// filter reads a masked field, so judging a row is matching the filters
// on the version's own values, which is what the counts add up).
func versionCount(pl *ticketPlan, g *guard) (ask map[string][]string, sum func(map[string]map[string]int) int, ok bool) {
	q := pl.q
	if !q.WantCount || q.Version != 0 || q.SLAStatus != "" || q.ResolvedWithinTime != nil ||
		(q.Page.Last != nil && q.Page.First == nil) || pl.staffIDs != nil || g.affects(pl.fs) {
		return nil, nil, false
	}
	by := map[string][]Filter{}
	for _, f := range pl.fs {
		_, text := f.Value.(string)
		if !slices.Contains(ValueIndexedFields, f.Field) || !slices.Contains(textLookups, f.Lookup) || !text {
			return nil, nil, false
		}
		by[f.Field] = append(by[f.Field], f)
	}
	matches := func(field, v string) bool {
		for _, f := range by[field] {
			if !matchText(v, f.Lookup, f.Value.(string)) {
				return false
			}
		}
		return true
	}
	// values are the only values of field the filters can match, when an
	// exact filter or the status enumeration says (nil: any).
	values := func(field string) []string {
		if field == "status" {
			out := []string{}
			for _, s := range Statuses {
				if matches("status", string(s)) {
					out = append(out, string(s))
				}
			}
			return out
		}
		for _, f := range by[field] {
			if f.Lookup == Exact {
				return []string{f.Value.(string)}
			}
		}
		return nil
	}
	switch len(by) {
	case 0:
		ask = map[string][]string{VersionCountAll: {"*"}}
		return ask, func(c map[string]map[string]int) int { return c[VersionCountAll]["*"] }, true
	case 1:
		var field string
		for field = range by {
		}
		ask = map[string][]string{field: values(field)}
		return ask, func(c map[string]map[string]int) int {
			n := 0
			for v, k := range c[field] {
				if matches(field, v) {
					n += k
				}
			}
			return n
		}, true
	case 2:
		if by["status"] == nil || by["category"] == nil {
			return nil, nil, false
		}
		var pairs []string
		if cats := values("category"); cats != nil {
			pairs = []string{}
			for _, s := range values("status") {
				for _, c := range cats {
					pairs = append(pairs, PairValue(s, c))
				}
			}
		}
		ask = map[string][]string{VersionCountPair: pairs}
		return ask, func(c map[string]map[string]int) int {
			n := 0
			for v, k := range c[VersionCountPair] {
				s, cat, _ := strings.Cut(v, "#")
				if matches("status", s) && matches("category", cat) {
					n += k
				}
			}
			return n
		}, true
	}
	return nil, nil, false
}

// readVersionCount starts reading the counts a history list's totalCount
// adds up (nil when they do not decide it or are not complete); the
// returned function waits for it. The read runs beside the list's first
// reads; whether the counts are complete is known before, since the plan
// reads every row when they are not.
func (s *Service) readVersionCount(ctx context.Context, pl *ticketPlan, g *guard) (func() (int, error), error) {
	vc, ok := s.history.(VersionCounter)
	if !ok {
		return nil, nil
	}
	ask, sum, ok := versionCount(pl, g)
	if !ok {
		return nil, nil
	}
	for _, vs := range ask {
		if vs != nil && len(vs) == 0 {
			return func() (int, error) { return 0, nil }, nil // no value can match, counted or not
		}
	}
	if complete, err := s.versionCountsComplete(ctx, vc); err != nil || !complete {
		return nil, err
	}
	raw := async("count versions", func() (map[string]map[string]int, error) { return vc.VersionCounts(ctx, ask) })
	for field, vs := range ask {
		if vs == nil {
			// Every value of field, counted: the history lookups'
			// values are these (heldValues), without a read of their own.
			pl.fieldCounts = map[string]func() (map[string]map[string]int, error){field: raw}
		}
	}
	return func() (int, error) {
		c, err := raw()
		if err != nil {
			return 0, err
		}
		return sum(c), nil
	}, nil
}

// versionCountsComplete asks vc until it says yes, then remembers: the
// counts never become incomplete again, so a container pays the read at
// its first history list only (and at every one while they are not).
func (s *Service) versionCountsComplete(ctx context.Context, vc VersionCounter) (bool, error) {
	return s.countsComplete.ask(func() (bool, error) { return vc.VersionCountsComplete(ctx) })
}
