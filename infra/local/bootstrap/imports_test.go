package bootstrap

import (
	"encoding/json"
	"testing"
)

// Ensure moto's notifications are turned into what S3 sends: a zoned
// eventTime and a URL-encoded key; other messages are dropped.
func TestFixS3Event(t *testing.T) {
	tests := []struct {
		name, body, time, key string
		dropped               bool
	}{
		{"moto", `{"Records":[{"eventTime":"2026-11-30T05:00:00.123456","s3":{"object":{"key":"imports/a b+c%.csv"}}}]}`,
			"2026-11-30T05:00:00.123456Z", "imports/a+b%2Bc%25.csv", false},
		{"already zoned", `{"Records":[{"eventTime":"2026-11-30T05:00:00.000Z","s3":{"object":{"key":"imports/x.csv"}}}]}`,
			"2026-11-30T05:00:00.000Z", "imports/x.csv", false},
		{"test event", `{"Service":"Amazon S3","Event":"s3:TestEvent"}`, "", "", true},
		{"not JSON", `nope`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := fixS3Event([]byte(tt.body))
			if tt.dropped {
				if out != nil {
					t.Fatalf("kept %s", out)
				}
				return
			}
			var ev struct {
				Records []struct {
					EventTime string `json:"eventTime"`
					S3        struct {
						Object struct{ Key string } `json:"object"`
					} `json:"s3"`
				}
			}
			if err := json.Unmarshal(out, &ev); err != nil {
				t.Fatal(err)
			}
			if r := ev.Records[0]; r.EventTime != tt.time || r.S3.Object.Key != tt.key {
				t.Fatalf("got %q %q, want %q %q", r.EventTime, r.S3.Object.Key, tt.time, tt.key)
			}
		})
	}
}
