package store_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/store"
)

// FuzzDecodeChange feeds arbitrary stream records (as the Lambda runtime
// would decode them from JSON) to DecodeChange: it must never panic, must
// fail only with ErrMalformedRecord, and a ticket or comment it accepts has
// an id and a version from 1 on (what the history and tasks consumers rely
// on). Seeds: every record of the recorded fixtures in events/stream plus
// testdata/fuzz/FuzzDecodeChange.
func FuzzDecodeChange(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "stream", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var ev struct{ Records []json.RawMessage }
		if json.Unmarshal(b, &ev) != nil {
			continue
		}
		for _, r := range ev.Records {
			f.Add([]byte(r))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec events.DynamoDBEventRecord
		if json.Unmarshal(data, &rec) != nil {
			return
		}
		c, err := store.DecodeChange(rec)
		if err != nil {
			if !errors.Is(err, store.ErrMalformedRecord) {
				t.Fatalf("error does not wrap ErrMalformedRecord: %v", err)
			}
			return
		}
		if c.IsTicket() || c.IsComment() {
			if c.EntityID() == "" || c.Version() < 1 {
				t.Fatalf("accepted %s without id or version: id %q version %d", c.Kind, c.EntityID(), c.Version())
			}
		}
	})
}
