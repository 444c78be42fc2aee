package stack_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/redress-grm/redress/infra/stack"
)

// only returns the single resource of typ, failing otherwise.
func (s *synthesized) only(t *testing.T, typ string) (string, map[string]any) {
	t.Helper()
	rs := s.resources(typ)
	if len(rs) != 1 {
		t.Fatalf("%d %s resources, want 1", len(rs), typ)
	}
	for id, r := range rs {
		return id, props(r)
	}
	return "", nil
}

func TestAttachments_BucketIsPrivateVersionedEncryptedAndExpiresRemovedFiles(t *testing.T) {
	s := synth(t, "dev")
	// The import bucket (directory.go) is the stack's other bucket.
	id := s.id(s.stack.Attachments.Bucket)
	b := props(s.resources("AWS::S3::Bucket")[id])
	key := s.id(s.stack.Attachments.Key)
	for what, want := range map[string]string{
		"public access block": `{"BlockPublicAcls":true,"BlockPublicPolicy":true,"IgnorePublicAcls":true,"RestrictPublicBuckets":true}`,
		"versioning":          `{"Status":"Enabled"}`,
		"encryption":          `{"ServerSideEncryptionConfiguration":[{"BucketKeyEnabled":true,"ServerSideEncryptionByDefault":{"KMSMasterKeyID":` + jsonString(getAtt(key, "Arn")) + `,"SSEAlgorithm":"aws:kms"}}]}`,
	} {
		field := map[string]string{"public access block": "PublicAccessBlockConfiguration", "versioning": "VersioningConfiguration", "encryption": "BucketEncryption"}[what]
		if got := jsonString(b[field]); got != want {
			t.Errorf("%s = %s, want %s", what, got, want)
		}
	}
	rules := map[string]map[string]any{}
	for _, r := range b["LifecycleConfiguration"].(map[string]any)["Rules"].([]any) {
		r := r.(map[string]any)
		rules[r["Id"].(string)] = r
	}
	for rule, want := range map[string]string{
		"ExpireDeleted":                 `"ExpirationInDays":90,"Id":"ExpireDeleted","Prefix":"deleted/","Status":"Enabled"`,
		"ExpireQuarantined":             `"ExpirationInDays":90,"Id":"ExpireQuarantined","Prefix":"quarantine/","Status":"Enabled"`,
		"ExpireNoncurrentAndIncomplete": `"AbortIncompleteMultipartUpload":{"DaysAfterInitiation":1},"ExpiredObjectDeleteMarker":true,"Id":"ExpireNoncurrentAndIncomplete","NoncurrentVersionExpiration":{"NoncurrentDays":90},"Status":"Enabled"`,
	} {
		if got := jsonString(rules[rule]); got != "{"+want+"}" {
			t.Errorf("lifecycle rule %s = %s,\nwant {%s}", rule, got, want)
		}
	}
	// TLS only: the bucket policy denies every request without it.
	found := false
	for _, p := range s.resources("AWS::S3::BucketPolicy") {
		if jsonString(props(p)["Bucket"]) != jsonString(ref(id)) {
			continue
		}
		doc := jsonString(props(p)["PolicyDocument"])
		found = strings.Contains(doc, `"Effect":"Deny"`) && strings.Contains(doc, `"aws:SecureTransport":"false"`)
	}
	if !found {
		t.Error("no bucket policy denies requests without TLS")
	}
	// Stateful outside dev: the bucket and its key are kept, as the tables.
	prod := synth(t, "prod")
	for _, typ := range []string{"AWS::S3::Bucket", "AWS::KMS::Key"} {
		for id, res := range prod.resources(typ) {
			if p := res["DeletionPolicy"]; p != "Retain" && p != "RetainExceptOnCreate" {
				t.Errorf("prod %s %s DeletionPolicy=%v, want it kept", typ, id, p)
			}
		}
	}
}

