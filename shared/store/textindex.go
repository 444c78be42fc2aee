package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// The text index (grievance/textindex.go says what it holds). Two item
// kinds in the Main table:
//
//   - a posting per field, gram and block of 16,384 ticket numbers: pk
//     SRCH#<field>#<gram>, sk the block (6 digits), `b` the members as a
//     sorted list of 16-bit offsets while there are at most 1,024 of them
//     (tag byte 1), else a 2 KiB bitmap (tag 0), and `v`, its version.
//     Every block of a gram is one partition, so one Query reads a gram
//     and a posting item never exceeds 2 KiB (1 RCU consistent, ≤ 2 WCU);
//   - an order posting per sortable column, group and block: pk
//     ORDER#<column>, sk the group's gram (grievance.OrderKey) and the
//     block, the members as above. One partition per column, in the
//     column's order, so one Query reads the groups from either end;
//   - a reference per ticket, pk SRCHREF#<ticket id>, sk SEARCH: the
//     stream order of the image last indexed, whether it was live and its
//     indexed texts, so the next image is indexed as a difference and a
//     redelivered or older image changes nothing.
//
// The stream consumer (functions/history) is the only writer besides
// ImportTickets and the backfill; consumers of different shards can
// change one posting at once, so every write is conditioned on `v`.
const (
	prefixPosting = "SRCH#"
	prefixOrder   = "ORDER#"
	// The order postings' completeness marker: every live ticket is in
	// them (grievance.OrderIndex.OrderPostingsComplete).
	pkOrdersMarker  = "ORDERMETA"
	skOrdersMarker  = "complete"
	KindMarker      = "marker"
	prefixSearchRef = "SRCHREF#"
	skSearchRef     = "SEARCH"
	KindPosting     = "posting"
	KindSearchRef   = "searchRef"
	blockBits       = 14
	blockSize       = 1 << blockBits
	sparseMax       = 1024
	postingAttempts = 8
	// SearchNotAppliedLog is what the history function logs when the text
	// index could not be brought up to date (its alarm counts it, as for
	// statistics); history is unaffected.
	SearchNotAppliedLog = "text index not updated; history unaffected"
)

type postingItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	B    []byte `dynamo:"b"`
	V    int64  `dynamo:"v"`
	// Upto is a wide item's: the block below which it holds the posting
	// (postingwide.go).
	Upto int64 `dynamo:"upto,omitempty"`
}

type searchRefItem struct {
	PK    string            `dynamo:"pk"`
	SK    string            `dynamo:"sk"`
	Kind  string            `dynamo:"kind"`
	Order int64             `dynamo:"order"`
	Seq   int64             `dynamo:"seq"`
	Live  bool              `dynamo:"live"`
	Texts map[string]string `dynamo:"texts,omitempty"`
	// Values are the exact values indexed (status, category, priority).
	Values map[string]string `dynamo:"values,omitempty"`
	// Orders are the ticket's order posting grams, per column; a
	// reference written before the order postings has none.
	Orders map[string]string `dynamo:"orders,omitempty"`
	// Hist is how many of the ticket's versions held each value of
	// grievance.RowValueFields (keyed field=value), as far as it was
	// indexed (the history rows by value), and under reporter_id=~unchanged
	// how many kept the reporter of the version before (absent from a
	// reference written before that count); HistLost says they are
	// unknown (a version never seen). A reference with neither was
	// written before them.
	Hist     map[string]int `dynamo:"hist,omitempty"`
	HistLost bool           `dynamo:"histLost,omitempty"`
	// LiveTexts are the ticket's values of grievance.LiveIndexedFields,
	// as indexed; LiveVersion is the grievance.LiveTextsVersion they were
	// indexed under (a reference of an earlier one, or of none, is
	// indexed again from the same image by the backfill's text pass).
	// Version 1's flag, "lt", is left unread.
	LiveTexts   map[string]string `dynamo:"ltexts,omitempty"`
	LiveVersion int               `dynamo:"lv,omitempty"`
	// Period is the ticket's SLA period as the column holds it
	// (slaperiods.go; absent: unknown, a reference from before it).
	Period int `dynamo:"pu,omitempty"`
}

// liveTextsMarker is the marker of version v of the live postings: every
// live ticket is in the postings of grievance.LiveIndexedFields as v
// names them. A table keeps the markers of the versions it was indexed
// under, so it answers for the fields they held until the text pass
// writes the latest.
func liveTextsMarker(v int) string {
	if v == 1 { // before the resolution time and the resolved level
		return liveTextsMarkers
	}
	return fmt.Sprintf("%s.v%d", liveTextsMarkers, v)
}

// liveTextsMarkers starts every version's marker, and no other's.
const liveTextsMarkers = "ltexts"

var skLiveTextsMarker = liveTextsMarker(grievance.LiveTextsVersion)

func postingPK(k grievance.PostingKey) string { return prefixPosting + k.Field + "#" + k.Gram }

func blockSK(b int64) string { return fmt.Sprintf("%06d", b) }

var orderFieldPrefix = grievance.OrderField("")

// block is the members of one posting item: offsets 0…16383 as a bitmap.
type block [blockSize / 64]uint64

