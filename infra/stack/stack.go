// Package stack is Redress's AWS infrastructure as a CDK (v2) stack: one
// construct per concern (data, functions, api, streams, events, alarms),
// composed here, with every permission granted in grants.go.
package stack

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/store"
)

// Props configures New.
type Props struct {
	awscdk.StackProps
	Config Config
	// AssetRoot holds <function>/bootstrap for every function (the Makefile
	// builds them into .build; tests pass infra/testdata/build).
	AssetRoot string
}

// StackProps pins the stack to the configuration's account and region; in
// dev without them the stack is environment-agnostic (Config.Account).
func StackProps(cfg Config) awscdk.StackProps {
	var env awscdk.Environment
	if cfg.Account != "" {
		env.Account = jsii.String(cfg.Account)
	}
	if cfg.Region != "" {
		env.Region = jsii.String(cfg.Region)
	}
	return awscdk.StackProps{Env: &env}
}

// Stack is a complete Redress deployment.
type Stack struct {
	awscdk.Stack

	Data      *Data
	Events    *Events
	Functions *Functions
	API       *API
	Streams   *Streams
	Directory *Directory
	// Notify is nil unless Config.NotifyFrom is set.
	Notify    *Notify
	Intake    *Intake
	Alarms    *Alarms
	Dashboard awscloudwatch.Dashboard
	// Attachments is the evidence-file bucket and its malware scanning.
	Attachments *Attachments
}

// Environment variables the functions read (besides each table's EnvVar).
const (
	EnvEventBus         = "EVENT_BUS_NAME"
	EnvStage            = "STAGE"
	EnvLogLevel         = "LOG_LEVEL"
	EnvAllowRightsClaim = "ALLOW_RIGHTS_CLAIM"
	EnvAdminGroup       = "ADMIN_GROUP"
	EnvIntrospection    = "INTROSPECTION"
	EnvExplorer         = "EXPLORER"
	EnvUserPoolID       = "USER_POOL_ID" // staffsync only
)

// New builds the stack. It fails, instead of panicking inside jsii, when the
// configuration is invalid or a function's bootstrap has not been built.
func New(scope constructs.Construct, id string, props *Props) (*Stack, error) {
	cfg := props.Config
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := CheckAssets(props.AssetRoot, cfg); err != nil {
		return nil, err
	}
	sp := props.StackProps
	if sp.Description == nil {
		sp.Description = jsii.String("Redress grievance redress backend (" + cfg.Stage + ")")
	}
	s := &Stack{Stack: awscdk.NewStack(scope, jsii.String(id), &sp)}
	awscdk.Tags_Of(s.Stack).Add(jsii.String("app"), jsii.String("redress"), nil)
	awscdk.Tags_Of(s.Stack).Add(jsii.String("stage"), jsii.String(cfg.Stage), nil)

	s.Data = NewData(s.Stack, "Data", cfg)
	s.Events = NewEvents(s.Stack, "Events")

	env := map[string]*string{
		EnvEventBus:         s.Events.Bus.EventBusName(),
		EnvStage:            jsii.String(cfg.Stage),
		EnvLogLevel:         jsii.String(cfg.LogLevel),
		EnvAllowRightsClaim: jsii.String(strconv.FormatBool(cfg.AllowRightsClaim)),
		EnvAdminGroup:       jsii.String(cfg.AdminGroup),
		EnvIntrospection:    jsii.String(strconv.FormatBool(cfg.Introspection)),
		EnvExplorer:         jsii.String(strconv.FormatBool(cfg.Explorer)),
	}
	for _, t := range store.Tables() {
		env[t.EnvVar] = s.Data.Tables[t.Name].TableName()
	}
	s.Attachments = NewAttachments(s.Stack, "Attachments", cfg)
	s.Functions = NewFunctions(s.Stack, "Functions", &FunctionsProps{Config: cfg, AssetRoot: props.AssetRoot, Environment: env})
	// Only the functions that touch files learn where they are.
	for _, fn := range []awslambda.Function{s.Functions.GraphQL, s.Functions.ScanResult} {
		fn.AddEnvironment(jsii.String(EnvAttachmentsBucket), s.Attachments.Bucket.BucketName(), nil)
		fn.AddEnvironment(jsii.String(EnvAttachmentsKey), s.Attachments.Key.KeyArn(), nil)
	}
	s.Attachments.Route(s.Functions.ScanResult, s.Events)
	s.Intake = NewIntake(s.Stack, "Intake", cfg, s.Functions.SMS)
	s.Functions.Intake.AddEnvironment(jsii.String(EnvWebhookSecretARN), s.Intake.Secret.SecretArn(), nil)
	if cfg.PublicURL != "" {
		s.Functions.Intake.AddEnvironment(jsii.String(EnvPublicURL), jsii.String(cfg.PublicURL), nil)
	}
	s.API = NewAPI(s.Stack, "API", &APIProps{Config: cfg, Handler: s.Functions.GraphQL, Authorizer: s.Functions.Authorizer, Public: s.Functions.Intake})
	s.Streams = NewStreams(s.Stack, "Streams", s.Data.Main(),
		Named{FnHistory, s.Functions.History}, Named{FnTasks, s.Functions.Tasks})
	if s.Functions.SLA != nil {
		s.Events.Every("SLASchedule", SLAInterval, s.Functions.SLA)
	}
	dp := &DirectoryProps{Config: cfg, Importer: s.Functions.Importer, StaffSync: s.Functions.StaffSync, Events: s.Events}
	if s.API.UserPool != nil {
		dp.UserPool = s.API.UserPool
	}
	s.Directory = NewDirectory(s.Stack, "Directory", dp)
	if s.Functions.Notifier != nil {
		s.Notify = NewNotify(s.Stack, "Notify", cfg, s.Events, s.Functions.Notifier)
	}
	grant(s)
	s.Alarms = NewAlarms(s.Stack, "Alarms", cfg)
	s.Alarms.Watch(s.Functions, s.Streams, s.API, s.Data, s.Events)
	if s.Notify != nil {
		s.Alarms.WatchNotify(s.Notify)
	}
	// After every alarm exists: the topic key names each of them.
	s.Alarms.AllowCloudWatch()
	s.Dashboard = NewDashboard(s.Stack, "Dashboard", s)
	s.outputs(cfg)
	return s, nil
}

