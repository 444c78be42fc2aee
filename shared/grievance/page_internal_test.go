package grievance

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func intp(n int) *int { return &n }

// Ensure the window slices like graphql-relay's connection_from_list_slice
// over a list of 10 rows (0..9), whether or not it counts.
func TestWindow_RelaySemantics(t *testing.T) {
	for _, tc := range []struct {
		name             string
		args             PageArgs
		count            bool
		items            string
		start            int
		hasNext, hasPrev bool
		wantErr          string
	}{
		{name: "default first 100", args: PageArgs{}, items: "[0 1 2 3 4 5 6 7 8 9]"},
		{name: "first 3", args: PageArgs{First: intp(3)}, items: "[0 1 2]", hasNext: true},
		{name: "first 3 after 2", args: PageArgs{First: intp(3), After: Cursor(2)}, items: "[3 4 5]", start: 3, hasNext: true},
		{name: "first 3 after 6 reaches the end", args: PageArgs{First: intp(3), After: Cursor(6)}, items: "[7 8 9]", start: 7},
		{name: "offset 4", args: PageArgs{First: intp(2), Offset: 4}, items: "[4 5]", start: 4, hasNext: true},
		{name: "offset adds to after", args: PageArgs{First: intp(2), After: Cursor(1), Offset: 3}, items: "[5 6]", start: 5, hasNext: true},
		{name: "first with before (client's back button)", args: PageArgs{First: intp(3), Before: Cursor(6)}, items: "[0 1 2]", hasNext: true},
		{name: "first with before, short", args: PageArgs{First: intp(10), Before: Cursor(2)}, items: "[0 1]"},
		{name: "last 3", args: PageArgs{Last: intp(3)}, items: "[7 8 9]", start: 7, hasPrev: true},
		{name: "last 3 before 5", args: PageArgs{Last: intp(3), Before: Cursor(5)}, items: "[2 3 4]", start: 2, hasPrev: true},
		{name: "last more than there are", args: PageArgs{Last: intp(30), Before: Cursor(2)}, items: "[0 1]"},
		{name: "first then last", args: PageArgs{First: intp(5), Last: intp(2)}, items: "[3 4]", start: 3, hasNext: true, hasPrev: true},
		{name: "after the end", args: PageArgs{First: intp(3), After: Cursor(20)}, items: "[]", start: 21},
		{name: "counting does not change the page", args: PageArgs{First: intp(3), After: Cursor(2)}, count: true, items: "[3 4 5]", start: 3, hasNext: true},
		{name: "first 101", args: PageArgs{First: intp(101)}, wantErr: "Requesting 101 records on the `tickets` connection exceeds the `first` limit of 100 records."},
		{name: "last 101", args: PageArgs{Last: intp(101)}, wantErr: "exceeds the `last` limit"},
		{name: "negative first", args: PageArgs{First: intp(-1)}, wantErr: "non-negative"},
		{name: "bad cursor", args: PageArgs{After: "zzz"}, wantErr: "not a valid cursor"},
		{name: "offset with before", args: PageArgs{Offset: 1, Before: Cursor(3)}, wantErr: "Cannot combine"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWindow[int]("tickets", tc.args, tc.count)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(ErrorMessage(err), tc.wantErr) {
					t.Fatalf("err=%v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			read := 0
			for i := range 10 {
				read++
				if !w.add(i) {
					break
				}
			}
			p := w.page(read == 10)
			items := fmt.Sprint(p.Items)
			if items != tc.items || p.StartIndex != tc.start && len(p.Items) > 0 || p.HasNextPage != tc.hasNext || p.HasPreviousPage != tc.hasPrev {
				t.Fatalf("items=%s start=%d next=%v prev=%v, want %s start=%d next=%v prev=%v",
					items, p.StartIndex, p.HasNextPage, p.HasPreviousPage, tc.items, tc.start, tc.hasNext, tc.hasPrev)
			}
			if tc.count && (p.TotalCount != 10 || !p.Counted) {
				t.Fatalf("total=%d counted=%v, want 10", p.TotalCount, p.Counted)
			}
		})
	}
}

// A cursor carries a sort value only for a sortable column, as text, and
// within a bound, or a history row's version: anything else is the
// documented invalid-cursor error.
func TestParseCursor_SortPosition(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		raw   string
		ok    bool
		field string
		value string
	}{
		{"arrayconnection:3|a12|otitle=Pay | point = 2", true, "title", "Pay | point = 2"},
		{"arrayconnection:3|d12|opriority=", true, "priority", ""},
		{"arrayconnection:3|d12", true, "", ""},
		{"arrayconnection:3|d12|v3", true, "", ""},
		{"arrayconnection:3|d12|v0", false, "", ""},
		{"arrayconnection:3|d12|v3x", false, "", ""},
		{"arrayconnection:3|d12|odate_created=x", false, "", ""},
		{"arrayconnection:3|d12|title=x", false, "", ""},
		{"arrayconnection:3|d12|otitle", false, "", ""},
		{"arrayconnection:3|d12|otitle=\xff", false, "", ""},
		{"arrayconnection:3|otitle=x", false, "", ""},
		{"arrayconnection:3|d12|otitle=" + strings.Repeat("x", maxCursor), false, "", ""},
		// The numbers of the row's run before it come before the value.
		{"arrayconnection:3|a12|r1,z,2s|otitle=Pay |r3|", true, "title", "Pay |r3|"},
		{"arrayconnection:3|a12|r|otitle=x", true, "title", "x"},
		{"arrayconnection:3|a12|r0|otitle=x", false, "", ""},
		{"arrayconnection:3|a12|r-1|otitle=x", false, "", ""},
		{"arrayconnection:3|a12|r1,,2|otitle=x", false, "", ""},
		{"arrayconnection:3|a12|r1|v3", false, "", ""},
		{"arrayconnection:3|a12|r1", false, "", ""},
		{"arrayconnection:3|a12|r" + strings.Repeat("1,", maxCursorRun) + "1|otitle=x", false, "", ""},
	} {
		c, err := parseCursor("after", enc(tc.raw))
		if (err == nil) != tc.ok || c.field != tc.field || c.value != tc.value {
			t.Errorf("%q: cursor %+v, err %v; want ok=%v field %q value %q", tc.raw, c, err, tc.ok, tc.field, tc.value)
		}
	}
}

