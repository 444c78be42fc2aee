package bootstrap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// VerifySender makes from a verified SES identity, as the deployed stack's
// email identity is (docs/notifications.md). moto's SES v2 serves no
// identity API, so the v1 call does it; both share moto's SES backend.
func VerifySender(ctx context.Context, cfg aws.Config, from string) error {
	if _, err := ses.NewFromConfig(cfg).VerifyEmailIdentity(ctx, &ses.VerifyEmailIdentityInput{EmailAddress: aws.String(from)}); err != nil {
		return fmt.Errorf("bootstrap: verify sender %s: %w", from, err)
	}
	return nil
}

// Queue is an SQS queue a rule routes events to, with its dead-letter
// queue.
type Queue struct {
	Name, URL, ARN string
	DLQURL         string
}

func createQueue(ctx context.Context, q *sqs.Client, name string, attrs map[string]string) (url, arn string, err error) {
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", "", fmt.Errorf("bootstrap: create queue %s: %w", name, err)
	}
	a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: out.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", "", fmt.Errorf("bootstrap: queue arn of %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), a.Attributes[string(sqstypes.QueueAttributeNameQueueArn)], nil
}

// RouteToQueue creates the queue name (redriven to name-dlq after
// maxReceive receives) and a rule of busName matching pattern that sends
// to it: the notifier's wiring, as infra/stack deploys it.
func RouteToQueue(ctx context.Context, cfg aws.Config, busName, ruleName, pattern, name string, maxReceive int) (Queue, error) {
	q := sqs.NewFromConfig(cfg)
	eb := eventbridge.NewFromConfig(cfg)
	dlqURL, dlqARN, err := createQueue(ctx, q, name+"-dlq", nil)
	if err != nil {
		return Queue{}, err
	}
	redrive := fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqARN, maxReceive)
	url, arn, err := createQueue(ctx, q, name, map[string]string{string(sqstypes.QueueAttributeNameRedrivePolicy): redrive})
	if err != nil {
		return Queue{}, err
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(ruleName), EventBusName: aws.String(busName),
		EventPattern: aws.String(pattern), State: ebtypes.RuleStateEnabled}); err != nil {
		return Queue{}, fmt.Errorf("bootstrap: put rule %s: %w", ruleName, err)
	}
	pt, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(ruleName), EventBusName: aws.String(busName),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(arn)}}})
	if err != nil {
		return Queue{}, fmt.Errorf("bootstrap: put targets of %s: %w", ruleName, err)
	}
	if pt.FailedEntryCount > 0 {
		return Queue{}, fmt.Errorf("bootstrap: put targets of %s: %s", ruleName, aws.ToString(pt.FailedEntries[0].ErrorMessage))
	}
	return Queue{Name: name, URL: url, ARN: arn, DLQURL: dlqURL}, nil
}
