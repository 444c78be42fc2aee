package grievance

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// The history consumer keeps counts of the recorded ticket versions (the
// rows of a showHistory list; removal records and comments' versions are
// no rows), per value of the fields the web client's panel filters on and
// per pair of its status, category, priority and staff filters, so that a
// history list's totalCount does not judge every version. Counts follow
// the stream, as the versions do.

// Count fields besides ValueIndexedFields: every version (value "*"), and
// a version's status and category together (PairValue).
const (
	VersionCountAll  = "all"
	VersionCountPair = "status+category"
)

// PairValue is the VersionCountPair value of a status and a category.
// Statuses hold no "#", so the first one separates them.
func PairValue(status, category string) string { return status + "#" + category }

// The pairs the panel sends besides the status with a category: an
// officer's own open tickets (the status with the staff picker), a
// category or priority with either. A version adds one to each pair's
// count, so any two of these filters are one count read, as one filter
// is. The staff member's pairs are counted per staff member
// (StaffPairField): their values are the staff member's own versions, a
// few dozen counts, where one field of every officer's pairs would be
// read whole by a lookup over the other value. Three filters or more
// are judged, as are pairs with a reporter (whose tickets are few).
const (
	VersionCountStatusPriority   = "status+priority"
	VersionCountCategoryPriority = "category+priority"
)

// pairFields are the fields each pair count holds, first field first.
var pairFields = map[string][2]string{
	VersionCountPair:             {"status", "category"},
	VersionCountStatusPriority:   {"status", "priority"},
	VersionCountCategoryPriority: {"category", "priority"},
}

// pairValue is a pair count's value of a and b: a status first (it holds
// no "#"), else both quoted, since a category or priority may hold "#".
func pairValue(first, a, b string) string {
	if first == "status" {
		return PairValue(a, b)
	}
	return strconv.Quote(a) + "#" + strconv.Quote(b)
}

// pairValues splits a pair count's value (ok false for one it did not
// write).
func pairValues(first, v string) (a, b string, ok bool) {
	if first == "status" {
		a, b, ok = strings.Cut(v, "#")
		return a, b, ok
	}
	qa, err := strconv.QuotedPrefix(v)
	if err != nil || !strings.HasPrefix(v[len(qa):], "#") {
		return "", "", false
	}
	a, err1 := strconv.Unquote(qa)
	b, err2 := strconv.Unquote(v[len(qa)+1:])
	return a, b, err1 == nil && err2 == nil
}

// StaffPairedFields are the fields counted per staff member.
var StaffPairedFields = []string{"status", "category", "priority"}

// StaffPairField names the count of field's values over the versions
// staff attended (and, per ticket, the history rows' column of them:
// PairsValue). The name keys a partition: an id longer than any the
// directory issues, or holding a separator of the names, is hashed, so
// the name stays short and whole whatever it holds.
func StaffPairField(field, staff string) string {
	return field + "@" + pairName(staff)
}

// pairName is a partner's value as a pair column's name holds it: a
// value longer than any the directory or the configuration issues, or
// holding a separator of the names, is hashed.
func pairName(v string) string {
	if len(v) > 64 || strings.ContainsAny(v, "=@") {
		h := sha256.Sum256([]byte(v))
		return "#" + hex.EncodeToString(h[:])
	}
	return v
}

// VersionCountKey names one count of versions.
type VersionCountKey struct{ Field, Value string }

// VersionCountKeys are the counts a recorded version adds one to. Empty
// values are counted too: a filter can match them.
func VersionCountKeys(t *Ticket) []VersionCountKey {
	keys := make([]VersionCountKey, 0, len(ValueIndexedFields)+7)
	keys = append(keys, VersionCountKey{VersionCountAll, "*"})
	for _, f := range ValueIndexedFields {
		keys = append(keys, VersionCountKey{f, IndexedValue(t, f)})
	}
	keys = append(keys, VersionCountKey{VersionCountPair, PairValue(string(t.Status), t.Category)})
	return append(keys, VersionPairKeys(t)...)
}

