package store_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
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
	if g, w := st["DynamoDB.BatchWriteItem"].Calls, 5.0; g != w { // 101 items (a programme too) in 25s
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
		{"name prefix", grievance.PersonScan{Path: grievance.SearchByName, Type: grievance.PersonBeneficiary, Prefix: "zed"}, 1},
		{"external id", grievance.PersonScan{Path: grievance.SearchByExternalID, Type: grievance.PersonBeneficiary, Key: "R7"}, 1},
		{"phone", grievance.PersonScan{Path: grievance.SearchByPhone, Type: grievance.PersonBeneficiary, Key: ps[7].Phone}, 1},
		{"programme", grievance.PersonScan{Path: grievance.SearchByProgramme, Type: grievance.PersonBeneficiary, Key: "cash", Prefix: "lee1"}, 11},
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
