package grievance_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
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

// Ensure statistics tell a reader nothing of a ticket's reporter that the
// ticket itself hides from them (maskTicket clears the contact and
// acknowledgedAt): narrowed to the ticket's category and creation day,
// a ticket of a category that masks the reporter gives the same
// statistics whether its complainant left nothing, left a contact, was
// acknowledged or stayed anonymous, whatever the suppression threshold.
// A reader who may see the reporter gets a different answer for each, so
// the statistics do carry what is kept from the others.
func TestStatistics_MaskedReporterLeavesNoTrace(t *testing.T) {
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	contact := func() *grievance.Contact {
		return &grievance.Contact{Phone: "+67077123456", Sex: "F", Location: "Gaza/Chokwe"}
	}
	variants := []struct {
		name string
		edit func(*grievance.Ticket)
	}{
		{"no contact", func(*grievance.Ticket) {}},
		{"contact", func(t *grievance.Ticket) { t.Contact = contact() }},
		{"contact acknowledged", func(t *grievance.Ticket) { t.Contact, t.AcknowledgedAt = contact(), day.Add(3*time.Hour) }},
		{"contact of unknown sex and region", func(t *grievance.Ticket) { t.Contact = &grievance.Contact{Email: "c@example.org"} }},
		{"anonymous", func(t *grievance.Ticket) { t.Contact = &grievance.Contact{Anonymous: true} }},
	}
	officer := &grievance.Principal{ID: "o", Rights: map[string]bool{grievance.RightQueryTickets: true}}
	cleared := &grievance.Principal{ID: "c", Rights: map[string]bool{grievance.RightQueryTickets: true, grievance.RightConfidential: true}}
	for _, tc := range []struct {
		name     string
		minCount int
		reader   *grievance.Principal
		same     bool // every variant gives the same statistics
	}{
		{"masked, default threshold", 5, officer, true},
		{"masked, threshold 1", 1, officer, true},
		{"masked, no threshold", 0, officer, true},
		{"cleared", 0, cleared, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			st.SetConfigDocument(fmt.Appendf(nil, `{"grievance_anonymized_fields": {"Default": [], "Category B": ["reporter"]}, "intake": {"stats_min_count": %d}}`, tc.minCount))
			var got []*grievance.Statistics
			for _, v := range variants {
				aggs := aggregates{}
				tk := &grievance.Ticket{ID: "t1", Version: 1, Status: grievance.StatusOpen, Category: "Category B", Source: grievance.SourceWeb, DateCreated: day}
				v.edit(tk)
				aggs.add(tk)
				svc := grievance.NewService(st, func() time.Time { return day }, grievancetest.IDs(), grievance.Options{Stats: aggs})
				s, err := svc.Statistics(grievance.NewContext(context.Background(), tc.reader),
					grievance.StatsQuery{DateFrom: "2026-03-02", DateTo: "2026-03-02", Category: "Category B"})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(s.ByCategory) != "[{Category B 1}]" {
					t.Fatalf("%s: byCategory %v, want the ticket counted", v.name, s.ByCategory)
				}
				got = append(got, s)
			}
			for i := 1; i < len(got); i++ {
				for j := range i {
					if equal := reflect.DeepEqual(got[i], got[j]); equal != tc.same {
						t.Errorf("%q and %q: equal statistics %v, want %v:\n%s\n%s", variants[i].name, variants[j].name, equal, tc.same,
							statsView(got[i]), statsView(got[j]))
					}
				}
			}
		})
	}
}

// statsView renders what a reader learns of a ticket's reporter.
func statsView(s *grievance.Statistics) string {
	f := func(p *float64) string {
		if p == nil {
			return "nil"
		}
		return fmt.Sprint(*p)
	}
	in := s.Intake
	anon := "nil"
	if in.Anonymous != nil {
		anon = fmt.Sprint(*in.Anonymous)
	}
	return fmt.Sprintf("acknowledged %d within %d avg %s share %s; anonymous %s share %s; bySex %v byLocation %v",
		s.Acknowledged, s.AcknowledgedWithinTarget, f(s.AverageHoursToAcknowledge), f(s.ShareAcknowledgedWithinTarget),
		anon, f(in.ShareAnonymous), in.BySex, in.ByLocation)
}
