package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/store"
)

// Recorder records the history of a batch of stream records; *store.Store
// implements it. See store.(*Store).RecordHistory for the contract.
type Recorder interface {
	RecordHistory(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error)
}

// Aggregator applies a batch of stream records to the statistics
// aggregates; *store.Store implements it (store.(*Store).ApplyStats).
type Aggregator interface {
	ApplyStats(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error)
}

// Indexer keeps the text index of ticket titles and descriptions from a
// batch of stream records; *store.Store implements it
// (store.(*Store).ApplySearch).
type Indexer interface {
	ApplySearch(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error)
}

var (
	_ Recorder   = (*store.Store)(nil)
	_ Aggregator = (*store.Store)(nil)
	_ Indexer    = (*store.Store)(nil)
)

// Handler consumes batches of the Main table's stream: it records history
// and keeps the statistics aggregates. Both live in one function because a
// DynamoDB stream shard serves at most two readers well (the tasks
// function is the other), and both are idempotent per record, so
// retrying a record for one redoes nothing of the other.
type Handler struct {
	History Recorder
	// Stats, when set, maintains the statistics aggregates.
	Stats Aggregator
	// Search, when set, maintains the text index the same way: after
	// history, never failing a record (SearchNotAppliedLog and its alarm
	// instead), since a ticket's next change indexes it again whole.
	Search Indexer
	Log    *slog.Logger
}

// Handle records the batch and reports, as batch item failures, the first
// record that was not recorded and every record after it. Lambda retries
// from the lowest reported sequence number, so reporting the later records
// too changes nothing there, but it states the truth: none of them is
// recorded past the failure, which keeps each item's versions in order.
//
// A malformed record (an image that is not a ticket or comment item) is a
// poison record: it is logged with its sequence number and reported like
// any failure, never skipped silently, so the mapping's bounded retries
// move it to the on-failure destination (DLQ) and the shard moves on; the
// records before it are recorded, and those after it are delivered again
// without it. Handle never returns an error: that would fail and retry the
// whole batch, records already recorded included.
//
// Statistics come second and never fail a record: history is the audit
// trail, statistics a derived view. Reporting a statistics failure would
// make Lambda deliver the batch again from that record, and a failure that
// repeats (an aggregate DynamoDB refuses to grow) would hold back the
// history of every later record until the mapping gave up and sent it to
// the DLQ. So a statistics failure is logged (the StatisticsFailures alarm
// watches for it) and the batch goes on. Nothing is lost for good: a
// ticket's contribution item remembers what the aggregates hold for it, so
// the ticket's next change applies the whole difference, the missed one
// included; a batch delivered again for a history failure re-applies
// statistics idempotently.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	for _, rec := range ev.Records {
		h.Log.InfoContext(ctx, "stream record",
			"eventName", rec.EventName,
			"key", store.LogKey(rec.Change.Keys),
			"sequenceNumber", rec.Change.SequenceNumber,
		)
	}
	var resp events.DynamoDBEventResponse
	failed, err := h.History.RecordHistory(ctx, ev.Records)
	if (h.Stats != nil || h.Search != nil) && (failed != "" || err == nil) {
		// Aggregate what history recorded: the records before its failure.
		upTo := len(ev.Records)
		for i, rec := range ev.Records {
			if rec.Change.SequenceNumber == failed {
				upTo = i
			}
		}
		if upTo > 0 && h.Stats != nil {
			if sf, serr := h.Stats.ApplyStats(ctx, ev.Records[:upTo]); sf != "" || serr != nil {
				h.Log.ErrorContext(ctx, store.StatsNotAppliedLog, "sequenceNumber", sf, "err", serr)
			}
		}
		if upTo > 0 && h.Search != nil {
			// The index gets what time is left but a margin: a batch of
			// long texts must not run the function out of time, which
			// would fail the batch whose history is already recorded.
			sctx, cancel := ctx, context.CancelFunc(func() {})
			if dl, ok := ctx.Deadline(); ok {
				sctx, cancel = context.WithDeadline(ctx, dl.Add(-searchMargin))
			}
			if sf, serr := h.Search.ApplySearch(sctx, ev.Records[:upTo]); sf != "" || serr != nil {
				h.Log.ErrorContext(ctx, store.SearchNotAppliedLog, "sequenceNumber", sf, "err", serr)
			}
			cancel()
		}
	}
	if failed == "" {
		if err != nil {
			// The contract says this cannot happen; fail the batch rather
			// than lose a record.
			h.Log.ErrorContext(ctx, "history failed without a record", "err", err)
			return failAll(ev.Records), nil
		}
		return resp, nil
	}
	msg := "history not recorded, batch stopped"
	if errors.Is(err, store.ErrMalformedRecord) {
		msg = "malformed stream record (poison), batch stopped"
	}
	h.Log.ErrorContext(ctx, msg, "sequenceNumber", failed, "err", err)
	reporting := false
	for _, rec := range ev.Records {
		if rec.Change.SequenceNumber == failed {
			reporting = true
		}
		if reporting {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	if !reporting {
		h.Log.ErrorContext(ctx, "failed sequence number not in the batch", "sequenceNumber", failed)
		return failAll(ev.Records), nil
	}
	return resp, nil
}

// searchMargin is the time the text index leaves the function before its
// deadline, to log and answer.
const searchMargin = 3 * time.Second

func failAll(recs []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	for _, rec := range recs {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
	}
	return resp
}
