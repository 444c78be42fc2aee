package store_test

import (
	"cmp"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/store"
)

// upgradedVersions are n tickets of three versions each (a status, then
// a category change), numbered from 1, and the live ones (version 3).
func upgradedVersions(n int) (versions, live []*grievance.Ticket) {
	for _, tk := range oldTickets(n) {
		v := tk.Clone()
		versions = append(versions, v.Clone())
		v.Version, v.Status = 2, grievance.StatusInProgress
		versions = append(versions, v.Clone())
		v.Version, v.Category = 3, v.Category+"x"
		versions = append(versions, v.Clone())
		live = append(live, v)
	}
	return versions, live
}

// later is the next version of each of ts.
func later(ts []*grievance.Ticket, status grievance.Status) []*grievance.Ticket {
	var out []*grievance.Ticket
	for _, tk := range ts {
		v := tk.Clone()
		v.Version++
		v.Status = status
		out = append(out, v)
	}
	return out
}

func complete(t *testing.T, s *store.Store) bool {
	t.Helper()
	ok, err := s.VersionCountsComplete(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// historyTotal lists every version as an administrator with totalCount,
// and tells whether the counts were read.
func historyTotal(t *testing.T, s *store.Store) (total int, counted bool) {
	t.Helper()
	spy := &readSpy{Store: s}
	svc := grievance.NewService(s, t0Clock, grievancetest.IDs(), grievance.Options{History: spy})
	five := 5
	page, err := svc.ListTickets(grievance.NewContext(context.Background(), backfillAdmin),
		grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &five}})
	if err != nil {
		t.Fatal(err)
	}
	return page.TotalCount, spy.reads > 0
}

type readSpy struct {
	*store.Store
	mu    sync.Mutex
	reads int
}

func (s *readSpy) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.VersionCounts(ctx, ask)
}

// A History table written before the counts (plain puts, no `counted`)
// has no completeness marker, and a history list's totalCount judges
// every version instead of trusting counts of zero. The backfill then
// counts every old record exactly once — while another run of it and the
// consumer's new versions race it, and when run again — and writes the
// marker, after which the counts answer.
func TestCountVersions_CountsAnUpgradedTableOnceThenCompletesIt(t *testing.T) {
	a, b := MustOpenPair(t)
	ctx := context.Background()
	versions, live := upgradedVersions(20)
	if err := a.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	old := store.TicketStream(t, versions)
	store.RecordUncounted(t, a, append(old, store.RemovalStream(t, live[19])))

	if complete(t, a) {
		t.Fatal("a table of uncounted records says its counts are complete")
	}
	want := tally(t, a)
	if n := want[grievance.VersionCountAll]["*"]; n != 60 {
		t.Fatalf("%d versions listed, want 60", n)
	}
	if total, counted := historyTotal(t, a); total != 60 || counted {
		t.Fatalf("before the backfill: totalCount %d (counts read: %v), want 60 from judging every version", total, counted)
	}

	// While the pass holds its first page, another run counts everything
	// and the consumer records new versions; meanwhile a third run and
	// more of the consumer's versions go at once.
	next := later(live[:10], grievance.StatusResolved)
	var once sync.Once
	var raceErr error
	store.SetVersionsCounting(a, func() {
		once.Do(func() {
			if _, raceErr = b.CountVersions(ctx, store.BackfillOptions{PageSize: 11}); raceErr == nil {
				_, raceErr = b.RecordHistory(ctx, store.TicketStream(t, next))
			}
		})
	})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = b.CountVersions(ctx, store.BackfillOptions{PageSize: 5})
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = b.RecordHistory(ctx, store.TicketStream(t, later(next, grievance.StatusClosed)))
	}()
	r, err := a.CountVersions(ctx, store.BackfillOptions{PageSize: 7})
	wg.Wait()
	for _, err := range append(errs, raceErr, err) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r.Concurrent == 0 || !r.Complete {
		t.Errorf("the raced run: %+v, want records found counted by the other run, and complete", r)
	}

	want = tally(t, a)
	if n := want[grievance.VersionCountAll]["*"]; n != 80 {
		t.Fatalf("%d versions listed, want 80 (60 old, 20 new)", n)
	}
	sameCounts(t, counts(t, a), want)
	for k, ok := range store.CountedMarks(t, a) {
		if !ok {
			t.Errorf("record %s is not marked counted", k)
		}
	}
	if !complete(t, a) {
		t.Fatal("no completeness marker after the backfill")
	}
	if total, counted := historyTotal(t, a); total != 80 || !counted {
		t.Fatalf("after the backfill: totalCount %d (counts read: %v), want 80 from the counts", total, counted)
	}

	again, err := b.CountVersions(ctx, store.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Counted != 0 || again.Requests != 3 || !again.Complete {
		t.Errorf("second run: %+v, want the marker and the values' dictionary read (3 GetItems) and nothing else", again)
	}
	sameCounts(t, counts(t, a), want)
}

