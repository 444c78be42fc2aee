package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Sealed postings. A posting (a gram of the text index, or a group of an
// order posting) is one item per block of 16,384 ticket numbers, so a gram
// in most tickets, or a group of many (a version, a staff member), would
// be 7 items at 100,000 tickets and 62 at a million, every one of them
// read by each search that names the gram or passes the group. New tickets
// land in the newest block, so that is where nearly every write goes:
// the older blocks are folded ("sealed") into one wide item per
// wideBlocks blocks, sk <prefix>W<first block>, `b` the blocks deflated, `upto`
// the block below which the wide item holds the posting. A posting is
// then its wide items and, in steady state, one narrow item.
//
// The rule every writer keeps: no narrow item lies below its wide item's
// `upto`. A writer routes a block below `upto` to the wide item (a write
// conditioned on its `v`, like any narrow item's) and keeps the others
// narrow. The fold happens when a writer creates a narrow block (the
// gram's first ticket in that block): it reads the narrow items below it
// and, in one transaction per wide item, writes the wide item with
// `upto` raised over them (conditioned on the `v` it read), deletes them
// (each conditioned on its `v`) and checks that the blocks it found
// absent are still absent. Creating a narrow block, fold or not, is a
// transaction that checks the wide item's `upto` is not above it. So a
// fold and a write of one of its blocks never both succeed on what the
// other changed: whichever DynamoDB orders second fails its condition,
// reads again and is routed anew.
const (
	prefixWide = "W"
	// skSealMarker: every posting, text and order, keeps the rule
	// (SealPostings ran, or the table was indexed by this code from
	// ticket 1). A table marked only `sealed` had its text postings
	// sealed by the code before the order postings were: the pass runs
	// again for those.
	skSealMarker = "sealedOrders"
)

// postingRef names one posting's items: its partition and the prefix of
// their sort keys. A gram of the text index owns its partition (prefix
// ""); an order posting's groups share their column's, each group's items
// under its gram, so a column still reads in order from either end.
type postingRef struct{ pk, pre string }

func refOf(k grievance.PostingKey) postingRef {
	if col, ok := strings.CutPrefix(k.Field, orderFieldPrefix); ok {
		return postingRef{prefixOrder + col, k.Gram}
	}
	return postingRef{postingPK(k), ""}
}

func comparePostingRefs(a, b postingRef) int {
	return cmp.Or(strings.Compare(a.pk, b.pk), strings.Compare(a.pre, b.pre))
}

func (r postingRef) narrowSK(b int64) string { return r.pre + blockSK(b) }

// wideSK is the sort key of the wide item of epoch e (blocks
// e×wideBlocks…): after every narrow block's digits. An order posting's
// group keeps its items together, narrow then wide, because no gram
// starts with another (a gram is hex digits ended by # or ~).
func (r postingRef) wideSK(e int64) string { return r.pre + prefixWide + blockSK(e*wideBlocks) }

// splitPostingSK reads a posting item's sort key: its posting's prefix,
// whether it is a wide item, and its block (a wide item's first).
func splitPostingSK(sk string) (pre string, wide bool, b int64, err error) {
	cut := len(sk) - len(blockSK(0))
	if cut < 0 {
		return "", false, 0, errors.New("bad block")
	}
	b, err = strconv.ParseInt(sk[cut:], 10, 64)
	if err != nil || b < 0 || b > maxBlock {
		return "", false, 0, errors.New("bad block")
	}
	pre = sk[:cut]
	if p, ok := strings.CutSuffix(pre, prefixWide); ok {
		return p, true, b, nil
	}
	return pre, false, b, nil
}

// wideBlocks is how many blocks one wide item holds (var: tests lower
// it). 8 blocks are 131,072 tickets and at most 16 KiB before deflate:
// a change to an older ticket rewrites its postings' wide items, so their
// size is what such a write costs (≤ 16 WCU a posting, as an order runs'
// span), and a fold's transaction stays far below DynamoDB's 100 items (8
// blocks, the wide item and the narrow one created). A posting is then 2
// items up to 131,072 tickets, and one more per 131,072 after.
var wideBlocks int64 = 8

func epochOf(b int64) int64 { return b / wideBlocks }

// maxBlock bounds a block number read from a wide item, so that a corrupt
// one cannot make a reader allocate without end (2^30 blocks are 2^44
// ticket numbers).
const maxBlock = 1 << 30

// encodeWide encodes a wide item's blocks: per block with members, in
// order, its number and length (uvarints) and its encoding, deflated.
func encodeWidePosting(blocks map[int64]*block) []byte {
	var raw []byte
	for _, b := range slices.Sorted(maps.Keys(blocks)) {
		if blocks[b].count() == 0 {
			continue
		}
		enc := blocks[b].encode()
		raw = binary.AppendUvarint(raw, uint64(b))
		raw = binary.AppendUvarint(raw, uint64(len(enc)))
		raw = append(raw, enc...)
	}
	return deflated(raw)
}

// decodeWidePosting reverses encodeWidePosting.
func decodeWidePosting(enc []byte) (map[int64]*block, error) {
	out := map[int64]*block{}
	raw, err := inflated(enc, int(wideBlocks)*(2*binary.MaxVarintLen64+1+blockSize/8))
	if err != nil {
		return nil, fmt.Errorf("wide posting: %w", err)
	}
	for len(raw) > 0 {
		b, n := binary.Uvarint(raw)
		if n <= 0 || b > maxBlock {
			return nil, errors.New("wide posting: bad block number")
		}
		raw = raw[n:]
		size, n := binary.Uvarint(raw)
		if n <= 0 || size > uint64(len(raw)-n) {
			return nil, errors.New("wide posting: bad block length")
		}
		raw = raw[n:]
		if _, dup := out[int64(b)]; dup {
			return nil, errors.New("wide posting: block twice")
		}
		if out[int64(b)], err = decodeBlock(raw[:size]); err != nil {
			return nil, fmt.Errorf("wide posting: %w", err)
		}
		raw = raw[size:]
	}
	return out, nil
}

// postingBlocks decodes any posting item: a narrow item's block or a wide
// item's blocks, with the prefix of its sort key (an order posting's
// group).
func postingBlocks(p postingItem) (pre string, blocks map[int64]*block, err error) {
	pre, wide, n, err := splitPostingSK(p.SK)
	if err != nil {
		return "", nil, err
	}
	if wide {
		blocks, err = decodeWidePosting(p.B)
		return pre, blocks, err
	}
	b, err := decodeBlock(p.B)
	if err != nil {
		return "", nil, err
	}
	return pre, map[int64]*block{n: b}, nil
}

// partState is one posting's items as a writer read them: the narrow ones
// of the blocks it changes, and the wide ones of their epochs.
type partState struct {
	narrow map[int64]postingItem
	wide   map[int64]postingItem
}

// partKeys are the keys of the items a change of blocks bs of posting r
// reads.
func partKeys(r postingRef, bs []int64) []dynamo.Keyed {
	var keys []dynamo.Keyed
	epochs := map[int64]bool{}
	for _, b := range bs {
		keys = append(keys, dynamo.Keys{r.pk, r.narrowSK(b)})
		if e := epochOf(b); !epochs[e] {
			epochs[e] = true
			keys = append(keys, dynamo.Keys{r.pk, r.wideSK(e)})
		}
	}
	return keys
}

// partStateOf picks posting r's items from got (items by pk and sk).
func partStateOf(r postingRef, bs []int64, got map[[2]string]postingItem) partState {
	st := partState{narrow: map[int64]postingItem{}, wide: map[int64]postingItem{}}
	for _, b := range bs {
		if it, ok := got[[2]string{r.pk, r.narrowSK(b)}]; ok {
			st.narrow[b] = it
		}
		e := epochOf(b)
		if it, ok := got[[2]string{r.pk, r.wideSK(e)}]; ok {
			st.wide[e] = it
		}
	}
	return st
}

// readPostingItems reads items by key (consistent), by pk and sk.
func (s *Store) readPostingItems(ctx context.Context, keys []dynamo.Keyed) (map[[2]string]postingItem, error) {
	items, err := s.batchGetAll(ctx, keys, true)
	if err != nil {
		return nil, translate("get postings", err)
	}
	out := make(map[[2]string]postingItem, len(items))
	for _, item := range items {
		var it postingItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return nil, fmt.Errorf("decode posting: %w", err)
		}
		out[[2]string{it.PK, it.SK}] = it
	}
	return out, nil
}

