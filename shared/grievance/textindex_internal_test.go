package grievance

import "testing"

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
