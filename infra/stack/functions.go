package stack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Function names: the folder under functions/ that holds the main package
// and the folder under the asset root that holds its bootstrap.
const (
	FnGraphQL = "graphql"
	FnHistory = "history"
	FnTasks   = "tasks"
	FnSLA     = "sla"
	// FnAuthorizer is the openIMIS client mode's Lambda authorizer.
	FnAuthorizer = "authorizer"
	// FnScanResult applies malware scan results to attachments.
	FnScanResult = "scanresult"
	// Directory (directory.go): registry imports and the staff sync.
	FnImporter  = "importer"
	FnStaffSync = "staffsync"
	// Notifications (notify.go).
	FnNotifier = "notifier"
	// Public intake (intake.go): the public routes and inbound SMS.
	FnIntake = "intake"
	FnSMS    = "sms"
)

// spec sizes one function.
type spec struct {
	name        string
	id          string // construct id
	description string
	memoryMB    float64
	timeout     awscdk.Duration
	// recursive allows the function to invoke itself through another
	// service (Lambda's recursive-loop detection would stop the chain).
	recursive bool
}

var specs = map[string]spec{
	FnGraphQL: {FnGraphQL, "GraphQL", "Redress GraphQL API (API Gateway HTTP API, payload v2)", 512, awscdk.Duration_Seconds(jsii.Number(15)), false},
	FnHistory: {FnHistory, "History", "Redress history writer (Main table stream to History table)", 256, awscdk.Duration_Seconds(jsii.Number(30)), false},
	FnTasks:   {FnTasks, "Tasks", "Redress task events (Main table stream to EventBridge)", 256, awscdk.Duration_Seconds(jsii.Number(30)), false},
	FnSLA:     {FnSLA, "SLA", "Redress service-level sweep (every 15 minutes)", 256, awscdk.Duration_Minutes(jsii.Number(2)), false},
	// Every request of the client mode waits for it: small, quick, and
	// short of time rather than of memory (the JWKS is cached).
	FnAuthorizer: {FnAuthorizer, "Authorizer", "Redress openIMIS client mode authorizer (bearer token or JWT cookie)", 256, awscdk.Duration_Seconds(jsii.Number(5)), false},
	// The importer continues a long file in further invocations; a long
	// timeout only makes the chunks fewer.
	// It continues through state objects in its own bucket (a bounded
	// chain: functions/importer MaxChunks).
	FnImporter:  {FnImporter, "Importer", "Redress registry import (import bucket notifications)", 1024, awscdk.Duration_Minutes(jsii.Number(15)), true},
	FnStaffSync: {FnStaffSync, "StaffSync", "Redress staff sync from the user pool (hourly and on demand)", 256, awscdk.Duration_Minutes(jsii.Number(5)), false},
	// intake and sms hash tracking secrets (PBKDF2): memory buys the CPU.
	FnIntake: {FnIntake, "Intake", "Redress public intake (web form, /intake, /track, webhooks)", 512, awscdk.Duration_Seconds(jsii.Number(10)), false},
	FnSMS:    {FnSMS, "SMS", "Redress inbound SMS (End User Messaging via SNS) and replies", 512, awscdk.Duration_Seconds(jsii.Number(30)), false},
	FnScanResult: {FnScanResult, "ScanResult", "Redress attachment scan results (GuardDuty Malware Protection for S3)", 256,
		awscdk.Duration_Seconds(jsii.Number(60)), false},
	FnNotifier: {FnNotifier, "Notifier", "Redress notifications (ticket events to SMS and e-mail)", 256, awscdk.Duration_Seconds(jsii.Number(60)), false},
}

// FunctionNames lists the functions a configuration deploys, in a fixed order.
func FunctionNames(cfg Config) []string {
	names := []string{FnGraphQL, FnHistory, FnTasks}
	if cfg.SLA {
		names = append(names, FnSLA)
	}
	if cfg.OpenIMISClient {
		names = append(names, FnAuthorizer)
	}
	names = append(names, FnScanResult)
	names = append(names, FnImporter)
	if cfg.CreatesUserPool() {
		names = append(names, FnStaffSync)
	}
	if cfg.Notifies() {
		names = append(names, FnNotifier)
	}
	return append(names, FnIntake, FnSMS)
}

// CheckAssets reports the first function whose prebuilt bootstrap is missing
// under root (awslambda.Code_FromAsset would panic instead).
func CheckAssets(root string, cfg Config) error {
	for _, name := range FunctionNames(cfg) {
		p := filepath.Join(root, name, "bootstrap")
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return fmt.Errorf("missing %s: build the functions first (make build-lambdas), or pass context assetRoot", p)
		}
	}
	return nil
}

// FunctionsProps configures NewFunctions.
type FunctionsProps struct {
	Config Config
	// AssetRoot holds <name>/bootstrap for every function.
	AssetRoot string
	// Environment is given to every function.
	Environment map[string]*string
}

// Functions are Redress's Go Lambda functions: provided.al2023 on arm64,
// each with its own role (no managed policies; grants.go adds exactly what
// it needs) and its own log group with the configured retention.
type Functions struct {
	constructs.Construct

	GraphQL awslambda.Function
	History awslambda.Function
	Tasks   awslambda.Function
	// SLA is nil unless Config.SLA is set.
	SLA awslambda.Function
	// Authorizer is nil unless Config.OpenIMISClient is set.
	Authorizer awslambda.Function
	ScanResult awslambda.Function
	Importer   awslambda.Function
	// StaffSync is nil when the stack does not own the user pool.
	StaffSync awslambda.Function
	// Notifier is nil unless Config.NotifyFrom is set.
	Notifier awslambda.Function
	// Intake serves the public routes; SMS the inbound SMS topic.
	Intake awslambda.Function
	SMS    awslambda.Function

	// LogGroups maps a function name to its log group.
	LogGroups map[string]awslogs.LogGroup
}