// applyPosting changes posting r's blocks by chs, from the items read
// in got, reading them again and redoing what is left after a lost race.
// alone says no other writer runs (the imports, which must not run beside
// the API): a fold and a creation are then plain conditional writes
// rather than transactions, half their write units.
func (s *Store) applyPosting(ctx context.Context, r postingRef, chs map[int64]*blockChange, got map[[2]string]postingItem, alone bool) error {
	bs := slices.Sorted(maps.Keys(chs))
	st := partStateOf(r, bs, got)
	return untilWritten(ctx, func() error { return s.tryPosting(ctx, r, bs, chs, st, alone) }, func() error {
		again, err := s.readPostingItems(ctx, partKeys(r, bs))
		st = partStateOf(r, bs, again)
		return err
	})
}

// untilWritten runs write until it succeeds, calling reread after each
// lost race (errPostingRace) to read again what it writes from, up to
// postingAttempts times with a pause between.
func untilWritten(ctx context.Context, write, reread func() error) error {
	for attempt := 1; ; attempt++ {
		err := write()
		if err == nil {
			return nil
		}
		if !errors.Is(err, errPostingRace) || attempt >= postingAttempts {
			return err
		}
		if err := pause(ctx, attempt, 5*time.Millisecond); err != nil {
			return err
		}
		if err := reread(); err != nil {
			return err
		}
	}
}

