// Command tasks is the Lambda function that turns changes of the Main
// table (from its stream) into task events on the EventBridge bus.
//
// For now it only decodes and logs each stream record; the event
// publishing comes later.
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(os.Getenv("LOG_LEVEL"))}))
	h := &Handler{Log: log}
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
