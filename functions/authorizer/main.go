// Command authorizer is the Lambda REQUEST authorizer of the openIMIS web
// client mode (docs/openimis-client.md): it accepts the JWT cookie beside
// the bearer token, verified as the JWT authorizer verifies tokens.
package main

import (
	"context"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/redress-grm/redress/shared/platform"
)

func main() {
	fn := platform.Start(context.Background())
	log := fn.Log
	env := platform.Env(os.Getenv)
	issuer, err := env.Required("JWT_ISSUER")
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	audience, err := env.Required("JWT_AUDIENCE")
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	h := &Handler{Issuer: issuer, Audience: strings.Split(audience, ","), Log: log,
		Keys: keys{newJWKS(strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json")}}
	lambda.Start(h.Handle)
}
