// Command tasks is the Lambda function that turns changes of the Main
// table (from its stream) into business events on the EventBridge bus
// named by EVENT_BUS_NAME: one event per fact (ticket created, staff
// assigned, status changed, resolved, reopened, deleted, comment created, comment made public)
// and task requests for the task system. shared/bus defines the events;
// docs/events.md documents them.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	h := &Handler{Publisher: fn.Publisher(), Config: fn.Service(fn.Store(), grievance.Options{}), Log: fn.Log}
	lambda.Start(h.Handle)
}
