package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	localstack "github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/shared/bus/bustest"
	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// status runs a mutation and returns its log's status (2 success, 1
// failure) and error.
func (st *stack) status(t *testing.T, name, input string) (int, string) {
	t.Helper()
	cmid := fmt.Sprintf("e2e-%s-%d", name, time.Now().UnixNano())
	st.gql(t, fmt.Sprintf(`mutation { %s(input: {clientMutationId: %q, %s}) { internalId } }`, name, cmid, input))
	n := nodes(t, st.gql(t, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status error } } } }`, cmid)), "mutationLogs")
	if len(n) != 1 {
		t.Fatalf("%s: logs %v", name, n)
	}
	e, _ := n[0]["error"].(string)
	return int(n[0]["status"].(float64)), e
}

// The "done when" of issue #15, through the local stack: a user created
// only in the pool becomes assignable after a sync; an imported CSV of
// 1,000 individuals with bad rows gives a correct report and re-importing
// it is a no-op; a ticket names an imported individual found by a picker;
// an anonymous ticket stores no contact.
func TestDirectory_RealPeopleInTheLocalStack(t *testing.T) {
	root, err := bustest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	prefix := fmt.Sprintf("e2edir%d-", os.Getpid())
	ls, err := localstack.Start(context.Background(), localstack.Options{
		Root: root, Endpoint: moto.ForTest(t).Endpoint(), TablePrefix: prefix,
		SeedFile:     filepath.Join(root, "infra", "local", "seed.json"),
		Functions:    []string{localstack.GraphQL, localstack.Importer, localstack.StaffSync},
		ImportBucket: prefix + "imports", ImportQueue: prefix + "imports", UserPool: prefix + "users",
		BinDir: binDir, Output: out,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ls.Stop)
	st := &stack{Stack: ls}
	ctx := context.Background()

	// Staff: dave exists only in the pool until a sync.
	pool := cip.NewFromConfig(ls.AWS)
	if _, err := pool.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(ls.UserPoolID), Username: aws.String("dave"),
		MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	pool.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(ls.UserPoolID), Username: aws.String("dave"), GroupName: aws.String("GrievanceOfficer")})
	u, err := pool.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(ls.UserPoolID), Username: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	var dave string
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			dave = aws.ToString(a.Value)
		}
	}
	assign := fmt.Sprintf(`category: "Default", title: "Assigned", attendingStaffId: %q`, dave)
	if s, _ := st.status(t, "createTicket", assign); s != int(grievance.MutationFailed) {
		t.Fatal("dave is assignable before a sync")
	}
	if _, err := ls.Functions[localstack.StaffSync].Invoke(ctx, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if s, e := st.status(t, "createTicket", assign); s != int(grievance.MutationSuccess) {
		t.Fatalf("dave after the sync: %s", e)
	}
	if ns := nodes(t, st.gql(t, `{ users(str: "dave", first: 5) { edges { node { username iUser { lastName } } } } }`), "users"); len(ns) != 1 {
		t.Fatalf("users picker: %v", ns)
	}

	// Registry: 1,000 individuals and a few bad rows.
	var b strings.Builder
	b.WriteString("external_id,type,first_name,last_name,dob,sex,phone,location\n")
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&b, "REG-%04d,individual,Lucia,Amaral%04d,1991-05-06,F,+6707800%04d,Ermera/Gleno\n", i, i, i)
	}
	b.WriteString("REG-0001,individual,Dup,Row,,,,\nREG-X,individual,,,,,,\nREG-Y,individual,A,B,31/12/1990,,,\n")
	s3c := bootstrap.S3Client(ls.AWS)
	imp := func() directory.Report {
		t.Helper()
		key, report := "imports/e2e.csv", "reports/e2e.csv.json"
		s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(ls.Imports.Name), Key: aws.String(report)})
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(ls.Imports.Name), Key: aws.String(key), Body: bytes.NewReader([]byte(b.String()))}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(drain)
		for time.Now().Before(deadline) {
			if o, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ls.Imports.Name), Key: aws.String(report)}); err == nil {
				var r directory.Report
				json.NewDecoder(o.Body).Decode(&r)
				o.Body.Close()
				return r
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatal("no import report")
		return directory.Report{}
	}
	if r := imp(); r.Counts != (directory.Counts{Inserted: 1000, Rejected: 3}) || r.RejectedRows[0].Line != 1002 {
		t.Fatalf("import report = %+v", r)
	}
	if r := imp(); r.Counts != (directory.Counts{Unchanged: 1000, Rejected: 3}) {
		t.Fatalf("re-import report = %+v", r.Counts)
	}

	// A picker finds an imported individual; a ticket names them.
	found := nodes(t, st.gql(t, `{ individual(lastName_Icontains: "amaral0042", first: 5, isDeleted: false) { totalCount edges { node { id firstName lastName dob } } } }`), "individual")
	if len(found) != 1 || found[0]["dob"] != "1991-05-06" {
		t.Fatalf("individual picker: %v", found)
	}
	if s, e := st.status(t, "createTicket", fmt.Sprintf(`category: "Default", title: "Named", reporterType: "individual", reporterId: %q`, found[0]["id"])); s != int(grievance.MutationSuccess) {
		t.Fatalf("ticket naming an imported individual: %s", e)
	}

	// Anonymous complainant: no contact is stored.
	cmid := st.mutate(t, "createTicket", `category: "Default", title: "Anonymous", contact: {anonymous: true, name: "Not kept", phone: "+67077001122"}`)
	ts := nodes(t, st.gql(t, fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id contact { name phone anonymous } } } } }`, cmid)), "tickets")
	tk, err := store.New(ls.AWS, ls.Tables).Ticket(ctx, rawID(t, ts[0]["id"]))
	if err != nil || tk.Contact == nil || *tk.Contact != (grievance.Contact{Anonymous: true}) {
		t.Fatalf("stored contact = %+v (%v)", tk.Contact, err)
	}
}

