package store

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/redress-grm/redress/shared/grievance"
)

// The history rows (grievance.HistoryRowIndex): every ticket's version and
// what changed across its versions (grievance.HistoryRowsValue), a column
// (columns.go) under pk HISTROWS. A block's tickets are a few versions
// each: a byte a ticket unless their versions spread over more than 31.
//
// The stream consumer sets a ticket's number with every version it
// indexes (merged: the higher version, every flag of either), from the
// reference's texts and the batch's images; the backfill's text pass
// fills the numbers still unknown, as partial for a ticket past its first
// version (its earlier versions were never seen). Versions are numbered
// from 1 and the consumer records every one, so a ticket's version is the
// number of its rows.
//
// Beside it, a column per value of grievance.RowValueFields (pk
// HISTROWS#<field>=<value>) counts how many of each ticket's versions
// held that value, for a history list with a text and a value filter.
// The counts are absolute, kept in the ticket's search reference (Hist)
// and carried forward from it with each version, so a replayed batch
// writes the same numbers; they only grow, so a column keeps the higher
// of two writes. A ticket the rows say is partial has unknown counts
// (the reference says HistLost).
//
// The reporter has no column per value (reporters are about one a
// ticket: a batch of new tickets would write a block per ticket), but one
// column, HISTROWS#reporter_id=~unchanged (grievance.UnchangedValue),
// counts the versions that kept the reporter of the version before, from
// the first; a reference counts them under that key too. A reference from
// before that count leaves the ticket's number unknown (0) for good,
// unless it is still at version 1, which the backfill's text pass counts.
const (
	pkHistoryRows   = "HISTROWS"
	prefixValueRows = "HISTROWS#"
	KindHistoryRows = "historyRows"
	KindValueRows   = "historyValueRows"
	// The marker was "rows" before the counts by value: a table marked
	// so has rows without them until the backfill's text pass.
	skRowsMarker = "rowsByValue"
)

var historyRows = column{pk: pkHistoryRows, kind: KindHistoryRows, what: "history rows"}

// fieldValue names a value of one of grievance.RowValueFields.
type fieldValue struct{ field, value string }

func (fv fieldValue) column() column {
	return column{pk: prefixValueRows + fv.field + countValueKey(fv.value), kind: KindValueRows, what: "history rows of a " + fv.field}
}

// A reference's Hist is keyed field=value.
func (fv fieldValue) histKey() string { return fv.field + "=" + fv.value }

func histKeyOf(k string) fieldValue {
	f, v, _ := strings.Cut(k, "=")
	return fieldValue{f, v}
}

// HistoryRows implements grievance.HistoryRowIndex: one Query of the
// column.
func (s *Store) HistoryRows(ctx context.Context) ([]uint16, error) {
	return historyRows.read(ctx, s)
}

// HistoryValueRows implements grievance.HistoryRowIndex: one Query of
// the value's column.
func (s *Store) HistoryValueRows(ctx context.Context, field, value string) ([]uint16, error) {
	c, err := valueRowsColumn(field, value)
	if err != nil {
		return nil, err
	}
	return c.read(ctx, s)
}

// HistoryValueRowsWithin implements grievance.HistoryRowIndex: one Query
// of the blocks of the value's column that hold tickets lo to hi.
func (s *Store) HistoryValueRowsWithin(ctx context.Context, field, value string, lo, hi int64) ([]uint16, error) {
	c, err := valueRowsColumn(field, value)
	if err != nil {
		return nil, err
	}
	return c.readWithin(ctx, s, lo, hi)
}

// valueRowsColumn is the column HistoryValueRows names.
func valueRowsColumn(field, value string) (column, error) {
	unchanged := value == grievance.UnchangedValue && slices.Contains(grievance.RowUnchangedFields, field)
	_, _, split := grievance.FirstRowsOf(field)
	_, _, pair := grievance.RowPairOf(field)
	text := (value == grievance.ChangesValue || value == grievance.FirstValue || value == grievance.FirstSplitValue) && slices.Contains(grievance.TextIndexedFields, field)
	if !slices.Contains(grievance.RowValueFields, field) && !unchanged && !text && !split && !pair {
		return column{}, grievance.Errorf(grievance.CodeInvalid, "history rows: no counts by %q", field)
	}
	return fieldValue{field, value}.column(), nil
}