// VersionPairKeys are those of VersionCountKeys a table counts since the
// pairs (other than VersionCountPair): the backfill adds them to the
// records counted before (VersionCounter.VersionPairsComplete).
func VersionPairKeys(t *Ticket) []VersionCountKey {
	keys := make([]VersionCountKey, 0, 5)
	for _, pair := range []string{VersionCountStatusPriority, VersionCountCategoryPriority} {
		fs := pairFields[pair]
		keys = append(keys, VersionCountKey{pair, pairValue(fs[0], IndexedValue(t, fs[0]), IndexedValue(t, fs[1]))})
	}
	if t.AttendingStaffID == "" {
		return keys // no filter asks for the versions nobody attended
	}
	for _, f := range StaffPairedFields {
		keys = append(keys, VersionCountKey{StaffPairField(f, t.AttendingStaffID), IndexedValue(t, f)})
	}
	return keys
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
	// VersionPairsComplete is VersionCountsComplete for the counts of
	// VersionPairKeys, which a table counted before them lacks until the
	// backfill counts them.
	VersionPairsComplete(ctx context.Context) (bool, error)
}

// HeldValueLister is a VersionCounter that also keeps the list of values
// some recorded version held, per field: a history list's lookup reads it
// (one small item a field) instead of every value's counts.
type HeldValueLister interface {
	// HeldValues returns, per field asked, every value some recorded
	// version held (ok false: the list is not known complete, or not
	// kept; VersionCounts lists them then).
	HeldValues(ctx context.Context, fields []string) (values map[string][]string, ok bool, err error)
}

// versionCount plans a history list's totalCount from the counts: what
// to read and how to add it up. ok is false when the counts do not decide
// it exactly for this reader: filters the counts do not split by, an SLA
// filter, or a reader the sight rule affects (whose rows are not the
// stored versions: for any other reader every version is visible and no
// filter reads a masked field, so judging a row is matching the filters
// on the version's own values, which is what the counts add up). Two
// filters are a pair's count (pairs: one of VersionPairKeys'); three or
// more, or a reporter with another, are judged.
//
// held, by field of ValueFields, lists every value some version held:
// a lookup's values are then those of them it matches (guessed), where
// without it the field's (or its pair's) counts are read whole.
// countPlan is what versionCount plans.
type countPlan struct {
	ask map[string][]string
	sum func(map[string]map[string]int) int
	// pairs: ask reads a count of VersionPairKeys.
	pairs bool
	// guessed: the fields whose values ask took from held; narrowed: the
	// filters leave out some value of one of them.
	guessed  []string
	narrowed bool
}

