package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/directory"
)

const (
	defaultImportBucket = "redress-local-imports"
	defaultImportQueue  = "redress-local-imports"
)

const peopleUsage = `usage: local people import FILE
       local people sync

import uploads FILE (CSV with a header row, or JSON Lines; docs/directory.md)
to imports/<name of FILE> in the import bucket of the running local stack
(make run), waits until the stack's importer has written the report and
prints it: "inserted N", "updated N", "unchanged N", "rejected N", then one
line per rejected row. Exit status 0 when the import finished, 2 when the
file could not be imported.

sync creates the local user pool from SEED_FILE's staff and staffGroups
(if it does not exist yet) and runs the staffsync function once: every pool
user becomes a directory user with the roles of their groups (group_roles);
it prints the counts. The running stack also syncs at start and every
STAFF_SYNC_INTERVAL.

Environment: AWS_ENDPOINT_URL [%s], IMPORT_BUCKET [%s],
IMPORT_WAIT (how long to wait for the report) [10m], TABLE_PREFIX
[redress-local-], USER_POOL_NAME [redress-local-users], SEED_FILE.
`

func peopleCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("people", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, peopleUsage, defaultEndpoint, defaultImportBucket) }
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moto.RepoRoot()
	if err != nil {
		return err
	}
	if fs.NArg() == 1 && fs.Arg(0) == "sync" {
		out, err := staffSync{Root: root, Endpoint: envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint),
			Prefix: envOr(getenv, "TABLE_PREFIX", "redress-local-"), Pool: envOr(getenv, "USER_POOL_NAME", defaultUserPool),
			SeedFile: envOr(getenv, "SEED_FILE", filepath.Join(root, "infra", "local", "seed.json")),
			Output:   stderr, LogLevel: envOr(getenv, "LOG_LEVEL", "warn")}.Run(ctx)
		if err != nil {
			return err
		}
		var r map[string]int
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("people sync: %s: %w", out, err)
		}
		for _, k := range []string{"poolUsers", "created", "updated", "unchanged", "deactivated"} {
			fmt.Fprintf(stdout, "%s %d\n", k, r[k])
		}
		return nil
	}
	if fs.NArg() != 2 || fs.Arg(0) != "import" {
		fs.Usage()
		return errors.New("people: expected: people import FILE, or people sync")
	}
	wait, err := time.ParseDuration(envOr(getenv, "IMPORT_WAIT", "10m"))
	if err != nil {
		return fmt.Errorf("IMPORT_WAIT: %w", err)
	}
	imp := importRun{Endpoint: envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint),
		Bucket: envOr(getenv, "IMPORT_BUCKET", defaultImportBucket), Wait: wait}
	r, err := imp.Import(ctx, fs.Arg(1))
	if err != nil {
		return err
	}
	printReport(stdout, r)
	if r.Status != "done" {
		return fmt.Errorf("people import: %s", r.Error)
	}
	return nil
}

// importRun imports a file the way a platform team's upload is imported
// in AWS: it only uploads; the bucket notifies and the running stack's
// importer (the real binary) does the rest, continuations included.
type importRun struct {
	Endpoint, Bucket string
	Wait             time.Duration
}

func (c importRun) Import(ctx context.Context, file string) (directory.Report, error) {
	body, err := os.ReadFile(file)
	if err != nil {
		return directory.Report{}, fmt.Errorf("people import: %w", err)
	}
	cfg, err := moto.AWSConfig(ctx, c.Endpoint)
	if err != nil {
		return directory.Report{}, err
	}
	r, err := bootstrap.ImportFile(ctx, cfg, c.Bucket, "imports/"+filepath.Base(file), body, c.Wait)
	if err != nil {
		return r, fmt.Errorf("people import (is the local stack running at %s? make run starts it): %w", c.Endpoint, err)
	}
	return r, nil
}

func printReport(w io.Writer, r directory.Report) {
	if r.Status != "done" {
		fmt.Fprintf(w, "failed %s\n", r.Error)
		return
	}
	fmt.Fprintf(w, "inserted %d\nupdated %d\nunchanged %d\nrejected %d\n", r.Inserted, r.Updated, r.Unchanged, r.Rejected)
	for _, rr := range r.RejectedRows {
		fmt.Fprintf(w, "line %d", rr.Line)
		if rr.ExternalID != "" {
			fmt.Fprintf(w, " (%s)", rr.ExternalID)
		}
		fmt.Fprintf(w, ": %s\n", rr.Reason)
	}
	if r.RejectedRowsOmitted > 0 {
		fmt.Fprintf(w, "(%d more rejected rows are counted but not listed)\n", r.RejectedRowsOmitted)
	}
}
