package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/store"
)

// NewDashboard creates the stack's one CloudWatch dashboard: what the
// alarms watch, as graphs, so that an operator who got an alarm sees its
// neighbours. Its name is generated, like every other resource's.
func NewDashboard(scope constructs.Construct, id string, s *Stack) awscloudwatch.Dashboard {
	d := awscloudwatch.NewDashboard(scope, jsii.String(id), &awscloudwatch.DashboardProps{})
	graph := func(title string, left ...awscloudwatch.IMetric) awscloudwatch.IWidget {
		return awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(title), Left: &left, Width: jsii.Number(8), Height: jsii.Number(6),
		})
	}
	api := s.API.HTTPAPI
	d.AddWidgets(
		graph("API requests", api.MetricCount(total())),
		graph("API 4xx / 5xx", api.MetricClientError(total()), api.MetricServerError(total())),
		graph("API latency p50 / p99", api.MetricLatency(percentile("p50")), api.MetricLatency(percentile("p99"))),
	)

	var errs, throttles, durations []awscloudwatch.IMetric
	for _, f := range s.Functions.All() {
		label := &awscloudwatch.MetricOptions{Label: jsii.String(f.Name), Period: period}
		errs = append(errs, f.Function.MetricErrors(withStat(label, "Sum")))
		throttles = append(throttles, f.Function.MetricThrottles(withStat(label, "Sum")))
		durations = append(durations, f.Function.MetricDuration(withStat(label, "p99")))
	}
	d.AddWidgets(
		graph("Function errors", errs...),
		graph("Function throttles", throttles...),
		graph("Function duration p99", durations...),
	)

	var age, depth []awscloudwatch.IMetric
	for _, c := range s.Streams.Consumers {
		age = append(age, c.Function.Metric(jsii.String("IteratorAge"), &awscloudwatch.MetricOptions{Label: jsii.String(c.Name), Statistic: jsii.String("Maximum"), Period: period}))
		depth = append(depth, c.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Label: jsii.String(c.Name + " DLQ"), Statistic: jsii.String("Maximum"), Period: period}))
	}
	for _, r := range s.Events.Rules {
		depth = append(depth, r.DLQ.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Label: jsii.String(r.Name + " DLQ"), Statistic: jsii.String("Maximum"), Period: period}))
	}
	var tables []awscloudwatch.IMetric
	for _, def := range store.Tables() {
		tables = append(tables, tableThrottles(s.Data.Tables[def.Name], def.Name))
	}
	widgets := []awscloudwatch.IWidget{
		graph("Stream iterator age (ms)", age...),
		graph("Dead-letter queue depth", depth...),
		graph("DynamoDB throttled requests (Main, History)", tables...),
	}
	if s.Functions.SLA != nil {
		widgets = append(widgets, graph("SLA sweep heartbeat (successful runs per 30 min)", slaHeartbeat(s.Functions.SLA)))
	}
	d.AddWidgets(widgets...)
	return d
}

func withStat(o *awscloudwatch.MetricOptions, stat string) *awscloudwatch.MetricOptions {
	c := *o
	c.Statistic = jsii.String(stat)
	return &c
}
