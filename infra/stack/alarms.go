package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/store"
)

// IteratorAgeThreshold is how far a stream consumer may fall behind before
// someone is told: well before StreamMaxRecordAgeSecs sends records to the DLQ.
var IteratorAgeThreshold = awscdk.Duration_Minutes(jsii.Number(15))

// Alarms notifies operators through one encrypted SNS topic.
type Alarms struct {
	constructs.Construct
	Topic  awssns.Topic
	action awscloudwatch.IAlarmAction
}

// NewAlarms creates the alarm topic, encrypted with its own key (CloudWatch
// cannot publish to a topic under the AWS-managed SNS key), and subscribes
// cfg.AlarmEmail when set.
func NewAlarms(scope constructs.Construct, id string, cfg Config) *Alarms {
	a := &Alarms{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	key := awskms.NewKey(a.Construct, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Redress alarm topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removalPolicy(cfg),
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Stack_Of(a.Construct).Account()},
		},
	}), nil)
	a.Topic = awssns.NewTopic(a.Construct, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("Redress alarms (" + cfg.Stage + ")"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	if cfg.AlarmEmail != "" {
		a.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(cfg.AlarmEmail), nil))
	}
	a.action = awscloudwatchactions.NewSnsAction(a.Topic)
	return a
}

// Add alarms when metric crosses threshold in one five-minute period, and
// notifies on the way in and on recovery. No data means no problem.
func (a *Alarms) Add(id, description string, metric awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	alarm.AddAlarmAction(a.action)
	alarm.AddOkAction(a.action)
	return alarm
}

// period is the evaluation period of every alarm.
var period = awscdk.Duration_Minutes(jsii.Number(5))

// total and maximum are the statistics the alarms use.
func total() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: period}
}

func maximum() *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: period}
}

// Watch adds the stack's alarms: errors and throttles of every function,
// iterator age of every stream consumer, depth of every dead-letter queue,
// statistics failures, and server errors of the API.
func (a *Alarms) Watch(fns *Functions, streams *Streams, api *API) {
	for _, f := range fns.All() {
		id := *f.Function.Node().Id()
		a.Add(id+"Errors", "The "+f.Name+" function failed (any error in 5 minutes).",
			f.Function.MetricErrors(total()), 1)
		a.Add(id+"Throttles", "The "+f.Name+" function was throttled (any throttle in 5 minutes).",
			f.Function.MetricThrottles(total()), 1)
	}
	for _, c := range streams.Consumers {
		id := *c.Function.Node().Id()
		a.Add(id+"IteratorAge", "The "+c.Name+" stream consumer is more than "+*IteratorAgeThreshold.ToHumanString()+" behind the Main table.",
			c.Function.Metric(jsii.String("IteratorAge"), maximum()), *IteratorAgeThreshold.ToMilliseconds(nil))
		a.Add(id+"DLQDepth", "Stream batches of the "+c.Name+" consumer exhausted their retries; see docs/deploy.md (dead-letter queues).",
			c.DLQ.MetricApproximateNumberOfMessagesVisible(maximum()), 1)
	}
	// The history function logs statistics failures and goes on (history
	// must not wait for statistics), so its Errors alarm never sees them.
	failures := awslogs.NewMetricFilter(a.Construct, jsii.String("StatisticsFailuresFilter"), &awslogs.MetricFilterProps{
		LogGroup:        fns.LogGroups[FnHistory],
		FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(`"` + store.StatsNotAppliedLog + `"`)),
		MetricNamespace: jsii.String("Redress"),
		MetricName:      jsii.String("StatisticsFailures"),
		MetricValue:     jsii.String("1"),
	})
	a.Add("StatisticsFailures", "The history function could not apply some statistics (history is unaffected; the tickets' next changes correct them); see docs/sla.md.",
		failures.Metric(total()), 1)
	a.Add("API5xx", "The GraphQL API answered with server errors (any 5xx in 5 minutes).",
		api.HTTPAPI.MetricServerError(total()), 1)
}
