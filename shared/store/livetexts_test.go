package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the postings of the live text fields (channel, flags, resolution
// time, date of incident, date created, key) and of a resolved ticket's
// service level follow real stream records — values shared, differing in
// case, longer than the prefixes, changed, emptied, a ticket deleted,
// resolved on time and late, reopened, its due date moved; redelivered —
// hold no history, and that the backfill's text pass fills a table
// indexed before them, under version 1 (no resolution time, no level) or
// version 2 (no key), marking them complete; until then the table says
// the version it was indexed under.
func TestLiveTexts_FollowTheStream(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	channels := []string{"Hotline", "hotline", "SMS", "", "A channel named at length, past the prefixes"}
	var ts []*grievance.Ticket
	for i := 1; i <= 10; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, "Default")
		tk.Channel, tk.Flags = channels[i%len(channels)], []string{"Urgent", `["GBV", "Minor"]`, ""}[i%3]
		tk.DateCreated = tk.DateCreated.AddDate(0, 0, i%3)
		if i%4 != 0 {
			tk.DateOfIncident = fmt.Sprintf("2026-0%d-1%d", 1+i%3, i%10)
		}
		tk.Resolution = []string{"5,0", "6,12", ""}[i%3]
		tk.Key = []string{"REF-LL-000001", "ref-ll-000001", "", "REF-BT-000042"}[i%4]
		if i%5 != 0 {
			tk.DueDate = tk.DateCreated.AddDate(0, 0, 2).Format(grievance.DateLayout)
		}
		if i%2 == 0 { // resolved 0 to 4 days after it was filed
			tk.Status, tk.DateResolved = grievance.StatusResolved, tk.DateCreated.AddDate(0, 0, i%5)
		}
		ts = append(ts, mustCreate(t, s, tk))
	}
	ts[0] = update(t, s, ts[0], func(n *grievance.Ticket) { n.Channel, n.Flags = "Web form", "Urgent" })
	ts[1] = update(t, s, ts[1], func(n *grievance.Ticket) { n.Channel, n.DateOfIncident, n.Key = "", "", "" })
	ts[4] = update(t, s, ts[4], func(n *grievance.Ticket) { n.Key = "REF-ZA-000007" })
	ts[2] = update(t, s, ts[2], func(n *grievance.Ticket) { n.IsDeleted = true })
	ts[3] = update(t, s, ts[3], func(n *grievance.Ticket) { n.Status, n.DateResolved = grievance.StatusOpen, time.Time{} })
	ts[5] = update(t, s, ts[5], func(n *grievance.Ticket) { n.DueDate = n.DateCreated.AddDate(0, 0, 9).Format(grievance.DateLayout) })
	ts[7] = update(t, s, ts[7], func(n *grievance.Ticket) {
		n.Status, n.DateResolved = grievance.StatusClosed, n.DateCreated.AddDate(0, 0, 5)
	})
	recs := ticketRecords(t, s)
	for _, batch := range [][]events.DynamoDBEventRecord{recs[:7], recs[5:], recs} {
		if _, err := s.ApplySearch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	// Every key any version held, with the live value kinds' history
	// twins: those must stay empty.
	var keys []grievance.PostingKey
	for _, v := range append(slices.Clone(channels), "Web form", "Urgent", `["GBV", "Minor"]`, "2026-01-11", "2026-02-12", "2026-03-13", "5,0", "6,12", "MET", "MISSED", "REF-LL-000001", "ref-ll-000001", "REF-BT-000042", "REF-ZA-000007") {
		for _, f := range grievance.LiveIndexedFields {
			for _, k := range grievance.LiveTextKeys(f, v) {
				if !slices.Contains(keys, k) {
					keys = append(keys, k, grievance.HistoryKey(k))
				}
			}
		}
	}
	for _, tk := range ts { // the date created's prefixes
		for _, k := range grievance.LiveTextKeys("date_created", grievance.IndexedValue(tk, "date_created")) {
			if !slices.Contains(keys, k) {
				keys = append(keys, k, grievance.HistoryKey(k))
			}
		}
	}
	check := func(when string) {
		t.Helper()
		got, err := s.Postings(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			var want []int64
			for _, tk := range ts {
				if field, ok := grievance.LiveTextFieldOf(k); ok && !tk.IsDeleted && slices.Contains(grievance.LiveTextKeys(field, grievance.LiveIndexedValue(tk, field)), k) {
					want = append(want, tk.Seq)
				}
			}
			var have []int64
			got[k].Range(0, got[k].Max(), false, func(n int64) bool { have = append(have, n); return true })
			if !slices.Equal(have, want) {
				t.Errorf("%s: posting %q %q holds %v, want %v", when, k.Field, k.Gram, have, want)
			}
		}
		if v, err := s.LiveTextsIndexed(ctx); v != grievance.LiveTextsVersion || err != nil {
			t.Errorf("%s: live texts indexed under version %d (%v), want %d", when, v, err, grievance.LiveTextsVersion)
		}
	}
	check("followed from the stream")
	levels := map[string]int{}
	for _, tk := range ts {
		if !tk.IsDeleted {
			levels[grievance.LiveIndexedValue(tk, grievance.SLAResolvedField)]++
		}
	}
	if levels["MET"] == 0 || levels["MISSED"] == 0 {
		t.Fatalf("the tickets' resolved levels are %v: met and missed both wanted", levels)
	}

	for _, v := range []int{2, 1, 0} {
		store.ForgetLiveTexts(t, s, v)
		if got, err := s.LiveTextsIndexed(ctx); got != v || err != nil {
			t.Fatalf("live texts indexed under version %d (%v) once forgotten back to %d", got, err, v)
		}
		if _, err := s.IndexText(ctx, store.BackfillOptions{PageSize: 4}); err != nil {
			t.Fatal(err)
		}
		check(fmt.Sprintf("filled by the text pass from version %d", v))
	}
}