func versionCount(pl *ticketPlan, g *guard, held map[string][]string) (p countPlan, ok bool) {
	var guessed []string
	narrowed := false
	q := pl.q
	if !q.WantCount || q.Version != 0 || q.SLAStatus != "" || q.ResolvedWithinTime != nil ||
		(q.Page.Last != nil && q.Page.First == nil) || pl.staffIDs != nil || g.affects(pl.fs) {
		return countPlan{}, false
	}
	by := map[string][]Filter{}
	for _, f := range pl.fs {
		_, text := f.Value.(string)
		if !slices.Contains(ValueIndexedFields, f.Field) || !slices.Contains(textLookups, f.Lookup) || !text {
			return countPlan{}, false
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
		vs, ok := held[field]
		if !ok || !slices.Contains(ValueFields, field) {
			return nil
		}
		if !slices.Contains(guessed, field) {
			guessed = append(guessed, field)
		}
		out := []string{}
		for _, v := range vs {
			if matches(field, v) {
				out = append(out, v)
			}
		}
		narrowed = narrowed || len(out) < len(vs)
		return out
	}
	switch len(by) {
	case 0:
		ask := map[string][]string{VersionCountAll: {"*"}}
		return countPlan{ask: ask, sum: func(c map[string]map[string]int) int { return c[VersionCountAll]["*"] }}, true
	case 1:
		var field string
		for field = range by {
		}
		ask := map[string][]string{field: values(field)}
		sum := func(c map[string]map[string]int) int {
			n := 0
			for v, k := range c[field] {
				if matches(field, v) {
					n += k
				}
			}
			return n
		}
		return countPlan{ask: ask, sum: sum, guessed: guessed, narrowed: narrowed}, true
	case 2:
		if vs := values("attending_staff__id"); by["attending_staff__id"] != nil {
			// The other field's counts over the staff member's versions
			// (the staff picker is an exact filter: one staff member).
			var field string
			for f := range by {
				if f != "attending_staff__id" {
					field = f
				}
			}
			if len(vs) != 1 || !slices.Contains(StaffPairedFields, field) {
				return countPlan{}, false
			}
			pf := StaffPairField(field, vs[0])
			ask := map[string][]string{pf: values(field)}
			sum := func(c map[string]map[string]int) int {
				n := 0
				if !matches("attending_staff__id", vs[0]) {
					return 0 // two staff members asked at once
				}
				for v, k := range c[pf] {
					if matches(field, v) {
						n += k
					}
				}
				return n
			}
			return countPlan{ask: ask, sum: sum, pairs: true, guessed: guessed, narrowed: narrowed}, true
		}
		var pair string
		for name, fs := range pairFields {
			if by[fs[0]] != nil && by[fs[1]] != nil {
				pair = name
			}
		}
		if pair == "" {
			return countPlan{}, false
		}
		fs := pairFields[pair]
		var pairs []string
		if as, bs := values(fs[0]), values(fs[1]); as != nil && bs != nil {
			pairs = []string{}
			for _, a := range as {
				for _, b := range bs {
					pairs = append(pairs, pairValue(fs[0], a, b))
				}
			}
		}
		ask := map[string][]string{pair: pairs}
		sum := func(c map[string]map[string]int) int {
			n := 0
			for v, k := range c[pair] {
				a, b, ok := pairValues(fs[0], v)
				if ok && matches(fs[0], a) && matches(fs[1], b) {
					n += k
				}
			}
			return n
		}
		return countPlan{ask: ask, sum: sum, pairs: pair != VersionCountPair, guessed: guessed, narrowed: narrowed}, true
	}
	return countPlan{}, false
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
	cp, ok := versionCount(pl, g, nil)
	if !ok {
		return nil, nil
	}
	ask := cp.ask
	for _, vs := range ask {
		if vs != nil && len(vs) == 0 {
			return func() (int, error) { return 0, nil }, nil // no value can match, counted or not
		}
	}
	// Both markers at once: a cold container pays one round trip.
	pairsDone := func() (bool, error) { return true, nil }
	if cp.pairs {
		pairsDone = s.pairsComplete.under("read version pairs marker", func() (bool, error) { return vc.VersionPairsComplete(ctx) })
	}
	complete, err := s.versionCountsComplete(ctx, vc)
	pc, perr := pairsDone()
	if err = cmp.Or(err, perr); err != nil || !complete || !pc {
		return nil, err
	}
	if count, ok := s.readGuessedCount(ctx, vc, pl, g); ok {
		return count, nil
	}
	raw := async("count versions", func() (map[string]map[string]int, error) { return vc.VersionCounts(ctx, ask) })
	for field, vs := range ask {
		if vs == nil {
			// Every value of field, counted: the history lookups'
			// values are these (heldValues), without a read of their own.
			// Each version counts under its pair, so a pair's counts hold
			// every value of both its fields too.
			pl.fieldCounts = map[string]func() (map[string]map[string]int, error){field: raw}
			if fs, ok := pairFields[field]; ok {
				for i, f := range fs {
					pl.fieldCounts[f] = func() (map[string]map[string]int, error) {
						c, err := raw()
						if err != nil {
							return nil, err
						}
						byValue := map[string]int{}
						for v, n := range c[field] {
							if a, b, ok := pairValues(fs[0], v); ok {
								byValue[[2]string{a, b}[i]] += n
							}
						}
						return map[string]map[string]int{f: byValue}, nil
					}
				}
			}
		}
	}
	return func() (int, error) {
		c, err := raw()
		if err != nil {
			return 0, err
		}
		return cp.sum(c), nil
	}, nil
}

// maxGuessedReads bounds the Queries of a count from the values a
// container last listed (one a value or pair asked, all at once): past
// it one Query of the field's (or pair's) whole partition is cheaper in
// requests, if not in items.
const maxGuessedReads = 16

// heldDistrust is how long a container that found the values' dictionary
// untrusted (a table counted before it and not yet backfilled, or one
// whose dictionary is full) reads a lookup's counts whole again before it
// tries the dictionary anew.
const heldDistrust = 10 * time.Minute

// readGuessedCount reads a history list's totalCount with lookups
// (category or priority `Icontains`, no exact value) from the counts of
// the values they match only, where the plan without values reads every
// value's: a field's partition (values × 8 shards) or a pair's (values
// of both × 8: 72 items for 3 categories and 3 priorities, and growing
// with their product). Which values the lookups match is guessed from
// those the container last listed; values only accrue, so the guess
// can only miss values new since, and the values' dictionary, read
// beside (one item a field; the history lookups take their values from
// the same read), says which: their counts are read then, one round trip
// more, only when a matching value appeared since the container's last
// list. ok is false when there is no guess to make (a cold container,
// no lookup, a dictionary found untrusted lately, or more values matched
// than maxGuessedReads or than the filters leave out).
func (s *Service) readGuessedCount(ctx context.Context, vc VersionCounter, pl *ticketPlan, g *guard) (func() (int, error), bool) {
	hl, ok := s.history.(HeldValueLister)
	if !ok || s.heldDistrusted() {
		return nil, false
	}
	last := s.lastHeld.all()
	if len(last) == 0 {
		return nil, false
	}
	guess, ok := versionCount(pl, g, valuesOf(last))
	if !ok || len(guess.guessed) == 0 || !guess.narrowed {
		return nil, false
	}
	reads := 0
	for _, vs := range guess.ask {
		if vs == nil {
			return nil, false // a field no guess names: read whole anyway
		}
		reads += len(vs)
	}
	if reads > maxGuessedReads {
		return nil, false
	}
	raw := async("count versions", func() (map[string]map[string]int, error) { return vc.VersionCounts(ctx, guess.ask) })
	fresh := async("list the values of versions", func() (map[string]map[string]int, error) {
		return s.listHeld(ctx, hl, vc, guess.guessed)
	})
	// The history lookups list their values from the same read.
	if pl.fieldCounts == nil {
		pl.fieldCounts = map[string]func() (map[string]map[string]int, error){}
	}
	for _, f := range guess.guessed {
		pl.fieldCounts[f] = fresh
	}
	return async("count versions", func() (int, error) {
		c, err := raw()
		if err != nil {
			return 0, err
		}
		held, err := fresh()
		if err != nil {
			return 0, err
		}
		exact, ok := versionCount(pl, g, valuesOf(held))
		if !ok {
			return 0, fmt.Errorf("count versions: no plan from the values listed")
		}
		missing := map[string][]string{}
		for k, vs := range exact.ask {
			if vs == nil {
				missing[k] = nil // a field the list did not name: its counts whole
				continue
			}
			for _, v := range vs {
				if !slices.Contains(guess.ask[k], v) {
					missing[k] = append(missing[k], v)
				}
			}
		}
		if len(missing) > 0 {
			more, err := vc.VersionCounts(ctx, missing)
			if err != nil {
				return 0, err
			}
			for k, byValue := range more {
				if c[k] == nil {
					c[k] = map[string]int{}
				}
				maps.Copy(c[k], byValue)
			}
		}
		return exact.sum(c), nil
	}), true
}

// listHeld lists the values some version of fields held, in the shape of
// counts (valuesOf lists them back): from the dictionary, or, when it is
// not to be trusted, from every value's counts, and then no guess is made
// from it for a while (heldDistrust).
func (s *Service) listHeld(ctx context.Context, hl HeldValueLister, vc VersionCounter, fields []string) (map[string]map[string]int, error) {
	values, ok, err := hl.HeldValues(ctx, fields)
	if err != nil {
		return nil, err
	}
	if ok {
		return asCounts(values), nil
	}
	s.distrustHeld()
	whole := make(map[string][]string, len(fields))
	for _, f := range fields {
		whole[f] = nil
	}
	return vc.VersionCounts(ctx, whole)
}

func (s *Service) heldDistrusted() bool { return s.heldDistrustedAt.within(s.now(), heldDistrust) }

func (s *Service) distrustHeld() { s.heldDistrustedAt.mark(s.now()) }

// distrustedAt is when a container last found an index of the store not
// to be trusted (unix ns; 0: never), so that it reads around it for a
// while instead of finding it out again on every list.
type distrustedAt struct{ at atomic.Int64 }

// within reports whether the index was found untrusted less than window
// before now.
func (d *distrustedAt) within(now time.Time, window time.Duration) bool {
	at := d.at.Load()
	return at != 0 && now.Sub(time.Unix(0, at)) < window
}

func (d *distrustedAt) mark(now time.Time) { d.at.Store(now.UnixNano()) }

// versionCountsComplete asks vc until it says yes, then remembers: the
// counts never become incomplete again, so a container pays the read at
// its first history list only (and at every one while they are not).
func (s *Service) versionCountsComplete(ctx context.Context, vc VersionCounter) (bool, error) {
	return s.countsComplete.ask(func() (bool, error) { return vc.VersionCountsComplete(ctx) })
}
