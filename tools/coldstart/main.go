// Command coldstart measures each Lambda function's deployment size and
// cold start (docs/performance.md): for every functions/<name>/main.go it
//
//   - builds the bootstrap exactly as the deployment does (linux/arm64,
//     infra/lambdabuild's flags) and reports its size
//     (target: maxSizeMB);
//   - builds the same package with the same flags for this machine and
//     starts it RUNS times under the Lambda Runtime API emulator
//     (infra/local/runtime), timing process start to ready: runtime.Start
//     returns when the process has finished its init (configuration, AWS
//     clients, schema) and asks for its first invocation (target < 30 ms).
//
// No network is involved: the AWS endpoint points at a closed local port
// and nothing is called during init. A do-nothing lambda.Start binary is
// measured the same way, as the floor of process start and the Runtime API
// handshake.
//
// Usage: go run ./tools/coldstart [-runs 15] [-json]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/redress-grm/redress/infra/lambdabuild"
	"github.com/redress-grm/redress/infra/local/moto"
	lambdart "github.com/redress-grm/redress/infra/local/runtime"
	"github.com/redress-grm/redress/shared/store"
)

// Targets (issue #8; the size raised from 15 MB for the X-Ray SDK, issue
// #13, docs/performance.md §6).
const (
	maxSizeMB = 20
	maxInit   = 30 * time.Millisecond
)

// Result is one function's figures.
type Result struct {
	Function  string  `json:"function"`
	SizeBytes int64   `json:"sizeBytes"`
	InitMinMS float64 `json:"initMinMs"`
	InitMedMS float64 `json:"initMedianMs"`
	InitMaxMS float64 `json:"initMaxMs"`
}

func main() {
	runs := flag.Int("runs", 15, "cold starts per function")
	asJSON := flag.Bool("json", false, "print JSON instead of a table")
	flag.Parse()
	if err := run(*runs, *asJSON, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(runs int, asJSON bool, out io.Writer) error {
	root, err := moto.RepoRoot()
	if err != nil {
		return err
	}
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ctx := context.Background()

	var results []Result
	measure := func(name, pkg string, withSize bool) error {
		r := Result{Function: name}
		if withSize {
			arm := filepath.Join(tmp, "arm64", name, "bootstrap")
			if err := build(ctx, root, pkg, arm, "linux", "arm64"); err != nil {
				return err
			}
			fi, err := os.Stat(arm)
			if err != nil {
				return err
			}
			r.SizeBytes = fi.Size()
		}
		host := filepath.Join(tmp, "host", name, "bootstrap")
		if err := build(ctx, root, pkg, host, runtime.GOOS, runtime.GOARCH); err != nil {
			return err
		}
		var times []time.Duration
		for range runs {
			d, err := coldStart(ctx, name, host)
			if err != nil {
				return err
			}
			times = append(times, d)
		}
		slices.Sort(times)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		r.InitMinMS, r.InitMedMS, r.InitMaxMS = ms(times[0]), ms(times[len(times)/2]), ms(times[len(times)-1])
		results = append(results, r)
		return nil
	}
	if err := measure("(floor: empty lambda.Start)", "./tools/coldstart/floor", false); err != nil {
		return err
	}
	for _, m := range mains {
		name := filepath.Base(filepath.Dir(m))
		if err := measure(name, "./functions/"+name, true); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	fmt.Fprintf(out, "Cold start: %d starts per function, process start to ready (Runtime API emulator, %s/%s, %d CPUs)\n\n", runs, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(out, "| function | bootstrap linux/arm64 | size < %d MB | init min | init median | init max | median < %s |\n|---|---:|---|---:|---:|---:|---|\n", maxSizeMB, maxInit)
	for _, r := range results {
		size, sizeOK := "–", "–"
		if r.SizeBytes > 0 {
			size = fmt.Sprintf("%.1f MB", float64(r.SizeBytes)/(1<<20))
			sizeOK = verdict(r.SizeBytes < maxSizeMB<<20)
		}
		fmt.Fprintf(out, "| %s | %s | %s | %.1f ms | %.1f ms | %.1f ms | %s |\n", r.Function, size, sizeOK, r.InitMinMS, r.InitMedMS, r.InitMaxMS,
			verdict(time.Duration(r.InitMedMS*float64(time.Millisecond)) < maxInit))
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// build compiles pkg with the deployment's flags for goos/goarch.
func build(ctx context.Context, root, pkg, out, goos, goarch string) error {
	env := []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch, "GOFLAGS="}
	if err := lambdabuild.GoBuild(ctx, root, env, out, pkg, lambdabuild.Flags...); err != nil {
		return fmt.Errorf("build %s for %s/%s: %w", pkg, goos, goarch, err)
	}
	return nil
}

// coldStart starts one worker of the function and returns how long it took
// to be ready for its first invocation.
func coldStart(ctx context.Context, name, binary string) (time.Duration, error) {
	env := []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9", "EVENT_BUS_NAME=coldstart", "LOG_LEVEL=warn",
		// As Lambda sets it: init includes the X-Ray setup (nothing is sent).
		"AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000",
		// The authorizer's settings (its keys are fetched on first use).
		"JWT_ISSUER=http://127.0.0.1:9/coldstart", "JWT_AUDIENCE=coldstart",
	}
	for _, t := range store.Tables() {
		env = append(env, t.EnvVar+"=coldstart-"+strings.ToLower(t.Name))
	}
	start := time.Now()
	f, err := lambdart.Start(ctx, lambdart.Config{Name: name, Binary: binary, Env: env, MemoryMB: 512, Output: io.Discard})
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", name, err)
	}
	f.Stop()
	return d, nil
}
