package stack_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/infra/stack"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the notifier is deployed only with a sender, and that its rules
// route exactly the ticket events to its queue, each rule with a
// dead-letter queue, the queue feeding the function in reported batches
// and dead-lettering what keeps failing.
func TestNotify_RulesQueueAndMapping(t *testing.T) {
	if synth(t, "dev").stack.Notify != nil || synth(t, "dev").stack.Functions.Notifier != nil {
		t.Fatal("dev (no notifyFrom) deploys the notifier")
	}
	s := synth(t, "prod")
	n := s.stack.Notify
	queue := getAtt(s.id(n.Queue), "Arn")
	for id, types := range map[string][]any{
		"ComplainantRule": {"ticket.created", "ticket.status-changed", "ticket.resolved", "ticket.reopened", "ticket.appealed", "comment.made-public"},
		"StaffRule":       {"ticket.staff-assigned", "ticket.overdue", "ticket.escalated"},
	} {
		must(t, id, func() {
			s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
				"EventBusName": ref(s.id(s.stack.Events.Bus)),
				"EventPattern": map[string]any{"source": []any{"redress.grievance"}, "detail-type": types},
				"Targets": []any{assertions.Match_ObjectLike(&map[string]any{"Arn": queue,
					"DeadLetterConfig": map[string]any{"Arn": getAtt(s.id(n.RuleDLQs[id]), "Arn")}})},
			})
		})
	}
	must(t, "queue dead-letters after 10 receives", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SQS::Queue"), map[string]any{
			"RedrivePolicy":        map[string]any{"deadLetterTargetArn": getAtt(s.id(n.QueueDLQ), "Arn"), "maxReceiveCount": stack.NotifyMaxReceive},
			"SqsManagedSseEnabled": true, "VisibilityTimeout": 360,
		})
	})
	must(t, "mapping", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), map[string]any{
			"EventSourceArn": queue, "FunctionName": ref(s.id(s.stack.Functions.Notifier)), "BatchSize": 10,
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"}, "ScalingConfig": map[string]any{"MaximumConcurrency": stack.NotifyMaxConcurrency},
		})
	})
	must(t, "SES identity of the domain with its configuration set", func() {
		s.template.HasResourceProperties(jsii.String("AWS::SES::EmailIdentity"), map[string]any{
			"EmailIdentity": "example.org", "ConfigurationSetAttributes": map[string]any{"ConfigurationSetName": ref(s.id(n.ConfigSet))},
		})
	})
	must(t, "sender settings in the environment", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				stack.EnvSESFrom: "grm@example.org", stack.EnvSMSSenderID: "REDRESS", stack.EnvNotifyQueueURL: ref(s.id(n.Queue)),
				stack.EnvSESConfigSet: ref(s.id(n.ConfigSet))})},
		})
	})
	alarms := map[string]bool{}
	for _, r := range s.resources("AWS::CloudWatch::Alarm") {
		p := props(r)
		if d, ok := p["Dimensions"].([]any); ok && len(d) > 0 {
			alarms[p["MetricName"].(string)+" "+jsonString(d[0].(map[string]any)["Value"])] = true
		}
	}
	for what, k := range map[string]string{
		"complainant rule DLQ": "ApproximateNumberOfMessagesVisible " + jsonString(getAtt(s.id(n.RuleDLQs["ComplainantRule"]), "QueueName")),
		"staff rule DLQ":       "ApproximateNumberOfMessagesVisible " + jsonString(getAtt(s.id(n.RuleDLQs["StaffRule"]), "QueueName")),
		"queue DLQ":            "ApproximateNumberOfMessagesVisible " + jsonString(getAtt(s.id(n.QueueDLQ), "QueueName")),
		"queue age":            "ApproximateAgeOfOldestMessage " + jsonString(getAtt(s.id(n.Queue), "QueueName")),
	} {
		if !alarms[k] {
			t.Errorf("no alarm on the %s (%s)", what, k)
		}
	}
}

// Ensure the notifier's role holds exactly what its code calls: Main
// reads and delivery writes, the users index, its own queue, e-mail from
// its identity and configuration set, SMS with every topic denied.
func TestNotify_GrantsAreLeastPrivilege(t *testing.T) {
	s := synth(t, "prod")
	n, main := s.stack.Notify, s.id(s.stack.Data.Main())
	// prod is pinned to an account and region: the ARNs name them.
	arn := func(kind string, name any) string {
		return jsonString(map[string]any{"Fn::Join": []any{"", []any{"arn:aws:ses:eu-west-1:123456789012:" + kind + "/", name}}})
	}
	want := map[string]string{
		"Allow ReadMain dynamodb:BatchGetItem,dynamodb:GetItem,dynamodb:Query":                                       jsonString(getAtt(main, "Arn")),
		"Allow QueryUsersIndex dynamodb:Query":                                                                       jsonString(map[string]any{"Fn::Join": []any{"", []any{getAtt(main, "Arn"), "/index/" + store.IndexCategory}}}),
		"Allow ClaimDeliveries dynamodb:DeleteItem,dynamodb:PutItem,dynamodb:UpdateItem":                             jsonString(getAtt(main, "Arn")),
		"Allow TakeOwnQueue sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:ReceiveMessage": jsonString(getAtt(s.id(n.Queue), "Arn")),
		"Allow SendEmail ses:SendEmail":                                                                              "[" + arn("configuration-set", ref(s.id(n.ConfigSet))) + "," + arn("identity", ref(s.id(n.Identity))) + "]",
		"Allow SendSMS sns:Publish":                                                                                  `"*"`,
		"Deny NoTopicPublish sns:Publish":                                                                            `"arn:*:sns:*:*:*"`,
		"Allow WriteOwnLogs logs:CreateLogStream,logs:PutLogEvents":                                                  jsonString(getAtt(s.id(s.stack.Functions.LogGroups[stack.FnNotifier]), "Arn")),
		"Allow SendTraces xray:PutTelemetryRecords,xray:PutTraceSegments":                                            `"*"`,
	}
	role := s.id(s.stack.Functions.Notifier.Role())
	got := map[string]string{}
	for _, p := range s.resources("AWS::IAM::Policy") {
		if jsonString(props(p)["Roles"]) != jsonString([]any{ref(role)}) {
			continue
		}
		for _, st := range props(p)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
			st := st.(map[string]any)
			res := st["Resource"]
			if l, ok := res.([]any); ok && len(l) == 1 {
				res = l[0]
			}
			got[fmt.Sprintf("%s %s %s", st["Effect"], st["Sid"], strings.Join(sorted(strs(st["Action"])...), ","))] = jsonString(res)
		}
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s on %s,\nwant %s", k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected statement %s on %s", k, g)
		}
	}
}
