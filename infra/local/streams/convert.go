package streams

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// ConvertRecord turns a record read with the DynamoDB Streams API into the
// record Lambda delivers to a function. The API's record does not carry the
// stream ARN, so the caller passes it; Lambda puts it in eventSourceARN.
func ConvertRecord(r types.Record, streamARN string) (events.DynamoDBEventRecord, error) {
	out := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{
			Type:        aws.ToString(r.UserIdentity.Type),
			PrincipalID: aws.ToString(r.UserIdentity.PrincipalId),
		}
	}
	if d := r.Dynamodb; d != nil {
		ch := &out.Change
		ch.SequenceNumber = aws.ToString(d.SequenceNumber)
		ch.SizeBytes = aws.ToInt64(d.SizeBytes)
		ch.StreamViewType = string(d.StreamViewType)
		if d.ApproximateCreationDateTime != nil {
			ch.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
		var err error
		if ch.Keys, err = convertImage(d.Keys); err != nil {
			return events.DynamoDBEventRecord{}, fmt.Errorf("streams: record %s keys: %w", out.EventID, err)
		}
		if ch.NewImage, err = convertImage(d.NewImage); err != nil {
			return events.DynamoDBEventRecord{}, fmt.Errorf("streams: record %s new image: %w", out.EventID, err)
		}
		if ch.OldImage, err = convertImage(d.OldImage); err != nil {
			return events.DynamoDBEventRecord{}, fmt.Errorf("streams: record %s old image: %w", out.EventID, err)
		}
	}
	return out, nil
}

// convertImage returns nil for an empty image: moto sends OldImage {} on
// INSERT and NewImage {} on REMOVE where AWS sends no image at all, and
// handlers test for nil.
func convertImage(img map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if len(img) == 0 {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(img))
	for k, v := range img {
		c, err := ConvertAttributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

// ConvertAttributeValue converts one attribute value of any kind, recursing
// into maps and lists.
func ConvertAttributeValue(av types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			c, err := ConvertAttributeValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("[%d]: %w", i, err)
			}
			list[i] = c
		}
		return events.NewListAttribute(list), nil
	case *types.AttributeValueMemberM:
		m := make(map[string]events.DynamoDBAttributeValue, len(v.Value))
		for k, e := range v.Value {
			c, err := ConvertAttributeValue(e)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = c
		}
		return events.NewMapAttribute(m), nil
	case nil:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("nil attribute value")
	default:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute value %T", av)
	}
}
