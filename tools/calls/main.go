// Command calls merges the AWS calls the tests recorded (REDRESS_CALL_LOG,
// shared/platform) into the fixture the permission check of infra/ reads,
// or, with -check, fails when the fixture differs from what was recorded.
//
// Usage: go run ./tools/calls [-check] DIR FIXTURE
//
// `make test` runs every test with REDRESS_CALL_LOG=DIR and then -check;
// `make calls` rewrites the fixture (docs/deploy.md, "Permissions").
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	check := flag.Bool("check", false, "compare instead of writing")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: calls [-check] DIR FIXTURE")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), *check); err != nil {
		fmt.Fprintln(os.Stderr, "calls:", err)
		os.Exit(1)
	}
}

func run(dir, fixture string, check bool) error {
	calls, err := platform.ReadCalls(dir)
	if err != nil {
		return err
	}
	if len(calls) == 0 {
		return fmt.Errorf("no calls recorded in %s: run the tests with %s=%s", dir, platform.EnvCallLog, dir)
	}
	want := render(calls)
	if !check {
		return os.WriteFile(fixture, want, 0o644)
	}
	got, err := os.ReadFile(fixture)
	if err != nil {
		return err
	}
	if bytes.Equal(got, want) {
		return nil
	}
	var old []platform.Call
	if err := json.Unmarshal(got, &old); err != nil {
		return fmt.Errorf("%s: %w", fixture, err)
	}
	in := map[platform.Call]bool{}
	for _, c := range old {
		in[c] = true
	}
	var diff []string
	for _, c := range calls {
		if !in[c] {
			diff = append(diff, "+ "+line(c))
		}
		delete(in, c)
	}
	for _, c := range platform.SortCalls(in) {
		diff = append(diff, "- "+line(c))
	}
	return fmt.Errorf("%s is not what the tests called (+ new, - gone); review, then `make calls`:\n%s", fixture, strings.Join(diff, "\n"))
}

// render writes one call per line, so that a change of the fixture reads
// as a change of calls in review.
func render(calls []platform.Call) []byte {
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, c := range calls {
		b.WriteString(line(c))
		if i < len(calls)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]\n")
	return b.Bytes()
}

func line(c platform.Call) string {
	raw, _ := json.Marshal(c)
	return string(raw)
}