// tryPosting writes the blocks' changes once, routed by st: to the wide
// item below its `upto`, else to the narrow item, created (and the blocks
// below folded) where there is none. A change already written is found
// done on a second try (members are set, not toggled).
func (s *Store) tryPosting(ctx context.Context, r postingRef, bs []int64, chs map[int64]*blockChange, st partState, alone bool) error {
	if s.postingRead != nil {
		s.postingRead("state")
	}
	toWide := map[int64][]int64{}
	var create []int64
	for _, b := range bs {
		e := epochOf(b)
		if w, ok := st.wide[e]; ok && b < w.Upto {
			toWide[e] = append(toWide[e], b)
			continue
		}
		if cur, ok := st.narrow[b]; ok {
			if err := s.writePosting(ctx, cur, chs[b]); err != nil {
				return err
			}
			continue
		}
		if next := chs[b].apply(&block{}); next.count() > 0 {
			create = append(create, b)
		}
	}
	for _, e := range slices.Sorted(maps.Keys(toWide)) {
		if err := s.writeWide(ctx, st.wide[e], toWide[e], chs); err != nil {
			return err
		}
	}
	if alone && len(create) > 1 {
		// An import creates a posting's blocks at once: the lower ones go
		// straight into the wide items, with one fold below the highest.
		lower := map[int64]*block{}
		for _, b := range create[:len(create)-1] {
			next := chs[b].apply(&block{})
			lower[b] = &next
		}
		top := create[len(create)-1]
		return s.createPosting(ctx, r, top, chs[top], true, lower)
	}
	for _, b := range create {
		if err := s.createPosting(ctx, r, b, chs[b], alone, nil); err != nil {
			return err
		}
	}
	return nil
}

