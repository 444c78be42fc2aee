package main

import (
	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/platform"
)

// gqlOptions reads the GraphQL server's switches and limits from the
// environment (docs/reliability.md): INTROSPECTION and FIELD_SUGGESTIONS
// (off unless set; the local stack sets INTROSPECTION=true), MAX_DEPTH,
// MAX_FIELDS, MAX_COST and MAX_ALIASES (unset or 0: the default; a
// negative number turns the limit off).
func gqlOptions(env platform.Env) gql.Options {
	return gql.Options{
		Introspection:    env.Bool("INTROSPECTION", false),
		FieldSuggestions: env.Bool("FIELD_SUGGESTIONS", false),
		Limits: gql.Limits{
			MaxDepth:   env.Limit("MAX_DEPTH"),
			MaxFields:  env.Limit("MAX_FIELDS"),
			MaxCost:    env.Limit("MAX_COST"),
			MaxAliases: env.Limit("MAX_ALIASES"),
		},
	}
}

// explorerPage is the explorer page when EXPLORER=true (a deployment's
// `explorer` context setting, off by default: a stage's API need not
// advertise a query editor), else nil.
func explorerPage(env platform.Env) ([]byte, error) {
	if !env.Bool("EXPLORER", false) {
		return nil, nil
	}
	return explorer.Render(explorer.Config{
		Endpoint:  "/api/graphql",
		TokenHint: "an ID token of this stage's user pool (docs/deploy.md, \"Get a token\")",
	})
}
