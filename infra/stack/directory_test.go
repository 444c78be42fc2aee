package stack_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/infra/stack"
	"github.com/redress-grm/redress/shared/store"
)

func TestDirectory_ImportBucketIsEncryptedPrivateVersionedAndExpiresReports(t *testing.T) {
	s := synth(t, "dev")
	must(t, "bucket settings", func() {
		s.template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]any{
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}}},
			"PublicAccessBlockConfiguration": map[string]any{"BlockPublicAcls": true, "BlockPublicPolicy": true,
				"IgnorePublicAcls": true, "RestrictPublicBuckets": true},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"LifecycleConfiguration": map[string]any{"Rules": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"Prefix": "reports/", "ExpirationInDays": 90, "Status": "Enabled"}),
				assertions.Match_ObjectLike(&map[string]any{"Prefix": "state/", "ExpirationInDays": 7}),
			})},
		})
	})
	must(t, "TLS only", func() {
		s.template.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
			})})},
		})
	})
	must(t, "the importer may continue through its own bucket; no other function may loop", func() {
		for id, fn := range s.resources("AWS::Lambda::Function") {
			want := "Terminate"
			if id == s.id(s.stack.Functions.Importer) {
				want = "Allow"
			}
			if got := props(fn)["RecursiveLoop"]; got != nil && got != want {
				t.Errorf("%s RecursiveLoop = %v, want %s", id, got, want)
			}
		}
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{"RecursiveLoop": "Allow"})
	})
	importer := getAtt(s.id(s.stack.Functions.Importer), "Arn")
	must(t, "new imports and continuation states invoke the importer", func() {
		s.template.HasResourceProperties(jsii.String("Custom::S3BucketNotifications"), map[string]any{
			"NotificationConfiguration": map[string]any{"LambdaFunctionConfigurations": []any{
				map[string]any{"Events": []any{"s3:ObjectCreated:*"}, "LambdaFunctionArn": importer,
					"Filter": map[string]any{"Key": map[string]any{"FilterRules": []any{map[string]any{"Name": "prefix", "Value": "imports/"}}}}},
				map[string]any{"Events": []any{"s3:ObjectCreated:*"}, "LambdaFunctionArn": importer,
					"Filter": map[string]any{"Key": map[string]any{"FilterRules": assertions.Match_ArrayWith(&[]any{
						map[string]any{"Name": "suffix", "Value": ".json"}, map[string]any{"Name": "prefix", "Value": "state/"}})}}},
			}},
		})
	})
}

func TestDirectory_StaffSyncRunsHourlyOnTheStacksUserPool(t *testing.T) {
	s := synth(t, "dev")
	sync := s.id(s.stack.Functions.StaffSync)
	must(t, "pool id in the environment", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Lambda::Function"), map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				stack.EnvUserPoolID: ref(s.id(s.stack.API.UserPool))})},
		})
	})
	must(t, "hourly schedule", func() {
		s.template.HasResourceProperties(jsii.String("AWS::Events::Rule"), map[string]any{
			"ScheduleExpression": "rate(1 hour)",
			"Targets":            []any{assertions.Match_ObjectLike(&map[string]any{"Arn": getAtt(sync, "Arn")})},
		})
	})
	main := s.id(s.stack.Data.Main())
	var usersIndex any = map[string]any{"Fn::Join": []any{"", []any{getAtt(main, "Arn"), "/index/" + store.IndexCategory}}}
	want := map[string]grantStatement{
		"ReadUserPool":    {sorted("cognito-idp:ListUsers", "cognito-idp:ListGroups", "cognito-idp:ListUsersInGroup"), jsonString(getAtt(s.id(s.stack.API.UserPool), "Arn"))},
		"ReadConfig":      {[]string{"dynamodb:GetItem"}, jsonString(getAtt(main, "Arn"))},
		"QueryUsersIndex": {[]string{"dynamodb:Query"}, jsonString(usersIndex)},
		"UpsertUsers":     {[]string{"dynamodb:BatchWriteItem"}, jsonString(getAtt(main, "Arn"))},
	}
	got := map[string]grantStatement{}
	role := s.id(s.stack.Functions.StaffSync.Role())
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
			got[st["Sid"].(string)] = grantStatement{strs(st["Action"]), jsonString(res)}
		}
	}
	for sid, w := range want {
		if g := got[sid]; !equal(g.actions, w.actions) || g.resources != w.resources {
			t.Errorf("%s = %v on %s, want %v on %s", sid, g.actions, g.resources, w.actions, w.resources)
		}
	}
	if len(got) != len(want)+2 { // + WriteOwnLogs, SendTraces
		t.Errorf("staffsync statements %v", got)
	}
}

// grantStatement is one IAM policy statement reduced to what the grants
// decide.
type grantStatement struct {
	actions   []string
	resources string
}
