package stack

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
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

// Alarms notifies operators through one encrypted SNS topic and, when the
// configuration names one, an existing topic of theirs.
type Alarms struct {
	constructs.Construct
	Topic   awssns.Topic
	actions []awscloudwatch.IAlarmAction
	// all are the alarms added so far; AllowCloudWatch scopes the topic's
	// policy to them.
	all []awscloudwatch.Alarm
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
	a.actions = []awscloudwatch.IAlarmAction{awscloudwatchactions.NewSnsAction(a.Topic)}
	if cfg.AlarmTopicARN != "" {
		external := awssns.Topic_FromTopicArn(a.Construct, jsii.String("ExternalTopic"), jsii.String(cfg.AlarmTopicARN))
		a.actions = append(a.actions, awscloudwatchactions.NewSnsAction(external))
	}
	return a
}

// AllowCloudWatch lets CloudWatch publish the stack's alarms to the topic:
// without it the topic's policy holds only the TLS Deny and no alarm would
// arrive. It is scoped to this account and to the alarms added so far, so
// it runs after every alarm is added (stack.New).
func (a *Alarms) AllowCloudWatch() {
	arns := make([]*string, len(a.all))
	for i, al := range a.all {
		arns[i] = al.AlarmArn()
	}
	a.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{a.Topic.TopicArn()},
		Conditions: &map[string]interface{}{
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Stack_Of(a.Construct).Account()},
			"ArnLike":      map[string]interface{}{"aws:SourceArn": &arns},
		},
	}))
}

// Add alarms when metric crosses threshold in one five-minute period, and
// notifies on the way in and on recovery. No data means no problem.
func (a *Alarms) Add(id, description string, metric awscloudwatch.IMetric, threshold float64) awscloudwatch.Alarm {
	return a.add(id, &awscloudwatch.AlarmProps{
		AlarmDescription:   jsii.String(description),
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		EvaluationPeriods:  jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// logged alarms on any log line of group holding message (a failure a
// function logs without failing), counted as the metric Redress/<id>.
func (a *Alarms) logged(group awslogs.ILogGroup, id, message, description string) {
	filter := awslogs.NewMetricFilter(a.Construct, jsii.String(id+"Filter"), &awslogs.MetricFilterProps{
		LogGroup:        group,
		FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(`"` + message + `"`)),
		MetricNamespace: jsii.String("Redress"),
		MetricName:      jsii.String(id),
		MetricValue:     jsii.String("1"),
	})
	a.Add(id, description, filter.Metric(total()), 1)
}

func (a *Alarms) add(id string, props *awscloudwatch.AlarmProps) awscloudwatch.Alarm {
	alarm := awscloudwatch.NewAlarm(a.Construct, jsii.String(id), props)
	for _, act := range a.actions {
		alarm.AddAlarmAction(act)
		alarm.AddOkAction(act)
	}
	a.all = append(a.all, alarm)
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

// Alarm thresholds beyond "any error".
var (
	// LatencyP99Threshold: the local load test's p99 is about 1–1.4 s
	// (docs/reliability.md); three such periods in a row are not a blip.
	LatencyP99Threshold      = awscdk.Duration_Seconds(jsii.Number(3))
	LatencyEvaluationPeriods = 3.0
	// SLASweepWindow: two runs of the 15-minute schedule without one that
	// succeeded means overdue tickets are no longer noticed.
	SLASweepWindow = awscdk.Duration_Minutes(jsii.Number(30))
)

// Watch adds the stack's alarms: errors and throttles of every function,
// iterator age of every stream consumer, depth of every dead-letter queue
// (stream consumers' and rules'), statistics failures, server errors and
// p99 latency of the API, throttled requests of every table, and a missing
// SLA sweep.
func (a *Alarms) Watch(fns *Functions, streams *Streams, api *API, data *Data, events *Events) {
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
	// The history function logs statistics and text index failures and
	// goes on (history must not wait for them), so its Errors alarm never
	// sees them: each is counted from its log line.
	a.logged(fns.LogGroups[FnHistory], "StatisticsFailures", store.StatsNotAppliedLog,
		"The history function could not apply some statistics (history is unaffected; the tickets' next changes correct them); see docs/sla.md.")
	a.logged(fns.LogGroups[FnHistory], "TextIndexFailures", store.SearchNotAppliedLog,
		"The history function could not update the text index for some tickets (history is unaffected; text searches may miss those tickets until their next change); see docs/data-model.md.")
	for _, r := range events.Rules {
		a.Add(r.Name+"DLQDepth", "Events of the "+r.Name+" rule could not be delivered to its target; see docs/deploy.md (dead-letter queues).",
			r.DLQ.MetricApproximateNumberOfMessagesVisible(maximum()), 1)
	}
	a.Add("API5xx", "The GraphQL API answered with server errors (any 5xx in 5 minutes).",
		api.HTTPAPI.MetricServerError(total()), 1)
	a.add("APILatencyP99", &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String(fmt.Sprintf("The GraphQL API's p99 latency was above %s for %v periods of 5 minutes in a row.",
			*LatencyP99Threshold.ToHumanString(), LatencyEvaluationPeriods)),
		Metric:             api.HTTPAPI.MetricLatency(percentile("p99")),
		Threshold:          LatencyP99Threshold.ToMilliseconds(nil),
		EvaluationPeriods:  jsii.Number(LatencyEvaluationPeriods),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	for _, def := range store.Tables() {
		a.Add(def.Name+"TableThrottles", "Requests to the "+def.Name+" table were throttled (read or write, any in 5 minutes).",
			tableThrottles(data.Tables[def.Name], def.Name), 1)
	}
	if fns.SLA != nil {
		a.add("SLASweepMissing", &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String("No SLA sweep succeeded in " + *SLASweepWindow.ToHumanString() +
				": overdue tickets are not being noticed or escalated (schedule disabled, function failing or throttled)."),
			Metric:             slaHeartbeat(fns.SLA),
			Threshold:          jsii.Number(1),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			// No data at all is the failure this alarm is for.
			TreatMissingData: awscloudwatch.TreatMissingData_BREACHING,
		})
	}
}

func percentile(p string) *awscloudwatch.MetricOptions {
	return &awscloudwatch.MetricOptions{Statistic: jsii.String(p), Period: period}
}

// tableThrottles sums a table's throttled reads and writes.
func tableThrottles(t awsdynamodb.Table, name string) awscloudwatch.IMetric {
	// Ids unique per table: the dashboard graphs every table's sum at once.
	r, w := strings.ToLower(name)+"_read", strings.ToLower(name)+"_write"
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(" + r + ", 0) + FILL(" + w + ", 0)"),
		Label:      jsii.String(name + " throttled requests"),
		Period:     period,
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			r: t.Metric(jsii.String("ReadThrottleEvents"), total()),
			w: t.Metric(jsii.String("WriteThrottleEvents"), total()),
		},
	})
}

