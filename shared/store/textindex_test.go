package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/streams"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/store"
)

// ticketRecords reads the Main table's stream: every ticket record so far.
func ticketRecords(t *testing.T, s *store.Store) []events.DynamoDBEventRecord {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	api := dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) { o.APIOptions = append(o.APIOptions, streams.FixMotoDates) })
	all, err := streams.ReadAll(ctx, api, store.MainTableName(s))
	if err != nil {
		t.Fatal(err)
	}
	var recs []events.DynamoDBEventRecord
	for _, r := range all {
		img := r.Change.NewImage
		if img == nil {
			img = r.Change.OldImage
		}
		if img["kind"].String() == store.KindTicket {
			recs = append(recs, r)
		}
	}
	return recs
}

// wantPostings computes, from the tickets as they are, what the postings
// of keys must hold.
func wantPostings(ts []*grievance.Ticket, keys []grievance.PostingKey) map[grievance.PostingKey][]int64 {
	out := map[grievance.PostingKey][]int64{}
	for _, k := range keys {
		out[k] = nil
		for _, t := range ts {
			if t.IsDeleted {
				continue
			}
			value := slices.Contains(grievance.ValueIndexedFields, k.Field)
			if k.Field == grievance.LiveField || value && k == grievance.ValueKey(k.Field, grievance.IndexedValue(t, k.Field)) ||
				!value && slices.Contains(grievance.Grams(grievance.IndexedText(t, k.Field)), k.Gram) {
				out[k] = append(out[k], t.Seq)
			}
		}
		slices.Sort(out[k])
	}
	return out
}

func members(s *grievance.SeqSet) []int64 {
	var out []int64
	s.Range(0, s.Max(), false, func(n int64) bool { out = append(out, n); return true })
	return out
}

