package store

import (
	"fmt"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// A title's first change freezes the counts by value of the versions
// before it (grievance.FirstRowsField), unless they would take the
// reference past its bound of counts: a ticket reassigned among twenty
// officers before its title was corrected keeps its own counts (exact,
// not lost) without them, says them unknown for good (0), and a list
// that needs them judges it. So do the pairs.
func TestAddHist_SplitCountsNeverCostTheTicketItsCounts(t *testing.T) {
	state := func(title, staff string) *searchState {
		return &searchState{texts: map[string]string{"title": title},
			values: map[string]string{"status": "OPEN", "category": "Default", "priority": "High", "attending_staff__id": staff}}
	}
	for _, officers := range []int{2, 20} {
		hist := map[string]int{}
		var prev *searchState
		for i := range officers {
			st := state("water piont", fmt.Sprintf("00000000-0000-4000-b000-%012d", i))
			addHist(hist, st, prev)
			prev = st
		}
		addHist(hist, state("water point", ""), prev)
		split, kept := hist[textKey("title", grievance.FirstSplitValue)]
		open := hist[fieldValue{grievance.FirstRowsField("status", "title"), "OPEN"}.histKey()]
		switch {
		case histBytes(hist) > histMaxBytes:
			t.Errorf("%d officers: the counts take %d bytes, past %d", officers, histBytes(hist), histMaxBytes)
		case hist[textKey("title", grievance.FirstValue)] != officers || hist["status=OPEN"] != officers+1:
			t.Errorf("%d officers: %d versions before the change, %d OPEN; want %d, %d", officers, hist[textKey("title", grievance.FirstValue)], hist["status=OPEN"], officers, officers+1)
		case officers == 2 && (!kept || split != 2 || open != 2):
			t.Errorf("2 officers: the counts before the change %d (kept %v), %d OPEN; want 2, 2", split, kept, open)
		case officers == 20 && (!kept || split != 0 || open != 0):
			t.Errorf("20 officers: counts before the change %d (said %v), %d OPEN past the bound; want 0, said unknown", split, kept, open)
		case !unchangedKnown(hist):
			t.Errorf("%d officers: the history pass would count the ticket again, to find the same", officers)
		}
		// The pairs too: kept while they fit, else dropped, their
		// count said 0 (unknown for good), the other counts kept.
		pairs := 0
		for k := range hist {
			if _, _, ok := grievance.RowPairOf(histKeyOf(k).field); ok {
				pairs++
			}
		}
		switch {
		case officers == 2 && (hist[pairsKey] != 3 || pairs != 10):
			// Three of each officer's (status, category, priority), two
			// of the status's (category, priority), the category's
			// (priority) and the triple's (priority).
			t.Errorf("2 officers: the pairs counted %d versions in %d counts, want 3 in 10", hist[pairsKey], pairs)
		case officers == 20 && (hist[pairsKey] != 0 || pairs != 0):
			t.Errorf("20 officers: the pairs counted %d versions in %d counts past the bound, want 0 and none kept", hist[pairsKey], pairs)
		}
	}
}