// slaHeartbeat counts the sweep's successful runs over SLASweepWindow.
func slaHeartbeat(fn awslambda.Function) awscloudwatch.IMetric {
	window := &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: SLASweepWindow}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String("FILL(runs, 0) - FILL(failed, 0)"),
		Label:      jsii.String("successful SLA sweeps"),
		Period:     SLASweepWindow,
		UsingMetrics: &map[string]awscloudwatch.IMetric{
			"runs":   fn.MetricInvocations(window),
			"failed": fn.MetricErrors(window),
		},
	})
}

// WatchNotify alarms on every notifier dead-letter queue (a rule that
// could not deliver, a message that kept failing) and on a queue that
// stops draining.
func (a *Alarms) WatchNotify(n *Notify) {
	for _, r := range notifyRules {
		a.Add("Notify"+r.id+"DLQDepth", "Events of the notifier's "+r.id+" could not be delivered to its queue; see docs/notifications.md.",
			n.RuleDLQs[r.id].MetricApproximateNumberOfMessagesVisible(maximum()), 1)
	}
	a.Add("NotifyDLQDepth", "Notifications kept failing (provider refusals, throttling past the retries); see docs/notifications.md.",
		n.QueueDLQ.MetricApproximateNumberOfMessagesVisible(maximum()), 1)
	a.Add("NotifyQueueAge", "The notifier's queue holds an event older than 13 hours (longer than any quiet-hours deferral).",
		n.Queue.MetricApproximateAgeOfOldestMessage(maximum()), 13*3600)
}