// writeWide writes wide item w with blocks bs changed, conditioned on the
// version read.
func (s *Store) writeWide(ctx context.Context, w postingItem, bs []int64, chs map[int64]*blockChange) error {
	blocks, err := decodeWidePosting(w.B)
	if err != nil {
		return fmt.Errorf("posting of %s: %w", w.PK, err)
	}
	changed := false
	for _, b := range bs {
		cur := blocks[b]
		if cur == nil {
			cur = &block{}
		}
		next := chs[b].apply(cur)
		if next == *cur {
			continue
		}
		changed = true
		blocks[b] = &next
	}
	if !changed {
		return nil
	}
	next := w
	next.B, next.V = encodeWidePosting(blocks), w.V+1
	return postingWritten(s.main.Put(next).If("v = ?", w.V).Run(ctx))
}

// createPosting creates posting r's narrow block b with its change's members, first
// folding every narrow block below it into its wide item, in a
// transaction that checks no wide item has come to hold b (alone: no
// other writer, so plain conditional writes). lower are blocks below b a
// lone writer creates at once: they are folded with the rest.
func (s *Store) createPosting(ctx context.Context, r postingRef, b int64, ch *blockChange, alone bool, lower map[int64]*block) error {
	next := ch.apply(&block{})
	item := postingItem{PK: r.pk, SK: r.narrowSK(b), Kind: KindPosting, B: next.encode(), V: 1}
	done, _, err := s.foldBelow(ctx, r, b, &item, alone, lower)
	if err != nil || done {
		return err
	}
	if alone {
		return postingWritten(s.main.Put(item).If("attribute_not_exists(pk)").Run(ctx))
	}
	tx := s.db.WriteTx().
		Check(s.main.Check(AttrPK, r.pk).Range(AttrSK, r.wideSK(epochOf(b))).If("attribute_not_exists(pk) OR upto <= ?", b)).
		Put(s.main.Put(item).If("attribute_not_exists(pk)"))
	return postingWritten(tx.Run(ctx))
}

// foldBelow folds every narrow item of posting r below block b into its
// wide item: those of older epochs entirely, those of b's up to b, with
// create written in that last fold's transaction, and lower
// (createPosting) with them. It reports whether it wrote create, and the
// requests it made.
func (s *Store) foldBelow(ctx context.Context, r postingRef, b int64, create *postingItem, alone bool, lower map[int64]*block) (created bool, requests int, err error) {
	var below []postingItem
	switch {
	case b > 0 && alone && b <= 256:
		// The blocks by key: a lone writer is an import, whose postings
		// are many, and moto's Query reads its whole table each time (256
		// blocks are 4 million ticket numbers; past them, the Query).
		var keys []dynamo.Keyed
		for n := range b {
			if lower[n] == nil {
				keys = append(keys, dynamo.Keys{r.pk, r.narrowSK(n)})
			}
		}
		got, err := s.readPostingItems(ctx, keys)
		requests++
		if err != nil {
			return false, requests, err
		}
		below = slices.Collect(maps.Values(got))
	case b > 0:
		// The posting's narrow items: its prefix and digits, below its
		// wide items' W.
		err = s.main.Get(AttrPK, r.pk).Range(AttrSK, dynamo.Between, r.narrowSK(0), r.narrowSK(b-1)).Consistent(true).All(ctx, &below)
		requests++
		if err != nil {
			return false, requests, translate("read postings below", err)
		}
	}
	if s.postingRead != nil {
		s.postingRead("below")
	}
	byEpoch := map[int64][]postingItem{}
	for _, it := range below {
		pre, wide, n, err := splitPostingSK(it.SK)
		if err != nil || wide || pre != r.pre {
			return false, requests, fmt.Errorf("posting of %s: bad block", r.pk)
		}
		byEpoch[epochOf(n)] = append(byEpoch[epochOf(n)], it)
	}
	newByEpoch := map[int64]map[int64]*block{}
	for n, blk := range lower {
		if newByEpoch[epochOf(n)] == nil {
			newByEpoch[epochOf(n)] = map[int64]*block{}
		}
		newByEpoch[epochOf(n)][n] = blk
		if byEpoch[epochOf(n)] == nil {
			byEpoch[epochOf(n)] = []postingItem{}
		}
	}
	e := epochOf(b)
	for _, older := range slices.Sorted(maps.Keys(byEpoch)) {
		if older != e {
			requests += 2
			if err := s.fold(ctx, r, older, byEpoch[older], (older+1)*wideBlocks, nil, newByEpoch[older], alone); err != nil {
				return false, requests, err
			}
		}
	}
	if len(byEpoch[e]) == 0 && len(newByEpoch[e]) == 0 {
		return false, requests, nil
	}
	requests += 2
	return create != nil, requests, s.fold(ctx, r, e, byEpoch[e], b, create, newByEpoch[e], alone)
}

