// Command scanresult is the Lambda function that applies GuardDuty Malware
// Protection for S3 scan results to attachments (docs/attachments.md):
// clean files become attachments of their ticket, anything else is marked
// infected and moved to quarantine. The handler (handler.go) translates
// the EventBridge event; shared/grievance decides, shared/files moves.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	fn.Required("ATTACHMENTS_BUCKET")
	st, b := fn.Store(), fn.Files()
	svc := fn.Service(st, grievance.Options{Attachments: st, Files: b})
	h := &Handler{Scans: svc, Files: b, Bucket: b.Name(), Log: fn.Log}
	lambda.Start(h.Handle)
}
