// Command tasks is the Lambda function that turns changes of the Main
// table (from its stream) into business events on the EventBridge bus
// named by EVENT_BUS_NAME: one event per fact (ticket created, staff
// assigned, status changed, resolved, reopened, deleted, comment created)
// and task requests for the task system. shared/bus defines the events;
// docs/events.md documents them.
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
	svc := grievance.NewService(store.New(cfg, names), time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Publisher: &Publisher{API: eventbridge.NewFromConfig(cfg), Bus: busName}, Config: svc, Log: log}
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
