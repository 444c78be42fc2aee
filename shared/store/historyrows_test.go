package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// The history rows follow real stream records: every ticket's version,
// with the flags of the texts that changed across its versions, and its
// versions per status, through redelivered and overlapping batches; a
// ticket whose first version was never indexed is partial for good; an
// import is partial until its earlier versions are imported; a ticket
// whose reference is from before the counts by value turns partial with
// its next version; and the backfill's text pass fills dropped columns,
// as partial past version 1.
func TestHistoryRows_FollowTheStream(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 7; i++ {
		ts = append(ts, mustCreate(t, s, newTicket(id(i), grievance.StatusOpen, "Default")))
	}
	title, desc := grievance.TextChanged("title"), grievance.TextChanged("description")
	want := map[int64]uint16{}
	open, inProgress, resolved := grievance.StatusOpen, grievance.StatusInProgress, grievance.StatusResolved
	byStatus := map[int64]map[grievance.Status]uint16{
		1: {open: 1, inProgress: 3}, 2: {open: 2}, 3: {open: 3}, 4: {open: 2}, 5: {open: 1},
	}
	for range 3 { // statuses only
		ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress })
	}
	want[1] = grievance.HistoryRowsValue(4, 0)
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) {
		n.Title = "water point broken"
		n.ReporterType, n.ReporterID = grievance.PersonIndividual, id(900) // reported by someone at last
	})
	want[2] = grievance.HistoryRowsValue(2, title)
	// The versions that kept the reporter of the version before: every
	// one but ticket 2's second; unknown (0) where a reference never
	// counted them.
	unchanged := map[int64]uint16{1: 4, 2: 1, 3: 3, 4: 2, 5: 1}
	// Per text (title, description): the versions that changed it, and
	// the versions before the first change; ticket 3's description
	// changed and back is two changes, and its FirstValue and
	// FirstSplitValue say the two versions before the last of them.
	texts := map[int64][4]uint16{1: {}, 2: {1, 1, 0, 0}, 3: {0, 0, 2, 1}, 4: {}, 5: {}}
	lastChange, _ := grievance.LastChange(2, 2)
	firstValues := map[int64][2]uint16{3: {0, lastChange}}
	// Per text, the OPEN versions before its (last) change.
	firstOpen := map[int64][2]uint16{2: {1, 0}, 3: {0, 2}}
	old := ts[2].Description
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.Description = "late payment" })
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.Description = old }) // and back
	want[3] = grievance.HistoryRowsValue(3, desc)
	ts[3] = update(t, s, ts[3], func(n *grievance.Ticket) { n.IsDeleted = true })
	want[4] = grievance.HistoryRowsValue(2, 0)
	want[5] = grievance.HistoryRowsValue(1, 0)
	ts[5] = update(t, s, ts[5], func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	want[6] = grievance.HistoryRowsValue(2, grievance.RowsPartial) // its version 1 is never indexed first
	// Long category names, many of them: its reference would grow.
	for i := range 12 {
		ts[6] = update(t, s, ts[6], func(n *grievance.Ticket) { n.Category = fmt.Sprintf("%0200d", i) })
	}
	want[7] = grievance.HistoryRowsValue(13, grievance.RowsPartial)

	recs := ticketRecords(t, s)
	var missing []events.DynamoDBEventRecord // ticket 6's first version left out
	for _, r := range recs {
		if ch, err := store.DecodeChange(r); err == nil && ch.EntityID() == ts[5].ID && ch.Version() == 1 {
			continue
		}
		missing = append(missing, r)
	}
	half := len(missing) / 2
	for _, batch := range [][]events.DynamoDBEventRecord{missing[:half], missing[half-2:], recs, recs[:3]} {
		if _, err := s.ApplySearch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}

	// An import at version 3: partial, then exact once its versions 1 and
	// 2 are imported (they had another title).
	far := newTicket(id(50), grievance.StatusOpen, "Default")
	far.Seq, far.Code, far.Version = 5000, grievance.FormatCode(5000), 3
	if err := s.ImportTickets(ctx, []*grievance.Ticket{far}); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, []*grievance.Ticket{far}); err != nil {
		t.Fatal(err)
	}
	want[5000] = grievance.HistoryRowsValue(3, grievance.RowsPartial)
	check := func(when string) {
		t.Helper()
		col, err := s.HistoryRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq, w := range want {
			if got := col[seq]; got != w {
				t.Errorf("%s: ticket %d rows %#x, want %#x", when, seq, got, w)
			}
		}
		for _, st := range []grievance.Status{open, inProgress, resolved} {
			col, err := s.HistoryValueRows(ctx, "status", string(st))
			if err != nil {
				t.Fatal(err)
			}
			for seq, w := range byStatus {
				rows, ok := want[seq]
				if _, flags := historyRowsOf(rows); ok && flags&grievance.RowsPartial == 0 && at(col, seq) != w[st] {
					t.Errorf("%s: ticket %d has %d versions %s, want %d", when, seq, at(col, seq), st, w[st])
				}
			}
		}
		// Every version is in the category Default.
		col, err = s.HistoryValueRows(ctx, "category", "Default")
		if err != nil {
			t.Fatal(err)
		}
		for seq, rows := range want {
			if n, flags := historyRowsOf(rows); flags&grievance.RowsPartial == 0 && int(at(col, seq)) != n {
				t.Errorf("%s: ticket %d has %d versions in Default, want %d", when, seq, at(col, seq), n)
			}
		}
		col, err = s.HistoryValueRows(ctx, "reporter_id", grievance.UnchangedValue)
		if err != nil {
			t.Fatal(err)
		}
		for seq, w := range unchanged {
			if at(col, seq) != w {
				t.Errorf("%s: ticket %d has %d versions that kept the reporter, want %d", when, seq, at(col, seq), w)
			}
		}
		if ok, err := s.HistoryRowsComplete(ctx); !ok || err != nil {
			t.Errorf("%s: history rows complete %v %v", when, ok, err)
		}
		var cols [4][]uint16
		for i, fv := range [][2]string{{"title", grievance.ChangesValue}, {"title", grievance.FirstValue}, {"description", grievance.ChangesValue}, {"description", grievance.FirstValue}} {
			if cols[i], err = s.HistoryValueRows(ctx, fv[0], fv[1]); err != nil {
				t.Fatal(err)
			}
		}
		for seq, w := range texts {
			if rows, ok := want[seq]; !ok || historyRowsFlags(rows)&grievance.RowsPartial != 0 {
				continue // unknown
			}
			if f, ok := firstValues[seq]; ok {
				w[1], w[3] = f[0], f[1]
			}
			if got := [4]uint16{at(cols[0], seq), at(cols[1], seq), at(cols[2], seq), at(cols[3], seq)}; got != w {
				t.Errorf("%s: ticket %d's counts of texts (title changes, FirstValue; description changes, FirstValue) %v, want %v", when, seq, got, w)
			}
		}
		for i, text := range []string{"title", "description"} {
			split, err := s.HistoryValueRows(ctx, text, grievance.FirstSplitValue)
			if err != nil {
				t.Fatal(err)
			}
			open, err := s.HistoryValueRows(ctx, grievance.FirstRowsField("status", text), string(open))
			if err != nil {
				t.Fatal(err)
			}
			for seq, w := range texts {
				if rows, ok := want[seq]; !ok || historyRowsFlags(rows)&grievance.RowsPartial != 0 {
					continue
				}
				before := w[2*i+1]
				if f, ok := firstValues[seq]; ok {
					before = f[i]
				}
				if at(split, seq) != before || at(open, seq) != firstOpen[seq][i] {
					t.Errorf("%s: ticket %d's %s: FirstSplitValue %d, %d OPEN versions before the change; want %d, %d", when, seq, text, at(split, seq), at(open, seq), before, firstOpen[seq][i])
				}
			}
		}
	}
	// replaced checks which tickets the postings of replaced texts hold.
	replaced := func(when string, want map[grievance.PostingKey][]int64) {
		t.Helper()
		var keys []grievance.PostingKey
		for k := range want {
			keys = append(keys, grievance.ReplacedKey(k))
		}
		post, err := s.Postings(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for k, seqs := range want {
			got := post[grievance.ReplacedKey(k)]
			if got.Len() != len(seqs) {
				t.Errorf("%s: %d tickets replaced a text holding %v, want %v", when, got.Len(), k, seqs)
			}
			for _, n := range seqs {
				if !got.Has(n) {
					t.Errorf("%s: ticket %d not among those that replaced a text holding %v", when, n, k)
				}
			}
		}
	}
	check("followed from the stream")
	// Every title starts "t 0": only ticket 2 replaced one; ticket 3
	// replaced "late payment" and went back.
	replaced("followed from the stream", map[grievance.PostingKey][]int64{
		{Field: "title", Gram: "t 0"}: {2}, {Field: "title", Gram: "wat"}: nil,
		{Field: "description", Gram: "lat"}: {3}, {Field: "title", Gram: "fir"}: nil,
	})

	v1, v2 := far.Clone(), far.Clone()
	v1.Version, v1.Title = 1, "first title"
	v2.Version, v2.Status, v2.Title = 2, inProgress, v1.Title // retitled at version 3
	if err := s.ImportHistory(ctx, []*grievance.Ticket{v2, v1}); err != nil {
		t.Fatal(err)
	}
	want[5000] = grievance.HistoryRowsValue(3, title)
	byStatus[5000] = map[grievance.Status]uint16{open: 2, inProgress: 1}
	unchanged[5000] = 3
	texts[5000] = [4]uint16{1, 2, 0, 0}
	firstOpen[5000] = [2]uint16{1, 0} // OPEN, then IN_PROGRESS
	check("earlier versions imported")
	replaced("earlier versions imported", map[grievance.PostingKey][]int64{{Field: "title", Gram: "fir"}: {5000}})

	// The import's reference carries the counts on: its next version
	// from the stream counts.
	update(t, s, far, func(n *grievance.Ticket) { n.Status = resolved })
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	want[5000] = grievance.HistoryRowsValue(4, title)
	byStatus[5000][resolved] = 1
	unchanged[5000] = 4
	check("an imported ticket changed")

	// References from before the count of versions that kept the
	// reporter (an upgraded table: no such column either): a ticket's
	// next version leaves it unknown, its rows exact; the text pass
	// counts a ticket still at version 1.
	store.ForgetUnchangedRows(t, s)
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.Status = resolved })
	if _, err := s.ApplySearch(ctx, recordsOf(t, s, ts[0])); err != nil {
		t.Fatal(err)
	}
	want[1] = grievance.HistoryRowsValue(5, 0)
	byStatus[1][resolved] = 1
	for seq := range unchanged {
		unchanged[seq] = 0
	}
	check("references from before the count")
	if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 4}); err != nil {
		t.Fatal(err)
	}
	unchanged[5] = 1
	check("references from before the count, after the text pass")

	// References from before the counts by value: the ticket's next
	// version makes it partial (its counts are unknown).
	store.ForgetValueRows(t, s)
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.Status = resolved })
	if _, err := s.ApplySearch(ctx, recordsOf(t, s, ts[2])); err != nil {
		t.Fatal(err)
	}
	want[3] = grievance.HistoryRowsValue(4, desc|grievance.RowsPartial)
	check("a reference from before the counts")

	store.DropHistoryRows(t, s)
	if ok, err := s.HistoryRowsComplete(ctx); ok || err != nil {
		t.Fatalf("history rows complete once dropped: %v %v", ok, err)
	}
	if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 4}); err != nil {
		t.Fatal(err)
	}
	for seq, w := range want {
		if n, _ := historyRowsOf(w); n > 1 {
			want[seq] = grievance.HistoryRowsValue(n, grievance.RowsPartial)
		}
	}
	delete(want, 4)                  // deleted: not in the live list the text pass reads
	check("filled by the text pass") // ticket 5's count derived from its reference at version 1
}

// recordsOf returns the stream records of t's version.
func recordsOf(tb *testing.T, s *store.Store, t *grievance.Ticket) []events.DynamoDBEventRecord {
	tb.Helper()
	var out []events.DynamoDBEventRecord
	for _, r := range ticketRecords(tb, s) {
		if ch, err := store.DecodeChange(r); err == nil && ch.EntityID() == t.ID && ch.Version() == t.Version {
			out = append(out, r)
		}
	}
	return out
}

func at(col []uint16, seq int64) uint16 {
	if seq < int64(len(col)) {
		return col[seq]
	}
	return 0
}

func historyRowsOf(v uint16) (int, grievance.RowFlags) {
	return int(v >> 3), grievance.RowFlags(v & 7)
}

func historyRowsFlags(v uint16) grievance.RowFlags {
	_, flags := historyRowsOf(v)
	return flags
}
