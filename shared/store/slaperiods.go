package store

import (
	"context"

	"github.com/redress-grm/redress/shared/grievance"
)

// The SLA periods (grievance.SLAPeriodIndex): every ticket's period
// length (grievance.PeriodOf: from its start to its deadline, in minutes
// up to 22 days), a column (columns.go) under pk SLAPERIODS, beside the
// due days. A list by ON_TRACK or AT_RISK reads both whole. Lengths spread
// over more than 254 units, so a block keeps two bytes a ticket (about
// 32 KB before deflating).
//
// The stream consumer sets a ticket's period when it changes (its due
// date, or its period's start: a reopening under the "new_period"
// policy; or it is created, or deleted: unknown again); the backfill's
// text pass fills the periods still unknown only, as the due days.
const (
	pkSLAPeriods    = "SLAPERIODS"
	skPeriodsMarker = "slaPeriods"
	KindSLAPeriods  = "slaPeriods"
)

var slaPeriods = column{pk: pkSLAPeriods, kind: KindSLAPeriods, what: "SLA periods"}

// SLAPeriods implements grievance.SLAPeriodIndex: one Query of the
// column.
func (s *Store) SLAPeriods(ctx context.Context) ([]uint16, error) {
	return slaPeriods.read(ctx, s)
}

// SLAPeriodsComplete implements grievance.SLAPeriodIndex: the marker is
// written when ticket 1 is first indexed by this code (a fresh table), by
// an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) SLAPeriodsComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skPeriodsMarker)
}

// periodChanges are the periods to set, per ticket number.
type periodChanges map[int64]uint16

// diff records moving one ticket from old (nil, or a reference from
// before the column: unknown) to next.
func (pc periodChanges) diff(old *searchState, next searchState) {
	if next.seq <= 0 {
		return
	}
	if old != nil && old.period != grievance.PeriodUnknown && old.period == next.period {
		return
	}
	pc[next.seq] = next.period
}

// applyPeriods sets the periods of pc; onlyUnknown keeps the periods
// already known (the backfill).
func (s *Store) applyPeriods(ctx context.Context, pc periodChanges, onlyUnknown bool) error {
	return slaPeriods.setNumbers(ctx, s, pc, onlyUnknown)
}
