package grievance_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ensure statistics count by name only values the configuration names,
// within the length and count bounds, and every other value as [Other]:
// what a client sends can never add a counter to an aggregate.
func TestContributionOf_BoundsEveryDimension(t *testing.T) {
	long := strings.Repeat("é", grievance.MaxStatsValueBytes/2+1) // 66 bytes
	cfg := grievance.DefaultConfig()
	cfg.GrievanceChannels = append(cfg.GrievanceChannels, long)
	for i := range grievance.MaxStatsValues + 5 {
		cfg.GrievanceFlags = append(cfg.GrievanceFlags, fmt.Sprintf("extra %03d", i))
	}
	dims := cfg.StatsDimensions()
	for _, tc := range []struct {
		name   string
		ticket grievance.Ticket
		want   []string // counter names besides n
	}{
		{"ConfiguredValuesByName", grievance.Ticket{Status: grievance.StatusOpen, Channel: "Channel A", Priority: "High", Flags: `["Flag A","Flag B"]`},
			[]string{"c:Channel A", "f:Flag A", "f:Flag B", "p:High", "s:OPEN"}},
		{"UnsetValuesStayUnset", grievance.Ticket{Status: grievance.StatusOpen},
			[]string{"c:", "p:", "s:OPEN"}},
		{"FreeTextPriorityIsOther", grievance.Ticket{Status: grievance.StatusOpen, Priority: "urgent!!1"},
			[]string{"c:", "p:[Other]", "s:OPEN"}},
		{"UnconfiguredChannelAndFlagsAreOther", grievance.Ticket{Status: grievance.StatusOpen, Channel: "Fax", Flags: `["x","y","Flag A"]`},
			[]string{"c:[Other]", "f:Flag A", "f:[Other]", "p:", "s:OPEN"}},
		{"ConfiguredButTooLongIsOther", grievance.Ticket{Status: grievance.StatusOpen, Channel: long},
			[]string{"c:[Other]", "p:", "s:OPEN"}},
		{"ConfiguredPastTheCountBoundIsOther", grievance.Ticket{Status: grievance.StatusOpen, Flags: "extra 104"},
			[]string{"c:", "f:[Other]", "p:", "s:OPEN"}},
		{"UnknownStatusIsOther", grievance.Ticket{Status: "LOST", Flags: "extra 000"},
			[]string{"c:", "f:extra 000", "p:", "s:[Other]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := grievance.ContributionOf(&tc.ticket, dims)
			got := slices.Sorted(maps.Keys(c.Counters))
			want := append([]string{grievance.CounterTickets}, tc.want...)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("counters %v, want %v", got, want)
			}
		})
	}
}

// Ensure however many distinct values tickets carry, one aggregate's
// counter names stay within the bound docs/sla.md states: the fixed
// counters plus MaxStatsValues+2 names per dimension.
func TestContributionOf_ManyOddValuesAddNoCounters(t *testing.T) {
	dims := grievance.DefaultConfig().StatsDimensions()
	names := map[string]bool{}
	for i := range 5000 {
		tk := grievance.Ticket{Status: grievance.StatusOpen, Priority: fmt.Sprintf("p%05d", i),
			Channel: fmt.Sprintf("c%05d", i), Flags: fmt.Sprintf(`["f%05d","g%05d"]`, i, i)}
		for n := range grievance.ContributionOf(&tk, dims).Counters {
			names[n] = true
		}
	}
	if len(names) != 5 {
		t.Fatalf("5,000 tickets with odd values made %d counter names: %v", len(names), slices.Sorted(maps.Keys(names)))
	}
}