// The local stack loads its seed as a deployed directory is filled: the
// staff from the user pool through staffsync (their pool subs are their
// seeded ids, so dev tokens and tickets naming them keep working), the
// individuals and beneficiaries as an import file through the importer,
// whose report the start waited for; a second start imports nothing new.
func TestDirectory_SeedGoesThroughTheImporterAndThePool(t *testing.T) {
	root, err := bustest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("e2eseed%d-", os.Getpid())
	seed := filepath.Join(root, "infra", "local", "seed.json")
	start := func() *localstack.Stack {
		t.Helper()
		ls, err := localstack.Start(context.Background(), localstack.Options{
			Root: root, Endpoint: moto.ForTest(t).Endpoint(), TablePrefix: prefix, SeedFile: seed,
			Functions:    []string{localstack.Importer, localstack.StaffSync},
			ImportBucket: prefix + "imports", ImportQueue: prefix + "imports", UserPool: prefix + "users",
			BinDir: binDir, Env: callLog(),
		})
		if err != nil {
			t.Fatal(err)
		}
		return ls
	}
	ls := start()
	ctx := context.Background()
	if r := ls.SeedReport; r.Status != "done" || r.File != localstack.SeedImportKey(seed) || r.Counts != (directory.Counts{Inserted: 5}) {
		t.Fatalf("seed report = %+v", r)
	}
	// The report is the importer's, in the bucket next to the import.
	o, err := bootstrap.S3Client(ls.AWS).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(ls.Imports.Name), Key: aws.String("reports/local-seed/seed.jsonl.json")})
	if err != nil {
		t.Fatalf("no report of the seed in the import bucket: %v", err)
	}
	o.Body.Close()

	st := store.New(ls.AWS, ls.Tables)
	people, err := st.People(ctx, []string{"5ff417e3-6a37-4e55-9aed-112c31af7971", "19d96b33-17fc-4b58-8aeb-69c5b97d920f"})
	if err != nil {
		t.Fatal(err)
	}
	maria, ben := people["5ff417e3-6a37-4e55-9aed-112c31af7971"], people["19d96b33-17fc-4b58-8aeb-69c5b97d920f"]
	if maria == nil || maria.ExternalID != "TL-IND-0001" || maria.Location != "Aileu" ||
		ben == nil || ben.IndividualID != maria.ID || ben.Programme != "cash-transfer" {
		t.Fatalf("imported seed: %+v / %+v", maria, ben)
	}
	for name, id := range map[string]string{"alice": aliceID, "bob": bobID} {
		u, err := st.UserByUsername(ctx, name)
		if err != nil || u.ID != id || !strings.HasPrefix(u.ExternalID, directory.PoolMarker) || len(u.Roles) == 0 {
			t.Fatalf("%s = %+v (%v), want id %s synced from the pool", name, u, err, id)
		}
	}
	ls.Stop()

	ls = start()
	defer ls.Stop()
	if r := ls.SeedReport; r.Counts != (directory.Counts{Unchanged: 5}) {
		t.Fatalf("second start's seed report = %+v", r.Counts)
	}
}
