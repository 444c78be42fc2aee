package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// A table whose tickets entered the index through the backfill's text
// pass (from their live versions: partial past version 1, and a ticket
// deleted before it not at all) has, after the history pass, the history
// rows, counts by value and history postings the stream consumer gives
// the same tickets from their first version (with the counts of texts
// and the postings of the texts a change replaced). A ticket with a version
// missing from the History table stays partial; a ticket the consumer
// changes during the pass stays partial, and the next run does it; a dry
// run writes nothing; a run after finds nothing to do.
func TestCompleteHistory_GivesWhatTheConsumerGives(t *testing.T) {
	a := MustOpen(t) // indexed by the backfill
	b := MustOpen(t) // the same records, indexed by the consumer
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 8; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Priority, tk.ReporterType, tk.ReporterID = "Medium", grievance.PersonIndividual, id(100+i)
		ts = append(ts, mustCreate(t, a, tk))
	}
	for range 2 {
		ts[0] = update(t, a, ts[0], func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress })
	}
	ts[1] = update(t, a, ts[1], func(n *grievance.Ticket) { n.Title, n.ReporterID = "water point broken", id(900) })
	ts[2] = update(t, a, ts[2], func(n *grievance.Ticket) { n.Description = "late payment, March" })
	ts[2] = update(t, a, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	ts[3] = update(t, a, ts[3], func(n *grievance.Ticket) { n.Category = "Payments" })
	ts[4] = update(t, a, ts[4], func(n *grievance.Ticket) { n.Priority, n.AttendingStaffID = "High", id(700) })
	// ts[5] stays at version 1.
	for range 2 {
		ts[6] = update(t, a, ts[6], func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	}
	ts[7] = update(t, a, ts[7], func(n *grievance.Ticket) { n.Title = "school fees" })
	recs := ticketRecords(t, a)
	if _, err := a.RecordHistory(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := b.RecordHistory(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ApplySearch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := a.IndexText(ctx, store.BackfillOptions{PageSize: 3}); err != nil {
		t.Fatal(err)
	}
	store.DeleteTicketVersion(t, a, ts[6].ID, 2) // ticket 7 lost a version

	type snapshot struct {
		rows, open, inProgress, resolved, dflt, payments, medium, high, staff, unchanged []uint16
		titleChanges, titleFirst, descChanges, descFirst                                 []uint16
		// the counts by value before a text's first change
		titleSplit, titleOpen, titleMedium, descSplit, descOpen, descMedium []uint16
	}
	read := func(s *store.Store) snapshot {
		t.Helper()
		col := func(field, value string) []uint16 {
			c, err := s.HistoryValueRows(ctx, field, value)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		rows, err := s.HistoryRows(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return snapshot{rows: rows,
			open: col("status", "OPEN"), inProgress: col("status", "IN_PROGRESS"), resolved: col("status", "RESOLVED"),
			dflt: col("category", "Default"), payments: col("category", "Payments"),
			medium: col("priority", "Medium"), high: col("priority", "High"), staff: col("attending_staff__id", id(700)),
			unchanged:    col("reporter_id", grievance.UnchangedValue),
			titleChanges: col("title", grievance.ChangesValue), titleFirst: col("title", grievance.FirstValue),
			descChanges: col("description", grievance.ChangesValue), descFirst: col("description", grievance.FirstValue),
			titleSplit: col("title", grievance.FirstSplitValue), titleOpen: col(grievance.FirstRowsField("status", "title"), "OPEN"),
			titleMedium: col(grievance.FirstRowsField("priority", "title"), "Medium"),
			descSplit:   col("description", grievance.FirstSplitValue), descOpen: col(grievance.FirstRowsField("status", "description"), "OPEN"),
			descMedium: col(grievance.FirstRowsField("priority", "description"), "Medium")}
	}
	// differ lists the tickets of seqs whose rows or counts differ.
	differ := func(got, want snapshot, seqs ...int64) []int64 {
		var out []int64
		for _, n := range seqs {
			for i, pair := range [][2][]uint16{{got.rows, want.rows}, {got.open, want.open}, {got.inProgress, want.inProgress},
				{got.resolved, want.resolved}, {got.dflt, want.dflt}, {got.payments, want.payments}, {got.medium, want.medium},
				{got.high, want.high}, {got.staff, want.staff}, {got.unchanged, want.unchanged},
				{got.titleChanges, want.titleChanges}, {got.titleFirst, want.titleFirst}, {got.descChanges, want.descChanges}, {got.descFirst, want.descFirst},
				{got.titleSplit, want.titleSplit}, {got.titleOpen, want.titleOpen}, {got.titleMedium, want.titleMedium},
				{got.descSplit, want.descSplit}, {got.descOpen, want.descOpen}, {got.descMedium, want.descMedium}} {
				if at(pair[0], n) != at(pair[1], n) {
					t.Logf("ticket %d column %d: %d, consumer %d", n, i, at(pair[0], n), at(pair[1], n))
					out = append(out, n)
					break
				}
			}
		}
		return out
	}
	// postingsDiffer lists the tickets missing from a history posting of
	// one of their versions, or in one they are not in on b.
	postingsDiffer := func() []int64 {
		var keys []grievance.PostingKey
		for _, r := range recs {
			if ch, err := store.DecodeChange(r); err == nil && ch.Ticket != nil {
				for _, k := range store.HistoryKeysOf(ch.Ticket) {
					// and the postings of the texts a change replaced
					if f, ok := strings.CutPrefix(k.Field, "h:"); ok && slices.Contains(grievance.TextIndexedFields, f) {
						keys = append(keys, grievance.ReplacedKey(grievance.PostingKey{Field: f, Gram: k.Gram}))
					}
					keys = append(keys, k)
				}
			}
		}
		got, err := a.Postings(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		want, err := b.Postings(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		var out []int64
		for _, k := range keys {
			for n := int64(1); n <= 8; n++ {
				if got[k].Has(n) != want[k].Has(n) && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
		}
		return out
	}
	oracle := read(b)
	// Ticket 2's title changed at version 2, ticket 3's description
	// too: their first versions were OPEN and Medium.
	for _, c := range [][]uint16{oracle.titleSplit, oracle.titleOpen, oracle.titleMedium} {
		if at(c, 2) != 1 || at(c, 8) != 1 || at(c, 1) != 0 {
			t.Errorf("the consumer's counts before the title changed: tickets 1, 2, 8 %d, %d, %d; want 0, 1, 1", at(c, 1), at(c, 2), at(c, 8))
		}
	}
	if at(oracle.descOpen, 3) != 1 || at(oracle.descSplit, 3) != 1 || at(oracle.descOpen, 2) != 0 {
		t.Errorf("the consumer's counts before ticket 3's description changed: %d, %d; want 1, 1", at(oracle.descOpen, 3), at(oracle.descSplit, 3))
	}
	all := []int64{1, 2, 3, 4, 5, 6, 8}
	if d := differ(read(a), oracle, all...); len(d) != 6 {
		t.Fatalf("before the pass, tickets %v differ from the consumer's, want the 6 past version 1", d)
	}
	if d := postingsDiffer(); len(d) == 0 {
		t.Fatal("before the pass, every history posting is the consumer's")
	}

	r, err := a.CompleteHistory(ctx, store.BackfillOptions{DryRun: true, PageSize: 4}, nil)
	if err != nil || r.Tickets != 8 || r.Partial != 7 || r.Completed != 6 || r.Incomplete != 1 {
		t.Fatalf("dry run: %+v %v, want 8 tickets, 7 partial, 6 completed, 1 incomplete", r, err)
	}
	if d := differ(read(a), oracle, all...); len(d) != 6 {
		t.Fatalf("the dry run wrote: tickets %v differ", d)
	}

	// The consumer indexes ticket 1's next version during the pass.
	changed := false
	store.SetHistoryComputed(a, func() {
		if changed {
			return
		}
		changed = true
		ts[0] = update(t, a, ts[0], func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
		next := recordsOf(t, a, ts[0])
		for _, s := range []*store.Store{a, b} {
			if _, err := s.RecordHistory(ctx, next); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ApplySearch(ctx, next); err != nil {
				t.Fatal(err)
			}
		}
	})
	r, err = a.CompleteHistory(ctx, store.BackfillOptions{PageSize: 4}, nil)
	if err != nil || r.Completed != 5 || r.Concurrent != 1 || r.Incomplete != 1 || r.Cursor != 8 {
		t.Fatalf("pass: %+v %v, want 5 completed, 1 changed meanwhile, 1 incomplete, cursor 8", r, err)
	}
	oracle = read(b)
	got := read(a)
	if rows := at(got.rows, 1); rows != grievance.HistoryRowsValue(4, grievance.RowsPartial) {
		t.Errorf("ticket 1, changed during the pass: rows %#x, want 4 versions, partial", rows)
	}
	if d := differ(got, oracle, 2, 3, 4, 5, 6, 8); len(d) != 0 {
		t.Errorf("after the pass, tickets %v differ from the consumer's", d)
	}
	if rows := at(got.rows, 7); rows&uint16(grievance.RowsPartial) == 0 {
		t.Errorf("ticket 7, a version missing: rows %#x, want partial", rows)
	}

	store.SetHistoryComputed(a, nil)
	r, err = a.CompleteHistory(ctx, store.BackfillOptions{PageSize: 4}, nil)
	if err != nil || r.Partial != 2 || r.Completed != 1 || r.Incomplete != 1 || r.Concurrent != 0 {
		t.Fatalf("second run: %+v %v, want ticket 1 completed and ticket 7 incomplete", r, err)
	}
	if d := differ(read(a), oracle, all...); len(d) != 0 {
		t.Errorf("after the second run, tickets %v differ from the consumer's", d)
	}
	if d := postingsDiffer(); len(d) != 0 {
		t.Errorf("after the pass, tickets %v differ from the consumer's history postings", d)
	}
	r, err = a.CompleteHistory(ctx, store.BackfillOptions{}, nil)
	if err != nil || r.Partial != 1 || r.Completed != 0 {
		t.Errorf("third run: %+v %v, want only ticket 7 found", r, err)
	}
}

// On a table indexed before the counts of each text's changes, a ticket
// whose title changed has none (0: judged), nor does its next version
// give them (the consumer cannot know its earlier texts); the history
// pass counts them from its versions, with the postings of the title it
// replaced, and leaves a ticket whose texts never changed as it was.
func TestCompleteHistory_CountsTheTextChangesOfAnUpgradedTable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	a := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	b := mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, "Default"))
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress })
	a = update(t, s, a, func(n *grievance.Ticket) { n.Title = "water point broken" })
	update(t, s, b, func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress })
	consume := func() { t.Helper(); consumeTickets(t, s) }
	consume()
	old := grievance.ReplacedKey(grievance.PostingKey{Field: "title", Gram: "t 0"})
	// split checks a ticket's counts by status before its title changed
	// (OPEN, then IN_PROGRESS), with the versions before it: 0, unknown.
	split := func(when string, seq int64, first uint16) {
		t.Helper()
		var got [3]uint16
		for i, fv := range [][2]string{{"title", grievance.FirstSplitValue}, {grievance.FirstRowsField("status", "title"), "OPEN"}, {grievance.FirstRowsField("status", "title"), "IN_PROGRESS"}} {
			c, err := s.HistoryValueRows(ctx, fv[0], fv[1])
			if err != nil {
				t.Fatal(err)
			}
			got[i] = at(c, seq)
		}
		if want := [3]uint16{first, min(first, 1), min(first, 1)}; got != want {
			t.Errorf("%s: ticket %d's versions before its title changed, OPEN and IN_PROGRESS among them: %v, want %v", when, seq, got, want)
		}
	}
	counts := func(when string, changes, first uint16, replaced bool) {
		t.Helper()
		c, err := s.HistoryValueRows(ctx, "title", grievance.ChangesValue)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.HistoryValueRows(ctx, "title", grievance.FirstValue)
		if err != nil {
			t.Fatal(err)
		}
		post, err := s.Postings(ctx, []grievance.PostingKey{old})
		if err != nil {
			t.Fatal(err)
		}
		if at(c, 1) != changes || at(f, 1) != first || post[old].Has(1) != replaced {
			t.Errorf("%s: ticket 1's title changed %d times after %d versions, replaced posting %v; want %d, %d, %v",
				when, at(c, 1), at(f, 1), post[old].Has(1), changes, first, replaced)
		}
		if at(c, 2) != 0 || at(f, 2) != 0 || post[old].Has(2) {
			t.Errorf("%s: ticket 2, never retitled, has counts %d, %d or a replaced title", when, at(c, 2), at(f, 2))
		}
	}
	counts("from the stream", 1, 2, true)
	split("from the stream", 1, 2)
	split("from the stream", 2, 0)
	store.ForgetTextCounts(t, s)
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	consume()
	counts("upgraded, a version later", 0, 0, false)
	split("upgraded, a version later", 1, 0)
	r, err := s.CompleteHistory(ctx, store.BackfillOptions{PageSize: 4}, nil)
	if err != nil || r.Completed != 2 {
		t.Fatalf("history pass: %+v %v, want both tickets counted", r, err)
	}
	counts("after the history pass", 1, 2, true)
	split("after the history pass", 1, 2)
	split("after the history pass", 2, 0)

	// A table with the counts of texts but not those by value before
	// them: the text counts stay, the split ones stay unknown with the
	// next version, and the history pass counts them; a ticket never
	// retitled needs no pass, and its first change counts them.
	store.ForgetSplitCounts(t, s)
	update(t, s, a, func(n *grievance.Ticket) { n.Status = grievance.StatusClosed })
	consume()
	counts("without the split counts, a version later", 1, 2, true)
	split("without the split counts, a version later", 1, 0)
	if r, err = s.CompleteHistory(ctx, store.BackfillOptions{PageSize: 4}, nil); err != nil || r.Partial != 1 || r.Completed != 1 {
		t.Fatalf("history pass: %+v %v, want ticket 1 counted, not ticket 2", r, err)
	}
	split("after the second history pass", 1, 2)
	store.ForgetSplitCounts(t, s)
	b, err = s.Ticket(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	update(t, s, b, func(n *grievance.Ticket) { n.Title = "school fees" })
	consume()
	split("ticket 2 retitled, without the split counts", 2, 2)
	rows, err := s.HistoryRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := grievance.HistoryRowsValue(5, grievance.TextChanged("title")); at(rows, 1) != want {
		t.Errorf("ticket 1's rows %#x after the pass, want %#x", at(rows, 1), want)
	}
}

// The pairs follow the stream: per ticket, the versions a staff member
// attended by status, the versions in a status by category, in a
// category by priority, in a status and category by priority, and how
// many versions the pairs counted. On a table indexed before them a
// ticket's pairs stay unknown (0: judged) with its next version, and the
// history pass counts them from its versions.
func TestCompleteHistory_CountsThePairsOfAnUpgradedTable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	officer := id(900)
	a := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status, n.AttendingStaffID = grievance.StatusInProgress, officer })
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status, n.Priority = grievance.StatusOpen, "High" })
	consume := func() { t.Helper(); consumeTickets(t, s) }
	consume()
	pairs := func(when string, counted, open, inProgress, openDefault, defaultHigh, openDefaultHigh uint16) {
		t.Helper()
		var got [6]uint16
		for i, fv := range [][2]string{{"attending_staff__id", grievance.PairsValue}, {grievance.StaffPairField("status", officer), "OPEN"}, {grievance.StaffPairField("status", officer), "IN_PROGRESS"},
			{grievance.StatusPairField("category", grievance.StatusOpen), "Default"}, {grievance.CategoryPairField("priority", "Default"), "High"}, {grievance.TripleField(grievance.StatusOpen, "Default"), "High"}} {
			c, err := s.HistoryValueRows(ctx, fv[0], fv[1])
			if err != nil {
				t.Fatal(err)
			}
			got[i] = at(c, 1)
		}
		if want := [6]uint16{counted, open, inProgress, openDefault, defaultHigh, openDefaultHigh}; got != want {
			t.Errorf("%s: ticket 1's versions counted by its pairs, attended OPEN and IN_PROGRESS, OPEN in Default, High in Default, High OPEN in Default: %v, want %v", when, got, want)
		}
	}
	pairs("from the stream", 3, 1, 1, 2, 1, 1)
	store.ForgetPairs(t, s)
	update(t, s, a, func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	consume()
	pairs("upgraded, a version later", 0, 0, 0, 0, 0, 0)
	r, err := s.CompleteHistory(ctx, store.BackfillOptions{}, nil)
	if err != nil || r.Completed != 1 {
		t.Fatalf("history pass: %+v %v, want the ticket counted", r, err)
	}
	pairs("after the history pass", 4, 1, 1, 2, 2, 1)
	if r, err = s.CompleteHistory(ctx, store.BackfillOptions{}, nil); err != nil || r.Completed != 0 {
		t.Errorf("second pass: %+v %v, want nothing left", r, err)
	}
}