func TestAttachments_RetentionComesFromContext(t *testing.T) {
	st, err := newStack(map[string]any{"attachmentRetentionDays": "14"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only the attachments bucket's lifecycle (the import bucket keeps its
	// reports 90 days whatever attachments do).
	var tplJSON map[string]any
	if err := json.Unmarshal([]byte(jsonString(assertions.Template_FromStack(st.Stack, nil).ToJSON())), &tplJSON); err != nil {
		t.Fatal(err)
	}
	s := &synthesized{stack: st, json: tplJSON}
	tpl := jsonString(s.resources("AWS::S3::Bucket")[s.id(st.Attachments.Bucket)])
	if strings.Count(tpl, `"ExpirationInDays":14`) != 2 || !strings.Contains(tpl, `"NoncurrentDays":14`) || strings.Contains(tpl, `"ExpirationInDays":90`) {
		t.Errorf("lifecycle does not keep removed files 14 days")
	}
}

func TestAttachments_GuardDutyScansUploadsAndResultsReachTheFunction(t *testing.T) {
	s := synth(t, "dev")
	bucket := s.id(s.stack.Attachments.Bucket)
	_, plan := s.only(t, "AWS::GuardDuty::MalwareProtectionPlan")
	if got, want := jsonString(plan["ProtectedResource"]), `{"S3Bucket":{"BucketName":`+jsonString(ref(bucket))+`,"ObjectPrefixes":["attachments/"]}}`; got != want {
		t.Errorf("protected resource %s, want %s", got, want)
	}
	if got := jsonString(plan["Actions"]); got != `{"Tagging":{"Status":"ENABLED"}}` {
		t.Errorf("actions %s, want tagging enabled", got)
	}
	role := s.id(s.stack.Attachments.Role)
	if jsonString(plan["Role"]) != jsonString(getAtt(role, "Arn")) {
		t.Errorf("plan role %s, want the scan role", jsonString(plan["Role"]))
	}
	if trust := jsonString(props(s.resources("AWS::IAM::Role")[role])["AssumeRolePolicyDocument"]); !strings.Contains(trust, "malware-protection-plan.guardduty.amazonaws.com") {
		t.Errorf("scan role trust %s", trust)
	}

	rule := props(s.resources("AWS::Events::Rule")[s.id(s.stack.Attachments.Rule)])
	if rule == nil {
		t.Fatal("no scan-result rule")
	}
	if _, onBus := rule["EventBusName"]; onBus {
		t.Error("the rule must listen on the default bus, where GuardDuty publishes")
	}
	wantPattern := `{"detail":{"s3ObjectDetails":{"bucketName":[` + jsonString(ref(bucket)) + `]}},"detail-type":["GuardDuty Malware Protection Object Scan Result"],"source":["aws.guardduty"]}`
	if got := jsonString(rule["EventPattern"]); got != wantPattern {
		t.Errorf("pattern %s,\nwant %s", got, wantPattern)
	}
	fn, dlq := s.id(s.stack.Functions.ScanResult), s.id(s.stack.Attachments.DLQ)
	target := rule["Targets"].([]any)[0].(map[string]any)
	if jsonString(target["Arn"]) != jsonString(getAtt(fn, "Arn")) || jsonString(target["DeadLetterConfig"]) != jsonString(map[string]any{"Arn": getAtt(dlq, "Arn")}) {
		t.Errorf("target %s, want the scanresult function with the DLQ", jsonString(target))
	}
	_, invoke := s.only(t, "AWS::Lambda::EventInvokeConfig")
	if got := jsonString(invoke["DestinationConfig"]); got != jsonString(map[string]any{"OnFailure": map[string]any{"Destination": getAtt(dlq, "Arn")}}) {
		t.Errorf("failed invocations go to %s, want the DLQ", got)
	}
	found := false
	for _, a := range s.resources("AWS::CloudWatch::Alarm") {
		found = found || strings.Contains(jsonString(props(a)["Dimensions"]), dlq)
	}
	if !found {
		t.Error("no alarm watches the scan-result DLQ")
	}
}

func TestAttachments_OnlyFileFunctionsKnowTheBucket(t *testing.T) {
	s := synth(t, "external")
	for _, f := range s.stack.Functions.All() {
		env := jsonString(props(s.resources("AWS::Lambda::Function")[s.id(f.Function)])["Environment"])
		knows := strings.Contains(env, stack.EnvAttachmentsBucket) && strings.Contains(env, stack.EnvAttachmentsKey)
		if want := f.Name == stack.FnGraphQL || f.Name == stack.FnScanResult; knows != want {
			t.Errorf("%s knows the bucket: %v, want %v", f.Name, knows, want)
		}
	}
}
