package store

import (
	"fmt"
	"maps"
	"strings"
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

// A reference counted by an older generation of the pairs (the marker
// grievance.LegacyPairsValues names, the category's pairs and the
// triples missing) must never vouch for pairs it lacks: at version 1 its
// pairs are counted again from that version, exactly; past it they are
// dropped, the marker left out, so that a list judges the ticket until
// the history pass counts it again.
func TestDiff_PairsOfAnOlderGenerationAreCountedAgainOrDropped(t *testing.T) {
	version := func(status, category, priority string) searchState {
		return searchState{seq: 7, live: true, texts: map[string]string{"title": "water point"},
			values: map[string]string{"status": status, "category": category, "priority": priority, "attending_staff__id": "00000000-0000-4000-b000-000000000001"}}
	}
	vs := []searchState{version("OPEN", "Payments", "Medium"), version("IN_PROGRESS", "Benefits", "High"), version("RESOLVED", "Benefits", "High")}
	legacy := func(upto int) map[string]int {
		hist := map[string]int{}
		var prev *searchState
		for i := range upto {
			addHist(hist, &vs[i], prev)
			prev = &vs[i]
		}
		hist[fieldValue{"attending_staff__id", grievance.LegacyPairsValues[0]}.histKey()] = hist[pairsKey]
		delete(hist, pairsKey)
		for k := range hist {
			if _, partner, ok := grievance.RowPairOf(histKeyOf(k).field); ok && (partner == "category" || partner == grievance.TriplePartner) {
				delete(hist, k)
			}
		}
		return hist
	}
	exact := func(upto int) map[string]int {
		hist := map[string]int{}
		var prev *searchState
		for i := range upto {
			addHist(hist, &vs[i], prev)
			prev = &vs[i]
		}
		return hist
	}
	pairs := func(hist map[string]int) int {
		n := 0
		for k := range hist {
			fv := histKeyOf(k)
			if _, _, ok := grievance.RowPairOf(fv.field); ok || fv.field == "attending_staff__id" && strings.HasPrefix(fv.value, "~pairs") {
				n++
			}
		}
		return n
	}

	old := vs[0]
	old.hist = legacy(1)
	got, lost := rowChanges{}.diff(&old, 2, &searchChange{id: "t", order: 4, state: vs[1]}, valueRowChanges{}, postingChanges{})
	if want := exact(2); lost || !maps.Equal(got, want) {
		t.Errorf("version 1 counted by the older pairs, then version 2: counts %v (lost %v), want those of both versions %v", got, lost, want)
	}

	old = vs[1]
	old.hist = legacy(2)
	got, lost = rowChanges{}.diff(&old, 4, &searchChange{id: "t", order: 6, state: vs[2]}, valueRowChanges{}, postingChanges{})
	want := exact(3)
	for k := range want {
		if fv := histKeyOf(k); fv.field == "attending_staff__id" && fv.value == grievance.PairsValue {
			delete(want, k)
		} else if _, _, ok := grievance.RowPairOf(fv.field); ok {
			delete(want, k)
		}
	}
	switch {
	case lost:
		t.Error("version 2 counted by the older pairs, then version 3: the ticket's counts lost")
	case pairs(got) != 0:
		t.Errorf("version 2 counted by the older pairs, then version 3: %d pair counts kept, want none (the ticket judged until the history pass)", pairs(got))
	case !maps.Equal(got, want):
		t.Errorf("version 2 counted by the older pairs, then version 3: counts %v, want the versions' own %v", got, want)
	case unchangedKnown(got):
		t.Error("version 2 counted by the older pairs, then version 3: the history pass would not count its pairs again")
	}
}
