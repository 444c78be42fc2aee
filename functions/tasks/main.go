// Command tasks is the Lambda function that turns changes of the Main
// table (from its stream) into business events on the EventBridge bus
// named by EVENT_BUS_NAME: one event per fact (ticket created, staff
// assigned, status changed, resolved, reopened, deleted, comment created)
// and task requests for the task system. shared/bus defines the events;
// docs/events.md documents them.
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
	svc := grievance.NewService(store.New(cfg, names), time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Publisher: &Publisher{API: eventbridge.NewFromConfig(cfg), Bus: busName}, Config: svc, Log: log}
	lambda.Start(h.Handle)
}
