package grievance_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// countingConfig counts one container's configuration reads.
type countingConfig struct {
	*grievancetest.Store
	reads int
}

func (c *countingConfig) ConfigDocument(ctx context.Context) ([]byte, int, error) {
	c.reads++
	return c.Store.ConfigDocument(ctx)
}

// Ensure a value one container has just configured is accepted by another
// container whose cached configuration predates it, and that a value still
// unknown is refused after exactly one more read.
func TestMutate_UnknownValueRereadsConfiguration(t *testing.T) {
	doc := `{"grievance_types": ["Default", "Category C"], "grievance_flags": ["Default", "Flag C"], "grievance_channels": ["Default", "Channel C"]}`
	for _, tc := range []struct {
		name      string
		in        grievance.TicketInput
		wantOK    bool
		wantReads int
	}{
		{"CategoryAddedElsewhere", grievance.TicketInput{Category: strp("Category C")}, true, 1},
		{"FlagAddedElsewhere", grievance.TicketInput{Category: strp("Default"), Flags: strp(`["Default","Flag C"]`)}, true, 1},
		{"ChannelAddedElsewhere", grievance.TicketInput{Category: strp("Default"), Channel: strp("Channel C")}, true, 1},
		{"StillUnknownRefusedAfterOneRead", grievance.TicketInput{Category: strp("Category D")}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
			b := &countingConfig{Store: st}
			admin, other := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{}),
				grievance.NewService(b, clock.Now, grievancetest.IDs(), grievance.Options{})
			ctx := grievance.NewContext(context.Background(), &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true})
			create := func(in grievance.TicketInput) *grievance.MutationLog {
				t.Helper()
				in.Title = strp("t")
				log, err := other.Mutate(ctx, grievance.MutationRequest{Name: "createTicket", Class: "CreateTicketMutation"},
					func(ctx context.Context) (*grievance.Write, error) { return other.CreateTicket(ctx, in) })
				if err != nil {
					t.Fatal(err)
				}
				return log
			}
			// The other container caches the configuration of before.
			if log := create(grievance.TicketInput{Category: strp("Default")}); log.Status != grievance.MutationSuccess {
				t.Fatalf("warm-up create: %s", log.Error)
			}
			log, err := admin.Mutate(ctx, grievance.MutationRequest{Name: "updateGrievanceConfig", Class: "UpdateGrievanceConfigMutation"},
				func(ctx context.Context) (*grievance.Write, error) { return admin.UpdateConfig(ctx, []byte(doc)) })
			if err != nil || log.Status != grievance.MutationSuccess {
				t.Fatalf("update configuration: %+v %v", log, err)
			}
			b.reads = 0
			log = create(tc.in)
			if ok := log.Status == grievance.MutationSuccess; ok != tc.wantOK {
				t.Fatalf("create succeeded=%v, want %v (%s)", ok, tc.wantOK, log.Error)
			}
			if b.reads != tc.wantReads {
				t.Fatalf("configuration reads=%d, want %d", b.reads, tc.wantReads)
			}
		})
	}
}
