package stack

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsses"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
)

// Environment of the notifier (functions/notifier).
const (
	EnvNotifyQueueURL    = "NOTIFY_QUEUE_URL"
	EnvSESFrom           = "SES_FROM_ADDRESS"
	EnvSESConfigSet      = "SES_CONFIGURATION_SET"
	EnvSMSSenderID       = "SMS_SENDER_ID"
	EnvSMSOrigination    = "SMS_ORIGINATION_NUMBER"
	NotifyMaxReceive     = 10 // deliveries of a message before the queue dead-letters it
	NotifyMaxConcurrency = 2  // notifier instances: keeps the SMS rate under the account's limit
)

// Notifier rules: complainant events and staff events, each with its own
// dead-letter queue and alarm (docs/notifications.md).
var notifyRules = []struct {
	id, description string
	types           []string
}{
	{"ComplainantRule", "Ticket events the complainant is told about", []string{grievance.NoticeCreated, grievance.NoticeStatusChanged,
		grievance.NoticeResolved, grievance.NoticeReopened, grievance.NoticeAppealed, grievance.NoticePublicComment}},
	{"StaffRule", "Ticket events the attending staff and the escalation role are told about",
		[]string{grievance.NoticeStaffAssigned, grievance.NoticeOverdue, grievance.NoticeEscalated}},
}

// Notify connects the notifier: rules on the bus route the ticket events
// to its queue (a rule that cannot deliver puts the event in its own DLQ),
// the queue feeds the function in batches (a message that keeps failing
// goes to the queue's DLQ), SES sends from a verified identity through a
// configuration set, SNS sends SMS.
type Notify struct {
	constructs.Construct
	Queue    awssqs.Queue
	QueueDLQ awssqs.Queue
	// RuleDLQs by rule id.
	RuleDLQs  map[string]awssqs.Queue
	Rules     map[string]awsevents.CfnRule
	Identity  awsses.EmailIdentity
	ConfigSet awsses.ConfigurationSet
}

// NewNotify creates the notifier's wiring around fn.
func NewNotify(scope constructs.Construct, id string, cfg Config, events *Events, fn awslambda.Function) *Notify {
	n := &Notify{Construct: constructs.NewConstruct(scope, jsii.String(id)), RuleDLQs: map[string]awssqs.Queue{}, Rules: map[string]awsevents.CfnRule{}}
	n.QueueDLQ = deadLetterQueue(n.Construct, "QueueDLQ", "This is the dead-letter queue of the notifier queue.")
	n.Queue = awssqs.NewQueue(n.Construct, jsii.String("Queue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// Six times the function timeout, as Lambda advises for SQS sources.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6 * *specs[FnNotifier].timeout.ToSeconds(nil))),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		DeadLetterQueue:   &awssqs.DeadLetterQueue{Queue: n.QueueDLQ, MaxReceiveCount: jsii.Number(NotifyMaxReceive)},
	})

	for _, r := range notifyRules {
		dlq := deadLetterQueue(n.Construct, r.id+"DLQ", "This is the dead-letter queue of an EventBridge rule target.")
		pattern, _ := json.Marshal(map[string][]string{"source": {bus.Source}, "detail-type": r.types})
		var pat map[string]any
		_ = json.Unmarshal(pattern, &pat)
		rule := awsevents.NewCfnRule(n.Construct, jsii.String(r.id), &awsevents.CfnRuleProps{
			Description:  jsii.String(r.description + " (" + strings.Join(r.types, ", ") + ")"),
			EventBusName: events.Bus.EventBusName(),
			EventPattern: pat,
			State:        jsii.String("ENABLED"),
			Targets: &[]interface{}{&awsevents.CfnRule_TargetProperty{
				Id:               jsii.String("NotifierQueue"),
				Arn:              n.Queue.QueueArn(),
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
				RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
					MaximumRetryAttempts: jsii.Number(185), MaximumEventAgeInSeconds: jsii.Number(86400),
				},
			}},
		})
		// EventBridge may send to the queue and to the DLQ for this rule only.
		for _, q := range []awssqs.Queue{n.Queue, dlq} {
			q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:        jsii.String("EventBridge" + r.id),
				Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
				Actions:    jsii.Strings("sqs:SendMessage"),
				Resources:  &[]*string{q.QueueArn()},
				Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": rule.AttrArn()}},
			}))
		}
		n.RuleDLQs[r.id], n.Rules[r.id] = dlq, rule
	}

	awslambda.NewEventSourceMapping(n.Construct, jsii.String("QueueSource"), &awslambda.EventSourceMappingProps{
		Target:                  fn,
		EventSourceArn:          n.Queue.QueueArn(),
		BatchSize:               jsii.Number(10),
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(NotifyMaxConcurrency),
	})

	identity := awsses.Identity_Email(jsii.String(cfg.NotifyFrom))
	if cfg.NotifyDomain != "" {
		identity = awsses.Identity_Domain(jsii.String(cfg.NotifyDomain))
	}
	n.ConfigSet = awsses.NewConfigurationSet(n.Construct, jsii.String("ConfigurationSet"), &awsses.ConfigurationSetProps{
		ReputationMetrics: jsii.Bool(true),
		SendingEnabled:    jsii.Bool(true),
		TlsPolicy:         awsses.ConfigurationSetTlsPolicy_REQUIRE,
	})
	n.Identity = awsses.NewEmailIdentity(n.Construct, jsii.String("Identity"), &awsses.EmailIdentityProps{
		Identity: identity, ConfigurationSet: n.ConfigSet,
	})

	fn.AddEnvironment(jsii.String(EnvNotifyQueueURL), n.Queue.QueueUrl(), nil)
	fn.AddEnvironment(jsii.String(EnvSESFrom), jsii.String(cfg.NotifyFrom), nil)
	fn.AddEnvironment(jsii.String(EnvSESConfigSet), n.ConfigSet.ConfigurationSetName(), nil)
	if cfg.SMSSenderID != "" {
		fn.AddEnvironment(jsii.String(EnvSMSSenderID), jsii.String(cfg.SMSSenderID), nil)
	}
	if cfg.SMSOriginationNumber != "" {
		fn.AddEnvironment(jsii.String(EnvSMSOrigination), jsii.String(cfg.SMSOriginationNumber), nil)
	}
	return n
}

// IdentityARN is the SES identity the notifier sends from.
func (n *Notify) IdentityARN() *string {
	return awscdk.Arn_Format(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("identity"),
		ResourceName: n.Identity.EmailIdentityName()}, awscdk.Stack_Of(n.Construct))
}

// ConfigSetARN is the configuration set every e-mail names.
func (n *Notify) ConfigSetARN() *string {
	return awscdk.Arn_Format(&awscdk.ArnComponents{Service: jsii.String("ses"), Resource: jsii.String("configuration-set"),
		ResourceName: n.ConfigSet.ConfigurationSetName()}, awscdk.Stack_Of(n.Construct))
}
