package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

var today = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

const header = "id,external_id,type,first_name,last_name,dob,sex,phone,email,location,programme,individual_external_id,active\n"

func TestNewReaderRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		file   []byte
		want   string
	}{
		{"UTF-16 with BOM", CSV, append([]byte{0xFF, 0xFE}, []byte("e\x00x\x00")...), "UTF-16"},
		{"UTF-16 without BOM", CSV, []byte("e\x00x\x00t\x00"), "NUL bytes"},
		{"Latin-1 header", CSV, []byte("external_id,type,first_name,last_name,pr\xe9nom\n"), "not UTF-8"},
		{"empty file", CSV, []byte("\n\n"), "empty"},
		{"missing columns", CSV, []byte("external_id,type,first_name\n"), `missing columns "last_name"`},
		{"unknown columns", CSV, []byte("external_id,type,first_name,last_name,nickname\n"), `unknown columns "nickname"`},
		{"duplicate column", CSV, []byte("external_id,type,first_name,last_name,type\n"), `"type" appears twice`},
		{"10 MB header line", CSV, append(bytes.Repeat([]byte("x"), 10<<20), '\n'), "longer than"},
		{"unknown format", Format("xlsx"), []byte("a"), "unknown file format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tt.file), tt.format, Position{})
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(fe.Reason, tt.want) {
				t.Fatalf("err = %v, want a FileError containing %q", err, tt.want)
			}
		})
	}
}

func readAll(t *testing.T, format Format, file string) []Row {
	t.Helper()
	rd, err := NewReader(strings.NewReader(file), format, Position{})
	if err != nil {
		t.Fatal(err)
	}
	var rows []Row
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
}

