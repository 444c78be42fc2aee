// Command infra is Redress's CDK app: `cdk synth` and `cdk deploy` run it
// (cdk.json: "go run ./infra") from the repository root. It reads the
// deployment's settings from CDK context, see docs/deploy.md.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/redress-grm/redress/infra/lambdabuild"
	"github.com/redress-grm/redress/infra/stack"
)

func main() {
	defer jsii.Close()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		jsii.Close()
		os.Exit(1)
	}
}

func run() error {
	app := awscdk.NewApp(nil)
	stack.Nag(app)
	node := app.Node()

	cfg, err := stack.ConfigFromContext(node)
	if err != nil {
		return err
	}
	// Without an explicit `sla` setting, the scheduled function is deployed
	// as soon as its code exists.
	if node.TryGetContext(jsii.String("sla")) == nil {
		cfg.SLA = exists(filepath.Join("functions", stack.FnSLA, "main.go"))
	}
	assetRoot := ".build"
	if v, ok := node.TryGetContext(jsii.String("assetRoot")).(string); ok && v != "" {
		assetRoot = v
	}
	// Every synth (and so every deploy) builds the functions it packages,
	// with the pinned flags; unchanged code gives unchanged bytes and the
	// build cache makes it quick. prebuilt=true packages assetRoot as it is
	// (binaries built elsewhere, e.g. by an earlier CI step).
	if fmt.Sprint(node.TryGetContext(jsii.String("prebuilt"))) != "true" {
		if err := lambdabuild.Build(context.Background(), ".", assetRoot, stack.FunctionNames(cfg)...); err != nil {
			return err
		}
	}

	// The environment comes from context only, never from the CLI's
	// CDK_DEFAULT_* guesses: without a region configured those say
	// us-east-1, and a stage would follow whatever credentials are at hand.
	_, err = stack.New(app, "Redress-"+cfg.Stage, &stack.Props{
		StackProps: stack.StackProps(cfg),
		Config:     cfg,
		AssetRoot:  assetRoot,
	})
	if err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