func (b *block) set(o uint16, member bool) {
	if member {
		b[o>>6] |= 1 << (o & 63)
	} else {
		b[o>>6] &^= 1 << (o & 63)
	}
}

func (b *block) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// encode encodes the block: sorted 16-bit offsets while there are at most
// sparseMax of them, else the bitmap.
func (b *block) encode() []byte {
	if n := b.count(); n <= sparseMax {
		out := make([]byte, 1, 1+2*n)
		out[0] = 1
		for wi, w := range b {
			for w != 0 {
				bit := bits.TrailingZeros64(w)
				w &^= 1 << uint(bit)
				out = binary.BigEndian.AppendUint16(out, uint16(wi<<6+bit))
			}
		}
		return out
	}
	out := make([]byte, 1, 1+blockSize/8)
	for _, w := range b {
		out = binary.LittleEndian.AppendUint64(out, w)
	}
	return out
}

// decodeBlock decodes an encoded block.
func decodeBlock(enc []byte) (*block, error) {
	b := &block{}
	if len(enc) == 0 {
		return b, nil
	}
	switch enc[0] {
	case 1:
		if (len(enc)-1)%2 != 0 {
			return nil, errors.New("posting: odd sparse block")
		}
		for i := 1; i < len(enc); i += 2 {
			b.set(binary.BigEndian.Uint16(enc[i:])&(blockSize-1), true)
		}
		return b, nil
	case 0:
		if len(enc) != 1+blockSize/8 {
			return nil, errors.New("posting: bitmap block of the wrong size")
		}
		for i := range b {
			b[i] = binary.LittleEndian.Uint64(enc[1+8*i:])
		}
		return b, nil
	}
	return nil, fmt.Errorf("posting: unknown block tag %d", enc[0])
}

// Postings implements grievance.TextIndex: one Query per key (every item
// of the gram: its wide items and narrow blocks), all at once.
func (s *Store) Postings(ctx context.Context, keys []grievance.PostingKey) (map[grievance.PostingKey]*grievance.SeqSet, error) {
	out := make(map[grievance.PostingKey]*grievance.SeqSet, len(keys))
	var mu sync.Mutex
	err := parallel(ctx, len(keys), 16, func(ctx context.Context, i int) error {
		k := keys[i]
		set := &grievance.SeqSet{}
		var p postingItem
		it := s.main.Get(AttrPK, postingPK(k)).Iter()
		for it.Next(ctx, &p) {
			_, blocks, err := postingBlocks(p)
			if err != nil {
				return fmt.Errorf("posting %s/%s: %w", p.PK, p.SK, err)
			}
			for n, b := range blocks {
				set.OrWords(int(n)*(blockSize/64), b[:])
			}
			p = postingItem{}
		}
		if err := it.Err(); err != nil {
			return translate("read postings", err)
		}
		mu.Lock()
		out[k] = set
		mu.Unlock()
		return nil
	})
	return out, err
}

// OrderPostingsComplete implements grievance.OrderIndex: the marker is
// written when ticket 1 is first indexed by this code (then every ticket
// is: a fresh table) and by a backfill text pass from the start.
func (s *Store) OrderPostingsComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skOrdersMarker)
}

// LiveTextsIndexed implements grievance.LiveTextIndex: the latest
// version whose marker is written (one Query of the markers of every
// version). The latest's marker is written when ticket 1 is first
// indexed by this code (a fresh table), by an import of ticket 1 and by a
// backfill text pass from the start (which indexes again every ticket
// whose reference predates it).
func (s *Store) LiveTextsIndexed(ctx context.Context) (int, error) {
	var ms []struct {
		SK string `dynamo:"sk"`
	}
	err := s.main.Get(AttrPK, pkOrdersMarker).Range(AttrSK, dynamo.BeginsWith, liveTextsMarkers).All(ctx, &ms)
	if err != nil {
		return 0, translate("read live text markers", err)
	}
	latest := 0
	for _, m := range ms {
		for v := latest + 1; v <= grievance.LiveTextsVersion; v++ {
			if m.SK == liveTextsMarker(v) {
				latest = v
			}
		}
	}
	return latest, nil
}

// marked reports whether the text index's marker sk is written.
func (s *Store) marked(ctx context.Context, sk string) (bool, error) {
	err := s.main.Get(AttrPK, pkOrdersMarker).Range(AttrSK, dynamo.Equal, sk).One(ctx, &struct{}{})
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, translate("read marker "+sk, err)
	}
	return true, nil
}

// mark writes the text index's marker sk (once written, never removed).
func (s *Store) mark(ctx context.Context, sk string) error {
	err := s.main.Put(map[string]any{AttrPK: pkOrdersMarker, AttrSK: sk, "kind": KindMarker}).Run(ctx)
	return translate("write marker "+sk, err)
}

// maxOrderPage bounds one request of OrderBuckets.
const maxOrderPage = 10000