func TestReaderRows(t *testing.T) {
	long := strings.Repeat("y", 10<<20)
	tests := []struct {
		name   string
		format Format
		file   string
		// want: per row "line:external_id" or "line!error fragment"
		want []string
	}{
		{"BOM, CRLF and blank lines", CSV, "\xEF\xBB\xBFexternal_id,type,first_name,last_name\r\nA1,individual,Ana,Lee\r\n\r\nA2,individual,Bo,Ng\r\n",
			[]string{"2:A1", "4:A2"}},
		{"quoted field spanning lines keeps line numbers", CSV, "external_id,type,first_name,last_name\n\"A\n1\",individual,Ana,Lee\nA2,individual,Bo,Ng\n",
			[]string{"2:A\n1", "4:A2"}},
		{"10 MB line is one rejected row, the next row is read", CSV, "external_id,type,first_name,last_name\nA1," + long + ",x,y\nA2,individual,Bo,Ng",
			[]string{"2!longer than", "3:A2"}},
		{"wrong field count", CSV, "external_id,type,first_name,last_name\nA1,individual,Ana\n", []string{"2!has 3 fields"}},
		{"Latin-1 row", CSV, "external_id,type,first_name,last_name\nA1,individual,Jo\xe3o,Lee\n", []string{"2!not UTF-8"}},
		{"unterminated quote at end", CSV, "external_id,type,first_name,last_name\nA1,individual,\"Ana,Lee\n", []string{"2!not valid CSV"}},
		{"JSON Lines", JSONL, `{"external_id":"J1","type":"individual","first_name":"Ana","last_name":"Lee","active":true}` + "\n\n" + `{"external_id":"J2","type":"individual","first_name":"Bo","last_name":"Ng"}`,
			[]string{"1:J1", "3:J2"}},
		{"JSON Lines unknown key", JSONL, `{"external_id":"J1","nick":"x"}`, []string{"1!unknown key \"nick\""}},
		{"JSON Lines not an object", JSONL, "[1,2]\n{\"external_id\":\"J2\"} {}\n", []string{"1!not one JSON object", "2!not one JSON object"}},
		{"JSON Lines nested value", JSONL, `{"external_id":{"a":1}}`, []string{"1!must be a string"}},
		{"JSON Lines 10 MB line", JSONL, `{"external_id":"` + long + "\"}\n" + `{"external_id":"J2"}`, []string{"1!longer than", "2:J2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := readAll(t, tt.format, tt.file)
			var got []string
			for _, r := range rows {
				if r.Err != nil {
					got = append(got, fmt.Sprintf("%d!%v", r.Line, r.Err))
				} else {
					got = append(got, fmt.Sprintf("%d:%s", r.Line, r.Fields["external_id"]))
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rows = %q, want %q", got, tt.want)
			}
			for i := range got {
				w := tt.want[i]
				if strings.Contains(w, "!") {
					if !strings.HasPrefix(got[i], w[:strings.Index(w, "!")+1]) || !strings.Contains(got[i], w[strings.Index(w, "!")+1:]) {
						t.Errorf("row %d = %q, want %q", i, got[i], w)
					}
				} else if got[i] != w {
					t.Errorf("row %d = %q, want %q", i, got[i], w)
				}
			}
		})
	}
}

func TestReaderResumesAtAPosition(t *testing.T) {
	file := "external_id,type,first_name,last_name\nA1,individual,Ana,Lee\n\"A\n2\",individual,Bo,Ng\nA3,individual,Cy,Po\n"
	rd, err := NewReader(strings.NewReader(file), CSV, Position{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	p := rd.Position()
	rest, err := NewReader(strings.NewReader(file[p.Offset:]), CSV, p)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := rest.Next()
	r3, _ := rest.Next()
	if r2.Line != 3 || r2.Fields["external_id"] != "A\n2" || r3.Line != 5 || r3.Fields["external_id"] != "A3" {
		t.Fatalf("resumed rows = %d %q, %d %q", r2.Line, r2.Fields["external_id"], r3.Line, r3.Fields["external_id"])
	}
}

func TestDeriveIDIsStableAndVersion5(t *testing.T) {
	a := DeriveID(grievance.PersonIndividual, "REG-1")
	if a != DeriveID(grievance.PersonIndividual, "REG-1") {
		t.Fatal("same record, different ids")
	}
	if a == DeriveID(grievance.PersonBeneficiary, "REG-1") || a == DeriveID(grievance.PersonIndividual, "REG-2") {
		t.Fatal("different records share an id")
	}
	if !grievance.ValidUUID(a) || a[14] != '5' || !strings.ContainsAny(a[19:20], "89ab") {
		t.Fatalf("id %s is not a version-5 RFC 9562 UUID", a)
	}
}

func TestParseRow(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"external_id": "R1", "type": "individual", "first_name": "Ana", "last_name": "Lee"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		fields  map[string]string
		wantErr string
		check   func(grievance.Person) bool
	}{
		{"derived id", base(), "", func(p grievance.Person) bool { return p.ID == DeriveID("individual", "R1") }},
		{"given id is canonicalised", base("id", "5FF417E36A374E559AED112C31AF7971"), "", func(p grievance.Person) bool { return p.ID == "5ff417e3-6a37-4e55-9aed-112c31af7971" }},
		{"phone separators removed", base("phone", "+670 7723-4567"), "", func(p grievance.Person) bool { return p.Phone == "+67077234567" }},
		{"sex word", base("sex", "Female"), "", func(p grievance.Person) bool { return p.Sex == "F" }},
		{"location trimmed", base("location", "Ainaro / Maubisse"), "", func(p grievance.Person) bool { return p.Location == "Ainaro/Maubisse" }},
		{"inactive", base("active", "no"), "", func(p grievance.Person) bool { return p.Inactive }},
		{"beneficiary links its individual", base("type", "beneficiary", "programme", "cash", "individual_external_id", "I9"), "",
			func(p grievance.Person) bool { return p.IndividualID == DeriveID("individual", "I9") }},
		{"beneficiary links its individual by directory id", base("type", "beneficiary", "programme", "cash", "individual_id", "5FF417E3-6A37-4E55-9AED-112C31AF7971"), "",
			func(p grievance.Person) bool { return p.IndividualID == "5ff417e3-6a37-4e55-9aed-112c31af7971" }},
		{"both links", base("type", "beneficiary", "programme", "cash", "individual_id", "5ff417e3-6a37-4e55-9aed-112c31af7971", "individual_external_id", "I9"), "not both", nil},
		{"bad individual_id", base("type", "beneficiary", "programme", "cash", "individual_id", "I9"), "individual_id", nil},
		{"individual with individual_id", base("individual_id", "5ff417e3-6a37-4e55-9aed-112c31af7971"), "only for beneficiaries", nil},
		{"missing external id", base("external_id", " "), "external_id is required", nil},
		{"user type refused", base("type", "user"), "user pool", nil},
		{"bad id", base("id", "nope"), "not a valid UUID", nil},
		{"bad dob", base("dob", "1990-02-30"), "not a valid date", nil},
		{"future dob", base("dob", "2027-01-01"), "in the future", nil},
		{"bad phone does not echo it", base("phone", "call me 555"), "phone is not a phone number", func(grievance.Person) bool { return false }},
		{"bad email does not echo it", base("email", "ana at example"), "email is not an e-mail address", nil},
		{"beneficiary without programme", base("type", "beneficiary"), "programme is required", nil},
		{"individual with individual_external_id", base("individual_external_id", "I9"), "only for beneficiaries", nil},
		{"bad active", base("active", "maybe"), "active must be", nil},
		{"no names", base("first_name", "", "last_name", ""), "first_name or last_name", nil},
		{"control character", base("last_name", "Le\x07e"), "control character", nil},
		{"bad sex", base("sex", "X"), "sex must be", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseRow(tt.fields, today)
			if tt.wantErr != "" {
				msg := grievance.ErrorMessage(err)
				if err == nil || !strings.Contains(msg, tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				for _, v := range []string{tt.fields["phone"], tt.fields["email"]} {
					if v != "" && strings.Contains(msg, v) {
						t.Fatalf("error %q repeats personal data", msg)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(p) {
				t.Fatalf("person = %+v", p)
			}
		})
	}
}

// memStore is an in-memory Store: the store contract against DynamoDB is
// tested in shared/store.
type memStore struct {
	people map[string]grievance.Person
	calls  int
}

func (m *memStore) ImportPeople(_ context.Context, ps []grievance.Person) ([]Outcome, error) {
	m.calls++
	out := make([]Outcome, len(ps))
	for i, p := range ps {
		old, ok := m.people[p.ID]
		switch {
		case !ok:
			out[i] = Inserted
		case old.Type == grievance.PersonUser:
			out[i] = Refused
			continue
		case reflect.DeepEqual(old, p):
			out[i] = Unchanged
			continue
		default:
			out[i] = Updated
		}
		m.people[p.ID] = p
	}
	return out, nil
}

func csvFile(n int, extra string) string {
	var b strings.Builder
	b.WriteString(header)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, ",R%d,individual,First%d,Last%d,1990-01-02,F,+670770%05d,,Dili/Vera Cruz,,,true\n", i, i, i, i)
	}
	b.WriteString(extra)
	return b.String()
}

func runAll(t *testing.T, st Store, file string, stopEvery int) *State {
	t.Helper()
	s := NewState("imports/x.csv", CSV, today)
	for {
		rd, err := NewReader(strings.NewReader(file[s.Position.Offset:]), CSV, s.Position)
		if err != nil {
			t.Fatal(err)
		}
		batches := 0
		done, err := Run(context.Background(), rd, st, s, today, func() bool { batches++; return stopEvery > 0 && batches >= stopEvery })
		if err != nil {
			t.Fatal(err)
		}
		if done {
			return s
		}
	}
}

func TestRunCountsAndIsIdempotent(t *testing.T) {
	bad := ",R5,individual,Dup,Row,,,,,,,,\n" + // duplicate of line 6
		",R1001,individual,Ana,Lee,1990-13-01,,,,,,,\n" +
		",R1002,individual,Ana,Lee,,,,not-an-email,,,,\n" +
		",R1003,user,Ana,Lee,,,,,,,,\n" +
		"5ff417e3-6a37-4e55-9aed-112c31af7971,R1004,individual,Ana,Lee,,,,,,,,\n"
	file := csvFile(1000, bad)
	st := &memStore{people: map[string]grievance.Person{
		"5ff417e3-6a37-4e55-9aed-112c31af7971": {ID: "5ff417e3-6a37-4e55-9aed-112c31af7971", Type: grievance.PersonUser, Username: "alice"},
	}}
	s := runAll(t, st, file, 0)
	want := Counts{Inserted: 1000, Rejected: 5}
	if s.Counts != want {
		t.Fatalf("first import counts = %+v, want %+v", s.Counts, want)
	}
	lines := []int{}
	for _, r := range s.Rejected {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{1002, 1003, 1004, 1005, 1006}) || !strings.Contains(s.Rejected[0].Reason, "line 6") {
		t.Fatalf("rejected = %+v", s.Rejected)
	}
	again := runAll(t, st, file, 0)
	if again.Counts != (Counts{Unchanged: 1000, Rejected: 5}) {
		t.Fatalf("re-import counts = %+v, want 1000 unchanged", again.Counts)
	}
	changed := strings.Replace(file, "First7,", "Seventh,", 1)
	if c := runAll(t, st, changed, 0).Counts; c != (Counts{Updated: 1, Unchanged: 999, Rejected: 5}) {
		t.Fatalf("changed-row import counts = %+v", c)
	}
}

func TestRunInChunksMatchesOnePass(t *testing.T) {
	file := csvFile(950, ",R3,individual,Dup,Row,,,,,,,,\n")
	one := runAll(t, &memStore{people: map[string]grievance.Person{}}, file, 0)
	chunked := runAll(t, &memStore{people: map[string]grievance.Person{}}, file, 2)
	if chunked.Chunks != 5 {
		t.Fatalf("chunks = %d, want 5 (2 batches each)", chunked.Chunks)
	}
	one.Chunks, chunked.Chunks = 0, 0
	if !reflect.DeepEqual(one, chunked) {
		t.Fatalf("chunked state %+v differs from one pass %+v", chunked.Counts, one.Counts)
	}
}

func TestRowOf_ReadsBackAsTheSameRecord(t *testing.T) {
	ind := grievance.Person{ID: "5ff417e3-6a37-4e55-9aed-112c31af7971", Type: grievance.PersonIndividual, ExternalID: "TL-1",
		FirstName: "Maria", LastName: "Soares", Dob: "1984-03-12", Sex: "F", Phone: "+67077000001", Email: "m@example.org", Location: "Aileu"}
	ben := grievance.Person{ID: "19d96b33-17fc-4b58-8aeb-69c5b97d920f", Type: grievance.PersonBeneficiary, ExternalID: "TL-B1",
		LastName: "Soares", Programme: "cash-transfer", IndividualID: ind.ID, Inactive: true}
	for _, p := range []grievance.Person{ind, ben} {
		f, err := RowOf(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRow(f, today)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Fatalf("read back %+v, want %+v", got, p)
		}
	}
	for name, p := range map[string]grievance.Person{
		"staff":    {ID: ind.ID, Type: grievance.PersonUser, Username: "alice"},
		"username": {ID: ind.ID, Type: grievance.PersonIndividual, Username: "alice"},
		"roles":    {ID: ind.ID, Type: grievance.PersonIndividual, Roles: []string{"1"}},
		"jsonExt":  {ID: ind.ID, Type: grievance.PersonIndividual, JSONExt: map[string]any{"village": "Aileu"}},
	} {
		if _, err := RowOf(p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