// HistoryRowsComplete implements grievance.HistoryRowIndex: the marker
// is written when ticket 1 is first indexed by this code (a fresh table),
// by an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) HistoryRowsComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skRowsMarker)
}

// rowChanges are the history rows to merge, per ticket number.
type rowChanges map[int64]uint16

// valueRowChanges are the counts of versions to write, per value and
// ticket number.
type valueRowChanges map[fieldValue]rowChanges

// set records that n of ticket seq's versions held the value named by a
// reference's key k (none is written for an empty value: no list counts
// it; nor a count of 0, what a column holds until written: a text never
// changed).
func (vc valueRowChanges) set(k string, seq int64, n int) {
	fv := histKeyOf(k)
	if fv.value == "" || n == 0 {
		return
	}
	if vc[fv] == nil {
		vc[fv] = rowChanges{}
	}
	vc[fv][seq] = uint16(min(n, 0xffff))
}

// histMaxBytes bounds a reference's counts by value: a ticket whose
// versions took more names than that (dozens of long categories) is
// partial from then on, so its reference (≤ 400 KB an item) stays about
// its texts' size.
const histMaxBytes = 2048

func histBytes(hist map[string]int) int {
	n := 0
	for k := range hist {
		n += countBytes(k)
	}
	return n
}

// countBytes is what a count named k takes of a reference: its name and
// a number.
func countBytes(k string) int { return len(k) + 3 }

// fits reports whether hist, given add's counts, stays within
// histMaxBytes: only the keys it lacks take bytes.
func fits(hist, add map[string]int) bool {
	n := histBytes(hist)
	for k := range add {
		if _, ok := hist[k]; !ok {
			n += countBytes(k)
		}
	}
	return n <= histMaxBytes
}

// addHist counts st's values in hist, after prev, the version before it
// (nil: st is the ticket's first). The versions that kept a value of
// grievance.RowUnchangedFields, and the changes of each text with the
// versions before the first (grievance.ChangesValue, FirstValue), are
// counted only where hist says them already, or from the first version:
// a reference from before the count never says it. So are the counts
// by value of the versions before a text's first change
// (grievance.FirstRowsField, with FirstSplitValue), taken from hist as
// that change is counted (hist's counts by value are exact from the
// first version). A reference whose text changed before them never says
// them; the backfill's history pass does. A text's second and later
// changes set FirstValue and FirstSplitValue to grievance.LastChange and
// take the counts by value again, those of the versions before the
// change, up to as many changes as it says: past them they stay, unknown
// to a list.
func addHist(hist map[string]int, st, prev *searchState) {
	before := 0 // the versions counted: each has a status, maybe empty
	for k, n := range hist {
		if strings.HasPrefix(k, "status=") {
			before += n
		}
	}
	for _, f := range grievance.TextIndexedFields {
		changes, first := textKey(f, grievance.ChangesValue), textKey(f, grievance.FirstValue)
		_, known := hist[changes]
		switch {
		case prev == nil:
			hist[changes], hist[first] = 0, 0
		case !known || prev.texts[f] == st.texts[f]:
		default:
			if hist[changes] == 0 {
				hist[first] = before
				splitHist(hist, f, before)
			} else if v, ok := grievance.LastChange(hist[changes]+1, before); ok {
				hist[first] = int(v)
				splitHist(hist, f, int(v))
			}
			hist[changes]++
		}
	}
	for _, f := range grievance.RowValueFields {
		hist[fieldValue{f, st.values[f]}.histKey()]++
	}
	for _, f := range grievance.RowUnchangedFields {
		k := unchangedKey(f)
		_, known := hist[k]
		switch {
		case prev == nil:
			hist[k]++
		case known && prev.values[f] == st.values[f]:
			hist[k]++
		}
	}
	n, known := hist[pairsKey]
	switch {
	case prev == nil || known && n > 0:
		addPairs(hist, st)
	case !known:
		// Counted by an older generation of the pairs: they can no
		// longer be trusted, so their bytes are freed.
		dropPairs(hist)
	}
}

