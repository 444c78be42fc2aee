// Command sla is the Lambda function that sweeps service levels on a
// schedule (EventBridge, every 15 minutes; `go run ./infra/local run`
// every SLA_INTERVAL): it publishes ticket.overdue for open tickets whose
// due date ran out and escalates them by the levels configured per
// category (docs/sla.md). The handler (handler.go) holds the logic;
// shared/store the due-date index and the once-only markers.
package main

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(os.Getenv("LOG_LEVEL"))}))
	busName := os.Getenv("EVENT_BUS_NAME")
	if busName == "" {
		log.Error("environment variable EVENT_BUS_NAME is not set")
		os.Exit(1)
	}
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
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Store: st, Config: svc, Events: eventbridge.NewFromConfig(cfg), Bus: busName,
		Now: time.Now, NewID: uuid.NewString, Log: log}
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
