package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SLAInterval is how often the service-level function runs.
var SLAInterval = awscdk.Duration_Minutes(jsii.Number(15))

// Events holds the custom event bus that the tasks and sla functions
// publish to, and the schedules that start functions.
type Events struct {
	constructs.Construct
	Bus awsevents.EventBus
}

// NewEvents creates the bus (its name is generated; functions learn it from
// EVENT_BUS_NAME).
func NewEvents(scope constructs.Construct, id string) *Events {
	e := &Events{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	e.Bus = awsevents.NewEventBus(e.Construct, jsii.String("Bus"), &awsevents.EventBusProps{
		Description: jsii.String("Redress domain events (ticket tasks, service-level breaches)"),
	})
	return e
}

// Every runs fn on a fixed rate. Missed runs are not worth retrying for
// long: the next run is at most one interval away.
func (e *Events) Every(id string, rate awscdk.Duration, fn awslambda.IFunction) awsevents.Rule {
	return awsevents.NewRule(e.Construct, jsii.String(id), &awsevents.RuleProps{
		Description: jsii.String("Starts the " + *fn.Node().Id() + " function every " + *rate.ToHumanString()),
		Schedule:    awsevents.Schedule_Rate(rate),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			RetryAttempts: jsii.Number(2),
			MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(10)),
		})},
	})
}
