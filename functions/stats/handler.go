package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/store"
)

// Aggregator applies a batch of stream records to the statistics
// aggregates; *store.Store implements it. See store.(*Store).ApplyStats
// for the contract.
type Aggregator interface {
	ApplyStats(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error)
}

var _ Aggregator = (*store.Store)(nil)

// Handler consumes batches of the Main table's stream.
type Handler struct {
	Stats Aggregator
	Log   *slog.Logger
}

// Handle applies the batch and reports, as batch item failures, the first
// record not known to be applied and every record after it; Lambda
// retries from there, and records applied already change nothing when
// delivered again.
//
// A malformed record is a poison record: logged with its sequence number
// and reported, never skipped, so the mapping's bounded retries move it
// to the DLQ and the shard moves on. Handle never returns an error.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	failed, err := h.Stats.ApplyStats(ctx, ev.Records)
	if failed == "" {
		if err != nil {
			h.Log.ErrorContext(ctx, "statistics failed without a record", "err", err)
			return failFrom(ev.Records, 0), nil
		}
		h.Log.DebugContext(ctx, "statistics applied", "records", len(ev.Records))
		return resp, nil
	}
	msg := "statistics not applied, batch stopped"
	if errors.Is(err, store.ErrMalformedRecord) {
		msg = "malformed stream record (poison), batch stopped"
	}
	h.Log.ErrorContext(ctx, msg, "sequenceNumber", failed, "err", err)
	for i, rec := range ev.Records {
		if rec.Change.SequenceNumber == failed {
			return failFrom(ev.Records, i), nil
		}
	}
	h.Log.ErrorContext(ctx, "failed sequence number not in the batch", "sequenceNumber", failed)
	return failFrom(ev.Records, 0), nil
}

// failFrom reports recs[i:] as batch item failures.
func failFrom(recs []events.DynamoDBEventRecord, i int) events.DynamoDBEventResponse {
	var resp events.DynamoDBEventResponse
	for _, rec := range recs[i:] {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
	}
	return resp
}