// OrderBuckets implements grievance.OrderIndex: one Query of the column's
// partition per call (two when a group's blocks straddle the first
// request's end and no group before it is whole). A group cut by the
// request's end is left for the next call, so every group returned is
// whole.
func (s *Store) OrderBuckets(ctx context.Context, field string, desc bool, after string, limit int) ([]grievance.OrderBucket, string, error) {
	return s.orderBuckets(ctx, field, desc, after, false, limit)
}

// OrderBucketsFrom implements grievance.OrderFromIndex: OrderBuckets from
// the group from on, that group included.
func (s *Store) OrderBucketsFrom(ctx context.Context, field string, desc bool, from string, limit int) ([]grievance.OrderBucket, string, error) {
	return s.orderBuckets(ctx, field, desc, from, true, limit)
}

// orderBuckets reads the groups after the group after, or from it on when
// from is set.
func (s *Store) orderBuckets(ctx context.Context, field string, desc bool, after string, from bool, limit int) ([]grievance.OrderBucket, string, error) {
	q := s.main.Get(AttrPK, prefixOrder+field)
	switch {
	case after != "" && from && desc:
		q = q.Range(AttrSK, dynamo.Less, after+"X")
	case after != "" && from:
		q = q.Range(AttrSK, dynamo.GreaterOrEqual, after)
	case after != "" && desc:
		q = q.Range(AttrSK, dynamo.Less, after)
	case after != "":
		// Past every item of the group: its blocks' digits and its wide
		// items' W are below "X".
		q = q.Range(AttrSK, dynamo.Greater, after+"X")
	}
	// Order items are small, so a request may ask for more of them than
	// the pager's usual pages (DynamoDB stops it at 1 MB).
	p := newPager(q, desc).steady()
	p.size = min(max(limit, 1), maxOrderPage)
	var out []grievance.OrderBucket
	cur := grievance.OrderBucket{}
	for {
		item, err := p.peek(ctx)
		if err != nil {
			return nil, "", err
		}
		if item == nil {
			if cur.Members != nil {
				out = append(out, cur)
			}
			return out, "", nil
		}
		gram, blocks, err := orderItemOf(item)
		if err != nil {
			return nil, "", err
		}
		if gram != cur.Gram && cur.Members != nil {
			out = append(out, cur)
			cur = grievance.OrderBucket{}
		}
		if cur.Members == nil {
			cur = grievance.OrderBucket{Gram: gram, Members: &grievance.SeqSet{}}
		}
		for n, b := range blocks {
			cur.Members.OrWords(int(n)*(blockSize/64), b[:])
		}
		p.pop()
		if len(p.buf) == 0 && !p.done && len(out) > 0 {
			// The request ended, maybe inside the group being read: that
			// group is the next call's.
			return out, out[len(out)-1].Gram, nil
		}
	}
}

// orderItemOf decodes an order posting item: its group's gram and its
// blocks' members (one block, or a wide item's).
func orderItemOf(item dynamo.Item) (gram string, blocks map[int64]*block, err error) {
	var it postingItem
	if err := dynamo.UnmarshalItem(item, &it); err != nil {
		return "", nil, fmt.Errorf("decode order posting: %w", err)
	}
	gram, blocks, err = postingBlocks(it)
	if err == nil && gram == "" {
		err = errors.New("no group")
	}
	if err != nil {
		// The key's group is a sort value's bytes: not in errors (logs).
		return "", nil, fmt.Errorf("order posting of %s: %w", it.PK, err)
	}
	return gram, blocks, nil
}

// LiveTicketsBySeq implements grievance.TextIndex: the numbers are read
// from the live list in ranges cut by their cost (seqRuns: numbers at
// most 2 apart may share one Query, so a dense page is one or two
// requests and a sparse one a Query per number, chosen by the tickets'
// size this container has read, reading at most spare tickets between
// them), all at once.
func (s *Store) LiveTicketsBySeq(ctx context.Context, seqs []int64, spare int) (map[int64]*grievance.Ticket, error) {
	sorted := slices.Clone(seqs)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	runs := seqRuns(sorted, s.liveSize.get(), spare)
	want := map[int64]bool{}
	for _, n := range sorted {
		want[n] = true
	}
	out := make(map[int64]*grievance.Ticket, len(sorted))
	var mu sync.Mutex
	var bytes, items int
	pkAttr, skAttr := indexAttrs(IndexList)
	err := parallel(ctx, len(runs), 16, func(ctx context.Context, i int) error {
		r := runs[i]
		q := s.main.Get(pkAttr, listLive).Index(IndexList)
		if r.lo == r.hi {
			q = q.Range(skAttr, dynamo.Equal, seqKey(r.lo))
		} else {
			q = q.Range(skAttr, dynamo.Between, seqKey(r.lo), seqKey(r.hi))
		}
		it := q.Iter()
		var raw dynamo.Item
		for it.Next(ctx, &raw) {
			var item ticketItem
			if err := dynamo.UnmarshalItem(raw, &item); err != nil {
				return fmt.Errorf("read tickets by number: decode: %w", err)
			}
			t, err := item.ticket()
			if err != nil {
				return err
			}
			mu.Lock()
			bytes, items = bytes+ItemSize(raw), items+1
			if want[t.Seq] {
				out[t.Seq] = t
			}
			mu.Unlock()
			raw = nil
		}
		return translate("read tickets by number", it.Err())
	})
	s.liveSize.learn(bytes, items)
	return out, err
}

