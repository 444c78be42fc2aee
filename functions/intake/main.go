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
	log := platform.Logger()
	cfg, names, err := platform.AWS(context.Background())
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	st := store.New(cfg, names)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{Tracking: st, Directory: st})
	limits := DefaultLimits
	limits.IntakePerSource = platform.Int("INTAKE_PER_SOURCE", limits.IntakePerSource)
	limits.TrackPerSource = platform.Int("TRACK_PER_SOURCE", limits.TrackPerSource)
	limits.WebhookPerSender = platform.Int("WEBHOOK_PER_SENDER", limits.WebhookPerSender)
	limits.IntakeTotal = platform.Int("INTAKE_TOTAL", limits.IntakeTotal)
	limits.Window = time.Duration(platform.Int("RATE_WINDOW_SECONDS", int(limits.Window.Seconds()))) * time.Second
	limits.ProofBits = platform.Int("PROOF_OF_WORK_BITS", 0)
	sm := secretsmanager.NewFromConfig(cfg)
	h := &Handler{
		Service:      svc,
		Limiter:      st,
		Limits:       limits,
		WebhookToken: cachedSecret(sm, os.Getenv("WEBHOOK_SECRET_ARN"), 5*time.Minute, time.Now),
		PublicURL:    os.Getenv("PUBLIC_URL"),
		Log:          log,
		Now:          time.Now,
		NewID:        uuid.NewString,
	}
	lambda.Start(h.Handle)
}
