package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// This file is the only place that gives a function permissions. Each
// function gets the actions its code calls, on the resources it calls them
// on: tables and named indexes (never "<table>/index/*"), the Main table's
// stream, its own dead-letter queue, the bus and its own log group. The
// roles carry no managed policies (functions.go).
//
// The permission check (permissions_test.go) holds this file to what the
// functions do: every call the tests recorded (infra/testdata/calls.json)
// must be allowed here, and every grant must either be exercised by one of
// those calls or be listed in Unexercised with the reason it is needed.

// DynamoDB actions by use. Transactions need no action of their own: each
// Put/Update/Delete/Get inside one is authorized as PutItem/UpdateItem/
// DeleteItem/GetItem, and ConditionCheck as ConditionCheckItem.
var (
	// The API writes through transactions of puts and updates; it never
	// deletes an item (deletion is a flag) nor writes in batches.
	mainReadWrite = []string{
		"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query",
		"dynamodb:PutItem", "dynamodb:UpdateItem",
	}
	// History lists read versions and, for totalCount, the counts of
	// versions (by Query).
	// BatchGetItem: a history list ordered by a column fetches the
	// versions its sort index names (historysorted.go).
	historyRead = []string{"dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"}
	indexQuery  = []string{"dynamodb:Query"}
	streamRead  = []string{"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"}
	// The history writer looks up which versions exist (one BatchGetItem
	// per 100 keys) and writes the missing ones with the counts of
	// versions they add to, in transactions of puts and updates.
	historyWrite = []string{"dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	slaWrite     = []string{"dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
	slaRead      = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem"}
	// Statistics read the configuration (which values it knows), the
	// tickets' contributions and the aggregates, and write both back.
	statsWrite = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	configRead = []string{"dynamodb:GetItem"}
	// The text index: references and postings read in batches, each
	// posting put (or deleted when empty) on the version read; the order
	// runs' span of a title found by a Query, and a run cut again from
	// the order postings' groups read by one. A posting's new block is
	// created, and its older blocks folded into a wide item, in a
	// transaction that checks the wide item's range and the blocks found
	// absent (ConditionCheckItem; shared/store/postingwide.go).
	textIndexWrite = []string{"dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}
	putEvents      = []string{"events:PutEvents"}
	sendToDLQ      = []string{"sqs:SendMessage"}
	writeLogs      = []string{"logs:CreateLogStream", "logs:PutLogEvents"}
	// X-Ray has no resource-level permissions: "*" is the only resource.
	sendTraces = []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
	// Presigned URLs carry the signer's permissions: the API signs uploads
	// (PutObject, with the key to encrypt) and downloads (GetObject, with
	// the key to decrypt) of the scanned version (GetObjectVersion): the
	// upload form may put other bytes under the key after the scan.
	signURLs = []string{"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"}
	useKey   = []string{"kms:GenerateDataKey", "kms:Decrypt"}
	// A file leaves attachments/ by a copy (read there, write where it
	// goes) and a delete.
	moveOut = []string{"s3:GetObject", "s3:DeleteObject"}
	// The scan result names the object version it is about: that version
	// is copied and deleted for good (a later upload to a scanned key, an
	// infected file).
	moveVersionOut = []string{"s3:GetObjectVersion", "s3:DeleteObjectVersion"}
	moveIn         = []string{"s3:PutObject"}
	scanWrite      = []string{"dynamodb:GetItem", "dynamodb:PutItem"}
	// A redelivered result finds the infected file already moved and
	// looks for it in quarantine/ (HeadObject is authorized as GetObject).
	quarantineWrite = []string{"s3:PutObject", "s3:GetObject"}
	// Directory (directory.go): the importer reads files and states, writes
	// reports and states and upserts people in batches; staffsync lists
	// the user pool and upserts users in batches.
	importRead  = []string{"s3:GetObject", "s3:GetObjectVersion"} // the version a notification names
	stateRead   = []string{"s3:GetObject"}
	importWrite = []string{"s3:PutObject"}
	stateDelete = []string{"s3:DeleteObject"}
	peopleWrite = []string{"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"}
	poolRead    = []string{"cognito-idp:ListUsers", "cognito-idp:ListGroups", "cognito-idp:ListUsersInGroup"}
	staffWrite  = []string{"dynamodb:BatchWriteItem"}
	notifyRead  = []string{"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
	notifyWrite = []string{"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
	queueFeed   = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}
	sendSMS     = []string{"sns:Publish"}
	sendEmail   = []string{"ses:SendEmail"}
	// intakeMain: claims, tickets, tracking records and rate counters are
	// read and written with GetItem/Query and transactions of puts and
	// updates; nothing is deleted.
	intakeMain = []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	readSecret = []string{"secretsmanager:GetSecretValue"}
	optOutLift = []string{"dynamodb:DeleteItem"}
)

// Justification says why a grant (the statement Sid of the functions
// named) is needed although no call of the functions' code exercises it.
type Justification struct {
	Sid       string
	Functions []string
	Why       string
}

// Unexercised lists the grants the permission check finds no recorded call
// for, each with its reason. The check also fails when a grant listed here
// is missing from a function's role.
var Unexercised = []Justification{
	{"WriteOwnLogs", []string{FnGraphQL, FnHistory, FnTasks, FnSLA, FnAuthorizer, FnScanResult, FnImporter, FnStaffSync, FnIntake, FnSMS},
		"Lambda itself writes the function's standard output to its log group with the execution role; the code never calls CloudWatch Logs."},
	{"SendTraces", []string{FnGraphQL, FnHistory, FnTasks, FnSLA, FnAuthorizer, FnScanResult, FnImporter, FnStaffSync, FnIntake, FnSMS},
		"Active tracing: Lambda's X-Ray daemon sends the function's segments to X-Ray with the execution role, the subsegments the code gives it over UDP (shared/platform/tracing.go) included; the code never calls the X-Ray API."},
	{"ReadMainStream", []string{FnHistory, FnTasks},
		"The event source mapping polls the Main table's stream with the consumer's execution role; the code only receives the batches."},
	{"SendToOwnDLQ", []string{FnHistory, FnTasks},
		"The event source mapping sends the description of a batch that exhausted its retries to the dead-letter queue with the consumer's execution role."},
	{"UseAttachmentKey", []string{FnGraphQL, FnScanResult},
		"Objects are encrypted with the attachments key (SSE-KMS): S3 calls KMS with the requester's permissions on every upload, download and copy; the code never calls KMS."},
	{"SendToScanResultDLQ", []string{FnScanResult},
		"Lambda's asynchronous invocation sends an event that failed its retries to the on-failure destination with the function's execution role."},
}

// CallsNoAWS names the functions whose code calls no AWS API, with the
// reason: the permission check expects no recorded call from them, and
// their roles hold only justified grants.
var CallsNoAWS = map[string]string{
	FnAuthorizer: "The openIMIS client mode's authorizer verifies tokens against the user pool's public JWKS URL over HTTPS; it calls no AWS API.",
}

// grant gives every function of s exactly its permissions.
func grant(s *Stack) {
	main, history := s.Data.Main(), s.Data.History()
	mainName, historyName := store.MainTable.Name, store.HistoryTable.Name
	bus := s.Events.Bus.EventBusArn()

	for _, f := range s.Functions.All() {
		allow(f.Function, "WriteOwnLogs", writeLogs, s.Functions.LogGroups[f.Name].LogGroupArn())
		allow(f.Function, "SendTraces", sendTraces, jsii.String("*"))
		nagSuppressOnly(f.Function.Role(), "AwsSolutions-IAM5",
			"Only the SendTraces statement uses Resource *: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.",
			"Resource::*")
	}

	// graphql: the API reads and writes Main and reads History.
	gql := s.Functions.GraphQL
	allow(gql, "ReadWriteMain", mainReadWrite, main.TableArn())
	allow(gql, "QueryMainIndexes", indexQuery, s.Data.IndexARNs(mainName, store.IndexList, store.IndexStatus,
		store.IndexCategory, store.IndexStaff, store.IndexReporter,
		store.IndexByPriority, store.IndexByStatus, store.IndexByCategory, store.IndexByTitle, store.IndexByDueDate,
		store.IndexStatCat, store.IndexByReporter, store.IndexByVersion, store.IndexByStaff, store.IndexStatusDue)...)
	allow(gql, "ReadHistory", historyRead, history.TableArn())
	allow(gql, "QueryHistoryIndexes", indexQuery, s.Data.IndexARNs(historyName, store.HistoryIndexAll,
		store.HistoryIndexByTitle, store.HistoryIndexByPriority, store.HistoryIndexByStatus,
		store.HistoryIndexByCategory, store.HistoryIndexByReporter, store.HistoryIndexByVersion)...)
	// In the openIMIS client mode graphql also calls Cognito's
	// InitiateAuth and RevokeToken, public APIs that IAM does not
	// authorize (the app client id is the credential), and counts
	// sign-in attempts in Main (UpdateItem). The authorizer function
	// only writes its logs: the pool's JWKS is a public URL.

	// graphql also signs the attachment URLs and moves the files of
	// deleted attachments to deleted/, where the lifecycle expires them.
	objects := func(prefix string) *string { return s.Attachments.Bucket.ArnForObjects(jsii.String(prefix + "*")) }
	uploads := objects(grievance.AttachmentPrefix)
	allow(gql, "SignAttachmentURLs", signURLs, uploads)
	allow(gql, "MoveDeletedFilesOut", moveOut, uploads)
	allow(gql, "KeepDeletedFiles", moveIn, objects(grievance.DeletedPrefix))
	allow(gql, "UseAttachmentKey", useKey, s.Attachments.Key.KeyArn())

	// scanresult: reads the pending attachment and its ticket and writes
	// both in one transaction; moves infected files to quarantine/ (and
	// the files of attachments deleted before their scan to deleted/);
	// failed invocations go to the scan-result DLQ.
	scan := s.Functions.ScanResult
	allow(scan, "ApplyScanResults", scanWrite, main.TableArn())
	allow(scan, "MoveOutOfUploads", moveOut, uploads)
	allow(scan, "MoveVersionsOutOfUploads", moveVersionOut, uploads)
	allow(scan, "WriteQuarantine", quarantineWrite, objects(grievance.QuarantinePrefix))
	allow(scan, "KeepDeletedFiles", moveIn, objects(grievance.DeletedPrefix))
	allow(scan, "UseAttachmentKey", useKey, s.Attachments.Key.KeyArn())
	allow(scan, "SendToScanResultDLQ", sendToDLQ, s.Attachments.DLQ.QueueArn())
	for _, fn := range []awslambda.Function{gql, scan} {
		nagSuppressFindings(fn.Role(), "AwsSolutions-IAM5",
			"Attachment objects are keyed <prefix>/<ticket>/<attachment> with ids made at upload time; each grant is one prefix the function works in, never the bucket.",
			`/^Resource::<AttachmentsBucket[0-9A-F]+\.Arn>\/(attachments|quarantine|deleted)\/\*$/`)
	}

	// Stream consumers read the Main stream and report exhausted batches to
	// their own dead-letter queue.
	for _, c := range s.Streams.Consumers {
		allow(c.Function, "ReadMainStream", streamRead, main.TableStreamArn())
		allow(c.Function, "SendToOwnDLQ", sendToDLQ, c.DLQ.QueueArn())
	}

	// history: writes one record per version into History, and keeps the
	// statistics aggregates in Main (ticket contributions read and written
	// with the aggregates in one transaction of puts and updates) and the
	// text index (docs/data-model.md).
	allow(s.Functions.History, "WriteHistory", historyWrite, history.TableArn())
	allow(s.Functions.History, "ApplyStatistics", statsWrite, main.TableArn())
	allow(s.Functions.History, "KeepTextIndex", textIndexWrite, main.TableArn())

	// tasks: reads the configuration (which categories are confidential)
	// and publishes to the bus. It queries no index: Main's indexes also
	// hold confidential tickets, which tasks has no reason to read.
	tasks := s.Functions.Tasks
	allow(tasks, "ReadConfig", configRead, main.TableArn())
	allow(tasks, "PutEvents", putEvents, bus)

	// sla: finds overdue tickets by due date, reads the configuration and
	// its markers, claims, marks and releases steps, and publishes.
	if sla := s.Functions.SLA; sla != nil {
		allow(sla, "QueryDueIndex", indexQuery, s.Data.IndexARNs(mainName, store.IndexDue)...)
		allow(sla, "ReadConfigAndMarkers", slaRead, main.TableArn())
		allow(sla, "MarkOverdue", slaWrite, main.TableArn())
		allow(sla, "PutEvents", putEvents, bus)
	}

	// importer: reads an import (the version its notification names, also
	// in continuations) and the latest state, writes the report and the next state, deletes a finished
	// state, and upserts people in Main.
	imp, bucket := s.Functions.Importer, s.Directory.Bucket
	allow(imp, "ReadImports", importRead, bucket.ArnForObjects(jsii.String(ImportsPrefix+"*")))
	allow(imp, "ReadState", stateRead, bucket.ArnForObjects(jsii.String(StatePrefix+"*")))
	allow(imp, "WriteReportsAndState", importWrite, bucket.ArnForObjects(jsii.String(ReportsPrefix+"*")), bucket.ArnForObjects(jsii.String(StatePrefix+"*")))
	allow(imp, "DeleteFinishedState", stateDelete, bucket.ArnForObjects(jsii.String(StatePrefix+"*")))
	allow(imp, "UpsertPeople", peopleWrite, main.TableArn())
	// (After the statements exist: a suppression reaches existing children.)
	nagSuppressFindings(imp.Role(), "AwsSolutions-IAM5",
		"Object ARNs under one prefix of the import bucket (imports/*, state/*, reports/*): an import's files are named by the platform team.",
		`/^Resource::<DirectoryImportBucket[0-9A-F]{8}\.Arn>\/(imports|state|reports)\/\*$/g`)

	// staffsync: reads the user pool, the configuration (group_roles) and
	// the directory's users, and upserts the users that changed.
	if sync := s.Functions.StaffSync; sync != nil {
		allow(sync, "ReadUserPool", poolRead, s.API.UserPool.UserPoolArn())
		allow(sync, "ReadConfig", configRead, main.TableArn())
		allow(sync, "QueryUsersIndex", indexQuery, s.Data.IndexARNs(mainName, store.IndexCategory)...)
		allow(sync, "UpsertUsers", staffWrite, main.TableArn())
	}

	grantIntake(s)
	allowEventsToDLQs(s.Events)
	if s.Notify != nil {
		grantNotifier(s, mainName)
	}
}

// grantIntake gives the public intake functions their permissions.
func grantIntake(s *Stack) {
	main := s.Data.Main()
	for _, fn := range []awslambda.Function{s.Functions.Intake, s.Functions.SMS} {
		allow(fn, "IntakeMain", intakeMain, main.TableArn())
	}
	// Only the web intake names registered people (reporter_external_id).
	allow(s.Functions.Intake, "QueryExternalIDIndex", indexQuery, s.Data.IndexARNs(store.MainTable.Name, store.IndexStatus)...)
	allow(s.Functions.Intake, "ReadWebhookToken", readSecret, s.Intake.Secret.SecretArn())
	for _, fn := range []awslambda.Function{s.Functions.Intake, s.Functions.SMS} {
		// A rating (SMS RATE <code> <n>, the tracking endpoint) finds its
		// ticket by number, and START deletes the sender's opt-out item.
		allow(fn, "QueryListIndex", indexQuery, s.Data.IndexARNs(store.MainTable.Name, store.IndexList)...)
		allow(fn, "LiftOptOut", optOutLift, main.TableArn())
	}
	// SNS authorizes a Publish to a phone number only on Resource "*"
	// (there is no phone-number ARN); the statement allows nothing else
	// the function does.
	allow(s.Functions.SMS, "SendSMS", sendSMS, jsii.String("*"))
	nagSuppressOnly(s.Functions.SMS.Role(), "AwsSolutions-IAM5",
		"SendSMS: sns:Publish to a phone number (the SMS reply) can only be granted on Resource *.", "Resource::*")
}

// allowEventsToDLQs lets EventBridge put the events a rule's target could
// not take into that rule's dead-letter queue, and only that rule's.
func allowEventsToDLQs(e *Events) {
	for _, r := range e.Rules {
		r.DLQ.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowRuleToSendUndeliveredEvents"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil)},
			Actions:    jsii.Strings("sqs:SendMessage"),
			Resources:  &[]*string{r.DLQ.QueueArn()},
			Conditions: &map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:SourceArn": r.Rule.AttrArn()}},
		}))
	}
}

