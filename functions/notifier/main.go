// Command notifier is the Lambda function that tells complainants and
// staff what happened to a grievance: EventBridge rules route the ticket
// events to its queue, and it sends SMS (SNS) and e-mail (SES v2) from the
// templates of the configuration, once per event and recipient
// (docs/notifications.md).
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	env := platform.Env(os.Getenv)
	// One attempt per SDK call: the notifier's own back-off decides retries.
	sender := &Sender{SMS: sns.NewFromConfig(fn.AWS, func(o *sns.Options) { o.RetryMaxAttempts = 1 }),
		Email: sesv2.NewFromConfig(fn.AWS, func(o *sesv2.Options) { o.RetryMaxAttempts = 1 }),
		From:  fn.Required("SES_FROM_ADDRESS"), ConfigurationSet: env("SES_CONFIGURATION_SET"),
		SenderID: env("SMS_SENDER_ID"), OriginationNumber: env("SMS_ORIGINATION_NUMBER")}
	n := grievance.NewNotifier(fn.Store(), sender, time.Now, nil)
	n.AdminGroup = env("ADMIN_GROUP")
	h := &Handler{Notifier: n, Queue: &Queue{API: sqs.NewFromConfig(fn.AWS), URL: fn.Required("NOTIFY_QUEUE_URL")}, Now: time.Now, Log: fn.Log}
	lambda.Start(h.Handle)
}
