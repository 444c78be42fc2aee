package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// versionLabel names a ticket version in a failure: number.version.
func versionLabel(t *grievance.Ticket) string { return fmt.Sprintf("%d.%d", t.Seq, t.Version) }

// everyVersionSorted is every ticket version of s that keep passes, in
// the list order of field (compareTickets): what sorting the whole
// history in memory gives.
func everyVersionSorted(t *testing.T, s *store.Store, field string, desc bool, keep func(*grievance.Ticket) bool) ([]string, []*grievance.Ticket) {
	t.Helper()
	var all []*grievance.Ticket
	err := s.ScanTicketHistory(context.Background(), "", func(tk *grievance.Ticket) (bool, error) {
		if keep(tk) {
			all = append(all, tk)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(all, grievance.TicketOrder(field, desc))
	out := make([]string, len(all))
	for i, tk := range all {
		out[i] = versionLabel(tk)
	}
	return out, all
}

// scanSorted walks a history sort index, keeping what keep keeps (nil:
// all), stopping after stop rows (0: none).
func scanSorted(t *testing.T, s *store.Store, r grievance.TicketRange, keep func(*grievance.Ticket) (bool, error), stop int) []string {
	t.Helper()
	var got []string
	err := s.ScanTicketHistorySorted(context.Background(), r, grievance.HistorySift{Keep: keep}, func(tk *grievance.Ticket) (bool, error) {
		got = append(got, versionLabel(tk))
		return stop == 0 || len(got) < stop, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A History table written before the sort keys gets them from the count
// pass, which marks them complete once the indexes exist; then each sort
// index walked either way, from the top with any page size, whole or
// stopped, within a status or a category, gives every version the key
// range holds in the order sorting every version in memory gives (equal
// values newest ticket and version first, long runs of one priority or
// status included), the consumer's later versions with them.
func TestHistorySorted_EveryColumnBothWaysAsSortingEveryVersion(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	versions, live := upgradedVersions(30)
	if err := s.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	store.RecordBeforeSorts(t, s, append(store.TicketStream(t, versions), store.RemovalStream(t, live[29])))
	if done, err := s.HistorySortsComplete(ctx); err != nil || done {
		t.Fatalf("before the backfill: sorts complete %v (%v), want false", done, err)
	}
	if got := scanSorted(t, s, grievance.TicketRange{SortBy: "title", PageHint: 20}, nil, 0); len(got) != 0 {
		t.Fatalf("records without sort keys are in the index: %v", got)
	}
	r, err := s.CountVersions(ctx, store.BackfillOptions{PageSize: 13})
	if err != nil {
		t.Fatal(err)
	}
	if r.Uncounted != 90 || r.Counted != 90 || !r.Complete || r.SortsPending != "" {
		t.Fatalf("count pass: %+v, want 90 records given their sort keys, complete, no index pending", r)
	}
	if done, err := s.HistorySortsComplete(ctx); err != nil || !done {
		t.Fatalf("after the backfill: sorts complete %v (%v), want true", done, err)
	}
	if _, err := s.RecordHistory(ctx, store.TicketStream(t, later(live[:10], grievance.StatusResolved))); err != nil {
		t.Fatal(err)
	}
	all := func(*grievance.Ticket) bool { return true }
	open := []string{string(grievance.StatusOpen), string(grievance.StatusInProgress)}
	// The status within a key range, the category by keep, which sees
	// only what the index items project.
	ranges := []struct {
		name   string
		within *grievance.TicketRange
		keep   func(*grievance.Ticket) (bool, error)
		want   func(*grievance.Ticket) bool
	}{
		{"all", nil, nil, all},
		{"status", &grievance.TicketRange{By: grievance.RangeStatus, Keys: open}, nil,
			func(tk *grievance.Ticket) bool { return slices.Contains(open, string(tk.Status)) }},
		{"category", nil, func(tk *grievance.Ticket) (bool, error) { return tk.Category == "Ax" && tk.Title == "", nil },
			func(tk *grievance.Ticket) bool { return tk.Category == "Ax" }},
		// keep sees each version's number, code and version, from its key.
		{"odd numbers past their first version", nil, func(tk *grievance.Ticket) (bool, error) {
			return tk.Seq%2 == 1 && tk.Version >= 2 && tk.Code == grievance.FormatCode(tk.Seq), nil
		}, func(tk *grievance.Ticket) bool { return tk.Seq%2 == 1 && tk.Version >= 2 }},
	}
	for _, field := range grievance.HistorySortIndexed {
		for _, desc := range []bool{false, true} {
			for _, rg := range ranges {
				want, rows := everyVersionSorted(t, s, field, desc, rg.want)
				if len(want) < 10 {
					t.Fatalf("%s: %d versions, too few to tell", rg.name, len(want))
				}
				// A page of 3 (runs longer than the page, stopped) and
				// of 21 (short runs reversed whole, walked to the end).
				for _, hint := range []int{3, 21} {
					t.Run(fmt.Sprintf("%s/desc=%v/%s/hint=%d", field, desc, rg.name, hint), func(t *testing.T) {
						rng := grievance.TicketRange{By: grievance.RangeSorted, SortBy: field, Descending: desc, PageHint: hint, Within: rg.within, Share: 0.5}
						if hint > 3 {
							if got := scanSorted(t, s, rng, rg.keep, 0); !slices.Equal(got, want) {
								t.Errorf("whole walk\n got %v\nwant %v", got, want)
							}
							// From a cursor: after a row in a run's middle.
							i := len(rows) / 2
							from := rng
							from.After, from.AfterValue, from.AfterVersion = rows[i].Seq, grievance.SortValue(rows[i], field), rows[i].Version
							if got := scanSorted(t, s, from, rg.keep, hint); !slices.Equal(got, want[i+1:min(i+1+hint, len(want))]) {
								t.Errorf("after %s\n got %v\nwant %v", want[i], got, want[i+1:min(i+1+hint, len(want))])
							}
							// From the first row of that row's value.
							from.After, from.AfterVersion = grievance.BeforeEveryRow, 0
							j := slices.IndexFunc(rows, func(tk *grievance.Ticket) bool { return grievance.SortValue(tk, field) == from.AfterValue })
							if got := scanSorted(t, s, from, rg.keep, hint); !slices.Equal(got, want[j:min(j+hint, len(want))]) {
								t.Errorf("from the value %q\n got %v\nwant %v", from.AfterValue, got, want[j:min(j+hint, len(want))])
							}
						}
						if got := scanSorted(t, s, rng, rg.keep, hint); !slices.Equal(got, want[:min(hint, len(want))]) {
							t.Errorf("stopped after %d\n got %v\nwant %v", hint, got, want[:min(hint, len(want))])
						}
					})
				}
			}
		}
	}
}

// On a stage still deploying the history sort indexes (one per stack
// update) the count pass gives every record its keys but leaves the
// marker, naming the index it waits for: lists keep sorting in memory
// rather than query an index that is not there.
func TestHistorySorted_MarkerWaitsForEveryIndex(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	versions, live := upgradedVersions(3)
	if err := s.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	store.RecordBeforeSorts(t, s, store.TicketStream(t, versions))
	store.DropHistoryIndex(t, s, store.HistoryIndexByVersion)
	r, err := s.CountVersions(ctx, store.BackfillOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Counted != 9 || r.SortsPending != store.HistoryIndexByVersion {
		t.Fatalf("count pass without hist7: %+v, want 9 records given their keys and hist7 pending", r)
	}
	if done, err := s.HistorySortsComplete(ctx); err != nil || done {
		t.Fatalf("sorts complete %v (%v) without hist7, want false", done, err)
	}
	if !complete(t, s) {
		t.Error("the counts' marker is left too: want only the sort keys' withheld")
	}
}

// The walk tells its caller of each batch of versions before it fetches
// them, with each version's ticket id, number and version from the index
// item, so that the caller can read their live tickets beside the fetch:
// every version passed on was heard of first, as itself.
func TestHistorySorted_FetchingHearsEachBatchBeforeItsVersions(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	versions, live := upgradedVersions(12)
	if err := s.ImportTickets(ctx, live); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordHistory(ctx, store.TicketStream(t, versions)); err != nil {
		t.Fatal(err)
	}
	heard := map[string]bool{}
	batches := 0
	sift := grievance.HistorySift{
		Keep: func(tk *grievance.Ticket) (bool, error) { return tk.Seq%3 != 0, nil },
		Fetching: func(ts []*grievance.Ticket) {
			batches++
			for _, tk := range ts {
				heard[fmt.Sprintf("%s %d.%d", tk.ID, tk.Seq, tk.Version)] = true
			}
		},
	}
	var got []string
	r := grievance.TicketRange{By: grievance.RangeSorted, SortBy: "title", PageHint: 5, Share: 0.5}
	err := s.ScanTicketHistorySorted(ctx, r, sift, func(tk *grievance.Ticket) (bool, error) {
		key := fmt.Sprintf("%s %d.%d", tk.ID, tk.Seq, tk.Version)
		if !heard[key] {
			t.Errorf("version %s passed on before its batch was heard of", key)
		}
		got = append(got, key)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 || len(heard) != 24 || batches < 2 {
		t.Errorf("%d versions passed on, %d heard of in %d batches; want the 24 kept, heard of in batches", len(got), len(heard), batches)
	}
}
