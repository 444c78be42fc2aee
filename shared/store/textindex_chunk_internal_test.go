package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ensure a batch's tickets are applied in chunks by the postings they
// weigh, not by their number: 100 tickets of short texts with every live
// field set are one chunk (each shared posting item written once), long
// texts take several, a ticket heavier than the bound is a chunk alone,
// and every ticket is in exactly one chunk, in order.
func TestSearchChunks_ByThePostingsTheirTicketsWeigh(t *testing.T) {
	ticket := func(desc string) *grievance.Ticket {
		title := "Payment not received"
		if len(desc) == 10000 {
			title = strings.Repeat("t", 255) // the longest texts
		}
		return &grievance.Ticket{Seq: 1, Title: title, Description: desc, Status: grievance.StatusOpen,
			Category: "Default", Priority: "High", Channel: "Channel A", Flags: "Flag A", DateOfIncident: "2026-01-03",
			Resolution: "5,0", Key: "REF-LL-000123"}
	}
	batch := func(n int, desc string, earlier int) []*searchChange {
		cs := make([]*searchChange, n)
		for i := range cs {
			cs[i] = &searchChange{state: searchStateOf(ticket(desc))}
			for range earlier {
				cs[i].earlier = append(cs[i].earlier, orderedState{state: cs[i].state})
			}
		}
		return cs
	}
	longest := strings.Repeat("x", 10000)
	for _, tc := range []struct {
		name    string
		changes []*searchChange
		want    []int // the chunks' sizes
	}{
		{"100 short tickets", batch(100, "Second instalment missing.", 0), []int{100}},
		{"100 tickets of 2,000 characters", batch(100, strings.Repeat("y", 2000), 0), []int{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1}},
		{"the longest texts", batch(5, longest, 0), []int{1, 1, 1, 1, 1}},
		{"one ticket over the bound", batch(2, longest, 2), []int{1, 1}},
		{"one ticket", batch(1, "", 0), []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for start := 0; start < len(tc.changes); {
				end := searchChunkEnd(tc.changes, start)
				if end <= start || end > len(tc.changes) {
					t.Fatalf("chunk from %d ends at %d of %d", start, end, len(tc.changes))
				}
				w := 0
				for _, c := range tc.changes[start:end] {
					w += c.weight()
				}
				if end-start > 1 && w > searchChunkKeys {
					t.Errorf("a chunk of %d tickets weighs %d, over %d", end-start, w, searchChunkKeys)
				}
				got = append(got, end-start)
				start = end
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("chunks %v, want %v (a ticket weighs %d)", got, tc.want, tc.changes[0].weight())
			}
		})
	}
}
