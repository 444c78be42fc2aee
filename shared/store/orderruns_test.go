package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// checkRuns fails unless field's runs hold every live ticket of ts once,
// in the column's order: the first run starts at the column's start,
// each later one above the one before, every ticket's gram within its
// run, a run of several values ranked in their order (checkRanks), a run
// larger than runMembers only when its tickets share one value, and a
// group run's members exactly its group's live tickets. It
// returns how many group runs list no members (kept as a set).
func checkRuns(t *testing.T, s *store.Store, field string, ts []*grievance.Ticket, runMembers int) int {
	t.Helper()
	runs, err := s.OrderRuns(context.Background(), field)
	if err != nil {
		t.Fatal(err)
	}
	gram := map[int64]string{}
	var live []int64
	for _, tk := range ts {
		if !tk.IsDeleted {
			gram[tk.Seq] = grievance.OrderKey(field, grievance.SortValue(tk, field)).Gram
			live = append(live, tk.Seq)
		}
	}
	if len(runs) == 0 || runs[0].From != "" {
		t.Fatalf("%s runs %v: want the first to start at the column's start", field, runs)
	}
	var held []int64
	groups := 0
	for i, r := range runs {
		hi := "\xff"
		if i+1 < len(runs) {
			hi = runs[i+1].From
		}
		if r.From >= hi {
			t.Errorf("%s run %d starts at %q, not below the next one (%q)", field, i, r.From, hi)
		}
		seqs := r.Seqs
		if r.Group != "" && r.Group != r.From {
			t.Errorf("%s group run %d starts at %.16s, not at its group %.16s", field, i, r.From, r.Group)
		}
		if r.Members != nil {
			groups++
			if len(r.Seqs) > 0 || r.Group < r.From || r.Group >= hi {
				t.Errorf("%s group run %d [%.16s, %.16s) of group %.16s lists %d tickets", field, i, r.From, hi, r.Group, len(r.Seqs))
			}
			r.Members.Range(0, r.Members.Max(), false, func(n int64) bool { seqs = append(seqs, n); return true })
		}
		grams := map[string]bool{}
		for _, n := range seqs {
			g, ok := gram[n]
			if !ok || g < r.From || g >= hi || r.Group != "" && g != r.Group {
				t.Errorf("%s run %d [%.16s, %.16s) holds ticket %d (%.16s, live %v)", field, i, r.From, hi, n, g, ok)
			}
			grams[g] = true
		}
		if r.Group == "" && len(grams) > 1 {
			checkRanks(t, field, i, r, gram)
		}
		if len(seqs) > runMembers && len(grams) > 1 {
			t.Errorf("%s run %d holds %d tickets of %d values, more than %d", field, i, len(seqs), len(grams), runMembers)
		}
		held = append(held, seqs...)
	}
	slices.Sort(held)
	slices.Sort(live)
	if !slices.Equal(held, live) {
		t.Errorf("%s runs hold %v, want the live tickets %v", field, held, live)
	}
	return groups
}

// Ensure the runs of titles and reporters follow real stream records —
// creates, titles and reporters changed, deletions — applied by two
// consumers at once (tickets of two shards, so spans are raced for), then
// redelivered: runs grown past their size are cut again, spans split
// when they outgrow their size, and a run emptied merges into the one
// before. A group of more tickets than a run lists (the anonymous
// complaints; a reporter or title shared by many) is a run alone whose
// members lists read from the group's postings, the same whether the
// container knew the group's range or not; a value that sorts next to it
// gets a run of its own. A fresh table says its runs are complete; one
// whose runs were dropped is made whole again by the backfill's text pass
// from the start.
// checkRanks fails unless run i's ranks order its members as their grams
// do: a lower rank for a lower gram, one rank for one gram.
func checkRanks(t *testing.T, field string, i int, r grievance.OrderRun, gram map[int64]string) {
	t.Helper()
	if len(r.Ranks) != len(r.Seqs) {
		t.Errorf("%s run %d of several values: %d ranks for %d tickets", field, i, len(r.Ranks), len(r.Seqs))
		return
	}
	for j, a := range r.Seqs {
		for k, b := range r.Seqs {
			if (gram[a] < gram[b]) != (r.Ranks[j] < r.Ranks[k]) || (gram[a] == gram[b]) != (r.Ranks[j] == r.Ranks[k]) {
				t.Errorf("%s run %d: ticket %d (%.16s) ranked %d, ticket %d (%.16s) ranked %d", field, i, a, gram[a], r.Ranks[j], b, gram[b], r.Ranks[k])
				return
			}
		}
	}
}

