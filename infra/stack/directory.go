package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Key prefixes of the import bucket (functions/importer and
// docs/directory.md name the same ones).
const (
	ImportsPrefix = "imports/"
	ReportsPrefix = "reports/"
	StatePrefix   = "state/"
)

// StaffSyncInterval is how often the staff sync reads the user pool; an
// administrator who cannot wait invokes the function (on demand).
var StaffSyncInterval = awscdk.Duration_Hours(jsii.Number(1))

// Directory fills the directory in a deployment: the import bucket, whose
// new files (and continuation states) invoke the importer, and the hourly
// staff sync from the user pool (docs/directory.md).
type Directory struct {
	constructs.Construct

	// Bucket receives registry files under imports/; reports go to
	// reports/, continuation states to state/.
	Bucket awss3.Bucket
}

// DirectoryProps configures NewDirectory.
type DirectoryProps struct {
	Config    Config
	Importer  awslambda.Function
	StaffSync awslambda.Function   // nil when the stack does not own the user pool
	UserPool  awscognito.IUserPool // nil likewise
	Events    *Events
}

// NewDirectory creates the import bucket and connects the directory
// functions to it and to the schedule.
func NewDirectory(scope constructs.Construct, id string, props *DirectoryProps) *Directory {
	d := &Directory{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	days := func(n float64) awscdk.Duration { return awscdk.Duration_Days(jsii.Number(n)) }
	d.Bucket = awss3.NewBucket(d.Construct, jsii.String("ImportBucket"), &awss3.BucketProps{
		// Registry files hold personal data: encrypted, never public, TLS
		// only, no ACLs; versions keep what each import read.
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     removalPolicy(props.Config),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{Id: jsii.String("ExpireReports"), Prefix: jsii.String(ReportsPrefix), Expiration: days(90), NoncurrentVersionExpiration: days(1)},
			{Id: jsii.String("ExpireStates"), Prefix: jsii.String(StatePrefix), Expiration: days(7), NoncurrentVersionExpiration: days(1)},
			{Id: jsii.String("ExpireImports"), Prefix: jsii.String(ImportsPrefix), Expiration: days(90), NoncurrentVersionExpiration: days(30)},
			{Id: jsii.String("AbortUploads"), AbortIncompleteMultipartUploadAfter: days(1)},
		},
	})
	nagSuppress(d.Bucket, "AwsSolutions-S1",
		"Only the platform team's uploads and the importer touch the bucket; each import's report records what was read, and CloudTrail data events can be enabled per account without a second bucket.")
	target := awss3notifications.NewLambdaDestination(props.Importer)
	d.Bucket.AddEventNotification(awss3.EventType_OBJECT_CREATED, target, &awss3.NotificationKeyFilter{Prefix: jsii.String(ImportsPrefix)})
	d.Bucket.AddEventNotification(awss3.EventType_OBJECT_CREATED, target,
		&awss3.NotificationKeyFilter{Prefix: jsii.String(StatePrefix), Suffix: jsii.String(".json")})
	// S3 notifications are configured by CDK's own singleton handler
	// (a bucket cannot name a function that names it without a cycle).
	if h := awscdk.Stack_Of(d.Construct).Node().TryFindChild(jsii.String("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")); h != nil {
		nagSuppress(h, "AwsSolutions-IAM4", "CDK's bucket-notifications handler (a deployment-time custom resource) uses the basic execution policy.")
		nagSuppress(h, "AwsSolutions-IAM5", "CDK's bucket-notifications handler must call s3:PutBucketNotification on the bucket it configures.")
	}
	if props.StaffSync != nil {
		props.StaffSync.AddEnvironment(jsii.String(EnvUserPoolID), props.UserPool.UserPoolId(), nil)
		props.Events.Every("StaffSyncSchedule", StaffSyncInterval, props.StaffSync)
	}
	return d
}
