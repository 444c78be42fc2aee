package store

import (
	"context"
	"fmt"

	"github.com/redress-grm/redress/shared/grievance"
)

// The date days (grievance.DateDayIndex): the day of every ticket's date
// of incident and date created, a column each (columns.go) under pk
// INCIDENTDAYS and CREATEDDAYS, beside the due days. A list by an
// icontains on a date reads its field's whole (at 100,000 tickets 7
// items, one Query).
//
// The stream consumer sets a ticket's days when they change (or it is
// created, or deleted: unknown again), from the live texts it indexes;
// the backfill's text pass fills the days still unknown only, as the due
// days'. One marker says both columns hold every live ticket.
const (
	skDateDaysMarker = "dateDays"
	KindDateDays     = "dateDays"
)

var dateDayColumns = map[string]column{
	"date_of_incident": {pk: "INCIDENTDAYS", kind: KindDateDays, what: "incident days"},
	"date_created":     {pk: "CREATEDDAYS", kind: KindDateDays, what: "created days"},
}

// DateDays implements grievance.DateDayIndex: one Query of field's
// column.
func (s *Store) DateDays(ctx context.Context, field string) ([]uint16, error) {
	c, ok := dateDayColumns[field]
	if !ok {
		return nil, fmt.Errorf("date days: no column of %s", field)
	}
	return c.read(ctx, s)
}

// DateDaysComplete implements grievance.DateDayIndex: the marker is
// written when ticket 1 is first indexed by this code (a fresh table), by
// an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) DateDaysComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skDateDaysMarker)
}

// dateDayChanges are the days to set, per field of
// grievance.DateDayFields and ticket number.
type dateDayChanges map[string]dayChanges

// diff records moving one ticket from old (nil, or a reference from
// before the live texts: unknown) to next.
func (dc dateDayChanges) diff(old *searchState, next searchState) {
	if next.seq <= 0 {
		return
	}
	for _, f := range grievance.DateDayFields {
		day := func(st searchState) uint16 {
			if !st.live {
				return grievance.DayUnknown
			}
			return grievance.DateDay(f, st.liveTexts[f])
		}
		if old != nil && old.liveTexts != nil && day(*old) == day(next) {
			continue
		}
		if dc[f] == nil {
			dc[f] = dayChanges{}
		}
		dc[f][next.seq] = day(next)
	}
}

// applyDateDays sets the days of dc; onlyUnknown keeps the days already
// known (the backfill).
func (s *Store) applyDateDays(ctx context.Context, dc dateDayChanges, onlyUnknown bool) error {
	for _, f := range grievance.DateDayFields {
		if len(dc[f]) == 0 {
			continue
		}
		if err := dateDayColumns[f].setNumbers(ctx, s, dc[f], onlyUnknown); err != nil {
			return err
		}
	}
	return nil
}
