// Command floor is a Lambda function that does nothing: coldstart measures
// its start as the floor of process start and the Runtime API handshake.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "", nil })
}
