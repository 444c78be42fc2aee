package platform_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the recorder names calls as IAM authorizes them, on logical
// resources: a transaction per item and action, a query per index, a
// publication per bus; an unknown table keeps its physical name.
func TestRecordCalls_NamesActionsAndLogicalResources(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(platform.EnvCallLog, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	platform.RecordCalls(&cfg, "fn", store.TableNames{Main: "t-Main", History: "t-History"}, "t-bus")

	ctx := context.Background()
	db := dynamodb.NewFromConfig(cfg)
	key := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "k"}}
	db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t-Main"), IndexName: aws.String("gsi6")})
	db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Put: &ddbtypes.Put{TableName: aws.String("t-Main"), Item: key}},
		{ConditionCheck: &ddbtypes.ConditionCheck{TableName: aws.String("t-History"), Key: key, ConditionExpression: aws.String("x")}},
	}})
	db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("elsewhere"), Key: key})
	eventbridge.NewFromConfig(cfg).PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: aws.String("t-bus"), Source: aws.String("s"), DetailType: aws.String("d"), Detail: aws.String("{}")},
	}})

	got, err := platform.ReadCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.Call{
		{Function: "fn", Service: "dynamodb", Action: "ConditionCheckItem", Resource: "table/History"},
		{Function: "fn", Service: "dynamodb", Action: "GetItem", Resource: "table/?elsewhere"},
		{Function: "fn", Service: "dynamodb", Action: "PutItem", Resource: "table/Main"},
		{Function: "fn", Service: "dynamodb", Action: "Query", Resource: "table/Main/index/gsi6"},
		{Function: "fn", Service: "events", Action: "PutEvents", Resource: "event-bus/Bus"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded\n%v\nwant\n%v", got, want)
	}
}

// Ensure that without REDRESS_CALL_LOG nothing is added to the SDK's
// middleware: deployed functions are not slowed by the recorder.
func TestRecordCalls_OffWithoutTheVariable(t *testing.T) {
	t.Setenv(platform.EnvCallLog, "")
	var cfg aws.Config
	platform.RecordCalls(&cfg, "fn", store.TableNames{}, "")
	if len(cfg.APIOptions) != 0 {
		t.Fatalf("APIOptions=%d, want none", len(cfg.APIOptions))
	}
}

// Ensure S3 calls on the attachments bucket are named by key prefix, as the
// grants name them, a copy as the read and the write IAM authorizes, and
// the copy or delete of one version as the version actions.
func TestRecordCalls_NamesObjectsByPrefix(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(platform.EnvCallLog, dir)
	t.Setenv(platform.EnvBucket, "files")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.Write([]byte(`<CopyObjectResult></CopyObjectResult>`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	platform.RecordCalls(&cfg, "fn", store.TableNames{}, "")
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	ctx := context.Background()
	c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("files"), Key: aws.String("quarantine/t/a"), CopySource: aws.String("files/attachments/t/a")})
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("files"), Key: aws.String("attachments/t/a")})
	c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("files"), Key: aws.String("quarantine/t/a"), CopySource: aws.String("files/attachments/t/a?versionId=v2")})
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("files"), Key: aws.String("attachments/t/a"), VersionId: aws.String("v2")})
	c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("other"), Key: aws.String("x/y")})

	got, err := platform.ReadCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.Call{
		{Function: "fn", Service: "s3", Action: "DeleteObject", Resource: "bucket/Attachments/attachments/*"},
		{Function: "fn", Service: "s3", Action: "DeleteObjectVersion", Resource: "bucket/Attachments/attachments/*"},
		{Function: "fn", Service: "s3", Action: "GetObject", Resource: "bucket/?other/x/*"},
		{Function: "fn", Service: "s3", Action: "GetObject", Resource: "bucket/Attachments/attachments/*"},
		{Function: "fn", Service: "s3", Action: "GetObjectVersion", Resource: "bucket/Attachments/attachments/*"},
		{Function: "fn", Service: "s3", Action: "PutObject", Resource: "bucket/Attachments/quarantine/*"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded\n%v\nwant\n%v", got, want)
	}
}

// Ensure the intake's calls are named as their grants are: the webhook
// token's ARN as the stack's secret, another secret by its id, an SMS to
// a phone number on "*".
func TestRecordIntakeCalls_NamesTheSecretAndSMS(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(platform.EnvCallLog, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	const token = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf"
	platform.RecordIntakeCalls(&cfg, "fn", store.TableNames{Main: "t-Main"}, token)

	ctx := context.Background()
	sm := secretsmanager.NewFromConfig(cfg)
	sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(token)})
	sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other")})
	sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String("+258841234567"), Message: aws.String("hi")})

	got, err := platform.ReadCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.Call{
		{Function: "fn", Service: "secretsmanager", Action: "GetSecretValue", Resource: "secret/?other"},
		{Function: "fn", Service: "secretsmanager", Action: "GetSecretValue", Resource: "secret/WebhookToken"},
		{Function: "fn", Service: "sns", Action: "Publish", Resource: "*"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded\n%v\nwant\n%v", got, want)
	}
}
