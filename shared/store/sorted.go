package store

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// A sort index key is the column's value, a separator and the ticket
// number counted down, so that an ascending read gives the value ascending
// and equal values newest first, as the list orders them.
const (
	sortSep     = "\x01" // below every printable character: "ab" sorts before "ab c"
	seqTop      = 999_999_999_999
	sortTailLen = len(sortSep) + 12
	// maxSortValue keeps a key within DynamoDB's 1,024 bytes; longer
	// values tie on their first maxSortValue bytes (then newest first).
	maxSortValue = 1000
	// maxFetch bounds the tickets a narrow index's read fetches in one
	// go (BatchGetItem takes 100 keys; larger sets go out in parallel).
	maxFetch = 400
)

func sortKey(value string, seq int64) string {
	return sortPrefix(value) + sortSep + seqKey(seqTop-seq)
}

// sortPrefix is the part of value a sort index key holds.
func sortPrefix(value string) string {
	if len(value) > maxSortValue {
		value = value[:maxSortValue]
		for !utf8.ValidString(value) {
			value = value[:len(value)-1]
		}
	}
	return value
}

// sortValueOf returns the value part of a sort index key.
func sortValueOf(item dynamo.Item, skAttr string) string {
	k := attrKey(skAttr)(item)
	if len(k) < sortTailLen {
		return k
	}
	return k[:len(k)-sortTailLen]
}

// sortTail orders items of a sort index by their counted-down ticket
// number alone: newest first ascending, across values.
func sortTail(skAttr string) func(dynamo.Item) string {
	return func(item dynamo.Item) string {
		k := attrKey(skAttr)(item)
		return k[max(0, len(k)-12):]
	}
}

// topRuns remembers, per sort index, a run of one value a descending
// read from the top will need, and how many items the runs above it
// held: the next such read fetches that run newest first beside a first
// request sized to reach it, instead of after it. A plain read (every
// item kept) remembers the run its page ended in when the page left some
// of that run's items unused: a run longer than the page (priority, an
// empty due date), or a short one (a programme of many officers, a score
// of tickets each), whose oldest tickets came first and whose newest the
// page wanted, so that it had to be read whole. A read within a range
// remembers its first long run. A wrong guess costs one small read,
// never a wrong row (the guess is used only when the main read reaches
// that value).
type topRuns struct{ m sync.Map }

// topRun is a remembered run: its value and the items above it.
type topRun struct {
	value string
	above int
}

func (t *topRuns) get(index string) (topRun, bool) {
	v, ok := t.m.Load(index)
	if !ok {
		return topRun{}, false
	}
	return v.(topRun), true
}

