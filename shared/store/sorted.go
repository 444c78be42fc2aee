package store

import (
	"context"
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
)

func sortKey(value string, seq int64) string {
	if len(value) > maxSortValue {
		value = value[:maxSortValue]
		for !utf8.ValidString(value) {
			value = value[:len(value)-1]
		}
	}
	return value + sortSep + seqKey(seqTop-seq)
}

// sortValueOf returns the value part of a sort index key.
func sortValueOf(item dynamo.Item, skAttr string) string {
	var k string
	if av, ok := item[skAttr]; ok {
		_ = dynamo.Unmarshal(av, &k)
	}
	if len(k) < sortTailLen {
		return k
	}
	return k[:len(k)-sortTailLen]
}

// scanSorted reads a RangeSorted range. Ascending, the index order is the
// list order. Descending, the index gives equal values oldest first: each
// run of one value is reversed once complete, and a run longer than the
// page is read on its own, newest first (ascending within its value), so
// a page reads about twice its rows however many tickets share a value.
func (s *Store) scanSorted(ctx context.Context, r grievance.TicketRange, emit func(dynamo.Item) (bool, error)) error {
	index := sortIndexes[r.SortBy]
	pkAttr, skAttr := indexAttrs(index)
	all := func() *dynamo.Query { return s.main.Get(pkAttr, listLive).Index(index) }
	if len(r.Keys) > 0 {
		// One value: its keys count the ticket number down, so newest
		// first is ascending.
		v := r.Keys[0]
		lo, hi := sortKey(v, seqTop), sortKey(v, 0)
		switch {
		case r.After > 0 && r.Descending:
			lo = sortKey(v, r.After-1)
		case r.After > 0:
			hi = sortKey(v, r.After+1)
		}
		q := all().Range(skAttr, dynamo.Between, lo, hi)
		return mergePages(ctx, []*pager{newPager(q, !r.Descending).firstPage(r.PageHint)}, skAttr, !r.Descending, emit)
	}
	if !r.Descending {
		return mergePages(ctx, []*pager{newPager(all(), false).firstPage(r.PageHint)}, skAttr, false, emit)
	}
	limit := max(r.PageHint, 1)
	// One item more than the page tells whether the page's last run is
	// complete without a second read.
	main := newPager(all(), true).firstPage(limit + 1).steady()
	for {
		item, err := main.peek(ctx)
		if err != nil || item == nil {
			return err
		}
		v := sortValueOf(item, skAttr)
		// The run of v, up to one item more than the page: peeking past
		// that would read a page nobody needs.
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
			for i := len(run) - 1; i >= 0; i-- {
				if more, err := emit(run[i]); err != nil || !more {
					return err
				}
			}
			continue
		}
		stopped := false
		one := newPager(all().Range(skAttr, dynamo.BeginsWith, v+sortSep), false).firstPage(limit)
		err = mergePages(ctx, []*pager{one}, skAttr, false, func(item dynamo.Item) (bool, error) {
			if sortValueOf(item, skAttr) != v {
				return true, nil
			}
			more, err := emit(item)
			stopped = !more
			return more, err
		})
		if err != nil || stopped {
			return err
		}
		main = newPager(all().Range(skAttr, dynamo.Less, v+sortSep), true).firstPage(limit + 1).steady()
	}
}
