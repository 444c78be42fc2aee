package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// AllEventsPattern matches every event on a bus: EventBridge has no
// "match all" pattern, but every event has a source and every string has
// the empty prefix. moto 5.1.1 accepts it.
const AllEventsPattern = `{"source":[{"prefix":""}]}`

// Bus describes an event bus and the queue that receives all its events.
type Bus struct {
	Name      string
	ARN       string
	RuleName  string
	QueueName string
	QueueURL  string
	QueueARN  string
}

// CreateBus creates (or finds) the event bus busName and the SQS queue
// queueName, and connects them with a rule that forwards every event on the
// bus to the queue. Developers and tests read the queue to see what the
// functions published (`local events`).
func CreateBus(ctx context.Context, cfg aws.Config, busName, queueName string) (Bus, error) {
	eb := eventbridge.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	b := Bus{Name: busName, RuleName: busName + "-all-to-" + queueName, QueueName: queueName}

	if out, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)}); err == nil {
		b.ARN = aws.ToString(out.EventBusArn)
	} else {
		var exists *ebtypes.ResourceAlreadyExistsException
		if !errors.As(err, &exists) {
			return Bus{}, fmt.Errorf("bootstrap: create event bus %s: %w", busName, err)
		}
		d, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(busName)})
		if err != nil {
			return Bus{}, fmt.Errorf("bootstrap: describe event bus %s: %w", busName, err)
		}
		b.ARN = aws.ToString(d.Arn)
	}

	// CreateQueue is idempotent for identical attributes.
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queueName)})
	if err != nil {
		return Bus{}, fmt.Errorf("bootstrap: create queue %s: %w", queueName, err)
	}
	b.QueueURL = aws.ToString(qo.QueueUrl)
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       qo.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return Bus{}, fmt.Errorf("bootstrap: queue arn of %s: %w", queueName, err)
	}
	b.QueueARN = qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]

	// In AWS the queue must allow EventBridge to send; moto does not check,
	// but keeping the policy makes the local setup a faithful copy.
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",`+
		`"Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":%q}]}`, b.QueueARN)
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl:   qo.QueueUrl,
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy},
	}); err != nil {
		return Bus{}, fmt.Errorf("bootstrap: queue policy of %s: %w", queueName, err)
	}

	// PutRule and PutTargets are upserts.
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{
		Name:         aws.String(b.RuleName),
		EventBusName: aws.String(busName),
		EventPattern: aws.String(AllEventsPattern),
		State:        ebtypes.RuleStateEnabled,
	}); err != nil {
		return Bus{}, fmt.Errorf("bootstrap: put rule %s: %w", b.RuleName, err)
	}
	pt, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:         aws.String(b.RuleName),
		EventBusName: aws.String(busName),
		Targets:      []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(b.QueueARN)}},
	})
	if err != nil {
		return Bus{}, fmt.Errorf("bootstrap: put targets of %s: %w", b.RuleName, err)
	}
	// PutTargets reports per-target failures in the output, not as an error.
	if pt.FailedEntryCount > 0 {
		e := pt.FailedEntries[0]
		return Bus{}, fmt.Errorf("bootstrap: put targets of %s: %s: %s", b.RuleName, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
	}
	return b, nil
}