// scanSorted reads a RangeSorted range. Ascending, the index order is the
// list order. Descending, the index gives equal values oldest first: each
// run of one value is reversed once complete, and a run longer than the
// page is read on its own, newest first (ascending within its value), so
// a page reads about twice its rows however many tickets share a value
// (about once, when the run it needs was guessed: topRuns). Items outside
// r.Within are skipped as read, and reads are sized by the share of the
// index Within holds; a narrow index's tickets are then fetched, a batch
// at a time.
func (s *Store) scanSorted(ctx context.Context, r grievance.TicketRange, emit func(dynamo.Item) (bool, error)) error {
	index, pk := sortIndexes[r.SortBy], listLive
	if st, ok := oneStatus(r); ok && r.SortBy == "due_date" {
		// The status's own partition of the due dates: within it, only
		// the other filters' share is skipped.
		index, pk = IndexStatusDue, prefixStatusDue+st
		if r.Within.By == grievance.RangeStatus {
			r.Within, r.Share = nil, 0
		}
	}
	pkAttr, skAttr := indexAttrs(index)
	all := func() *dynamo.Query { return s.main.Get(pkAttr, pk).Index(index) }
	if len(r.Keys) > 0 {
		// Values: their keys count the ticket number down, so newest
		// first is ascending within each, and the values' runs merge by
		// that count.
		ps := make([]*pager, 0, len(r.Keys))
		for _, v := range r.Keys {
			lo, hi := sortKey(v, seqTop), sortKey(v, 0)
			switch {
			case r.After > 0 && r.Descending:
				lo = sortKey(v, r.After-1)
			case r.After > 0:
				hi = sortKey(v, r.After+1)
			}
			ps = append(ps, newPager(all().Range(skAttr, dynamo.Between, lo, hi), !r.Descending).firstPage(r.PageHint))
		}
		return mergeBy(ctx, ps, sortTail(skAttr), !r.Descending, emit)
	}
	limit := max(r.PageHint, 1)
	out := &sortedOut{s: s, ctx: ctx, within: r.Within, share: r.Share, fetch: !projectsAll(index), want: limit, size: limit, emit: emit}
	var from *sortFrom
	if r.After > 0 {
		from = &sortFrom{value: sortPrefix(r.AfterValue), seq: r.After}
	}
	err := s.walkSorted(ctx, index, index+"#"+pk, all, r.Descending, limit, from, out)
	if errors.Is(err, errStop) || out.stopped {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = out.flush()
	return err
}

// oneStatus returns the status r's Within holds, when it holds just one.
func oneStatus(r grievance.TicketRange) (string, bool) {
	if r.Within == nil || len(r.Keys) > 0 {
		return "", false
	}
	switch w := r.Within; {
	case w.By == grievance.RangeStatus && len(w.Keys) == 1:
		return w.Keys[0], true
	case w.By == grievance.RangeCategory && len(w.Statuses) == 1:
		return w.Statuses[0], true
	}
	return "", false
}

// sortFrom is a keyset start in a sort index: the row (value, seq) the
// previous page ended with.
type sortFrom struct {
	value string
	seq   int64
}

// walkSorted passes the items of a partition of a sort index to out in
// list order, from the top or after from; tk names the partition's top
// run (topRuns).
func (s *Store) walkSorted(ctx context.Context, index, tk string, all func() *dynamo.Query, desc bool, limit int, from *sortFrom, out *sortedOut) error {
	_, skAttr := indexAttrs(index)
	if !desc {
		q := all()
		if from != nil {
			// Ascending, the index order is the list order.
			q = q.Range(skAttr, dynamo.Greater, sortKey(from.value, from.seq))
		}
		p := out.watch(newPager(q, false).firstPage(out.indexPage(limit)), nil)
		return mergePages(ctx, []*pager{p}, skAttr, false, out.add)
	}
	// The main read finds the runs of values from the top. One item more
	// than the page tells whether the page's last run is complete
	// without a second read; with the top run guessed, one item confirms
	// the guess. Its later pages are sized for what is still wanted.
	mainSize := func(int) int { return max(limit+1, out.indexPage(out.need())) }
	mainFrom := func(q *dynamo.Query, first int) *pager {
		return out.watch(newPager(q, true).firstPage(first).steady(), mainSize)
	}
	runOf := func(v string) *pager {
		return out.watch(newPager(all().Range(skAttr, dynamo.BeginsWith, v+sortSep), false).firstPage(out.indexPage(limit)), nil)
	}
	// The runs' memories are of reads from the top; a read from a cursor
	// neither uses nor changes them.
	fromTop := from == nil
	guess, guessed := s.tops.get(tk)
	guessed = guessed && fromTop
	// A read within a range skips items as it goes: the run its page
	// ended in says little of the next read's.
	plain := !out.narrowed() && fromTop
	var main *pager
	if fromTop {
		main = mainFrom(all(), limit+1)
	} else {
		// The cursor's value's older tickets first (ascending within a
		// value is newest first), read beside the values below it.
		main = mainFrom(all().Range(skAttr, dynamo.Less, from.value+sortSep), limit+1)
		rest := out.watch(newPager(all().Range(skAttr, dynamo.Between, sortKey(from.value, from.seq-1), sortKey(from.value, 0)), false).firstPage(out.indexPage(limit)), nil)
		if err := prefetch(ctx, main, rest); err != nil {
			return err
		}
		stopped := false
		err := mergePages(ctx, []*pager{rest}, skAttr, false, func(item dynamo.Item) (bool, error) {
			more, err := out.add(item)
			stopped = !more
			return more, err
		})
		if err != nil || stopped {
			return err
		}
	}
	var spec *pager
	if guessed {
		// The runs above the guessed one, and its first item to confirm
		// it; of the guessed run, what the page wants of it (a plain
		// read's rows are its items).
		main.firstPage(guess.above + 1)
		size := out.indexPage(limit)
		if plain {
			size = max(limit-guess.above, 1)
		}
		spec = runOf(guess.value).firstPage(size)
		if err := prefetch(ctx, main, spec); err != nil {
			return err
		}
	}
	// taken counts the items of the short runs above the first long one;
	// replaced, that a long run other than the guessed one came first and
	// is now the guess (a read within a range). depth counts the items of
	// the runs read whole from the top, and end is the run a plain read's
	// page ended in, with items left over.
	taken, sawLong, replaced, depth := 0, false, false, 0
	var end *topRun
	defer func() {
		switch {
		case plain && end != nil:
			s.tops.m.Store(tk, *end)
		case plain, spec != nil && !replaced:
			s.tops.m.Delete(tk) // a page of runs read whole, or a guess not reached
		}
	}()
	for {
		item, err := main.peek(ctx)
		if err != nil || item == nil {
			return err
		}
		v := sortValueOf(item, skAttr)
		one, guessedRun := spec, spec != nil && v == guess.value
		if guessedRun {
			spec, sawLong = nil, true
			if !replaced && taken != guess.above { // short runs above it came or went
				s.tops.m.Store(tk, topRun{value: v, above: taken})
			}
		} else {
			// The run of v, up to one item more than the page: peeking
			// past that would read a page nobody needs.
			var run []dynamo.Item
			for len(run) <= limit {
				if item, err = main.peek(ctx); err != nil {
					return err
				}
				if item == nil || sortValueOf(item, skAttr) != v {
					break
				}
				run = append(run, item)
				main.pop()
			}
			if len(run) <= limit {
				if !sawLong {
					taken += len(run)
				}
				for i := len(run) - 1; i >= 0; i-- {
					if more, err := out.add(run[i]); err != nil || !more {
						if err == nil && i > 0 { // its older tickets, read for nothing
							end = &topRun{value: v, above: depth}
						}
						return err
					}
				}
				depth += len(run)
				continue
			}
			// Remember the first long run only: a short run is read
			// with the first request.
			if !sawLong && fromTop {
				s.tops.m.Store(tk, topRun{value: v, above: taken})
				replaced = guessed
			}
			sawLong = true
			one = runOf(v)
		}
		stopped, n := false, 0
		err = mergePages(ctx, []*pager{one}, skAttr, false, func(item dynamo.Item) (bool, error) {
			if sortValueOf(item, skAttr) != v {
				return true, nil
			}
			n++
			more, err := out.add(item)
			stopped = !more
			return more, err
		})
		if stopped {
			end = &topRun{value: v, above: depth}
		}
		if err != nil || stopped {
			return err
		}
		if guessedRun && n <= limit && !replaced {
			s.tops.m.Delete(tk) // the guessed run has become short
		}
		depth += n
		main = mainFrom(all().Range(skAttr, dynamo.Less, v+sortSep), limit+1)
	}
}

// sortedOut takes a sort index's items in list order: it drops those
// outside the list's key range and, for a narrow index, holds the rest
// back until a batch of them is fetched (the batch grows like the pages).
// It sizes the reads of the index by the share of its items it keeps.
type sortedOut struct {
	s      *Store
	ctx    context.Context
	within *grievance.TicketRange
	// keep, when set, says the same of an item as within (a history
	// sort index's, from what it projects).
	keep func(dynamo.Item) (bool, error)
	// fetching, when set, hears each batch before it is fetched.
	fetching func([]dynamo.Item)
	share    float64
	fetch    bool
	// history: the index is a history sort index, whose items are
	// fetched from the History table (several share a partition key).
	history bool
	want    int // rows the reader expects to need
	size    int // the next batch to fetch
	emit    func(dynamo.Item) (bool, error)
	pending []dynamo.Item
	stopped bool
	// offered and kept count the items seen and those in within;
	// emitted, those fetched and passed on.
	offered, kept, emitted int
}

// watch gives p the reader's hooks: hand held-back items on while the
// next page is read (a consumer that needs no more stops the read
// there), and size the next page by size (nil: by what is still wanted).
func (o *sortedOut) watch(p *pager, size func(int) int) *pager {
	if o.fetch {
		p.before = func() error {
			more, err := o.flush()
			if err == nil && !more {
				return errStop
			}
			return err
		}
	}
	if size == nil && o.narrowed() {
		size = func(n int) int {
			if need := o.need(); need > 0 {
				return o.indexPage(need)
			}
			return n
		}
	}
	p.resize = size
	return p
}

// narrowed reports whether items are skipped as read (within or keep).
func (o *sortedOut) narrowed() bool { return o.within != nil || o.keep != nil }

// need is how many more rows the reader is expected to want.
func (o *sortedOut) need() int { return max(o.want-o.kept, 1) }

// indexPage is the read of the index that should hold n items of within:
// n ÷ the share (the caller's estimate, or what the reads so far kept),
// with a fifth more for chance.
func (o *sortedOut) indexPage(n int) int {
	if !o.narrowed() {
		return n
	}
	share := o.share
	if o.offered > 0 && o.kept > 0 {
		share = float64(o.kept) / float64(o.offered)
	}
	if o.offered > 0 && o.kept == 0 {
		share = 1 / float64(4*o.offered) // none yet: at least four times what was read
	}
	if share <= 0 || share >= 1 {
		return n
	}
	return min(maxPageSize, int(math.Ceil(float64(n)/share*1.2))+1)
}

func (o *sortedOut) add(item dynamo.Item) (bool, error) {
	o.offered++
	if o.within != nil && !inRangeItem(*o.within, item) {
		return true, nil
	}
	if o.keep != nil {
		if ok, err := o.keep(item); err != nil || !ok {
			o.stopped = o.stopped || err != nil
			return err == nil, err
		}
	}
	o.kept++
	if !o.fetch {
		more, err := o.emit(item)
		o.stopped = o.stopped || !more
		return more, err
	}
	o.pending = append(o.pending, item)
	if len(o.pending) < o.size {
		return true, nil
	}
	return o.flush()
}

// flush fetches the held-back tickets and passes them on in order; a
// ticket gone meanwhile is skipped (the guard re-checks the others).
func (o *sortedOut) flush() (bool, error) {
	if len(o.pending) == 0 || o.stopped {
		return !o.stopped, nil
	}
	if o.fetching != nil {
		o.fetching(o.pending)
	}
	get, key := o.s.itemsByKey, attrKey(AttrPK)
	if o.history {
		get, key = o.s.versionsByKey, historyItemKey
	}
	items, err := get(o.ctx, o.pending)
	if err != nil {
		return false, err
	}
	pending := o.pending
	o.pending, o.emitted = nil, o.emitted+len(pending)
	if o.emitted < o.want {
		// The reader still wants the rest of its page: fetch the batch
		// as soon as it is there.
		o.size = o.want - o.emitted
	} else {
		o.size = min(max(o.size, o.want)*4, maxFetch)
	}
	for _, k := range pending {
		item, ok := items[key(k)]
		if !ok {
			continue
		}
		more, err := o.emit(item)
		if err != nil || !more {
			o.stopped = true
			return false, err
		}
	}
	return true, nil
}

// itemsByKey reads the base items of index items (eventually consistent,
// as the index read they come from), by partition key, in parallel
// batches of 100.
func (s *Store) itemsByKey(ctx context.Context, keyed []dynamo.Item) (map[string]dynamo.Item, error) {
	keys := make([]dynamo.Keyed, len(keyed))
	for i, k := range keyed {
		keys[i] = dynamo.Keys{attrKey(AttrPK)(k), attrKey(AttrSK)(k)}
	}
	items, err := s.batchGetAll(ctx, keys, false)
	if err != nil {
		return nil, translate("batch get tickets", err)
	}
	out := make(map[string]dynamo.Item, len(keyed))
	for _, item := range items {
		out[attrKey(AttrPK)(item)] = item
	}
	return out, nil
}

// rangeAttrs are the attributes of a ticket that say which key ranges
// it is in: what the narrow sort indexes project (sortProjected).
type rangeAttrs struct {
	Status     string `dynamo:"status"`
	Category   string `dynamo:"category"`
	Priority   string `dynamo:"priority"`
	ReporterID string `dynamo:"reporterId"`
	StaffID    string `dynamo:"attendingStaffId"`
}

// inRangeItem reports whether a live ticket's index item belongs to r.
func inRangeItem(r grievance.TicketRange, item dynamo.Item) bool {
	var a rangeAttrs
	if dynamo.UnmarshalItem(item, &a) != nil {
		return true // the guard decides on the ticket
	}
	switch r.By {
	case grievance.RangeStatus:
		return slices.Contains(r.Keys, a.Status)
	case grievance.RangeCategory:
		return slices.Contains(r.Keys, a.Category) && (len(r.Statuses) == 0 || slices.Contains(r.Statuses, a.Status))
	case grievance.RangeStaff:
		return len(r.Keys) > 0 && a.StaffID == r.Keys[0]
	case grievance.RangeReporter:
		return len(r.Keys) > 0 && a.ReporterID == r.Keys[0]
	case grievance.RangeSorted:
		return r.SortBy != "priority" || len(r.Keys) == 0 || slices.Contains(r.Keys, a.Priority)
	}
	return true
}