// searchState is what the index holds for one ticket.
type searchState struct {
	seq    int64
	live   bool
	texts  map[string]string
	values map[string]string
	orders map[string]string
	// liveTexts are the values of grievance.LiveIndexedFields, as is: their
	// postings are live only (members), never history (content).
	liveTexts map[string]string
	// hist and histLost are the reference's (searchRefItem.Hist).
	hist     map[string]int
	histLost bool
	// period is the ticket's in the SLA periods column.
	period uint16
	// first: the image is the ticket's first version (its filed
	// postings, grievance.FiledKey).
	first bool
}

func searchStateOf(t *grievance.Ticket) searchState {
	st := searchState{seq: t.Seq, live: !t.IsDeleted, texts: map[string]string{}, values: map[string]string{}, first: t.Version == 1}
	for _, f := range grievance.TextIndexedFields {
		if txt := grievance.IndexedText(t, f); txt != "" {
			st.texts[f] = txt
		}
	}
	for _, f := range grievance.ValueIndexedFields {
		if v := grievance.IndexedValue(t, f); v != "" {
			st.values[f] = v
		}
	}
	if st.live {
		st.period = grievance.PeriodOf(t)
	}
	st.liveTexts = map[string]string{}
	for _, f := range grievance.LiveIndexedFields {
		if v := grievance.LiveIndexedValue(t, f); v != "" {
			st.liveTexts[f] = v
		}
	}
	st.orders = make(map[string]string, len(grievance.OrderIndexedFields))
	for _, f := range grievance.OrderIndexedFields {
		st.orders[f] = grievance.OrderKey(f, grievance.SortValue(t, f)).Gram
	}
	return st
}

// members are the postings a state puts the ticket in.
func (st searchState) members() map[grievance.PostingKey]bool {
	out := map[grievance.PostingKey]bool{}
	if !st.live || st.seq <= 0 {
		return out
	}
	out[grievance.PostingKey{Field: grievance.LiveField, Gram: grievance.LiveGram}] = true
	for f, g := range st.orders {
		out[grievance.PostingKey{Field: grievance.OrderField(f), Gram: g}] = true
	}
	for f, v := range st.liveTexts {
		for _, k := range grievance.LiveTextKeys(f, v) {
			out[k] = true
		}
	}
	return st.content(out)
}

// content adds the postings of the state's texts and values to out,
// live or not (the order postings are live only: history lists are in
// number order).
func (st searchState) content(out map[grievance.PostingKey]bool) map[grievance.PostingKey]bool {
	for f, txt := range st.texts {
		for _, g := range grievance.Grams(txt) {
			out[grievance.PostingKey{Field: f, Gram: g}] = true
		}
	}
	for f, v := range st.values {
		out[grievance.ValueKey(f, v)] = true
	}
	return out
}

// blockKey names one posting item.
type blockKey struct {
	key   grievance.PostingKey
	block int64
}

// postingChanges are the members to add and remove, per posting item, as
// a list of operations (most items a batch touches change by a few
// members, so a list costs far less memory than two bitmaps an item).
type postingChanges map[blockKey]*blockChange

// blockChange lists offsets in the order set; the top bit says "member".
type blockChange struct{ ops []uint16 }

const memberBit = 1 << 15

func (pc postingChanges) set(k grievance.PostingKey, seq int64, member bool) {
	bk := blockKey{k, seq >> blockBits}
	c := pc[bk]
	if c == nil {
		c = &blockChange{}
		pc[bk] = c
	}
	o := uint16(seq & (blockSize - 1))
	if member {
		o |= memberBit
	}
	c.ops = append(c.ops, o)
}

// apply returns b changed by the operations, in order (the last one for
// an offset wins).
func (c *blockChange) apply(b *block) block {
	next := *b
	for _, o := range c.ops {
		next.set(o&^memberBit, o&memberBit != 0)
	}
	return next
}

// diff records moving one ticket from old (nil: unknown, so nothing is
// removed) to next. Every member of next is set, not only the new ones:
// after a failed update the postings may lack some, and setting a member
// already there writes nothing.
//
// The history postings only grow: the content the old state did not have
// is added to them (all of it when the old state is unknown).
func (pc postingChanges) diff(old *searchState, next searchState) {
	want := next.members()
	if old != nil {
		for k := range old.members() {
			if !want[k] {
				pc.set(k, old.seq, false)
			}
		}
	}
	for k := range want {
		pc.set(k, next.seq, true)
	}
	if next.seq <= 0 {
		return
	}
	had := map[grievance.PostingKey]bool{}
	if old != nil {
		had = old.content(had)
	} else {
		pc.set(grievance.HistoryAll, next.seq, true)
	}
	for k := range next.content(map[grievance.PostingKey]bool{}) {
		if !had[k] {
			pc.set(grievance.HistoryKey(k), next.seq, true)
		}
	}
	next.filed(pc)
}

