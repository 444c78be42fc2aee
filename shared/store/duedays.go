package store

import (
	"context"
	"encoding/hex"

	"github.com/redress-grm/redress/shared/grievance"
)

// The due days (grievance.DueDayIndex): every ticket's due date as a day
// number, a column (columns.go) under pk DUEDAYS. A block's tickets are
// created together, so their due dates fall within days of one another:
// a byte a ticket.
//
// The stream consumer sets a ticket's day when its due date changes (or
// it is created, or deleted: unknown again), with the order postings; the
// backfill's text pass fills the days still unknown only, so it never
// puts back an older date the consumer has replaced.
const (
	pkDueDays    = "DUEDAYS"
	skDaysMarker = "days"
	KindDueDays  = "dueDays"
)

var dueDays = column{pk: pkDueDays, kind: KindDueDays, what: "due days"}

// DueDays implements grievance.DueDayIndex: one Query of the column.
func (s *Store) DueDays(ctx context.Context) ([]uint16, error) {
	return dueDays.read(ctx, s)
}

// DueDaysComplete implements grievance.DueDayIndex: the marker is
// written when ticket 1 is first indexed by this code (a fresh table), by
// an import of ticket 1 and by a backfill text pass from the start.
func (s *Store) DueDaysComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skDaysMarker)
}

// dayOfGram is the day of a due date's order posting gram.
func dayOfGram(gram string) uint16 {
	if len(gram) == 0 || gram[len(gram)-1] != '#' {
		return grievance.DayUnknown
	}
	v, err := hex.DecodeString(gram[:len(gram)-1])
	if err != nil {
		return grievance.DayUnknown
	}
	return grievance.DayOf(string(v))
}

// dayChanges are the days to set, per ticket number.
type dayChanges map[int64]uint16

// diff records moving one ticket from old (nil, or a reference from
// before the order postings: unknown) to next.
func (dc dayChanges) diff(old *searchState, next searchState) {
	if next.seq <= 0 {
		return
	}
	day := func(st searchState) uint16 {
		if !st.live {
			return grievance.DayUnknown
		}
		return dayOfGram(st.orders["due_date"])
	}
	if old != nil && old.orders != nil && day(*old) == day(next) {
		return
	}
	dc[next.seq] = day(next)
}

// applyDays sets the days of dc; onlyUnknown keeps the days already
// known (the backfill).
func (s *Store) applyDays(ctx context.Context, dc dayChanges, onlyUnknown bool) error {
	return dueDays.setNumbers(ctx, s, dc, onlyUnknown)
}
