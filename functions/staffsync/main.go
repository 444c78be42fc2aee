// Command staffsync is the Lambda function that keeps the directory's
// staff users in step with the stack's Cognito user pool: on a schedule
// and on demand (docs/directory.md). The handler (handler.go) reads the
// pool; shared/directory plans the changes; shared/store stores them.
package main

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func main() {
	fn := platform.Start(context.Background())
	st := store.New(fn.AWS, fn.Tables)
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{})
	h := &Handler{Cognito: cip.NewFromConfig(fn.AWS), PoolID: fn.Required("USER_POOL_ID"), Store: st, Config: svc, Log: fn.Log}
	lambda.Start(h.Handle)
}
