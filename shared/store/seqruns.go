package store

import "sync/atomic"

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
func seqRuns(sorted []int64, size int) []seqRun {
	var out []seqRun
	for start := 0; start < len(sorted); {
		end := start + 1
		for end < len(sorted) && sorted[end]-sorted[end-1] <= seqRunGap {
			end++
		}
		out = append(out, chainRuns(sorted[start:end], size)...)
		start = end
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
