package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/stack"
)

// startImporter runs a local stack with only the importer (and its
// bucket) on the test binary's moto.
func startImporter(t *testing.T, name string) (endpoint, bucket string) {
	t.Helper()
	endpoint = moto.ForTest(t).Endpoint()
	bucket = fmt.Sprintf("%s-%d", name, os.Getpid())
	st, err := stack.Start(context.Background(), stack.Options{Endpoint: endpoint, TablePrefix: bucket + "-",
		Functions: []string{stack.Importer}, ImportBucket: bucket, ImportQueue: bucket})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Stop)
	return endpoint, bucket
}

// Ensure `people import FILE` uploads to the running stack's bucket and
// prints the report its importer wrote; importing the same file again is
// a no-op.
func TestPeopleImport_PrintsTheReportAndReimportChangesNothing(t *testing.T) {
	endpoint, bucket := startImporter(t, "ppl")
	var b strings.Builder
	b.WriteString("external_id,type,first_name,last_name,dob,sex,phone,email,location\n")
	for i := 1; i <= 1000; i++ {
		fmt.Fprintf(&b, "P%04d,individual,Ana,Lee%d,1990-01-02,F,+6707700%04d,,Dili\n", i, i, i)
	}
	b.WriteString("P0010,individual,Ana,Again,,,,,\nP2000,individual,Ana,Lee,1990-02-30,,,,\n")
	file := filepath.Join(t.TempDir(), "registry.csv")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := env(map[string]string{"AWS_ENDPOINT_URL": endpoint, "IMPORT_BUCKET": bucket, "IMPORT_WAIT": "2m"})
	for _, want := range []string{
		"inserted 1000\nupdated 0\nunchanged 0\nrejected 2\n" +
			"line 1002 (P0010): duplicate id: line 11 has the same record\n" +
			"line 1003 (P2000): dob \"1990-02-30\" is not a valid date (YYYY-MM-DD).\n",
		"inserted 0\nupdated 0\nunchanged 1000\nrejected 2\n",
	} {
		var out, errOut bytes.Buffer
		if err := dispatch(context.Background(), []string{"people", "import", file}, vars, &out, &errOut); err != nil {
			t.Fatalf("%v\n%s", err, errOut.String())
		}
		if !strings.HasPrefix(out.String(), want) {
			t.Fatalf("output:\n%s\nwant it to start with:\n%s", out.String(), want)
		}
	}
}

func TestPeopleImport_AFileThatCannotBeImportedFails(t *testing.T) {
	endpoint, bucket := startImporter(t, "pplb")
	file := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(file, []byte("external_id,type,nickname\n"), 0o600)
	vars := env(map[string]string{"AWS_ENDPOINT_URL": endpoint, "IMPORT_BUCKET": bucket, "IMPORT_WAIT": "1m"})
	var out, errOut bytes.Buffer
	err := dispatch(context.Background(), []string{"people", "import", file}, vars, &out, &errOut)
	if err == nil || !strings.Contains(out.String(), `failed unknown columns "nickname"`) {
		t.Fatalf("err = %v, output %q", err, out.String())
	}
}

// Ensure `people sync` creates the local pool from the seed and fills the
// directory through the staffsync binary (the sync itself is tested in
// functions/staffsync), and that a second sync changes nothing.
func TestPeopleSync_FillsTheDirectoryFromTheLocalPool(t *testing.T) {
	endpoint := moto.ForTest(t).Endpoint()
	vars := env(map[string]string{"AWS_ENDPOINT_URL": endpoint, "TABLE_PREFIX": fmt.Sprintf("pps%d-", os.Getpid()),
		"USER_POOL_NAME": fmt.Sprintf("pps-%d", os.Getpid())})
	var out, errOut bytes.Buffer
	if err := dispatch(context.Background(), []string{"people", "sync"}, vars, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	// The seed's three staff exist in the pool and (not loaded here) are
	// created in the directory with their pool subs.
	if want := "poolUsers 3\ncreated 3\nupdated 0\nunchanged 0\ndeactivated 0\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := dispatch(context.Background(), []string{"people", "sync"}, vars, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "unchanged 3\n") {
		t.Fatalf("second sync output %q", out.String())
	}
}