// pairsKey is a reference's count of the versions its pairs counted
// (grievance.PairsValue).
var pairsKey = fieldValue{"attending_staff__id", grievance.PairsValue}.histKey()

// dropPairs removes from hist every pair count (grievance.RowPairOf) and
// the count of versions of every generation of them, so that they are
// counted again from nothing or not at all.
func dropPairs(hist map[string]int) {
	for k := range hist {
		fv := histKeyOf(k)
		if _, _, ok := grievance.RowPairOf(fv.field); ok || k == pairsKey || fv.field == "attending_staff__id" && slices.Contains(grievance.LegacyPairsValues, fv.value) {
			delete(hist, k)
		}
	}
}

// addPairs counts st's pairs (grievance.RowPairKeys) in hist,
// which counted every version before it. Pairs that would take the
// reference past histMaxBytes are dropped, and their count set to 0,
// unknown for good, so that they never cost the ticket its other counts
// (the backfill's history pass, which would find the same, leaves it).
func addPairs(hist map[string]int, st *searchState) {
	add := map[string]int{pairsKey: hist[pairsKey] + 1}
	for _, pk := range grievance.RowPairKeys(func(f string) string { return st.values[f] }) {
		k := fieldValue{pk.Field, pk.Value}.histKey()
		add[k] = hist[k] + 1
	}
	if fits(hist, add) {
		maps.Copy(hist, add)
		return
	}
	dropPairs(hist)
	hist[pairsKey] = 0
}

// splitHist copies hist's counts by value (grievance.RowValueFields) to
// the text's grievance.FirstRowsField as the text changes, with number
// its FirstSplitValue (the versions before a first change, or
// grievance.LastChange): the counts of the versions before it, which
// only grow from one change to the next, as the columns' merge wants.
// An empty value is left out, as from the columns (no list counts it).
// Counts that would take the reference past histMaxBytes are not kept,
// so that they never cost a ticket the counts it had without them:
// FirstSplitValue is then 0 (the columns keep an earlier change's
// number, which a list does not take for this one's), and a list that
// needs them judges the ticket; the backfill's history pass, which would
// find the same, leaves it.
func splitHist(hist map[string]int, text string, number int) {
	key := textKey(text, grievance.FirstSplitValue)
	split := map[string]int{key: number}
	for k, n := range hist {
		if fv := histKeyOf(k); fv.value != "" && slices.Contains(grievance.RowValueFields, fv.field) {
			split[fieldValue{grievance.FirstRowsField(fv.field, text), fv.value}.histKey()] = n
		}
	}
	switch {
	case fits(hist, split):
		maps.Copy(hist, split)
	case fits(hist, map[string]int{key: 0}):
		hist[key] = 0
	}
}

// unchangedKey is a reference's key of the versions that kept field's
// value (grievance.UnchangedValue).
func unchangedKey(field string) string {
	return fieldValue{field, grievance.UnchangedValue}.histKey()
}

// textKey is a reference's key of a text field's count named value
// (grievance.ChangesValue, FirstValue).
func textKey(field, value string) string {
	return fieldValue{field, value}.histKey()
}

// firstCounts are a reference's counts known only from a ticket's first
// version, as they are at that version.
func firstCounts() map[string]int {
	out := map[string]int{}
	for _, f := range grievance.RowUnchangedFields {
		out[unchangedKey(f)] = 1
	}
	for _, f := range grievance.TextIndexedFields {
		out[textKey(f, grievance.ChangesValue)], out[textKey(f, grievance.FirstValue)] = 0, 0
	}
	return out
}

// unchangedKnown reports whether hist holds each of firstCounts (the
// versions that kept the reporter, and each text's changes), the count
// of its pairs and, for a text that changed, the counts by value
// before it (FirstSplitValue).
func unchangedKnown(hist map[string]int) bool {
	for k := range firstCounts() {
		if _, ok := hist[k]; !ok {
			return false
		}
	}
	if _, ok := hist[pairsKey]; !ok {
		return false // the pairs
	}
	for _, f := range grievance.TextIndexedFields {
		if _, ok := hist[textKey(f, grievance.FirstSplitValue)]; !ok && hist[textKey(f, grievance.ChangesValue)] > 0 {
			return false
		}
	}
	return true
}

