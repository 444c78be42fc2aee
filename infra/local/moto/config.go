package moto

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region every local client uses; moto keeps separate state
// per region, so all clients must agree on one.
const Region = "us-east-1"

// AccountID is the account moto reports in ARNs.
const AccountID = "123456789012"

// AWSConfig returns an SDK configuration for the emulator at endpoint:
// static credentials test/test, region us-east-1, and endpoint as the base
// endpoint of every service. Tests and the local stack build their clients
// from it, so they talk to moto exactly the same way.
func AWSConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion(Region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithBaseEndpoint(endpoint),
	)
	if err != nil {
		return aws.Config{}, fmt.Errorf("moto: aws config for %s: %w", endpoint, err)
	}
	return cfg, nil
}
