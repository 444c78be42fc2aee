package grievance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// aggregates is a grievance.StatsStore summing contributions as the
// history function does.
type aggregates map[grievance.StatsKey]grievance.Counters

func (a aggregates) add(t *grievance.Ticket) {
	cfg, err := grievance.ParseConfig([]byte(`{"intake": {"stats_regions": ["Gaza", "Sofala", "Maputo"]}}`))
	if err != nil {
		panic(err)
	}
	c := grievance.ContributionOf(t, cfg.StatsDimensions())
	if a[c.Key] == nil {
		a[c.Key] = grievance.Counters{}
	}
	for k, v := range c.Counters {
		a[c.Key][k] += v
	}
}

func (a aggregates) StatsAggregates(_ context.Context, from, to string) ([]grievance.Contribution, error) {
	var out []grievance.Contribution
	for k, c := range a {
		if k.Day >= from && k.Day <= to {
			out = append(out, grievance.Contribution{Key: k, Counters: c})
		}
	}
	return out, nil
}

func TestStatistics_IntakeMeasuresWithSmallCountSuppression(t *testing.T) {
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	aggs := aggregates{}
	n := 0
	add := func(count int, category, source string, status grievance.Status, c *grievance.Contact) {
		for range count {
			n++
			aggs.add(&grievance.Ticket{ID: fmt.Sprint(n), Version: 1, Status: status, Category: category, Source: source,
				DateCreated: day, Contact: c})
		}
	}
	anon := &grievance.Contact{Anonymous: true}
	add(6, "Default", "web", grievance.StatusReceived, anon)
	add(5, "Default", "web", grievance.StatusReceived, &grievance.Contact{Sex: "M", Location: "Gaza/Chokwe"})
	add(2, "Default", "sms", grievance.StatusReceived, &grievance.Contact{Sex: "F", Location: "Maputo/KaMpfumo"})
	add(3, "Default", "", grievance.StatusReceived, nil)
	add(1, "Default", "", grievance.StatusOpen, nil)
	add(5, "Category B", "web", grievance.StatusReceived, &grievance.Contact{Sex: "F", Location: "Sofala"})
	// A region intake.stats_regions does not name counts as [Other].
	add(5, "Category A", "web", grievance.StatusOpen, &grievance.Contact{Sex: "O", Location: "Niassa/Lichinga"})

	st := grievancetest.NewStore()
	st.SetConfigDocument([]byte(`{"grievance_anonymized_fields": {"Default": [], "Category B": ["reporter"]}}`))
	svc := grievance.NewService(st, func() time.Time { return day }, grievancetest.IDs(), grievance.Options{Stats: aggs})
	for _, tt := range []struct {
		name       string
		reader     *grievance.Principal
		wantShare  float64 // of anonymous tickets
		wantSex    string
		wantRegion string
	}{
		{"reader cleared for confidential fields", &grievance.Principal{ID: "a", Admin: true}, 6.0 / 27, "[{F 7} {M 5} {O 5}]", "[{Gaza 5} {Sofala 5} {[Other] 5}]"},
		// Category B's 5 tickets, whose reporter is hidden, are not part of
		// the anonymous share: whether they are anonymous is hidden too.
		{"reader without the confidential right", &grievance.Principal{ID: "v", Rights: map[string]bool{grievance.RightQueryTickets: true}},
			6.0 / 22, "[{M 5} {O 5} {[Restricted] 5}]", "[{Gaza 5} {[Other] 5} {[Restricted] 5}]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := svc.Statistics(grievance.NewContext(context.Background(), tt.reader), grievance.StatsQuery{})
			if err != nil {
				t.Fatal(err)
			}
			in := s.Intake
			if s.Total != 27 || in.Received != 23 || in.SuppressedBelow != 5 {
				t.Fatalf("total %d received %d threshold %d", s.Total, in.Received, in.SuppressedBelow)
			}
			// sms (2) is below the threshold: left out.
			if got := fmt.Sprint(in.BySource); got != "[{web 21}]" {
				t.Fatalf("bySource %s", got)
			}
			if in.Anonymous == nil || *in.Anonymous != 6 || *in.ShareAnonymous != tt.wantShare {
				t.Fatalf("anonymous %v share %v", in.Anonymous, in.ShareAnonymous)
			}
			// All but the 3 tickets staff created that are still RECEIVED.
			if in.Acknowledged != 24 || *in.ShareAcknowledged != 24.0/27 {
				t.Fatalf("acknowledged %d", in.Acknowledged)
			}
			// Maputo of the two SMS complainants is suppressed (and their F too
			// where the other F rows are restricted).
			if got := fmt.Sprint(in.BySex); got != tt.wantSex {
				t.Fatalf("bySex %s, want %s", got, tt.wantSex)
			}
			if got := fmt.Sprint(in.ByLocation); got != tt.wantRegion {
				t.Fatalf("byLocation %s, want %s", got, tt.wantRegion)
			}
		})
	}

}

// Ensure a small anonymous count is not shown, and none is a small count:
// were 0 shown where 1 to stats_min_count-1 is not, the missing number
// would say "some complainant here is anonymous" (of one ticket, that
// it is).
func TestStatistics_SmallAnonymousCountSuppressedFromZero(t *testing.T) {
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		minCount int
		anon     int   // anonymous tickets, besides 2 with a contact
		want     int64 // -1: not shown
	}{
		{"none", 5, 0, -1},
		{"one", 5, 1, -1},
		{"few", 5, 3, -1},
		{"at the threshold", 5, 5, 5},
		{"none, no threshold", 0, 0, 0},
		{"one, no threshold", 0, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aggs := aggregates{}
			for i := range tc.anon + 2 {
				c := &grievance.Contact{Anonymous: true}
				if i >= tc.anon {
					c = &grievance.Contact{Phone: "+67077123456"}
				}
				aggs.add(&grievance.Ticket{ID: fmt.Sprint(i), Version: 1, Status: grievance.StatusReceived, Category: "Default",
					Source: "web", DateCreated: day, Contact: c})
			}
			st := grievancetest.NewStore()
			st.SetConfigDocument(fmt.Appendf(nil, `{"intake": {"stats_min_count": %d}}`, tc.minCount))
			svc := grievance.NewService(st, func() time.Time { return day }, grievancetest.IDs(), grievance.Options{Stats: aggs})
			s, err := svc.Statistics(grievance.NewContext(context.Background(), &grievance.Principal{ID: "a", Admin: true}), grievance.StatsQuery{})
			if err != nil {
				t.Fatal(err)
			}
			in := s.Intake
			if tc.want < 0 {
				if in.Anonymous != nil || in.ShareAnonymous != nil {
					t.Fatalf("anonymous %d shown below %d", *in.Anonymous, tc.minCount)
				}
				return
			}
			if in.Anonymous == nil || *in.Anonymous != tc.want || in.ShareAnonymous == nil || *in.ShareAnonymous != float64(tc.want)/float64(tc.anon+2) {
				t.Fatalf("anonymous %v share %v, want %d", in.Anonymous, in.ShareAnonymous, tc.want)
			}
		})
	}
}