// filed adds to pc the filed postings of st when it is a ticket's first
// version (grievance.FiledKey): its values of grievance.FiledFields.
func (st searchState) filed(pc postingChanges) {
	if !st.first || st.seq <= 0 {
		return
	}
	for _, f := range grievance.FiledFields {
		if v := st.values[f]; v != "" {
			pc.set(grievance.FiledKey(grievance.ValueKey(f, v)), st.seq, true)
		}
	}
}

// skFiledMarker: every ticket is in the filed postings (a table indexed
// from ticket 1 by code that writes them, or one a history pass went
// through from the start).
const skFiledMarker = "filed"

// FiledPostingsComplete implements grievance.FiledIndex: the marker is
// written when ticket 1 is first indexed by this code (a fresh table), by
// an import of ticket 1 and at the end of a history pass from the start
// (CompleteHistory), which files every ticket whose first version the
// History table holds.
func (s *Store) FiledPostingsComplete(ctx context.Context) (bool, error) {
	return s.marked(ctx, skFiledMarker)
}

// ApplySearch brings the text index up to date with the ticket changes
// among recs (Main table stream records in stream order; other kinds are
// skipped). The live postings follow a ticket's last image in the batch;
// the history postings get the content of every image of it, since each
// is a version a history list may be asked for. A ticket whose reference
// says it was indexed from its last image or a later one is skipped, so
// redelivery changes nothing.
//
// Requests: one consistent BatchGetItem per 100 tickets (references), one
// per 100 posting items touched, one conditional PutItem or DeleteItem per
// posting item whose members change, and one PutItem per reference.
// Tickets of one batch share posting items, so a batch of new tickets
// costs far less than the sum of their grams.
//
// On failure it returns the first record of the batch and why, and writes
// no reference: the tickets' next changes index them again from their old
// references, setting every member they need.
func (s *Store) ApplySearch(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error) {
	var (
		changes []*searchChange
		byID    = map[string]*searchChange{}
	)
	for _, rec := range recs {
		ch, err := DecodeChange(rec)
		if err != nil {
			break // the history function reports it; index what came before
		}
		if !ch.IsTicket() {
			continue
		}
		c := &searchChange{id: ch.EntityID(), order: 2 * int64(ch.Version())}
		switch {
		case ch.EventName == EventRemove:
			c.order++
			c.state = searchState{seq: ch.OldTicket.Seq}
		default:
			c.state = searchStateOf(ch.Ticket)
		}
		if prev, ok := byID[c.id]; ok {
			older := orderedState{c.order, c.state}
			if c.order > prev.order {
				older = orderedState{prev.order, prev.state}
				prev.order, prev.state = c.order, c.state
			}
			prev.earlier = append(prev.earlier, older)
			continue
		}
		byID[c.id] = c
		changes = append(changes, c)
	}
	if len(changes) == 0 {
		return "", nil
	}
	// In chunks, each finished (postings, then references) before the
	// next starts: a batch of long texts that runs out of time keeps what
	// it finished.
	for start := 0; start < len(changes); {
		end := searchChunkEnd(changes, start)
		if _, err := s.applySearch(ctx, changes[start:end]); err != nil {
			return recs[0].Change.SequenceNumber, fmt.Errorf("index tickets %d to %d of the batch: %w", start+1, end, err)
		}
		start = end
	}
	return "", nil
}

// searchChunkKeys bounds the postings one chunk's tickets belong to, as
// searchState.weight estimates them. Tickets of a chunk share their
// posting items' writes (the live posting, a status's, a common gram's
// are written once a chunk), so a batch of 100 tickets of short texts
// (weighing about 400 each with every live field set) is one chunk, and
// a ticket of the longest texts (a title of 255 characters and a
// description of 10,000: about 31,000) a chunk alone, so a batch that runs out of time keeps what it finished.
// Before session 44 a chunk was 25 tickets whatever their texts: the
// shared items were written 4 times a batch, and 25 of the longest
// tickets weighed 13 times this bound.
const searchChunkKeys = 60000

// searchChunkEnd is where the chunk starting at changes[start] ends: at
// least one ticket, then as many as searchChunkKeys allows.
func searchChunkEnd(changes []*searchChange, start int) int {
	end, w := start+1, changes[start].weight()
	for end < len(changes) {
		if w += changes[end].weight(); w > searchChunkKeys {
			break
		}
		end++
	}
	return end
}

// weight estimates the postings applying c touches: its last image's and
// its earlier images' (their history postings).
func (c *searchChange) weight() int {
	w := c.state.weight()
	for _, e := range c.earlier {
		w += e.state.weight()
	}
	return w
}

// weight estimates the postings st puts a ticket in: three grams a
// character of its texts and live texts (at most: unigrams, bigrams and
// trigrams), a live text's prefixes and whole values, a posting a value
// and an order.
func (st searchState) weight() int {
	w := 2 + len(st.values) + len(st.orders)
	for _, t := range st.texts {
		w += 3 * len(t)
	}
	for _, t := range st.liveTexts {
		w += 4*len(t) + 2
	}
	return w
}

