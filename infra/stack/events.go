package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
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
//
// The rule is written at the CloudFormation level: the L2 Lambda target
// lives in awseventstargets, whose imports (ECS, RDS, AppSync, Route 53 …)
// add a fifth to the compile time of the whole app.
func (e *Events) Every(id string, rate awscdk.Duration, fn awslambda.IFunction) awsevents.CfnRule {
	rule := awsevents.NewCfnRule(e.Construct, jsii.String(id), &awsevents.CfnRuleProps{
		Description:        jsii.String("Starts the " + *fn.Node().Id() + " function every " + *rate.ToHumanString()),
		ScheduleExpression: awsevents.Schedule_Rate(rate).ExpressionString(),
		State:              jsii.String("ENABLED"),
		Targets: &[]interface{}{&awsevents.CfnRule_TargetProperty{
			Id:  jsii.String("Function"),
			Arn: fn.FunctionArn(),
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(2),
				MaximumEventAgeInSeconds: jsii.Number(600),
			},
		}},
	})
	fn.AddPermission(jsii.String(id+"Invoke"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		SourceArn: rule.AttrArn(),
	})
	return rule
}
