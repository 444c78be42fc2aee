package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// IntakeRoutes are the public routes of the HTTP API (docs/intake.md):
// served by the intake function, without the JWT authorizer, throttled
// per route below the stage's limit.
var IntakeRoutes = []struct{ Method, Path string }{
	{"GET", "/intake"}, {"POST", "/intake"}, {"POST", "/track"}, {"POST", "/webhooks/twilio"},
}

// Environment variables of the intake functions.
const (
	EnvWebhookSecretARN = "WEBHOOK_SECRET_ARN"
	EnvPublicURL        = "PUBLIC_URL"
)

// Intake is the inbound side of the public channels: the SNS topic AWS End
// User Messaging SMS publishes inbound messages to (a phone number's
// two-way channel points at it; docs/intake.md), the sms function's
// subscription, and the secret holding the Twilio webhook's auth token.
type Intake struct {
	constructs.Construct
	Topic  awssns.Topic
	Secret awssecretsmanager.Secret
}

// NewIntake creates the topic and the secret and subscribes smsFn.
func NewIntake(scope constructs.Construct, id string, cfg Config, smsFn awslambda.IFunction) *Intake {
	in := &Intake{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	// The topic has its own key: End User Messaging cannot publish to a
	// topic under the AWS-managed SNS key.
	key := awskms.NewKey(in.Construct, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Redress inbound SMS topic"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removalPolicy(cfg),
	})
	account := awscdk.Stack_Of(in.Construct).Account()
	smsService := awsiam.NewServicePrincipal(jsii.String("sms-voice.amazonaws.com"), nil)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEndUserMessagingToPublish"),
		Principals: &[]awsiam.IPrincipal{smsService},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"), // in a key policy, "*" is this key
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": account}},
	}), nil)
	in.Topic = awssns.NewTopic(in.Construct, jsii.String("InboundSMS"), &awssns.TopicProps{
		DisplayName: jsii.String("Redress inbound SMS (" + cfg.Stage + ")"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	in.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowEndUserMessagingToPublish"),
		Principals: &[]awsiam.IPrincipal{smsService},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{in.Topic.TopicArn()},
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": account}},
	}))
	in.Topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(smsFn, nil))

	in.Secret = awssecretsmanager.NewSecret(in.Construct, jsii.String("WebhookToken"), &awssecretsmanager.SecretProps{
		Description:   jsii.String("Twilio auth token that signs the inbound-SMS webhook (docs/intake.md); set it with put-secret-value"),
		RemovalPolicy: removalPolicy(cfg),
	})
	nagSuppress(in.Secret, "AwsSolutions-SMG4",
		"The value is the aggregator's auth token: it is rotated at the aggregator (Twilio console), then stored here with put-secret-value; a Lambda rotation cannot rotate it.")
	return in
}
