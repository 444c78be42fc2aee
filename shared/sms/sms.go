// Package sms sends text messages through Amazon SNS, which delivers them
// with AWS End User Messaging SMS: the replies of the SMS intake, and the
// notifications that build on it.
package sms

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// Publisher is the SNS call a Sender makes.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Sender sends SMS. SenderID, when set, is the alphanumeric sender some
// destination countries require (docs/notifications.md).
type Sender struct {
	SNS      Publisher
	SenderID string
}

// Send sends text to the phone number to (E.164). from, when set, is the
// origination number (the number the complainant wrote to), so that the
// reply comes from where they expect it; messages are transactional,
// which carriers deliver first and never drop as marketing.
func (s *Sender) Send(ctx context.Context, to, from, text string) error {
	attrs := map[string]types.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	if from != "" {
		attrs["AWS.MM.SMS.OriginationNumber"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(from)}
	}
	_, err := s.SNS.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(to), Message: aws.String(text), MessageAttributes: attrs})
	if err != nil {
		return &sendError{err: err}
	}
	return nil
}

// sendError is a failed Publish that prints the provider's error code
// only: SNS's messages can name the phone number ("Invalid parameter:
// PhoneNumber Reason: +66… is not valid to publish to"), and errors are
// logged. The cause stays reachable with errors.As, for its code or
// status.
type sendError struct{ err error }

func (e *sendError) Error() string {
	reason := "unknown"
	var api smithy.APIError
	switch {
	case errors.As(e.err, &api):
		reason = api.ErrorCode()
	case errors.Is(e.err, context.DeadlineExceeded), errors.Is(e.err, context.Canceled):
		reason = "timeout"
	}
	return "send SMS: the provider refused the message (" + reason + ")"
}

func (e *sendError) Unwrap() error { return e.err }
