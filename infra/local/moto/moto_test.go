package moto_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/redress-grm/redress/infra/local/moto"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure clients built from AWSConfig reach moto and Reset drops its state.
func TestAWSConfigAndReset(t *testing.T) {
	ctx := context.Background()
	s := moto.ForTest(t)
	cfg, err := moto.AWSConfig(ctx, s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("moto-test"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := db.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(out.TableNames), 0; got != want {
		t.Fatalf("tables after reset=%v, want none", out.TableNames)
	}
}

// Ensure Stop really ends the process: the endpoint stops answering.
func TestStartStop(t *testing.T) {
	moto.ForTest(t) // skips or fails the same way as every integration test
	s, err := moto.Start(context.Background(), moto.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(s.Endpoint() + "/moto-api/"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	s.Stop()
	s.Stop() // idempotent
	if resp, err := http.Get(s.Endpoint() + "/moto-api/"); err == nil {
		resp.Body.Close()
		t.Fatalf("moto still answers at %s after Stop", s.Endpoint())
	}
}

// Ensure a missing binary is reported as ErrNotInstalled, which is what lets
// ForTest skip locally and fail under CI.
func TestStartNotInstalled(t *testing.T) {
	_, err := moto.Start(context.Background(), moto.Options{Binary: filepath.Join(t.TempDir(), "nope")})
	if !errors.Is(err, moto.ErrNotInstalled) {
		t.Fatalf("err=%v, want ErrNotInstalled", err)
	}
}
