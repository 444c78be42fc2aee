// Command history is the Lambda function that records every version of
// tickets and comments in the History table, from the Main table's stream,
// and keeps the statistics aggregates (docs/sla.md) from the same records.
// The handler (handler.go) reports failures per record; shared/store owns
// the record shapes and the idempotent, batched writes.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/redress-grm/redress/shared/store"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(os.Getenv("LOG_LEVEL"))}))
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("load AWS configuration", "err", err)
		os.Exit(1)
	}
	names, err := store.NamesFromEnv()
	if err != nil {
		log.Error("table names", "err", err)
		os.Exit(1)
	}
	st := store.New(cfg, names)
	h := &Handler{History: st, Stats: st, Log: log}
	lambda.Start(h.Handle)
}

// logLevel maps LOG_LEVEL (debug, info, warn, error) to a slog level;
// anything else is info, so a typo never silences the function.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}
