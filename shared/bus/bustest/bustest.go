// Package bustest validates events against the JSON Schemas published in
// events/schemas, for tests of anything that emits or consumes them.
package bustest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/redress-grm/redress/shared/bus"
)

// Validator holds the compiled schema of every detail-type.
type Validator struct {
	schemas map[string]*jsonschema.Schema
}

// SchemaPath returns the schema file of detailType under the repository
// root.
func SchemaPath(root, detailType string) string {
	return filepath.Join(root, "events", "schemas", fmt.Sprintf("%s.v%d.json", detailType, bus.DetailVersion))
}

// NewValidator compiles the schema of every detail-type in bus.DetailTypes,
// failing tb if one is missing or invalid.
func NewValidator(tb testing.TB) *Validator {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, dt := range bus.DetailTypes {
		path := SchemaPath(root, dt)
		f, err := os.Open(path)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		if err := c.AddResource(path, doc); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		if v.schemas[dt], err = c.Compile(path); err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
	}
	return v
}

// Validate checks a detail document against the schema of its detail-type.
func (v *Validator) Validate(detailType string, detail []byte) error {
	s, ok := v.schemas[detailType]
	if !ok {
		return fmt.Errorf("no schema for detail-type %q", detailType)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return fmt.Errorf("%s: %w", detailType, err)
	}
	if err := s.Validate(doc); err != nil {
		return fmt.Errorf("%s: %w", detailType, err)
	}
	return nil
}

// Envelope is an event as EventBridge delivers it to targets (and as the
// local queue receives it).
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// ValidateEnvelope checks a delivered event: Redress's source, a known
// detail-type and a detail valid against its schema.
func (v *Validator) ValidateEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return e, err
	}
	if e.Source != bus.Source {
		return e, fmt.Errorf("source %q, want %q", e.Source, bus.Source)
	}
	return e, v.Validate(e.DetailType, e.Detail)
}

// RepoRoot walks up from the working directory to the directory of go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("bustest: go.mod not found above the working directory")
		}
		dir = parent
	}
}
