package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SMSInbound is the topic AWS End User Messaging publishes inbound SMS to,
// and the queue subscribed to it from which the local stack feeds the sms
// function (in AWS the function itself is the subscription).
type SMSInbound struct {
	TopicARN string
	QueueURL string
}

// CreateSMSInbound creates (or finds) the inbound SMS topic and the queue
// subscribed to it; every call is idempotent.
func CreateSMSInbound(ctx context.Context, cfg aws.Config, topicName, queueName string) (SMSInbound, error) {
	sn := sns.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)
	t, err := sn.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(topicName)})
	if err != nil {
		return SMSInbound{}, fmt.Errorf("bootstrap: create topic %s: %w", topicName, err)
	}
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queueName)})
	if err != nil {
		return SMSInbound{}, fmt.Errorf("bootstrap: create queue %s: %w", queueName, err)
	}
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return SMSInbound{}, fmt.Errorf("bootstrap: queue arn of %s: %w", queueName, err)
	}
	arn := qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	// Subscribe is idempotent for the same endpoint and attributes.
	if _, err := sn.Subscribe(ctx, &sns.SubscribeInput{TopicArn: t.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(arn)}); err != nil {
		return SMSInbound{}, fmt.Errorf("bootstrap: subscribe %s to %s: %w", queueName, topicName, err)
	}
	return SMSInbound{TopicARN: aws.ToString(t.TopicArn), QueueURL: aws.ToString(qo.QueueUrl)}, nil
}

// PutSecret creates the secret name with value, or sets its value when it
// exists, and returns its ARN.
func PutSecret(ctx context.Context, cfg aws.Config, name, value string) (string, error) {
	sm := secretsmanager.NewFromConfig(cfg)
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)})
	if err == nil {
		return aws.ToString(out.ARN), nil
	}
	var exists *smtypes.ResourceExistsException
	if !errors.As(err, &exists) {
		return "", fmt.Errorf("bootstrap: create secret %s: %w", name, err)
	}
	put, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)})
	if err != nil {
		return "", fmt.Errorf("bootstrap: set secret %s: %w", name, err)
	}
	return aws.ToString(put.ARN), nil
}
