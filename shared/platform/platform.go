// Package platform gives every Lambda function the same start: a JSON
// logger at the level LOG_LEVEL names, the AWS configuration (which
// honours AWS_ENDPOINT_URL, so the same code runs against AWS and a local
// emulator), the table names, and typed environment settings. It keeps the
// functions' main.go files to wiring.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/redress-grm/redress/shared/store"
)

// Logger returns a JSON logger on standard output at LOG_LEVEL (debug,
// info, warn, error; anything else is info, so a typo never silences a
// function).
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: Level(os.Getenv("LOG_LEVEL"))}))
}

// Level maps a level name to a slog level, info when it is not one.
func Level(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(s)))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// AWS returns the AWS configuration and the physical table names from the
// environment.
func AWS(ctx context.Context) (aws.Config, store.TableNames, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, store.TableNames{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	names, err := store.NamesFromEnv()
	if err != nil {
		return aws.Config{}, store.TableNames{}, err
	}
	return cfg, names, nil
}

// Bool returns the boolean environment variable name, or def when it is
// unset or not a boolean.
func Bool(name string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return b
	}
	return def
}

// Int returns the positive integer environment variable name, or def.
func Int(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// Fatal logs why a function cannot start and exits: Lambda reports the
// init error and retries with a new sandbox.
func Fatal(log *slog.Logger, msg string, err error) {
	log.Error(msg, "err", err)
	os.Exit(1)
}
