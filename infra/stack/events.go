package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// SLAInterval is how often the service-level function runs.
var SLAInterval = awscdk.Duration_Minutes(jsii.Number(15))

// ArchiveRetentionDays is how long the bus's archive keeps every event, so
// that a consumer (in this account or another) that was down or wrong can
// have them replayed.
const ArchiveRetentionDays = 30

// Events holds the custom event bus that the tasks and sla functions
// publish to, its archive, and the schedules that start functions.
type Events struct {
	constructs.Construct
	Bus     awsevents.EventBus
	Archive awsevents.CfnArchive
	// Rules are the stack's rules, each with the dead-letter queue that
	// receives the events its target could not take.
	Rules []*Rule
}

// Rule is one EventBridge rule with its dead-letter queue.
type Rule struct {
	Name string
	Rule awsevents.CfnRule
	DLQ  awssqs.Queue
}

// NewEvents creates the bus (its name is generated; functions learn it from
// EVENT_BUS_NAME) and an archive of every event on it.
func NewEvents(scope constructs.Construct, id string) *Events {
	e := &Events{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	e.Bus = awsevents.NewEventBus(e.Construct, jsii.String("Bus"), &awsevents.EventBusProps{
		Description: jsii.String("Redress domain events (ticket tasks, service-level breaches)"),
	})
	// No event pattern: the archive keeps every event of the bus.
	e.Archive = awsevents.NewCfnArchive(e.Construct, jsii.String("Archive"), &awsevents.CfnArchiveProps{
		SourceArn:     e.Bus.EventBusArn(),
		Description:   jsii.String("Every Redress domain event, for replay after a consumer outage"),
		RetentionDays: jsii.Number(ArchiveRetentionDays),
	})
	return e
}

// Every runs fn on a fixed rate. Missed runs are not worth retrying for
// long: the next run is at most one interval away.
//
// The rule is written at the CloudFormation level: the L2 Lambda target
// lives in awseventstargets, whose imports (ECS, RDS, AppSync, Route 53 …)
// add a fifth to the compile time of the whole app.
//
// Events the target could not take after the retries go to the rule's own
// dead-letter queue (grants.go lets EventBridge send to it; alarms.go
// watches its depth).
func (e *Events) Every(id string, rate awscdk.Duration, fn awslambda.IFunction) awsevents.CfnRule {
	dlq := deadLetterQueue(e.Construct, id+"DLQ",
		"This queue is itself the dead-letter queue of an EventBridge rule's target; nothing consumes it that could fail into another queue.")
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
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
		}},
	})
	e.Rules = append(e.Rules, &Rule{Name: id, Rule: rule, DLQ: dlq})
	fn.AddPermission(jsii.String(id+"Invoke"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		SourceArn: rule.AttrArn(),
	})
	return rule
}
