package store

import (
	"slices"
	"sync/atomic"
)

// seqRun is one Query of the live list: the numbers lo to hi.
type seqRun struct{ lo, hi int64 }

// seqRunGap is how far apart two wanted numbers may be and still share a
// Query: at most one unwanted ticket is read between them.
const seqRunGap = 2

// seqRuns cuts the sorted, distinct numbers into the Queries that read
// them for the fewest capacity units, then the fewest items, given that a
// live ticket weighs about size bytes (0: not known yet).
//
// A Query is charged for the bytes it reads rounded up to 4 KB (half a
// unit each, eventually consistent), so numbers close together cost less
// in one range than in a Query each, while every unwanted number between
// them is an item read for nothing. Which wins depends on the tickets'
// size: two candidates two apart are one unit in a range of three tickets
// of 1.6 KB and one unit as two singles, so they are read as singles (one
// item fewer); three alternating ones are a unit in a range and 1.5 as
// singles, so they share it (from about 1.8 KB they are singles too).
// Numbers more than seqRunGap apart never share a Query: the items
// between them would grow with the gaps. With the size unknown every
// range costs one unit, so every chain of close numbers is one Query, the
// rule before the size was learned.
//
// The size is a mean and tickets differ (the benchmark's run from 1.1 to
// 1.6 KB around a mean of 1.43, those between two candidates often the
// smaller), so a range is costed as the sum of its charges at the mean
// and at a tenth less and more (rangeCost): where three tickets may or
// may not fit 4 KB the range, which may cost half a unit, is kept, and a
// split is chosen where it costs no more either way (measured: costed at
// the mean alone, three ranges just under 4 KB were split, 0.5–1 RCU more
// on 4 of the benchmark's rows).
//
// spare bounds the unwanted tickets the runs may read in all (negative:
// no bound): the list's caller counts every item a page reads against
// its goal, and a range saves at most half a unit per ticket it reads
// for nothing (each sits between two wanted ones, and joining two
// Queries saves one rounding at most), so where the runs would read more
// than spare, the ranges that save least per unwanted ticket are cut back
// into their adjacent numbers (spareCut).
func seqRuns(sorted []int64, size, spare int) []seqRun {
	var out []seqRun
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end]-sorted[end-1] <= seqRunGap {
			end++
		}
		out = append(out, chainRuns(sorted[start:end], size)...)
		start = end
	}
	if spare >= 0 {
		out = spareCut(out, sorted, size, spare)
	}
	return out
}

// spareCut cuts ranges that read unwanted tickets into the blocks of
// adjacent wanted numbers they hold, those that lose the least capacity
// per unwanted ticket first, until the runs read at most spare unwanted
// tickets. Cutting a range whole, rather than in part, keeps this a sort
// over a page's ranges (a batch may hold a thousand numbers).
func spareCut(runs []seqRun, sorted []int64, size, spare int) []seqRun {
	type cut struct {
		at           int // index in runs
		blocks       []seqRun
		lost, unread int // half units (at three sizes) and tickets
	}
	var cuts []cut
	extra := 0
	for i, r := range runs {
		lo, _ := slices.BinarySearch(sorted, r.lo)
		hi, _ := slices.BinarySearch(sorted, r.hi+1)
		held := sorted[lo:hi]
		unwanted := int(r.hi-r.lo) + 1 - len(held)
		if unwanted == 0 {
			continue
		}
		extra += unwanted
		c := cut{at: i, unread: unwanted, lost: -rangeCost(int(r.hi-r.lo)+1, size)}
		for s := 0; s < len(held); {
			e := s + 1
			for e < len(held) && held[e] == held[e-1]+1 {
				e++
			}
			c.blocks = append(c.blocks, seqRun{held[s], held[e-1]})
			c.lost += rangeCost(e-s, size)
			s = e
		}
		cuts = append(cuts, c)
	}
	if extra <= spare {
		return runs
	}
	// The least capacity lost per ticket left unread first (a/b < c/d
	// as a·d < c·b), then the earlier range, so the cut is deterministic.
	slices.SortStableFunc(cuts, func(a, b cut) int { return a.lost*b.unread - b.lost*a.unread })
	split := map[int][]seqRun{}
	for _, c := range cuts {
		if extra <= spare {
			break
		}
		split[c.at], extra = c.blocks, extra-c.unread
	}
	out := make([]seqRun, 0, len(runs)+len(sorted))
	for i, r := range runs {
		if b, ok := split[i]; ok {
			out = append(out, b...)
		} else {
			out = append(out, r)
		}
	}
	return out
}

// chainRuns cuts one chain of close numbers by dynamic programming over
// its cut points (a chain is at most a page's candidates, so the square
// is small).
func chainRuns(chain []int64, size int) []seqRun {
	type cost struct{ units, items, from int }
	best := make([]cost, len(chain)+1)
	for i := 1; i <= len(chain); i++ {
		best[i] = cost{units: -1}
		for j := 0; j < i; j++ {
			items := int(chain[i-1]-chain[j]) + 1
			c := cost{units: best[j].units + rangeCost(items, size), items: best[j].items + items, from: j}
			if best[i].units < 0 || c.units < best[i].units || c.units == best[i].units && c.items < best[i].items {
				best[i] = c
			}
		}
	}
	var runs []seqRun
	for i := len(chain); i > 0; i = best[i].from {
		runs = append(runs, seqRun{chain[best[i].from], chain[i-1]})
	}
	for l, r := 0, len(runs)-1; l < r; l, r = l+1, r-1 {
		runs[l], runs[r] = runs[r], runs[l]
	}
	return runs
}

// rangeCost is a range of items tickets' charge in half units, summed at
// nine, ten and eleven tenths of size.
func rangeCost(items, size int) int {
	return readHalfUnits(items, size*9/10) + readHalfUnits(items, size) + readHalfUnits(items, size*11/10)
}

// readHalfUnits is an eventually consistent Query's charge, in half
// units, for items tickets of size bytes: one per 4 KB, at least one.
func readHalfUnits(items, size int) int {
	return max(1, (items*size+4095)/4096)
}

// ticketSize is a container's estimate of a live ticket item's size in
// bytes, learned from the tickets it reads by number: a programme's
// tickets are alike (the same fields, texts of similar length), and the
// estimate only chooses how numbers are grouped into Queries, never what
// is read.
type ticketSize struct{ bytes atomic.Int64 }

// get is the estimate, 0 before any read.
func (t *ticketSize) get() int { return int(t.bytes.Load()) }

// learn folds in the mean size of n tickets read together, weighting the
// estimate 3 to 1 so that one unusual page moves it a little.
func (t *ticketSize) learn(total, n int) {
	if n == 0 {
		return
	}
	mean := int64(total / n)
	for {
		old := t.bytes.Load()
		next := mean
		if old > 0 {
			next = (3*old + mean) / 4
		}
		if t.bytes.CompareAndSwap(old, next) {
			return
		}
	}
}
