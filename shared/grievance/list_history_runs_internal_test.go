package grievance

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// guessStart splits the run a first page ends in only where the
// candidates remembered crowd it, and starts the groups where that run
// starts in the list's order.
func TestGuessStart_TheRunThePageEndsIn(t *testing.T) {
	// Three runs of 32 tickets: 0–31 from "a", 32–63 from "m", 64–95
	// from "t".
	runs := []OrderRun{{From: "a", Seqs: seqRange(0, 32)}, {From: "m", Seqs: seqRange(32, 64)}, {From: "t", Seqs: seqRange(64, 96)}}
	for _, tc := range []struct {
		name    string
		cands   []int64
		rowsPer float64
		runs    []OrderRun // nil: no runs read lately
		tickets int        // 0: the highest candidate's number and one
		desc    bool
		want    headStart
		ok      bool
	}{
		{name: "every ticket, 3 rows each: the first run", cands: seqRange(0, 96), rowsPer: 3, runs: runs, want: headStart{from: "a", n: 10}, ok: true},
		{name: "descending: below the run after the last", cands: seqRange(0, 96), rowsPer: 3, runs: runs, desc: true, want: headStart{n: 10, below: true}, ok: true},
		{name: "descending, the middle run: below the last run's start", cands: seqRange(32, 64), rowsPer: 3, runs: runs, desc: true, want: headStart{from: "t", n: 10, below: true}, ok: true},
		{name: "a few in the first run, the page ends in the next", cands: append(seqRange(0, 3), seqRange(32, 64)...), rowsPer: 3, runs: runs, want: headStart{from: "m", n: 7}, ok: true},
		{name: "half the run's tickets: a group for each other ticket too", cands: seqRange(40, 56), rowsPer: 3, runs: runs, want: headStart{from: "m", n: 26}, ok: true},
		{name: "one row a candidate: no run crowded", cands: seqRange(0, 96), rowsPer: 1, runs: runs},
		{name: "a group run is not split", cands: seqRange(0, 96), rowsPer: 3, runs: []OrderRun{{From: "a#", Group: "a#", Seqs: seqRange(0, 96)}}},
		{name: "a ranked run is split by its ranks: no group", cands: seqRange(0, 96), rowsPer: 3, runs: ranked(runs)},
		{name: "no runs read, most tickets: the column's first groups", cands: seqRange(0, 96), rowsPer: 3, want: headStart{n: 10}, ok: true},
		{name: "no runs read, a tenth of the tickets: no guess", cands: []int64{5, 15, 25, 35, 45, 55, 65, 75, 85, 95}, rowsPer: 3},
		{name: "no runs read, the first 96 tickets of 960: no guess", cands: seqRange(0, 96), rowsPer: 3, tickets: 960},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			s := &Service{now: func() time.Time { return at }}
			tickets := tc.tickets
			if tickets == 0 {
				tickets = ticketsOf(nil, NewSeqSet(tc.cands...))
			}
			if tc.runs != nil {
				s.learnRuns("title", tc.runs)
			}
			got, ok := s.guessStart("title", tc.desc, seenCands{cands: NewSeqSet(tc.cands...), rowsPer: tc.rowsPer, tickets: tickets}, 21)
			if ok != tc.ok || got.from != tc.want.from || got.n != tc.want.n || got.below != tc.want.below {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// A search's very first list by the column reads its first groups (its
// last descending) blind, as many as a page takes tickets at the
// tickets' versions on average, unless the runs read lately say the
// first run cannot crowd a page.
func TestBlindStart_TheColumnsFirstGroupsWhereItsFirstRunMayCrowd(t *testing.T) {
	three := make([]uint16, 100)
	for n := 1; n < 100; n++ {
		three[n] = 3 << rowFlagBits
	}
	for _, tc := range []struct {
		name string
		runs []OrderRun // nil: no runs read lately
		rows []uint16   // the history rows read before (nil: none)
		// learnt is how long before the list the rows and runs were read.
		learnt time.Duration
		desc   bool
		q      string // a title's query
		from   string // where the groups read start ("": the column's end)
		want   int    // the groups read
	}{
		{name: "nothing read: two versions a ticket", want: 15},
		{name: "three versions a ticket, learnt", rows: three, want: 10},
		{name: "learnt 59 minutes before", rows: three, learnt: 59 * time.Minute, want: 10},
		{name: "learnt an hour before: two a ticket", rows: three, learnt: time.Hour, want: 15},
		{name: "a first run of 32", runs: []OrderRun{{From: "a", Seqs: seqRange(0, 32)}, {From: "m", Seqs: seqRange(32, 36)}}, want: 15},
		{name: "a first run of 4", runs: []OrderRun{{From: "a", Seqs: seqRange(0, 4)}, {From: "m", Seqs: seqRange(4, 36)}}},
		{name: "descending: the last run of 4", runs: []OrderRun{{From: "a", Seqs: seqRange(0, 32)}, {From: "m", Seqs: seqRange(32, 36)}}, desc: true},
		{name: "descending: the last run of 32", runs: []OrderRun{{From: "a", Seqs: seqRange(0, 4)}, {From: "m", Seqs: seqRange(4, 36)}}, desc: true, want: 15},
		{name: "a group run first", runs: []OrderRun{{From: "a#", Group: "a#", Members: NewSeqSet(seqRange(0, 96)...)}}},
		{name: "a ranked first run", runs: ranked([]OrderRun{{From: "a", Seqs: seqRange(0, 32)}, {From: "m", Seqs: seqRange(32, 36)}})},
		{name: "a title's query whose runs are ranked", runs: ranked(sampleRuns()), q: "(12"},
		{name: "a title's query, runs read 59 minutes before: the samples place it", runs: sampleRuns(), learnt: 59 * time.Minute, q: "(12", from: OrderKey("title", "Payment (118").Gram, want: 35},
		{name: "a title's query, runs read an hour before: blind", runs: sampleRuns(), learnt: time.Hour, q: "(12", want: 15},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			s := &Service{now: func() time.Time { return at.Add(-tc.learnt) }}
			s.learnVersionsPer(tc.rows)
			if tc.runs != nil {
				s.learnRuns("title", tc.runs)
			}
			s.now = func() time.Time { return at }
			if got := s.blindStart("title", tc.desc, 21, tc.q); got.n != tc.want || got.from != tc.from || got.below {
				t.Errorf("got %+v, want %d groups from %q", got, tc.want, tc.from)
			}
		})
	}
}

// A title search's very first list is placed where the runs' first
// titles hold its query: ascending from the run before the first such
// run, descending below the run after the last, with a group for each
// ticket of the run whose place is not known.
func TestSampleStart_WhereTheRunsFirstTitlesHoldTheQuery(t *testing.T) {
	gram := func(v string) string { return OrderKey("title", v).Gram }
	runs := sampleRuns()
	for _, tc := range []struct {
		name, q string
		runs    []OrderRun
		desc    bool
		want    headStart
		ok      bool
	}{
		{name: "ascending: from the run before the first holding it", q: "(12", runs: runs, want: headStart{from: gram("Payment (118"), n: 30}, ok: true},
		{name: "descending: below the run after the last holding it", q: "(12", runs: runs, desc: true, want: headStart{from: gram("Payment (13"), n: 34, below: true}, ok: true},
		{name: "descending, the last run: from the column's end", q: "(13", runs: runs, desc: true, want: headStart{n: 26, below: true}, ok: true},
		{name: "no run's first title holds it", q: "(14", runs: runs},
		{name: "a group run holding it is not split", q: "(12", runs: []OrderRun{{From: ""}, {From: gram("Payment (12"), Group: gram("Payment (12")}}},
		{name: "no runs read lately", q: "(12"},
		{name: "every run's first title holds it: read blind", q: "Payment", runs: runs},
		{name: "a run of 4 tickets is not crowded", q: "(12", runs: []OrderRun{{From: ""}, {From: gram("Payment (12"), Seqs: seqRange(0, 4)}}},
		{name: "no text of the column", runs: runs},
		{name: "ranked, ascending: no group", q: "(12", runs: ranked(runs), ok: true},
		{name: "ranked, descending: no group", q: "(12", runs: ranked(runs), desc: true, ok: true},
		{name: "ascending, the run before not ranked: from its start", q: "(12", runs: append(slices.Clone(runs[:2]), ranked(runs[2:])...), want: headStart{from: gram("Payment (118"), n: 30}, ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := sampleStart(tc.runs, tc.desc, tc.q, 3, 21)
			if ok != tc.ok || got.from != tc.want.from || got.n != tc.want.n || got.below != tc.want.below {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// The share of the tickets a search's candidates are is taken over the
// highest number the history rows column holds a ticket at, not its
// length (a column is read in blocks of 16,384 numbers, most of them
// unused in a young programme).
func TestTicketsOf_CountsTheColumnsTickets(t *testing.T) {
	rows := make([]uint16, 16384)
	for n := 1; n <= 1000; n++ {
		rows[n] = 3 << rowFlagBits // three versions
	}
	cands := NewSeqSet(1, 2, 3)
	if got := ticketsOf(rows, cands); got != 1000 {
		t.Errorf("a column of 1,000 tickets in 16,384 numbers: %d tickets, want 1000", got)
	}
	if got := ticketsOf(nil, cands); got != 4 {
		t.Errorf("without the column, candidates up to 3: %d tickets, want 4", got)
	}
}

// seqRange is the ticket numbers from lo up to below hi.
func seqRange(lo, hi int64) []int64 {
	var out []int64
	for n := lo; n < hi; n++ {
		out = append(out, n)
	}
	return out
}

// sampleRuns are title runs from the column's start, "Payment (118",
// "Payment (12", "Payment (125" and "Payment (13": 30, 20, 24, 24 and
// 16 tickets.
func sampleRuns() []OrderRun {
	gram := func(v string) string { return OrderKey("title", v).Gram }
	return []OrderRun{{From: "", Seqs: seqRange(0, 30)}, {From: gram("Payment (118"), Seqs: seqRange(30, 50)},
		{From: gram("Payment (12"), Seqs: seqRange(50, 74)}, {From: gram("Payment (125"), Seqs: seqRange(74, 98)}, {From: gram("Payment (13"), Seqs: seqRange(98, 114)}}
}

// ranked is runs with their members ranked by number (each a group).
func ranked(runs []OrderRun) []OrderRun {
	out := slices.Clone(runs)
	for i := range out {
		out[i].Ranks = make([]uint8, len(out[i].Seqs))
		for j := range out[i].Ranks {
			out[i].Ranks[j] = uint8(j)
		}
	}
	return out
}

// A ranked run's candidates are split into its groups' in the list's
// order, the rest of a run the head groups split past them too, and a
// run without ranks, a group run or the head's own groups stay whole.
func TestByRanks_SplitsARankedRunInTheListsOrder(t *testing.T) {
	// Run "a": tickets 1–6 ranked 2,0,1,0,2,1 (groups of 2); run "m"
	// unranked.
	runs := []OrderRun{{From: "a", Seqs: seqRange(1, 7), Ranks: []uint8{2, 0, 1, 0, 2, 1}}, {From: "m", Seqs: seqRange(7, 10)}}
	show := func(bs []OrderBucket) string {
		var out []string
		for _, b := range bs {
			out = append(out, fmt.Sprint(members(b.Members)))
		}
		return fmt.Sprint(out)
	}
	cands := NewSeqSet(seqRange(1, 10)...)
	for _, tc := range []struct {
		name string
		desc bool
		head []OrderBucket
		want string
	}{
		// (members lists a part's tickets newest first.)
		{name: "ascending", want: "[[4 2] [6 3] [5 1] [9 8 7]]"},
		{name: "descending", desc: true, want: "[[9 8 7] [5 1] [6 3] [4 2]]"},
		// The head's one group holds 2 (of the run's rank 0): the rest
		// past it is split.
		{name: "the rest past the head", head: []OrderBucket{{Gram: "a#", Members: NewSeqSet(2)}}, want: "[[2] [4] [6 3] [5 1] [9 8 7]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs := runBuckets(runs, cands, tc.desc)
			bs = byRanks(splitByHead(bs, tc.head, false, tc.desc, headStart{}), tc.desc)
			if got := show(bs); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// Only 1, 3 and 5 candidates: a part each.
	if got := show(byRanks(runBuckets(runs, NewSeqSet(1, 3, 5), false), false)); got != "[[3] [5 1]]" {
		t.Errorf("some candidates: got %s, want [[3] [5 1]]", got)
	}
}
