// Command history is the Lambda function that records every version of
// tickets and comments in the History table, from the Main table's stream,
// and keeps the statistics aggregates (docs/sla.md) and the text index of
// ticket titles and descriptions (docs/data-model.md) from the same records.
// The handler (handler.go) reports failures per record; shared/store owns
// the record shapes and the idempotent, batched writes.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	st := fn.Store()
	h := &Handler{History: st, Stats: st, Search: st, Log: fn.Log}
	lambda.Start(h.Handle)
}
