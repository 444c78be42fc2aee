package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"
)

// The backfill brings a table written before the sort indexes (g7…g15),
// the status-and-category index (g12), the PRIORITY#/STATCAT# count items
// and the dictionary of values (the g1 keys of the CATEGORY#/PRIORITY#
// counts) in line with what the code writes now. It has two steps, both safe while the API keeps writing:
//
//  1. Reindex walks the live list (g1 TICKETS#L) in number order and sets
//     every ticket's index keys to what toTicketItem gives it, with one
//     UpdateItem conditioned on the version read. A ticket changed
//     meanwhile was written whole by the current code (keys included):
//     the update fails, the ticket is read again (consistent) and, when
//     its keys are still not right, updated on that version. A ticket in
//     a transaction under way (TransactionConflictException) is read
//     again after a short wait, the same way. The cursor
//     is the last ticket number done; a resumed walk starts after it.
//     Only the index keys change, never the version or any field, so
//     stream consumers see nothing to act on (history keeps versions it
//     has, events come from field changes).
//  2. Recount counts the live tickets of every PRIORITY#/STATCAT#
//     partition and writes the absolute numbers, with the dictionary
//     keys a PRIORITY# count carries (counts.go); a CATEGORY# count,
//     right since the first version, gets its dictionary keys only. Every transaction that
//     changes a count also adds 1 to its `w` attribute (addCounts), so a
//     count is written only on the condition that `w` is what it was
//     before the counting started: no ticket entered or left the
//     partition while it was counted, and nothing the API added since
//     is overwritten. A partition that changed (or was in a transaction
//     under way at the write) is counted again in the
//     next round (at most recountRounds); one that stays busy is
//     reported, not written.

// BackfillOptions steer Reindex.
type BackfillOptions struct {
	// After resumes the walk after this ticket number (0: from the start).
	After int64
	// DryRun reads and reports without writing.
	DryRun bool
	// PageSize is the number of tickets read per Query (default 100).
	PageSize int
	// Progress, when set, is called after every page.
	Progress func(ReindexResult)
	// CountProgress, when set, is called after every page of
	// CountVersions.
	CountProgress func(CountVersionsResult)
}

// pageSize is PageSize, or its default.
func (o BackfillOptions) pageSize() int {
	if o.PageSize <= 0 {
		return 100
	}
	return o.PageSize
}

// ReindexResult tells what Reindex did so far.
type ReindexResult struct {
	// Cursor is the number of the last ticket done: pass it as After to
	// resume.
	Cursor int64
	// Tickets is the live tickets read.
	Tickets int
	// Reindexed is the tickets whose index keys were written (or, dry,
	// would be).
	Reindexed int
	// Current is the tickets whose keys were already right.
	Current int
	// Concurrent is the tickets changed by someone else during the pass:
	// their newer version was kept (and reindexed when it needed it).
	Concurrent int
	// Gone is the tickets deleted meanwhile (they leave the live
	// indexes; nothing to do).
	Gone int
	// Requests is the DynamoDB requests made.
	Requests int
}

// RecountResult tells what Recount did.
type RecountResult struct {
	Partitions int      // PRIORITY#/STATCAT# partitions seen (count items or tickets)
	Rewritten  []string // partitions whose count changed (or, dry, would), as "PARTITION old→new"
	Busy       []string // partitions that kept changing while counted: not written
	Tagged     int      // CATEGORY# counts given their dictionary keys (or, dry, would be)
	Requests   int
}

// reindexAttempts bounds the reads and conditional writes of one ticket
// that keeps changing under the pass.
const reindexAttempts = 5

// Reindex runs step 1 of the backfill (see above).
func (s *Store) Reindex(ctx context.Context, o BackfillOptions) (ReindexResult, error) {
	r := ReindexResult{Cursor: o.After}
	size := o.pageSize()
	for {
		q := s.main.Get("g1pk", listLive).Index(IndexList).Range("g1sk", dynamo.Greater, seqKey(r.Cursor)).Limit(size)
		var page []ticketItem
		err := q.All(ctx, &page)
		r.Requests++
		if err != nil {
			return r, translate("backfill: read live list", err)
		}
		for i := range page {
			if err := s.reindexOne(ctx, &page[i], o.DryRun, &r); err != nil {
				return r, err
			}
			r.Tickets++
			r.Cursor = page[i].Seq
		}
		if o.Progress != nil {
			o.Progress(r)
		}
		if len(page) < size {
			return r, nil
		}
	}
}

