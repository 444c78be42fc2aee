// Package platform gives every Lambda function the same start: a JSON
// logger at the level LOG_LEVEL names, the AWS configuration (which
// honours AWS_ENDPOINT_URL, so the same code runs against AWS and a local
// emulator, and traces its calls with X-Ray in Lambda), the table names,
// and typed environment settings. It keeps the functions' main.go files
// to wiring.
package platform

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/redress-grm/redress/shared/store"
)

// Function is what a function's main.go starts from.
type Function struct {
	Log    *slog.Logger
	AWS    aws.Config
	Tables store.TableNames
}

// Start returns the logger, the AWS configuration and the table names, or
// exits (Fatal) when the configuration cannot be loaded.
func Start(ctx context.Context) *Function {
	log := Logger()
	cfg, names, err := awsConfig(ctx, log)
	if err != nil {
		Fatal(log, "start", err)
	}
	return &Function{Log: log, AWS: cfg, Tables: names}
}

// Required returns the environment variable name, or exits (Fatal) when it
// is unset: the function cannot work without it.
func (f *Function) Required(name string) string {
	v, err := Required(name)
	if err != nil {
		Fatal(f.Log, "configuration", err)
	}
	return v
}

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
// environment. Every client made from the configuration traces its calls
// as X-Ray subsegments in Lambda (TraceCalls), and records its calls when
// EnvCallLog is set (the local runtime names the function in
// AWS_LAMBDA_FUNCTION_NAME, as Lambda does).
func AWS(ctx context.Context) (aws.Config, store.TableNames, error) {
	return awsConfig(ctx, Logger())
}

func awsConfig(ctx context.Context, log *slog.Logger) (aws.Config, store.TableNames, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, store.TableNames{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	names, err := store.NamesFromEnv()
	if err != nil {
		return aws.Config{}, store.TableNames{}, err
	}
	TraceCalls(&cfg, os.Getenv, log)
	RecordDirectoryCalls(&cfg, functionName(), names, os.Getenv("EVENT_BUS_NAME"), os.Getenv(EnvImportBucket), os.Getenv(EnvUserPoolID))
	return cfg, names, nil
}

func functionName() string {
	if n := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); n != "" {
		return n
	}
	return filepath.Base(os.Args[0])
}

// Env reads typed settings from an environment: os.Getenv in a function,
// a map's lookup in tests. A setting that is not of its type counts as
// unset, so a typo falls back to the default instead of stopping a
// function; settings without a default say so with Required.
type Env func(name string) string

// Required returns the variable name, or an error when it is unset.
func (e Env) Required(name string) (string, error) {
	if v := e(name); v != "" {
		return v, nil
	}
	return "", fmt.Errorf("environment variable %s is not set", name)
}

// Bool returns the boolean variable name, or def.
func (e Env) Bool(name string, def bool) bool {
	if b, err := strconv.ParseBool(e(name)); err == nil {
		return b
	}
	return def
}

// Int returns the positive integer variable name, or def.
func (e Env) Int(name string, def int) int {
	if n, err := strconv.Atoi(e(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// Limit returns the integer variable name, 0 when it is unset or not a
// number. Negative values are kept: limits read them as "off".
func (e Env) Limit(name string) int {
	n, _ := strconv.Atoi(e(name))
	return n
}

// Required returns the environment variable name, or an error when it is
// unset.
func Required(name string) (string, error) { return Env(os.Getenv).Required(name) }

// Bool returns the boolean environment variable name, or def when it is
// unset or not a boolean.
func Bool(name string, def bool) bool { return Env(os.Getenv).Bool(name, def) }

// Int returns the positive integer environment variable name, or def.
func Int(name string, def int) int { return Env(os.Getenv).Int(name, def) }

// Fatal logs why a function cannot start and exits: Lambda reports the
// init error and retries with a new sandbox.
func Fatal(log *slog.Logger, msg string, err error) {
	log.Error(msg, "err", err)
	os.Exit(1)
}
