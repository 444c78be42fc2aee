// Command importer is the Lambda function that imports registry files
// (individuals and beneficiaries) into the directory: the import bucket
// notifies it of files under imports/ and of continuation states under
// state/ (docs/directory.md). The handler (handler.go) holds the logic;
// shared/directory the parsing and validation, shared/store the upserts.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	fn := platform.Start(context.Background())
	h := &Handler{
		// An emulator (AWS_ENDPOINT_URL) has no bucket subdomains.
		S3:    s3.NewFromConfig(fn.AWS, func(o *s3.Options) { o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != "" }),
		Store: store.New(fn.AWS, fn.Tables),
		Now:   time.Now,
		Log:   fn.Log,
	}
	lambda.Start(h.Handle)
}
