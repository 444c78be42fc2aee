package stack

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/bootstrap"
)

// The directory functions (docs/directory.md), as infra/stack deploys them:
// the importer on the import bucket's notifications, staffsync on a
// schedule (and once at start, so that the pool's users are assignable as
// soon as the API is up).
const (
	Importer  = "importer"
	StaffSync = "staffsync"
)

func init() {
	memoryMB[Importer], memoryMB[StaffSync] = 1024, 256
}

// startDirectory creates the import bucket and the user pool the options
// name (run by startAWS).
func (s *Stack) startDirectory(ctx context.Context) error {
	var err error
	if s.o.ImportBucket != "" {
		if s.Imports, err = bootstrap.CreateImportBucket(ctx, s.AWS, s.o.ImportBucket, s.o.ImportQueue); err != nil {
			return err
		}
	}
	if s.o.UserPool != "" {
		var users []bootstrap.PoolUser
		if s.o.SeedFile != "" {
			if users, err = bootstrap.SeedPoolUsers(s.o.SeedFile); err != nil {
				return err
			}
		}
		if s.UserPoolID, err = bootstrap.CreateUserPool(ctx, s.AWS, s.o.UserPool, users); err != nil {
			return err
		}
	}
	return nil
}

// runDirectory starts what drives the directory functions that run: a
// poller of the import bucket's queue for the importer (S3 invokes the
// deployed one directly), and the staff sync now and every
// StaffSyncInterval.
func (s *Stack) runDirectory(ctx, bg context.Context) error {
	if f := s.Functions[StaffSync]; f != nil {
		out, err := f.Invoke(ctx, []byte(`{"source":"redress.local","detail-type":"Start"}`))
		if err != nil {
			return err
		}
		s.log.Info("staff synced from the local user pool", "result", string(out))
		if s.o.StaffSyncInterval > 0 {
			s.wg.Go(func() { s.schedule(bg, StaffSync, s.o.StaffSyncInterval) })
		}
	}
	if f := s.Functions[Importer]; f != nil && s.Imports.QueueURL != "" {
		q := sqs.NewFromConfig(s.AWS)
		s.wg.Go(func() {
			for bg.Err() == nil {
				evs, err := bootstrap.ReceiveS3Events(bg, q, s.Imports.QueueURL, 1)
				if err != nil {
					if bg.Err() == nil {
						s.log.Warn("import notifications", "err", err)
						time.Sleep(time.Second)
					}
					continue
				}
				for _, ev := range evs {
					// Lambda retries a failed asynchronous invocation twice.
					for attempt := 0; attempt < 3; attempt++ {
						if _, err = f.Invoke(bg, ev); err == nil || bg.Err() != nil {
							break
						}
						s.log.Warn("import failed", "attempt", attempt+1, "err", err)
					}
				}
			}
		})
	}
	return nil
}
