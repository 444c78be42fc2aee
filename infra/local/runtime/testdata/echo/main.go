// Command echo is a Lambda function for the runtime emulator's tests. Its
// event says what to do: echo a value, fail, panic, crash, sleep, or wait
// for a file (so a test can hold several invocations open at once).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op    string `json:"op"`
	Value any    `json:"value"`
	Ms    int    `json:"ms"`
	Dir   string `json:"dir"`
}

type reply struct {
	Value       any               `json:"value"`
	PID         int               `json:"pid"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	HasDeadline bool              `json:"hasDeadline"`
	Env         map[string]string `json:"env"`
}

func handle(ctx context.Context, ev event) (reply, error) {
	fmt.Printf("handling op=%s\n", ev.Op)
	switch ev.Op {
	case "error":
		return reply{}, errors.New("echo failed on purpose")
	case "panic":
		panic("echo panics on purpose")
	case "exit":
		os.Exit(3)
	case "sleep":
		time.Sleep(time.Duration(ev.Ms) * time.Millisecond)
	case "wait":
		// Announce that this invocation runs, then wait for the release file.
		os.WriteFile(filepath.Join(ev.Dir, fmt.Sprintf("started-%d", os.Getpid())), nil, 0o644)
		for {
			if _, err := os.Stat(filepath.Join(ev.Dir, "release")); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	lc, _ := lambdacontext.FromContext(ctx)
	_, hasDeadline := ctx.Deadline()
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "ECHO_EXTRA", "TZ"} {
		env[k] = os.Getenv(k)
	}
	return reply{Value: ev.Value, PID: os.Getpid(), RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, HasDeadline: hasDeadline, Env: env}, nil
}

func main() {
	if os.Getenv("ECHO_INIT_FAIL") != "" {
		fmt.Fprintln(os.Stderr, "echo: init fails on purpose")
		os.Exit(1)
	}
	lambda.Start(handle)
}
