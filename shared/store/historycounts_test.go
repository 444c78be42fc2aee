package store_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

var countFields = append([]string{grievance.VersionCountAll, grievance.VersionCountPair,
	grievance.VersionCountStatusPriority, grievance.VersionCountCategoryPriority}, grievance.ValueIndexedFields...)

// tally counts the versions a history list lists (ScanTicketHistory), by
// the keys the counts keep.
func tally(t *testing.T, s *store.Store) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, f := range countFields {
		out[f] = map[string]int{}
	}
	err := s.ScanTicketHistory(context.Background(), "", func(tk *grievance.Ticket) (bool, error) {
		for _, k := range grievance.VersionCountKeys(tk) {
			if out[k.Field] == nil {
				out[k.Field] = map[string]int{} // a staff member's pairs
			}
			out[k.Field][k.Value]++
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// counts reads every count of every field: countFields and the pairs of
// every staff member some version has.
func counts(t *testing.T, s *store.Store) map[string]map[string]int {
	t.Helper()
	ask := map[string][]string{}
	for f := range tally(t, s) {
		ask[f] = nil
	}
	for _, f := range countFields {
		ask[f] = nil
	}
	got, err := s.VersionCounts(context.Background(), ask)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range got {
		maps.DeleteFunc(m, func(_ string, n int) bool { return n == 0 })
	}
	return got
}

func sameCounts(t *testing.T, got, want map[string]map[string]int) {
	t.Helper()
	fields := map[string]bool{}
	for f := range got {
		fields[f] = true
	}
	for f := range want {
		fields[f] = true
	}
	for f := range fields {
		if len(got[f]) == 0 && len(want[f]) == 0 {
			continue
		}
		if !maps.Equal(got[f], want[f]) {
			t.Errorf("counts of %s = %v, want %v (the versions listed)", f, got[f], want[f])
		}
	}
}

// Ensure the counts of versions are the versions a history list lists,
// from real stream records: every version of a batch counts, comments'
// versions and removals do not, and redelivered, replayed or concurrently
// delivered records count once.
func TestRecordHistory_CountsEveryListedVersionOnce(t *testing.T) {
	t.Run("LifecycleRedeliveredAndConcurrent", func(t *testing.T) {
		s, _, _, _ := MustOpenCounted(t)
		ctx := context.Background()
		recs := stream(t, append(slices.Clone(lifecycle), "remove", "mixed-batch")...)
		// A first part, then everything twice at once (two consumers),
		// then a replay.
		if seq, err := s.RecordHistory(ctx, recs[:3]); seq != "" || err != nil {
			t.Fatalf("RecordHistory=%q, %v", seq, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.RecordHistory(ctx, recs)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if seq, err := s.RecordHistory(ctx, recs); seq != "" || err != nil {
			t.Fatalf("replay: RecordHistory=%q, %v", seq, err)
		}
		want := tally(t, s)
		if want[grievance.VersionCountAll]["*"] < 6 {
			t.Fatalf("the fixtures list %d versions, want the ticket's 6 at least", want[grievance.VersionCountAll]["*"])
		}
		sameCounts(t, counts(t, s), want)
	})

	// A hundred versions of one ticket in one batch: every one counts.
	t.Run("ManyVersionsOfOneTicket", func(t *testing.T) {
		s, _, _, _ := MustOpenCounted(t)
		ctx := context.Background()
		recs := append(stream(t, "ticket-insert"), hundredVersions(t)...)
		for _, batch := range [][]events.DynamoDBEventRecord{recs, recs[40:]} {
			if seq, err := s.RecordHistory(ctx, batch); seq != "" || err != nil {
				t.Fatalf("RecordHistory=%q, %v", seq, err)
			}
		}
		want := tally(t, s)
		if n := want[grievance.VersionCountAll]["*"]; n != len(recs) {
			t.Fatalf("%d versions listed, want %d", n, len(recs))
		}
		sameCounts(t, counts(t, s), want)
		// Asking for values reads only theirs.
		got, err := s.VersionCounts(ctx, map[string][]string{"status": {"OPEN", "CLOSED"}})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := map[string]int{}
		for _, v := range []string{"OPEN", "CLOSED"} {
			if n := want["status"][v]; n > 0 {
				wantStatus[v] = n
			}
		}
		maps.DeleteFunc(got["status"], func(_ string, n int) bool { return n == 0 })
		if !maps.Equal(got["status"], wantStatus) || len(got) != 1 {
			t.Errorf("counts of OPEN and CLOSED = %v, want %v", got, wantStatus)
		}
	})
}
