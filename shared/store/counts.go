package store

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Count items keep the number of tickets in each list partition (the live
// and deleted lists, each status, category, staff member and reporter), so
// that totalCount of a list whose filters are all served by its key range
// is one BatchGetItem, however many tickets there are. They change in the
// same transaction as the tickets they count.
const (
	prefixCount = "COUNT#"
	skCount     = "COUNT"
	// KindCount marks count items.
	KindCount = "count"
)

type countItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	N    int64  `dynamo:"n"`
}

// partitionsOf lists the list partitions an item belongs to.
func (it *ticketItem) partitionsOf() []string {
	var ps []string
	for _, pk := range []string{it.G1PK, it.G2PK, it.G3PK, it.G4PK, it.G5PK} {
		if pk != "" {
			ps = append(ps, pk)
		}
	}
	if it.G2PK != "" && it.Priority != "" { // live, with a priority
		ps = append(ps, prefixPriority+it.Priority)
	}
	if it.G2PK != "" && it.G3PK != "" { // live, with a category
		ps = append(ps, statusCategory(it.Status, it.Category))
	}
	return ps
}

// countDeltas adds to d the change of every partition count when old (nil:
// none) becomes cur.
func countDeltas(d map[string]int64, old, cur *ticketItem) {
	if old != nil {
		for _, p := range old.partitionsOf() {
			d[p]--
		}
	}
	for _, p := range cur.partitionsOf() {
		d[p]++
	}
}

// addCounts puts the non-zero deltas into tx (one update per partition, in
// a stable order). Each update also adds 1 to the item's `w`, which
// counts the changes, so that a recount (Recount) can tell that nothing
// changed a partition while it was counted.
func (s *Store) addCounts(tx *dynamo.WriteTx, d map[string]int64) int {
	keys := make([]string, 0, len(d))
	for k, v := range d {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		tx.Update(s.main.Update(AttrPK, prefixCount+k).Range(AttrSK, skCount).Add("n", d[k]).Add("w", 1).Set("kind", KindCount))
	}
	return len(keys)
}

// oldTicketItem returns the stored form of the version a write replaces,
// reading it when the caller did not pass it.
func (s *Store) oldTicketItem(ctx context.Context, tw grievance.TicketWrite) (*ticketItem, error) {
	if tw.Old != nil {
		return toTicketItem(tw.Old)
	}
	var it ticketItem
	err := s.main.Get(AttrPK, prefixTicket+tw.Ticket.ID).Range(AttrSK, dynamo.Equal, skTicket).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("read ticket for counts", err)
	}
	return &it, nil
}

// statusCategory is the count partition of the live tickets in a status
// and category (there are no index items under it).
func statusCategory(status, category string) string {
	return prefixStatCat + status + "#" + category
}

// countedPartitions returns the count partitions whose sum is the number
// of tickets of r.
func countedPartitions(r grievance.TicketRange) []string {
	if r.By == grievance.RangeCategory && len(r.Statuses) > 0 {
		pks := make([]string, len(r.Statuses))
		for i, st := range r.Statuses {
			pks[i] = statusCategory(st, r.Keys[0])
		}
		return pks
	}
	_, pks := partitions(r)
	return pks
}

// countPartitions sums the counts of partitions with one BatchGetItem.
func (s *Store) countPartitions(ctx context.Context, pks []string) (int, error) {
	keys := make([]dynamo.Keyed, 0, len(pks))
	for _, pk := range pks {
		keys = append(keys, dynamo.Keys{prefixCount + pk, skCount})
	}
	var items []countItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return 0, translate("get counts", err)
	}
	total := int64(0)
	for _, it := range items {
		total += it.N
	}
	return int(total), nil
}

// ImportTickets stores tickets that already have their numbers (Seq and
// Code), as a migration from another system or a benchmark would: batched
// writes, then the counts and the ticket counter brought in line. It is
// not a mutation: no condition, no mutation log, and it must not run
// while the API creates tickets.
func (s *Store) ImportTickets(ctx context.Context, ts []*grievance.Ticket) error {
	if len(ts) == 0 {
		return nil
	}
	items := make([]any, 0, len(ts))
	d := map[string]int64{}
	maxSeq := int64(0)
	for _, t := range ts {
		if t.Seq <= 0 || t.Code != grievance.FormatCode(t.Seq) {
			return fmt.Errorf("import ticket %s: seq %d and code %q do not match", t.ID, t.Seq, t.Code)
		}
		it, err := toTicketItem(t)
		if err != nil {
			return err
		}
		items = append(items, it)
		countDeltas(d, nil, it)
		maxSeq = max(maxSeq, t.Seq)
	}
	if _, err := s.main.Batch(AttrPK, AttrSK).Write().Put(items...).Run(ctx); err != nil {
		return translate("import tickets", err)
	}
	if err := s.indexTickets(ctx, ts); err != nil {
		return fmt.Errorf("import tickets: %w", err)
	}
	// Their history records too, as the history function would write them
	// from the stream (the same keys, so it finds them recorded).
	records := make([]any, 0, len(items))
	for i, it := range items {
		img, err := dynamo.MarshalItem(it)
		if err != nil {
			return fmt.Errorf("import tickets: %w", err)
		}
		t := ts[i]
		records = append(records, &historyItem{PK: prefixTicket + t.ID, SK: versionKey(t.Version),
			H1PK: historyTickets, H1SK: seqKey(t.Seq) + "#" + fmt.Sprintf("%010d", t.Version),
			Kind: KindTicket, EntityID: t.ID, Version: t.Version, HistoryType: HistoryCreated,
			HistoryDate: t.DateUpdated.UTC(), HistoryUser: t.UserUpdated, Image: nestedItem(img)})
	}
	if _, err := s.history.Batch(AttrPK, AttrSK).Write().Put(records...).Run(ctx); err != nil {
		return translate("import ticket history", err)
	}
	for pk, n := range d {
		if err := s.main.Update(AttrPK, prefixCount+pk).Range(AttrSK, skCount).Add("n", n).Add("w", 1).Set("kind", KindCount).Run(ctx); err != nil {
			return translate("import counts", err)
		}
	}
	err := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).Set("n", maxSeq).Set("kind", KindCounter).
		If("attribute_not_exists(n) OR n < ?", maxSeq).Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return translate("import ticket counter", err)
	}
	return nil
}
