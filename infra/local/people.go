package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/runtime"
	"github.com/redress-grm/redress/shared/directory"
)

const (
	defaultImportBucket = "redress-local-imports"
	defaultImportQueue  = "redress-local-imports"
)

const peopleUsage = `usage: local people import FILE
       local people sync

sync creates the local user pool from SEED_FILE's staff and staffGroups
(if it does not exist yet; USER_POOL_NAME [redress-local-users]) and runs
the staffsync function once: every pool user becomes a directory user
with the roles of their groups (group_roles); it prints the counts.


Uploads FILE (CSV with a header row, or JSON Lines; docs/directory.md) to
imports/<name of FILE> in the local import bucket, runs the importer
function on the bucket's notifications until the import is finished, and
prints its report: "inserted N", "updated N", "unchanged N", "rejected N",
then one line per rejected row.

Environment: AWS_ENDPOINT_URL [%s], TABLE_PREFIX [redress-local-],
IMPORT_BUCKET [%s], IMPORT_QUEUE [%s], IMPORT_TIMEOUT (the
function's timeout; a longer file continues in further invocations) [5m].
`

func peopleCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("people", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, peopleUsage, defaultEndpoint, defaultImportBucket, defaultImportQueue) }
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
	timeout, err := time.ParseDuration(envOr(getenv, "IMPORT_TIMEOUT", "5m"))
	if err != nil {
		return fmt.Errorf("IMPORT_TIMEOUT: %w", err)
	}
	imp := importRun{
		Root:     root,
		Endpoint: envOr(getenv, "AWS_ENDPOINT_URL", defaultEndpoint),
		Prefix:   envOr(getenv, "TABLE_PREFIX", "redress-local-"),
		Bucket:   envOr(getenv, "IMPORT_BUCKET", defaultImportBucket),
		Queue:    envOr(getenv, "IMPORT_QUEUE", defaultImportQueue),
		Timeout:  timeout,
		Output:   stderr,
		LogLevel: envOr(getenv, "LOG_LEVEL", "warn"),
	}
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

// importRun imports a file through the local import bucket, the way a
// platform team's upload is imported in AWS: the bucket notifies, the
// importer function (the real binary, under the Lambda runtime emulation)
// runs once per notification, continuations included.
type importRun struct {
	Root, Endpoint, Prefix, Bucket, Queue string
	Timeout                               time.Duration
	Output                                io.Writer
	LogLevel                              string
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
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), c.Prefix)
	if err != nil {
		return directory.Report{}, fmt.Errorf("people import (is the local stack running at %s?): %w", c.Endpoint, err)
	}
	b, err := bootstrap.CreateImportBucket(ctx, cfg, c.Bucket, c.Queue)
	if err != nil {
		return directory.Report{}, err
	}
	bin := filepath.Join(c.Root, ".cache", "bin", "importer")
	if err := runtime.Build(ctx, c.Root, "./functions/importer", bin); err != nil {
		return directory.Report{}, err
	}
	fn, err := runtime.Start(ctx, runtime.Config{
		Name: "importer", Binary: bin, Timeout: c.Timeout, MemoryMB: 512, Output: c.Output,
		Env: append(names.Env(), "AWS_REGION="+moto.Region, "AWS_DEFAULT_REGION="+moto.Region,
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_ENDPOINT_URL="+c.Endpoint,
			"LOG_LEVEL="+c.LogLevel),
		Logger: slog.New(slog.NewTextHandler(c.Output, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return directory.Report{}, err
	}
	defer fn.Stop()

	s3c, q := bootstrap.S3Client(cfg), sqs.NewFromConfig(cfg)
	key := "imports/" + filepath.Base(file)
	reportKey := "reports/" + filepath.Base(file) + ".json"
	if _, err := s3c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(b.Name), Key: aws.String(reportKey)}); err != nil {
		return directory.Report{}, fmt.Errorf("people import: clear the previous report: %w", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(b.Name), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return directory.Report{}, fmt.Errorf("people import: upload: %w", err)
	}
	for {
		evs, err := bootstrap.ReceiveS3Events(ctx, q, b.QueueURL, 1)
		if err != nil {
			return directory.Report{}, err
		}
		for _, ev := range evs {
			if err := invokeWithRetries(ctx, fn, ev); err != nil {
				return directory.Report{}, err
			}
		}
		if len(evs) > 0 {
			continue
		}
		out, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.Name), Key: aws.String(reportKey)})
		if err == nil {
			var r directory.Report
			err = json.NewDecoder(out.Body).Decode(&r)
			out.Body.Close()
			return r, err
		}
		if ctx.Err() != nil {
			return directory.Report{}, ctx.Err()
		}
	}
}

// invokeWithRetries invokes as Lambda does an asynchronous invocation:
// a failed one is retried twice.
func invokeWithRetries(ctx context.Context, fn *runtime.Function, ev []byte) error {
	var err error
	for range 3 {
		if _, err = fn.Invoke(ctx, ev); err == nil {
			return nil
		}
	}
	return fmt.Errorf("people import: the importer failed three times: %w", err)
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
