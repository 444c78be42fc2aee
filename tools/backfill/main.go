// Command backfill brings a table written before the sort and filter
// indexes (gsi7…gsi16), the PRIORITY#/STATCAT# count items and the
// dictionary of category and priority values in line with what the code
// writes now: it gives every live ticket its index keys (an UpdateItem
// conditioned on the version read), fills the text index, recounts those
// partitions (each count written on the condition that nothing changed it
// while it was counted) and gives the category counts their dictionary
// keys, and moves the columns (due days, history rows) into their wide
// blocks. Then it counts the History table's ticket versions recorded
// before the counts of versions existed and marks the counts complete,
// and gives the tickets the text pass indexed from their live version
// (and those deleted before it) their history index from every version.
// Every pass is safe while the API keeps writing and idempotent;
// docs/data-model.md describes them.
//
// Usage:
//
//	go run ./tools/backfill -table-prefix redress-local- [-resume N] [-dry-run]
//	go run ./tools/backfill -table MAIN_TABLE_NAME -history-table HISTORY_TABLE_NAME [-resume N] [-dry-run]
//
// The AWS configuration comes from the environment (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL for a local stack). -table-prefix names
// the tables as the local bootstrap does (PREFIX+Main, PREFIX+History); a
// deployed stack's table names are generated, so pass its MainTableName
// and HistoryTableName outputs as -table and -history-table (or set
// TABLE_NAME and HISTORY_TABLE_NAME). -resume N continues every pass
// after ticket number N, the cursor every progress line and an
// interrupted run print; -skip-… leave passes out.
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
	prefix := flag.String("table-prefix", "", "table name prefix, as the local bootstrap names tables (PREFIX+Main, PREFIX+History)")
	table := flag.String("table", os.Getenv(store.MainTable.EnvVar), "physical name of the main table (default $"+store.MainTable.EnvVar+")")
	history := flag.String("history-table", os.Getenv(store.HistoryTable.EnvVar), "physical name of the history table (default $"+store.HistoryTable.EnvVar+")")
	resume := flag.Int64("resume", 0, "resume the passes after this ticket number (the printed cursor)")
	dry := flag.Bool("dry-run", false, "read and report, write nothing")
	var p passes
	flag.BoolVar(&p.skipReindex, "skip-reindex", false, "do not reindex the live tickets")
	flag.BoolVar(&p.skipWiden, "skip-widen", false, "do not move the columns' narrow blocks into wide ones, cut the order runs into wide spans nor fold the text postings into wide items")
	flag.BoolVar(&p.skipRecount, "skip-recount", false, "do not recount the PRIORITY#/STATCAT# partitions")
	flag.BoolVar(&p.skipText, "skip-text-index", false, "do not fill the text index")
	flag.BoolVar(&p.skipVersions, "skip-version-counts", false, "do not count the ticket versions recorded before the counts")
	flag.BoolVar(&p.skipHistory, "skip-history", false, "do not complete the history index from the History table")
	page := flag.Int("page", 100, "tickets (versions, for the version counts) per Query")
	flag.Parse()
	names := store.TableNames{Main: *table, History: *history}
	if *prefix != "" {
		names = store.TableNames{Main: *prefix + store.MainTable.Name, History: *prefix + store.HistoryTable.Name}
	}
	if names.Main == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: backfill (-table-prefix PREFIX | -table MAIN_TABLE -history-table HISTORY_TABLE) [-resume N] [-dry-run] [-skip-reindex] [-skip-text-index] [-skip-widen] [-skip-recount] [-skip-version-counts] [-skip-history]")
		os.Exit(2)
	}
	if names.History == "" && (!p.skipVersions || !p.skipHistory) {
		fmt.Fprintln(os.Stderr, "backfill: the version counts and the history pass need the history table: pass -history-table (the stack's HistoryTableName output) or -skip-version-counts -skip-history")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, names, store.BackfillOptions{After: *resume, DryRun: *dry, PageSize: *page}, p); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

// passes says which passes to leave out.
type passes struct {
	skipReindex, skipText, skipWiden, skipRecount, skipVersions, skipHistory bool
}

