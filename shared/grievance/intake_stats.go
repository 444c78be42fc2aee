package grievance

import (
	"strings"
)

// Intake measures (docs/intake.md): where complaints come from, how many
// are anonymous, how many were acknowledged, and who complains (sex and
// region of the contact block). They ride on the statistics aggregates as
// counters of their own, each dimension bounded like the others
// (StatsDimensions):
//
//	src:<source>  tickets filed through a public channel (SourceWeb, …)
//	anon          anonymous tickets
//	unack         tickets not acknowledged: created by staff and still
//	              RECEIVED (every public channel answers with the case
//	              code, which acknowledges receipt)
//	sex:<code>    tickets with a contact block, by sex ("" unknown)
//	loc:<region>  tickets with a contact block, by the first level of its
//	              location when intake.stats_regions names it ("" unknown)
const (
	prefixSource   = "src:"
	prefixSex      = "sex:"
	prefixLocation = "loc:"
	CounterAnon    = "anon"
	CounterUnack   = "unack"
)

// addIntakeCounters adds t's intake counters to c.
func addIntakeCounters(t *Ticket, c Counters, dims *StatsDimensions) {
	if t.Source != "" {
		c[prefixSource+bucket(intakeSources, t.Source)] = 1
	} else if t.Status == StatusReceived {
		c[CounterUnack] = 1
	}
	if t.Contact == nil {
		return
	}
	if t.Contact.Anonymous {
		c[CounterAnon] = 1
		return
	}
	region, _, _ := strings.Cut(t.Contact.Location, "/")
	c[prefixSex+bucket(sexes, t.Contact.Sex)] = 1
	c[prefixLocation+bucket(dims.regions, region)] = 1
}

var (
	intakeSources = map[string]bool{SourceWeb: true, SourceSMS: true, SourceTwilio: true}
	sexes         = map[string]bool{SexMale: true, SexFemale: true, SexOther: true}
)

// IntakeStatistics are the intake measures of a statistics request. Rows
// of BySource, BySex and ByLocation below SuppressedBelow are left out,
// and Anonymous with its share is nil when below it, so that no small
// group of complainants can be singled out. Zero is below it too: a zero
// shown where 1 to SuppressedBelow-1 is not would tell them apart, as an
// absent row does not. Anonymous and its share leave out the categories
// whose reporter is hidden from the reader.
type IntakeStatistics struct {
	Received          int64 // tickets from the public channels
	BySource          []Count
	Anonymous         *int64
	ShareAnonymous    *float64
	Acknowledged      int64
	ShareAcknowledged *float64
	BySex             []Count
	ByLocation        []Count
	SuppressedBelow   int
}

// intakeStatistics computes the measures from the per-category sums the
// reader may see; masked tells, per category, which fields are hidden
// from the reader (the contact goes with "reporter").
func intakeStatistics(cfg *Config, total int64, sum map[string]Counters, masked func(category string) map[string]bool) *IntakeStatistics {
	min := int64(cfg.Intake.StatsMinCount)
	out := &IntakeStatistics{SuppressedBelow: cfg.Intake.StatsMinCount}
	source, sex, location := Counters{}, Counters{}, Counters{}
	var anon, anonOf int64 // anonymous tickets among the anonOf whose reporter the reader may see
	for cat, c := range sum {
		out.Acknowledged += c[CounterTickets] - c[CounterUnack]
		// A hidden reporter hides the whole contact block (maskTicket): not
		// only its sex and region but whether there is one and whether it
		// is anonymous. So every ticket of such a category counts under
		// "[Restricted]", with a contact or not (counting only those with
		// one would tell how many left one), and none counts in Anonymous.
		hide := masked(cat)["reporter"]
		if hide {
			sex[Restricted] += c[CounterTickets]
			location[Restricted] += c[CounterTickets]
		} else {
			anon += c[CounterAnon]
			anonOf += c[CounterTickets]
		}
		for k, v := range c {
			switch {
			case strings.HasPrefix(k, prefixSource):
				source[strings.TrimPrefix(k, prefixSource)] += v
				out.Received += v
			case hide:
			case strings.HasPrefix(k, prefixSex):
				sex[strings.TrimPrefix(k, prefixSex)] += v
			case strings.HasPrefix(k, prefixLocation):
				location[strings.TrimPrefix(k, prefixLocation)] += v
			}
		}
	}
	suppress := func(c Counters) []Count {
		var kept []Count
		for _, row := range countsOf(c) {
			if row.Count >= min {
				kept = append(kept, row)
			}
		}
		return kept
	}
	out.BySource, out.BySex, out.ByLocation = suppress(source), suppress(sex), suppress(location)
	if anon >= min {
		out.Anonymous = &anon
		if anonOf > 0 {
			share := float64(anon) / float64(anonOf)
			out.ShareAnonymous = &share
		}
	}
	if total > 0 {
		share := float64(out.Acknowledged) / float64(total)
		out.ShareAcknowledged = &share
	}
	return out
}
