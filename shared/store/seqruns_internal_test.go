package store

import (
	"fmt"
	"slices"
	"testing"
)

func TestSeqRuns_CutByTheTicketsSize(t *testing.T) {
	tests := []struct {
		name string
		seqs []int64
		size int
		want string
	}{
		{"size unknown: every chain of close numbers is one Query", []int64{1, 3, 5, 6, 8, 20}, 0, "[{1 8} {20 20}]"},
		{"adjacent numbers share a Query", []int64{4, 5}, 1500, "[{4 5}]"},
		{"adjacent large tickets share a Query (as cheap, one request)", []int64{4, 5}, 4000, "[{4 5}]"},
		{"two 2 apart at 1.6 KB: singles cost the same and read one item fewer", []int64{4, 6}, 1600, "[{4 4} {6 6}]"},
		{"two 2 apart at 1.43 KB: three such tickets may fit 4 KB, the range is kept", []int64{4, 6}, 1433, "[{4 6}]"},
		{"two 2 apart at 1 KB: the range costs less", []int64{4, 6}, 1000, "[{4 6}]"},
		{"three alternating at 1.6 KB: the range costs 2 half units, singles 3", []int64{4, 6, 8}, 1600, "[{4 8}]"},
		{"three alternating at 3.4 KB: singles cost less", []int64{4, 6, 8}, 3400, "[{4 4} {6 6} {8 8}]"},
		{"more than 2 apart never share", []int64{1, 4, 7}, 100, "[{1 1} {4 4} {7 7}]"},
		{"a range of 5 at 1.5 KB costs less than an adjacent run and a single", []int64{1, 2, 3, 5, 10}, 1500, "[{1 5} {10 10}]"},
		{"4 items holding 3 at 1.43 KB: a pair and a single cost as much either way", []int64{1, 2, 4}, 1433, "[{1 2} {4 4}]"},
		{"at 2.3 KB they cost the same, and the single reads one item fewer", []int64{1, 2, 3, 5, 10}, 2300, "[{1 3} {5 5} {10 10}]"},
		{"none", nil, 1500, "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := seqRuns(tt.seqs, tt.size, -1)
			if got := fmt.Sprint(runs); got != tt.want {
				t.Errorf("seqRuns(%v, %d) = %s, want %s", tt.seqs, tt.size, got, tt.want)
			}
			// Every number is in exactly one run, none beyond.
			var in []int64
			for _, r := range runs {
				for _, n := range tt.seqs {
					if n >= r.lo && n <= r.hi {
						in = append(in, n)
					}
				}
			}
			if !slices.Equal(in, tt.seqs) && len(tt.seqs) > 0 {
				t.Errorf("runs %v cover %v, want each of %v once", runs, in, tt.seqs)
			}
		})
	}
}

// Ensure the cut never costs more than a Query per number or one per
// chain, whatever the size: it chooses among them and more.
func TestSeqRuns_NeverCostsMoreThanSinglesOrWholeChains(t *testing.T) {
	seqs := []int64{1, 3, 4, 6, 8, 9, 11, 14, 16, 18, 19, 20, 22, 30}
	cost := func(runs []seqRun, size int) int {
		n := 0
		for _, r := range runs {
			n += rangeCost(int(r.hi-r.lo)+1, size)
		}
		return n
	}
	for _, size := range []int{200, 800, 1365, 1500, 2100, 2800, 4096, 9000} {
		got := cost(seqRuns(seqs, size, -1), size)
		singles := cost(seqRuns(seqs, 1<<30, -1), size)
		whole := cost(seqRuns(seqs, 0, -1), size)
		if got > singles || got > whole {
			t.Errorf("size %d: the cut costs %d half units, singles %d, whole chains %d", size, got, singles, whole)
		}
	}
}

func TestSeqRuns_ReadAtMostSpareTicketsBetween(t *testing.T) {
	// At 1.3 KB (costed at 1.17, 1.3 and 1.43 KB, in half units): {1..3}
	// and {20..22} hold 2 and cost 4 where two singles cost 6, 2 saved by
	// one unwanted ticket; {10..14} holds 3 and costs 6, singles 9, 3
	// saved by two, so it is the first cut.
	seqs := []int64{1, 3, 10, 12, 14, 20, 22, 30, 31}
	tests := []struct {
		spare int
		want  string
	}{
		{-1, "[{1 3} {10 14} {20 22} {30 31}]"},
		{4, "[{1 3} {10 14} {20 22} {30 31}]"},
		{3, "[{1 3} {10 10} {12 12} {14 14} {20 22} {30 31}]"},
		{2, "[{1 3} {10 10} {12 12} {14 14} {20 22} {30 31}]"},
		{1, "[{1 1} {3 3} {10 10} {12 12} {14 14} {20 22} {30 31}]"},
		{0, "[{1 1} {3 3} {10 10} {12 12} {14 14} {20 20} {22 22} {30 31}]"},
	}
	for _, tt := range tests {
		runs := seqRuns(seqs, 1300, tt.spare)
		if got := fmt.Sprint(runs); got != tt.want {
			t.Errorf("spare %d: %s, want %s", tt.spare, got, tt.want)
		}
		unwanted := 0
		for _, r := range runs {
			for n := r.lo; n <= r.hi; n++ {
				if !slices.Contains(seqs, n) {
					unwanted++
				}
			}
		}
		if tt.spare >= 0 && unwanted > tt.spare {
			t.Errorf("spare %d: the runs read %d tickets between", tt.spare, unwanted)
		}
	}
}

func TestSeqRuns_WithNoSpareUnknownSizeReadsAdjacentBlocks(t *testing.T) {
	// Before any read the size is unknown and every chain would be one
	// Query; with nothing to spare its adjacent blocks are.
	got := fmt.Sprint(seqRuns([]int64{1, 2, 4, 5, 6, 8}, 0, 0))
	if want := "[{1 2} {4 6} {8 8}]"; got != want {
		t.Errorf("seqRuns = %s, want %s", got, want)
	}
}

func TestTicketSize_LearnsTheMeanSlowly(t *testing.T) {
	var ts ticketSize
	if ts.get() != 0 {
		t.Fatalf("a new estimate is %d, want 0 (unknown)", ts.get())
	}
	ts.learn(0, 0)
	if ts.get() != 0 {
		t.Errorf("nothing read changed the estimate to %d", ts.get())
	}
	ts.learn(3000, 2)
	if ts.get() != 1500 {
		t.Errorf("first read of 2 tickets of 1,500 bytes: %d", ts.get())
	}
	ts.learn(5500, 1)
	if ts.get() != 2500 {
		t.Errorf("one ticket of 5,500 after 1,500: %d, want 2,500 (3 to 1)", ts.get())
	}
}
