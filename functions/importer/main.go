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
	log := platform.Logger()
	cfg, names, err := platform.AWS(context.Background())
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	h := &Handler{
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) { // An emulator (AWS_ENDPOINT_URL) has no bucket subdomains.
			o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL") != ""
		}),
		Store: store.New(cfg, names),
		Now:   time.Now,
		Log:   log,
	}
	lambda.Start(h.Handle)
}