// A run resumed after a ticket number counts the rest, then reads the part
// before it again (a wrong cursor leaves nothing uncounted) before it
// writes the marker; a dry run writes nothing.
func TestCountVersions_ResumedAndDryRuns(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	versions, live := upgradedVersions(12)
	if err := s.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	store.RecordUncounted(t, s, store.TicketStream(t, versions))

	dry, err := s.CountVersions(ctx, store.BackfillOptions{DryRun: true, PageSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Uncounted != 36 || dry.Counted != 36 || dry.Complete || complete(t, s) || len(counts(t, s)[grievance.VersionCountAll]) != 0 {
		t.Fatalf("dry run: %+v, complete %v, counts %v; want 36 to count and nothing written", dry, complete(t, s), counts(t, s))
	}

	var cursors []int64
	r, err := s.CountVersions(ctx, store.BackfillOptions{After: 8, PageSize: 4, CountProgress: func(r store.CountVersionsResult) { cursors = append(cursors, r.Cursor) }})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counted != 36 || r.Cursor != 12 || !r.Complete || !complete(t, s) {
		t.Fatalf("resumed after 8: %+v, want the 12 after it and the 24 before it counted, cursor 12, complete", r)
	}
	for i, c := range cursors[:len(cursors)-1] {
		if c < 8 || c > cursors[i+1] {
			t.Fatalf("cursors %v: want them from 8 up, never back", cursors)
		}
	}
	sameCounts(t, counts(t, s), tally(t, s))
}

// A fresh table gets its marker from the transaction that records ticket
// 1's version 1 (and not before: ticket 2 first says nothing), with every
// record marked counted.
func TestRecordHistory_TicketOneVersionOneCompletesTheCounts(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	versions, _ := upgradedVersions(2)
	two, one := store.TicketStream(t, versions[3:]), store.TicketStream(t, versions[:3])
	if seq, err := s.RecordHistory(ctx, two); seq != "" || err != nil {
		t.Fatalf("RecordHistory=%q, %v", seq, err)
	}
	if complete(t, s) {
		t.Fatal("complete before ticket 1 is recorded")
	}
	if seq, err := s.RecordHistory(ctx, one); seq != "" || err != nil {
		t.Fatalf("RecordHistory=%q, %v", seq, err)
	}
	if !complete(t, s) {
		t.Fatal("not complete after ticket 1's version 1 was recorded")
	}
	marks := store.CountedMarks(t, s)
	if len(marks) != 6 || slicesContainsFalse(marks) {
		t.Fatalf("counted marks %v, want 6 records, all counted", marks)
	}
	sameCounts(t, counts(t, s), tally(t, s))
}

func slicesContainsFalse(m map[string]bool) bool {
	for _, ok := range m {
		if !ok {
			return true
		}
	}
	return false
}

// Imports write records as the consumer does: counted, once however often
// they run, and complete once ticket 1's version 1 is among them (the live
// versions of a benchmark's tickets, or the earlier versions of a scale
// benchmark's).
func TestImports_CountOnceAndCompleteWithTicketOne(t *testing.T) {
	ctx := context.Background()
	t.Run("DerivedAtVersionOne", func(t *testing.T) {
		s := MustOpen(t)
		ts := oldTickets(30)
		if err := s.ImportTickets(ctx, ts); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.ImportDerived(ctx, ts); err != nil {
				t.Fatal(err)
			}
		}
		want := tally(t, s)
		if n := want[grievance.VersionCountAll]["*"]; n != 30 || !complete(t, s) {
			t.Fatalf("%d versions, complete %v; want 30 and complete", n, complete(t, s))
		}
		sameCounts(t, counts(t, s), want)
	})
	t.Run("HistoryBelowTheLiveVersion", func(t *testing.T) {
		s := MustOpen(t)
		versions, live := upgradedVersions(10)
		if err := s.ImportTickets(ctx, live); err != nil {
			t.Fatal(err)
		}
		if err := s.ImportDerived(ctx, live); err != nil {
			t.Fatal(err)
		}
		if complete(t, s) {
			t.Fatal("complete with no ticket's version 1 recorded")
		}
		var earlier []*grievance.Ticket
		for _, v := range versions {
			if v.Version < 3 {
				earlier = append(earlier, v)
			}
		}
		for range 2 {
			if err := s.ImportHistory(ctx, earlier); err != nil {
				t.Fatal(err)
			}
		}
		want := tally(t, s)
		if n := want[grievance.VersionCountAll]["*"]; n != 30 || !complete(t, s) {
			t.Fatalf("%d versions, complete %v; want 30 and complete", n, complete(t, s))
		}
		sameCounts(t, counts(t, s), want)
	})
}

// A History table counted before the pairs (every record `counted`, the
// counts' marker alone) keeps its counts and says its pairs are not
// complete, so a history list by two filters judges its versions. The
// backfill adds each old record's pairs exactly once — while another run
// and the consumer's new versions (counted with their pairs) race it —
// and writes the pairs' marker; a run again reads the marker only.
func TestCountVersions_AddsThePairsOfATableCountedBeforeThem(t *testing.T) {
	a, b := MustOpenPair(t)
	ctx := context.Background()
	versions, live := upgradedVersions(20)
	for i, v := range versions {
		if i%2 == 0 {
			v.AttendingStaffID = id(900 + i%3)
		}
	}
	if err := a.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	store.RecordBeforePairs(t, a, store.TicketStream(t, versions))
	if !complete(t, a) {
		t.Fatal("a table counted before the pairs lost its counts' marker")
	}
	if pairsComplete(t, a) {
		t.Fatal("a table counted before the pairs says its pairs are complete")
	}
	before := counts(t, a)
	if len(before[grievance.VersionCountStatusPriority]) != 0 || len(before[grievance.VersionCountAll]) == 0 {
		t.Fatalf("before the backfill: counts %v, want every count but the pairs", before)
	}

	next := later(live[:10], grievance.StatusResolved)
	var once sync.Once
	var raceErr error
	store.SetVersionsCounting(a, func() {
		once.Do(func() {
			if _, raceErr = b.CountVersions(ctx, store.BackfillOptions{PageSize: 11}); raceErr == nil {
				_, raceErr = b.RecordHistory(ctx, store.TicketStream(t, next))
			}
		})
	})
	r, err := a.CountVersions(ctx, store.BackfillOptions{PageSize: 7})
	if err = cmp.Or(err, raceErr); err != nil {
		t.Fatal(err)
	}
	if r.Concurrent == 0 || !r.Complete {
		t.Errorf("the raced run: %+v, want records found done by the other run, and complete", r)
	}
	want := tally(t, a)
	if n := want[grievance.VersionCountAll]["*"]; n != 70 {
		t.Fatalf("%d versions listed, want 70 (60 old, 10 new)", n)
	}
	staffPairs := 0
	for f := range want {
		if strings.Contains(f, "@") {
			staffPairs++
		}
	}
	if staffPairs != 9 {
		t.Fatalf("%d staff pair counts, want 9 (3 staff members, 3 fields)", staffPairs)
	}
	sameCounts(t, counts(t, a), want)
	for k, ok := range store.CountedMarks(t, a) {
		if !ok {
			t.Errorf("record %s is not marked counted with its pairs", k)
		}
	}
	if !pairsComplete(t, a) {
		t.Fatal("no pairs' marker after the backfill")
	}
	again, err := b.CountVersions(ctx, store.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Counted != 0 || again.Requests != 3 || !again.Complete {
		t.Errorf("second run: %+v, want the marker and the values' dictionary read (3 GetItems) and nothing else", again)
	}
	sameCounts(t, counts(t, a), want)
}

func pairsComplete(t *testing.T, s *store.Store) bool {
	t.Helper()
	ok, err := s.VersionPairsComplete(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}
