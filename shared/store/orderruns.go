package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Order runs (grievance.OrderRunIndex): the groups of each column of
// grievance.OrderRunFields cut into runs of adjacent groups of at most
// runMembers tickets (a larger group is a run alone; one of more than
// runStoredMax lists none, below), kept in span items
// in the Main table: pk RUNSPAN#<column>, sk "r" followed by the gram
// the span's first run starts at ("r" alone for the column's first span),
// `b` the runs (each its first gram and its members), deflated, and `v`
// the version. A span holds at most spanRuns runs and spanBytes bytes
// deflated, so at 100,000 titles cut at once the column is 11 spans of
// about 3.5 KB (the benchmark's titles) to about 20 of 12 KB (titles in
// words), half as many more grown one by one, read by one Query, and a
// write rewrites one span (≤ 16 WCU).
//
// The spans before them (pk ORDERRUN#<column>, 128 runs, not deflated)
// are not read: until the backfill's widening pass has cut the wide
// spans from the order postings (WidenColumns) and deleted the narrow
// ones, OrderRunsComplete says no and the lists walk the groups.
//
// A group of more than runStoredMax live tickets (the anonymous
// complaints, ordered by reporter; a title every SMS complaint shares)
// would make its span too large to write, so its run lists no members
// and keeps them in no span: a list reads the group's order postings
// instead (a couple of items: sealed postings), beside the spans once the
// container knows the group (OrderRuns). Such a run costs the consumer
// nothing when its group gains or loses a ticket.
//
// The stream consumer keeps them after it has written the order
// postings, which are the truth: a run grown past runMembers is cut again
// from the postings' groups between its first gram and the next run's.
// Consumers of different shards may change one span at once, so every
// write is conditioned on `v`, and a span changed meanwhile is looked up
// again (it may have been split) and redone.
const (
	prefixOrderRun = "RUNSPAN#"
	// prefixNarrowRun: the narrow spans' partitions, which the widening
	// pass deletes.
	prefixNarrowRun = "ORDERRUN#"
	// skRunsMarker: the title's runs are complete; another column's
	// marker is runsMarker's.
	skRunsMarker  = "runs"
	KindOrderRuns = "orderRuns"
)

// runsMarker names the marker saying every live ticket is in a run of
// field: the title's kept its name from before the reporter's runs, so a
// table indexed before them still walks the reporter's groups until its
// backfill.
func runsMarker(field string) string {
	if field == "title" {
		return skRunsMarker
	}
	return skRunsMarker + ":" + field
}

// runsMarkers are every column's.
func runsMarkers() []string {
	var out []string
	for _, f := range grievance.OrderRunFields {
		out = append(out, runsMarker(f))
	}
	return out
}

// The runs' sizes (variables so tests cut and split small columns).
var (
	// runMembers: a run that grows past it is cut again, into runs of
	// about runFill (so the next few tickets do not cut it at once).
	runMembers = 32
	runFill    = 24
	spanRuns   = 512
	spanBytes  = 16 << 10 // deflated: a span write is ≤ 16 WCU
	// spanRaw bounds a span's bytes before deflating (its runs' CPU and
	// memory); a run alone may be larger, up to spanRawMax.
	spanRaw = 48 << 10
	// runStoredMax bounds the members one run keeps: a group of more
	// live tickets (its run alone) would make a span too large to write,
	// so the run keeps none and lists read the group's postings.
	runStoredMax = 8192
)

type runsItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	B    []byte `dynamo:"b"`
	V    int64  `dynamo:"v"`
}

func spanSK(from string) string { return "r" + from }

// packGram is a gram as bytes: the value's bytes, then the flag; "" is
// the column's start.
func packGram(gram string) ([]byte, error) {
	if gram == "" {
		return nil, nil
	}
	raw, err := hex.DecodeString(gram[:len(gram)-1])
	if err != nil {
		// Not the gram: it is a title's bytes (no ticket data in logs).
		return nil, fmt.Errorf("order run: a group key that is not hex: %w", err)
	}
	return append(raw, gram[len(gram)-1]), nil
}