// replaced records that next replaced prev's texts where they differ
// (grievance.ReplacedKey), for ticket seq: the postings only grow, so a
// replay sets members already there.
func (pc postingChanges) replaced(prev, next *searchState, seq int64) {
	if pc == nil || seq <= 0 {
		return
	}
	for _, f := range grievance.TextIndexedFields {
		if prev.texts[f] == next.texts[f] {
			continue
		}
		for _, g := range grievance.Grams(prev.texts[f]) {
			pc.set(grievance.ReplacedKey(grievance.PostingKey{Field: f, Gram: g}), seq, true)
		}
	}
}

// diff records c's images after old, the state its reference says was
// indexed at order indexed (nil, -1: none), and returns the ticket's
// counts of versions by value for its reference (nil and lost: unknown).
// A removal is no row. The ticket is partial when an image's version
// does not follow the one before it (its first version never indexed,
// or one between whose indexing failed) or its reference, from before
// the counts by value, cannot say them past version 1.
func (rc rowChanges) diff(old *searchState, indexed int64, c *searchChange, vc valueRowChanges, pc postingChanges) (hist map[string]int, lost bool) {
	derived := false
	switch {
	case old == nil:
		hist = map[string]int{}
	case old.hist != nil:
		hist = maps.Clone(old.hist)
		if indexed == 2 && !unchangedKnown(hist) {
			// A reference from before the counts of versions that kept
			// the reporter or a text, or of the pairs, at version
			// 1: one, and version 1's pairs.
			for k, n := range firstCounts() {
				if _, ok := hist[k]; !ok {
					hist[k] = n
				}
			}
			if _, ok := hist[pairsKey]; !ok {
				// An older generation's pairs count version 1 too.
				dropPairs(hist)
				addPairs(hist, old)
			}
		}
	case old.histLost:
	case indexed == 2:
		hist, derived = map[string]int{}, true
		addHist(hist, old, nil)
	}
	images := append([]orderedState{{c.order, c.state}}, c.earlier...)
	slices.SortFunc(images, func(a, b orderedState) int { return cmp.Compare(a.order, b.order) })
	prev, prevOrder := old, indexed
	var flags grievance.RowFlags
	version := int64(0)
	for _, im := range images {
		if im.order%2 == 1 || im.state.seq <= 0 || im.order <= indexed {
			continue
		}
		switch {
		case prev == nil && im.order > 2, prev != nil && im.order > prevOrder+2:
			flags |= grievance.RowsPartial
		}
		if prev != nil {
			flags |= textChanges(prev, &im.state)
			pc.replaced(prev, &im.state, im.state.seq)
		}
		if hist != nil {
			addHist(hist, &im.state, prev)
		}
		prev, prevOrder = &im.state, im.order
		version = im.order / 2
	}
	seq := c.state.seq
	if histBytes(hist) > histMaxBytes {
		hist = nil // the reference stays small; the ticket is judged
	}
	if flags&grievance.RowsPartial != 0 || hist == nil {
		if version == 0 && old != nil && !old.histLost && indexed > 0 && indexed%2 == 0 {
			// A reference from before the counts by value: the ticket's
			// rows can no longer vouch for it.
			version = indexed / 2
		}
		if version > 0 {
			rc[seq] = grievance.HistoryRowsValue(int(version), flags|grievance.RowsPartial)
		}
		return nil, true
	}
	if version > 0 {
		rc[seq] = grievance.HistoryRowsValue(int(version), flags)
	}
	for k, n := range hist {
		if derived || old == nil || old.hist[k] != n {
			vc.set(k, seq, n)
		}
	}
	return hist, false
}

