// Command sms is the Lambda function subscribed to the SNS topic where AWS
// End User Messaging SMS publishes inbound messages (docs/intake.md): a
// text is filed as a complaint or answered with a case's status, and the
// reply goes back by SMS.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/sms"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	fn := platform.Start(context.Background())
	st := store.New(fn.AWS, fn.Tables)
	env := platform.Env(os.Getenv)
	h := &Handler{
		Service:   grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{Tracking: st, Directory: st, OptOuts: st}),
		Sender:    &sms.Sender{SNS: sns.NewFromConfig(fn.AWS)},
		Limiter:   st,
		PerSender: env.Int("SMS_PER_SENDER", 10),
		Window:    time.Duration(env.Int("RATE_WINDOW_SECONDS", 600)) * time.Second,
		Log:       fn.Log,
		Now:       time.Now,
	}
	lambda.Start(h.Handle)
}
