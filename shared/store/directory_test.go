package store_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
	"github.com/redress-grm/redress/tools/awsmeter"
)

// meteredStore opens fresh tables with a Store whose requests m counts.
func meteredStore(t *testing.T) (*store.Store, *awsmeter.Meter) {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("dir%d-%d-", os.Getpid(), tableSeq.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	m := awsmeter.New()
	m.Attach(&cfg)
	return store.New(cfg, names), m
}

func imported(n int, programme string) []grievance.Person {
	ps := make([]grievance.Person, n)
	for i := range ps {
		ext := fmt.Sprintf("R%d", i)
		ps[i] = grievance.Person{ID: directory.DeriveID(grievance.PersonBeneficiary, ext), Type: grievance.PersonBeneficiary,
			ExternalID: ext, FirstName: "Ana", LastName: fmt.Sprintf("Lee%d", i), Dob: "1990-01-02", Sex: "F",
			Phone: fmt.Sprintf("+6707700%04d", i), Location: "Dili/Vera Cruz", Programme: programme}
	}
	return ps
}

func TestImportPeople_OutcomesAndRequestsPerBatch(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	alice := grievance.Person{ID: id(1), Type: grievance.PersonUser, Username: "alice"}
	if err := s.UpsertPeople(ctx, []grievance.Person{alice}); err != nil {
		t.Fatal(err)
	}
	m.Take()

	batch := imported(100, "cash")
	count := func(out []directory.Outcome) map[directory.Outcome]int {
		c := map[directory.Outcome]int{}
		for _, o := range out {
			c[o]++
		}
		return c
	}
	out, err := s.ImportPeople(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if c := count(out); c[directory.Inserted] != 100 {
		t.Fatalf("first import = %v, want 100 inserted", c)
	}
	st := m.Take()
	if g, w := st["DynamoDB.BatchGetItem"].Calls, 1.0; g != w {
		t.Errorf("BatchGetItem calls = %v, want %v", g, w)
	}
	// 100 people, their name index entries (one per suffix of "lee<i>":
	// 4 for i < 10, 5 after) and a programme, in requests of 25 items.
	if g, w := st["DynamoDB.BatchWriteItem"].Calls, float64((100+10*4+90*5+1+24)/25); g != w {
		t.Errorf("BatchWriteItem calls = %v, want %v", g, w)
	}

	out, err = s.ImportPeople(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if c := count(out); c[directory.Unchanged] != 100 {
		t.Fatalf("re-import = %v, want 100 unchanged", c)
	}
	if st := m.Take(); st.Total("DynamoDB").Calls != 1 {
		t.Fatalf("re-import made %v requests, want the one BatchGetItem:\n%v", st.Total("DynamoDB").Calls, st)
	}

	batch[3].Email = "ana@example.org"
	stolen := grievance.Person{ID: id(1), Type: grievance.PersonIndividual, ExternalID: "X", LastName: "Mallory"}
	out, err = s.ImportPeople(ctx, append(batch[:5:5], stolen))
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.Outcome{directory.Unchanged, directory.Unchanged, directory.Unchanged, directory.Updated, directory.Unchanged, directory.Refused}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("outcomes = %v, want %v", out, want)
	}
	got, err := s.People(ctx, []string{batch[3].ID, id(1)})
	if err != nil {
		t.Fatal(err)
	}
	if got[batch[3].ID].Email != "ana@example.org" || got[batch[3].ID].Programme != "cash" || got[id(1)].Username != "alice" {
		t.Fatalf("stored = %+v / %+v", got[batch[3].ID], got[id(1)])
	}
}

// Every picker path is one Query of one index partition, never a Scan.
func TestScanPeople_EachPathIsAQuery(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	ps := imported(30, "cash")
	ps[7].LastName = "Zed"
	if _, err := s.ImportPeople(ctx, ps); err != nil {
		t.Fatal(err)
	}
	m.Take()
	tests := []struct {
		name string
		scan grievance.PersonScan
		want int
	}{
		{"by name", grievance.PersonScan{Path: grievance.SearchByName, Type: grievance.PersonBeneficiary}, 30},
		{"external id", grievance.PersonScan{Path: grievance.SearchByExternalID, Type: grievance.PersonBeneficiary, Key: "R7"}, 1},
		{"phone", grievance.PersonScan{Path: grievance.SearchByPhone, Type: grievance.PersonBeneficiary, Key: ps[7].Phone}, 1},
		{"programme", grievance.PersonScan{Path: grievance.SearchByProgramme, Type: grievance.PersonBeneficiary, Key: "cash"}, 30},
		{"wrong type", grievance.PersonScan{Path: grievance.SearchByExternalID, Type: grievance.PersonIndividual, Key: "R7"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			if err := s.ScanPeople(ctx, tt.scan, func(*grievance.Person) (bool, error) { n++; return true, nil }); err != nil {
				t.Fatal(err)
			}
			st := m.Take()
			if n != tt.want || st.Total("DynamoDB").Calls != 1 || st["DynamoDB.Query"] == nil {
				t.Fatalf("found %d (want %d) with %v", n, tt.want, st)
			}
		})
	}
	n := 0
	if err := s.ScanNameParts(ctx, grievance.NamePartScan{Type: grievance.PersonBeneficiary, Part: "ze"}, func(string) (bool, error) { n++; return true, nil }); err != nil {
		t.Fatal(err)
	}
	if st := m.Take(); n != 1 || st.Total("DynamoDB").Calls != 1 || st["DynamoDB.Query"] == nil {
		t.Fatalf("name part: found %d with %v", n, st)
	}
	var codes []string
	s.ScanProgrammes(ctx, "", func(p *grievance.Programme) (bool, error) { codes = append(codes, p.Code); return true, nil })
	if len(codes) != 1 || codes[0] != "cash" {
		t.Fatalf("programmes = %v", codes)
	}
}

// A username the pool deleted and created again has two records; the
// active one is the user.
func TestUserByUsername_PrefersTheActiveRecord(t *testing.T) {
	s, _ := meteredStore(t)
	ctx := context.Background()
	if err := s.UpsertPeople(ctx, []grievance.Person{
		{ID: id(1), Type: grievance.PersonUser, Username: "dora", Inactive: true},
		{ID: id(2), Type: grievance.PersonUser, Username: "dora"},
		{ID: id(3), Type: grievance.PersonUser, Username: "erin", Inactive: true},
	}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"dora": id(2), "erin": id(3)} {
		if u, err := s.UserByUsername(ctx, name); err != nil || u.ID != want {
			t.Errorf("%s = %+v, %v; want %s", name, u, err, want)
		}
	}
}

// nameMatches returns the ids ScanNameParts passes on for q.
func nameMatches(t *testing.T, s *store.Store, q grievance.NamePartScan) []string {
	t.Helper()
	var ids []string
	if err := s.ScanNameParts(context.Background(), q, func(id string) (bool, error) { ids = append(ids, id); return true, nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

// The name index finds a part anywhere in a last name, in index order
// (the matching suffix, then the id), once per person, keeping active
// and inactive people and programmes apart.
func TestScanNameParts_SubstringOfTheLastName(t *testing.T) {
	s, _ := meteredStore(t)
	ctx := context.Background()
	ind := func(n int, last string) grievance.Person {
		return grievance.Person{ID: id(n), Type: grievance.PersonIndividual, ExternalID: fmt.Sprint(n), FirstName: "Ana", LastName: last}
	}
	ben := func(n int, last, programme string) grievance.Person {
		p := ind(n, last)
		p.Type, p.Programme = grievance.PersonBeneficiary, programme
		return p
	}
	gone := ind(5, "Mascarenhas")
	gone.Inactive = true
	if _, err := s.ImportPeople(ctx, []grievance.Person{
		ind(1, "Soares"), ind(2, "da Silva Soares"), ind(3, "Salazar"), ind(4, "SOARES-XIMENES"), gone,
		ben(6, "Soares", "cash"), ben(7, "Soares", "school"),
	}); err != nil {
		t.Fatal(err)
	}
	all := grievance.NamePartScan{Type: grievance.PersonIndividual}
	tests := []struct {
		name string
		q    grievance.NamePartScan
		want []string
	}{
		// "oares" is a suffix of three names; "oares-ximenes" sorts after.
		{"middle of the name", grievance.NamePartScan{Type: all.Type, Part: "oares"}, []string{id(1), id(2), id(4)}},
		{"start of the name", grievance.NamePartScan{Type: all.Type, Part: "da s"}, []string{id(2)}},
		{"across a space", grievance.NamePartScan{Type: all.Type, Part: "a s"}, []string{id(2)}},
		// "a silva soares", "a soares", "alazar", "ar", "ares" (1 and 2),
		// "ares-ximenes", "azar": each person at its first suffix;
		// "Mascarenhas" is inactive.
		{"a person once", grievance.NamePartScan{Type: all.Type, Part: "a"}, []string{id(2), id(3), id(1), id(4)}},
		{"inactive left out", grievance.NamePartScan{Type: all.Type, Part: "carenh"}, nil},
		{"inactive only", grievance.NamePartScan{Type: all.Type, Part: "a", OnlyInactive: true}, []string{id(5)}},
		{"active and inactive", grievance.NamePartScan{Type: all.Type, Part: "mas", Inactive: true}, []string{id(5)}},
		{"beneficiaries", grievance.NamePartScan{Type: grievance.PersonBeneficiary, Part: "oar"}, []string{id(6), id(7)}},
		{"of a programme", grievance.NamePartScan{Type: grievance.PersonBeneficiary, Part: "oar", Programme: "school"}, []string{id(7)}},
		{"no match", grievance.NamePartScan{Type: all.Type, Part: "xyz"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nameMatches(t, s, tt.q)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

// The name index follows its record in the importer's batches: a new
// name writes its new suffixes and removes the old ones, a deactivation
// moves the entries to the inactive partition, an unchanged record
// writes nothing, and a record stored before the index gets its entries
// at its next import.
func TestImportPeople_NameIndexFollowsTheRecord(t *testing.T) {
	s, m := meteredStore(t)
	ctx := context.Background()
	p := grievance.Person{ID: id(1), Type: grievance.PersonIndividual, ExternalID: "1", LastName: "Lee"}
	imp := func(p grievance.Person, want directory.Outcome) {
		t.Helper()
		out, err := s.ImportPeople(ctx, []grievance.Person{p})
		if err != nil || out[0] != want {
			t.Fatalf("outcome %v, %v; want %v", out, err, want)
		}
	}
	entries := func() string { return strings.Join(store.NameIndexEntries(t, s, id(1)), ",") }
	imp(p, directory.Inserted)
	if got := entries(); got != "e,ee,lee" {
		t.Fatalf("entries = %q", got)
	}
	m.Take()
	imp(p, directory.Unchanged)
	if st := m.Take(); st["DynamoDB.BatchWriteItem"] != nil {
		t.Fatalf("an unchanged record wrote: %v", st)
	}

	// Lee → Lie: "ee" and "lee" go, "ie" and "lie" come, "e" stays.
	p.LastName = "Lie"
	imp(p, directory.Updated)
	if st := m.Take(); st["DynamoDB.BatchWriteItem"].ItemsWritten != 5 {
		t.Fatalf("rename wrote %v items, want 5 (person, 2 new entries, 2 deletions)", st["DynamoDB.BatchWriteItem"].ItemsWritten)
	}
	if got := entries(); got != "e,ie,lie" {
		t.Fatalf("entries after the rename = %q", got)
	}
	if ids := nameMatches(t, s, grievance.NamePartScan{Type: p.Type, Part: "ee"}); ids != nil {
		t.Fatalf("the old name is still found: %v", ids)
	}

	p.Inactive = true
	imp(p, directory.Updated)
	if ids := nameMatches(t, s, grievance.NamePartScan{Type: p.Type, Part: "lie"}); ids != nil {
		t.Fatalf("an inactive person is found among the active: %v", ids)
	}
	if ids := nameMatches(t, s, grievance.NamePartScan{Type: p.Type, Part: "lie", OnlyInactive: true}); len(ids) != 1 {
		t.Fatalf("inactive person not found: %v", ids)
	}

	store.MakePreIndexPerson(t, s, id(1))
	imp(p, directory.Updated)
	if got := entries(); got != "e,ie,lie" {
		t.Fatalf("entries of a record stored before the index, after its import = %q", got)
	}
	imp(p, directory.Unchanged)
}

// A 255-character last name gets one entry per position, each cut to
// grievance.NamePartRunes runes, so that its keys stay far below
// DynamoDB's 1 KB; a part longer than that is looked up by its start.
func TestImportPeople_LongNamesAreCut(t *testing.T) {
	s, _ := meteredStore(t)
	ctx := context.Background()
	long := strings.Repeat("ção", 85) // 255 runes, 425 bytes
	p := grievance.Person{ID: id(1), Type: grievance.PersonIndividual, ExternalID: "1", LastName: "X" + long[:len(long)-len("ção")] + "zé"}
	if _, err := s.ImportPeople(ctx, []grievance.Person{p}); err != nil {
		t.Fatal(err)
	}
	entries := store.NameIndexEntries(t, s, id(1))
	for _, e := range entries {
		if n := len([]rune(e)); n > grievance.NamePartRunes {
			t.Fatalf("entry of %d runes", n)
		}
	}
	// Positions whose cut suffixes coincide ("çãoção…" repeats) share
	// an entry.
	if len(entries) > 3+grievance.NamePartRunes+2 {
		t.Fatalf("%d entries", len(entries))
	}
	for _, part := range []string{"zé", "ãozé", strings.ToLower(p.LastName)[:200]} {
		if ids := nameMatches(t, s, grievance.NamePartScan{Type: p.Type, Part: part}); len(ids) != 1 {
			t.Errorf("part %.20q… found %v", part, ids)
		}
	}
}
