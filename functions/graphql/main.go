// Command graphql is the Lambda function that serves Redress's GraphQL API
// behind API Gateway (HTTP API, payload 2.0).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	h, err := newHandler(fn)
	if err != nil {
		platform.Fatal(fn.Log, "start", err)
	}
	lambda.Start(h.Handle)
}