func run(ctx context.Context, out io.Writer, names store.TableNames, o store.BackfillOptions, p passes) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	s := store.New(cfg, names)
	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is written)"
	}
	if !p.skipReindex {
		fmt.Fprintf(out, "reindexing the live tickets of %s after number %d%s\n", names.Main, o.After, mode)
		ro := o
		ro.Progress = func(r store.ReindexResult) {
			fmt.Fprintf(out, "  cursor %d: %d read, %d reindexed, %d already current, %d changed meanwhile\n",
				r.Cursor, r.Tickets, r.Reindexed, r.Current, r.Concurrent)
		}
		r, err := s.Reindex(ctx, ro)
		if err != nil {
			return fmt.Errorf("%w\nresume with -resume %d", err, r.Cursor)
		}
		verb := "reindexed"
		if o.DryRun {
			verb = "to reindex"
		}
		fmt.Fprintf(out, "tickets: %d read, %d %s, %d already current, %d skipped as changed meanwhile (newer version kept), %d deleted meanwhile; %d requests; cursor %d\n",
			r.Tickets, r.Reindexed, verb, r.Current, r.Concurrent, r.Gone, r.Requests, r.Cursor)
	}
	if !p.skipText {
		// Tickets stored before the text index existed enter it here
		// rather than at their next change.
		fmt.Fprintf(out, "filling the text index from the live tickets after number %d%s\n", o.After, mode)
		to := o
		to.Progress = func(r store.ReindexResult) { fmt.Fprintf(out, "  cursor %d: %d read\n", r.Cursor, r.Tickets) }
		tr, err := s.IndexText(ctx, to)
		if err != nil {
			return fmt.Errorf("%w\nresume with -resume %d -skip-reindex", err, tr.Cursor)
		}
		fmt.Fprintf(out, "text index: %d read, %d indexed (the others were current); %d requests; cursor %d\n",
			tr.Tickets, tr.Indexed, tr.Requests, tr.Cursor)
	}
	if !p.skipWiden {
		if err := widen(ctx, out, s, o.DryRun); err != nil {
			return fmt.Errorf("%w\nrun again with -skip-reindex -skip-text-index", err)
		}
	}
	// A recount that stays busy is reported after the version counts,
	// which do not depend on it.
	var busy error
	if !p.skipRecount {
		if busy, err = recount(ctx, out, s, o.DryRun); err != nil {
			return err
		}
	}
	if !p.skipVersions {
		if err := countVersions(ctx, out, s, names.History, o, mode); err != nil {
			return err
		}
	}
	if !p.skipHistory {
		if err := completeHistory(ctx, out, s, names.History, o, mode); err != nil {
			return err
		}
	}
	return busy
}

// widen runs the widening pass: it starts over when run again, and finds
// only what an interrupted run left.
func widen(ctx context.Context, out io.Writer, s *store.Store, dry bool) error {
	fmt.Fprintln(out, "moving the columns' narrow blocks (4,096 tickets) into wide ones (16,384 tickets, deflated), and cutting the order runs into wide spans")
	r, err := s.WidenColumns(ctx, dry)
	switch {
	case err != nil:
		return err
	case r.Complete && r.Narrow == 0 && r.Requests == 1:
		fmt.Fprintln(out, "columns: already wide; nothing to do")
	case dry:
		fmt.Fprintf(out, "columns: %d narrow blocks to move, %d narrow spans to delete once the wide spans are cut; %d requests; then the columns would be marked wide\n", r.Narrow, r.Spans, r.Requests)
	default:
		fmt.Fprintf(out, "columns: %d narrow blocks found, %d moved; wide spans cut, %d narrow spans deleted; %d requests; complete\n", r.Narrow, r.Moved, r.Spans, r.Requests)
	}
	fmt.Fprintln(out, "folding each text posting's blocks below its newest into wide items")
	sr, err := s.SealPostings(ctx, dry)
	switch {
	case err != nil:
		return err
	case sr.Complete && sr.Postings == 0 && sr.Requests == 1:
		fmt.Fprintln(out, "postings: already sealed; nothing to do")
	case dry:
		fmt.Fprintf(out, "postings: %d with narrow blocks below their newest, %d narrow blocks to fold; %d requests; then the postings would be marked sealed\n", sr.Postings, sr.Folded, sr.Requests)
	default:
		fmt.Fprintf(out, "postings: %d folded, %d narrow blocks into wide items; %d requests; complete\n", sr.Postings, sr.Folded, sr.Requests)
	}
	return nil
}

