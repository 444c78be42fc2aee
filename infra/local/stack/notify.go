package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/outbox"
	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/grievance"
)

// Notifier is the notification function (docs/notifications.md): rules of
// the bus route the ticket events to its queue, which the deployed event
// source mapping (here a poller) feeds to it in batches.
const Notifier = "notifier"

// NotifierMaxReceive is how often a message is tried before its queue
// dead-letters it (quiet-hours deferrals count too).
const NotifierMaxReceive = 10

func init() {
	memoryMB[Notifier] = 256
	publishers = append(publishers, Notifier) // needs the bus
}

// NotifierPattern matches the events the notifier acts on.
func NotifierPattern() string {
	b, _ := json.Marshal(map[string][]string{"source": {bus.Source}, "detail-type": grievance.NoticeTypes})
	return string(b)
}

// startNotifier creates the notifier's queue and rule, makes its sender
// address a verified SES identity and turns on the recorder the outbox
// reads (run by startAWS).
func (s *Stack) startNotifier(ctx context.Context) error {
	if !s.runs(Notifier) {
		return nil
	}
	var err error
	name := s.o.BusName + "-notifications"
	if s.NotifyQueue, err = bootstrap.RouteToQueue(ctx, s.AWS, s.o.BusName, s.o.BusName+"-to-notifier", NotifierPattern(), name, NotifierMaxReceive); err != nil {
		return err
	}
	if err := bootstrap.VerifySender(ctx, s.AWS, s.o.SenderAddress); err != nil {
		return err
	}
	return outbox.StartRecording(ctx, s.Endpoint)
}

func (s *Stack) runs(name string) bool {
	for _, n := range s.o.Functions {
		if n == name {
			return true
		}
	}
	return false
}

// pollNotifier feeds the notifier queue to the function as Lambda's SQS
// event source mapping does: batches of up to ten, the messages the
// function does not report as failed deleted, the failed ones left to
// come back (or to the dead-letter queue).
func (s *Stack) pollNotifier(ctx context.Context) {
	f := s.Functions[Notifier]
	q := sqs.NewFromConfig(s.AWS)
	url := aws.String(s.NotifyQueue.URL)
	for ctx.Err() == nil {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("notifier queue", "err", err)
				time.Sleep(time.Second)
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		if err := s.invokeNotifier(ctx, q, url, out.Messages, f.Invoke); err != nil && ctx.Err() == nil {
			s.log.Warn("notifier batch failed; its messages come back", "err", err)
		}
	}
}

func (s *Stack) invokeNotifier(ctx context.Context, q *sqs.Client, url *string, msgs []sqstypes.Message, invoke func(context.Context, []byte) ([]byte, error)) error {
	ev := events.SQSEvent{}
	for _, m := range msgs {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
			Body: aws.ToString(m.Body), Attributes: m.Attributes, EventSource: "aws:sqs", EventSourceARN: s.NotifyQueue.ARN})
	}
	payload, _ := json.Marshal(ev)
	res, err := invoke(ctx, payload)
	if err != nil {
		return err
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(res, &resp); err != nil {
		return fmt.Errorf("notifier response: %w", err)
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	var errs []error
	for _, m := range msgs {
		if failed[aws.ToString(m.MessageId)] {
			continue
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: url, ReceiptHandle: m.ReceiptHandle}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