// encodeRuns encodes runs: the ranked spans' mark (spanMark), then per
// run its gram (length and bytes), then its members' count (shifted
// left twice; the low bit set when the run is too large to keep them,
// the next when their ranks follow) and their differences, all uvarints,
// then their ranks, packed (appendRanks).
func encodeRuns(runs []grievance.OrderRun) ([]byte, error) {
	out := []byte(spanMark)
	for _, r := range runs {
		g, err := packGram(r.From)
		if err != nil {
			return nil, err
		}
		out = binary.AppendUvarint(out, uint64(len(g)))
		out = append(out, g...)
		if len(r.Seqs) > runStoredMax || r.Group != "" {
			out = binary.AppendUvarint(out, 1)
			continue
		}
		c := uint64(len(r.Seqs)) << 2
		ranked := len(r.Ranks) == len(r.Seqs) && len(r.Seqs) > 0
		if ranked {
			c |= 2
		}
		out = binary.AppendUvarint(out, c)
		prev := int64(0)
		for _, n := range r.Seqs {
			out = binary.AppendUvarint(out, uint64(n-prev))
			prev = n
		}
		if ranked {
			var err error
			if out, err = appendRanks(out, r.Ranks); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// appendRanks appends ranks (each below grievance.RunParts, 8) packed 3
// bits each, the first in the lowest bits.
func appendRanks(out []byte, ranks []uint8) ([]byte, error) {
	var acc uint32
	bits := 0
	for _, r := range ranks {
		if r >= grievance.RunParts {
			return nil, fmt.Errorf("order run: a rank of %d, not below %d", r, grievance.RunParts)
		}
		acc |= uint32(r) << bits
		if bits += 3; bits >= 8 {
			out = append(out, byte(acc))
			acc, bits = acc>>8, bits-8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out, nil
}

// rankBytes is the bytes appendRanks packs n ranks into.
func rankBytes(n int) int { return (3*n + 7) / 8 }

// readRanks unpacks n ranks from b (appendRanks) into out.
func readRanks(out []uint8, b []byte) {
	var acc uint32
	bits := 0
	for i := range out {
		if bits < 3 {
			acc |= uint32(b[0]) << bits
			b, bits = b[1:], bits+8
		}
		out[i] = uint8(acc & 7)
		acc, bits = acc>>3, bits-3
	}
}

// spanMark starts a span whose runs may carry ranks: two bytes no gram's
// length begins with (a uvarint of 16,383; a gram is at most 401 bytes),
// so a span written before the ranks (no mark, a member count shifted
// once) still decodes.
const spanMark = "\xff\x7f"

// spanRawMax bounds what a span inflates to: spanRaw, or a run alone of
// runStoredMax members (5 bytes each at most) and its gram.
const spanRawMax = 128 << 10

// decodeSpan decodes a span's runs (deflated encodeRuns bytes).
func decodeSpan(b []byte) ([]grievance.OrderRun, error) {
	if len(b) == 0 {
		return nil, nil
	}
	raw, err := inflated(b, spanRawMax)
	if err != nil {
		return nil, fmt.Errorf("order runs: %w", err)
	}
	return decodeRuns(raw)
}

// decodeRuns decodes encodeRuns' bytes; a run too large to keep its
// members has none, its Group set to its From (where the group starts as
// cut by this code; a run cut before may start lower: OrderRuns reads its
// whole range). A list decodes every
// span (thousands of runs), so the runs' members share one array and
// their grams one string: a pass to size them, a pass to fill them.
func decodeRuns(b []byte) ([]grievance.OrderRun, error) {
	bad := errors.New("order runs: bad encoding")
	marked := strings.HasPrefix(string(b), spanMark)
	shift := uint64(1)
	if marked {
		b, shift = b[len(spanMark):], 2
	}
	type runAt struct {
		gram    []byte
		members int
		large   bool
		ranked  bool
		from    int // offset of the members' differences in b
		ranks   int // offset of their ranks
	}
	var (
		at                     []runAt
		seqs, ranks, hexLength int
	)
	for rest := b; len(rest) > 0; {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return nil, bad
		}
		r := runAt{gram: rest[k : k+int(n)]}
		rest = rest[k+int(n):]
		c, k := binary.Uvarint(rest)
		if k <= 0 || c>>shift > uint64(len(rest)) {
			return nil, bad
		}
		rest = rest[k:]
		r.large, r.ranked, r.members, r.from = c&1 == 1, marked && c&2 == 2, int(c>>shift), len(b)-len(rest)
		if r.large && r.members > 0 || r.ranked && r.members == 0 {
			return nil, bad
		}
		for range r.members {
			if _, k := binary.Uvarint(rest); k <= 0 {
				return nil, bad
			} else {
				rest = rest[k:]
			}
		}
		if r.ranked {
			if len(rest) < rankBytes(r.members) {
				return nil, bad
			}
			r.ranks = len(b) - len(rest)
			rest = rest[rankBytes(r.members):]
			ranks += r.members
		}
		at = append(at, r)
		seqs += r.members
		if len(r.gram) > 0 {
			hexLength += 2*(len(r.gram)-1) + 1
		}
	}
	grams := make([]byte, 0, hexLength)
	for _, r := range at {
		if len(r.gram) > 0 {
			grams = hex.AppendEncode(grams, r.gram[:len(r.gram)-1])
			grams = append(grams, r.gram[len(r.gram)-1])
		}
	}
	all, members, places := string(grams), make([]int64, seqs), make([]uint8, ranks)
	runs := make([]grievance.OrderRun, len(at))
	g := 0
	for i, r := range at {
		if len(r.gram) > 0 {
			l := 2*(len(r.gram)-1) + 1
			runs[i].From = all[g : g+l]
			g += l
		}
		if r.large {
			// A run cut by the code before may start at the column's
			// start: its group is at least the empty value's, and
			// OrderRuns reads which it is.
			runs[i].Group = cmp.Or(runs[i].From, "#")
		}
		// Capped, so that appending to one run's members copies them.
		runs[i].Seqs = members[:r.members:r.members]
		members = members[r.members:]
		prev, rest := int64(0), b[r.from:]
		for j := range r.members {
			d, k := binary.Uvarint(rest)
			rest = rest[k:]
			prev += int64(d)
			runs[i].Seqs[j] = prev
		}
		if r.ranked {
			runs[i].Ranks = places[:r.members:r.members]
			places = places[r.members:]
			readRanks(runs[i].Ranks, b[r.ranks:])
		}
	}
	return runs, nil
}

// OrderRuns implements grievance.OrderRunIndex: one Query of the
// column's spans (another per MB past the first), and, for each run of a
// group too large to list, a Query of its range of the order postings,
// sent beside the spans when the container has seen that run before (a
// request later when not: the first list of a container, or a group just
// grown that large). nil, so that lists walk the groups, when such a run
// holds more than one group, or a prefix's (titles past 400 bytes).
func (s *Store) OrderRuns(ctx context.Context, field string) ([]grievance.OrderRun, error) {
	var known []runRange
	if v, ok := s.groupRuns.Load(field); ok {
		known = v.([]runRange)
	}
	got := make([]groupRead, len(known))
	var items []runsItem
	err := parallel(ctx, len(known)+1, len(known)+1, func(ctx context.Context, i int) error {
		if i < len(known) {
			var err error
			got[i], err = s.readRunRange(ctx, field, known[i])
			return err
		}
		return translate("read order runs", s.main.Get(AttrPK, prefixOrderRun+field).All(ctx, &items))
	})
	if err != nil {
		return nil, err
	}
	read := map[runRange]groupRead{}
	for i, r := range known {
		read[r] = got[i]
	}
	var out []grievance.OrderRun
	for i, it := range items {
		runs, err := decodeSpan(it.B)
		if err != nil {
			return nil, fmt.Errorf("%s, a span: %w", it.PK, err)
		}
		// A span holds the runs up to the next one's start (past it:
		// runs a split wrote elsewhere, see writeSpan).
		if i+1 < len(items) {
			next := strings.TrimPrefix(items[i+1].SK, "r")
			runs = slices.DeleteFunc(runs, func(r grievance.OrderRun) bool { return r.From >= next })
		}
		out = append(out, runs...)
	}
	// A run of more tickets than a run of several holds is one group,
	// cut by this code to start at its gram (by the code before, at the
	// gram where its cut began: a value since deleted, or the column's
	// start, whose "" is no whole value).
	for i, r := range out {
		if r.Group == "" && len(r.Seqs) > runMembers && strings.HasSuffix(r.From, "#") {
			out[i].Group = r.From
		}
	}
	rangeAt := func(i int) runRange {
		if i+1 < len(out) {
			return runRange{from: out[i].From, hi: out[i+1].From}
		}
		return runRange{from: out[i].From}
	}
	unlisted := func(r grievance.OrderRun) bool { return r.Group != "" && len(r.Seqs) == 0 }
	var ranges, missing []runRange
	for i, r := range out {
		if unlisted(r) {
			ranges = append(ranges, rangeAt(i))
			if _, ok := read[rangeAt(i)]; !ok {
				missing = append(missing, rangeAt(i))
			}
		}
	}
	got = make([]groupRead, len(missing))
	err = parallel(ctx, len(missing), 8, func(ctx context.Context, i int) error {
		var err error
		got[i], err = s.readRunRange(ctx, field, missing[i])
		return err
	})
	if err != nil {
		return nil, err
	}
	for i, r := range missing {
		read[r] = got[i]
	}
	s.groupRuns.Store(field, ranges)
	for i, r := range out {
		if !unlisted(r) {
			continue
		}
		g := read[rangeAt(i)]
		if len(g.grams) > 1 || len(g.grams) == 1 && !strings.HasSuffix(g.grams[0], "#") {
			return nil, nil
		}
		out[i].Group = ""
		if len(g.grams) == 1 {
			out[i].Group, out[i].Members = g.grams[0], g.members
		}
	}
	return out, nil
}

// runRange is a run's range of the order postings: from its From up to
// the next run's ("": the column's end).
type runRange struct{ from, hi string }

// groupRead is what a run's range of the order postings holds.
type groupRead struct {
	members *grievance.SeqSet
	grams   []string
}

// readRunRange reads the order postings of field in r: the members of its
// groups, and the groups.
func (s *Store) readRunRange(ctx context.Context, field string, r runRange) (groupRead, error) {
	var items []dynamo.Item
	if err := rangeOf(s.main.Get(AttrPK, prefixOrder+field), r.from, r.hi).All(ctx, &items); err != nil {
		return groupRead{}, translate("read order postings", err)
	}
	out := groupRead{members: &grievance.SeqSet{}}
	for _, item := range items {
		g, blocks, err := orderItemOf(item)
		if err != nil {
			return groupRead{}, err
		}
		if len(out.grams) == 0 || out.grams[len(out.grams)-1] != g {
			out.grams = append(out.grams, g)
		}
		for n, b := range blocks {
			out.members.OrWords(int(n)*(blockSize/64), b[:])
		}
	}
	return out, nil
}

// rangeOf narrows q, a Query of order postings, to the groups from gram
// from up to hi ("": the column's end).
func rangeOf(q *dynamo.Query, from, hi string) *dynamo.Query {
	switch {
	case from != "" && hi != "":
		// Group keys are the gram and the block: hi itself is no key.
		return q.Range(AttrSK, dynamo.Between, from, hi)
	case from != "":
		return q.Range(AttrSK, dynamo.GreaterOrEqual, from)
	case hi != "":
		return q.Range(AttrSK, dynamo.Less, hi)
	}
	return q
}

// OrderRunsComplete implements grievance.OrderRunIndex: the column's
// marker is written when ticket 1 is first indexed by this code (a fresh
// table), by an import of ticket 1 and by a backfill text pass from the
// start, once it has put every ticket of the order postings in a run; and
// the table's spans are wide (a fresh table, or the widening pass done).
func (s *Store) OrderRunsComplete(ctx context.Context, field string) (bool, error) {
	wide, err := s.wide(ctx)
	if err != nil || !wide {
		return false, err
	}
	return s.marked(ctx, runsMarker(field))
}

// runOp puts a ticket in (add) or takes it out of the run holding gram.
type runOp struct {
	gram string
	seq  int64
	add  bool
	// rank: no ticket; rank the runs of several values of the span
	// holding gram that have no ranks (the backfill's, rankSpans).
	rank bool
}

// runChanges are the run operations of a batch, per column.
type runChanges map[string][]runOp

// diff records moving one ticket from old (nil, or a reference from
// before the order postings: unknown, so it is only added) to next.
func (rc runChanges) diff(old *searchState, next searchState) {
	for _, f := range grievance.OrderRunFields {
		was, is := "", ""
		known := old != nil && old.orders != nil
		if known && old.live && old.seq > 0 {
			was = old.orders[f]
		}
		if next.live && next.seq > 0 {
			is = next.orders[f]
		}
		if known && was == is {
			continue
		}
		if was != "" {
			rc[f] = append(rc[f], runOp{gram: was, seq: old.seq})
		}
		if is != "" {
			rc[f] = append(rc[f], runOp{gram: is, seq: next.seq, add: true})
		}
	}
}

// apply brings every column's runs up to date with its operations, the
// columns at once: their spans are separate items, so a batch waits for
// its slowest column's round trips, not for their sum.
func (rc runChanges) apply(ctx context.Context, s *Store) error {
	fs := grievance.OrderRunFields
	return parallel(ctx, len(fs), len(fs), func(ctx context.Context, i int) error { return s.applyRuns(ctx, fs[i], rc[fs[i]]) })
}

// applyRuns applies ops to field's spans: each operation's span is
// found (one consistent Query per gram, all at once), then each span is
// rewritten once, conditioned on its version; the operations of a span
// changed meanwhile are looked up and applied again.
func (s *Store) applyRuns(ctx context.Context, field string, ops []runOp) error {
	// In parts, so that one write splits a span into fewer than the 100
	// items a transaction takes (an import of every ticket at once).
	for len(ops) > runOpsMax {
		if err := s.applyRuns(ctx, field, ops[:runOpsMax]); err != nil {
			return err
		}
		ops = ops[runOpsMax:]
	}
	for attempt := 1; len(ops) > 0; attempt++ {
		spans, err := s.spansOf(ctx, field, ops)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(spans))
		bySpan := map[string][]runOp{}
		for _, op := range ops {
			sk := spans[op.gram].SK
			if _, ok := bySpan[sk]; !ok {
				keys = append(keys, sk)
			}
			bySpan[sk] = append(bySpan[sk], op)
		}
		var (
			mu    sync.Mutex
			again []runOp
		)
		err = parallel(ctx, len(keys), 8, func(ctx context.Context, i int) error {
			var cur *runsItem
			for _, op := range bySpan[keys[i]] {
				if it := spans[op.gram]; it.PK != "" {
					cur = &it
					break
				}
			}
			err := s.writeSpan(ctx, field, cur, bySpan[keys[i]])
			if errors.Is(err, errPostingRace) {
				mu.Lock()
				again = append(again, bySpan[keys[i]]...)
				mu.Unlock()
				return nil
			}
			return err
		})
		if err != nil {
			return err
		}
		if len(again) > 0 && attempt >= postingAttempts {
			return fmt.Errorf("order runs of %s: %w", field, errPostingRace)
		}
		if len(again) > 0 {
			if err := pause(ctx, attempt, 5*time.Millisecond); err != nil {
				return err
			}
		}
		ops = again
	}
	return nil
}

// spansOf returns, per gram of ops, the span that holds it (the zero
// item, whose SK is the first span's, when the column has none yet).
func (s *Store) spansOf(ctx context.Context, field string, ops []runOp) (map[string]runsItem, error) {
	var grams []string
	for _, op := range ops {
		grams = append(grams, op.gram)
	}
	slices.Sort(grams)
	grams = slices.Compact(grams)
	holding := func(ctx context.Context, gram string) (runsItem, error) {
		var items []runsItem
		_, err := s.main.Get(AttrPK, prefixOrderRun+field).Range(AttrSK, dynamo.LessOrEqual, spanSK(gram)).
			Order(dynamo.Descending).SearchLimit(1).Consistent(true).AllWithLastEvaluatedKey(ctx, &items)
		if err != nil || len(items) == 0 {
			return runsItem{}, translate("find order run", err)
		}
		return items[0], nil
	}
	found := make([]runsItem, len(grams))
	if len(grams) <= spansByGram {
		err := parallel(ctx, len(grams), 16, func(ctx context.Context, i int) error {
			var err error
			found[i], err = holding(ctx, grams[i])
			return err
		})
		if err != nil {
			return nil, err
		}
	} else {
		// Many titles (an import, the backfill): the spans from the one
		// holding the first to the last title, in one read.
		first, err := holding(ctx, grams[0])
		if err != nil {
			return nil, err
		}
		var spans []runsItem
		if first.PK != "" {
			err = s.main.Get(AttrPK, prefixOrderRun+field).Range(AttrSK, dynamo.Between, first.SK, spanSK(grams[len(grams)-1])).
				Consistent(true).All(ctx, &spans)
			if err != nil {
				return nil, translate("find order runs", err)
			}
		}
		j := 0
		for i, g := range grams {
			for j+1 < len(spans) && spans[j+1].SK <= spanSK(g) {
				j++
			}
			if j < len(spans) {
				found[i] = spans[j]
			}
		}
	}
	out := make(map[string]runsItem, len(grams))
	for i, g := range grams {
		it := found[i]
		if it.PK == "" {
			it.SK = spanSK("")
		}
		out[g] = it
	}
	return out, nil
}

// runOpsMax bounds the operations applied together: into one span, at
// most 40,000 tickets make ~1,700 runs, ~30 spans.
const runOpsMax = 40000

// spansByGram: up to this many titles, each title's span is found by a
// Query of its own (all at once); past it, the spans between the first
// and the last are read together.
const spansByGram = 32

// runAt returns the run of runs (sorted by From, the first From at most
// gram) that holds gram.
func runAt(runs []grievance.OrderRun, gram string) int {
	i, _ := slices.BinarySearchFunc(runs, gram, func(r grievance.OrderRun, g string) int {
		if r.From <= g {
			return -1
		}
		return 1
	})
	return max(i-1, 0)
}

// writeSpan applies ops to the span cur (nil: the column has none, so
// the first is created), cuts the runs grown too large again from the
// order postings, splits the span when it outgrows an item and writes it
// (a span left empty, other than the first, is deleted).
func (s *Store) writeSpan(ctx context.Context, field string, cur *runsItem, ops []runOp) error {
	runs := []grievance.OrderRun{{From: ""}}
	if cur != nil {
		var err error
		if runs, err = decodeSpan(cur.B); err != nil {
			return fmt.Errorf("%s, a span: %w", cur.PK, err)
		}
		if len(runs) == 0 {
			runs = []grievance.OrderRun{{From: strings.TrimPrefix(cur.SK, "r")}}
		}
	}
	// Per run, removals first (a ticket that moves within a run has both
	// operations here), then the additions merged in.
	adds, dels := map[int][]int64{}, map[int]map[int64]bool{}
	// regroup: a group run that another group now shares (a value sorting
	// just after its own), cut again so that the group stays alone.
	regroup := map[int]bool{}
	rankAll := false
	for _, op := range ops {
		if op.rank {
			rankAll = true
			continue
		}
		i := runAt(runs, op.gram)
		if runs[i].Group != "" {
			// Its group's own tickets are in no span: nothing to do.
			if op.add && op.gram != runs[i].Group {
				regroup[i] = true
			}
			continue
		}
		if op.add {
			adds[i] = append(adds[i], op.seq)
			continue
		}
		if dels[i] == nil {
			dels[i] = map[int64]bool{}
		}
		dels[i][op.seq] = true
	}
	changed := false
	grown := map[int]bool{}
	for i := range runs {
		r := &runs[i]
		if d := dels[i]; d != nil {
			n := len(r.Seqs)
			// The others' ranks still order them: kept in step.
			kept, ranks := r.Seqs[:0], []uint8(nil)
			for j, seq := range r.Seqs {
				if d[seq] {
					continue
				}
				kept = append(kept, seq)
				if r.Ranks != nil {
					ranks = append(ranks, r.Ranks[j])
				}
			}
			r.Seqs, r.Ranks = kept, ranks
			if len(kept) < 2 {
				r.Ranks = nil
			}
			changed = changed || len(r.Seqs) != n
		}
		if a := adds[i]; a != nil {
			n := len(r.Seqs)
			r.Seqs = append(r.Seqs, a...)
			slices.Sort(r.Seqs)
			r.Seqs = slices.Compact(r.Seqs)
			if len(r.Seqs) != n {
				changed, grown[i] = true, true
				r.Ranks = nil
			}
		}
	}
	// unranked: runs to rank though no ticket joined them (rankAll).
	unranked := map[int]bool{}
	for i, r := range runs {
		if rankAll && r.Ranks == nil && r.Group == "" && len(r.Seqs) > 1 {
			unranked[i], changed = true, true
		}
	}
	if !changed && len(regroup) == 0 {
		return nil
	}
	cut := func(i int) bool { return grown[i] && len(runs[i].Seqs) > runMembers || regroup[i] }
	rank := func(i int) bool { return (grown[i] || unranked[i]) && !cut(i) }
	cutting := false
	for i := range runs {
		cutting = cutting || cut(i)
	}
	// The span's last run, ranked again, ends where the next span starts.
	last := len(runs) - 1
	next := "" // where the next span starts ("": none, or not read)
	if (cutting || rank(last)) && cur != nil {
		var err error
		if next, err = s.nextSpan(ctx, field, cur.SK); err != nil {
			return err
		}
		if next != "" {
			// Runs past it are what a split left behind when this span's
			// own write lost a race (writeSpan, below): dropped.
			runs = slices.DeleteFunc(runs, func(r grievance.OrderRun) bool { return r.From >= next })
		}
	}
	upper := func(i int) string {
		if i+1 < len(runs) {
			return runs[i+1].From
		}
		return next
	}
	// A run grown, not cut, is ranked again from its range of the order
	// postings, which hold the new member already: its place among the
	// others is not in the span.
	var rerank []int
	for i := range runs {
		if rank(i) && runs[i].Group == "" && len(runs[i].Seqs) > 1 {
			rerank = append(rerank, i)
		}
	}
	err := parallel(ctx, len(rerank), 8, func(ctx context.Context, k int) error {
		i := rerank[k]
		groups, err := s.readGroups(ctx, field, runs[i].From, upper(i))
		if err == nil {
			rankRun(&runs[i], groups)
		}
		return err
	})
	if err != nil {
		return err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if !cut(i) {
			continue
		}
		cut, err := s.cutRun(ctx, field, runs[i].From, upper(i))
		if err != nil {
			return err
		}
		runs = slices.Replace(runs, i, i+1, cut...)
	}
	// A run left empty merges into the one before it (a group run keeps
	// its place: its members are in no span).
	start := runs[0].From
	runs = slices.DeleteFunc(runs, func(r grievance.OrderRun) bool { return len(r.Seqs) == 0 && r.Group == "" && r.From != start })
	sk := spanSK(runs[0].From)
	if len(runs) == 1 && len(runs[0].Seqs) == 0 && runs[0].Group == "" && sk != spanSK("") && cur != nil {
		err := s.main.Delete(AttrPK, cur.PK).Range(AttrSK, cur.SK).If("v = ?", cur.V).Run(ctx)
		return spanWritten(err)
	}
	parts, err := splitSpan(runs)
	if err != nil {
		return err
	}
	items := make([]runsItem, len(parts))
	for i, p := range parts {
		items[i] = runsItem{PK: prefixOrderRun + field, SK: spanSK(p.runs[0].From), Kind: KindOrderRuns, B: p.b, V: 1}
	}
	first := s.main.Put(items[0]).If("attribute_not_exists(pk)")
	if cur != nil {
		items[0].V = cur.V + 1
		first = s.main.Put(items[0]).If("v = ?", cur.V)
	}
	if len(items) == 1 {
		return spanWritten(first.Run(ctx))
	}
	if len(items) <= txItemsMax {
		tx := s.db.WriteTx().Put(first)
		for _, it := range items[1:] {
			tx = tx.Put(s.main.Put(it).If("attribute_not_exists(pk)"))
		}
		return spanWritten(tx.Run(ctx))
	}
	// More spans than a transaction takes (a run cut from a whole
	// column's postings): the new ones first, then this one. Until it is
	// written, its runs past the next span's start are stale, and
	// OrderRuns reads each span only up to the next one's start.
	for start := 1; start < len(items); start += txItemsMax {
		tx := s.db.WriteTx()
		for _, it := range items[start:min(start+txItemsMax, len(items))] {
			tx = tx.Put(s.main.Put(it).If("attribute_not_exists(pk)"))
		}
		if err := spanWritten(tx.Run(ctx)); err != nil {
			return err
		}
	}
	return spanWritten(first.Run(ctx))
}

// txItemsMax is DynamoDB's limit of items a transaction writes (var:
// tests lower it).
var txItemsMax = 100

// spanWritten maps a lost race to errPostingRace.
func spanWritten(err error) error {
	var tce *types.TransactionCanceledException
	if dynamo.IsCondCheckFailed(err) || txConflict(err) || errors.As(err, &tce) {
		return errPostingRace
	}
	return translate("write order runs", err)
}

// span is a span's runs and their bytes as stored.
type span struct {
	runs []grievance.OrderRun
	b    []byte
}

// splitSpan cuts runs into spans of at most spanRuns runs, spanRaw bytes
// and spanBytes deflated (a run larger than that alone): as few as hold
// them at three quarters full (a split must not be followed at once by
// another, and a whole column cut at once must not make half-empty
// spans), in equal numbers of runs.
func splitSpan(runs []grievance.OrderRun) ([]span, error) {
	raw, err := encodeRuns(runs)
	if err != nil {
		return nil, err
	}
	b := deflated(raw)
	if len(runs) <= 1 || len(runs) <= spanRuns && len(raw) <= spanRaw && len(b) <= spanBytes {
		return []span{{runs, b}}, nil
	}
	parts := max(ceilDiv(len(runs)*4, spanRuns*3), ceilDiv(len(raw)*4, spanRaw*3), ceilDiv(len(b)*4, spanBytes*3), 2)
	parts = min(parts, len(runs))
	var out []span
	for i := range parts {
		part := runs[i*len(runs)/parts : (i+1)*len(runs)/parts]
		// Runs vary in size: a part still too large is cut again.
		more, err := splitSpan(part)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// nextSpan returns the gram the span after sk starts at ("" when it is
// the last).
func (s *Store) nextSpan(ctx context.Context, field, sk string) (string, error) {
	var items []runsItem
	_, err := s.main.Get(AttrPK, prefixOrderRun+field).Range(AttrSK, dynamo.Greater, sk).
		SearchLimit(1).Consistent(true).AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return "", translate("find order run", err)
	}
	if len(items) == 0 {
		return "", nil
	}
	return strings.TrimPrefix(items[0].SK, "r"), nil
}

// cutRun returns the runs the order postings' groups from gram from up
// to hi ("": the column's end) make, of about runFill tickets each, the
// first starting at from, each ranked (rankRun).
func (s *Store) cutRun(ctx context.Context, field, from, hi string) ([]grievance.OrderRun, error) {
	groups, err := s.readGroups(ctx, field, from, hi)
	if err != nil {
		return nil, err
	}
	out := []grievance.OrderRun{{From: from}}
	var mine [][]orderGroup // each run's groups
	mine = append(mine, nil)
	for _, g := range groups {
		last := &out[len(out)-1]
		// A group of more than a run of several holds starts its own run
		// (its From its gram, so that a list knows its tickets tie, and
		// reads just its range of the postings when it lists none).
		alone := len(g.seqs) > runMembers
		if len(last.Seqs) > 0 && (alone || len(last.Seqs)+len(g.seqs) > runFill) || alone && last.From != g.gram {
			out = append(out, grievance.OrderRun{From: g.gram})
			mine = append(mine, nil)
			last = &out[len(out)-1]
		}
		last.Seqs = append(last.Seqs, g.seqs...)
		mine[len(mine)-1] = append(mine[len(mine)-1], g)
	}
	for i := range out {
		slices.Sort(out[i].Seqs)
		rankRun(&out[i], mine[i])
	}
	return out, nil
}

// orderGroup is one group of the order postings: its gram and its
// members, ascending.
type orderGroup struct {
	gram string
	seqs []int64
}

// readGroups reads field's order postings from gram from up to hi ("":
// the column's end), consistently: the groups in the column's order.
func (s *Store) readGroups(ctx context.Context, field, from, hi string) ([]orderGroup, error) {
	var items []dynamo.Item
	if err := rangeOf(s.main.Get(AttrPK, prefixOrder+field), from, hi).Consistent(true).All(ctx, &items); err != nil {
		return nil, translate("read order postings", err)
	}
	var out []orderGroup
	for _, item := range items {
		g, blocks, err := orderItemOf(item)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].gram != g {
			out = append(out, orderGroup{gram: g})
		}
		last := &out[len(out)-1]
		for _, blk := range slices.Sorted(maps.Keys(blocks)) {
			last.seqs = appendMembers(last.seqs, blk, blocks[blk])
		}
	}
	for i := range out {
		slices.Sort(out[i].seqs)
		out[i].seqs = slices.Compact(out[i].seqs)
	}
	return out, nil
}

// rankRun sets r's ranks from the groups of its range (in the column's
// order): each member's group's place among those holding a member, as
// its part of the run (grievance.RunPart). None where a member is in no group (it moved since:
// the operation taking it out of the run is still to come), or where one
// group holds every member (they tie: nothing to rank).
func rankRun(r *grievance.OrderRun, groups []orderGroup) {
	r.Ranks = nil
	if r.Group != "" || len(r.Seqs) < 2 {
		return
	}
	place := make(map[int64]int, len(r.Seqs))
	rank := 0
	for _, g := range groups {
		held := false
		for _, n := range g.seqs {
			if _, ok := slices.BinarySearch(r.Seqs, n); ok {
				place[n], held = rank, true
			}
		}
		if held {
			rank++
		}
	}
	if rank < 2 || len(place) != len(r.Seqs) {
		return
	}
	r.Ranks = make([]uint8, len(r.Seqs))
	for i, n := range r.Seqs {
		r.Ranks[i] = grievance.RunPart(place[n], rank)
	}
}

// appendMembers appends the ticket numbers of block blk's members.
func appendMembers(out []int64, blk int64, b *block) []int64 {
	for wi, w := range b {
		for w != 0 {
			bit := bits.TrailingZeros64(w)
			w &^= 1 << uint(bit)
			out = append(out, blk<<blockBits+int64(wi<<6+bit))
		}
	}
	return out
}

// rebuildRuns puts every ticket of the order postings of
// grievance.OrderRunFields in a run (the backfill's text pass, for a
// table whose postings were written before the runs existed): the
// postings are read in the column's order, a page at a time, and each
// page's tickets added as the consumer adds them, so it is safe beside
// it; then ranks the runs written before their ranks (rankSpans). It
// returns the requests made reading the postings and the spans.
func (s *Store) rebuildRuns(ctx context.Context) (int, error) {
	requests := 0
	for _, f := range grievance.OrderRunFields {
		var key dynamo.PagingKey
		for {
			var items []dynamo.Item
			next, err := s.main.Get(AttrPK, prefixOrder+f).SearchLimit(1000).StartFrom(key).AllWithLastEvaluatedKey(ctx, &items)
			requests++
			if err != nil {
				return requests, translate("read order postings", err)
			}
			var ops []runOp
			for _, item := range items {
				g, blocks, err := orderItemOf(item)
				if err != nil {
					return requests, err
				}
				for _, blk := range slices.Sorted(maps.Keys(blocks)) {
					for _, n := range appendMembers(nil, blk, blocks[blk]) {
						ops = append(ops, runOp{gram: g, seq: n, add: true})
					}
				}
			}
			if err := s.applyRuns(ctx, f, ops); err != nil {
				return requests, err
			}
			if next == nil {
				break
			}
			key = next
		}
		n, err := s.rankSpans(ctx, f)
		if requests += n; err != nil {
			return requests, err
		}
	}
	return requests, nil
}

// rankSpans ranks every run of several values of field that has no
// ranks (a table indexed before them: the backfill's text pass from the
// start, after rebuildRuns), span by span, as a consumer's write does
// (writeSpan: on condition of the span's version, looked up again when
// changed meanwhile). It returns the requests made reading the spans.
func (s *Store) rankSpans(ctx context.Context, field string) (int, error) {
	var items []runsItem
	if err := s.main.Get(AttrPK, prefixOrderRun+field).Consistent(true).All(ctx, &items); err != nil {
		return 1, translate("read order runs", err)
	}
	var ops []runOp
	for _, it := range items {
		ops = append(ops, runOp{gram: strings.TrimPrefix(it.SK, "r"), rank: true})
	}
	return 1, s.applyRuns(ctx, field, ops)
}

// widenRuns is the widening pass's part for the order runs: the wide
// spans hold only what the consumer changed since this code ran, so
// every ticket of the order postings is put in them (as the text pass
// does), then the narrow spans are deleted. It returns the narrow spans
// found (dry: only counted) and the requests made.
func (s *Store) widenRuns(ctx context.Context, dry bool) (spans, requests int, err error) {
	if !dry {
		if requests, err = s.rebuildRuns(ctx); err != nil {
			return 0, requests, fmt.Errorf("order runs: %w", err)
		}
	}
	for _, f := range grievance.OrderRunFields {
		var items []runsItem
		err := s.main.Get(AttrPK, prefixNarrowRun+f).Consistent(true).All(ctx, &items)
		requests++
		if err != nil {
			return spans, requests, translate("read narrow spans", err)
		}
		spans += len(items)
		for _, it := range items {
			if dry {
				continue
			}
			requests++
			if err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).Run(ctx); err != nil {
				return spans, requests, translate("delete a narrow span", err)
			}
		}
	}
	return spans, requests, nil
}
