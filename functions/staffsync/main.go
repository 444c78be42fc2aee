// Command staffsync is the Lambda function that keeps the directory's
// staff users in step with the stack's Cognito user pool: on a schedule
// and on demand (docs/directory.md). The handler (handler.go) reads the
// pool; shared/directory plans the changes; shared/store stores them.
package main

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	log := platform.Logger()
	poolID := os.Getenv("USER_POOL_ID")
	if poolID == "" {
		platform.Fatal(log, "configuration", errors.New("environment variable USER_POOL_ID is not set"))
	}
	cfg, names, err := platform.AWS(context.Background())
	if err != nil {
		platform.Fatal(log, "start", err)
	}
	st := store.New(cfg, names)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Cognito: cip.NewFromConfig(cfg), PoolID: poolID, Store: st, Config: svc, Log: log}
	lambda.Start(h.Handle)
}
