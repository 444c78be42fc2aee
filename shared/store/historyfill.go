package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// The history pass of the backfill (CompleteHistory). The text pass
// indexes a table's live tickets from their live version only: a ticket
// past its first version enters the history rows as partial (judged by
// reading its versions) and the history postings with its live content
// only, and a ticket deleted before the text index existed does not enter
// at all, so a filtered history list misses its versions. The History
// table has every version: this pass reads it and indexes each such
// ticket as the stream consumer would have from its first version.
//
// What it writes, per ticket, in this order: the history postings of
// every version's content (a member already there writes nothing; the
// filed postings of its first version for every ticket, even one indexed
// exactly already, so that a table indexed before them gains them), the
// counts by value (their merge keeps the higher), the history rows (only
// over a number of the same version: a ticket the consumer moved on
// meanwhile keeps the consumer's, partial, number), then the reference
// (on condition that it is the one read, or that there is none). A
// ticket the consumer changes between the reads and the reference is
// left partial, the state the consumer's own write gives it, and the next
// run does it.

// CompleteHistoryResult tells what CompleteHistory did.
type CompleteHistoryResult struct {
	// Cursor is the last ticket number done: pass it as After to resume.
	Cursor int64
	// Tickets is the tickets found in the History table.
	Tickets int
	// Partial is those whose index was partial (or, deleted, absent).
	Partial int
	// Completed is those made exact (or, dry, that would be).
	Completed int
	// Incomplete is those left partial: a version missing from the
	// History table, or counts by value too many to keep.
	Incomplete int
	// Concurrent is those the consumer changed meanwhile.
	Concurrent int
	// Reads is the DynamoDB read requests made (the writes are per
	// posting, column block and reference changed).
	Reads int
}

// CompleteHistory runs the history pass after o.After, in ticket number
// order through hist1 (every ticket version, o.PageSize versions a
// Query). Run it after the text pass; safe beside the consumer and
// idempotent: a run again finds only what is left.
func (s *Store) CompleteHistory(ctx context.Context, o BackfillOptions, progress func(CompleteHistoryResult)) (CompleteHistoryResult, error) {
	r := CompleteHistoryResult{Cursor: o.After}
	size := o.pageSize()
	for {
		var page []historyItem
		err := s.history.Get("h1pk", historyTickets).Index(HistoryIndexAll).
			Range("h1sk", dynamo.Greater, seqKey(r.Cursor)+"#~").Limit(size).All(ctx, &page)
		r.Reads++
		if err != nil {
			return r, translate("complete history: read versions", err)
		}
		if len(page) == 0 {
			return r, s.historyPassDone(ctx, o)
		}
		bySeq := map[int64][]*grievance.Ticket{}
		ids := map[int64]string{}
		var seqs []int64
		for _, h := range page {
			if h.HistoryType == HistoryDeleted {
				continue
			}
			t, err := h.ticket()
			if err != nil {
				return r, fmt.Errorf("complete history: %w", err)
			}
			if _, ok := bySeq[t.Seq]; !ok {
				seqs = append(seqs, t.Seq)
			}
			bySeq[t.Seq] = append(bySeq[t.Seq], t)
			ids[t.Seq] = t.ID
		}
		last := h1Seq(page[len(page)-1].H1SK)
		if len(page) == size {
			// The last ticket's versions may go on past the page.
			vs, err := s.VersionsBySeq(ctx, []int64{last})
			r.Reads++
			if err != nil {
				return r, fmt.Errorf("complete history: %w", err)
			}
			if _, ok := bySeq[last]; !ok && len(vs[last]) > 0 {
				seqs = append(seqs, last)
				ids[last] = vs[last][0].ID
			}
			bySeq[last] = vs[last]
		}
		if err := s.completeTickets(ctx, seqs, bySeq, ids, o.DryRun, &r); err != nil {
			return r, err
		}
		r.Cursor = last
		if progress != nil {
			progress(r)
		}
		if len(page) < size {
			return r, s.historyPassDone(ctx, o)
		}
	}
}

// historyPassDone marks the filed postings complete at the end of a pass
// from the start: it filed every ticket recorded (a resumed pass trusts
// those before its cursor, and does not say so).
func (s *Store) historyPassDone(ctx context.Context, o BackfillOptions) error {
	if o.After != 0 || o.DryRun {
		return nil
	}
	if err := s.mark(ctx, skFiledMarker); err != nil {
		return fmt.Errorf("complete history: %w", err)
	}
	return nil
}

