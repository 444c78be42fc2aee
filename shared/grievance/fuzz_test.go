package grievance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redress-grm/redress/shared/grievance"
)

// invalidOnly fails unless err is a client-facing CodeInvalid error whose
// message is a sentence in valid UTF-8.
func invalidOnly(t *testing.T, err error) {
	t.Helper()
	var ge *grievance.Error
	if !errors.As(err, &ge) || ge.Code != grievance.CodeInvalid {
		t.Fatalf("error %v is not CodeInvalid", err)
	}
	if ge.Message == "" || !utf8.ValidString(ge.Message) {
		t.Fatalf("message %q", ge.Message)
	}
}

// FuzzParseResolution checks "days,hours": never a panic; accepted values
// are in range and read back the same; everything else is CodeInvalid.
func FuzzParseResolution(f *testing.F) {
	for _, s := range []string{"8,7", "0,0", "98,23", "99,0", "5,24", "05,07", "5", "5,", ",5", "5,0\n", " 5,0", "-1,2", "1,2,3", "١,٢", "5;0", "999,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := grievance.ParseResolution(s)
		if err != nil {
			invalidOnly(t, err)
			return
		}
		if r.Days < 0 || r.Days >= 99 || r.Hours < 0 || r.Hours >= 24 {
			t.Fatalf("%q accepted as %+v", s, r)
		}
		if back, err := grievance.ParseResolution(fmt.Sprintf("%d,%d", r.Days, r.Hours)); err != nil || back != r {
			t.Fatalf("%q: %+v does not read back (%+v, %v)", s, r, back, err)
		}
		if r.Duration() != time.Duration(r.Days*24+r.Hours)*time.Hour {
			t.Fatalf("%q: duration %v", s, r.Duration())
		}
	})
}

// FuzzParseDate checks YYYY-MM-DD dates: never a panic; accepted dates are
// real calendar dates between 1900 and 2999, returned unchanged.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-11-20", "2024-02-29", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "1899-12-31", "3000-01-01",
		"24-11-20", "2024-1-2", "2024-11-20T00:00:00Z", "2024-11-20\n", "０２０２４-11-20", "null", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := grievance.ParseDate("dateOfIncident", s)
		if err != nil {
			invalidOnly(t, err)
			return
		}
		d, perr := time.Parse(grievance.DateLayout, got)
		if got != s || perr != nil || d.Year() < 1900 || d.Year() > 2999 || d.Format(grievance.DateLayout) != s {
			t.Fatalf("%q accepted as %q", s, got)
		}
	})
}

// FuzzParseJSONExt checks the jsonExt text: never a panic; accepted text
// is at most the 16 KB cap and decodes to an object.
func FuzzParseJSONExt(f *testing.F) {
	for _, s := range []string{`{}`, `{"key": "value"}`, `{"comment_ids": ["a"]}`, `[]`, `null`, `"x"`, `{"a":`, `{"a": 1e999}`,
		`{"a": "` + strings.Repeat("x", 17*1024) + `"}`, `{"a": {"b": {"c": [1, 2, {"d": null}]}}}`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := grievance.ParseJSONExt(s)
		if err != nil {
			invalidOnly(t, err)
			return
		}
		if len(s) > 16*1024 {
			t.Fatalf("accepted %d bytes", len(s))
		}
		_ = m
	})
}