// recount runs the recount; busy tells of partitions it could not write.
func recount(ctx context.Context, out io.Writer, s *store.Store, dry bool) (busy, err error) {
	fmt.Fprintln(out, "recounting the PRIORITY# and STATCAT# partitions, listing the CATEGORY# and PRIORITY# values")
	rc, err := s.Recount(ctx, dry)
	if err != nil {
		return nil, err
	}
	for _, p := range rc.Rewritten {
		fmt.Fprintln(out, "  count", p)
	}
	verb := "rewritten"
	if dry {
		verb = "to rewrite"
	}
	fmt.Fprintf(out, "counts: %d partitions, %d %s, %d busy; %d category counts listed as values; %d requests\n",
		rc.Partitions, len(rc.Rewritten), verb, len(rc.Busy), rc.Tagged, rc.Requests)
	if len(rc.Busy) > 0 {
		return fmt.Errorf("these partitions changed in every recount round and were not written: %s; run the command again at a quieter time or with writes paused (its reindex is then a read-only pass)",
			strings.Join(rc.Busy, ", ")), nil
	}
	return nil, nil
}

func countVersions(ctx context.Context, out io.Writer, s *store.Store, table string, o store.BackfillOptions, mode string) error {
	fmt.Fprintf(out, "counting the ticket versions of %s recorded before the counts, after number %d%s\n", table, o.After, mode)
	verb := "counted"
	if o.DryRun {
		verb = "to count"
	}
	o.CountProgress = func(r store.CountVersionsResult) {
		fmt.Fprintf(out, "  cursor %d: %d uncounted found, %d %s, %d counted by another run\n", r.Cursor, r.Uncounted, r.Counted, verb, r.Concurrent)
	}
	r, err := s.CountVersions(ctx, o)
	if err != nil {
		return fmt.Errorf("%w\nresume with -resume %d -skip-reindex -skip-text-index -skip-recount", err, r.Cursor)
	}
	switch {
	case r.Found && r.Listed == 0:
		fmt.Fprintln(out, "version counts: already complete; nothing to do")
	case r.Found && o.DryRun:
		fmt.Fprintf(out, "version counts: already complete; the values' dictionary of %d fields would be listed; %d requests\n", r.Listed, r.Requests)
	case r.Found:
		fmt.Fprintf(out, "version counts: already complete; the values' dictionary of %d fields listed; %d requests\n", r.Listed, r.Requests)
	case o.DryRun:
		fmt.Fprintf(out, "version counts: %d versions to count; %d requests; then the counts would be marked complete\n", r.Counted, r.Requests)
	default:
		fmt.Fprintf(out, "version counts: %d uncounted found, %d counted, %d counted by another run; %d requests; cursor %d; complete\n",
			r.Uncounted, r.Counted, r.Concurrent, r.Requests, r.Cursor)
	}
	if r.SortsPending != "" && !o.DryRun {
		fmt.Fprintf(out, "history sort keys: every version has them, but index %s is not ACTIVE yet: deploy the stage's remaining history indexes (context historyIndexes), then run again to mark them complete\n", r.SortsPending)
	}
	return nil
}

// completeHistory runs the history pass: the tickets the text pass
// indexed past their first version, and those deleted before it, get
// their history index from every version the History table holds.
func completeHistory(ctx context.Context, out io.Writer, s *store.Store, table string, o store.BackfillOptions, mode string) error {
	fmt.Fprintf(out, "completing the history index from the versions of %s after number %d%s\n", table, o.After, mode)
	r, err := s.CompleteHistory(ctx, o, func(r store.CompleteHistoryResult) {
		fmt.Fprintf(out, "  cursor %d: %d tickets, %d partial\n", r.Cursor, r.Tickets, r.Partial)
	})
	if err != nil {
		return fmt.Errorf("%w\nresume with -resume %d -skip-reindex -skip-text-index -skip-widen -skip-recount -skip-version-counts", err, r.Cursor)
	}
	verb := "completed"
	if o.DryRun {
		verb = "to complete"
	}
	fmt.Fprintf(out, "history: %d tickets, %d partial or not indexed, %d %s, %d left partial (a version missing), %d changed meanwhile (run again); %d read requests; cursor %d\n",
		r.Tickets, r.Partial, r.Completed, verb, r.Incomplete, r.Concurrent, r.Reads, r.Cursor)
	return nil
}