// Ensure the text index follows real stream records: creates, title
// changes and deletes, whatever the batching, and a redelivered or older
// batch changes nothing.
func TestApplySearch_FollowsTheStreamExactly(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	svc := grievance.NewService(s, t0Clock, grievancetest.IDs(), grievance.Options{})
	_ = svc
	var ts []*grievance.Ticket
	for i := 1; i <= 6; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Title = []string{"Payment not received", "women rent", "Lost card", "PAY POINT", "ñandú", "rent"}[i-1]
		tk.Description = fmt.Sprintf("case %d", i)
		ts = append(ts, mustCreate(t, s, tk))
	}
	update(t, s, ts[0], func(n *grievance.Ticket) { n.Title = "Payment received late" })
	update(t, s, ts[1], func(n *grievance.Ticket) { n.Status = grievance.StatusInProgress }) // nothing indexed changes
	update(t, s, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	recs := ticketRecords(t, s)
	if len(recs) != 9 {
		t.Fatalf("%d ticket records, want 9", len(recs))
	}
	// Deliver in three batches, the middle one twice, then everything
	// again (a replay after a failure).
	for _, batch := range [][]events.DynamoDBEventRecord{recs[:4], recs[3:7], recs[3:7], recs[7:], recs} {
		if failed, err := s.ApplySearch(ctx, batch); failed != "" || err != nil {
			t.Fatalf("ApplySearch: %q %v", failed, err)
		}
	}
	current := make([]*grievance.Ticket, len(ts))
	for i, tk := range ts {
		got, err := s.Ticket(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		current[i] = got
	}
	keys := []grievance.PostingKey{{Field: grievance.LiveField, Gram: grievance.LiveGram}}
	for _, g := range []string{"p", "pay", "ent", "rec", "los", "ñ", "ñan", "not", "lat", "zz"} {
		keys = append(keys, grievance.PostingKey{Field: "title", Gram: g})
	}
	keys = append(keys, grievance.PostingKey{Field: "description", Gram: "4"},
		grievance.ValueKey("status", "OPEN"), grievance.ValueKey("status", "IN_PROGRESS"), grievance.ValueKey("category", "Default"))
	post, err := s.Postings(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range wantPostings(current, keys) {
		if got := members(post[k]); !slices.Equal(got, want) {
			t.Errorf("posting %s/%q = %v, want %v", k.Field, k.Gram, got, want)
		}
	}
	// The history postings remember what any version held.
	hist, err := s.Postings(ctx, []grievance.PostingKey{grievance.HistoryAll,
		grievance.HistoryKey(grievance.PostingKey{Field: "title", Gram: "not"}),
		grievance.HistoryKey(grievance.ValueKey("status", "IN_PROGRESS"))})
	if err != nil {
		t.Fatal(err)
	}
	if all := members(hist[grievance.HistoryAll]); !slices.Equal(all, []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("h:all = %v, want every ticket, the deleted one too", all)
	}
	if not := members(hist[grievance.HistoryKey(grievance.PostingKey{Field: "title", Gram: "not"})]); !slices.Equal(not, []int64{1}) {
		t.Errorf("h:title/not = %v, want ticket 1 (its first title)", not)
	}
	if ip := members(hist[grievance.HistoryKey(grievance.ValueKey("status", "IN_PROGRESS"))]); !slices.Equal(ip, []int64{2}) {
		t.Errorf("h:status/=IN_PROGRESS = %v, want 2", ip)
	}
	if failed, err := s.RecordHistory(ctx, recs); failed != "" || err != nil {
		t.Fatalf("RecordHistory: %q %v", failed, err)
	}
	vs, err := s.VersionsBySeq(ctx, []int64{1, 3, 99})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs[1]) != 2 || vs[1][0].Version != 2 || vs[1][1].Title != "Payment not received" || len(vs[3]) != 2 || !vs[3][0].IsDeleted || len(vs[99]) != 0 {
		t.Errorf("VersionsBySeq: %d versions of 1, %d of 3, %d of 99", len(vs[1]), len(vs[3]), len(vs[99]))
	}
	newest, err := s.NewestVersionsBySeq(ctx, []int64{1, 3, 99})
	if err != nil {
		t.Fatal(err)
	}
	if len(newest) != 2 || newest[1].Version != vs[1][0].Version || newest[1].Title != vs[1][0].Title ||
		newest[3].Version != vs[3][0].Version || !newest[3].IsDeleted {
		t.Errorf("NewestVersionsBySeq: %d tickets, want 1 at version %d and 3 at %d (deleted)", len(newest), vs[1][0].Version, vs[3][0].Version)
	}
	// The versions below one: only those older, newest first.
	below, err := s.VersionsWithin(ctx, map[int64]grievance.VersionSpan{1: {From: 1, Below: 2}, 2: {From: 1, Below: 1}, 3: {From: 1, Below: 2}, 99: {From: 1, Below: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(below[1]) != 1 || below[1][0].Version != 1 || below[1][0].Title != "Payment not received" || len(below[2]) != 0 ||
		len(below[3]) != 1 || below[3][0].Version != 1 || len(below[99]) != 0 {
		t.Errorf("VersionsWithin below: %d versions of 1, %d of 2, %d of 3, %d of 99; want ticket 1's and 3's first alone", len(below[1]), len(below[2]), len(below[3]), len(below[99]))
	}
	past, err := s.VersionsWithin(ctx, map[int64]grievance.VersionSpan{1: {From: 1, Below: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if len(past[1]) != 2 || past[1][0].Version != 2 || past[1][1].Version != 1 {
		t.Errorf("VersionsWithin ticket 1 below its 9th: %d versions, want its 2 newest first", len(past[1]))
	}
	// From a version through the newest, and between two: no other
	// ticket's versions (the range stops at the ticket's own keys).
	from, err := s.VersionsWithin(ctx, map[int64]grievance.VersionSpan{1: {From: 2}, 99: {From: 2}, 3: {From: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(from[1]) != 1 || from[1][0].Version != 2 || len(from[99]) != 0 || len(from[3]) != 2 || !from[3][0].IsDeleted {
		t.Errorf("VersionsWithin from: %d versions of 1, %d of 99, %d of 3; want ticket 1's second and ticket 3's two", len(from[1]), len(from[99]), len(from[3]))
	}
	between, err := s.VersionsWithin(ctx, map[int64]grievance.VersionSpan{1: {From: 2, Below: 3}, 3: {From: 2, Below: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(between[1]) != 1 || between[1][0].Version != 2 || len(between[3]) != 0 {
		t.Errorf("VersionsWithin between: %d versions of 1, %d of 3; want ticket 1's second alone", len(between[1]), len(between[3]))
	}
	got, err := s.LiveTicketsBySeq(ctx, []int64{1, 2, 3, 6, 99}, -1)
	if err != nil {
		t.Fatal(err)
	}
	seqs := slices.Sorted(maps.Keys(got))
	if !slices.Equal(seqs, []int64{1, 2, 6}) || got[1].Title != "Payment received late" {
		t.Errorf("LiveTicketsBySeq = %v, want 1, 2 and 6 (3 is deleted, 99 does not exist)", seqs)
	}
	// However the numbers are cut into Queries (by the size of tickets
	// the store has read: one range, or a Query each), the answer is the
	// same.
	for _, size := range []int{0, 1 << 20} {
		store.SetLiveTicketSize(s, size)
		again, err := s.LiveTicketsBySeq(ctx, []int64{1, 2, 4, 6, 3, 99}, -1)
		if err != nil {
			t.Fatal(err)
		}
		seqs := slices.Sorted(maps.Keys(again))
		if !slices.Equal(seqs, []int64{1, 2, 4, 6}) || again[6].Title != "rent" {
			t.Errorf("LiveTicketsBySeq with tickets of %d bytes = %v, want 1, 2, 4 and 6", size, seqs)
		}
	}
}

// Ensure a read by number takes in no more tickets between the wanted
// ones than the caller spares, and answers the same however many.
func TestLiveTicketsBySeq_ReadsAtMostSpareTicketsBetween(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	for i := 1; i <= 6; i++ {
		mustCreate(t, s, newTicket(id(i), grievance.StatusOpen, "Default"))
	}
	// Size unknown: 1, 3 and 5 would be one range of five.
	for _, tc := range []struct{ spare, items int }{{-1, 5}, {2, 5}, {1, 3}, {0, 3}} {
		store.SetLiveTicketSize(s, 0)
		m.Take()
		got, err := s.LiveTicketsBySeq(ctx, []int64{5, 1, 3}, tc.spare)
		if err != nil {
			t.Fatal(err)
		}
		if seqs := slices.Sorted(maps.Keys(got)); !slices.Equal(seqs, []int64{1, 3, 5}) {
			t.Errorf("spare %d: tickets %v, want 1, 3 and 5", tc.spare, seqs)
		}
		if read := m.Take().Total("DynamoDB").ItemsRead; int(read) != tc.items {
			t.Errorf("spare %d: %v items read, want %d", tc.spare, read, tc.items)
		}
	}
}

// Ensure one stream batch holding several versions of a ticket puts the
// content of every version in the history postings (an intermediate
// status is a version a filtered history list must find), while the live
// postings follow the last one; a redelivery changes nothing.
func TestApplySearch_HistoryPostingsHoldEveryVersionOfABatch(t *testing.T) {
	s := MustOpen(t)
	tk := newTicket(id(1), grievance.StatusOpen, "Default")
	tk.Title = "Lost card"
	tk = mustCreate(t, s, tk)
	tk = update(t, s, tk, func(n *grievance.Ticket) { n.Status, n.Title = grievance.StatusInProgress, "Card found" })
	update(t, s, tk, func(n *grievance.Ticket) { n.Status, n.Title = grievance.StatusResolved, "Done" })
	indexTwice(t, s, 3)
	hist := func(k grievance.PostingKey) grievance.PostingKey { return grievance.HistoryKey(k) }
	want := map[grievance.PostingKey][]int64{
		hist(grievance.ValueKey("status", "OPEN")):              {1},
		hist(grievance.ValueKey("status", "IN_PROGRESS")):       {1},
		hist(grievance.ValueKey("status", "RESOLVED")):          {1},
		hist(grievance.PostingKey{Field: "title", Gram: "los"}): {1},
		hist(grievance.PostingKey{Field: "title", Gram: "fou"}): {1},
		hist(grievance.PostingKey{Field: "title", Gram: "don"}): {1},
		grievance.ValueKey("status", "IN_PROGRESS"):             nil,
		grievance.ValueKey("status", "RESOLVED"):                {1},
		{Field: "title", Gram: "fou"}:                           nil,
	}
	checkPostings(t, s, want)
}

// indexTwice gives the text index s's ticket stream records, n of them,
// in one batch delivered twice (the second a redelivery).
func indexTwice(t *testing.T, s *store.Store, n int) {
	t.Helper()
	recs := ticketRecords(t, s)
	if len(recs) != n {
		t.Fatalf("%d ticket records, want %d", len(recs), n)
	}
	for _, batch := range [][]events.DynamoDBEventRecord{recs, recs} {
		if failed, err := s.ApplySearch(context.Background(), batch); failed != "" || err != nil {
			t.Fatalf("ApplySearch: %q %v", failed, err)
		}
	}
}

// checkPostings reports each posting of want whose members are not its.
func checkPostings(t *testing.T, s *store.Store, want map[grievance.PostingKey][]int64) {
	t.Helper()
	post, err := s.Postings(context.Background(), slices.Collect(maps.Keys(want)))
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		if got := members(post[k]); !slices.Equal(got, w) {
			t.Errorf("posting %s/%q = %v, want %v", k.Field, k.Gram, got, w)
		}
	}
}

// Ensure the filed postings hold what each ticket's first version held,
// and nothing a later version took, whether the first version is a
// batch's last image of the ticket or an earlier one, and redelivered.
func TestApplySearch_FiledPostingsHoldTheFirstVersionsValues(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	one := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	update(t, s, one, func(n *grievance.Ticket) { n.Status, n.Category = grievance.StatusInProgress, "Payments" })
	two := mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, "Payments"))
	// Ticket 1's first version is an earlier image of its batch; ticket
	// 2's the last, then changed in a batch of its own.
	indexTwice(t, s, 3)
	update(t, s, two, func(n *grievance.Ticket) { n.Status, n.Category = grievance.StatusResolved, "Default" })
	if failed, err := s.ApplySearch(ctx, ticketRecords(t, s)[3:]); failed != "" || err != nil {
		t.Fatalf("ApplySearch: %q %v", failed, err)
	}
	filed := func(field, v string) grievance.PostingKey { return grievance.FiledKey(grievance.ValueKey(field, v)) }
	want := map[grievance.PostingKey][]int64{
		filed("status", "OPEN"):                                         {1, 2},
		filed("status", "IN_PROGRESS"):                                  nil,
		filed("status", "RESOLVED"):                                     nil,
		filed("category", "Default"):                                    {1},
		filed("category", "Payments"):                                   {2},
		grievance.HistoryKey(grievance.ValueKey("category", "Default")): {1, 2},
	}
	checkPostings(t, s, want)
}

// Ensure blocks stay small: a dense block is a 2 KiB bitmap, a sparse one
// two bytes a member, across block boundaries.
func TestPostings_SparseAndDenseBlocks(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 1500; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Seq, tk.Code, tk.Title = int64(i), grievance.FormatCode(int64(i)), "common"
		if i%500 == 0 {
			tk.Title = "common rare"
		}
		ts = append(ts, tk)
	}
	far := newTicket(id(99999), grievance.StatusOpen, "Default")
	far.Seq, far.Code, far.Title = 40000, grievance.FormatCode(40000), "rare"
	ts = append(ts, far)
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, ts); err != nil {
		t.Fatal(err)
	}
	keys := []grievance.PostingKey{{Field: "title", Gram: "com"}, {Field: "title", Gram: "rar"}}
	post, err := s.Postings(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if n := post[keys[0]].Len(); n != 1500 {
		t.Errorf("com: %d members, want 1500", n)
	}
	if got := members(post[keys[1]]); !slices.Equal(got, []int64{500, 1000, 1500, 40000}) {
		t.Errorf("rar: %v", got)
	}
	sizes := store.PostingSizes(t, s, "title", "com")
	if len(sizes) != 1 || sizes[0] != 1+2048 {
		t.Errorf("dense block sizes %v, want one 2,049-byte bitmap", sizes)
	}
	// Ticket 40,000's block is the newest: block 0 is folded into a
	// wide item (postingwide.go).
	if sizes := store.PostingSizes(t, s, "title", "rar"); !slices.Equal(sizes, []int{3}) {
		t.Errorf("sparse narrow block sizes %v, want 1+1×2 bytes", sizes)
	}
	if l := store.LayoutOf(t, s, "title", "rar"); len(l.Wide) != 1 || !slices.Equal(l.Wide[0].Blocks, []int64{0}) {
		t.Errorf("rar kept as %+v, want block 0 in a wide item", l)
	}
}

// Ensure tickets stored before the text index existed enter it through the
// backfill pass, which a second run finds current.
func TestIndexText_FillsTheIndexOnceIdempotently(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	var ts []*grievance.Ticket
	for i := 1; i <= 5; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Title = fmt.Sprintf("stored before %d", i)
		ts = append(ts, mustCreate(t, s, tk))
	}
	keys := []grievance.PostingKey{{Field: grievance.LiveField, Gram: grievance.LiveGram}, {Field: "title", Gram: "bef"}, grievance.ValueKey("status", "OPEN")}
	for run, want := range []int{5, 0} {
		r, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r.Tickets != 5 || r.Indexed != want {
			t.Errorf("run %d: %+v, want 5 read and %d indexed", run+1, r, want)
		}
	}
	post, err := s.Postings(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range wantPostings(ts, keys) {
		if got := members(post[k]); !slices.Equal(got, want) {
			t.Errorf("posting %s/%q = %v, want %v", k.Field, k.Gram, got, want)
		}
	}
	// An index from before the order postings: the pass does every
	// ticket again, once, and the order postings are complete.
	store.DropOrderPostings(t, s)
	if ok, err := s.OrderPostingsComplete(ctx); ok || err != nil {
		t.Fatalf("order postings complete before the pass: %v %v", ok, err)
	}
	for run, want := range []int{5, 0} {
		r, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		if r.Indexed != want {
			t.Errorf("after the order postings came, run %d: %+v, want %d indexed", run+1, r, want)
		}
	}
	var got []string
	for _, b := range walkOrder(t, s, "title", true, 100) {
		got = append(got, fmt.Sprintf("%.12s…%v", b.Gram, members(b.Members)))
	}
	if want := wantOrder(ts, "title", true); !slices.Equal(got, want) {
		t.Errorf("order postings after the backfill %v, want %v", got, want)
	}
	if ok, err := s.OrderPostingsComplete(ctx); !ok || err != nil {
		t.Errorf("order postings complete after the pass: %v %v", ok, err)
	}
}

// walkOrder reads every group of field's order posting through
// OrderBuckets, limit items a call, checking the calls chain.
func walkOrder(t *testing.T, s *store.Store, field string, desc bool, limit int) []grievance.OrderBucket {
	t.Helper()
	var out []grievance.OrderBucket
	after := ""
	for calls := 0; ; calls++ {
		if calls > 100 {
			t.Fatalf("%s: the walk does not end", field)
		}
		got, next, err := s.OrderBuckets(context.Background(), field, desc, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 && next != "" {
			t.Fatalf("%s: a call after %q returned nothing but goes on", field, after)
		}
		out = append(out, got...)
		if next == "" {
			return out
		}
		after = next
	}
}

// wantOrder computes, from the live tickets as they are, the groups of
// field's order posting in the column's order.
func wantOrder(ts []*grievance.Ticket, field string, desc bool) []string {
	groups := map[string][]int64{}
	for _, tk := range ts {
		if !tk.IsDeleted {
			g := grievance.OrderKey(field, grievance.SortValue(tk, field)).Gram
			groups[g] = append(groups[g], tk.Seq)
		}
	}
	grams := slices.Sorted(maps.Keys(groups))
	if desc {
		slices.Reverse(grams)
	}
	var out []string
	for _, g := range grams {
		slices.Sort(groups[g])
		out = append(out, fmt.Sprintf("%.12s…%v", g, groups[g]))
	}
	return out
}

// Ensure the order postings follow real stream records (creates, changes
// of title, due date, staff and reporter, a comment's new version, a
// delete; redelivered and replayed batches), and that OrderBuckets gives
// every group whole, in the column's order both ways, however few items
// a call reads, and OrderBucketsFrom the same from any group on: long titles sharing their first 400 bytes are one group
// that sorts after the shorter title it starts with, empty values first,
// and a group whose tickets straddle two blocks (and two calls) is whole.
func TestOrderBuckets_FollowTheStreamInTheColumnsOrder(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	long := strings.Repeat("ñ", 200) // 400 bytes
	titles := []string{"Payment not received", "payment", long, long + " a", long + " b", "Lost card", "", "Payment"}
	var ts []*grievance.Ticket
	for i := 1; i <= len(titles); i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Title = titles[i-1]
		if i%3 != 0 {
			tk.DueDate = fmt.Sprintf("2026-12-%02d", 1+i%4)
		}
		if i%2 == 0 {
			tk.AttendingStaffID = id(100 + i%3)
		}
		tk.ReporterID = id(200 + i%2)
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.Title = "Payment received late"; n.DueDate = "2026-11-30" })
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.AttendingStaffID, n.ReporterID = "", id(300) })
	ts[3] = update(t, s, ts[3], func(n *grievance.Ticket) { n.JSONExt = map[string]any{"comment_ids": []any{id(900)}} }) // a new version only
	ts[5] = update(t, s, ts[5], func(n *grievance.Ticket) { n.IsDeleted = true })
	recs := ticketRecords(t, s)
	if ok, err := s.OrderPostingsComplete(ctx); ok || err != nil {
		t.Fatalf("order postings complete before any ticket is indexed: %v %v", ok, err)
	}
	for _, batch := range [][]events.DynamoDBEventRecord{recs[:5], recs[3:9], recs[3:9], recs[9:], recs} {
		if failed, err := s.ApplySearch(ctx, batch); failed != "" || err != nil {
			t.Fatalf("ApplySearch: %q %v", failed, err)
		}
	}
	// Ticket 1 was first indexed by this code: every ticket is.
	if ok, err := s.OrderPostingsComplete(ctx); !ok || err != nil {
		t.Errorf("order postings complete on a fresh table: %v %v", ok, err)
	}
	// Two tickets imported in the next block, sharing a due date with
	// ticket 2: that group's items are two.
	far := []*grievance.Ticket{newTicket(id(50), grievance.StatusOpen, "Default"), newTicket(id(51), grievance.StatusOpen, "Default")}
	for i, tk := range far {
		tk.Seq, tk.Code, tk.Title, tk.DueDate = int64(1<<14+i), grievance.FormatCode(int64(1<<14+i)), "far", ts[1].DueDate
	}
	if err := s.ImportTickets(ctx, far); err != nil {
		t.Fatal(err)
	}
	if err := s.ImportDerived(ctx, far); err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(ts), far...)
	for _, field := range grievance.OrderIndexedFields {
		for _, desc := range []bool{false, true} {
			want := wantOrder(all, field, desc)
			for _, limit := range []int{1, 2, 100} {
				var got []string
				for _, b := range walkOrder(t, s, field, desc, limit) {
					got = append(got, fmt.Sprintf("%.12s…%v", b.Gram, members(b.Members)))
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s desc=%v, %d a call:\n got %v\nwant %v", field, desc, limit, got, want)
				}
			}
		}
	}
	// From any group on, that group included, both ways.
	for _, field := range grievance.OrderIndexedFields {
		for _, desc := range []bool{false, true} {
			all := walkOrder(t, s, field, desc, 100)
			for i, g := range all {
				got, next, err := s.OrderBucketsFrom(ctx, field, desc, g.Gram, 3)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) == 0 || len(got) > len(all)-i || next == "" && len(got) != len(all)-i {
					t.Errorf("%s desc=%v from group %d of %d: %d groups, next %q", field, desc, i, len(all), len(got), next)
					continue
				}
				for k, b := range got {
					if b.Gram != all[i+k].Gram || !slices.Equal(members(b.Members), members(all[i+k].Members)) {
						t.Errorf("%s desc=%v from group %d: group %d is %.12s…%v, want %.12s…%v", field, desc, i, k,
							b.Gram, members(b.Members), all[i+k].Gram, members(all[i+k].Members))
					}
				}
			}
		}
	}
	// The long titles are one group, after the title they start with.
	groups := walkOrder(t, s, "title", false, 100)
	at := slices.IndexFunc(groups, func(b grievance.OrderBucket) bool { return strings.HasSuffix(b.Gram, "~") })
	if at < 1 || !slices.Equal(members(groups[at].Members), []int64{4, 5}) || members(groups[at-1].Members)[0] != 3 {
		t.Errorf("the long titles' group at %d of %d: want tickets 4 and 5 right after ticket 3", at, len(groups))
	}
}
