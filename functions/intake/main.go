// Command intake is the Lambda function behind the public routes of the
// HTTP API (no JWT authorizer): the web form and POST /intake, POST
// /track, and the Twilio inbound-SMS webhook (docs/intake.md).
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	fn := platform.Start(context.Background())
	st := store.New(fn.AWS, fn.Tables)
	h := &Handler{
		Service:      grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{Tracking: st, Directory: st, OptOuts: st}),
		Limiter:      st,
		Limits:       limitsFromEnv(platform.Env(os.Getenv)),
		WebhookToken: cachedSecret(secretsmanager.NewFromConfig(fn.AWS), os.Getenv(platform.EnvWebhookSecretARN), 5*time.Minute, time.Now),
		PublicURL:    os.Getenv("PUBLIC_URL"),
		Log:          fn.Log,
		Now:          time.Now,
		NewID:        uuid.NewString,
	}
	lambda.Start(h.Handle)
}
