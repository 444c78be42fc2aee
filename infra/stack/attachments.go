package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsguardduty"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/shared/grievance"
)

// Environment variables of the functions that serve attachments.
const (
	EnvAttachmentsBucket = "ATTACHMENTS_BUCKET"
	EnvAttachmentsKey    = "ATTACHMENTS_KMS_KEY"
)

// The scan result event GuardDuty Malware Protection for S3 puts on the
// account's default bus (functions/scanresult reads it).
const (
	guardDutySource     = "aws.guardduty"
	guardDutyScanResult = "GuardDuty Malware Protection Object Scan Result"
)

// Attachments is the evidence-file store (docs/attachments.md): a private,
// versioned, KMS-encrypted bucket that accepts only TLS; GuardDuty Malware
// Protection scanning every upload under attachments/; and the rule that
// sends each scan result to the scanresult function, with a dead-letter
// queue for results it could not take.
type Attachments struct {
	constructs.Construct
	Key    awskms.Key
	Bucket awss3.Bucket
	// Plan is the malware protection plan, Role the role GuardDuty scans
	// and tags with.
	Plan awsguardduty.CfnMalwareProtectionPlan
	Role awsiam.Role
	// Rule routes scan results to the function; DLQ keeps those it could
	// not deliver after its retries.
	Rule awsevents.CfnRule
	DLQ  awssqs.Queue
}

// NewAttachments creates the bucket and its key, and the plan that scans it.
// Route connects the scan results once the function exists.
func NewAttachments(scope constructs.Construct, id string, cfg Config) *Attachments {
	a := &Attachments{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	a.Key = awskms.NewKey(a.Construct, jsii.String("Key"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts Redress attachments"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removalPolicy(cfg),
	})
	retention := awscdk.Duration_Days(jsii.Number(float64(cfg.AttachmentRetentionDays)))
	a.Bucket = awss3.NewBucket(a.Construct, jsii.String("Bucket"), &awss3.BucketProps{
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		Encryption:        awss3.BucketEncryption_KMS,
		EncryptionKey:     a.Key,
		BucketKeyEnabled:  jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     removalPolicy(cfg),
		LifecycleRules: &[]*awss3.LifecycleRule{
			{
				// Deleted attachments' files, moved here by the API when
				// the delete commits (the move restarts their age).
				Id:         jsii.String("ExpireDeleted"),
				Prefix:     jsii.String(grievance.DeletedPrefix),
				Expiration: retention,
			},
			{
				Id:         jsii.String("ExpireQuarantined"),
				Prefix:     jsii.String(grievance.QuarantinePrefix),
				Expiration: retention,
			},
			{
				// A move to quarantine or an expiry leaves a noncurrent
				// version (the bucket is versioned); it goes too, and the
				// delete markers left behind with it. Uploads that never
				// completed (multipart) are aborted after a day; a POST
				// that never arrived stores nothing, and its pending
				// record expires in the table (TTL).
				Id:                                  jsii.String("ExpireNoncurrentAndIncomplete"),
				NoncurrentVersionExpiration:         retention,
				ExpiredObjectDeleteMarker:           jsii.Bool(true),
				AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(1)),
			},
		},
	})
	nagSuppress(a.Bucket, "AwsSolutions-S1",
		"Server access logs would need a second bucket for every stage; object reads are only through short presigned URLs the API issues after its own checks, and CloudTrail data events can be enabled per account.")
	a.plan()
	return a
}