// Output keys (cdk deploy --outputs-file writes them per stack).
const (
	OutAPIURL         = "ApiUrl"
	OutGraphQLURL     = "GraphQLUrl"
	OutUserPoolID     = "UserPoolId"
	OutUserPoolClient = "UserPoolClientId"
	OutIssuer         = "JwtIssuer"
	OutBusName        = "EventBusName"
	OutAlarmTopic     = "AlarmTopicArn"
	OutRegion         = "Region"
	OutBucket         = "AttachmentsBucket"
	OutImportBucket   = "ImportBucketName"
	OutStaffSync      = "StaffSyncFunctionName"
	OutNotifyDLQ      = "NotifierDLQUrl"
	OutIntakeURL      = "IntakeUrl"
	OutSMSTopic       = "InboundSmsTopicArn"
	OutWebhookSecret  = "WebhookSecretArn"
)

func (s *Stack) outputs(cfg Config) {
	out := func(key, description string, value *string) {
		awscdk.NewCfnOutput(s.Stack, jsii.String(key), &awscdk.CfnOutputProps{
			Value: value, Description: jsii.String(description),
		})
	}
	out(OutAPIURL, "Base URL of the HTTP API", s.API.Stage.Url())
	out(OutGraphQLURL, "GraphQL endpoint (POST, Authorization: Bearer <JWT>)", s.API.URL())
	if s.API.UserPool != nil {
		out(OutUserPoolID, "Cognito user pool that issues the API's tokens", s.API.UserPool.UserPoolId())
		out(OutUserPoolClient, "Cognito app client (the JWT audience)", s.API.Client.UserPoolClientId())
		out(OutIssuer, "JWT issuer accepted by the API", s.API.UserPool.UserPoolProviderUrl())
	} else {
		out(OutIssuer, "JWT issuer accepted by the API", jsii.String(cfg.JWTIssuer))
	}
	for _, t := range store.Tables() {
		out(t.Name+"TableName", fmt.Sprintf("DynamoDB table %s (%s)", t.Name, t.EnvVar), s.Data.Tables[t.Name].TableName())
	}
	out(OutBusName, "EventBridge bus the functions publish to", s.Events.Bus.EventBusName())
	out(OutAlarmTopic, "SNS topic that receives every alarm", s.Alarms.Topic.TopicArn())
	out(OutRegion, "Region of the deployment", s.Region())
	out(OutBucket, "S3 bucket of attachments (private; files only through presigned URLs)", s.Attachments.Bucket.BucketName())
	out(OutImportBucket, "Bucket for registry imports (imports/ in, reports/ out)", s.Directory.Bucket.BucketName())
	if s.Notify != nil {
		out(OutNotifyDLQ, "Dead-letter queue of notifications that kept failing (docs/notifications.md)", s.Notify.QueueDLQ.QueueUrl())
	}
	out(OutIntakeURL, "Public complaint form (GET) and JSON intake (POST), no token", jsii.String(*s.API.Stage.Url()+"intake"))
	out(OutSMSTopic, "SNS topic for the two-way channel of the programme's End User Messaging phone number", s.Intake.Topic.TopicArn())
	out(OutWebhookSecret, "Secret to hold the Twilio auth token of POST /webhooks/twilio", s.Intake.Secret.SecretArn())
	if s.Functions.StaffSync != nil {
		out(OutStaffSync, "Function that syncs staff from the user pool (invoke it for an immediate sync)", s.Functions.StaffSync.FunctionName())
	}
}