func TestOrderRuns_FollowTheStreamCutAndSplit(t *testing.T) {
	for _, stored := range []int{8192, 5} {
		t.Run(fmt.Sprintf("stored=%d", stored), func(t *testing.T) { orderRunsFollowTheStream(t, stored) })
	}
}

func orderRunsFollowTheStream(t *testing.T, stored int) {
	defer store.SetRunSizes(4, 3, 3, 1<<10, stored, 100)()
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 60; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Title = fmt.Sprintf("Payment not received (%d)", i)
		switch {
		case i%10 == 0:
			tk.Title = "Same title" // a group of six: a run alone
		case i == 7:
			tk.Title = ""
		}
		// A third anonymous, a third by one individual, a third each by
		// their own.
		switch i % 3 {
		case 1:
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, id(9001)
		case 2:
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, id(5000+i)
		}
		// Half unattended, a quarter attended by one officer, a quarter
		// each by their own.
		switch i % 4 {
		case 1:
			tk.AttendingStaffID = id(8001)
		case 3:
			tk.AttendingStaffID = id(8100 + i)
		}
		ts = append(ts, mustCreate(t, s, tk))
	}
	for i := 1; i < 60; i += 7 {
		ts[i] = update(t, s, ts[i], func(n *grievance.Ticket) {
			n.Title = fmt.Sprintf("Moved (%d)", i)
			if i%2 == 1 {
				n.ReporterType, n.ReporterID = grievance.PersonIndividual, id(7000+i)
			}
			// Reassigned: to the shared officer, to one of their own,
			// unattended.
			n.AttendingStaffID = []string{id(8001), id(8200 + i), ""}[i%3]
		})
	}
	for i := 2; i < 60; i += 11 {
		ts[i] = update(t, s, ts[i], func(n *grievance.Ticket) { n.IsDeleted = true })
	}
	// Every ticket between 40 and 50 (Payment not received (4x)) is
	// deleted: their runs empty.
	for i := 39; i < 49; i++ {
		if !ts[i].IsDeleted {
			ts[i] = update(t, s, ts[i], func(n *grievance.Ticket) { n.IsDeleted = true })
		}
	}
	recs := ticketRecords(t, s)
	var shards [2][]events.DynamoDBEventRecord
	for _, r := range recs {
		ch, err := store.DecodeChange(r)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscanf(ch.EntityID()[len(ch.EntityID())-4:], "%d", &n)
		shards[n%2] = append(shards[n%2], r)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, shard := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := 0; start < len(shard); start += 9 {
				if _, err := s.ApplySearch(ctx, shard[start:min(start+9, len(shard))]); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ApplySearch(ctx, recs); err != nil { // redelivered
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		groups := checkRuns(t, s, "title", ts, 4)
		// Twice: the second list reads the group runs' ranges beside the
		// spans, as a warm container does.
		groups += checkRuns(t, s, "reporter_id", ts, 4)
		groups += checkRuns(t, s, "reporter_id", ts, 4)
		if stored < 8192 && groups < 3 {
			t.Errorf("%s: %d group runs; want the title shared by six and the reporter's and anonymous complaints'", when, groups)
		}
		staffGroups := checkRuns(t, s, "attending_staff", ts, 4)
		staffGroups += checkRuns(t, s, "attending_staff", ts, 4)
		if stored < 8192 && staffGroups < 2 {
			t.Errorf("%s: %d staff group runs; want the unattended and the shared officer's", when, staffGroups)
		}
		groups += staffGroups
		if stored == 8192 && groups > 0 {
			t.Errorf("%s: %d group runs of groups of at most 20 tickets", when, groups)
		}
	}
	check("followed the stream")
	if n := store.OrderRunSpans(t, s, "title"); n < 3 {
		t.Errorf("runs kept in %d spans: want them split (3 runs a span)", n)
	}
	for _, f := range grievance.OrderRunFields {
		if ok, err := s.OrderRunsComplete(ctx, f); !ok || err != nil {
			t.Errorf("%s runs complete on a fresh table: %v %v", f, ok, err)
		}
	}

	store.DropOrderRuns(t, s)
	for _, f := range grievance.OrderRunFields {
		if ok, err := s.OrderRunsComplete(ctx, f); ok || err != nil {
			t.Fatalf("%s runs complete once dropped: %v %v", f, ok, err)
		}
	}
	// The pass's first run is cut from the whole column: more spans than
	// a transaction (lowered to 2) takes.
	restore := store.SetRunSizes(4, 3, 3, 1<<10, stored, 2)
	if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 7}); err != nil {
		t.Fatal(err)
	}
	restore()
	check("after the text pass")
	for _, f := range grievance.OrderRunFields {
		if ok, err := s.OrderRunsComplete(ctx, f); !ok || err != nil {
			t.Errorf("%s runs complete after the text pass: %v %v", f, ok, err)
		}
	}

	// A ticket of the shared title, and reporters sorting just after the
	// anonymous complaints and the shared reporter (inside a group run's
	// range when it is one); then an anonymous one and the shared
	// reporter's, which change no span when their groups are group runs.
	for i, rep := range []string{"", id(1), id(9002), "", id(9001)} {
		tk := newTicket(id(61+i), grievance.StatusOpen, "Default")
		tk.Title = "Same title"
		if rep != "" {
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, rep
		}
		// Officers sorting just after the unattended and the shared one,
		// then one of each.
		tk.AttendingStaffID = []string{id(1), id(8002), "", id(8001), id(8003)}[i]
		ts = append(ts, mustCreate(t, s, tk))
		if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("after ticket %d", 61+i))
	}
}

