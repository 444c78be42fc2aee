package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// Ensure a recorded ticket insert is logged and reports no failures.
func TestHandler_TicketInsert(t *testing.T) {
	b, err := os.ReadFile("../../events/stream/ticket-insert.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := &Handler{Log: slog.New(slog.NewJSONHandler(&logs, nil))}

	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	} else if got, want := len(resp.BatchItemFailures), 0; got != want {
		t.Fatalf("BatchItemFailures=%d, want %d", got, want)
	}

	var line struct {
		Msg            string            `json:"msg"`
		EventName      string            `json:"eventName"`
		Keys           map[string]string `json:"keys"`
		SequenceNumber string            `json:"sequenceNumber"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", logs.String(), err)
	}
	if line.EventName != "INSERT" || line.SequenceNumber != "1100000000017454423009" ||
		line.Keys["pk"] != "TICKET#3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13" || line.Keys["sk"] != "TICKET" {
		t.Fatalf("log=%+v", line)
	}
}
