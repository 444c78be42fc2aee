package grievance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Statistics are computed from aggregates, never by reading tickets: a
// stream consumer (functions/history) keeps, per creation day and category,
// counters of the tickets created that day in their current state. Each
// ticket contributes to exactly one aggregate (its creation day never
// changes; a category change moves its contribution), and the consumer
// replaces a ticket's previous contribution by its new one, so the
// aggregates always equal a recount. docs/sla.md describes the items and
// their cost.

// StatsKey names one aggregate: the creation day (YYYY-MM-DD, UTC) and the
// category of the tickets it counts.
type StatsKey struct {
	Day      string
	Category string
}

// Counters are the named counts of an aggregate or of one ticket's
// contribution. Names:
//
//	n          tickets
//	s:<status> tickets per status
//	c:<value>  per channel, p:<value> per priority, f:<value> per flag
//	           ("" value: not set)
//	r          resolved tickets (RESOLVED or CLOSED)
//	rs         their resolution times, summed, in seconds
//	h:<i>      resolved tickets per resolution-time bucket i (ResolutionBucket)
//	wd         resolved tickets that had a due date
//	w          those resolved within it
//	ak         acknowledged tickets (an acknowledgement was sent)
//	aks        their times to acknowledge, summed, in seconds
//	akw        those acknowledged within notifications.acknowledgement_target_hours
type Counters map[string]int64

// Counter names (see Counters).
const (
	CounterTickets        = "n"
	CounterResolved       = "r"
	CounterResolutionSecs = "rs"
	CounterWithDue        = "wd"
	CounterWithin         = "w"
	CounterAcknowledged   = "ak"
	CounterAckSecs        = "aks"
	CounterAckWithin      = "akw"
	prefixStatus          = "s:"
	prefixChannel         = "c:"
	prefixPriority        = "p:"
	prefixFlag            = "f:"
	prefixHistogram       = "h:"
)

// Contribution is what one ticket adds to the aggregates.
type Contribution struct {
	Key      StatsKey
	Counters Counters
}

// StatsOther is the breakdown key of every value a statistics dimension
// does not count by name. Bracketed like Restricted, so no configured
// value is likely to collide with it.
const StatsOther = "[Other]"

// Bounds of a statistics dimension. Every counter name is an attribute of
// a day's aggregate item, which can only grow: the number of names per
// dimension and their length are what keep it inside DynamoDB's 400 KB
// item limit whatever clients send (docs/sla.md computes the worst case).
const (
	// MaxStatsValues is how many values of each configured list
	// (channels, priorities, flags) are counted by name: the first ones
	// listed.
	MaxStatsValues = 100
	// MaxStatsValueBytes is the longest value counted by name, in UTF-8
	// bytes.
	MaxStatsValueBytes = 64
)

// StatsDimensions are the values statistics count by name: the configured
// channels, priorities and flags, within the bounds above. Anything else a
// ticket carries (a free-text priority, a value retired from the
// configuration, a flag imported from elsewhere) counts as StatsOther.
type StatsDimensions struct {
	channels, priorities, flags map[string]bool
	// ackTarget is the acknowledgement target; a change applies to the
	// tickets whose contribution is computed after it.
	ackTarget time.Duration
	// regions are intake.stats_regions (intake_stats.go).
	regions map[string]bool
}

// StatsDimensions returns the values c lets statistics count by name.
func (c *Config) StatsDimensions() *StatsDimensions {
	named := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, v := range list {
			if len(m) == MaxStatsValues {
				break
			}
			if len(v) <= MaxStatsValueBytes {
				m[v] = true
			}
		}
		return m
	}
	return &StatsDimensions{channels: named(c.GrievanceChannels), priorities: named(c.GrievancePriorities), flags: named(c.GrievanceFlags),
		ackTarget: time.Duration(c.Notifications.AcknowledgementTargetHours) * time.Hour,
		regions:   named(c.Intake.StatsRegions)}
}

// bucket returns the breakdown key of v: "" (not set) and named values
// stay, anything else is StatsOther.
func bucket(named map[string]bool, v string) string {
	if v == "" || named[v] {
		return v
	}
	return StatsOther
}