func (s *Store) reindexOne(ctx context.Context, it *ticketItem, dry bool, r *ReindexResult) error {
	raced := false
	for attempt := 0; ; attempt++ {
		want, err := wantKeys(it)
		if err != nil {
			return err
		}
		if it.IsDeleted {
			r.Gone++
			return nil
		}
		if it.indexKeys == want {
			if raced {
				r.Concurrent++
			} else {
				r.Current++
			}
			return nil
		}
		if dry {
			r.Reindexed++
			return nil
		}
		if attempt == reindexAttempts {
			return fmt.Errorf("backfill: ticket %s changed %d times while being reindexed; resume after %d", it.ID, attempt, r.Cursor)
		}
		if s.backfillRead != nil {
			s.backfillRead(it.ID)
		}
		err = s.setIndexKeys(it, want).Run(ctx)
		r.Requests++
		if err == nil {
			if raced {
				r.Concurrent++
			}
			r.Reindexed++
			return nil
		}
		if !dynamo.IsCondCheckFailed(err) && !txConflict(err) {
			return translate("backfill: write index keys of ticket "+it.ID, err)
		}
		raced = true
		if txConflict(err) {
			// A transaction on the ticket is under way: let it finish.
			select {
			case <-ctx.Done():
				return translate("backfill", ctx.Err())
			case <-time.After(commitBackoff(attempt + 2)):
			}
		}
		var fresh ticketItem
		err = s.main.Get(AttrPK, it.PK).Range(AttrSK, dynamo.Equal, skTicket).Consistent(true).One(ctx, &fresh)
		r.Requests++
		if errors.Is(err, dynamo.ErrNotFound) {
			r.Gone++
			return nil
		}
		if err != nil {
			return translate("backfill: read ticket "+it.ID, err)
		}
		*it = fresh
	}
}

// wantKeys returns the index keys the current code gives it.
func wantKeys(it *ticketItem) (indexKeys, error) {
	t, err := it.ticket()
	if err != nil {
		return indexKeys{}, err
	}
	w, err := toTicketItem(t)
	if err != nil {
		return indexKeys{}, err
	}
	return w.indexKeys, nil
}

// setIndexKeys is the UpdateItem that gives it the keys want, on the
// condition that it is still the version read.
func (s *Store) setIndexKeys(it *ticketItem, want indexKeys) *dynamo.Update {
	up := s.main.Update(AttrPK, it.PK).Range(AttrSK, it.SK).If("version = ?", it.Version)
	var remove []string
	for _, k := range []struct {
		name string
		v    string
	}{
		{"g1pk", want.G1PK}, {"g1sk", want.G1SK}, {"g2pk", want.G2PK}, {"g2sk", want.G2SK},
		{"g3pk", want.G3PK}, {"g3sk", want.G3SK}, {"g4pk", want.G4PK}, {"g4sk", want.G4SK},
		{"g5pk", want.G5PK}, {"g5sk", want.G5SK}, {"g6pk", want.G6PK}, {"g6sk", want.G6SK},
		{"g7pk", want.G7PK}, {"g7sk", want.G7SK}, {"g8pk", want.G8PK}, {"g8sk", want.G8SK},
		{"g9pk", want.G9PK}, {"g9sk", want.G9SK}, {"g10pk", want.G10PK}, {"g10sk", want.G10SK},
		{"g11pk", want.G11PK}, {"g11sk", want.G11SK}, {"g12pk", want.G12PK}, {"g12sk", want.G12SK},
		{"g13pk", want.G13PK}, {"g13sk", want.G13SK}, {"g14pk", want.G14PK}, {"g14sk", want.G14SK},
		{"g15pk", want.G15PK}, {"g15sk", want.G15SK}, {"g16pk", want.G16PK}, {"g16sk", want.G16SK},
	} {
		if k.v == "" {
			remove = append(remove, k.name)
		} else {
			up = up.Set(k.name, k.v)
		}
	}
	if len(remove) > 0 {
		up = up.Remove(remove...)
	}
	return up
}

// recountRounds bounds how often Recount counts again the partitions that
// changed while they were counted.
const recountRounds = 3

// recounted reports whether a count partition is one Recount owns.
func recounted(partition string) bool {
	return strings.HasPrefix(partition, prefixPriority) || strings.HasPrefix(partition, prefixStatCat)
}

