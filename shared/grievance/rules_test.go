package grievance_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

func TestParseResolution(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantKey string
		want    grievance.Resolution
	}{
		{"5,0", "", grievance.Resolution{5, 0}},
		{"0,0", "", grievance.Resolution{0, 0}},
		{"98,23", "", grievance.Resolution{98, 23}},
		{"08,07", "", grievance.Resolution{8, 7}},
		{"99,5", grievance.KeyResolutionDay, grievance.Resolution{}},
		{"1,54", grievance.KeyResolutionHour, grievance.Resolution{}},
		{"4,66", grievance.KeyResolutionHour, grievance.Resolution{}},
		{"kjdslkdjslk", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{"sdasdasadsda", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{"123,0", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{" 5,0", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{"5", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{"-1,0", grievance.KeyResolutionFormat, grievance.Resolution{}},
		{"5,0\n", grievance.KeyResolutionFormat, grievance.Resolution{}},
	} {
		got, err := grievance.ParseResolution(tc.in)
		if key := grievance.ErrorKey(err); key != tc.wantKey {
			t.Errorf("ParseResolution(%q) key=%q, want %q", tc.in, key, tc.wantKey)
		}
		if err == nil && got != tc.want {
			t.Errorf("ParseResolution(%q)=%v, want %v", tc.in, got, tc.want)
		}
		if err != nil && grievance.ErrorCode(err) != grievance.CodeInvalid {
			t.Errorf("ParseResolution(%q) code=%s, want INVALID", tc.in, grievance.ErrorCode(err))
		}
	}
}

func TestResolutionDueDate(t *testing.T) {
	created := time.Date(2026, 1, 30, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ res, want string }{
		{"5,0", "2026-02-04"},
		{"0,3", "2026-01-30"},
		{"0,4", "2026-01-31"},
		{"6,12", "2026-02-06"},
	} {
		r, _ := grievance.ParseResolution(tc.res)
		if got := r.DueDate(created); got != tc.want {
			t.Errorf("DueDate(%s)=%s, want %s", tc.res, got, tc.want)
		}
	}
}

func TestCodes(t *testing.T) {
	for _, tc := range []struct {
		code string
		seq  int64
		ok   bool
	}{
		{"GRS00000001", 1, true},
		{"GRS00000042", 42, true},
		{"GRS100000000", 100000000, true},
		{"GRS9", 0, false},
		{"GRSX0000001", 0, false},
		{"GRS000000001", 0, false},
		{"grs00000001", 0, false},
	} {
		seq, ok := grievance.ParseCode(tc.code)
		if ok != tc.ok || seq != tc.seq {
			t.Errorf("ParseCode(%q)=%d,%v, want %d,%v", tc.code, seq, ok, tc.seq, tc.ok)
		}
		if ok && grievance.FormatCode(seq) != tc.code {
			t.Errorf("FormatCode(%d)=%s, want %s", seq, grievance.FormatCode(seq), tc.code)
		}
	}
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		doc     string
		wantErr string
		check   func(*grievance.Config) error
	}{
		{name: "empty document gives defaults", doc: ``, check: func(c *grievance.Config) error {
			if fmt.Sprint(c.GrievanceTypes) != "[Default Category A Category B]" || fmt.Sprint(c.DefaultResolution.Keys) != "[Default Category A Category B]" {
				return fmt.Errorf("types=%v resolutions=%v", c.GrievanceTypes, c.DefaultResolution.Keys)
			}
			return nil
		}},
		{name: "stored keys replace defaults, key order kept", doc: `{"grievance_types":["Z","A"],"default_resolution":{"Z":"1,0","A":"2,0"},"default_attending_staff_role_ids":{"Z":[1,"x"]},"default_responses":{},"grievance_anonymized_fields":{}}`, check: func(c *grievance.Config) error {
			if fmt.Sprint(c.DefaultResolution.Keys) != "[Z A]" || fmt.Sprint(c.DefaultAttendingStaffRole.Values["Z"]) != "[1 x]" {
				return fmt.Errorf("keys=%v roles=%v", c.DefaultResolution.Keys, c.DefaultAttendingStaffRole.Values)
			}
			if fmt.Sprint(c.GrievanceFlags) != "[Default Flag A Flag B]" {
				return fmt.Errorf("unset key lost its default: %v", c.GrievanceFlags)
			}
			return nil
		}},
		{name: "unknown key", doc: `{"grievance_typez":[]}`, wantErr: `Unknown configuration key "grievance_typez"`},
		{name: "wrong type", doc: `{"grievance_types":"Default"}`, wantErr: "Invalid configuration"},
		{name: "bad days,hours", doc: `{"default_resolution":{"Default":"99,0"}}`, wantErr: `default_resolution["Default"]`},
		{name: "non-numeric days,hours", doc: `{"resolution_times":"a,b"}`, wantErr: "resolution_times"},
		{name: "dict key not a grievance type", doc: `{"default_resolution":{"Nope":"1,0"}}`, wantErr: `key "Nope", which is not one of grievance_types`},
		{name: "anonymized field unknown", doc: `{"grievance_anonymized_fields":{"Default":["salary"]}}`, wantErr: `"salary", which is not a ticket field`},
		{name: "duplicate type", doc: `{"grievance_types":["A","A"],"default_resolution":{},"default_responses":{},"grievance_anonymized_fields":{},"default_attending_staff_role_ids":{}}`, wantErr: `lists "A" twice`},
		{name: "duplicate dict key", doc: `{"default_resolution":{"Default":"1,0","Default":"2,0"}}`, wantErr: "appears twice"},
		{name: "not an object", doc: `[1]`, wantErr: "must be a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := grievance.ParseConfig([]byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(grievance.ErrorMessage(err), tc.wantErr) {
					t.Fatalf("err=%v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.check(c); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestTicketValidate(t *testing.T) {
	base := func() *grievance.Ticket {
		return &grievance.Ticket{Category: "Default", Status: grievance.StatusReceived}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*grievance.Ticket)
		want   string
	}{
		{"valid", func(*grievance.Ticket) {}, ""},
		{"title too long", func(t *grievance.Ticket) { t.Title = strings.Repeat("é", 256) }, "title is 256 characters long"},
		{"priority over 20", func(t *grievance.Ticket) { t.Priority = strings.Repeat("x", 21) }, "priority is 21"},
		{"control character", func(t *grievance.Ticket) { t.Title = "a\x00b" }, "control character"},
		{"newline allowed in description", func(t *grievance.Ticket) { t.Description = "a\nb\tc" }, ""},
		{"newline refused in title", func(t *grievance.Ticket) { t.Title = "a\nb" }, "control character"},
		{"impossible date", func(t *grievance.Ticket) { t.DateOfIncident = "2024-02-30" }, "not a valid date"},
		{"bad status", func(t *grievance.Ticket) { t.Status = "DONE" }, "Unknown status"},
		{"reporter id without type", func(t *grievance.Ticket) { t.ReporterID = "x" }, "given together"},
		{"staff not a uuid", func(t *grievance.Ticket) { t.AttendingStaffID = "bob" }, "not a valid UUID"},
		{"missing category", func(t *grievance.Ticket) { t.Category = "" }, "category is required"},
		{"oversized jsonExt", func(t *grievance.Ticket) { t.JSONExt = map[string]any{"x": strings.Repeat("y", 17000)} }, "jsonExt is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := base()
			tc.mutate(tk)
			err := tk.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(grievance.ErrorMessage(err), tc.want) {
				t.Fatalf("err=%v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestCanonicalUUID(t *testing.T) {
	got, err := grievance.CanonicalUUID("id", "6B1D2F3A8C4E4D5F9A6B7C8D9E0F1A2B")
	if err != nil || got != "6b1d2f3a-8c4e-4d5f-9a6b-7c8d9e0f1a2b" {
		t.Fatalf("got %q err=%v", got, err)
	}
	if _, err := grievance.CanonicalUUID("id", "VGlja2V0R1FMVHlwZTo2YjFk"); err == nil {
		t.Fatal("a global id is not a UUID")
	}
}

func TestFormatDateTime_MatchesPythonIsoformat(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 11, 21, 9, 12, 44, 512310000, time.UTC), "2024-11-21T09:12:44.512310"},
		{time.Date(2024, 11, 21, 9, 12, 44, 0, time.UTC), "2024-11-21T09:12:44"},
		{time.Date(2024, 11, 21, 9, 12, 44, 999, time.UTC), "2024-11-21T09:12:44"},
		{time.Date(2024, 11, 21, 10, 12, 44, 1000, time.FixedZone("x", 3600)), "2024-11-21T09:12:44.000001"},
	} {
		if got := grievance.FormatDateTime(tc.in); got != tc.want {
			t.Errorf("FormatDateTime(%v)=%s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseConfig_NarrowingTypesDropsUnsetDefaults(t *testing.T) {
	c, err := grievance.ParseConfig([]byte(`{"grievance_types":["Water","Payments"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.DefaultResolution.Keys) != 0 || len(c.DefaultResponses.Keys) != 0 || c.DefaultResolutionFor("Water") != "5,0" {
		t.Fatalf("resolutions=%v responses=%v", c.DefaultResolution.Keys, c.DefaultResponses.Keys)
	}
	if _, err := grievance.ParseConfig([]byte(`{"grievance_types":["Water"],"default_resolution":{"Default":"1,0"}}`)); err == nil {
		t.Fatal("a key the document sets itself must still be validated")
	}
}
