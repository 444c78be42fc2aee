// Command sla is the Lambda function that sweeps service levels on a
// schedule (EventBridge, every 15 minutes; `go run ./infra/local run`
// every SLA_INTERVAL): it publishes ticket.overdue for open tickets whose
// due date ran out and escalates them by the levels configured per
// category (docs/sla.md). The handler (handler.go) holds the logic;
// shared/store the due-date index and the once-only markers.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	log := platform.Logger()
	busName := os.Getenv("EVENT_BUS_NAME")
	if busName == "" {
		platform.Fatal(log, "configuration", errors.New("environment variable EVENT_BUS_NAME is not set"))
	}
	cfg, names, err := platform.AWS(context.Background())
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	st := store.New(cfg, names)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Store: st, Config: svc, Events: eventbridge.NewFromConfig(cfg), Bus: busName,
		Now: time.Now, NewID: uuid.NewString, Log: log}
	lambda.Start(h.Handle)
}
