package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// secretGetter is the Secrets Manager call the webhook needs.
type secretGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// cachedSecret returns a function that reads the secret id once per ttl:
// a rotated token reaches every container within ttl, and a webhook
// request costs no Secrets Manager call.
func cachedSecret(sm secretGetter, id string, ttl time.Duration, now func() time.Time) func(context.Context) (string, error) {
	var mu sync.Mutex
	var value string
	var read time.Time
	return func(ctx context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if value != "" && now().Sub(read) < ttl {
			return value, nil
		}
		if id == "" {
			return "", errors.New("WEBHOOK_SECRET_ARN is not set")
		}
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		if err != nil {
			return "", err
		}
		value, read = aws.ToString(out.SecretString), now()
		return value, nil
	}
}
