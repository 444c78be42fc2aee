package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// columns are the numbers a table's columns give, as reads see them.
type columns struct{ days, rows, open []uint16 }

func readColumns(t *testing.T, s *store.Store) columns {
	t.Helper()
	ctx := context.Background()
	var c columns
	var err error
	if c.days, err = s.DueDays(ctx); err != nil {
		t.Fatal(err)
	}
	if c.rows, err = s.HistoryRows(ctx); err != nil {
		t.Fatal(err)
	}
	if c.open, err = s.HistoryValueRows(ctx, "status", string(grievance.StatusOpen)); err != nil {
		t.Fatal(err)
	}
	return c
}

// sameColumns reports every ticket whose number differs.
func sameColumns(t *testing.T, when string, got, want columns) {
	t.Helper()
	for _, col := range []struct {
		name      string
		got, want []uint16
	}{{"due day", got.days, want.days}, {"history rows", got.rows, want.rows}, {"versions OPEN", got.open, want.open}} {
		for seq := range int64(max(len(col.got), len(col.want))) {
			if g, w := at(col.got, seq), at(col.want, seq); g != w {
				t.Errorf("%s: ticket %d %s %d, want %d", when, seq, col.name, g, w)
			}
		}
	}
}

// A table indexed before the wide blocks keeps its columns in narrow
// blocks: reads take each ticket's number from its wide block where that
// knows it (the newer write) and from its narrow block otherwise, and
// the widening pass moves the narrow numbers the wide blocks do not know,
// again a number a writer of the code before changed meanwhile, and
// deletes the narrow blocks; then a second pass is one read.
func TestColumns_NarrowBlocksAreReadUntilWidened(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 4; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.DueDate = fmt.Sprintf("2026-12-%02d", i)
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress })
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	// Imported tickets in the first wide block's second narrow block and
	// in the second wide block.
	var far []*grievance.Ticket
	for i, seq := range []int64{5000, 20000} {
		tk := newTicket(id(50+i), grievance.StatusOpen, "Default")
		tk.Seq, tk.Code, tk.DueDate = seq, grievance.FormatCode(seq), "2027-03-01"
		far = append(far, tk)
	}
	if err := s.ImportTickets(ctx, far); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, far); err != nil {
		t.Fatal(err)
	}
	want := readColumns(t, s)
	for _, seq := range []int64{1, 2, 3, 4, 5000, 20000} {
		if at(want.days, seq) == 0 || at(want.rows, seq) == 0 || at(want.open, seq) == 0 {
			t.Fatalf("ticket %d not in the columns: day %d, rows %d, OPEN %d", seq, at(want.days, seq), at(want.rows, seq), at(want.open, seq))
		}
	}
	if narrow, wide := store.ColumnBlocks(t, s); narrow != 0 || wide == 0 {
		t.Fatalf("a fresh table has %d narrow and %d wide blocks", narrow, wide)
	}

	store.NarrowColumns(t, s)
	narrow, wide := store.ColumnBlocks(t, s)
	if wide != 0 || narrow < 6 {
		t.Fatalf("narrowed: %d narrow and %d wide blocks", narrow, wide)
	}
	sameColumns(t, "narrow blocks", readColumns(t, s), want)

	// A write now: the wide block knows ticket 2's third version, its
	// narrow block still says two.
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	if _, err := s.ApplySearch(ctx, recordsOf(t, s, ts[1])); err != nil {
		t.Fatal(err)
	}
	want.rows[2] = grievance.HistoryRowsValue(3, 0)
	sameColumns(t, "a wide block beside narrow ones", readColumns(t, s), want)

	// A writer of the code before changes ticket 3's due day between the
	// pass's move of its block and the delete.
	later := grievance.DayOf("2027-01-15")
	changed := false
	store.SetWidenRead(s, func(pk, sk string) {
		if pk == store.DueDaysPK && sk == "000000" && !changed {
			changed = true
			store.SetNarrowNumber(t, s, store.DueDaysPK, 3, later)
		}
	})
	_, wide = store.ColumnBlocks(t, s)
	r, err := s.WidenColumns(ctx, true)
	if err != nil || r.Complete || r.Narrow != narrow {
		t.Fatalf("dry run: %+v %v, want %d narrow blocks", r, err, narrow)
	}
	if n, w := store.ColumnBlocks(t, s); n != narrow || w != wide {
		t.Fatalf("the dry run wrote: %d narrow and %d wide blocks", n, w)
	}
	r, err = s.WidenColumns(ctx, false)
	if err != nil || !r.Complete || r.Moved != narrow {
		t.Fatalf("widen: %+v %v, want %d moved", r, err, narrow)
	}
	if !changed {
		t.Fatal("the due days' first block was never moved")
	}
	want.days[3] = later
	if n, _ := store.ColumnBlocks(t, s); n != 0 {
		t.Errorf("%d narrow blocks left", n)
	}
	sameColumns(t, "widened", readColumns(t, s), want)
	sameColumns(t, "widened, another container", readColumns(t, store.Reopen(s)), want)
	if r, err := s.WidenColumns(ctx, false); err != nil || !r.Complete || r.Requests != 1 || r.Narrow != 0 {
		t.Errorf("second pass: %+v %v, want done in one request", r, err)
	}
}

