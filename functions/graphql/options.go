package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redress-grm/redress/shared/explorer"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/openimis"
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

// Settings of the openIMIS client mode (docs/openimis-client.md).
const (
	// DefaultSignInAttempts per user and source address per SignInWindow before tokenAuth
	// refuses without asking the identity provider.
	DefaultSignInAttempts = 10
	// DefaultSignInPerSource bounds the sign-in and refresh attempts of
	// one source address per SignInWindow, whatever the users. An office
	// signs in from one address (NAT): 300 fits a hundred staff signing in
	// at once with their hourly refreshes, and still stops a spraying run
	// at 1,200 guesses an hour where the stage throttle allowed 180,000.
	DefaultSignInPerSource = 300
	SignInWindow           = 15 * time.Minute
)

// clientMode is the openIMIS client mode's session service when
// OPENIMIS_CLIENT=true, else nil. OPENIMIS_SIGNER picks the identity
// provider: "cognito" (the stack's user pool, COGNITO_CLIENT_ID) or "dev"
// (the local stack only: OPENIMIS_DEV_PASSWORD for the users of
// OPENIMIS_DEV_USERS, tokens signed with JWT_SECRET like `local token`).
// limiter counts sign-in attempts (nil: one count per process).
func clientMode(env platform.Env, cognito openimis.CognitoAPI, limiter func(max int, window time.Duration) openimis.Limiter, log *slog.Logger) (*openimis.Service, error) {
	if !env.Bool("OPENIMIS_CLIENT", false) {
		return nil, nil
	}
	max := env.Int("SIGN_IN_ATTEMPTS", DefaultSignInAttempts)
	perSource := env.Int("SIGN_IN_PER_SOURCE", DefaultSignInPerSource)
	svc := &openimis.Service{Log: log, Limiter: &openimis.MemoryLimiter{Max: max, Window: SignInWindow},
		SourceLimiter: &openimis.MemoryLimiter{Max: perSource, Window: SignInWindow}}
	if limiter != nil {
		svc.Limiter, svc.SourceLimiter = limiter(max, SignInWindow), limiter(perSource, SignInWindow)
	}
	refreshTTL := time.Duration(env.Int("REFRESH_TOKEN_DAYS", 30)) * 24 * time.Hour
	switch signer := env("OPENIMIS_SIGNER"); signer {
	case "cognito":
		id, err := env.Required("COGNITO_CLIENT_ID")
		if err != nil {
			return nil, err
		}
		svc.Signer = &openimis.Cognito{API: cognito, ClientID: id, RefreshTTL: refreshTTL}
	case "dev":
		secret, err := env.Required("JWT_SECRET")
		if err != nil {
			return nil, err
		}
		password, err := env.Required("OPENIMIS_DEV_PASSWORD")
		if err != nil {
			return nil, err
		}
		d := &openimis.Dev{Secret: []byte(secret), Issuer: env("JWT_ISSUER"), Audience: env("JWT_AUDIENCE"),
			Password: password, AccessTTL: time.Hour, RefreshTTL: refreshTTL}
		if err := json.Unmarshal([]byte(env("OPENIMIS_DEV_USERS")), &d.Users); err != nil {
			return nil, fmt.Errorf("OPENIMIS_DEV_USERS: want a JSON object of username to {sub, groups}: %w", err)
		}
		svc.Signer = d
	default:
		return nil, fmt.Errorf("OPENIMIS_SIGNER=%q: want cognito or dev", signer)
	}
	return svc, nil
}
