package stack

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/store"
)

// The directory functions (docs/directory.md), as infra/stack deploys them:
// the importer on the import bucket's notifications, staffsync on a
// schedule (and once at start, so that the pool's users are assignable as
// soon as the API is up).
const (
	Importer  = "importer"
	StaffSync = "staffsync"
)

// SeedImportKey is where the seed's individuals and beneficiaries are
// uploaded in the import bucket (its report: reports/local-seed/…json).
func SeedImportKey(seedFile string) string {
	return "imports/local-seed/" + strings.TrimSuffix(filepath.Base(seedFile), filepath.Ext(seedFile)) + ".jsonl"
}

func init() {
	memoryMB[Importer], memoryMB[StaffSync] = 1024, 256
}

// startDirectory reads the seed and creates the import bucket and the
// user pool (with the seed's staff) the options name (run by startAWS).
func (s *Stack) startDirectory(ctx context.Context) error {
	var err error
	if s.o.SeedFile != "" {
		if s.seed, err = bootstrap.ReadSeed(s.o.SeedFile); err != nil {
			return err
		}
	}
	if s.o.ImportBucket != "" {
		if s.Imports, err = bootstrap.CreateImportBucket(ctx, s.AWS, s.o.ImportBucket, s.o.ImportQueue); err != nil {
			return err
		}
	}
	if s.o.UserPool != "" {
		if s.UserPoolID, err = bootstrap.CreateUserPool(ctx, s.AWS, s.o.UserPool, s.seed.Staff); err != nil {
			return err
		}
	}
	return nil
}

// runDirectory starts what drives the directory functions that run: a
// poller of the import bucket's queue for the importer (S3 invokes the
// deployed one directly), and the staff sync now and every
// StaffSyncInterval. The seed goes in through them, as a deployed
// stack's directory is filled: its staff are already in the pool, so the
// first sync makes them directory users, and its other people are
// imported as a file while that sync runs; both finish before Start
// returns.
func (s *Stack) runDirectory(ctx, bg context.Context) error {
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
	var seeding sync.WaitGroup
	var imported error
	if s.seed.Registry != nil {
		seeding.Go(func() { s.SeedReport, imported = s.importSeed(ctx) })
	}
	if f := s.Functions[StaffSync]; f != nil {
		out, err := f.Invoke(ctx, []byte(`{"source":"redress.local","detail-type":"Start"}`))
		if err != nil {
			seeding.Wait()
			return err
		}
		s.log.Info("staff synced from the local user pool", "result", string(out))
		if s.o.StaffSyncInterval > 0 {
			s.wg.Go(func() { s.schedule(bg, StaffSync, s.o.StaffSyncInterval) })
		}
	}
	seeding.Wait()
	if imported != nil {
		return imported
	}
	s.checkSeededStaff(ctx)
	return nil
}

// importSeed uploads the seed's individuals and beneficiaries to the
// import bucket and waits for the importer's report, which must show
// every row imported.
func (s *Stack) importSeed(ctx context.Context) (directory.Report, error) {
	t0 := time.Now()
	key := SeedImportKey(s.o.SeedFile)
	r, err := bootstrap.ImportFile(ctx, s.AWS, s.Imports.Name, key, s.seed.Registry, max(2*time.Minute, 2*s.o.FunctionTimeout))
	if err != nil {
		return r, fmt.Errorf("seed %s: %w", s.o.SeedFile, err)
	}
	if r.Status != "done" || r.Rejected > 0 {
		var reasons []string
		for _, rr := range r.RejectedRows {
			reasons = append(reasons, fmt.Sprintf("line %d: %s", rr.Line, rr.Reason))
		}
		return r, fmt.Errorf("seed %s: the importer did not take every row (%s): %s %s", s.o.SeedFile, key, r.Error, strings.Join(reasons, "; "))
	}
	s.log.Info("seed imported through the importer", "file", key, "inserted", r.Inserted, "updated", r.Updated,
		"unchanged", r.Unchanged, "took", time.Since(t0).Round(time.Millisecond))
	return r, nil
}

// checkSeededStaff warns when a seeded staff user's directory id is not
// their seeded id: the emulator kept its own sub (CreateUserPool), so dev
// tokens need -sub.
func (s *Stack) checkSeededStaff(ctx context.Context) {
	if len(s.seed.Staff) == 0 || s.Functions[StaffSync] == nil {
		return
	}
	st := store.New(s.AWS, s.Tables)
	for _, u := range s.seed.Staff {
		p, err := st.UserByUsername(ctx, u.Username)
		if err != nil {
			s.log.Warn("seeded staff user not in the directory", "username", u.Username, "err", err)
			continue
		}
		if p.ID != u.Sub {
			s.log.Warn("seeded staff user has another id than the seed's (the emulator chose the sub); sign in with token -sub",
				"username", u.Username, "id", p.ID, "seed", u.Sub)
		}
	}
}
