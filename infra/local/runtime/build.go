package runtime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the Go package pkg (e.g. "./functions/graphql") of the
// module in moduleDir into the executable out, for the host, with the
// lambda.norpc tag the deployed functions are built with. The build cache
// makes repeated builds of an unchanged function take well under a second.
func Build(ctx context.Context, moduleDir, pkg, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return fmt.Errorf("runtime: build %s: %w", pkg, err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = moduleDir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("runtime: build %s: %w\n%s", pkg, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
