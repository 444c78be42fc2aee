package store

import (
	"context"
	"errors"
	"strings"

	"github.com/guregu/dynamo/v2"
)

// pager reads one Query page by page. Pages start small, because a list
// page usually needs a few dozen items, and grow for long reads (counts,
// in-memory sorts) so that those take few requests.
type pager struct {
	q      *dynamo.Query
	lek    dynamo.PagingKey
	size   int
	buf    []dynamo.Item
	done   bool
	issued bool
	fixed  bool // pages keep their first size
	// before, when set, runs before every request but the first: a
	// reader that holds items back (to fetch them in one batch) hands
	// them on while the next page is read. errStop from it ends the read.
	before func() error
	// resize, when set, sizes every request but the first from the size
	// the pager would use: a reader that skips items it learns how many
	// it keeps.
	resize func(int) int
}

const (
	firstPageSize = 32
	maxPageSize   = 1000
)

// errStop ends a read early without an error: the consumer has what it
// needs.
var errStop = errors.New("stop")

func newPager(q *dynamo.Query, descending bool) *pager {
	order := dynamo.Ascending
	if descending {
		order = dynamo.Descending
	}
	return &pager{q: q.Order(order), size: firstPageSize}
}

// firstPage sets the size of the first request: what the caller expects
// to need, so a list page of 20 reads 21 items, not 32 (0: the default).
func (p *pager) firstPage(n int) *pager {
	if n > 0 {
		p.size = min(n, maxPageSize)
	}
	return p
}

// steady keeps every page at the first page's size: for reads that stop
// soon after the first page, where a larger second page would be waste.
func (p *pager) steady() *pager {
	p.fixed = true
	return p
}

// peek returns the next item without consuming it, or nil at the end.
func (p *pager) peek(ctx context.Context) (dynamo.Item, error) {
	for len(p.buf) == 0 && !p.done {
		if p.issued && p.resize != nil {
			p.size = p.resize(p.size)
		}
		fetch := p.fetch
		if p.issued && p.before != nil {
			fetch = p.fetchBeside
		}
		if err := fetch(ctx); err != nil {
			return nil, err
		}
	}
	if len(p.buf) == 0 {
		return nil, nil
	}
	return p.buf[0], nil
}

// fetch issues the next request.
func (p *pager) fetch(ctx context.Context) error {
	q := p.q.SearchLimit(p.size)
	if p.lek != nil {
		q = q.StartFrom(p.lek)
	}
	var items []dynamo.Item
	lek, err := q.AllWithLastEvaluatedKey(ctx, &items)
	if err != nil {
		return translate("query", err)
	}
	p.buf, p.lek, p.issued = items, lek, true
	p.done = lek == nil
	if p.size < maxPageSize && !p.fixed {
		p.size *= 4
	}
	return nil
}

// fetchBeside runs before and the next request at the same time: what
// before hands on (a batch of tickets to fetch) and the next page are
// both round trips, and a reader that held items back still needs more
// (else before ends the read with errStop, and the page read is dropped).
func (p *pager) fetchBeside(ctx context.Context) error {
	var fetchErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		fetchErr = p.fetch(ctx)
	}()
	err := p.before()
	<-done
	if err != nil {
		return err
	}
	return fetchErr
}

func (p *pager) pop() { p.buf = p.buf[1:] }

// prefetch issues the next request of every pager that has nothing
// buffered, all at once: a range of several partitions (or a read and its
// speculative companion) costs one round trip, not one per partition.
// Nil pagers are skipped.
func prefetch(ctx context.Context, ps ...*pager) error {
	var todo []*pager
	for _, p := range ps {
		if p != nil && len(p.buf) == 0 && !p.done {
			todo = append(todo, p)
		}
	}
	if len(todo) < 2 {
		return nil // peek issues a lone request where it is needed
	}
	for _, p := range todo {
		if p.issued && p.before != nil {
			if err := p.before(); err != nil {
				return err
			}
		}
		if p.issued && p.resize != nil {
			p.size = p.resize(p.size)
		}
	}
	return parallel(ctx, len(todo), len(todo), func(ctx context.Context, i int) error { return todo[i].fetch(ctx) })
}

// attrKey orders items by a string attribute (an index's sort key).
func attrKey(attr string) func(dynamo.Item) string {
	return func(item dynamo.Item) string {
		var s string
		if av, ok := item[attr]; ok {
			_ = dynamo.Unmarshal(av, &s)
		}
		return s
	}
}

// mergePages yields the items of several pagers in the order of the sort
// key attribute skAttr, until fn says stop.
func mergePages(ctx context.Context, ps []*pager, skAttr string, descending bool, fn func(dynamo.Item) (bool, error)) error {
	return mergeBy(ctx, ps, attrKey(skAttr), descending, fn)
}

// mergeBy yields the items of several pagers in the order of key, until
// fn says stop. Their first requests go out together.
func mergeBy(ctx context.Context, ps []*pager, key func(dynamo.Item) string, descending bool, fn func(dynamo.Item) (bool, error)) error {
	for {
		if len(ps) > 1 {
			if err := prefetch(ctx, ps...); err != nil {
				return err
			}
		}
		var best *pager
		var bestKey string
		for _, p := range ps {
			item, err := p.peek(ctx)
			if err != nil {
				return err
			}
			if item == nil {
				continue
			}
			k := key(item)
			if best == nil || (!descending && strings.Compare(k, bestKey) < 0) || (descending && strings.Compare(k, bestKey) > 0) {
				best, bestKey = p, k
			}
		}
		if best == nil {
			return nil
		}
		item, _ := best.peek(ctx)
		best.pop()
		more, err := fn(item)
		if err != nil || !more {
			return err
		}
	}
}

func lower(s string) string { return strings.ToLower(s) }