// Ensure a table whose order runs are narrow spans (the code before)
// lists by walking the groups until the backfill's widening pass, that
// the consumer meanwhile writes wide spans only, and that the pass cuts
// every ticket into the wide spans from the order postings, deletes the
// narrow spans and then says the runs are complete.
func TestOrderRuns_WidenedFromThePostings(t *testing.T) {
	defer store.SetRunSizes(4, 3, 3, 1<<10, 8192, 100)()
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 30; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Title = fmt.Sprintf("Payment not received (%d)", i)
		ts = append(ts, mustCreate(t, s, tk))
	}
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	checkRuns(t, s, "title", ts, 4)

	store.NarrowColumns(t, s)
	narrow := store.NarrowSpans(t, s)
	if n := store.OrderRunSpans(t, s, "title"); n != 0 || narrow < 3 {
		t.Fatalf("narrowed: %d wide and %d narrow spans", n, narrow)
	}
	if ok, err := s.OrderRunsComplete(ctx, "title"); ok || err != nil {
		t.Fatalf("runs complete with narrow spans: %v %v", ok, err)
	}
	// The consumer goes on: a title changed, a ticket deleted, a new one.
	ts[4] = update(t, s, ts[4], func(n *grievance.Ticket) { n.Title = "Moved" })
	ts[9] = update(t, s, ts[9], func(n *grievance.Ticket) { n.IsDeleted = true })
	tk := newTicket(id(31), grievance.StatusOpen, "Default")
	tk.Title = "Payment not received (31)"
	ts = append(ts, mustCreate(t, s, tk))
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	if store.NarrowSpans(t, s) != narrow || store.OrderRunSpans(t, s, "title") == 0 {
		t.Fatalf("the consumer wrote %d narrow spans (was %d) and %d wide", store.NarrowSpans(t, s), narrow, store.OrderRunSpans(t, s, "title"))
	}

	r, err := s.WidenColumns(ctx, true)
	if err != nil || r.Complete || r.Spans != narrow {
		t.Fatalf("dry run: %+v %v, want %d narrow spans", r, err, narrow)
	}
	if store.NarrowSpans(t, s) != narrow {
		t.Fatal("the dry run deleted narrow spans")
	}
	if r, err = s.WidenColumns(ctx, false); err != nil || !r.Complete || r.Spans != narrow {
		t.Fatalf("widen: %+v %v, want %d narrow spans deleted", r, err, narrow)
	}
	if n := store.NarrowSpans(t, s); n != 0 {
		t.Errorf("%d narrow spans left", n)
	}
	if ok, err := s.OrderRunsComplete(ctx, "title"); !ok || err != nil {
		t.Errorf("runs complete once widened: %v %v", ok, err)
	}
	checkRuns(t, s, "title", ts, 4)
	checkRuns(t, store.Reopen(s), "title", ts, 4)
}

// A whole column cut at once (an import, the backfill) fills its spans
// to about three quarters, in as few spans as that takes; a span just
// past its size splits in two.
func TestSplitSpan_FillsSpansToThreeQuarters(t *testing.T) {
	for _, tc := range []struct {
		runs, members int
		want          []int
	}{
		{512, 24, []int{512}},
		{513, 24, []int{256, 257}},
		{4167, 24, nil}, // 100,000 titles: 11 spans of 378 or 379 runs
	} {
		got := store.SpanSizes(t, tc.runs, tc.members)
		if tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("%d runs: spans of %v, want %v", tc.runs, got, tc.want)
		}
		total := 0
		for _, n := range got {
			total += n
			if n > 512 || n < 256 {
				t.Errorf("%d runs: a span of %d runs (want 256 to 512)", tc.runs, n)
			}
		}
		if total != tc.runs || tc.runs == 4167 && len(got) != 11 {
			t.Errorf("%d runs: %d spans holding %d", tc.runs, len(got), total)
		}
	}
}