// SealResult tells what SealPostings did.
type SealResult struct {
	// Postings is the postings (text grams and order groups) found with
	// narrow items below their newest; Folded, those narrow items (folded, or, dry, to fold).
	Postings, Folded int
	// Complete: the marker exists (found, or written at the end).
	Complete bool
	Requests int
}

// SealPostings is the backfill's sealing pass, for a table whose
// postings were written before the wide items: the writers fold a
// posting's blocks only when it first takes a new block, which on a
// table that grows slowly may be months away. A consistent Scan finds
// the narrow items of the text and order postings; each posting with more than one is
// folded below its newest, as a writer creating that block would, so
// the pass is safe beside the consumer (the same conditions fence it).
// Then the marker is written: a second run is one GetItem. A fresh
// table's marker is written with ticket 1 (its writers fold as they
// go).
func (s *Store) SealPostings(ctx context.Context, dry bool) (SealResult, error) {
	var r SealResult
	done, err := s.marked(ctx, skSealMarker)
	r.Requests++
	if err != nil || done {
		r.Complete = done
		return r, err
	}
	narrow := map[postingRef][]int64{}
	n, err := s.scanPages(ctx, func() *dynamo.Scan {
		return s.main.Scan().Consistent(true).Project(AttrPK, AttrSK).
			Filter("(begins_with(pk, ?) OR begins_with(pk, ?)) AND kind = ?", prefixPosting, prefixOrder, KindPosting)
	}, func(item dynamo.Item) error {
		var k struct {
			PK string `dynamo:"pk"`
			SK string `dynamo:"sk"`
		}
		if err := dynamo.UnmarshalItem(item, &k); err != nil {
			return fmt.Errorf("seal postings: %w", err)
		}
		pre, wide, b, err := splitPostingSK(k.SK)
		if err != nil {
			return fmt.Errorf("seal postings: posting of %s: %w", k.PK, err)
		}
		if !wide {
			ref := postingRef{k.PK, pre}
			narrow[ref] = append(narrow[ref], b)
		}
		return nil
	})
	r.Requests += n
	if err != nil {
		return r, translate("seal postings", err)
	}
	refs := slices.SortedFunc(maps.Keys(narrow), comparePostingRefs)
	for _, ref := range refs {
		bs := narrow[ref]
		if len(bs) < 2 {
			continue
		}
		r.Postings++
		r.Folded += len(bs) - 1
		if dry {
			continue
		}
		err := untilWritten(ctx, func() error {
			_, req, err := s.foldBelow(ctx, ref, slices.Max(bs), nil, false, nil)
			r.Requests += req
			return err
		}, func() error { return nil })
		if err != nil {
			return r, fmt.Errorf("seal postings: %w", err)
		}
	}
	if dry {
		return r, nil
	}
	if err := s.mark(ctx, skSealMarker); err != nil {
		return r, err
	}
	r.Requests++
	r.Complete = true
	return r, nil
}

