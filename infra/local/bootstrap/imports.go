package bootstrap

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/redress-grm/redress/shared/directory"
)

// ImportBucket is the local import bucket and the queue its notifications
// go to (in AWS they invoke the importer function directly; locally a
// poller of this queue invokes it, as the stream poller does for tables).
type ImportBucket struct {
	Name     string
	QueueURL string
}

// NotifiedPrefixes are the key prefixes (and suffixes) whose new objects
// the importer is told about: files to import and continuation states. The
// CDK stack (infra/stack) and the local bucket use the same list.
var NotifiedPrefixes = []struct{ Prefix, Suffix string }{{"imports/", ""}, {"state/", ".json"}}

// S3Client returns an S3 client for an emulator: path-style addressing,
// because the emulator's host name has no bucket subdomains.
func S3Client(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		// moto's objects carry no checksums, which the SDK would log on
		// every GetObject.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
}

// CreateImportBucket creates (or finds) a versioned bucket and a queue,
// and points the bucket's ObjectCreated notifications for
// NotifiedPrefixes at the queue. It is idempotent.
func CreateImportBucket(ctx context.Context, cfg aws.Config, bucket, queueName string) (ImportBucket, error) {
	s := S3Client(cfg)
	q := sqs.NewFromConfig(cfg)
	if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		var owned *s3types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return ImportBucket{}, fmt.Errorf("bootstrap: create bucket %s: %w", bucket, err)
		}
	}
	if _, err := s.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		return ImportBucket{}, fmt.Errorf("bootstrap: versioning of %s: %w", bucket, err)
	}
	qo, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(queueName)})
	if err != nil {
		return ImportBucket{}, fmt.Errorf("bootstrap: create queue %s: %w", queueName, err)
	}
	qa, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qo.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return ImportBucket{}, fmt.Errorf("bootstrap: queue arn of %s: %w", queueName, err)
	}
	arn := qa.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	var qcs []s3types.QueueConfiguration
	for _, p := range NotifiedPrefixes {
		rules := []s3types.FilterRule{{Name: s3types.FilterRuleNamePrefix, Value: aws.String(p.Prefix)}}
		if p.Suffix != "" {
			rules = append(rules, s3types.FilterRule{Name: s3types.FilterRuleNameSuffix, Value: aws.String(p.Suffix)})
		}
		qcs = append(qcs, s3types.QueueConfiguration{QueueArn: aws.String(arn),
			Events: []s3types.Event{s3types.EventS3ObjectCreated},
			Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: rules}}})
	}
	if _, err := s.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: qcs},
	}); err != nil {
		return ImportBucket{}, fmt.Errorf("bootstrap: notifications of %s: %w", bucket, err)
	}
	return ImportBucket{Name: bucket, QueueURL: aws.ToString(qo.QueueUrl)}, nil
}

// ReceiveS3Events takes the S3 notifications waiting in the queue (waiting
// up to wait for the first) and returns each as the JSON of the event
// Lambda would receive. S3's test event, sent when notifications are
// configured, is dropped.
func ReceiveS3Events(ctx context.Context, q *sqs.Client, queueURL string, wait int32) ([][]byte, error) {
	out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL),
		MaxNumberOfMessages: 10, WaitTimeSeconds: wait})
	if err != nil {
		return nil, fmt.Errorf("receive import notifications: %w", err)
	}
	var events [][]byte
	for _, m := range out.Messages {
		if ev := fixS3Event([]byte(aws.ToString(m.Body))); ev != nil {
			events = append(events, ev)
		}
		if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
			return nil, fmt.Errorf("delete import notification: %w", err)
		}
	}
	return events, nil
}

// fixS3Event returns a notification as S3 sends it, or nil when it is not
// an object event. moto 5.1.1 writes eventTime without a zone
// ("2026-11-30T05:00:00.123456"), where S3 writes UTC with a Z, which
// Lambda's event types require; and it writes the object key as is, where
// S3 URL-encodes it (a space as "+"), which the importer decodes.
func fixS3Event(body []byte) []byte {
	var ev map[string]any
	if json.Unmarshal(body, &ev) != nil {
		return nil
	}
	recs, _ := ev["Records"].([]any)
	if len(recs) == 0 {
		return nil
	}
	for _, r := range recs {
		if m, ok := r.(map[string]any); ok {
			if t, ok := m["eventTime"].(string); ok && !strings.HasSuffix(t, "Z") && !strings.Contains(t[min(len(t), 19):], "+") {
				m["eventTime"] = t + "Z"
			}
			if s3, ok := m["s3"].(map[string]any); ok {
				if obj, ok := s3["object"].(map[string]any); ok {
					if key, ok := obj["key"].(string); ok {
						parts := strings.Split(key, "/")
						for i, p := range parts {
							parts[i] = url.QueryEscape(p)
						}
						obj["key"] = strings.Join(parts, "/")
					}
				}
			}
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		return nil
	}
	return out
}

// ImportFile imports body the way a platform team's upload is imported
// in AWS: it puts it at key (under imports/) in the import bucket and
// waits, up to wait, for the report the importer writes next to it
// (reports/<rest of key>.json, the importer's rule). It only uploads:
// the bucket notifies, and a running importer does the rest,
// continuations included. The previous report of key is deleted first,
// so that the one awaited is this import's.
func ImportFile(ctx context.Context, cfg aws.Config, bucket, key string, body []byte, wait time.Duration) (directory.Report, error) {
	s := S3Client(cfg)
	reportKey := "reports/" + strings.TrimPrefix(key, "imports/") + ".json"
	if _, err := s.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(reportKey)}); err != nil {
		return directory.Report{}, fmt.Errorf("import %s: delete the previous report: %w", key, err)
	}
	if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		return directory.Report{}, fmt.Errorf("import %s: upload: %w", key, err)
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		out, err := s.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(reportKey)})
		if err == nil {
			var r directory.Report
			err = json.NewDecoder(out.Body).Decode(&r)
			out.Body.Close()
			if err != nil {
				return r, fmt.Errorf("import %s: report: %w", key, err)
			}
			return r, nil
		}
		select {
		case <-ctx.Done():
			return directory.Report{}, fmt.Errorf("import %s: no report after %v (is the importer running?)", key, wait)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
