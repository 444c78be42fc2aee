// Command tasks is the Lambda function that turns changes of the Main
// table (from its stream) into business events on the EventBridge bus
// named by EVENT_BUS_NAME: one event per fact (ticket created, staff
// assigned, status changed, resolved, reopened, deleted, comment created)
// and task requests for the task system. shared/bus defines the events;
// docs/events.md documents them.
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
	svc := grievance.NewService(store.New(fn.AWS, fn.Tables), time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Publisher: pub, Config: svc, Log: fn.Log}
	lambda.Start(h.Handle)
}
