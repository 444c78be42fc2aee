package store

import (
	"slices"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// A wide span gives back the runs it was cut from, a narrow span's
// bytes (not deflated) or corrupt ones are an error, and an empty one is
// no runs.
func TestDecodeSpan_RoundTripsAndRejectsWhatIsNotASpan(t *testing.T) {
	runs := realisticRuns(20000)
	parts, err := splitSpan(runs)
	if err != nil {
		t.Fatal(err)
	}
	var got []grievance.OrderRun
	for _, p := range parts {
		rs, err := decodeSpan(p.b)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		got = append(got, rs...)
	}
	if !slices.EqualFunc(got, runs, func(a, b grievance.OrderRun) bool {
		return a.From == b.From && slices.Equal(a.Seqs, b.Seqs) && slices.Equal(a.Ranks, b.Ranks)
	}) {
		t.Error("the spans' runs differ from those cut")
	}
	raw, err := encodeRuns(runs[:100])
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"narrow":        raw,
		"truncated":     parts[0].b[:len(parts[0].b)/2],
		"not its runs":  deflated([]byte{0x05, 'a'}),
		"too long":      deflated(make([]byte, spanRawMax+1)),
		"tag, no bytes": {tagDeflated},
	} {
		if _, err := decodeSpan(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if rs, err := decodeSpan(nil); rs != nil || err != nil {
		t.Errorf("empty: %v %v", rs, err)
	}
}

// Any span item: no panic, and runs decoded (not too large to keep
// their members) encode to what decodes to them again.
func FuzzDecodeSpan(f *testing.F) {
	parts, err := splitSpan(realisticRuns(600))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(parts[0].b)
	f.Add([]byte{tagDeflated})
	f.Fuzz(func(t *testing.T, b []byte) {
		runs, err := decodeSpan(b)
		// A run too large to list decodes without its members, so it
		// cannot encode back.
		if err != nil || slices.ContainsFunc(runs, func(r grievance.OrderRun) bool { return r.Group != "" }) {
			return
		}
		raw, err := encodeRuns(runs)
		if err != nil {
			t.Fatalf("decoded runs do not encode: %v", err)
		}
		again, err := decodeRuns(raw)
		if err != nil || !slices.EqualFunc(again, runs, func(a, b grievance.OrderRun) bool {
			return a.From == b.From && slices.Equal(a.Seqs, b.Seqs) && slices.Equal(a.Ranks, b.Ranks)
		}) {
			t.Fatalf("runs do not round-trip: %v", err)
		}
	})
}

// A span write deflates the span's runs (and, past its size, each part
// of a split).
func BenchmarkEncodeSpan(b *testing.B) {
	runs := realisticRuns(5000) // about 200 runs: a span cut at once
	b.ReportAllocs()
	for b.Loop() {
		raw, err := encodeRuns(runs)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(raw)))
		deflated(raw)
	}
}

// A list ordered by title reads every span (about 20 at 100,000 titles).
func BenchmarkDecodeSpan(b *testing.B) {
	parts, err := splitSpan(realisticRuns(5000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeSpan(parts[0].b); err != nil {
			b.Fatal(err)
		}
	}
}

// A run too large to list comes back with no members and its group: its
// From, or, for a run the code before cut from the column's start, the
// empty value's gram (OrderRuns reads which group it is), so that it is
// never taken for an empty run.
func TestDecodeSpan_GroupRunsKeepTheirGroup(t *testing.T) {
	big := make([]int64, runStoredMax+1)
	for i := range big {
		big[i] = int64(i + 1)
	}
	raw, err := encodeRuns([]grievance.OrderRun{{From: "", Seqs: big}, {From: "61#", Seqs: []int64{1}}, {From: "62#", Seqs: big}})
	if err != nil {
		t.Fatal(err)
	}
	runs, err := decodeRuns(raw)
	if err != nil || len(runs) != 3 {
		t.Fatalf("decode: %d runs, %v", len(runs), err)
	}
	for i, want := range []string{"#", "", "62#"} {
		if runs[i].Group != want || (want != "") != (len(runs[i].Seqs) == 0) {
			t.Errorf("run %d: group %q with %d members, want group %q", i, runs[i].Group, len(runs[i].Seqs), want)
		}
	}
}

// A span keeps its runs' ranks, and one written before them (no mark,
// each count shifted once) still decodes, its runs unranked.
func TestDecodeSpan_RanksAndSpansWrittenBeforeThem(t *testing.T) {
	runs := []grievance.OrderRun{{From: "", Seqs: []int64{3, 9, 12}, Ranks: []uint8{1, 0, 1}}, {From: "61#", Seqs: []int64{20, 21}}}
	parts, err := splitSpan(runs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeSpan(parts[0].b)
	if err != nil || len(got) != 2 || !slices.Equal(got[0].Ranks, runs[0].Ranks) || got[1].Ranks != nil || !slices.Equal(got[1].Seqs, runs[1].Seqs) {
		t.Errorf("ranked span: %+v, %v", got, err)
	}
	// Before the ranks: gram length, gram, count<<1, differences.
	before := []byte{0, 3 << 1, 3, 6, 3, 2, 'a', '#', 2 << 1, 20, 1}
	got, err = decodeSpan(deflated(before))
	if err != nil || len(got) != 2 || !slices.Equal(got[0].Seqs, []int64{3, 9, 12}) || got[0].Ranks != nil || got[1].From != "61#" || !slices.Equal(got[1].Seqs, []int64{20, 21}) {
		t.Errorf("a span written before the ranks: %+v, %v", got, err)
	}
	// Ranks cut short are an error.
	raw, err := encodeRuns(runs[:1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeSpan(deflated(raw[:len(raw)-1])); err == nil {
		t.Error("ranks cut short: decoded")
	}
}
