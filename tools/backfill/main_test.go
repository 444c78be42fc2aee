package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// The command takes its AWS configuration from the environment (here
// AWS_ENDPOINT_URL pointing at moto), prints the cursor after every page
// and a summary, resumes after a cursor, on a table the current code
// wrote finds nothing to write in the main table, counts the history
// records written before the counts (a resumed run all of them, the part
// before its cursor too), and once complete only says so.
func TestRun_TakesTheEnvironmentsConfigAndPrintsTheSummary(t *testing.T) {
	ctx := context.Background()
	endpoint := moto.ForTest(t).Endpoint()
	cfg, err := moto.AWSConfig(ctx, endpoint)
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("bf%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var ts []*grievance.Ticket
	for i := range 5 {
		n := int64(i + 1)
		ts = append(ts, &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n), Version: 1, Seq: n, Code: grievance.FormatCode(n),
			Status: grievance.StatusOpen, Category: "A", Priority: "High", Title: "t", DateCreated: at, DateUpdated: at, DateValidFrom: at})
	}
	s := store.New(cfg, names)
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	// History as the code before the counts of versions left it: records
	// without `counted`, no counts, no marker.
	if err := s.ImportDerived(ctx, ts); err != nil {
		t.Fatal(err)
	}
	hist := dynamo.New(cfg).Table(names.History)
	var items []struct {
		PK   string `dynamo:"pk"`
		SK   string `dynamo:"sk"`
		Kind string `dynamo:"kind"`
	}
	if err := hist.Scan().All(ctx, &items); err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		var err error
		if it.Kind == store.KindVersionCount {
			err = hist.Delete("pk", it.PK).Range("sk", it.SK).Run(ctx)
		} else {
			err = hist.Update("pk", it.PK).Range("sk", it.SK).Remove("counted").Run(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// Columns as a table written before the wide blocks marks them: the
	// pass finds no narrow block to move.
	if err := dynamo.New(cfg).Table(names.Main).Delete("pk", "ORDERMETA").Range("sk", "wideColumns").Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Postings as a table written before the wide items: nothing to fold
	// in five tickets (one block), but the pass runs and marks them.
	if err := dynamo.New(cfg).Table(names.Main).Delete("pk", "ORDERMETA").Range("sk", "sealedOrders").Run(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for k, v := range map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": moto.Region, "AWS_ACCESS_KEY_ID": "test",
		"AWS_SECRET_ACCESS_KEY": "test", "AWS_PROFILE": "", "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials")} {
		t.Setenv(k, v)
	}
	for _, tc := range []struct {
		name string
		o    store.BackfillOptions
		want []string
	}{
		{"dry run", store.BackfillOptions{DryRun: true, PageSize: 2}, []string{
			"cursor 2: 2 read", "cursor 4: 4 read", "cursor 5: 5 read",
			"tickets: 5 read, 0 to reindex, 5 already current", "columns: 0 narrow blocks to move",
			"postings: 0 with narrow blocks below their newest, 0 narrow blocks to fold",
			"counts: 2 partitions, 0 to rewrite, 0 busy",
			"version counts: 5 versions to count", "history: 5 tickets, 0 partial or not indexed, 0 to complete"}},
		{"resumed", store.BackfillOptions{After: 3}, []string{
			"after number 3", "tickets: 2 read, 0 reindexed, 2 already current", "cursor 5",
			"columns: 0 narrow blocks found, 0 moved", "postings: 0 folded, 0 narrow blocks into wide items", "counts: 2 partitions, 0 rewritten, 0 busy",
			"version counts: 5 uncounted found, 5 counted, 0 counted by another run", "cursor 5; complete"}},
		{"again", store.BackfillOptions{}, []string{"columns: already wide; nothing to do", "postings: already sealed; nothing to do", "version counts: already complete; nothing to do"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(ctx, &out, names, tc.o, passes{}); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
