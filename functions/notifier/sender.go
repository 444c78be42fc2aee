package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/sms"
)

// SMSAPI and EmailAPI are the provider calls the sender makes.
type SMSAPI interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

type EmailAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender is the grievance.Sender of the deployment: SMS by SNS Publish to
// a phone number (AWS End User Messaging SMS underneath), e-mail by SES v2
// from From. SenderID and OriginationNumber are the SMS configuration the
// destination countries require (docs/notifications.md); empty: the
// account's defaults.
type Sender struct {
	SMS                         SMSAPI
	Email                       EmailAPI
	From, ConfigurationSet      string
	SenderID, OriginationNumber string
}

var _ grievance.Sender = (*Sender)(nil)

// Send implements grievance.Sender.
func (s *Sender) Send(ctx context.Context, to string, m *grievance.Rendered) error {
	if m.Channel == grievance.ChannelSMS {
		// The intake's replies and these messages go out alike.
		err := (&sms.Sender{SNS: s.SMS, SenderID: s.SenderID}).Send(ctx, to, s.OriginationNumber, m.Body)
		return classify("sms", err)
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{to}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(m.Body), Charset: aws.String("UTF-8")}},
		}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	_, err := s.Email.SendEmail(ctx, in)
	return classify("email", err)
}

// transient are provider error codes worth retrying: throttling, quotas
// per second, provider-side failures.
var transient = map[string]bool{
	"Throttling": true, "ThrottlingException": true, "Throttled": true, "ThrottledException": true,
	"TooManyRequestsException": true, "InternalError": true, "InternalFailure": true, "InternalErrorException": true,
	"ServiceUnavailable": true, "KMSThrottling": true, "KMSThrottlingException": true,
}

// classify turns a provider error into the domain's: UNAVAILABLE when a
// retry may succeed, INTERNAL otherwise. The message never carries the
// recipient (the SDK's error text can).
func classify(channel string, err error) error {
	if err == nil {
		return nil
	}
	code := grievance.CodeInternal
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	switch {
	case errors.As(err, &api) && transient[api.ErrorCode()]:
		code = grievance.CodeUnavailable
	case errors.As(err, &resp) && (resp.HTTPStatusCode() == http.StatusTooManyRequests || resp.HTTPStatusCode() >= 500):
		code = grievance.CodeUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = grievance.CodeUnavailable
	}
	reason := "unknown"
	if errors.As(err, &api) {
		reason = api.ErrorCode()
	}
	return &grievance.Error{Code: code, Message: "The " + channel + " provider refused the message (" + reason + ")."}
}

// QueueAPI is the call that defers a message.
type QueueAPI interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Queue defers messages of the notifier queue at URL.
type Queue struct {
	API QueueAPI
	URL string
}

// Defer implements Deferrer.
func (q *Queue) Defer(ctx context.Context, receiptHandle string, d time.Duration) error {
	_, err := q.API.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(q.URL), ReceiptHandle: aws.String(receiptHandle), VisibilityTimeout: int32(d / time.Second),
	})
	return err
}
