package runtime

import (
	"context"
	"fmt"

	"github.com/redress-grm/redress/infra/lambdabuild"
)

// Build compiles the Go package pkg (e.g. "./functions/graphql") of the
// module in moduleDir into the executable out, for the host, with the
// build tags the deployed functions are built with (lambdabuild.Tags;
// not the deployment's other flags: an empty build id would relink every
// time). The build cache makes repeated builds of an unchanged function
// take well under a second.
func Build(ctx context.Context, moduleDir, pkg, out string) error {
	if err := lambdabuild.GoBuild(ctx, moduleDir, nil, out, pkg, lambdabuild.Tags); err != nil {
		return fmt.Errorf("runtime: build %s: %w", pkg, err)
	}
	return nil
}