// A table indexed before the filed postings gains them from the history
// pass, for its tickets already indexed exactly too: each ticket is in
// the postings of its first version's values, not of a later one's.
func TestCompleteHistory_FilesTheTicketsOfAnUpgradedTable(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	a := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	update(t, s, a, func(n *grievance.Ticket) { n.Status, n.Category = grievance.StatusInProgress, "Payments" })
	mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, "Payments"))
	consumeTickets(t, s)
	filed := func(field, v string) grievance.PostingKey { return grievance.FiledKey(grievance.ValueKey(field, v)) }
	keys := []grievance.PostingKey{filed("status", "OPEN"), filed("status", "IN_PROGRESS"), filed("category", "Default"), filed("category", "Payments")}
	postings := func(when string, want ...[]int64) {
		t.Helper()
		post, err := s.Postings(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for i, k := range keys {
			if got := members(post[k]); !slices.Equal(got, want[i]) {
				t.Errorf("%s: posting %s/%q = %v, want %v", when, k.Field, k.Gram, got, want[i])
			}
		}
	}
	complete := func(when string, want bool) {
		t.Helper()
		if ok, err := s.FiledPostingsComplete(ctx); ok != want || err != nil {
			t.Errorf("%s: filed postings complete %v (%v), want %v", when, ok, err, want)
		}
	}
	postings("from the stream", []int64{1, 2}, nil, []int64{1}, []int64{2})
	complete("from the stream", true)
	store.ForgetFiled(t, s)
	postings("upgraded", nil, nil, nil, nil)
	complete("upgraded", false)
	// A pass resumed after ticket 1 files ticket 2 alone: not every ticket.
	if _, err := s.CompleteHistory(ctx, store.BackfillOptions{After: 1}, nil); err != nil {
		t.Fatal(err)
	}
	postings("after a resumed pass", []int64{2}, nil, nil, []int64{2})
	complete("after a resumed pass", false)
	if _, err := s.CompleteHistory(ctx, store.BackfillOptions{DryRun: true}, nil); err != nil {
		t.Fatal(err)
	}
	complete("after a dry pass", false)
	if _, err := s.CompleteHistory(ctx, store.BackfillOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	postings("after the history pass", []int64{1, 2}, nil, []int64{1}, []int64{2})
	complete("after the history pass", true)
}

// consumeTickets gives s's main-table stream records to the history and
// search consumers, as the history function does.
func consumeTickets(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	recs := ticketRecords(t, s)
	if _, err := s.RecordHistory(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySearch(ctx, recs); err != nil {
		t.Fatal(err)
	}
}

// A table whose pairs session 25's consumer counted (the staff's and the
// status's, under the older marker) never counts a ticket from pairs it
// lacks: past version 1 the ticket's pairs say unknown (0: judged) with
// its next version, until the history pass counts them; at version 1
// they are counted again from the version itself, exactly.
func TestCompleteHistory_CountsThePairsOfATableCountedBySession25(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	officer := id(901)
	a := newTicket(id(1), grievance.StatusOpen, "Default")
	a.Priority = "Medium"
	a = mustCreate(t, s, a)
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status, n.AttendingStaffID = grievance.StatusInProgress, officer })
	a = update(t, s, a, func(n *grievance.Ticket) { n.Status, n.Priority = grievance.StatusOpen, "High" })
	b := newTicket(id(2), grievance.StatusOpen, "Default")
	b.Priority = "Medium"
	b = mustCreate(t, s, b)
	consumeTickets(t, s)
	store.PairsOfSession25(t, s)
	update(t, s, a, func(n *grievance.Ticket) { n.Status = grievance.StatusResolved })
	update(t, s, b, func(n *grievance.Ticket) { n.Category, n.Priority = "Payments", "High" })
	consumeTickets(t, s)

	type col struct{ field, value string }
	cols := []col{{"attending_staff__id", grievance.PairsValue}, {grievance.StaffPairField("status", officer), "OPEN"},
		{grievance.CategoryPairField("priority", "Default"), "High"}, {grievance.CategoryPairField("priority", "Default"), "Medium"},
		{grievance.CategoryPairField("priority", "Payments"), "High"}, {grievance.TripleField(grievance.StatusOpen, "Default"), "High"},
		{grievance.TripleField(grievance.StatusOpen, "Payments"), "High"}}
	check := func(when string, seq int64, want ...uint16) {
		t.Helper()
		var got []uint16
		for _, c := range cols {
			rows, err := s.HistoryValueRows(ctx, c.field, c.value)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, at(rows, seq))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: ticket %d's versions counted by its pairs, attended OPEN, High and Medium in Default, High in Payments, High OPEN in Default and in Payments: %v, want %v", when, seq, got, want)
		}
	}
	// Ticket 1 (4 versions) vouches for no pair (its staff's column
	// keeps what session 25 wrote, untrusted); ticket 2 is counted from
	// its version 1 again.
	check("a version after session 25, past version 1", 1, 0, 1, 0, 0, 0, 0, 0)
	check("a version after session 25, from version 1", 2, 2, 0, 0, 1, 1, 0, 1)
	r, err := s.CompleteHistory(ctx, store.BackfillOptions{}, nil)
	if err != nil || r.Completed != 1 {
		t.Fatalf("history pass: %+v %v, want ticket 1 counted", r, err)
	}
	check("after the history pass", 1, 4, 1, 2, 2, 0, 1, 0)
	check("after the history pass", 2, 2, 0, 0, 1, 1, 0, 1)
}