// indexMarkers are the markers of a table whose every ticket was indexed
// by this code: written when ticket 1 is first indexed.
var indexMarkers = append([]string{skOrdersMarker, skDaysMarker, skPeriodsMarker, skDateDaysMarker, skRowsMarker, skWideMarker, skSealMarker, skLiveTextsMarker, skFiledMarker}, runsMarkers()...)

// searchChange is the state a ticket's index entry must reach, from the
// image of that stream order.
type searchChange struct {
	id    string
	order int64
	state searchState
	// earlier are the ticket's other images in the batch: versions whose
	// content the history postings must hold too.
	earlier []orderedState
}

type orderedState struct {
	order int64
	state searchState
}

// historyExtra adds to pc the history postings of the content of c's
// earlier images that neither old nor c's last image holds (those diff
// sets), leaving out images the reference says were indexed already. It
// reports whether it added any.
func (c *searchChange) historyExtra(pc postingChanges, old *searchState, indexed int64) bool {
	had := c.state.content(map[grievance.PostingKey]bool{})
	if old != nil {
		had = old.content(had)
	}
	added := false
	for _, e := range c.earlier {
		if e.order <= indexed || e.state.seq <= 0 {
			continue
		}
		if e.state.first {
			e.state.filed(pc)
			added = true
		}
		for k := range e.state.content(map[grievance.PostingKey]bool{}) {
			if !had[k] {
				had[k] = true
				pc.set(grievance.HistoryKey(k), e.state.seq, true)
				added = true
			}
		}
	}
	return added
}

// applySearch indexes changes: references read, postings set and cleared,
// then the references written where none is newer. It returns how many
// tickets needed posting changes.
func (s *Store) applySearch(ctx context.Context, changes []*searchChange) (int, error) {
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.id
	}
	refs, err := s.searchRefs(ctx, ids)
	if err != nil {
		return 0, err
	}
	pc := postingChanges{}
	rc := runChanges{}
	dc := dayChanges{}
	sp := periodChanges{}
	dd := dateDayChanges{}
	hc := rowChanges{}
	vc := valueRowChanges{}
	var write []searchRefItem
	moved := 0
	first := false // ticket 1 indexed for the first time, by this code
	for _, c := range changes {
		ref, ok := refs[c.id]
		first = first || !ok && c.state.seq == 1
		// A reference from before the order postings or the history rows
		// by value, or at version 1 from before the count of versions
		// that kept the reporter, is done again from the same image (the
		// backfill's text pass), for them.
		if ok && (ref.Order > c.order || ref.Order == c.order && ref.Orders != nil && ref.LiveVersion == grievance.LiveTextsVersion && (ref.Hist != nil || ref.HistLost) && !(ref.Order == 2 && ref.Hist != nil && !unchangedKnown(ref.Hist))) {
			continue
		}
		var old *searchState
		indexed := int64(-1)
		if ok {
			old = &searchState{seq: ref.Seq, live: ref.Live, texts: ref.Texts, values: ref.Values, orders: ref.Orders, hist: ref.Hist, histLost: ref.HistLost, liveTexts: ref.LiveTexts, period: uint16(ref.Period)}
			indexed = ref.Order
		}
		c.state.hist, c.state.histLost = hc.diff(old, indexed, c, vc, pc)
		extra := c.historyExtra(pc, old, indexed)
		if ok {
			if !extra && old.live == c.state.live && old.seq == c.state.seq && maps.Equal(old.texts, c.state.texts) && maps.Equal(old.values, c.state.values) && maps.Equal(old.orders, c.state.orders) && ref.LiveVersion == grievance.LiveTextsVersion && maps.Equal(old.liveTexts, c.state.liveTexts) && old.period == c.state.period {
				// Nothing indexed changed (a comment, a date): only the
				// reference moves on.
				write = append(write, refItem(c.id, c.order, c.state))
				continue
			}
		}
		pc.diff(old, c.state)
		rc.diff(old, c.state)
		dc.diff(old, c.state)
		sp.diff(old, c.state)
		dd.diff(old, c.state)
		moved++
		write = append(write, refItem(c.id, c.order, c.state))
	}
	if err := s.applyPostings(ctx, pc, false); err != nil {
		return 0, err
	}
	// The runs after the postings, which a run cut again is read from.
	if err := rc.apply(ctx, s); err != nil {
		return 0, err
	}
	if err := s.applyDays(ctx, dc, false); err != nil {
		return 0, err
	}
	if err := s.applyPeriods(ctx, sp, false); err != nil {
		return 0, err
	}
	if err := s.applyDateDays(ctx, dd, false); err != nil {
		return 0, err
	}
	if err := s.applyRows(ctx, hc, vc, grievance.MergeHistoryRows, maxCount); err != nil {
		return 0, err
	}
	if first {
		for _, sk := range indexMarkers {
			if err := s.mark(ctx, sk); err != nil {
				return 0, err
			}
		}
	}
	for _, r := range write {
		err := s.main.Put(r).If("attribute_not_exists(pk) OR $ < ? OR ($ = ? AND attribute_not_exists($))", "order", r.Order, "order", r.Order, "orders").Run(ctx)
		if err != nil && !dynamo.IsCondCheckFailed(err) {
			return 0, translate("put search reference", err)
		}
	}
	return moved, nil
}

