package main

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/openimis"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

// newHandler builds the handler of a started function from its
// environment: the service over the DynamoDB store, attachments when the
// stage has a bucket, the openIMIS client mode when switched on, and the
// explorer page when asked for.
func newHandler(fn *platform.Function) (*Handler, error) {
	st := fn.Store()
	svcOpts := grievance.Options{History: st, Stats: st, Directory: st}
	// Without a bucket (a stage deployed without attachments) the
	// attachment operations answer UNAVAILABLE.
	if b := fn.Files(); b != nil {
		svcOpts.Attachments, svcOpts.Files = st, b
	}
	svc := fn.Service(st, svcOpts)
	opts := gqlOptions(os.Getenv)
	opts.Logger = fn.Log
	sharedLimit := func(max int, window time.Duration) openimis.Limiter {
		return &store.RateLimiter{Store: st, Max: max, Window: window}
	}
	client, err := clientMode(platform.Env(os.Getenv), cognitoidentityprovider.NewFromConfig(fn.AWS), sharedLimit, fn.Log)
	if err != nil {
		return nil, err
	}
	if client != nil {
		opts.Client = &gql.Client{Sessions: client}
	}
	srv, err := gql.New(svc, opts)
	if err != nil {
		return nil, err
	}
	h := &Handler{Config: svc, GraphQL: srv, Log: fn.Log, NewID: uuid.NewString, Now: time.Now,
		Auth:    auth.Options{AdminGroup: os.Getenv("ADMIN_GROUP"), AllowRightsClaim: platform.Bool("ALLOW_RIGHTS_CLAIM", false)},
		MaxBody: platform.Int("MAX_BODY_BYTES", DefaultMaxBody), Client: client, People: svc}
	if h.Explorer, err = explorerPage(platform.Env(os.Getenv)); err != nil {
		return nil, err
	}
	return h, nil
}
