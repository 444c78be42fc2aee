// Command sla is the Lambda function that sweeps service levels on a
// schedule (EventBridge, every 15 minutes; `go run ./infra/local run`
// every SLA_INTERVAL): it publishes ticket.overdue for open tickets whose
// due date ran out and escalates them by the levels configured per
// category (docs/sla.md). The handler (handler.go) holds the logic;
// shared/store the due-date index and the once-only markers.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	st := fn.Store()
	h := &Handler{Store: st, Config: fn.Service(st, grievance.Options{}), Publisher: fn.Publisher(),
		Now: time.Now, NewID: uuid.NewString, Log: fn.Log}
	lambda.Start(h.Handle)
}
