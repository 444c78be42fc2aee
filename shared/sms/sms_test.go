package sms

import (
	"context"
	"errors"
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