// ContributionOf returns what t adds to the aggregates, counting by name
// only the values dims names; deleted tickets add nothing (nil).
func ContributionOf(t *Ticket, dims *StatsDimensions) *Contribution {
	if t == nil || t.IsDeleted {
		return nil
	}
	status := string(t.Status)
	if !slices.Contains(Statuses, t.Status) {
		status = StatsOther
	}
	c := Counters{CounterTickets: 1, prefixStatus + status: 1,
		prefixChannel + bucket(dims.channels, t.Channel): 1, prefixPriority + bucket(dims.priorities, t.Priority): 1}
	for _, f := range FlagList(t.Flags) {
		c[prefixFlag+bucket(dims.flags, f)] = 1
	}
	if t.Status.Terminal() {
		secs := max(int64(t.ResolvedAt().Sub(t.DateCreated)/time.Second), 0)
		c[CounterResolved] = 1
		c[CounterResolutionSecs] = secs
		c[prefixHistogram+strconv.Itoa(ResolutionBucket(secs))] = 1
		if within, ok := t.ResolvedWithinTime(); ok {
			c[CounterWithDue] = 1
			if within {
				c[CounterWithin] = 1
			}
		}
	}
	if !t.AcknowledgedAt.IsZero() {
		took := max(t.AcknowledgedAt.Sub(t.DateCreated), 0)
		c[CounterAcknowledged] = 1
		c[CounterAckSecs] = int64(took / time.Second)
		if took <= dims.ackTarget {
			c[CounterAckWithin] = 1
		}
	}
	addIntakeCounters(t, c, dims)
	return &Contribution{Key: StatsKey{Day: t.DateCreated.UTC().Format(DateLayout), Category: t.Category}, Counters: c}
}

