package load_test

import (
	"os"
	"testing"
	"time"

	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/tools/load"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure a short run under throttling, dropped connections and a brief
// outage loses nothing acknowledged and half-writes nothing (the full run
// is `make load`; LOAD_SHORT=0 skips this one).
func TestLoad_Short(t *testing.T) {
	if testing.Short() || os.Getenv("LOAD_SHORT") == "0" {
		t.Skip("short load run skipped")
	}
	root, err := moto.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.Run(t.Context(), load.Config{
		Root:         root,
		Endpoint:     moto.ForTest(t).Endpoint(),
		Duration:     6 * time.Second,
		Workers:      4,
		MaxRequests:  2000,
		ThrottleRate: 0.05,
		DropRate:     0.02,
		Outage:       time.Second,
		Drain:        60 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + res.Report())
	if !res.OK() {
		t.Fatal("load run failed")
	}
	if res.Tickets == 0 || res.VerifiedHistory == 0 {
		t.Fatal("nothing acknowledged or verified")
	}
}
