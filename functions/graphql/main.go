// Command graphql is the Lambda function that serves Redress's GraphQL API
// behind API Gateway (HTTP API, payload 2.0).
package main

import (
	"context"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	log := platform.Logger()
	h, err := newHandler(context.Background(), log)
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	lambda.Start(h.Handle)
}

func newHandler(ctx context.Context, log *slog.Logger) (*Handler, error) {
	cfg, names, err := platform.AWS(ctx)
	if err != nil {
		return nil, err
	}
	st := store.New(cfg, names)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{History: st, Stats: st})
	opts := gqlOptions(os.Getenv)
	opts.Logger = log
	srv, err := gql.New(svc, opts)
	if err != nil {
		return nil, err
	}
	page, err := explorerPage(os.Getenv)
	if err != nil {
		return nil, err
	}
	return &Handler{
		Config:   svc,
		GraphQL:  srv,
		Auth:     auth.Options{AdminGroup: os.Getenv("ADMIN_GROUP"), AllowRightsClaim: platform.Bool("ALLOW_RIGHTS_CLAIM", false)},
		Log:      log,
		MaxBody:  platform.Int("MAX_BODY_BYTES", DefaultMaxBody),
		NewID:    uuid.NewString,
		Now:      time.Now,
		Explorer: page,
	}, nil
}

// explorerPage is the explorer page when EXPLORER=true (a deployment's
// `explorer` context setting, off by default: a stage's API need not
// advertise a query editor), else nil.
func explorerPage(getenv func(string) string) ([]byte, error) {
	if on, _ := strconv.ParseBool(getenv("EXPLORER")); !on {
		return nil, nil
	}
	return explorer.Render(explorer.Config{
		Endpoint:  "/api/graphql",
		TokenHint: "an ID token of this stage's user pool (docs/deploy.md, \"Get a token\")",
	})
}

// gqlOptions reads the GraphQL server's switches and limits from the
// environment (docs/reliability.md): INTROSPECTION and FIELD_SUGGESTIONS
// (off unless set; the local stack sets INTROSPECTION=true), MAX_DEPTH,
// MAX_FIELDS, MAX_COST and MAX_ALIASES (unset or 0: the default; a
// negative number turns the limit off).
func gqlOptions(getenv func(string) string) gql.Options {
	limit := func(name string) int {
		n, _ := strconv.Atoi(getenv(name))
		return n
	}
	flag := func(name string) bool {
		b, _ := strconv.ParseBool(getenv(name))
		return b
	}
	return gql.Options{
		Introspection:    flag("INTROSPECTION"),
		FieldSuggestions: flag("FIELD_SUGGESTIONS"),
		Limits: gql.Limits{
			MaxDepth:   limit("MAX_DEPTH"),
			MaxFields:  limit("MAX_FIELDS"),
			MaxCost:    limit("MAX_COST"),
			MaxAliases: limit("MAX_ALIASES"),
		},
	}
}