// FlagList returns the flags of a ticket's flags field: one flag, or a
// JSON list of them (later openIMIS clients send lists).
func FlagList(flags string) []string {
	flags = strings.TrimSpace(flags)
	if flags == "" {
		return nil
	}
	if strings.HasPrefix(flags, "[") {
		var list []string
		if json.Unmarshal([]byte(flags), &list) == nil {
			out := make([]string, 0, len(list))
			for _, f := range list {
				if f = strings.TrimSpace(f); f != "" && !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
			return out
		}
	}
	return []string{flags}
}

// Resolution-time histogram: one bucket per hour for the first week, one
// per day up to 120 days, one for everything longer. A median read from it
// is exact to the hour below a week and to the day below 120 days; above,
// it is reported as 120 days.
const (
	hourlyBuckets  = 7 * 24
	histogramDays  = 120
	overflowBucket = hourlyBuckets + histogramDays - 7
)

// ResolutionBucket returns the histogram bucket of a resolution time.
func ResolutionBucket(secs int64) int {
	hours := secs / 3600
	if hours < hourlyBuckets {
		return int(hours)
	}
	if days := hours / 24; days < histogramDays {
		return hourlyBuckets + int(days) - 7
	}
	return overflowBucket
}

// bucketHours returns the range of resolution times, in hours, bucket i
// holds: [lo, hi).
func bucketHours(i int) (lo, hi float64) {
	switch {
	case i < hourlyBuckets:
		return float64(i), float64(i + 1)
	case i < overflowBucket:
		d := float64(i - hourlyBuckets + 7)
		return d * 24, (d + 1) * 24
	}
	return histogramDays * 24, histogramDays * 24
}

// StatsStore reads the aggregates.
type StatsStore interface {
	// StatsAggregates returns every aggregate whose day is within
	// [fromDay, toDay] (YYYY-MM-DD).
	StatsAggregates(ctx context.Context, fromDay, toDay string) ([]Contribution, error)
}

// StatsQuery is a grievanceStatistics request. Empty dates take the
// defaults: up to today, from StatsDefaultDays before; Category narrows to
// one category.
type StatsQuery struct {
	DateFrom, DateTo string
	Category         string
}

// Limits of a statistics request: the default window and the longest one
// (its cost grows with the days it spans).
const (
	StatsDefaultDays = 365
	StatsMaxDays     = 3 * 366
)

// Count is one row of a breakdown; Key "" stands for "not set".
type Count struct {
	Key   string
	Count int64
}

// Statistics describe the tickets created in a date range, in their
// current state.
type Statistics struct {
	DateFrom, DateTo string
	Total            int64
	ByStatus         []Count // every status, in workflow order
	ByCategory       []Count
	ByChannel        []Count
	ByPriority       []Count
	ByFlag           []Count
	Resolved         int64
	// AverageResolutionHours is exact; MedianResolutionHours is read from
	// the histogram (see ResolutionBucket). Both are nil without resolved
	// tickets.
	AverageResolutionHours *float64
	MedianResolutionHours  *float64
	// ResolvedWithDueDate counts the resolved tickets that had a due date,
	// ResolvedWithinTime those resolved before it ran out; the share is
	// nil when there are none.
	ResolvedWithDueDate     int64
	ResolvedWithinTime      int64
	ShareResolvedWithinTime *float64
	// Acknowledged counts the tickets whose complainant was sent an
	// acknowledgement (docs/notifications.md); AverageHoursToAcknowledge
	// and ShareAcknowledgedWithinTarget (of the acknowledged ones, within
	// notifications.acknowledgement_target_hours) are nil without any.
	Acknowledged                  int64
	AcknowledgedWithinTarget      int64
	AverageHoursToAcknowledge     *float64
	ShareAcknowledgedWithinTarget *float64
	// Intake holds the measures of the public channels (intake_stats.go).
	Intake *IntakeStatistics
}

// Statistics returns the statistics of the tickets created in a date range
// that the principal may know about: categories restricted to rights the
// principal lacks are left out altogether (their attending staff included:
// an aggregate has no attending staff), and breakdowns by a field
// anonymized for the principal count that category's tickets under
// "[Restricted]" (a masked due date leaves them out of the on-time share, a
// masked reporter out of the acknowledgement measures).
func (s *Service) Statistics(ctx context.Context, q StatsQuery) (*Statistics, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.StatisticsPerms })
	if err != nil {
		return nil, err
	}
	if s.stats == nil {
		return nil, errors.New("statistics: no aggregate store configured")
	}
	from, to, err := statsRange(q, s.now().UTC())
	if err != nil {
		return nil, err
	}
	aggs, err := s.stats.StatsAggregates(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("read statistics: %w", err)
	}
	sum := map[string]Counters{} // by category
	for _, a := range aggs {
		if q.Category != "" && a.Key.Category != q.Category {
			continue
		}
		if exists, _ := byRight(cfg, p, a.Key.Category); !exists {
			continue
		}
		c := sum[a.Key.Category]
		if c == nil {
			c = Counters{}
			sum[a.Key.Category] = c
		}
		for k, v := range a.Counters {
			c[k] += v
		}
	}
	out := &Statistics{DateFrom: from, DateTo: to}
	status, channel, priority, flag, hist := Counters{}, Counters{}, Counters{}, Counters{}, Counters{}
	var resolutionSecs, ackSecs int64
	for cat, c := range sum {
		_, masked := byRight(cfg, p, cat)
		if c[CounterTickets] != 0 {
			out.ByCategory = append(out.ByCategory, Count{cat, c[CounterTickets]})
		}
		out.Total += c[CounterTickets]
		out.Resolved += c[CounterResolved]
		resolutionSecs += c[CounterResolutionSecs]
		// An acknowledgement says the complainant left a contact, which is
		// why maskTicket clears acknowledgedAt with a masked reporter: such
		// a category is left out of the acknowledgement measures, as a
		// masked due date is out of the on-time share (a count cannot be
		// shown as "[Restricted]").
		if !masked["reporter"] {
			out.Acknowledged += c[CounterAcknowledged]
			out.AcknowledgedWithinTarget += c[CounterAckWithin]
			ackSecs += c[CounterAckSecs]
		}
		if !masked["due_date"] {
			out.ResolvedWithDueDate += c[CounterWithDue]
			out.ResolvedWithinTime += c[CounterWithin]
		}
		for k, v := range c {
			name, value, ok := strings.Cut(k, ":")
			if !ok {
				continue
			}
			switch name + ":" {
			case prefixStatus:
				status[value] += v
			case prefixChannel:
				channel[restrictedKey(masked["channel"], value)] += v
			case prefixPriority:
				priority[restrictedKey(masked["priority"], value)] += v
			case prefixFlag:
				flag[restrictedKey(masked["flags"], value)] += v
			case prefixHistogram:
				hist[value] += v
			}
		}
	}
	for _, st := range Statuses {
		out.ByStatus = append(out.ByStatus, Count{string(st), status[string(st)]})
	}
	out.ByCategory = sortCounts(out.ByCategory)
	out.ByChannel, out.ByPriority, out.ByFlag = countsOf(channel), countsOf(priority), countsOf(flag)
	if out.Resolved > 0 {
		avg := float64(resolutionSecs) / 3600 / float64(out.Resolved)
		out.AverageResolutionHours = &avg
		out.MedianResolutionHours = medianHours(hist)
	}
	if out.ResolvedWithDueDate > 0 {
		share := float64(out.ResolvedWithinTime) / float64(out.ResolvedWithDueDate)
		out.ShareResolvedWithinTime = &share
	}
	if out.Acknowledged > 0 {
		avg := float64(ackSecs) / 3600 / float64(out.Acknowledged)
		share := float64(out.AcknowledgedWithinTarget) / float64(out.Acknowledged)
		out.AverageHoursToAcknowledge, out.ShareAcknowledgedWithinTarget = &avg, &share
	}
	out.Intake = intakeStatistics(cfg, out.Total, sum, func(cat string) map[string]bool { return maskedFields(cfg, p, &Ticket{Category: cat}) })
	return out, nil
}

