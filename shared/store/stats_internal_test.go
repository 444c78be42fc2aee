package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/redress-grm/redress/shared/grievance"
)

// maxAggregateBytes is the size docs/sla.md promises a day's aggregate
// never passes, whatever tickets carry: far inside DynamoDB's 400 KB.
const maxAggregateBytes = 48 * 1024

// Ensure the aggregate item stays within maxAggregateBytes when it holds
// every counter name statistics can produce under the largest
// configuration they count by name (MaxStatsValues values of
// MaxStatsValueBytes, in 4-byte characters, per dimension), plus values no
// configuration names, each counter at the widest number DynamoDB stores.
func TestAggregate_WorstCaseFitsItemLimit(t *testing.T) {
	wide := func(prefix string, i int) string {
		s := fmt.Sprintf("%s%03d", prefix, i)
		return s + strings.Repeat("𝄞", (grievance.MaxStatsValueBytes-len(s))/4)
	}
	cfg := grievance.DefaultConfig()
	cfg.GrievanceChannels, cfg.GrievancePriorities, cfg.GrievanceFlags = nil, nil, nil
	for i := range grievance.MaxStatsValues * 3 {
		cfg.GrievanceChannels = append(cfg.GrievanceChannels, wide("c", i))
		cfg.GrievancePriorities = append(cfg.GrievancePriorities, wide("p", i))
		cfg.GrievanceFlags = append(cfg.GrievanceFlags, wide("f", i))
	}
	dims := cfg.StatsDimensions()
	created := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	var tickets []grievance.Ticket
	for i := range grievance.MaxStatsValues*3 + 50 {
		v := func(list []string) string {
			if i < len(list) {
				return list[i]
			}
			return fmt.Sprintf("odd %d", i) // not configured
		}
		tickets = append(tickets, grievance.Ticket{Status: grievance.Statuses[i%len(grievance.Statuses)],
			Channel: v(cfg.GrievanceChannels), Priority: v(cfg.GrievancePriorities), Flags: v(cfg.GrievanceFlags)})
	}
	tickets = append(tickets, grievance.Ticket{Status: "LOST"}, grievance.Ticket{})
	// Every resolution-time bucket, resolved within and after the due date.
	for h := range 130 * 24 {
		for _, due := range []string{"2026-03-01", "2027-01-01"} {
			tickets = append(tickets, grievance.Ticket{Status: grievance.StatusClosed, DateCreated: created,
				DateResolved: created.Add(time.Duration(h) * time.Hour), DueDate: due})
		}
	}
	all := grievance.Counters{}
	for i := range tickets {
		tickets[i].DateCreated = created
		for name := range grievance.ContributionOf(&tickets[i], dims).Counters {
			all[name] = -1 << 63 // the widest number: 20 characters
		}
	}
	k := grievance.StatsKey{Day: "2026-03-01", Category: strings.Repeat("𝄞", 255/4)}
	u := s0.aggregateUpdate(k, all)
	size := 0
	for name, av := range u.Key {
		size += len(name) + len(av.(*types.AttributeValueMemberS).Value)
	}
	for placeholder, name := range u.ExpressionAttributeNames {
		size += len(name)
		if strings.HasPrefix(placeholder, "#a") {
			size += 21 // DynamoDB's upper bound for a number
		}
	}
	for _, v := range []string{KindStats, k.Day, k.Category} { // SET values
		size += len(v)
	}
	t.Logf("%d counters, %d bytes", len(all), size)
	if size > maxAggregateBytes {
		t.Fatalf("the worst-case aggregate is %d bytes (%d counters), over %d", size, len(all), maxAggregateBytes)
	}
}

var s0 = &Store{}
