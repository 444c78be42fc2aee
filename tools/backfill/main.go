// Command backfill brings a table written before the sort and filter
// indexes (gsi7…gsi15), the PRIORITY#/STATCAT# count items and the
// dictionary of category and priority values in line with what the code
// writes now: it gives every live ticket its index keys (an UpdateItem
// conditioned on the version read), then recounts those partitions (each
// count written on the condition that nothing changed it while it was
// counted) and gives the category counts their dictionary keys. Both steps are safe while the API keeps writing
// and both are idempotent; docs/data-model.md describes them.
//
// Usage:
//
//	go run ./tools/backfill -table-prefix redress-local- [-resume N] [-dry-run]
//	go run ./tools/backfill -table MAIN_TABLE_NAME [-resume N] [-dry-run]
//
// The AWS configuration comes from the environment (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL for a local stack). -table-prefix names
// the tables as the local bootstrap does (PREFIX+Main); a deployed stack's
// table names are generated, so pass its MainTableName output as -table
// (or set TABLE_NAME). -resume N continues the reindex after ticket number
// N, the cursor every progress line and an interrupted run print.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/redress-grm/redress/shared/store"
)

func main() {
	prefix := flag.String("table-prefix", "", "table name prefix, as the local bootstrap names tables (PREFIX+Main)")
	table := flag.String("table", os.Getenv(store.MainTable.EnvVar), "physical name of the main table (default $"+store.MainTable.EnvVar+")")
	resume := flag.Int64("resume", 0, "resume the reindex after this ticket number (the printed cursor)")
	dry := flag.Bool("dry-run", false, "read and report, write nothing")
	skipRecount := flag.Bool("skip-recount", false, "reindex only")
	skipText := flag.Bool("skip-text-index", false, "do not fill the text index")
	page := flag.Int("page", 100, "tickets per Query")
	flag.Parse()
	name := *table
	if *prefix != "" {
		name = *prefix + store.MainTable.Name
	}
	if name == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: backfill (-table-prefix PREFIX | -table MAIN_TABLE) [-resume N] [-dry-run] [-skip-recount]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, name, store.BackfillOptions{After: *resume, DryRun: *dry, PageSize: *page}, !*skipRecount, !*skipText); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, table string, o store.BackfillOptions, recount, text bool) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	s := store.New(cfg, store.TableNames{Main: table})
	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is written)"
	}
	fmt.Fprintf(out, "reindexing the live tickets of %s after number %d%s\n", table, o.After, mode)
	o.Progress = func(r store.ReindexResult) {
		fmt.Fprintf(out, "  cursor %d: %d read, %d reindexed, %d already current, %d changed meanwhile\n",
			r.Cursor, r.Tickets, r.Reindexed, r.Current, r.Concurrent)
	}
	r, err := s.Reindex(ctx, o)
	if err != nil {
		return fmt.Errorf("%w\nresume with -resume %d", err, r.Cursor)
	}
	verb := "reindexed"
	if o.DryRun {
		verb = "to reindex"
	}
	fmt.Fprintf(out, "tickets: %d read, %d %s, %d already current, %d skipped as changed meanwhile (newer version kept), %d deleted meanwhile; %d requests; cursor %d\n",
		r.Tickets, r.Reindexed, verb, r.Current, r.Concurrent, r.Gone, r.Requests, r.Cursor)
	if text {
		// Tickets stored before the text index existed enter it here
		// rather than at their next change.
		fmt.Fprintf(out, "filling the text index from the live tickets after number %d%s\n", o.After, mode)
		to := o
		to.Progress = func(r store.ReindexResult) { fmt.Fprintf(out, "  cursor %d: %d read\n", r.Cursor, r.Tickets) }
		tr, err := s.IndexText(ctx, to)
		if err != nil {
			return fmt.Errorf("%w\nresume with -resume %d -skip-recount", err, tr.Cursor)
		}
		fmt.Fprintf(out, "text index: %d read, %d indexed (the others were current); %d requests; cursor %d\n",
			tr.Tickets, tr.Indexed, tr.Requests, tr.Cursor)
	}
	if !recount {
		return nil
	}
	fmt.Fprintln(out, "recounting the PRIORITY# and STATCAT# partitions, listing the CATEGORY# and PRIORITY# values")
	rc, err := s.Recount(ctx, o.DryRun)
	if err != nil {
		return err
	}
	for _, p := range rc.Rewritten {
		fmt.Fprintln(out, "  count", p)
	}
	verb = "rewritten"
	if o.DryRun {
		verb = "to rewrite"
	}
	fmt.Fprintf(out, "counts: %d partitions, %d %s, %d busy; %d category counts listed as values; %d requests\n",
		rc.Partitions, len(rc.Rewritten), verb, len(rc.Busy), rc.Tagged, rc.Requests)
	if len(rc.Busy) > 0 {
		return fmt.Errorf("these partitions changed in every recount round and were not written: %s; run the command again at a quieter time or with writes paused (its reindex is then a read-only pass)",
			strings.Join(rc.Busy, ", "))
	}
	return nil
}
