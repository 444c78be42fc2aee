package platform_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// Ensure the directory functions' calls are named as IAM authorizes them:
// objects of the import bucket by top-level prefix (a versioned read as
// GetObjectVersion), the user pool by its logical name; another bucket or
// pool keeps its physical name.
func TestRecordDirectoryCalls_NamesObjectsAndThePool(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(platform.EnvCallLog, dir)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("X-Amz-Target"), "Cognito") {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write([]byte(`{}`))
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", Credentials: aws.AnonymousCredentials{}, BaseEndpoint: aws.String(srv.URL)}
	platform.RecordDirectoryCalls(&cfg, "fn", store.TableNames{Main: "t-Main"}, "", "imports-b", "pool-1")

	ctx := context.Background()
	c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("imports-b"), Key: aws.String("imports/a.csv")})
	c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("imports-b"), Key: aws.String("imports/a.csv"), VersionId: aws.String("v1")})
	c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("imports-b"), Key: aws.String("reports/a.csv.json")})
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("other"), Key: aws.String("state/a.csv.json")})
	p := cip.NewFromConfig(cfg)
	p.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String("pool-1")})
	p.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String("pool-2")})

	got, err := platform.ReadCalls(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []platform.Call{
		{Function: "fn", Service: "cognito-idp", Action: "ListGroups", Resource: "userpool/?pool-2"},
		{Function: "fn", Service: "cognito-idp", Action: "ListUsers", Resource: "userpool/UserPool"},
		{Function: "fn", Service: "s3", Action: "DeleteObject", Resource: "bucket/?other/state/*"},
		{Function: "fn", Service: "s3", Action: "GetObject", Resource: "bucket/ImportBucket/imports/*"},
		{Function: "fn", Service: "s3", Action: "GetObjectVersion", Resource: "bucket/ImportBucket/imports/*"},
		{Function: "fn", Service: "s3", Action: "PutObject", Resource: "bucket/ImportBucket/reports/*"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("recorded\n%v\nwant\n%v", got, want)
	}
}