// NewFunctions creates the functions; their code must exist (CheckAssets).
func NewFunctions(scope constructs.Construct, id string, props *FunctionsProps) *Functions {
	f := &Functions{
		Construct: constructs.NewConstruct(scope, jsii.String(id)),
		LogGroups: map[string]awslogs.LogGroup{},
	}
	retention, err := retentionDays(props.Config.LogRetentionDays)
	if err != nil {
		panic(err) // Config.Validate rejects this first
	}
	env := map[string]*string{}
	for k, v := range props.Environment {
		env[k] = v
	}
	for _, name := range FunctionNames(props.Config) {
		s := specs[name]
		logs := awslogs.NewLogGroup(f.Construct, jsii.String(s.id+"Logs"), &awslogs.LogGroupProps{
			Retention:     retention,
			RemovalPolicy: removalPolicy(props.Config),
		})
		role := awsiam.NewRole(f.Construct, jsii.String(s.id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("Execution role of the " + name + " function"),
		})
		loop := awslambda.RecursiveLoop_TERMINATE
		if s.recursive {
			loop = awslambda.RecursiveLoop_ALLOW
		}
		fn := awslambda.NewFunction(f.Construct, jsii.String(s.id), &awslambda.FunctionProps{
			RecursiveLoop: loop,
			Description:   jsii.String(s.description),
			Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:  awslambda.Architecture_ARM_64(),
			Handler:       jsii.String("bootstrap"),
			Code:          awslambda.Code_FromAsset(jsii.String(filepath.Join(props.AssetRoot, name)), nil),
			MemorySize:    jsii.Number(s.memoryMB),
			Timeout:       s.timeout,
			Role:          role,
			LogGroup:      logs,
			LoggingFormat: awslambda.LoggingFormat_JSON,
			// Lambda filters the JSON log by these levels before it is
			// stored: left at their INFO default, LOG_LEVEL=debug would
			// never show.
			ApplicationLogLevelV2: applicationLogLevel(props.Config.LogLevel),
			SystemLogLevelV2:      systemLogLevel(props.Config.LogLevel),
			Environment:           &env,
		})
		// Active tracing set on the CloudFormation resource: the L2 Tracing
		// prop would also add its own X-Ray statement to the role, outside
		// grants.go.
		fn.Node().DefaultChild().(awslambda.CfnFunction).SetTracingConfig(&awslambda.CfnFunction_TracingConfigProperty{
			Mode: jsii.String("Active"),
		})
		if name == FnGraphQL && props.Config.APIConcurrency > 0 {
			fn.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(float64(props.Config.APIConcurrency)))
		}
		f.LogGroups[name] = logs
		switch name {
		case FnGraphQL:
			f.GraphQL = fn
		case FnHistory:
			f.History = fn
		case FnTasks:
			f.Tasks = fn
		case FnSLA:
			f.SLA = fn
		case FnAuthorizer:
			f.Authorizer = fn
		case FnScanResult:
			f.ScanResult = fn
		case FnImporter:
			f.Importer = fn
		case FnStaffSync:
			f.StaffSync = fn
		case FnNotifier:
			f.Notifier = fn
		case FnIntake:
			f.Intake = fn
		case FnSMS:
			f.SMS = fn
		}
	}
	return f
}

// Named is a function with its name, for loops in a fixed order.
type Named struct {
	Name     string
	Function awslambda.Function
}

// All returns the deployed functions in a fixed order.
func (f *Functions) All() []Named {
	all := []Named{{FnGraphQL, f.GraphQL}, {FnHistory, f.History}, {FnTasks, f.Tasks}}
	if f.SLA != nil {
		all = append(all, Named{FnSLA, f.SLA})
	}
	if f.Authorizer != nil {
		all = append(all, Named{FnAuthorizer, f.Authorizer})
	}
	all = append(all, Named{FnScanResult, f.ScanResult})
	all = append(all, Named{FnImporter, f.Importer})
	if f.StaffSync != nil {
		all = append(all, Named{FnStaffSync, f.StaffSync})
	}
	if f.Notifier != nil {
		all = append(all, Named{FnNotifier, f.Notifier})
	}
	return append(all, Named{FnIntake, f.Intake}, Named{FnSMS, f.SMS})
}

// applicationLogLevel maps LOG_LEVEL (platform.Level's names) to Lambda's
// application log filter, so that what the function logs is what is kept.
func applicationLogLevel(level string) awslambda.ApplicationLogLevel {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return awslambda.ApplicationLogLevel_DEBUG
	case "warn":
		return awslambda.ApplicationLogLevel_WARN
	case "error":
		return awslambda.ApplicationLogLevel_ERROR
	}
	return awslambda.ApplicationLogLevel_INFO
}

// systemLogLevel keeps Lambda's own START/END/REPORT lines (INFO) unless
// the stage logs only warnings or errors; it has no ERROR level.
func systemLogLevel(level string) awslambda.SystemLogLevel {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "debug":
		return awslambda.SystemLogLevel_DEBUG
	case "warn", "error":
		return awslambda.SystemLogLevel_WARN
	}
	return awslambda.SystemLogLevel_INFO
}
