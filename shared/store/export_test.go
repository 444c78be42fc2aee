package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// SetCounterRead makes fn run between reading the ticket counter in a
// create's turn and committing, so a test can change the counter there.
func SetCounterRead(s *Store, fn func()) { s.counterRead = fn }

// BumpCounter takes the next ticket number outside the queue, as a
// container of the version before turns does during a rolling deploy.
func BumpCounter(tb testing.TB, s *Store) {
	tb.Helper()
	var c counterItem
	ctx := context.Background()
	if err := s.main.Get(AttrPK, pkCounter).Range(AttrSK, dynamo.Equal, skTicketSeq).Consistent(true).One(ctx, &c); err != nil && err != dynamo.ErrNotFound {
		tb.Fatal(err)
	}
	up := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).Set("n", c.N+1).Set("kind", KindCounter)
	if c.N == 0 {
		up = up.If("attribute_not_exists(n)")
	} else {
		up = up.If("n = ?", c.N)
	}
	if err := up.Run(ctx); err != nil {
		tb.Fatal(err)
	}
}

// TakeTurn takes a place in the ticket counter's queue and never uses it,
// as a container that dies before its turn does.
func TakeTurn(tb testing.TB, s *Store) {
	tb.Helper()
	if _, err := s.takeTurn(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// SetVersionsCounting makes fn run in CountVersions between reading
// uncounted records and counting them.
func SetVersionsCounting(s *Store, fn func()) { s.versionsCounting = fn }

// SetBackfillRead makes fn run between Reindex reading a ticket and
// writing its index keys, so a test can change the ticket there.
func SetBackfillRead(s *Store, fn func(ticketID string)) { s.backfillRead = fn }

// PutOldShape stores ts as the code before the sort indexes did: no sort
// index keys (g7…g15), no status-and-category keys (g12), no
// PRIORITY#/STATCAT# counts and no dictionary keys on the CATEGORY#
// counts (the other counts and the ticket counter as ImportTickets keeps
// them).
func PutOldShape(tb testing.TB, s *Store, ts []*grievance.Ticket) {
	tb.Helper()
	ctx := context.Background()
	if err := s.ImportTickets(ctx, ts); err != nil {
		tb.Fatal(err)
	}
	for _, t := range ts {
		it, err := toTicketItem(t)
		if err != nil {
			tb.Fatal(err)
		}
		it.G7PK, it.G7SK, it.G8PK, it.G8SK, it.G9PK, it.G9SK, it.G10PK, it.G10SK, it.G11PK, it.G11SK = "", "", "", "", "", "", "", "", "", ""
		it.G12PK, it.G12SK, it.G13PK, it.G13SK, it.G14PK, it.G14SK, it.G15PK, it.G15SK = "", "", "", "", "", "", "", ""
		if err := s.main.Put(it).Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	var counts []countItem
	if err := s.main.Scan().Filter("kind = ?", KindCount).All(ctx, &counts); err != nil {
		tb.Fatal(err)
	}
	for _, c := range counts {
		p := strings.TrimPrefix(c.PK, prefixCount)
		if recounted(p) {
			if err := s.main.Delete(AttrPK, c.PK).Range(AttrSK, skCount).Run(ctx); err != nil {
				tb.Fatal(err)
			}
		} else if listsValue(p) {
			if err := s.main.Update(AttrPK, c.PK).Range(AttrSK, skCount).Remove("g1pk", "g1sk").Run(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// SetRecountCounted makes fn run in each Recount round between counting
// and writing, so a test can change a partition there.
func SetRecountCounted(s *Store, fn func(round int)) { s.recountCounted = fn }

// Snapshot returns every item of the main table, rendered and sorted, so
// a test can tell whether anything changed.
func Snapshot(tb testing.TB, s *Store) []string {
	tb.Helper()
	var items []dynamo.Item
	if err := s.main.Scan().Consistent(true).All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	out := make([]string, 0, len(items))
	for _, item := range items {
		var m map[string]any
		if err := dynamo.UnmarshalItem(item, &m); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprint(m))
	}
	sort.Strings(out)
	return out
}

// MainTableName is the physical name of s's main table.
func MainTableName(s *Store) string { return s.main.Name() }

// PostingSizes returns the encoded sizes of a posting's narrow blocks, in
// block order.
func PostingSizes(tb testing.TB, s *Store, field, gram string) []int {
	tb.Helper()
	var out []int
	for _, it := range postingItemsOf(tb, s, field, gram) {
		if !strings.HasPrefix(it.SK, prefixWide) {
			out = append(out, len(it.B))
		}
	}
	return out
}

// postingItemsOf reads a posting's items (a text gram's, or an order
// posting group's: field grievance.OrderField(column)), consistently.
func postingItemsOf(tb testing.TB, s *Store, field, gram string) []postingItem {
	tb.Helper()
	r := refOf(grievance.PostingKey{Field: field, Gram: gram})
	q := s.main.Get(AttrPK, r.pk).Consistent(true)
	if r.pre != "" {
		q = q.Range(AttrSK, dynamo.BeginsWith, r.pre)
	}
	var items []postingItem
	if err := q.All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	return items
}

// PostingLayout is how a posting is kept: its narrow items' blocks, and
// per wide item its first block, its upto and the blocks it holds.
type PostingLayout struct {
	Narrow []int64
	Wide   []WideLayout
}

type WideLayout struct {
	First, Upto int64
	Blocks      []int64
}

// LayoutOf reads a posting's items (consistently) and describes them.
func LayoutOf(tb testing.TB, s *Store, field, gram string) PostingLayout {
	tb.Helper()
	var l PostingLayout
	for _, it := range postingItemsOf(tb, s, field, gram) {
		_, blocks, err := postingBlocks(it)
		if err != nil {
			tb.Fatal(err)
		}
		_, wide, first, err := splitPostingSK(it.SK)
		if err != nil {
			tb.Fatal(err)
		}
		if !wide {
			l.Narrow = append(l.Narrow, slices.Collect(maps.Keys(blocks))...)
			continue
		}
		l.Wide = append(l.Wide, WideLayout{First: first, Upto: it.Upto, Blocks: slices.Sorted(maps.Keys(blocks))})
	}
	return l
}

// SetWideBlocks sets how many blocks a wide posting item holds and
// returns what puts it back.
func SetWideBlocks(n int64) (restore func()) {
	old := wideBlocks
	wideBlocks = n
	return func() { wideBlocks = old }
}

// PutNarrowPosting writes one narrow posting item as the code before the
// wide items did, whatever the block: seqs are its members.
func PutNarrowPosting(tb testing.TB, s *Store, field, gram string, blk int64, seqs ...int64) {
	tb.Helper()
	b := &block{}
	for _, n := range seqs {
		if n>>blockBits != blk {
			tb.Fatalf("ticket %d is not in block %d", n, blk)
		}
		b.set(uint16(n&(blockSize-1)), true)
	}
	r := refOf(grievance.PostingKey{Field: field, Gram: gram})
	it := postingItem{PK: r.pk, SK: r.narrowSK(blk), Kind: KindPosting, B: b.encode(), V: 1}
	if err := s.main.Put(it).Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// SetPostingRead makes fn run where a posting writer has read what it
// writes from (stage "state" or "below"); nil removes it.
func SetPostingRead(s *Store, fn func(stage string)) { s.postingRead = fn }

// PostingChange sets (Member) or clears ticket Seq in posting Key.
type PostingChange struct {
	Key    grievance.PostingKey
	Seq    int64
	Member bool
}

// ErrPostingRace is the error of a posting write that lost its race on
// every attempt: the stream consumer fails its batch, and it is retried.
var ErrPostingRace = errPostingRace

// ApplyPostingChanges writes changes to the postings as the stream
// consumer does (its reads, conditions and retries).
func ApplyPostingChanges(ctx context.Context, s *Store, changes []PostingChange) error {
	pc := postingChanges{}
	for _, c := range changes {
		pc.set(c.Key, c.Seq, c.Member)
	}
	return s.applyPostings(ctx, pc, false)
}

// NameIndexEntries returns the sort keys of a person's name index
// entries (read from the person's partition, consistently).
func NameIndexEntries(tb testing.TB, s *Store, id string) []string {
	tb.Helper()
	var items []namePartItem
	err := s.main.Get(AttrPK, prefixPerson+id).Range(AttrSK, dynamo.BeginsWith, skNamePart).Consistent(true).All(context.Background(), &items)
	if err != nil {
		tb.Fatal(err)
	}
	var sks []string
	for _, it := range items {
		sks = append(sks, strings.TrimPrefix(it.SK, skNamePart))
	}
	return sks
}

// MakePreIndexPerson turns a stored person into one written before the
// name index: no entries and no marker.
func MakePreIndexPerson(tb testing.TB, s *Store, id string) {
	tb.Helper()
	ctx := context.Background()
	for _, sk := range NameIndexEntries(tb, s, id) {
		if err := s.main.Delete(AttrPK, prefixPerson+id).Range(AttrSK, skNamePart+sk).Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.main.Update(AttrPK, prefixPerson+id).Range(AttrSK, skPerson).Remove("nameParts").Run(ctx); err != nil {
		tb.Fatal(err)
	}
}

// TicketStream renders versions (each ticket's in order) as the stream
// records of their writes: an INSERT for version 1, a MODIFY from the
// version before otherwise.
func TicketStream(tb testing.TB, versions []*grievance.Ticket) []events.DynamoDBEventRecord {
	t := tb.(*testing.T)
	g := &fixtureGen{}
	var recs []events.DynamoDBEventRecord
	for _, v := range versions {
		if v.Version == 1 {
			recs = append(recs, g.ticket(t, events.DynamoDBOperationTypeInsert, nil, v, "", v.DateUpdated))
			continue
		}
		old := v.Clone()
		old.Version--
		recs = append(recs, g.ticket(t, events.DynamoDBOperationTypeModify, old, v, "", v.DateUpdated))
	}
	return recs
}

// RemovalStream is the stream record of removing t.
func RemovalStream(tb testing.TB, t *grievance.Ticket) events.DynamoDBEventRecord {
	g := &fixtureGen{seq: 1 << 20}
	return g.ticket(tb.(*testing.T), events.DynamoDBOperationTypeRemove, t, nil, "", t.DateUpdated)
}

// RecordUncounted records recs as the consumer before the counts did:
// plain puts, no `counted`, no counts.
func RecordUncounted(tb testing.TB, s *Store, recs []events.DynamoDBEventRecord) {
	tb.Helper()
	var items []any
	for _, rec := range recs {
		ch, err := DecodeChange(rec)
		if err != nil {
			tb.Fatal(err)
		}
		items = append(items, ch.historyItem())
	}
	if _, err := s.history.Batch(AttrPK, AttrSK).Write().Put(items...).Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// RecordBeforePairs records recs as the consumer before the pairs did:
// counted, without `pairs` or their counts, and a table whose ticket 1
// came then has the counts' marker alone.
func RecordBeforePairs(tb testing.TB, s *Store, recs []events.DynamoDBEventRecord) {
	tb.Helper()
	recordAs(tb, s, recs, func(r *countedRecord) {
		if r.it.H1PK == "" || r.it.HistoryType == HistoryDeleted {
			return
		}
		r.it.Pairs, r.first = false, false
		var err error
		if r.item, err = dynamo.MarshalItem(r.it); err != nil {
			tb.Fatal(err)
		}
		t, err := r.it.ticket()
		if err != nil {
			tb.Fatal(err)
		}
		pairs := grievance.VersionPairKeys(t)
		r.counts = slices.DeleteFunc(r.counts, func(k grievance.VersionCountKey) bool { return slices.Contains(pairs, k) })
	})
	if err := s.history.Put(newCountsMarker(skCountsMarker, "record")).Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// recordAs records recs as the consumer does, each record changed by
// edit first, in transactions as the consumer cuts them.
func recordAs(tb testing.TB, s *Store, recs []events.DynamoDBEventRecord, edit func(*countedRecord)) {
	tb.Helper()
	var out []*countedRecord
	for _, rec := range recs {
		ch, err := DecodeChange(rec)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := newCountedRecord(ch.historyItem())
		if err != nil {
			tb.Fatal(err)
		}
		edit(r)
		out = append(out, r)
	}
	for len(out) > 0 {
		n := txChunk(out)
		if _, err := s.recordCounted(context.Background(), out[:n]); err != nil {
			tb.Fatal(err)
		}
		out = out[n:]
	}
}

// CountedMarks returns, per ticket-version record (pk sk), whether it
// carries `counted` and `pairs`.
func CountedMarks(tb testing.TB, s *Store) map[string]bool {
	tb.Helper()
	var items []historyItem
	if err := s.history.Scan().Consistent(true).Filter("attribute_exists(h1pk)").All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	out := map[string]bool{}
	for _, it := range items {
		out[it.PK+" "+it.SK] = it.Counted && it.Pairs
	}
	return out
}

// DropOrderPostings makes the text index what it was before the order
// postings: no ORDER# item nor their marker, and no reference records its
// order grams.
func DropOrderPostings(tb testing.TB, s *Store) {
	tb.Helper()
	ctx := context.Background()
	var items []dynamo.Item
	if err := s.main.Scan().Consistent(true).All(ctx, &items); err != nil {
		tb.Fatal(err)
	}
	for _, it := range items {
		var k struct {
			PK string `dynamo:"pk"`
			SK string `dynamo:"sk"`
		}
		if err := dynamo.UnmarshalItem(it, &k); err != nil {
			tb.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(k.PK, prefixOrder), k.PK == pkOrdersMarker:
			err = s.main.Delete(AttrPK, k.PK).Range(AttrSK, k.SK).Run(ctx)
		case strings.HasPrefix(k.PK, prefixSearchRef):
			err = s.main.Update(AttrPK, k.PK).Range(AttrSK, k.SK).Remove("orders").Run(ctx)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// SetRunSizes sets the order runs' sizes (runMembers, runFill, spanRuns,
// spanBytes, runStoredMax) and the items a transaction takes, and returns
// what puts them back.
func SetRunSizes(members, fill, runs, bytes, stored, tx int) (restore func()) {
	old := []int{runMembers, runFill, spanRuns, spanBytes, runStoredMax, txItemsMax}
	runMembers, runFill, spanRuns, spanBytes, runStoredMax, txItemsMax = members, fill, runs, bytes, stored, tx
	return func() {
		runMembers, runFill, spanRuns, spanBytes, runStoredMax, txItemsMax = old[0], old[1], old[2], old[3], old[4], old[5]
	}
}

// OrderRunSpans returns how many span items field's runs are kept in.
func OrderRunSpans(tb testing.TB, s *Store, field string) int {
	tb.Helper()
	var items []runsItem
	if err := s.main.Get(AttrPK, prefixOrderRun+field).Consistent(true).All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	return len(items)
}

// UnrankRuns makes field's spans what code before the runs' ranks
// wrote: every run unranked.
func UnrankRuns(tb testing.TB, s *Store, field string) {
	tb.Helper()
	eachSpan(tb, s, field, func(it runsItem, runs []grievance.OrderRun, raw func([]grievance.OrderRun) []byte) {
		for i := range runs {
			runs[i].Ranks = nil
		}
		it.B, it.V = deflated(raw(runs)), it.V+1
		if err := s.main.Put(it).Run(context.Background()); err != nil {
			tb.Fatal(err)
		}
	})
}

// eachSpan calls fn with each of field's spans and its runs, and raw,
// which encodes runs.
func eachSpan(tb testing.TB, s *Store, field string, fn func(it runsItem, runs []grievance.OrderRun, raw func([]grievance.OrderRun) []byte)) {
	tb.Helper()
	var items []runsItem
	if err := s.main.Get(AttrPK, prefixOrderRun+field).Consistent(true).All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	raw := func(runs []grievance.OrderRun) []byte {
		b, err := encodeRuns(runs)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	for _, it := range items {
		runs, err := decodeSpan(it.B)
		if err != nil {
			tb.Fatal(err)
		}
		fn(it, runs, raw)
	}
}

// DropOrderRuns makes the index what it was before the order runs: no
// ORDERRUN# item nor their marker.
func DropOrderRuns(tb testing.TB, s *Store) {
	tb.Helper()
	var pks []string
	for _, f := range grievance.OrderRunFields {
		pks = append(pks, prefixOrderRun+f)
	}
	for _, m := range runsMarkers()[1:] {
		dropIndex(tb, s, m)
	}
	dropIndex(tb, s, skRunsMarker, pks...)
}

// dropIndex deletes every item of the partitions pks and the marker sk.
func dropIndex(tb testing.TB, s *Store, marker string, pks ...string) {
	tb.Helper()
	ctx := context.Background()
	for _, pk := range pks {
		var items []postingItem // any item of the index: pk and sk
		if err := s.main.Get(AttrPK, pk).Consistent(true).All(ctx, &items); err != nil {
			tb.Fatal(err)
		}
		for _, it := range items {
			if err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).Run(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := s.main.Delete(AttrPK, pkOrdersMarker).Range(AttrSK, marker).Run(ctx); err != nil {
		tb.Fatal(err)
	}
}

// SpanSizes returns how many runs each span gets when n runs of members
// tickets each (titles of 28 bytes) are cut into spans.
func SpanSizes(tb testing.TB, n, members int) []int {
	tb.Helper()
	runs := make([]grievance.OrderRun, n)
	seq := int64(0)
	for i := range runs {
		runs[i].From = grievance.OrderKey("title", fmt.Sprintf("Payment not received (%05d)", i)).Gram
		for range members {
			seq++
			runs[i].Seqs = append(runs[i].Seqs, seq)
		}
	}
	parts, err := splitSpan(runs)
	if err != nil {
		tb.Fatal(err)
	}
	var out []int
	for _, p := range parts {
		out = append(out, len(p.runs))
	}
	return out
}

// RealisticSpans returns the deflated size of each span that n tickets
// make, cut at once, when their titles are a few words of twenty in any
// order and a number, and their numbers fall in any order; unranked, as
// code before the runs' ranks wrote them.
func RealisticSpans(tb testing.TB, n int, unranked bool) []int {
	tb.Helper()
	runs := realisticRuns(n)
	if unranked {
		for i := range runs {
			runs[i].Ranks = nil
		}
	}
	parts, err := splitSpan(runs)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]int, len(parts))
	for i, p := range parts {
		out[i] = len(p.b)
	}
	return out
}

// realisticRuns are the runs of n tickets as RealisticSpans makes them.
func realisticRuns(n int) []grievance.OrderRun {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("payment not received delayed wrong amount household member missing card blocked officer rude enrolment refused targeting error village distance fee")
	type ticket struct {
		gram string
		seq  int64
	}
	ts := make([]ticket, n)
	for i := range ts {
		title := make([]string, 0, 8)
		for range 3 + rng.IntN(5) {
			title = append(title, words[rng.IntN(len(words))])
		}
		title = append(title, strconv.Itoa(rng.IntN(1000)))
		ts[i] = ticket{grievance.OrderKey("title", strings.Join(title, " ")).Gram, int64(i + 1)}
	}
	slices.SortFunc(ts, func(a, b ticket) int { return strings.Compare(a.gram, b.gram) })
	var runs []grievance.OrderRun
	for i := 0; i < n; i += runFill {
		r := grievance.OrderRun{From: ts[i].gram}
		var groups []orderGroup
		for _, t := range ts[i:min(i+runFill, n)] {
			r.Seqs = append(r.Seqs, t.seq)
			if len(groups) == 0 || groups[len(groups)-1].gram != t.gram {
				groups = append(groups, orderGroup{gram: t.gram})
			}
			groups[len(groups)-1].seqs = append(groups[len(groups)-1].seqs, t.seq)
		}
		slices.Sort(r.Seqs)
		// Ranked, as the store writes them.
		rankRun(&r, groups)
		runs = append(runs, r)
	}
	return runs
}

// DropDueDays makes the index what it was before the due days: no
// DUEDAYS item nor their marker.
func DropDueDays(tb testing.TB, s *Store) {
	tb.Helper()
	dropIndex(tb, s, skDaysMarker, pkDueDays, dueDays.widePK())
}

// DropDateDays makes the index what it was before the date days: no
// INCIDENTDAYS or CREATEDDAYS item, nor their marker.
func DropDateDays(tb testing.TB, s *Store) {
	tb.Helper()
	dropIndex(tb, s, skDateDaysMarker, dateDayColumns["date_of_incident"].widePK(), dateDayColumns["date_created"].widePK())
}

// DropSLAPeriods makes the index what it was before the SLA periods: no
// SLAPERIODS item, nor their marker, nor a reference's period.
func DropSLAPeriods(tb testing.TB, s *Store) {
	tb.Helper()
	dropIndex(tb, s, skPeriodsMarker, slaPeriods.widePK())
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(context.Background(), &refs); err != nil {
		tb.Fatal(err)
	}
	for _, r := range refs {
		if err := s.main.Update(AttrPK, r.PK).Range(AttrSK, r.SK).Remove("pu").Run(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
}

// DropHistoryRows deletes the history rows, their counts by value and
// their marker, as on a table indexed before them.
func DropHistoryRows(tb testing.TB, s *Store) {
	tb.Helper()
	var cols []columnItem
	if err := s.main.Scan().Filter("begins_with($, ?) OR begins_with($, ?)", AttrPK, pkHistoryRows, AttrPK, historyRows.widePK()).Consistent(true).All(context.Background(), &cols); err != nil {
		tb.Fatal(err)
	}
	pks := []string{pkHistoryRows, historyRows.widePK()}
	for _, c := range cols {
		if !slices.Contains(pks, c.PK) {
			pks = append(pks, c.PK)
		}
	}
	dropIndex(tb, s, skRowsMarker, pks...)
}

// ForgetValueRows takes the counts by value out of every search
// reference, as references written before them.
func ForgetValueRows(tb testing.TB, s *Store) {
	tb.Helper()
	ctx := context.Background()
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(ctx, &refs); err != nil {
		tb.Fatal(err)
	}
	for _, r := range refs {
		if err := s.main.Update(AttrPK, r.PK).Range(AttrSK, r.SK).Remove("hist", "histLost").Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// ForgetUnchangedRows makes the index what it was before the count of
// versions that kept the reporter: no such column, and references whose
// counts by value do not say it.
func ForgetUnchangedRows(tb testing.TB, s *Store) {
	tb.Helper()
	var keys []fieldValue
	for _, f := range grievance.RowUnchangedFields {
		keys = append(keys, fieldValue{f, grievance.UnchangedValue})
	}
	forgetCounts(tb, s, keys)
}

// forgetCounts deletes the columns of keys and the items of prefixes,
// and takes keys out of every search reference's counts by value.
func forgetCounts(tb testing.TB, s *Store, keys []fieldValue, prefixes ...string) {
	tb.Helper()
	ctx := context.Background()
	var items []postingItem // any item: pk and sk
	for _, fv := range keys {
		c := fv.column()
		for _, pk := range []string{c.pk, c.widePK()} {
			var some []postingItem
			if err := s.main.Get(AttrPK, pk).Consistent(true).All(ctx, &some); err != nil {
				tb.Fatal(err)
			}
			items = append(items, some...)
		}
	}
	for _, pre := range prefixes {
		var some []postingItem
		if err := s.main.Scan().Filter("begins_with($, ?)", AttrPK, pre).Consistent(true).All(ctx, &some); err != nil {
			tb.Fatal(err)
		}
		items = append(items, some...)
	}
	for _, it := range items {
		if err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(ctx, &refs); err != nil {
		tb.Fatal(err)
	}
	for _, r := range refs {
		if r.Hist == nil {
			continue
		}
		for _, fv := range keys {
			delete(r.Hist, fv.histKey())
		}
		if err := s.main.Put(r).Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// SetWidenRead sets the hook WidenColumns runs between moving a narrow
// block and deleting it.
func SetWidenRead(s *Store, fn func(pk, sk string)) { s.widenRead = fn }

// NarrowColumns makes the columns what they were before the wide blocks:
// every wide block split into narrow blocks of 4,096 tickets (the known
// ones), every wide span of the order runs a narrow one, no wide block
// nor span, no marker, and s not knowing otherwise.
func NarrowColumns(tb testing.TB, s *Store) {
	tb.Helper()
	ctx := context.Background()
	var wide []columnItem
	if err := s.main.Scan().Filter("begins_with($, ?)", AttrPK, prefixColumn).Consistent(true).All(ctx, &wide); err != nil {
		tb.Fatal(err)
	}
	for _, it := range wide {
		blk, err := strconv.ParseInt(it.SK, 10, 64)
		if err != nil {
			tb.Fatal(err)
		}
		b, err := decodeWide(it.B)
		if err != nil {
			tb.Fatal(err)
		}
		for sub := range colBlockSize / narrowBlockSize {
			nums := b[sub*narrowBlockSize : (sub+1)*narrowBlockSize]
			if !slices.ContainsFunc(nums, func(d uint16) bool { return d != 0 }) {
				continue
			}
			n := columnItem{PK: strings.TrimPrefix(it.PK, prefixColumn), SK: blockSK(blk<<(colBlockBits-narrowBlockBits) + int64(sub)),
				Kind: it.Kind, B: packNumbers(nums), V: 1}
			if err := s.main.Put(n).Run(ctx); err != nil {
				tb.Fatal(err)
			}
		}
		if err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	// The order runs: each wide span becomes a narrow one (pk
	// ORDERRUN#, not deflated), as the code before kept them.
	for _, f := range grievance.OrderRunFields {
		eachSpan(tb, s, f, func(it runsItem, runs []grievance.OrderRun, raw func([]grievance.OrderRun) []byte) {
			n := runsItem{PK: prefixNarrowRun + f, SK: it.SK, Kind: it.Kind, B: raw(runs), V: 1}
			if err := s.main.Put(n).Run(ctx); err != nil {
				tb.Fatal(err)
			}
			if err := s.main.Delete(AttrPK, it.PK).Range(AttrSK, it.SK).Run(ctx); err != nil {
				tb.Fatal(err)
			}
		})
	}
	if err := s.main.Delete(AttrPK, pkOrdersMarker).Range(AttrSK, skWideMarker).Run(ctx); err != nil {
		tb.Fatal(err)
	}
	s.wideSeen.Store(false)
}

// NarrowSpans counts the order runs' narrow spans.
func NarrowSpans(tb testing.TB, s *Store) int {
	tb.Helper()
	n := 0
	for _, f := range grievance.OrderRunFields {
		var spans []runsItem
		if err := s.main.Get(AttrPK, prefixNarrowRun+f).Consistent(true).All(context.Background(), &spans); err != nil {
			tb.Fatal(err)
		}
		n += len(spans)
	}
	return n
}

// ColumnBlocks counts the narrow and the wide blocks of every column.
func ColumnBlocks(tb testing.TB, s *Store) (narrow, wide int) {
	tb.Helper()
	var items []columnItem
	if err := s.main.Scan().Filter("kind IN (?, ?, ?)", KindDueDays, KindHistoryRows, KindValueRows).Consistent(true).All(context.Background(), &items); err != nil {
		tb.Fatal(err)
	}
	for _, it := range items {
		if strings.HasPrefix(it.PK, prefixColumn) {
			wide++
		} else {
			narrow++
		}
	}
	return narrow, wide
}

// SetNarrowNumber sets one ticket's number in its narrow block, as the
// code before the wide blocks wrote it.
func SetNarrowNumber(tb testing.TB, s *Store, pk string, seq int64, d uint16) {
	tb.Helper()
	ctx := context.Background()
	var cur columnItem
	err := s.main.Get(AttrPK, pk).Range(AttrSK, dynamo.Equal, blockSK(seq>>narrowBlockBits)).Consistent(true).One(ctx, &cur)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		tb.Fatal(err)
	}
	nums := make([]uint16, narrowBlockSize)
	if err := unpackNumbers(cur.B, nums); err != nil {
		tb.Fatal(err)
	}
	nums[seq&(narrowBlockSize-1)] = d
	kind := KindValueRows
	switch pk {
	case pkDueDays:
		kind = KindDueDays
	case pkHistoryRows:
		kind = KindHistoryRows
	}
	it := columnItem{PK: pk, SK: blockSK(seq >> narrowBlockBits), Kind: kind, B: packNumbers(nums), V: cur.V + 1}
	if err := s.main.Put(it).Run(ctx); err != nil {
		tb.Fatal(err)
	}
}

// ValueRowsPK is the narrow partition of a value's history rows.
func ValueRowsPK(field, value string) string { return fieldValue{field, value}.column().pk }

// Narrow partitions of the due days and the history rows.
const (
	DueDaysPK     = pkDueDays
	HistoryRowsPK = pkHistoryRows
)

// Reopen returns a new Store over s's tables, as another container with
// nothing remembered.
func Reopen(s *Store) *Store { return &Store{db: s.db, main: s.main, history: s.history} }

// HistoryKeysOf are the history postings t's content is in, with h:all.
func HistoryKeysOf(t *grievance.Ticket) []grievance.PostingKey {
	keys := []grievance.PostingKey{grievance.HistoryAll}
	for k := range searchStateOf(t).content(map[grievance.PostingKey]bool{}) {
		keys = append(keys, grievance.HistoryKey(k))
	}
	return keys
}

// DeleteTicketVersion deletes the History table's record of a ticket's
// version, as a version lost before the History table kept it.
func DeleteTicketVersion(tb testing.TB, s *Store, id string, v int) {
	tb.Helper()
	if err := s.history.Delete(AttrPK, prefixTicket+id).Range(AttrSK, versionKey(v)).Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// SetHistoryComputed sets the hook CompleteHistory runs between reading a
// page's tickets and writing their index.
func SetHistoryComputed(s *Store, fn func()) { s.historyComputed = fn }

// Carried exposes the sliding window's share of the previous count.
var Carried = carried

// ForgetTextCounts makes the index what it was before the counts of each
// text's changes: no such columns, no postings of replaced texts, and
// references whose counts by value do not say them.
func ForgetTextCounts(tb testing.TB, s *Store) {
	tb.Helper()
	keys := splitKeys(tb, s)
	for _, f := range grievance.TextIndexedFields {
		keys = append(keys, fieldValue{f, grievance.ChangesValue}, fieldValue{f, grievance.FirstValue})
	}
	forgetCounts(tb, s, keys, prefixPosting+grievance.ReplacedField(""))
}

// ForgetFiled makes s's table what it was before the filed postings
// (grievance.FiledKey): none, nor their marker.
func ForgetFiled(tb testing.TB, s *Store) {
	tb.Helper()
	forgetCounts(tb, s, nil, prefixPosting+grievance.FiledField(""))
	err := s.main.Delete(AttrPK, pkOrdersMarker).Range(AttrSK, skFiledMarker).Run(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
}

// ForgetSplitCounts makes s's table what it was before the counts by
// value of the versions before a text's first change: no
// grievance.FirstRowsField columns nor FirstSplitValue, in the columns
// and in every search reference.
func ForgetSplitCounts(tb testing.TB, s *Store) {
	tb.Helper()
	forgetCounts(tb, s, splitKeys(tb, s))
}

// ForgetPairs makes s's table what it was before the history rows'
// pairs: no grievance.RowPairKeys columns nor PairsValue,
// in the columns and in every search reference.
func ForgetPairs(tb testing.TB, s *Store) {
	tb.Helper()
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(context.Background(), &refs); err != nil {
		tb.Fatal(err)
	}
	keys := []fieldValue{histKeyOf(pairsKey)}
	for _, r := range refs {
		for k := range r.Hist {
			fv := histKeyOf(k)
			if _, _, ok := grievance.RowPairOf(fv.field); ok && !slices.Contains(keys, fv) {
				keys = append(keys, fv)
			}
		}
	}
	forgetCounts(tb, s, keys)
}

// PairsOfSession25 makes s's table what session 25's consumer wrote: the
// staff's and the status's pairs counted under the older marker
// (grievance.LegacyPairsValues), no category pairs nor triples, in the
// columns and in every search reference.
func PairsOfSession25(tb testing.TB, s *Store) {
	tb.Helper()
	ctx := context.Background()
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(ctx, &refs); err != nil {
		tb.Fatal(err)
	}
	keys := []fieldValue{histKeyOf(pairsKey)}
	counted := map[string]int{}
	for _, r := range refs {
		if n, ok := r.Hist[pairsKey]; ok {
			counted[r.PK] = n
		}
		for k := range r.Hist {
			fv := histKeyOf(k)
			if _, partner, ok := grievance.RowPairOf(fv.field); ok && (partner == "category" || partner == grievance.TriplePartner) && !slices.Contains(keys, fv) {
				keys = append(keys, fv)
			}
		}
	}
	forgetCounts(tb, s, keys)
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(ctx, &refs); err != nil {
		tb.Fatal(err)
	}
	for _, r := range refs {
		if n, ok := counted[r.PK]; ok {
			r.Hist[fieldValue{"attending_staff__id", grievance.LegacyPairsValues[0]}.histKey()] = n
			if err := s.main.Put(r).Run(ctx); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// ForgetHeldValues makes s's History table what it was before the
// values' dictionary: no dictionary items.
func ForgetHeldValues(tb testing.TB, s *Store) {
	tb.Helper()
	for _, f := range grievance.ValueFields {
		if err := s.history.Delete(AttrPK, pkHeldValues).Range(AttrSK, f).Run(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
}

// ForgetHeldKnown makes s a new container's: it has added no value to
// the values' dictionary.
func ForgetHeldKnown(s *Store) { s.held = heldKnown{} }

// splitKeys are the FirstSplitValue of each text and every
// grievance.FirstRowsField count the references hold.
func splitKeys(tb testing.TB, s *Store) []fieldValue {
	tb.Helper()
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(context.Background(), &refs); err != nil {
		tb.Fatal(err)
	}
	var keys []fieldValue
	for _, f := range grievance.TextIndexedFields {
		keys = append(keys, fieldValue{f, grievance.FirstSplitValue})
	}
	for _, r := range refs {
		for k := range r.Hist {
			fv := histKeyOf(k)
			if _, _, ok := grievance.FirstRowsOf(fv.field); ok && !slices.Contains(keys, fv) {
				keys = append(keys, fv)
			}
		}
	}
	return keys
}

// SetLiveTicketSize sets what the store believes a live ticket weighs,
// which cuts LiveTicketsBySeq's Queries (seqruns.go).
func SetLiveTicketSize(s *Store, n int) { s.liveSize.bytes.Store(int64(n)) }

// ForgetLiveTexts makes the index what version v of the live postings
// (grievance.LiveSince) left: the postings of the fields it did not hold
// gone, the markers of later versions gone and v's written, and
// references that say they were indexed under v without those fields
// (version 1's said so by "lt"). Version 0 is a table indexed before the
// live postings: none of them, no marker, references without them.
func ForgetLiveTexts(tb testing.TB, s *Store, v int) {
	tb.Helper()
	ctx := context.Background()
	gone := func(f string) bool { return grievance.LiveSince(f) > v }
	var items []postingItem // any item: pk and sk
	if err := s.main.Scan().Filter("kind = ?", KindPosting).Consistent(true).All(ctx, &items); err != nil {
		tb.Fatal(err)
	}
	var pks []string
	for _, it := range items {
		field, _, _ := strings.Cut(strings.TrimPrefix(it.PK, prefixPosting), "#")
		f, ok := grievance.LiveTextFieldOf(grievance.PostingKey{Field: field})
		if ok && gone(f) && !slices.Contains(pks, it.PK) {
			pks = append(pks, it.PK)
		}
	}
	dropIndex(tb, s, skLiveTextsMarker, pks...)
	for later := v + 1; later < grievance.LiveTextsVersion; later++ {
		dropIndex(tb, s, liveTextsMarker(later))
	}
	if v > 0 {
		if err := s.mark(ctx, liveTextsMarker(v)); err != nil {
			tb.Fatal(err)
		}
	}
	var refs []searchRefItem
	if err := s.main.Scan().Filter("kind = ?", KindSearchRef).Consistent(true).All(ctx, &refs); err != nil {
		tb.Fatal(err)
	}
	for _, r := range refs {
		u := s.main.Update(AttrPK, r.PK).Range(AttrSK, r.SK)
		switch {
		case v == 0:
			u = u.Remove("lv", "ltexts")
		case v == 1:
			u = u.Remove("lv").Set("lt", true)
		default:
			u = u.Set("lv", v)
		}
		for f := range r.LiveTexts {
			if v > 0 && gone(f) {
				u = u.RemoveExpr("ltexts.$", f)
			}
		}
		if err := u.Run(ctx); err != nil {
			tb.Fatal(err)
		}
	}
}

// RecordBeforeSorts records recs as the consumer before the history sort
// keys did: counted with their pairs, without the sort keys or the
// attributes they project, and a table whose ticket 1 came then has the
// counts' and pairs' markers alone.
func RecordBeforeSorts(tb testing.TB, s *Store, recs []events.DynamoDBEventRecord) {
	tb.Helper()
	recordAs(tb, s, recs, func(r *countedRecord) {
		for _, a := range sortAttrs {
			delete(r.item, a)
		}
	})
	if err := s.history.Delete(AttrPK, pkCountsMarker).Range(AttrSK, skSortsMarker).Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// DropHistoryIndex deletes index from s's History table, as a stage that
// has not deployed it yet lacks it.
func DropHistoryIndex(tb testing.TB, s *Store, index string) {
	tb.Helper()
	_, err := s.db.Client().UpdateTable(context.Background(), &dynamodb.UpdateTableInput{
		TableName: aws.String(s.history.Name()),
		GlobalSecondaryIndexUpdates: []types.GlobalSecondaryIndexUpdate{{
			Delete: &types.DeleteGlobalSecondaryIndexAction{IndexName: aws.String(index)},
		}},
	})
	if err != nil {
		tb.Fatal(err)
	}
}
