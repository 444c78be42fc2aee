package bootstrap

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
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
