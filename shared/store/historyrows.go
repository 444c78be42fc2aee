package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"

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
const (
	pkHistoryRows   = "HISTROWS"
	skRowsMarker    = "rows"
	KindHistoryRows = "historyRows"
)

var historyRows = column{pk: pkHistoryRows, kind: KindHistoryRows, what: "history rows"}

// HistoryRows implements grievance.HistoryRowIndex: one Query of the
// column.
func (s *Store) HistoryRows(ctx context.Context) ([]uint16, error) {
	return historyRows.read(ctx, s)
}

// HistoryRowsComplete implements grievance.HistoryRowIndex: the marker
// is written when ticket 1 is first indexed by this code (a fresh table),
// by an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) HistoryRowsComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skRowsMarker)
}

// rowChanges are the history rows to merge, per ticket number.
type rowChanges map[int64]uint16

// diff records c's images after old, the state its reference says was
// indexed at order indexed (nil, -1: none). A removal is no row. The
// ticket is partial when an image's version does not follow the one
// before it: its first version never indexed, or one between whose
// indexing failed.
func (rc rowChanges) diff(old *searchState, indexed int64, c *searchChange) {
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
		}
		prev, prevOrder = &im.state, im.order
		version = im.order / 2
	}
	if version > 0 {
		rc[c.state.seq] = grievance.HistoryRowsValue(int(version), flags)
	}
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

// firstSeen is the number of a ticket first seen at its live version
// (an import, the backfill): partial past version 1.
func firstSeen(version int) uint16 {
	if version > 1 {
		return grievance.HistoryRowsValue(version, grievance.RowsPartial)
	}
	return grievance.HistoryRowsValue(version, 0)
}

func (s *Store) applyRows(ctx context.Context, rc rowChanges, merge func(cur, next uint16) uint16) error {
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
		var flags grievance.RowFlags
		prev := searchStateOf(vs[0])
		for _, v := range vs[1:] {
			next := searchStateOf(v)
			flags |= textChanges(&prev, &next)
			prev = next
		}
		flags |= textChanges(&prev, &searchState{texts: ref.Texts})
		rc[ref.Seq] = grievance.HistoryRowsValue(live, flags)
	}
	if err := s.applyRows(ctx, rc, set); err != nil {
		return fmt.Errorf("import history rows: %w", err)
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