// countState is a count item as Recount reads it: W nil when the item
// has no `w` (never changed since the writes began adding it).
type countState struct {
	PK   string `dynamo:"pk"`
	N    int64  `dynamo:"n"`
	W    *int64 `dynamo:"w"`
	G1PK string `dynamo:"g1pk"`
}

// Recount runs step 2 of the backfill (see above): two consistent Scans
// of the main table per round (the count items, then the live tickets)
// and one conditional UpdateItem per partition.
func (s *Store) Recount(ctx context.Context, dry bool) (RecountResult, error) {
	var res RecountResult
	var only map[string]bool // nil: every partition
	seen := map[string]bool{}
	for round := 0; ; round++ {
		before := map[string]countState{}
		var untagged []string
		n, err := s.scanPages(ctx, func() *dynamo.Scan {
			return s.main.Scan().Consistent(true).
				Filter("kind = ? AND (begins_with(pk, ?) OR begins_with(pk, ?) OR begins_with(pk, ?))", KindCount,
					prefixCount+prefixPriority, prefixCount+prefixStatCat, prefixCount+prefixCategory)
		}, func(item dynamo.Item) error {
			var c countState
			if err := dynamo.UnmarshalItem(item, &c); err != nil {
				return err
			}
			p := strings.TrimPrefix(c.PK, prefixCount)
			if !recounted(p) {
				if round == 0 && c.G1PK == "" {
					untagged = append(untagged, p)
				}
				return nil
			}
			if only == nil || only[p] {
				before[p] = c
			}
			return nil
		})
		res.Requests += n
		if err != nil {
			return res, translate("backfill: scan count items", err)
		}
		for _, p := range untagged {
			res.Tagged++
			if dry {
				continue
			}
			// Constant keys beside the count: a concurrent ADD is not
			// disturbed, and a count gone meanwhile is not recreated.
			err := s.main.Update(AttrPK, prefixCount+p).Range(AttrSK, skCount).Set("g1pk", listValues).Set("g1sk", p).
				If("attribute_exists(pk)").Run(ctx)
			res.Requests++
			if err != nil && !dynamo.IsCondCheckFailed(err) {
				return res, translate("backfill: tag count "+p, err)
			}
		}
		counts := map[string]int64{}
		n, err = s.scanPages(ctx, func() *dynamo.Scan {
			return s.main.Scan().Consistent(true).Filter("kind = ? AND isDeleted = ?", KindTicket, false)
		}, func(item dynamo.Item) error {
			var t ticketItem
			if err := dynamo.UnmarshalItem(item, &t); err != nil {
				return err
			}
			for _, p := range t.partitionsOf() {
				if recounted(p) && (only == nil || only[p]) {
					counts[p]++
				}
			}
			return nil
		})
		res.Requests += n
		if err != nil {
			return res, translate("backfill: scan tickets", err)
		}
		if s.recountCounted != nil {
			s.recountCounted(round)
		}
		var parts []string
		for p := range before {
			parts = append(parts, p)
		}
		for p := range counts {
			if _, ok := before[p]; !ok {
				parts = append(parts, p)
			}
		}
		sort.Strings(parts)
		busy := map[string]bool{}
		for _, p := range parts {
			seen[p] = true
			b, existed := before[p]
			n := counts[p]
			if dry {
				if !existed || b.N != n {
					res.Rewritten = append(res.Rewritten, fmt.Sprintf("%s %d→%d", p, b.N, n))
				}
				continue
			}
			up := s.main.Update(AttrPK, prefixCount+p).Range(AttrSK, skCount).Set("n", n).Set("kind", KindCount)
			if listsValue(p) {
				up = up.Set("g1pk", listValues).Set("g1sk", p)
			}
			switch {
			case !existed:
				up = up.If("attribute_not_exists(pk)")
			case b.W == nil:
				up = up.If("attribute_not_exists(w)")
			default:
				up = up.If("w = ?", *b.W)
			}
			err := up.Run(ctx)
			res.Requests++
			if dynamo.IsCondCheckFailed(err) || txConflict(err) {
				busy[p] = true
				continue
			}
			if err != nil {
				return res, translate("backfill: write count "+p, err)
			}
			if !existed || b.N != n {
				res.Rewritten = append(res.Rewritten, fmt.Sprintf("%s %d→%d", p, b.N, n))
			}
		}
		if len(busy) == 0 || round+1 == recountRounds {
			for p := range busy {
				res.Busy = append(res.Busy, p)
			}
			sort.Strings(res.Busy)
			res.Partitions = len(seen)
			return res, nil
		}
		only = busy
	}
}