// IndexTextResult is the outcome of IndexText.
type IndexTextResult struct {
	Tickets, Indexed int
	Cursor           int64
	Requests         int
}

// IndexText puts the live tickets (after o.After, in number order) into the
// text index, for a table whose tickets were stored before it existed:
// pages of o.PageSize through the live list, each indexed as the stream
// consumer indexes a batch, so it is idempotent and safe beside the
// consumer (a reference newer than the page's image wins). Progress and
// -resume work as for Reindex.
func (s *Store) IndexText(ctx context.Context, o BackfillOptions) (IndexTextResult, error) {
	r := IndexTextResult{Cursor: o.After}
	size := o.pageSize()
	for {
		var page []ticketItem
		err := s.main.Get("g1pk", listLive).Index(IndexList).Range("g1sk", dynamo.Greater, seqKey(r.Cursor)).Limit(size).All(ctx, &page)
		r.Requests++
		if err != nil {
			return r, translate("index text: read live list", err)
		}
		changes := make([]*searchChange, 0, len(page))
		for i := range page {
			t, err := page[i].ticket()
			if err != nil {
				return r, err
			}
			changes = append(changes, &searchChange{id: t.ID, order: 2 * int64(t.Version), state: searchStateOf(t)})
			r.Cursor = t.Seq
		}
		r.Tickets += len(page)
		if !o.DryRun && len(changes) > 0 {
			n, err := s.applySearch(ctx, changes)
			if err != nil {
				return r, fmt.Errorf("index text after %d: %w", r.Cursor, err)
			}
			r.Indexed += n
			// The due days still unknown (a table indexed before them):
			// the consumer's are newer than this page's.
			dc := dayChanges{}
			sp := periodChanges{}
			dd := dateDayChanges{}
			hc := rowChanges{}
			for _, c := range changes {
				dc.diff(nil, c.state)
				sp.diff(nil, c.state)
				dd.diff(nil, c.state)
				hc[c.state.seq] = firstSeenRows(int(c.order / 2))
			}
			if err := s.applyDays(ctx, dc, true); err != nil {
				return r, fmt.Errorf("index text after %d: %w", r.Cursor, err)
			}
			if err := s.applyPeriods(ctx, sp, true); err != nil {
				return r, fmt.Errorf("index text after %d: %w", r.Cursor, err)
			}
			if err := s.applyDateDays(ctx, dd, true); err != nil {
				return r, fmt.Errorf("index text after %d: %w", r.Cursor, err)
			}
			// The history rows too (partial: the versions before were
			// never seen), where the consumer has set none. Their counts
			// by value were set by applySearch where it indexed.
			if err := s.applyRows(ctx, hc, nil, fillUnknown, nil); err != nil {
				return r, fmt.Errorf("index text after %d: %w", r.Cursor, err)
			}
		}
		if o.Progress != nil {
			o.Progress(ReindexResult{Cursor: r.Cursor, Tickets: r.Tickets})
		}
		if len(page) < size {
			// A run from the start has put every live ticket in the order
			// postings (a resumed one trusts tickets before its cursor:
			// it does not say so), and then puts them in runs.
			if o.After == 0 && !o.DryRun {
				if err := s.mark(ctx, skOrdersMarker); err != nil {
					return r, err
				}
				n, err := s.rebuildRuns(ctx)
				r.Requests += n
				if err != nil {
					return r, fmt.Errorf("index text: order runs: %w", err)
				}
				for _, sk := range append([]string{skDaysMarker, skPeriodsMarker, skDateDaysMarker, skRowsMarker, skLiveTextsMarker}, runsMarkers()...) {
					if err := s.mark(ctx, sk); err != nil {
						return r, err
					}
				}
				return r, nil
			}
			return r, nil
		}
	}
}

func refItem(id string, order int64, st searchState) searchRefItem {
	return searchRefItem{PK: prefixSearchRef + id, SK: skSearchRef, Kind: KindSearchRef,
		Order: order, Seq: st.seq, Live: st.live, Texts: st.texts, Values: st.values, Orders: st.orders,
		Hist: st.hist, HistLost: st.histLost, LiveTexts: st.liveTexts, LiveVersion: grievance.LiveTextsVersion, Period: int(st.period)}
}

// searchRefs reads the references of ids (consistent).
func (s *Store) searchRefs(ctx context.Context, ids []string) (map[string]searchRefItem, error) {
	keys := uniqueKeys(prefixSearchRef, skSearchRef, ids)
	out := map[string]searchRefItem{}
	var items []searchRefItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("get search references", err)
	}
	for _, it := range items {
		out[it.PK[len(prefixSearchRef):]] = it
	}
	return out, nil
}