// Ensure a column read for tickets lo to hi reads only the blocks that
// hold them, gives their numbers as the whole column does, and on a table
// not yet widened reads the whole column (its narrow blocks) instead.
func TestHistoryValueRowsWithin_ReadsOnlyTheBlocksOfItsTickets(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	seqs := []int64{1, 2, 20000, 40000}
	for i, seq := range seqs {
		tk := newTicket(id(i+1), grievance.StatusOpen, "Default")
		tk.Seq, tk.Code = seq, grievance.FormatCode(seq)
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, ts); err != nil {
		t.Fatal(err)
	}
	whole, err := s.HistoryValueRows(ctx, "status", string(grievance.StatusOpen))
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range seqs {
		if at(whole, seq) != 1 {
			t.Fatalf("ticket %d: %d versions OPEN, want 1", seq, at(whole, seq))
		}
	}
	for _, tc := range []struct {
		lo, hi int64
		items  float64
		in     []int64 // tickets given
	}{
		{20000, 20000, 1, []int64{20000}},
		{2, 20000, 2, []int64{1, 2, 20000}},
		{16384, 40000, 2, []int64{20000, 40000}},
		{1, 40000, 3, seqs},
		{50000, 60000, 0, nil},
	} {
		m.Take()
		got, err := s.HistoryValueRowsWithin(ctx, "status", string(grievance.StatusOpen), tc.lo, tc.hi)
		if err != nil {
			t.Fatal(err)
		}
		if read := m.Take().Total("DynamoDB").ItemsRead; read != tc.items {
			t.Errorf("%d to %d: %v items read, want %v", tc.lo, tc.hi, read, tc.items)
		}
		for _, seq := range seqs {
			want := uint16(0)
			if slices.Contains(tc.in, seq) {
				want = at(whole, seq)
			}
			if g := at(got, seq); g != want {
				t.Errorf("%d to %d: ticket %d %d, want %d", tc.lo, tc.hi, seq, g, want)
			}
		}
	}
	if _, err := s.HistoryValueRowsWithin(ctx, "nope", "x", 1, 2); grievance.ErrorCode(err) != grievance.CodeInvalid {
		t.Errorf("an unknown column: %v, want %s", err, grievance.CodeInvalid)
	}

	store.NarrowColumns(t, s)
	got, err := store.Reopen(s).HistoryValueRowsWithin(ctx, "status", string(grievance.StatusOpen), 20000, 20000)
	if err != nil {
		t.Fatal(err)
	}
	if at(got, 20000) != 1 {
		t.Errorf("narrow blocks: ticket 20000 %d versions OPEN, want 1", at(got, 20000))
	}
}

// followThenRefill applies the stream records of s's tickets in
// overlapping batches (each redelivered), imports far (a ticket in a
// later block), and returns s's tickets with far, for a column's test to
// check what the consumer set; refill then takes the index back to
// before the column (drop; complete must say so), runs the backfill's
// text pass from the start and checks again.
func followThenRefill(t *testing.T, s *store.Store, ts []*grievance.Ticket, far *grievance.Ticket,
	complete func(context.Context) (bool, error), drop func(testing.TB, *store.Store)) (all []*grievance.Ticket, refill func(check func(when string))) {
	t.Helper()
	ctx := context.Background()
	recs := ticketRecords(t, s)
	for _, batch := range [][]events.DynamoDBEventRecord{recs[:7], recs[5:], recs} {
		if _, err := s.ApplySearch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ImportTickets(ctx, []*grievance.Ticket{far}); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, []*grievance.Ticket{far}); err != nil {
		t.Fatal(err)
	}
	return append(slices.Clone(ts), far), func(check func(when string)) {
		t.Helper()
		drop(t, s)
		if ok, err := complete(ctx); ok || err != nil {
			t.Fatalf("complete once dropped: %v %v", ok, err)
		}
		if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 5}); err != nil {
			t.Fatal(err)
		}
		check("filled by the text pass")
	}
}
