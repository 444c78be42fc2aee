package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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
	G1SK string `dynamo:"g1sk,omitempty"`
}

// The count items of the category and priority partitions are also the
// dictionary of the values live tickets have in those fields: they carry
// the g1 keys listValues / <partition> (e.g. "CATEGORY#Payments"), so one
// Query lists a field's values with their counts (TicketValues). The keys
// are set by the same update that changes the count, so the dictionary
// costs no item of its own in the transaction.
const listValues = "VALUES"

// valuePrefixes are the count partitions of each of grievance.ValueFields.
var valuePrefixes = map[string]string{"category": prefixCategory, "priority": prefixPriority}

// listsValue reports whether a count partition is in the dictionary.
func listsValue(partition string) bool {
	for _, p := range valuePrefixes {
		if strings.HasPrefix(partition, p) {
			return true
		}
	}
	return false
}

// countUpdate is the update that adds n to a partition's count: `w`
// counts the changes (Recount), and a category or priority count keeps
// its dictionary keys.
func (s *Store) countUpdate(partition string, n int64) *dynamo.Update {
	up := s.main.Update(AttrPK, prefixCount+partition).Range(AttrSK, skCount).Add("n", n).Add("w", 1).Set("kind", KindCount)
	if listsValue(partition) {
		up = up.Set("g1pk", listValues).Set("g1sk", partition)
	}
	return up
}

// TicketValues implements grievance.TicketStore: one Query of the
// dictionary partition (all of it for several fields, else the field's
// prefix of it).
func (s *Store) TicketValues(ctx context.Context, fields ...string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	for _, f := range fields {
		if _, ok := valuePrefixes[f]; !ok {
			return nil, fmt.Errorf("ticket values: no dictionary of %q", f)
		}
		out[f] = map[string]int{}
	}
	if len(out) == 0 {
		return out, nil
	}
	q := s.main.Get("g1pk", listValues).Index(IndexList)
	if len(out) == 1 {
		q = q.Range("g1sk", dynamo.BeginsWith, valuePrefixes[fields[0]])
	}
	var items []countItem
	if err := q.All(ctx, &items); err != nil {
		return nil, translate("query ticket values", err)
	}
	for _, it := range items {
		for f, p := range valuePrefixes {
			if v, ok := strings.CutPrefix(it.G1SK, p); ok && out[f] != nil {
				out[f][v] = int(it.N)
			}
		}
	}
	return out, nil
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
		tx.Update(s.countUpdate(k, d[k]))
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

// statusCategory is the partition of the live tickets in a status and
// category (index g12 and its count).
func statusCategory(status, category string) string {
	return prefixStatCat + status + "#" + category
}

// countedPartitions returns the count partitions whose sum is the number
// of tickets of r.
func countedPartitions(r grievance.TicketRange) []string {
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
	for pk, n := range d {
		if err := s.countUpdate(pk, n).Run(ctx); err != nil {
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

// ImportDerived writes what the stream consumers derive from imported
// tickets (ImportTickets), without waiting for them: the text index and
// each ticket's history record at its version, with the keys the history
// function uses, so it finds them recorded. A migration or a benchmark
// that needs searches and history at once calls it after ImportTickets.
// The records are written as the consumer writes them (writeHistory):
// those not there yet, each with its counts in one transaction, so an
// interrupted import can run again without counting a version twice, and
// ticket 1's version 1 completes the counts of a fresh table.
func (s *Store) ImportDerived(ctx context.Context, ts []*grievance.Ticket) error {
	if err := s.indexTickets(ctx, ts); err != nil {
		return fmt.Errorf("import derived: %w", err)
	}
	records := make([]*historyItem, 0, len(ts))
	for _, t := range ts {
		it, err := importRecord(t, HistoryCreated)
		if err != nil {
			return fmt.Errorf("import derived: %w", err)
		}
		records = append(records, it)
	}
	if _, err := s.writeHistory(ctx, records); err != nil {
		return fmt.Errorf("import ticket history: %w", err)
	}
	return nil
}

// importRecord is the history record of t at its version.
func importRecord(t *grievance.Ticket, typ string) (*historyItem, error) {
	it, err := toTicketItem(t)
	if err != nil {
		return nil, err
	}
	img, err := dynamo.MarshalItem(it)
	if err != nil {
		return nil, err
	}
	return &historyItem{PK: prefixTicket + t.ID, SK: versionKey(t.Version),
		H1PK: historyTickets, H1SK: h1Key(t.Seq, t.Version),
		Kind: KindTicket, EntityID: t.ID, Version: t.Version, HistoryType: typ,
		HistoryDate: t.DateUpdated.UTC(), HistoryUser: t.UserUpdated, Image: nestedItem(img)}, nil
}

// ImportHistory records earlier versions of imported tickets (each ticket
// as it was at its Version, below the live one): their history records
// with their counts (as ImportDerived writes them: a version already
// recorded is left as it is) and the history postings of what they held,
// as the stream consumer would have. Like ImportTickets it must not run
// beside the API.
func (s *Store) ImportHistory(ctx context.Context, versions []*grievance.Ticket) error {
	records := make([]*historyItem, 0, len(versions))
	pc := postingChanges{}
	for _, t := range versions {
		typ := HistoryChanged
		if t.Version == 1 {
			typ = HistoryCreated
		}
		it, err := importRecord(t, typ)
		if err != nil {
			return fmt.Errorf("import history: %w", err)
		}
		records = append(records, it)
		pc.set(grievance.HistoryAll, t.Seq, true)
		st := searchStateOf(t)
		for k := range st.content(map[grievance.PostingKey]bool{}) {
			pc.set(grievance.HistoryKey(k), t.Seq, true)
		}
		st.filed(pc)
	}
	if len(records) == 0 {
		return nil
	}
	if _, err := s.writeHistory(ctx, records); err != nil {
		return fmt.Errorf("import ticket history: %w", err)
	}
	if err := s.applyPostings(ctx, pc, true); err != nil {
		return fmt.Errorf("import history: %w", err)
	}
	return s.importedRows(ctx, versions)
}
