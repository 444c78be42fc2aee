package store

import (
	"context"
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
}

const (
	firstPageSize = 32
	maxPageSize   = 1000
)

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
		q := p.q.SearchLimit(p.size)
		if p.lek != nil {
			q = q.StartFrom(p.lek)
		}
		var items []dynamo.Item
		lek, err := q.AllWithLastEvaluatedKey(ctx, &items)
		if err != nil {
			return nil, translate("query", err)
		}
		p.buf, p.lek, p.issued = items, lek, true
		p.done = lek == nil
		if p.size < maxPageSize && !p.fixed {
			p.size *= 4
		}
	}
	if len(p.buf) == 0 {
		return nil, nil
	}
	return p.buf[0], nil
}

func (p *pager) pop() { p.buf = p.buf[1:] }

// mergePages yields the items of several pagers in the order of the sort
// key attribute skAttr, until fn says stop.
func mergePages(ctx context.Context, ps []*pager, skAttr string, descending bool, fn func(dynamo.Item) (bool, error)) error {
	for {
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
			k := ""
			if av, ok := item[skAttr]; ok {
				var s string
				if err := dynamo.Unmarshal(av, &s); err == nil {
					k = s
				}
			}
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
