package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// Handler consumes batches of the Main table's stream.
type Handler struct {
	Log *slog.Logger
}

// Handle logs every record of the batch. It reports no batch item
// failures: logging cannot fail, and the response is the one Lambda
// expects with ReportBatchItemFailures enabled.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	for _, rec := range ev.Records {
		h.Log.InfoContext(ctx, "stream record",
			"eventName", rec.EventName,
			"keys", keys(rec.Change.Keys),
			"sequenceNumber", rec.Change.SequenceNumber,
		)
	}
	return events.DynamoDBEventResponse{}, nil
}

// keys renders key attributes as plain strings for the log; keys are
// always strings or numbers.
func keys(k map[string]events.DynamoDBAttributeValue) map[string]string {
	out := make(map[string]string, len(k))
	for name, v := range k {
		switch v.DataType() {
		case events.DataTypeString:
			out[name] = v.String()
		case events.DataTypeNumber:
			out[name] = v.Number()
		default:
			out[name] = "?"
		}
	}
	return out
}