func restrictedKey(masked bool, value string) string {
	if masked && value != "" {
		return Restricted
	}
	return value
}

func countsOf(c Counters) []Count {
	var out []Count
	for k, v := range c {
		if v != 0 {
			out = append(out, Count{k, v})
		}
	}
	return sortCounts(out)
}

// sortCounts orders a breakdown by count, largest first, then by key.
func sortCounts(cs []Count) []Count {
	slices.SortFunc(cs, func(a, b Count) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Key, b.Key)
	})
	return cs
}

// medianHours reads the median from the histogram: the middle resolution
// time (the mean of the two middle ones for an even count), each placed
// inside its bucket by its rank there (linear interpolation), so it is
// within one bucket width of the exact median.
func medianHours(hist Counters) *float64 {
	type bucket struct {
		i int
		n int64
	}
	var bs []bucket
	var total int64
	for k, n := range hist {
		i, err := strconv.Atoi(k)
		if err != nil || n <= 0 {
			continue
		}
		bs = append(bs, bucket{i, n})
		total += n
	}
	if total == 0 {
		return nil
	}
	slices.SortFunc(bs, func(a, b bucket) int { return a.i - b.i })
	// rank returns the estimated k-th smallest time (k from 1).
	rank := func(k int64) float64 {
		var cum int64
		for _, b := range bs {
			if cum+b.n >= k {
				lo, hi := bucketHours(b.i)
				return lo + (float64(k-cum)-0.5)/float64(b.n)*(hi-lo)
			}
			cum += b.n
		}
		return 0
	}
	m := (rank((total+1)/2) + rank(total/2+1)) / 2
	return &m
}

// statsRange validates and defaults the date range of q.
func statsRange(q StatsQuery, now time.Time) (from, to string, err error) {
	to = now.Format(DateLayout)
	if q.DateTo != "" {
		if to, err = ParseDate("dateTo", q.DateTo); err != nil {
			return "", "", err
		}
	}
	end, _ := time.Parse(DateLayout, to)
	from = end.AddDate(0, 0, -(StatsDefaultDays - 1)).Format(DateLayout)
	if q.DateFrom != "" {
		if from, err = ParseDate("dateFrom", q.DateFrom); err != nil {
			return "", "", err
		}
	}
	start, _ := time.Parse(DateLayout, from)
	switch days := int(end.Sub(start).Hours()/24) + 1; {
	case days < 1:
		return "", "", Errorf(CodeInvalid, "dateFrom %s is after dateTo %s.", from, to)
	case days > StatsMaxDays:
		return "", "", Errorf(CodeInvalid, "The date range spans %d days; the limit is %d.", days, StatsMaxDays)
	}
	return from, to, nil
}
