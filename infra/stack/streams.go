package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Stream consumer settings. Without bounds a failing record would be
// retried until it leaves the stream (24 h) while its shard stalls.
const (
	StreamBatchSize       = 100
	StreamBatchWindowSecs = 1
	StreamRetryAttempts   = 5
	// StreamMaxRecordAgeSecs leaves room for an outage to be fixed before
	// records go to the dead-letter queue, well inside the 24 h retention.
	StreamMaxRecordAgeSecs = 6 * 60 * 60
	// DLQRetentionDays is the longest SQS keeps a message.
	DLQRetentionDays = 14
)

// Consumer is one function subscribed to the stream with its dead-letter queue.
type Consumer struct {
	Name     string
	Function awslambda.Function
	// DLQ receives a description of every batch that exhausted its retries
	// (shard and sequence numbers, not the records).
	DLQ     awssqs.Queue
	Mapping awslambda.CfnEventSourceMapping
}

// Streams subscribes consumers to a table's stream.
//
// The mappings are written at the CloudFormation level so that no
// permission is granted behind the scenes: grants.go gives each consumer its
// stream read and dead-letter send permissions, next to everything else.
type Streams struct {
	constructs.Construct
	Consumers []*Consumer
}

// NewStreams creates an event source mapping and a dead-letter queue for
// each consumer of table's stream.
func NewStreams(scope constructs.Construct, id string, table awsdynamodb.ITable, consumers ...Named) *Streams {
	s := &Streams{Construct: constructs.NewConstruct(scope, jsii.String(id))}
	for _, c := range consumers {
		cid := *c.Function.Node().Id()
		dlq := deadLetterQueue(s.Construct, cid+"DLQ",
			"This queue is itself the dead-letter destination of a stream mapping (on-failure destination); it has no consumer that could fail into another queue.")
		m := awslambda.NewCfnEventSourceMapping(s.Construct, jsii.String(cid+"Mapping"), &awslambda.CfnEventSourceMappingProps{
			FunctionName:                   c.Function.FunctionArn(),
			EventSourceArn:                 table.TableStreamArn(),
			StartingPosition:               jsii.String("TRIM_HORIZON"),
			BatchSize:                      jsii.Number(StreamBatchSize),
			MaximumBatchingWindowInSeconds: jsii.Number(StreamBatchWindowSecs),
			BisectBatchOnFunctionError:     jsii.Bool(true),
			MaximumRetryAttempts:           jsii.Number(StreamRetryAttempts),
			MaximumRecordAgeInSeconds:      jsii.Number(StreamMaxRecordAgeSecs),
			FunctionResponseTypes:          jsii.Strings("ReportBatchItemFailures"),
			DestinationConfig: &awslambda.CfnEventSourceMapping_DestinationConfigProperty{
				OnFailure: &awslambda.CfnEventSourceMapping_OnFailureProperty{Destination: dlq.QueueArn()},
			},
		})
		// Lambda checks the role when the mapping is created, so the
		// mapping waits for the function and its role's policy.
		m.Node().AddDependency(c.Function, c.Function.Role())
		s.Consumers = append(s.Consumers, &Consumer{Name: c.Name, Function: c.Function, DLQ: dlq, Mapping: m})
	}
	return s
}

// deadLetterQueue creates an encrypted, TLS-only queue that keeps what a
// rule's target or a stream mapping could not deliver for
// DLQRetentionDays. why says why cdk-nag's SQS3 (a queue without a
// dead-letter queue of its own) does not apply to it.
func deadLetterQueue(scope constructs.Construct, id, why string) awssqs.Queue {
	dlq := awssqs.NewQueue(scope, jsii.String(id), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(DLQRetentionDays)),
	})
	nagSuppress(dlq, "AwsSolutions-SQS3", why)
	return dlq
}