// txConflict reports whether DynamoDB refused a single-item write because
// a transaction on the same item was under way (the SDK does not retry
// it).
func txConflict(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "TransactionConflictException"
}

// scanPages runs the Scan mk builds page by page (one request each),
// passing every item to each, and returns the requests made.
func (s *Store) scanPages(ctx context.Context, mk func() *dynamo.Scan, each func(dynamo.Item) error) (int, error) {
	var key dynamo.PagingKey
	for n := 1; ; n++ {
		sc := mk().RequestLimit(1)
		if key != nil {
			sc = sc.StartFrom(key)
		}
		var items []dynamo.Item
		lek, err := sc.AllWithLastEvaluatedKey(ctx, &items)
		if err != nil {
			return n, err
		}
		for _, item := range items {
			if err := each(item); err != nil {
				return n, err
			}
		}
		if lek == nil {
			return n, nil
		}
		key = lek
	}
}

// CountVersionsResult tells what CountVersions did.
type CountVersionsResult struct {
	// Cursor is the last ticket number whose versions are all done: pass
	// it as After to resume.
	Cursor int64
	// Uncounted is the records found without `counted`, or counted
	// without `pairs` (their pair counts are what the pass adds), or
	// without the history sort keys (historysorted.go; no count).
	Uncounted int
	// Counted is the records this pass counted (or, dry, would).
	Counted int
	// Concurrent is the uncounted records found counted (or gone) when
	// written: another run of the pass did them.
	Concurrent int
	// Complete: the completeness marker exists (found, or written at the
	// end).
	Complete bool
	// Found: the marker was there when the pass began; nothing was
	// counted.
	Found bool
	// Listed is the fields whose values' dictionary the pass made
	// complete (or, dry, would).
	Listed int
	// SortsPending names the history sort index that did not exist or
	// was not ACTIVE yet: every record has its sort keys, but the sort
	// keys' marker is left until a run after the stage has every index.
	SortsPending string
	// Requests is the DynamoDB requests made.
	Requests int
}

// CountVersions runs the version-count pass of the backfill: it counts
// the ticket-version records written before the counts existed (without
// `counted`), adds the pair counts of those written before the pairs
// (`counted` without `pairs`), then writes the completeness markers
// (historycounts.go).
//
// It reads hist1 (one partition: every ticket version and nothing else,
// in number order, which is the cursor), keeping only the records
// without `counted` (a filter: read units are those of every version,
// the answer only the uncounted ones), and counts each page's records in
// transactions of up to 100 items: per record an UpdateItem that sets
// `counted` and `pairs` on condition that the record is there and has no
// `counted` (or `pairs` on condition that it has `counted` and no
// `pairs`), plus one ADD per count the chunk changes. So a record is counted exactly once
// whoever else runs the pass at the same time, and a run again after an
// interruption finds only what is left; the consumer writes new records
// counted and is no concern. A chunk refused because another run counted
// one of its records is read again (consistent) and retried without it.
//
// The markers are written when the pass has covered the whole index: at
// the end of a run from the start, or, for a run resumed at After, after
// it reads the part before After again (counting whatever an earlier run
// left, which is nothing when the cursor was right). Records written by
// the code before the counts after that would never be counted: run the
// pass once every consumer runs the current code. Last it completes the
// values' dictionary (heldvalues.go) from the counts. A table whose
// pairs' marker and dictionary exist is done: three GetItems. A dry run
// writes nothing.
func (s *Store) CountVersions(ctx context.Context, o BackfillOptions) (CountVersionsResult, error) {
	r := CountVersionsResult{Cursor: o.After}
	complete, err := s.countsComplete(ctx, skSortsMarker, true)
	r.Requests++
	if err != nil {
		return r, err
	}
	if complete {
		// The sort keys' marker is put with or after the pairs', which
		// is put with or after the counts' own.
		n, listed, err := s.completeHeldValues(ctx, o.DryRun)
		r.Requests += n
		r.Listed = listed
		r.Complete = err == nil
		r.Found = r.Complete
		return r, err
	}
	if err := s.countVersionsIn(ctx, o.After, 0, o, &r); err != nil {
		return r, err
	}
	if o.After > 0 {
		after := r.Cursor
		if err := s.countVersionsIn(ctx, 0, o.After, o, &r); err != nil {
			return r, err
		}
		r.Cursor = after
	}
	if o.DryRun {
		return r, nil
	}
	markers := []string{skCountsMarker, skPairsMarker}
	// The sort keys' marker sends history lists ordered by a column to
	// the sort indexes: only once they all exist and are built.
	active, pending, err := s.historySortIndexesActive(ctx)
	r.Requests++
	if err != nil {
		return r, err
	}
	if active {
		markers = append(markers, skSortsMarker)
	}
	r.SortsPending = pending
	for _, sk := range markers {
		err = s.history.Put(newCountsMarker(sk, "backfill")).Run(ctx)
		r.Requests++
		if err != nil {
			return r, translate("backfill: write the version counts marker", err)
		}
	}
	n, listed, err := s.completeHeldValues(ctx, false)
	r.Requests += n
	r.Listed = listed
	if err != nil {
		return r, err
	}
	r.Complete = true
	return r, nil
}