// textChanges are the flags of the text fields a and b differ in.
func textChanges(a, b *searchState) grievance.RowFlags {
	var flags grievance.RowFlags
	for _, f := range grievance.TextIndexedFields {
		if a.texts[f] != b.texts[f] {
			flags |= grievance.TextChanged(f)
		}
	}
	return flags
}

// firstSeenRows is the number of a ticket first seen at its live
// version (an import, the backfill): partial past version 1.
func firstSeenRows(version int) uint16 {
	if version > 1 {
		return grievance.HistoryRowsValue(version, grievance.RowsPartial)
	}
	return grievance.HistoryRowsValue(version, 0)
}

// firstSeen records the history rows of a ticket an import stores at
// version with state st, and returns its reference's counts by value:
// known at version 1 only.
func firstSeen(rc rowChanges, vc valueRowChanges, st *searchState, version int) (map[string]int, bool) {
	rc[st.seq] = firstSeenRows(version)
	if version != 1 {
		return nil, true
	}
	hist := map[string]int{}
	addHist(hist, st, nil)
	for k, n := range hist {
		vc.set(k, st.seq, n)
	}
	return hist, false
}

// maxCount is the merge of the counts by value, which only grow.
func maxCount(cur, next uint16) uint16 { return max(cur, next) }

// applyRows writes the counts by value, then the rows: a ticket the rows
// say is exact has its counts written, unless a write of them failed,
// which fails the batch's indexing before the rows move.
func (s *Store) applyRows(ctx context.Context, rc rowChanges, vc valueRowChanges, merge, mergeCount func(cur, next uint16) uint16) error {
	fvs := slices.SortedFunc(maps.Keys(vc), func(a, b fieldValue) int {
		return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.value, b.value))
	})
	if err := parallel(ctx, len(fvs), 4, func(ctx context.Context, i int) error {
		return fvs[i].column().apply(ctx, s, vc[fvs[i]], mergeCount)
	}); err != nil {
		return err
	}
	return historyRows.apply(ctx, s, rc, merge)
}

// importedRows sets the history rows of tickets whose earlier versions an
// import recorded (ImportHistory): exact when they are versions 1 to the
// one before the live one the reference holds, else left partial.
func (s *Store) importedRows(ctx context.Context, earlier []*grievance.Ticket) error {
	byID := map[string][]*grievance.Ticket{}
	for _, t := range earlier {
		byID[t.ID] = append(byID[t.ID], t)
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	refs, err := s.searchRefs(ctx, ids)
	if err != nil {
		return err
	}
	rc := rowChanges{}
	vc := valueRowChanges{}
	pc := postingChanges{}
	var write []any
	for id, vs := range byID {
		ref, ok := refs[id]
		if !ok || ref.Order%2 == 1 {
			continue
		}
		slices.SortFunc(vs, func(a, b *grievance.Ticket) int { return cmp.Compare(a.Version, b.Version) })
		live := int(ref.Order / 2)
		if !numbered(vs, live-1) {
			continue
		}
		flags, hist := exactHistory(vs, &searchState{seq: ref.Seq, texts: ref.Texts, values: ref.Values}, pc)
		rc[ref.Seq] = grievance.HistoryRowsValue(live, flags)
		for k, n := range hist {
			vc.set(k, ref.Seq, n)
		}
		ref.Hist, ref.HistLost = hist, false
		write = append(write, ref)
	}
	// The replaced texts before the counts that say them.
	if err := s.applyPostings(ctx, pc, true); err != nil {
		return fmt.Errorf("import history rows: %w", err)
	}
	if err := s.applyRows(ctx, rc, vc, set, set); err != nil {
		return fmt.Errorf("import history rows: %w", err)
	}
	// The references say the counts, for the ticket's next version.
	if len(write) > 0 {
		if _, err := s.main.Batch(AttrPK, AttrSK).Write().Put(write...).Run(ctx); err != nil {
			return translate("import history rows: put search references", err)
		}
	}
	return nil
}

// numbered reports whether vs, sorted, are versions 1 to n.
func numbered(vs []*grievance.Ticket, n int) bool {
	if len(vs) != n {
		return false
	}
	for i, v := range vs {
		if v.Version != i+1 {
			return false
		}
	}
	return true
}