// plan creates GuardDuty's role and the malware protection plan for the
// upload prefix. The role's statements follow the GuardDuty user guide's
// template for Malware Protection for S3, narrowed to this bucket and key.
func (a *Attachments) plan() {
	stack := awscdk.Stack_Of(a.Construct)
	a.Role = awsiam.NewRole(a.Construct, jsii.String("ScanRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("malware-protection-plan.guardduty.amazonaws.com"), nil),
		Description: jsii.String("GuardDuty Malware Protection for S3 scans and tags Redress attachments"),
	})
	ruleARN := awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), stack.Partition(), jsii.String(":events:"),
		stack.Region(), jsii.String(":"), stack.Account(), jsii.String(":rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*")})
	objects := a.Bucket.ArnForObjects(jsii.String("*"))
	for _, st := range []struct {
		sid       string
		actions   []string
		resources []*string
		cond      map[string]interface{}
	}{
		{"ManageEventBridgeRule", []string{"events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets"}, []*string{ruleARN},
			map[string]interface{}{"StringLike": map[string]interface{}{"events:ManagedBy": "malware-protection-plan.guardduty.amazonaws.com"}}},
		{"DescribeEventBridgeRule", []string{"events:DescribeRule", "events:ListTargetsByRule"}, []*string{ruleARN}, nil},
		{"EnableBucketNotifications", []string{"s3:PutBucketNotification", "s3:GetBucketNotification"}, []*string{a.Bucket.BucketArn()}, nil},
		{"CheckBucketOwnership", []string{"s3:ListBucket"}, []*string{a.Bucket.BucketArn()}, nil},
		{"PutValidationObject", []string{"s3:PutObject"}, []*string{a.Bucket.ArnForObjects(jsii.String("malware-protection-resource-validation-object"))}, nil},
		{"ScanObjects", []string{"s3:GetObject", "s3:GetObjectVersion"}, []*string{objects}, nil},
		{"TagScannedObjects", []string{"s3:PutObjectTagging", "s3:GetObjectTagging", "s3:PutObjectVersionTagging", "s3:GetObjectVersionTagging"}, []*string{objects}, nil},
		{"DecryptForScan", []string{"kms:GenerateDataKey", "kms:Decrypt"}, []*string{a.Key.KeyArn()},
			map[string]interface{}{"StringLike": map[string]interface{}{"kms:ViaService": "s3.*.amazonaws.com"}}},
	} {
		ps := &awsiam.PolicyStatementProps{Sid: jsii.String(st.sid), Actions: jsii.Strings(st.actions...), Resources: &st.resources}
		if st.cond != nil {
			ps.Conditions = &st.cond
		}
		a.Role.AddToPolicy(awsiam.NewPolicyStatement(ps))
	}
	nagSuppress(a.Role, "AwsSolutions-IAM5",
		"GuardDuty names its managed EventBridge rule DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3<suffix> and scans and tags any object it is sent; the wildcards are that rule prefix and this bucket's objects.")
	a.Plan = awsguardduty.NewCfnMalwareProtectionPlan(a.Construct, jsii.String("MalwareProtection"), &awsguardduty.CfnMalwareProtectionPlanProps{
		Role: a.Role.RoleArn(),
		ProtectedResource: &awsguardduty.CfnMalwareProtectionPlan_CFNProtectedResourceProperty{
			S3Bucket: &awsguardduty.CfnMalwareProtectionPlan_S3BucketProperty{
				BucketName: a.Bucket.BucketName(),
				// Only uploads: quarantined copies are not scanned again.
				ObjectPrefixes: jsii.Strings(grievance.AttachmentPrefix),
			},
		},
		Actions: &awsguardduty.CfnMalwareProtectionPlan_CFNActionsProperty{
			Tagging: &awsguardduty.CfnMalwareProtectionPlan_CFNTaggingProperty{Status: jsii.String("ENABLED")},
		},
	})
	// The plan checks its role when it is created: the policy must exist
	// first.
	a.Plan.Node().AddDependency(a.Role)
}

// Route sends the scan results of this bucket, from the account's default
// bus, to fn; events it cannot deliver after two retries (or older than an
// hour) go to the DLQ. The rule joins events' rules, so that grants.go lets
// EventBridge into its DLQ and the alarms watch it, as for every rule.
func (a *Attachments) Route(fn awslambda.IFunction, events *Events) {
	a.DLQ = deadLetterQueue(a.Construct, "ScanResultDLQ",
		"This queue is itself the dead-letter queue of the scan-result rule and of the function's failed invocations.")
	pattern := map[string]interface{}{
		"source":      []string{guardDutySource},
		"detail-type": []string{guardDutyScanResult},
		"detail": map[string]interface{}{
			"s3ObjectDetails": map[string]interface{}{"bucketName": []*string{a.Bucket.BucketName()}},
		},
	}
	a.Rule = awsevents.NewCfnRule(a.Construct, jsii.String("ScanResultRule"), &awsevents.CfnRuleProps{
		Description:  jsii.String("GuardDuty scan results of the attachments bucket to the scanresult function"),
		EventPattern: pattern,
		State:        jsii.String("ENABLED"),
		Targets: &[]interface{}{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("Function"),
			Arn:              fn.FunctionArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: a.DLQ.QueueArn()},
			RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
				MaximumRetryAttempts:     jsii.Number(2),
				MaximumEventAgeInSeconds: jsii.Number(3600),
			},
		}},
	})
	// Function errors are retried by Lambda's asynchronous invocation; what
	// still fails lands in the same queue.
	awslambda.NewCfnEventInvokeConfig(a.Construct, jsii.String("ScanResultInvokeConfig"), &awslambda.CfnEventInvokeConfigProps{
		FunctionName:         fn.FunctionName(),
		Qualifier:            jsii.String("$LATEST"),
		MaximumRetryAttempts: jsii.Number(2),
		DestinationConfig: &awslambda.CfnEventInvokeConfig_DestinationConfigProperty{
			OnFailure: &awslambda.CfnEventInvokeConfig_OnFailureProperty{Destination: a.DLQ.QueueArn()},
		},
	})
	events.Rules = append(events.Rules, &Rule{Name: "ScanResult", Rule: a.Rule, DLQ: a.DLQ})
	fn.AddPermission(jsii.String("ScanResultInvoke"), &awslambda.Permission{
		Principal: awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
		SourceArn: a.Rule.AttrArn(),
	})
}