// applyPostings reads every posting item pc touches and writes those
// whose members change, each conditioned on the version read; an item
// another writer changed meanwhile is read again and redone. A posting's
// blocks (a gram's, an order posting group's) are written together, in
// block order (postingwide.go: blocks below a wide item's upto are in
// it).
func (s *Store) applyPostings(ctx context.Context, pc postingChanges, alone bool) error {
	parts := map[postingRef]map[int64]*blockChange{}
	var keys []dynamo.Keyed
	for bk, ch := range pc {
		r := refOf(bk.key)
		if parts[r] == nil {
			parts[r] = map[int64]*blockChange{}
		}
		parts[r][bk.block] = ch
		keys = append(keys, dynamo.Keys{r.pk, r.narrowSK(bk.block)})
	}
	got, err := s.readPostingItems(ctx, keys)
	if err != nil {
		return err
	}
	// A narrow block that exists is above its wide item's upto (the
	// rule), so the wide items (up to 16 KiB each) are read only for the
	// blocks without one: new tickets in the newest block need none.
	var wide []dynamo.Keyed
	for r, chs := range parts {
		epochs := map[int64]bool{}
		for b := range chs {
			if _, ok := got[[2]string{r.pk, r.narrowSK(b)}]; !ok && !epochs[epochOf(b)] {
				epochs[epochOf(b)] = true
				wide = append(wide, dynamo.Keys{r.pk, r.wideSK(epochOf(b))})
			}
		}
	}
	if len(wide) > 0 {
		more, err := s.readPostingItems(ctx, wide)
		if err != nil {
			return err
		}
		maps.Copy(got, more)
	}
	postings := slices.SortedFunc(maps.Keys(parts), comparePostingRefs)
	return parallel(ctx, len(postings), 16, func(ctx context.Context, i int) error {
		return s.applyPosting(ctx, postings[i], parts[postings[i]], got, alone)
	})
}

var errPostingRace = errors.New("posting changed meanwhile")

// writePosting writes narrow posting item cur with its members changed
// (deletes it when none remain), conditioned on the version read. A
// posting's item is created by createPosting, never here.
func (s *Store) writePosting(ctx context.Context, cur postingItem, ch *blockChange) error {
	b, err := decodeBlock(cur.B)
	if err != nil {
		// An order posting's key is a sort value's bytes: the partition
		// only (no ticket data in logs).
		return fmt.Errorf("posting of %s: %w", cur.PK, err)
	}
	next := ch.apply(b)
	if next == *b {
		return nil
	}
	if next.count() == 0 {
		return postingWritten(s.main.Delete(AttrPK, cur.PK).Range(AttrSK, cur.SK).If("v = ?", cur.V).Run(ctx))
	}
	it := postingItem{PK: cur.PK, SK: cur.SK, Kind: KindPosting, B: next.encode(), V: cur.V + 1}
	return postingWritten(s.main.Put(it).If("v = ?", cur.V).Run(ctx))
}

// indexTickets puts tickets into the text index as ImportTickets stores
// them (which must not run beside the API): references with one batch
// write, then the postings, so a stream consumer that indexes the same
// images later finds them done.
func (s *Store) indexTickets(ctx context.Context, ts []*grievance.Ticket) error {
	pc := postingChanges{}
	rc := runChanges{}
	dc := dayChanges{}
	sp := periodChanges{}
	dd := dateDayChanges{}
	hc := rowChanges{}
	vc := valueRowChanges{}
	refs := make([]any, 0, len(ts))
	for _, t := range ts {
		st := searchStateOf(t)
		st.hist, st.histLost = firstSeen(hc, vc, &st, t.Version)
		refs = append(refs, refItem(t.ID, 2*int64(t.Version), st))
		pc.diff(nil, st)
		rc.diff(nil, st)
		dc.diff(nil, st)
		sp.diff(nil, st)
		dd.diff(nil, st)
	}
	if _, err := s.main.Batch(AttrPK, AttrSK).Write().Put(refs...).Run(ctx); err != nil {
		return translate("put search references", err)
	}
	if err := s.applyPostings(ctx, pc, true); err != nil {
		return err
	}
	if err := rc.apply(ctx, s); err != nil {
		return err
	}
	if err := s.applyDays(ctx, dc, false); err != nil {
		return err
	}
	if err := s.applyPeriods(ctx, sp, false); err != nil {
		return err
	}
	if err := s.applyDateDays(ctx, dd, false); err != nil {
		return err
	}
	if err := s.applyRows(ctx, hc, vc, set, set); err != nil {
		return err
	}
	if slices.ContainsFunc(ts, func(t *grievance.Ticket) bool { return t.Seq == 1 }) {
		// An import starts a table.
		for _, sk := range indexMarkers {
			if err := s.mark(ctx, sk); err != nil {
				return err
			}
		}
	}
	return nil
}

// The indexes the grievance service asks its store for by assertion: a
// method renamed there must fail here, not turn an index silently off.
var (
	_ grievance.TextIndex       = (*Store)(nil)
	_ grievance.OrderIndex      = (*Store)(nil)
	_ grievance.OrderRunIndex   = (*Store)(nil)
	_ grievance.DueDayIndex     = (*Store)(nil)
	_ grievance.SLAPeriodIndex  = (*Store)(nil)
	_ grievance.DateDayIndex    = (*Store)(nil)
	_ grievance.HistoryRowIndex = (*Store)(nil)
	_ grievance.LiveTextIndex   = (*Store)(nil)
	_ grievance.FiledIndex      = (*Store)(nil)
)
