package grievance

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// The arithmetic on codes answers as matchText on the formatted codes.
func TestCodeMatches_AgreesWithTheFilterMatch(t *testing.T) {
	for _, l := range []Lookup{Exact, IExact, IStartsWith, IContains} {
		for _, want := range []string{"GRS00000012", "grs00000012", "0000012", "GRS0000", "grs", "12", "2", "x", "ſ"} {
			got := codeMatches(2000, l, want)
			for n := int64(1); n <= 2000; n++ {
				if got.Has(n) != matchText(FormatCode(n), l, want) {
					t.Fatalf("%s %q: number %d: %v, the filter says %v", l, want, n, got.Has(n), !got.Has(n))
				}
			}
		}
	}
}

// rowColumnsFake answers HistoryValueRows with a column per value and
// counts the reads.
type rowColumnsFake struct {
	HistoryRowIndex
	read []string
}

func (f *rowColumnsFake) HistoryValueRows(_ context.Context, field, value string) ([]uint16, error) {
	f.read = append(f.read, field+"="+value)
	return []uint16{0, 1}, nil
}

// A field whose lookup accepted every value the container knew was left
// out of the first read; a value versions took since makes it decide,
// and its columns are read then.
func TestMoreRowValues_ReadsAFieldThatNowDecides(t *testing.T) {
	fs := []Filter{{Field: "priority", Lookup: IContains, Value: "h"}}
	first, ok := rowValues(fs, map[string][]string{"priority": {"High"}})
	if !ok || len(first) != 0 {
		t.Fatalf("every known value accepted: %v %v, want no field", first, ok)
	}
	fake := &rowColumnsFake{}
	cols := &rowColumns{values: map[string]map[string][]uint16{}}
	got, err := moreRowValues(context.Background(), fake, cols, fs, map[string][]string{"priority": {"High", "Low", "Very high"}})
	if err != nil || got == nil {
		t.Fatalf("more values: %v %v", got, err)
	}
	if want := []string{"priority=High", "priority=Very high"}; !slices.Equal(fake.read, want) {
		t.Errorf("read %v, want %v", fake.read, want)
	}
	if len(got.values["priority"]) != 2 {
		t.Errorf("columns %v, want High and Very high", got.values)
	}
}

// Every day the due days column holds is the day of its date's text, so a
// due date lookup judged on a day's text judges the tickets of that day.
func TestDayDate_IsDayOfsInverse(t *testing.T) {
	if dayDate(DayNone) != "" || dayDate(DayUnknown) != "" {
		t.Fatalf("no day has a date: %q %q", dayDate(DayNone), dayDate(DayUnknown))
	}
	for d := 2; d <= 0xffff; d++ {
		if got := DayOf(dayDate(uint16(d))); got != uint16(d) {
			t.Fatalf("day %d: date %q is day %d", d, dayDate(uint16(d)), got)
		}
	}
}

// The periods column tells an open ticket's level as Ticket.SLA does
// whenever it says it knows (openLevel over PeriodOf and the due day),
// for periods from minutes to over 395 days, starting after their
// deadline, a second either side of the AT_RISK boundary, at shares 0 to
// 1; and it knows all but the few within a unit of the boundary.
func TestOpenLevel_AgreesWithTheTicketsLevel(t *testing.T) {
	rnd := rand.New(rand.NewPCG(43, 1))
	now := time.Date(2026, 11, 21, 9, 17, 23, 0, time.UTC)
	unknown, cases := 0, 0
	for range 200000 {
		share := []float64{0, 0.25, 0.5, 1, rnd.Float64()}[rnd.IntN(5)]
		due := now.AddDate(0, 0, rnd.IntN(60)-5).Format(DateLayout)
		deadline, _ := Deadline(due)
		var start time.Time
		switch rnd.IntN(10) {
		case 0: // a second either side of the boundary
			if left := deadline.Sub(now); share > 0 && left > 0 {
				start = deadline.Add(-time.Duration(float64(left)/share) + time.Duration(rnd.IntN(3)-1)*time.Second)
				break
			}
			fallthrough
		case 1: // after its deadline, or very long
			start = deadline.Add(time.Duration(rnd.IntN(900)-450) * 24 * time.Hour)
		default:
			start = now.Add(-time.Duration(rnd.Int64N(int64(90 * 24 * time.Hour))))
		}
		tk := &Ticket{DueDate: due, Status: StatusOpen, DateCreated: start.Add(-time.Hour), SLAStart: start}
		want, _ := tk.SLA(now, share)
		got, known := openLevel(deadline, PeriodOf(tk), now, share)
		cases++
		if !known {
			unknown++
			continue
		}
		if got != want {
			t.Fatalf("due %s, period from %s, share %v: the column says %s, the ticket %s", due, start, share, got, want)
		}
	}
	if unknown > cases/8 {
		t.Errorf("the column could not tell %d of %d levels", unknown, cases)
	}
	if l, known := openLevel(now.Add(time.Hour), PeriodNone, now, 0.25); l != "" || !known {
		t.Errorf("no due date: %q %v", l, known)
	}
	if _, known := openLevel(now.Add(time.Hour), PeriodUnknown, now, 0.25); known {
		t.Errorf("a ticket not indexed is known")
	}
}

// Where dayTells says a date lookup is told by the day, judging a ticket
// of that day (dayTicket) answers as judging the ticket itself, for
// every query cut from the dates' texts or their neighbours (a time, a
// fraction, digits, letters, a "T" in either case) and every date and
// time (with a fraction, on the second, at midnight); and the lookups
// that are told include every icontains of a date of incident and of a
// date created's "-".
func TestDayTells_TheDayAnswersAsTheTicket(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 19, 23, 59, 59, 123456000, time.UTC),
		time.Date(2024, 2, 29, 12, 30, 5, 0, time.UTC),
		time.Date(2031, 1, 10, 10, 1, 20, 202600000, time.UTC),
	}
	var queries []string
	for _, tm := range times {
		txt := FormatDateTime(tm)
		for i := range len(txt) {
			for j := i + 1; j <= len(txt) && j <= i+8; j++ {
				queries = append(queries, txt[i:j], strings.ToLower(txt[i:j]))
			}
		}
	}
	queries = append(queries, "x", "-x", "k", "2026-", "-10-0", "10-01t", "t09", "T09", ".12", "2026", "1-1")
	told := 0
	for _, field := range DateDayFields {
		for _, q := range queries {
			for _, l := range textLookups {
				f := Filter{Field: field, Lookup: l, Value: q}
				if !dayTells(f) {
					if field == "date_of_incident" && l == IContains || field == "date_created" && l == IContains && strings.Contains(q, "-") && !strings.ContainsAny(q, "tT") {
						t.Errorf("%s %s %q: not told", field, l, q)
					}
					continue
				}
				told++
				for _, tm := range times {
					tk := &Ticket{DateCreated: tm, DateOfIncident: tm.Format(DateLayout)}
					day := DateDay(field, LiveIndexedValue(tk, field))
					if got, want := matchesTicket([]Filter{f}, nil, dayTicket(field, day)), matchesTicket([]Filter{f}, nil, tk); got != want {
						t.Errorf("%s %s %q on %s: the day says %v, the ticket %v", field, l, q, FormatDateTime(tm), got, want)
					}
				}
			}
		}
	}
	if told < 500 {
		t.Errorf("only %d lookups told by the day", told)
	}
}
