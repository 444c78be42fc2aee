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
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	fn := platform.Start(context.Background())
	pub := &bus.Publisher{API: eventbridge.NewFromConfig(fn.AWS), Bus: fn.Required("EVENT_BUS_NAME")}
	st := store.New(fn.AWS, fn.Tables)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Store: st, Config: svc, Publisher: pub, Now: time.Now, NewID: uuid.NewString, Log: fn.Log}
	lambda.Start(h.Handle)
}
