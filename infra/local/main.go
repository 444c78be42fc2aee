// Command local runs Redress on a developer machine, offline, the way it
// runs in AWS: the real function binaries behind an emulated API Gateway
// (JWT authorizer included) and emulated DynamoDB stream mappings, with
// moto standing in for DynamoDB, Streams, EventBridge and SQS.
//
// Usage:
//
//	go run ./infra/local [run]          start the stack (Ctrl-C stops it)
//	go run ./infra/local token -username alice -groups GrievanceOfficer
//	go run ./infra/local events [--follow]
//	go run ./infra/local outbox [--follow]
//	go run ./infra/local load [-duration 20s]
//	go run ./infra/local people import FILE
//	go run ./infra/local sms -from +258841234567 -text "PAY I was not paid"
//
// Everything is configured by environment variables; `run -h` lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "local:", err)
	}
	stop()
	os.Exit(exitCode(err))
}

// exitCode is 0 for success and for -h (help was asked for and given, as
// with any Unix command), 2 for every error.
func exitCode(err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		cmd = "help"
	} else if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runCommand(ctx, args, getenv, stdout, stderr)
	case "token":
		return tokenCommand(args, getenv, stdout, stderr)
	case "events":
		return eventsCommand(ctx, args, getenv, stdout, stderr)
	case "outbox":
		return outboxCommand(ctx, args, getenv, stdout, stderr)
	case "config":
		return configCommand(ctx, args, getenv, stdout, stderr)
	case "load":
		return loadCommand(ctx, args, getenv, stdout, stderr)
	case "people":
		return peopleCommand(ctx, args, getenv, stdout, stderr)
	case "sms":
		return smsCommand(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

const usage = `usage: local [command] [flags]

commands:
  run      start moto, the tables, the bus, the functions and the API on
           127.0.0.1:8080 (default command; "run -h" lists its environment)
  token    print a signed JWT for the local API ("token -h")
  events   print the events published on the local bus ("events -h")
  outbox   print the SMS and e-mails the notifier sent ("outbox -h")
  config   validate and store the module configuration on any endpoint ("config -h")
  load     bounded load and fault test of the local stack ("load -h")
  people   import a registry file into the directory ("people -h")
  sms      send an inbound SMS to the local stack as End User Messaging would ("sms -h")
`
