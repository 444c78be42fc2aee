package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/gateway"
)

// The public intake (docs/intake.md), as infra/stack deploys it: the
// intake function behind the routes without the authorizer, and the sms
// function on the inbound SMS topic — here a moto topic with a subscribed
// queue that a poller turns into the SNS events Lambda would deliver.
const (
	Intake = "intake"
	SMS    = "sms"
	// smsAttempts mirrors Lambda's asynchronous invocation: the first try
	// and two retries.
	smsAttempts = 3
	// webhookSecretName is the local secret of the Twilio auth token.
	webhookSecretName = "redress-local-webhook-token"
)

// IntakeRoutes are the public routes of the API (infra/stack IntakeRoutes).
var IntakeRoutes = []string{"GET /intake", "POST /intake", "POST /track", "POST /webhooks/twilio"}

func init() {
	memoryMB[Intake], memoryMB[SMS] = 512, 512
}

// startIntake creates the inbound SMS topic with its queue and the
// webhook secret the options name (run by startAWS).
func (s *Stack) startIntake(ctx context.Context) error {
	var err error
	if s.o.SMSTopic != "" {
		if s.SMS, err = bootstrap.CreateSMSInbound(ctx, s.AWS, s.o.SMSTopic, s.o.SMSQueue); err != nil {
			return err
		}
	}
	if s.o.WebhookToken != "" {
		if s.webhookSecret, err = bootstrap.PutSecret(ctx, s.AWS, webhookSecretName, s.o.WebhookToken); err != nil {
			return err
		}
	}
	return nil
}

// intakeEnv adds what the intake function learns from the stack.
func (s *Stack) intakeEnv(name string, env []string) []string {
	if name == Intake && s.webhookSecret != "" {
		env = append(env, "WEBHOOK_SECRET_ARN="+s.webhookSecret)
	}
	return env
}

// publicRoutes maps the public routes to the intake function, when it runs.
func (s *Stack) publicRoutes() map[string]gateway.Invoker {
	f := s.Functions[Intake]
	if f == nil {
		return nil
	}
	m := map[string]gateway.Invoker{}
	for _, r := range IntakeRoutes {
		m[r] = f
	}
	return m
}

// runIntake feeds the sms function from the queue subscribed to the
// topic, one SNS event per message, until bg ends.
func (s *Stack) runIntake(bg context.Context) {
	f := s.Functions[SMS]
	if f == nil || s.SMS.QueueURL == "" {
		return
	}
	q := sqs.NewFromConfig(s.AWS)
	s.wg.Go(func() {
		for bg.Err() == nil {
			out, err := q.ReceiveMessage(bg, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.SMS.QueueURL),
				MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 5,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
			if err != nil {
				if bg.Err() == nil {
					s.log.Warn("sms queue", "err", err)
				}
				continue
			}
			for _, m := range out.Messages {
				payload, err := snsEvent(aws.ToString(m.Body), s.SMS.TopicARN)
				if err == nil {
					_, err = f.Invoke(bg, payload)
				}
				n, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
				if err != nil && n < smsAttempts {
					s.log.Warn("sms function failed; the message will be retried", "attempt", n, "err", err)
					continue
				}
				if err != nil {
					s.log.Error("sms function failed; message dropped after its retries", "err", err)
				}
				q.DeleteMessage(bg, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.SMS.QueueURL), ReceiptHandle: m.ReceiptHandle})
			}
		}
	})
}

// snsEvent turns the SNS envelope SQS received into the event SNS gives a
// subscribed function.
func snsEvent(body, topicARN string) ([]byte, error) {
	var n struct {
		Type, MessageId, TopicArn, Subject, Message, Timestamp string
	}
	if err := json.Unmarshal([]byte(body), &n); err != nil {
		return nil, fmt.Errorf("sms queue: not an SNS notification: %w", err)
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": topicARN + ":local",
		"Sns": map[string]any{"Type": n.Type, "MessageId": n.MessageId, "TopicArn": n.TopicArn, "Subject": n.Subject,
			"Message": n.Message, "Timestamp": n.Timestamp, "SignatureVersion": "1", "MessageAttributes": map[string]any{}},
	}}}
	return json.Marshal(ev)
}
