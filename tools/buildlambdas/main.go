// Command buildlambdas builds every function's Lambda bootstrap into
// DIR/<function>/bootstrap the way the CDK app does (infra/lambdabuild).
//
// Usage: go run ./tools/buildlambdas DIR
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/redress-grm/redress/infra/lambdabuild"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: buildlambdas DIR")
		os.Exit(2)
	}
	names, err := lambdabuild.Functions(".")
	if err == nil {
		err = lambdabuild.Build(context.Background(), ".", os.Args[1], names...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildlambdas:", err)
		os.Exit(1)
	}
}
