package gql

import (
	"container/list"
	"sync"
)

// docCache is a bounded LRU of prepared documents keyed by the document
// text. Clients send a handful of distinct documents (values are inlined,
// so a few more per filter combination); the bound keeps a stream of unique
// documents from growing memory without limit.
type docCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *cacheEntry
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key string
	doc *document
}

func newDocCache(max int) *docCache {
	return &docCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *docCache) get(key string) (*document, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry).doc, true
}

func (c *docCache) put(key string, d *document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		el.Value.(*cacheEntry).doc = d
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, doc: d})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cacheEntry).key)
	}
}