// fold moves narrow items (all of epoch e, read consistently) into the
// epoch's wide item, raising its `upto` to upto, and creates narrow item
// create (at upto) in the same transaction when given. more are blocks a
// lone writer creates: their members go into the wide item with the rest.
func (s *Store) fold(ctx context.Context, r postingRef, e int64, items []postingItem, upto int64, create *postingItem, more map[int64]*block, alone bool) error {
	var w postingItem
	err := s.main.Get(AttrPK, r.pk).Range(AttrSK, dynamo.Equal, r.wideSK(e)).Consistent(true).One(ctx, &w)
	exists := err == nil
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return translate("read wide posting", err)
	}
	blocks := map[int64]*block{}
	from := e * wideBlocks
	if exists {
		if blocks, err = decodeWidePosting(w.B); err != nil {
			return fmt.Errorf("posting of %s: %w", r.pk, err)
		}
		from = w.Upto
	}
	if create != nil && from > upto {
		// Another writer folded past the block meanwhile: it is the
		// wide item's now (the deletes below would fail too; this spares
		// the transaction).
		return errPostingRace
	}
	found := map[int64]bool{}
	for _, it := range items {
		_, got, err := postingBlocks(it)
		if err != nil {
			return fmt.Errorf("posting of %s: %w", r.pk, err)
		}
		for n, blk := range got {
			found[n] = true
			if cur := blocks[n]; cur != nil {
				// Not there by the rule; kept rather than lost.
				for i := range blk {
					blk[i] |= cur[i]
				}
			}
			blocks[n] = blk
		}
	}
	for n, blk := range more {
		merged := *blk
		if cur := blocks[n]; cur != nil {
			for i := range merged {
				merged[i] |= cur[i]
			}
		}
		blocks[n] = &merged
	}
	next := postingItem{PK: r.pk, SK: r.wideSK(e), Kind: KindPosting, B: encodeWidePosting(blocks), V: w.V + 1, Upto: max(upto, from)}
	put := s.main.Put(next).If("attribute_not_exists(pk)")
	if exists {
		put = s.main.Put(next).If("v = ?", w.V)
	}
	var deletes []*dynamo.Delete
	for _, it := range items {
		deletes = append(deletes, s.main.Delete(AttrPK, r.pk).Range(AttrSK, it.SK).If("v = ?", it.V))
	}
	if alone {
		// No other writer: the same writes one by one, the wide item
		// first, so that an interrupted fold leaves every member read
		// (a narrow item below upto is read, and merged by the next fold).
		if err := postingWritten(put.Run(ctx)); err != nil {
			return err
		}
		for _, d := range deletes {
			if err := postingWritten(d.Run(ctx)); err != nil {
				return err
			}
		}
		if create != nil {
			return postingWritten(s.main.Put(*create).If("attribute_not_exists(pk)").Run(ctx))
		}
		return nil
	}
	tx := s.db.WriteTx().Put(put)
	for _, d := range deletes {
		tx = tx.Delete(d)
	}
	for n := from; n < upto; n++ {
		if !found[n] {
			tx = tx.Check(s.main.Check(AttrPK, r.pk).Range(AttrSK, r.narrowSK(n)).If("attribute_not_exists(pk)"))
		}
	}
	if create != nil {
		tx = tx.Put(s.main.Put(*create).If("attribute_not_exists(pk)"))
	}
	return postingWritten(tx.Run(ctx))
}

// postingWritten maps a lost race (a condition failed, a transaction in
// conflict) to errPostingRace; any other refusal is an error.
func postingWritten(err error) error {
	if dynamo.IsCondCheckFailed(err) || txConflict(err) {
		return errPostingRace
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if c := aws.ToString(r.Code); c == "ConditionalCheckFailed" || c == "TransactionConflict" {
				return errPostingRace
			}
		}
	}
	return translate("write posting", err)
}