// Titles as a programme writes them (words in any order) and tickets
// numbered in any order deflate less than the benchmark's: a span still
// stays within a write of 16 WCU, and 100,000 such titles take about 20
// spans (the narrow spans took 44).
func TestSplitSpan_DeflatedSpansStayWithin16KB(t *testing.T) {
	spans := store.RealisticSpans(t, 100000, false)
	if len(spans) > 24 {
		t.Errorf("100,000 titles in %d spans, want at most 24", len(spans))
	}
	for i, n := range spans {
		if n > 16<<10 || n < 6<<10 {
			t.Errorf("span %d: %d bytes deflated, want 6 to 16 KB", i, n)
		}
	}
	// What the runs' parts cost (go test -v shows it): data-model.md,
	// "A run's members ranked".
	unranked := store.RealisticSpans(t, 100000, true)
	t.Logf("100,000 titles in words: %d spans of %d bytes ranked, %d of %d unranked", len(spans), sum(spans), len(unranked), sum(unranked))
	if sum(spans) <= sum(unranked) || sum(spans) > sum(unranked)*5/4 {
		t.Errorf("the parts take %d bytes over %d, want more and at most a quarter more", sum(spans), sum(unranked))
	}
}

func sum(ns []int) int {
	t := 0
	for _, n := range ns {
		t += n
	}
	return t
}

// Ensure the due days follow real stream records — creates with and
// without a due date, dates years apart in one block (two bytes a
// ticket) and a block beyond, a due date changed and removed, a deletion;
// redelivered — and that the backfill's text pass fills a table indexed
// before them, marking them complete.
func TestDueDays_FollowTheStream(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 12; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		switch {
		case i%4 == 0:
		case i == 5:
			tk.DueDate = "2031-06-30"
		default:
			tk.DueDate = fmt.Sprintf("2026-12-%02d", i)
		}
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.DueDate = "2026-11-30" })
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.DueDate = "" })
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	far := newTicket(id(50), grievance.StatusOpen, "Default")
	far.Seq, far.Code, far.DueDate = 5000, grievance.FormatCode(5000), "2027-01-15"
	all, refill := followThenRefill(t, s, ts, far, s.DueDaysComplete, store.DropDueDays)
	check := func(when string) {
		t.Helper()
		days, err := s.DueDays(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range all {
			want := grievance.DayOf(tk.DueDate)
			if tk.IsDeleted {
				want = grievance.DayUnknown
			}
			if got := days[tk.Seq]; got != want {
				t.Errorf("%s: ticket %d (due %q) day %d, want %d", when, tk.Seq, tk.DueDate, got, want)
			}
		}
		if ok, err := s.DueDaysComplete(ctx); !ok || err != nil {
			t.Errorf("%s: due days complete %v %v", when, ok, err)
		}
	}
	check("followed from the stream")

	refill(check)
}

// Runs a table's code wrote before the ranks are ranked by the backfill's
// text pass from the start, and a run a ticket joins is ranked by the
// consumer meanwhile; until then a list reads them unranked.
func TestOrderRuns_TheBackfillRanksRunsWrittenBeforeTheirRanks(t *testing.T) {
	defer store.SetRunSizes(6, 4, 3, 1<<10, 8192, 100)()
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 30; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		// Numbered out of the tickets' order: 7 is prime to 30.
		tk.Title = fmt.Sprintf("Payment not received (%02d)", i*7%30)
		ts = append(ts, mustCreate(t, s, tk))
	}
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	checkRuns(t, s, "title", ts, 6)
	ranked := func() (yes, no int) {
		runs, err := s.OrderRuns(ctx, "title")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			switch {
			case r.Ranks != nil:
				yes++
			case len(r.Seqs) > 1:
				no++
			}
		}
		return yes, no
	}
	store.UnrankRuns(t, s, "title")
	if yes, no := ranked(); yes != 0 || no < 3 {
		t.Fatalf("unranked: %d runs ranked, %d not", yes, no)
	}
	// A ticket joins the first run: the consumer ranks it.
	tk := newTicket(id(31), grievance.StatusOpen, "Default")
	tk.Title = "Payment not received (00a)"
	ts = append(ts, mustCreate(t, s, tk))
	if _, err := s.ApplySearch(ctx, ticketRecords(t, s)); err != nil {
		t.Fatal(err)
	}
	yes, no := ranked()
	if yes != 1 || no < 2 {
		t.Errorf("a ticket joined the first run: %d runs ranked, %d not; want that one ranked", yes, no)
	}
	if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 7}); err != nil {
		t.Fatal(err)
	}
	if _, no := ranked(); no != 0 {
		t.Errorf("after the backfill %d runs of several tickets are not ranked", no)
	}
	checkRuns(t, s, "title", ts, 6)
}
