package sms

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

type refusing struct{ err error }

func (r refusing) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return nil, r.err
}

// Ensure a refused message's error, which is logged, never carries the
// number SNS's own message names, and still tells its code to a caller.
func TestSend_ErrorKeepsTheCodeNotTheNumber(t *testing.T) {
	const number = "+66812345678"
	refused := &smithy.GenericAPIError{Code: "InvalidParameter", Message: "Invalid parameter: PhoneNumber Reason: " + number + " is not valid to publish to"}
	err := (&Sender{SNS: refusing{refused}}).Send(context.Background(), number, "", "Your complaint GRS00000042 was received.")
	var api smithy.APIError
	if err == nil || strings.Contains(err.Error(), number) || !strings.Contains(err.Error(), "InvalidParameter") ||
		!errors.As(err, &api) || api.ErrorCode() != "InvalidParameter" {
		t.Fatalf("err = %v", err)
	}
}

type recording struct{ in *sns.PublishInput }

func (r *recording) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.in = in
	return &sns.PublishOutput{}, nil
}

// Ensure every message is transactional, and carries the sender id and
// the origination number only when they are configured.
func TestSend_Attributes(t *testing.T) {
	for _, tt := range []struct {
		name, senderID, from string
		want                 []string
	}{
		{"defaults", "", "", []string{"AWS.SNS.SMS.SMSType=Transactional"}},
		{"configured", "Redress", "+258840000001", []string{"AWS.MM.SMS.OriginationNumber=+258840000001", "AWS.SNS.SMS.SMSType=Transactional", "AWS.SNS.SMS.SenderID=Redress"}},
	} {
		r := &recording{}
		if err := (&Sender{SNS: r, SenderID: tt.senderID}).Send(context.Background(), "+258841234567", tt.from, "hi"); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k, v := range r.in.MessageAttributes {
			got = append(got, k+"="+*v.StringValue)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) || *r.in.PhoneNumber != "+258841234567" || *r.in.Message != "hi" {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}