// grantNotifier: reads the configuration, tickets and people (staff by the
// users index), claims and marks deliveries and records acknowledgements
// in Main, takes its queue, sends e-mail from its identity through its
// configuration set, and SMS to phone numbers only.
func grantNotifier(s *Stack, mainName string) {
	fn, n, main := s.Functions.Notifier, s.Notify, s.Data.Main()
	allow(fn, "ReadMain", notifyRead, main.TableArn())
	allow(fn, "QueryUsersIndex", indexQuery, s.Data.IndexARNs(mainName, store.IndexCategory)...)
	allow(fn, "ClaimDeliveries", notifyWrite, main.TableArn())
	allow(fn, "TakeOwnQueue", queueFeed, n.Queue.QueueArn())
	allow(fn, "SendEmail", sendEmail, n.IdentityARN(), n.ConfigSetARN())
	// SMS to a phone number has no resource to name; the deny keeps the
	// function from publishing to any topic.
	allow(fn, "SendSMS", sendSMS, jsii.String("*"))
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("NoTopicPublish"), Effect: awsiam.Effect_DENY,
		Actions: jsii.Strings(sendSMS...), Resources: jsii.Strings("arn:*:sns:*:*:*"),
	}))
	nagSuppressFindings(fn.Role(), "AwsSolutions-IAM5",
		"SNS Publish to a phone number (SMS) names no resource; publishing to any topic is denied in the same policy.",
		`/^Resource::\*$/g`)
}

// allow adds one statement to fn's execution role. The Sid names the
// purpose so that the policy reads like this file.
func allow(fn awslambda.Function, sid string, actions []string, resources ...*string) {
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	}))
}
