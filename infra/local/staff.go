package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/runtime"
)

const defaultUserPool = "redress-local-users"

// staffSync makes sure the local user pool exists (from the seed) and runs
// the staffsync function binary on it once, as the schedule or an
// on-demand invocation does in AWS.
type staffSync struct {
	Root, Endpoint, Prefix, Pool, SeedFile string
	Output                                 io.Writer
	LogLevel                               string
}

func (c staffSync) Run(ctx context.Context) ([]byte, error) {
	cfg, err := moto.AWSConfig(ctx, c.Endpoint)
	if err != nil {
		return nil, err
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), c.Prefix)
	if err != nil {
		return nil, fmt.Errorf("people sync (is the local stack running at %s?): %w", c.Endpoint, err)
	}
	seed, err := bootstrap.ReadSeed(c.SeedFile)
	if err != nil {
		return nil, err
	}
	pool, err := bootstrap.CreateUserPool(ctx, cfg, c.Pool, seed.Staff)
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(c.Root, ".cache", "bin", "staffsync")
	if err := runtime.Build(ctx, c.Root, "./functions/staffsync", bin); err != nil {
		return nil, err
	}
	fn, err := runtime.Start(ctx, runtime.Config{
		Name: "staffsync", Binary: bin, Timeout: time.Minute, MemoryMB: 256, Output: c.Output,
		Env: append(names.Env(), "AWS_REGION="+moto.Region, "AWS_DEFAULT_REGION="+moto.Region,
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_ENDPOINT_URL="+c.Endpoint,
			"USER_POOL_ID="+pool, "LOG_LEVEL="+c.LogLevel),
		Logger: slog.New(slog.NewTextHandler(c.Output, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, err
	}
	defer fn.Stop()
	return fn.Invoke(ctx, []byte(`{"source":"redress.local","detail-type":"Sync staff"}`))
}
