// Command infra is Redress's CDK app: `cdk synth` and `cdk deploy` run it
// (cdk.json: "go run ./infra") from the repository root. It reads the
// deployment's settings from CDK context, see docs/deploy.md.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

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

	_, err = stack.New(app, "Redress-"+cfg.Stage, &stack.Props{
		StackProps: awscdk.StackProps{
			// Account and region come from the CLI's credentials at deploy
			// time; without credentials (offline synth) the stack is
			// environment-agnostic.
			Env: &awscdk.Environment{
				Account: env("CDK_DEFAULT_ACCOUNT"),
				Region:  env("CDK_DEFAULT_REGION"),
			},
		},
		Config:    cfg,
		AssetRoot: assetRoot,
	})
	if err != nil {
		return err
	}
	app.Synth(nil)
	return nil
}

func env(key string) *string {
	if v := os.Getenv(key); v != "" {
		return jsii.String(v)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
