// Package lambdabuild builds the functions' Lambda bootstraps, the one way
// both `make build-lambdas` and the CDK app (infra/main.go, which `cdk
// synth` and `cdk deploy` run) build them, so that a bare `npx cdk deploy`
// never ships a stale or missing binary.
//
// The build is reproducible: the same source and Go toolchain (go.mod
// pins it) give the same bytes, so the asset hash, and with it the
// function's code, changes only when the code does. It imports no CDK
// package, so `make build-lambdas` does not compile awscdk.
package lambdabuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

// Env is the target the functions run on (provided.al2023 on arm64; keep
// in step with infra/stack/functions.go). GOFLAGS is emptied so that the
// builder's environment cannot add flags.
var Env = []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOFLAGS="}

// Tags is the flag every build of a function has, deployed or run
// locally (infra/local/runtime): no RPC mode of aws-lambda-go, and no
// golang.org/x/net/trace in gRPC (grpcnotrace: the X-Ray SDK imports gRPC,
// and x/net/trace's html/template would stop the linker from dropping
// unused methods, 6.5 MB a bootstrap; docs/deploy.md, "Tracing").
const Tags = "-tags=lambda.norpc,grpcnotrace"

// Flags are the pinned build flags: Tags, no file system paths, no VCS
// stamp (a dirty work tree would change the binary), no symbol table, and
// an empty build id.
var Flags = []string{Tags, "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Functions lists the functions of the module at root: every
// functions/<name>/main.go, sorted.
func Functions(root string) ([]string, error) {
	mains, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(mains))
	for i, m := range mains {
		names[i] = filepath.Base(filepath.Dir(m))
	}
	sort.Strings(names)
	return names, nil
}

// Build compiles each named function of the module at root into
// out/<name>/bootstrap.
func Build(ctx context.Context, root, out string, names ...string) error {
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := GoBuild(ctx, root, Env, filepath.Join(absOut, n, "bootstrap"), "./functions/"+n, Flags...); err != nil {
			return fmt.Errorf("build %s: %w", n, err)
		}
	}
	return nil
}

// GoBuild runs `go build flags… -o out pkg` in the module at root, with
// env added to the environment, after creating out's folder. A failed
// build's error carries the compiler's output.
func GoBuild(ctx context.Context, root string, env []string, out, pkg string, flags ...string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w\n%s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
