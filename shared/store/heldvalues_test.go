package store_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// heldFromCounts lists, per lookup field, the values the counts of
// versions hold: what the values' dictionary must list.
func heldFromCounts(t *testing.T, s *store.Store) map[string][]string {
	t.Helper()
	ask := map[string][]string{}
	for _, f := range grievance.ValueFields {
		ask[f] = nil
	}
	counts, err := s.VersionCounts(context.Background(), ask)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for f, byValue := range counts {
		out[f] = slices.Sorted(maps.Keys(byValue))
	}
	return out
}

func checkHeld(t *testing.T, s *store.Store, when string, wantOK bool) {
	t.Helper()
	got, ok, err := s.HeldValues(context.Background(), grievance.ValueFields)
	switch want := heldFromCounts(t, s); {
	case err != nil:
		t.Fatalf("%s: %v", when, err)
	case ok != wantOK:
		t.Errorf("%s: the dictionary says complete %v, want %v", when, ok, wantOK)
	case ok && !maps.EqualFunc(got, want, slices.Equal):
		t.Errorf("%s: the dictionary lists %q, the counts %q", when, got, want)
	}
}

// The values' dictionary lists every value a counted version held (the
// empty one too: a ticket without a priority), from the first ticket of a
// fresh table, as the counts do; a value new to the table, or only an
// older version's, stays listed; a new container adds what it counts
// again without listing anything twice.
func TestHeldValues_ListEveryValueVersionsHeld(t *testing.T) {
	s := MustOpen(t)
	a := newTicket(id(1), grievance.StatusOpen, "Payments")
	a.Priority = "High"
	a = mustCreate(t, s, a)
	b := mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, "Targeting"))
	consumeTickets(t, s)
	checkHeld(t, s, "two tickets", true)
	update(t, s, a, func(n *grievance.Ticket) { n.Category, n.Priority = "Water & sanitation", "Low" })
	store.ForgetHeldKnown(s)
	update(t, s, b, func(n *grievance.Ticket) { n.Priority = "Low" })
	consumeTickets(t, s)
	checkHeld(t, s, "recategorised, re-prioritised, by a new container", true)
	got, _, _ := s.HeldValues(context.Background(), []string{"category", "priority"})
	if want := []string{"Payments", "Targeting", "Water & sanitation"}; !slices.Equal(got["category"], want) {
		t.Errorf("categories %q, want %q (the first ticket's first category kept)", got["category"], want)
	}
	if want := []string{"", "High", "Low"}; !slices.Equal(got["priority"], want) {
		t.Errorf("priorities %q, want %q (the empty one too)", got["priority"], want)
	}
}

// A table counted before the dictionary is not listed from it (its
// lookups read the counts), even once the consumer adds the values it
// counts, until the backfill's version-count pass lists the counts'
// values; a second pass finds it done.
func TestHeldValues_ATableCountedBeforeItIsCompletedByTheBackfill(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	a := newTicket(id(1), grievance.StatusOpen, "Payments")
	a.Priority = "High"
	a = mustCreate(t, s, a)
	consumeTickets(t, s)
	store.ForgetHeldValues(t, s)
	store.ForgetHeldKnown(s)
	checkHeld(t, s, "counted before the dictionary", false)
	update(t, s, a, func(n *grievance.Ticket) { n.Category = "Targeting" })
	consumeTickets(t, s)
	checkHeld(t, s, "a version counted since", false)
	r, err := s.CountVersions(ctx, store.BackfillOptions{DryRun: true})
	if err != nil || !r.Found || r.Listed != 2 {
		t.Fatalf("dry version-count pass: %+v %v, want the counts found complete and 2 fields to list", r, err)
	}
	checkHeld(t, s, "after a dry pass", false)
	r, err = s.CountVersions(ctx, store.BackfillOptions{})
	if err != nil || !r.Complete || !r.Found || r.Listed != 2 {
		t.Fatalf("version-count pass: %+v %v, want 2 fields listed", r, err)
	}
	checkHeld(t, s, "after the version-count pass", true)
	if r, err = s.CountVersions(ctx, store.BackfillOptions{}); err != nil || !r.Found || r.Listed != 0 || r.Requests != 3 {
		t.Errorf("second pass: %+v %v, want found complete, nothing listed, in 3 requests (the pairs' marker, the dictionary's two items)", r, err)
	}
}

// Values that would take the dictionary's item towards DynamoDB's 400 KB
// (a value over 256 bytes: a migrated category) mark it full for good:
// never listed from it again, the lookups read the counts, which hold it.
func TestHeldValues_ALongValueMarksTheDictionaryFull(t *testing.T) {
	s := MustOpen(t)
	mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Payments"))
	consumeTickets(t, s)
	checkHeld(t, s, "short values", true)
	mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, strings.Repeat("long category ", 20)))
	consumeTickets(t, s)
	checkHeld(t, s, "a 280-byte category", false)
	mustCreate(t, s, newTicket(id(3), grievance.StatusOpen, "Targeting"))
	consumeTickets(t, s)
	checkHeld(t, s, "a short one after it", false)
}