// countVersionsIn counts the uncounted records of the tickets numbered
// after `after` and up to `upTo` (0: no end), reporting each page.
func (s *Store) countVersionsIn(ctx context.Context, after, upTo int64, o BackfillOptions, r *CountVersionsResult) error {
	var lek dynamo.PagingKey
	for {
		q := s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll).Filter("attribute_not_exists(counted) OR attribute_not_exists(pairs) OR attribute_not_exists(h2pk)").RequestLimit(1)
		if upTo > 0 {
			q = q.Range("h1sk", dynamo.Between, seqKey(after+1), seqKey(upTo)+"#~")
		} else {
			q = q.Range("h1sk", dynamo.GreaterOrEqual, seqKey(after+1))
		}
		if o.PageSize > 0 {
			q = q.SearchLimit(o.PageSize)
		}
		if lek != nil {
			q = q.StartFrom(lek)
		}
		var page []historyItem
		next, err := q.AllWithLastEvaluatedKey(ctx, &page)
		r.Requests++
		if err != nil {
			return translate("backfill: read ticket versions", err)
		}
		if err := s.countRecords(ctx, page, o.DryRun, r); err != nil {
			return err
		}
		// The last key read may be any version of its ticket: the
		// tickets before it are done. At the end, the last ticket found.
		if next != nil {
			r.Cursor = max(r.Cursor, lekSeq(next)-1)
		}
		for _, it := range page {
			r.Cursor = max(r.Cursor, h1Seq(it.H1SK))
		}
		if o.CountProgress != nil {
			o.CountProgress(*r)
		}
		if next == nil {
			return nil
		}
		lek = next
	}
}

// countRecords counts page's records (uncounted when read).
func (s *Store) countRecords(ctx context.Context, page []historyItem, dry bool, r *CountVersionsResult) error {
	var recs []*countedRecord
	for i := range page {
		it := &page[i]
		if it.H1PK == "" || it.HistoryType == HistoryDeleted || it.Counted && it.Pairs && it.H2PK != "" {
			continue // no row of a history list, or done after all
		}
		t, err := it.ticket()
		if err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		it.setSortKeys(t)
		item, err := dynamo.MarshalItem(it)
		if err != nil {
			return fmt.Errorf("backfill: encode history record %s %s: %w", it.PK, it.SK, err)
		}
		rec, err := withCounts(&countedRecord{it: it, item: item, size: ItemSize(item), mark: true,
			pairsOnly: it.Counted && !it.Pairs, sortsOnly: it.Counted && it.Pairs, t: t})
		if err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		recs = append(recs, rec)
	}
	r.Uncounted += len(recs)
	if dry {
		r.Counted += len(recs)
		return nil
	}
	for start := 0; start < len(recs); {
		end := start + txChunk(recs[start:])
		if s.versionsCounting != nil {
			s.versionsCounting()
		}
		n, err := s.recordCounted(ctx, recs[start:end])
		r.Requests++ // at least; retries are not told apart
		if err != nil {
			return fmt.Errorf("backfill: count ticket versions: %w", err)
		}
		r.Counted += n
		r.Concurrent += end - start - n
		start = end
	}
	return nil
}

// h1Seq is the ticket number of a hist1 sort key.
func h1Seq(h1sk string) int64 {
	n, _ := strconv.ParseInt(strings.SplitN(h1sk, "#", 2)[0], 10, 64)
	return n
}

func lekSeq(k dynamo.PagingKey) int64 {
	av, ok := k["h1sk"].(*types.AttributeValueMemberS)
	if !ok {
		return 0
	}
	return h1Seq(av.Value)
}