// completeTickets indexes the tickets of seqs whose index is partial.
func (s *Store) completeTickets(ctx context.Context, seqs []int64, bySeq map[int64][]*grievance.Ticket, ids map[int64]string, dry bool, r *CompleteHistoryResult) error {
	idList := make([]string, 0, len(seqs))
	for _, n := range seqs {
		idList = append(idList, ids[n])
	}
	refs, err := s.searchRefs(ctx, idList)
	r.Reads += (len(idList) + 99) / 100
	if err != nil {
		return fmt.Errorf("complete history: %w", err)
	}
	pc := postingChanges{}
	rc := rowChanges{}
	vc := valueRowChanges{}
	type refWrite struct {
		item  searchRefItem
		order int64 // the reference's order read; 0: none
	}
	var writes []refWrite
	for _, n := range seqs {
		r.Tickets++
		vs := bySeq[n]
		slices.SortFunc(vs, func(a, b *grievance.Ticket) int { return cmp.Compare(a.Version, b.Version) })
		if len(vs) > 0 && vs[0].Version == 1 {
			// Every ticket's filed postings (grievance.FiledKey), exact
			// or not: a table indexed before them gains them here.
			searchStateOf(vs[0]).filed(pc)
		}
		ref, ok := refs[ids[n]]
		var live int
		switch {
		case ok && ref.Order%2 == 1:
			continue // removed from the table: nothing the lists show
		case ok && !ref.HistLost && ref.Hist != nil && unchangedKnown(ref.Hist):
			continue // exact already
		case ok:
			live = int(ref.Order / 2)
		case len(vs) > 0 && vs[len(vs)-1].IsDeleted:
			// Deleted before the text index: never indexed.
			live = vs[len(vs)-1].Version
		default:
			// Live without a reference: the text pass or the consumer
			// indexes it.
			continue
		}
		r.Partial++
		// The history postings of every version recorded, whatever the
		// rows can say.
		pc.set(grievance.HistoryAll, n, true)
		for _, v := range vs {
			if v.Version > live {
				break
			}
			for k := range searchStateOf(v).content(map[grievance.PostingKey]bool{}) {
				pc.set(grievance.HistoryKey(k), n, true)
			}
		}
		if len(vs) < live || !numbered(vs[:live], live) {
			r.Incomplete++
			continue
		}
		vs = vs[:live]
		var now searchState
		if ok {
			now = searchState{seq: n, live: ref.Live, texts: ref.Texts, values: ref.Values, orders: ref.Orders}
		} else {
			now = searchStateOf(vs[live-1])
		}
		flags, hist := exactHistory(vs[:live-1], &now, pc)
		if histBytes(hist) > histMaxBytes {
			r.Incomplete++
			continue
		}
		r.Completed++
		rc[n] = grievance.HistoryRowsValue(live, flags)
		for k, c := range hist {
			vc.set(k, n, c)
		}
		w := refWrite{item: refItem(ids[n], 2*int64(live), now)}
		if ok {
			w.order = ref.Order
			w.item = ref
		}
		w.item.Hist, w.item.HistLost = hist, false
		writes = append(writes, w)
	}
	if dry || len(pc) == 0 {
		return nil
	}
	if s.historyComputed != nil {
		s.historyComputed()
	}
	if err := s.applyPostings(ctx, pc, false); err != nil {
		return fmt.Errorf("complete history: %w", err)
	}
	if err := s.applyRows(ctx, rc, vc, sameVersion, maxCount); err != nil {
		return fmt.Errorf("complete history: %w", err)
	}
	for _, w := range writes {
		put := s.main.Put(w.item).If("attribute_not_exists(pk)")
		if w.order != 0 {
			put = s.main.Put(w.item).If("$ = ?", "order", w.order)
		}
		err := put.Run(ctx)
		if dynamo.IsCondCheckFailed(err) {
			r.Completed--
			r.Concurrent++
			continue
		}
		if err != nil {
			return translate("complete history: put search reference", err)
		}
	}
	return nil
}

// exactHistory gives the flags of the texts that changed across a
// ticket's versions, earlier (1 to the one before now, in order) and now,
// and its counts by value, and adds to pc the postings of the texts a
// change replaced.
func exactHistory(earlier []*grievance.Ticket, now *searchState, pc postingChanges) (grievance.RowFlags, map[string]int) {
	var flags grievance.RowFlags
	hist := map[string]int{}
	var prev *searchState
	for _, v := range earlier {
		next := searchStateOf(v)
		if prev != nil {
			flags |= textChanges(prev, &next)
			pc.replaced(prev, &next, v.Seq)
		}
		addHist(hist, &next, prev)
		prev = &next
	}
	if prev != nil {
		flags |= textChanges(prev, now)
		pc.replaced(prev, now, now.seq)
	}
	addHist(hist, now, prev)
	return flags, hist
}

// sameVersion is the merge of the history pass's rows: its exact number
// replaces one of the same version (partial, or unknown), never one the
// consumer has moved to a later version.
func sameVersion(cur, next uint16) uint16 {
	if cur == 0 || cur>>3 == next>>3 {
		return next
	}
	return cur
}
