package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/tools/load"
)

const loadHelp = `usage: local load [flags]

Runs a bounded loopback load and fault test: starts moto, the graphql and
history functions behind the emulated API Gateway, and a fault proxy
between the graphql function and moto; then checks that every
acknowledged ticket and comment is stored and in history and nothing is
half-written (docs/reliability.md).

Environment (flags override): LOAD_DURATION [20s], LOAD_WORKERS [8],
LOAD_MAX_REQUESTS [20000], LOAD_THROTTLE_RATE [0.05], LOAD_DROP_RATE [0.01],
LOAD_OUTAGE [3s], AWS_ENDPOINT_URL (a running moto instead of starting one).
`

func loadCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, loadHelp) }
	dur := fs.Duration("duration", envDuration(getenv, "LOAD_DURATION", 20*time.Second), "load phase")
	workers := fs.Int("workers", envIntOr(getenv, "LOAD_WORKERS", 8), "concurrent clients")
	maxReq := fs.Int("max-requests", envIntOr(getenv, "LOAD_MAX_REQUESTS", 20000), "bound on requests")
	throttle := fs.Float64("throttle", envFloat(getenv, "LOAD_THROTTLE_RATE", 0.05), "share of DynamoDB requests throttled")
	drop := fs.Float64("drop", envFloat(getenv, "LOAD_DROP_RATE", 0.01), "share of DynamoDB requests dropped")
	outage := fs.Duration("outage", envDuration(getenv, "LOAD_OUTAGE", 3*time.Second), "emulator unreachable this long mid-run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	root, err := moto.RepoRoot()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fmt.Fprintf(stderr, "load: %s, %d workers, throttle %.2f, drop %.2f, outage %s\n", *dur, *workers, *throttle, *drop, *outage)
	res, err := load.Run(ctx, load.Config{Root: root, Endpoint: getenv("AWS_ENDPOINT_URL"), Duration: *dur, Workers: *workers,
		MaxRequests: *maxReq, ThrottleRate: *throttle, DropRate: *drop, Outage: *outage, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Report())
	if !res.OK() {
		return errors.New("load: checks failed")
	}
	return nil
}

func envDuration(getenv func(string) string, key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(getenv(key)); err == nil {
		return d
	}
	return def
}

func envIntOr(getenv func(string) string, key string, def int) int {
	var n int
	if _, err := fmt.Sscan(getenv(key), &n); err == nil {
		return n
	}
	return def
}

func envFloat(getenv func(string) string, key string, def float64) float64 {
	var f float64
	if _, err := fmt.Sscan(getenv(key), &f); err == nil {
		return f
	}
	return def
}
