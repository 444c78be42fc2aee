package grievance

import (
	"context"
	"slices"
	"testing"
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