// Only the last row's cursor carries the numbers of its run before it,
// and none when they would take a cursor past its bound: the next page
// then reads the run whole.
func TestPageCursor_LastRowCarriesItsRun(t *testing.T) {
	p := &Page[int]{Items: []int{1, 2}, keys: []int64{40, 41}, sortField: "title", sortVals: []string{"a", "b"}, endRun: []int64{7, 36, 1000}}
	first, err := parseCursor("after", p.Cursor(0))
	if err != nil || first.run != nil {
		t.Errorf("first row: run %v, err %v; want none", first.run, err)
	}
	last, err := parseCursor("after", p.Cursor(1))
	if err != nil || !slices.Equal(last.run, []int64{7, 36, 1000}) || last.value != "b" || last.seq != 41 {
		t.Errorf("last row: %+v, err %v; want run [7 36 1000], value b, number 41", last, err)
	}
	p.endRun = []int64{}
	if c, err := parseCursor("after", p.Cursor(1)); err != nil || c.run == nil || len(c.run) != 0 {
		t.Errorf("the run's first row: run %v, err %v; want an empty run", c.run, err)
	}
	p.endRun, p.sortVals[1] = []int64{7}, strings.Repeat("x", maxCursor-30)
	if c, err := parseCursor("after", p.Cursor(1)); err != nil || c.run != nil || c.value != p.sortVals[1] {
		t.Errorf("a long value: run %v, err %v; want the value without a run", c.run, err)
	}
}
