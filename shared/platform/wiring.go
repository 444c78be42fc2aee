package platform

import (
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/bus"
	"github.com/redress-grm/redress/shared/files"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Store returns the DynamoDB store on the function's tables.
func (f *Function) Store() *store.Store { return store.New(f.AWS, f.Tables) }

// Service returns the grievance service over st, on the wall clock and
// random UUIDs.
func (f *Function) Service(st *store.Store, opts grievance.Options) *grievance.Service {
	return grievance.NewService(st, time.Now, uuid.NewString, opts)
}

// Files returns the attachments bucket ATTACHMENTS_BUCKET names, its
// uploads encrypted with the key ATTACHMENTS_KMS_KEY names, or nil when no
// bucket is named (a deployment without attachments).
func (f *Function) Files() *files.Bucket {
	name := os.Getenv("ATTACHMENTS_BUCKET")
	if name == "" {
		return nil
	}
	return files.New(f.AWS, name, os.Getenv("ATTACHMENTS_KMS_KEY"))
}

// Publisher returns the publisher to the bus EVENT_BUS_NAME names, or
// exits (Fatal) when it is unset.
func (f *Function) Publisher() *bus.Publisher {
	return &bus.Publisher{API: eventbridge.NewFromConfig(f.AWS), Bus: f.Required("EVENT_BUS_NAME")}
}
