package stack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redress-grm/redress/infra/local/stack"
)

// Ensure options that cannot make a working stack are refused before
// anything starts: a publishing function without a bus, an API without an
// authorizer, a seed without the functions that load it. (The stack itself runs in infra/local, infra/local/e2e and
// tools/load.)
func TestStart_RefusesIncompleteOptions(t *testing.T) {
	for name, tc := range map[string]struct {
		o    stack.Options
		want string
	}{
		"TasksWithoutBus": {stack.Options{Root: t.TempDir()}, "needs a bus"},
		"SLAWithoutBus":   {stack.Options{Root: t.TempDir(), Functions: []string{stack.SLA}}, "needs a bus"},
		"APIWithoutAuth":  {stack.Options{Root: t.TempDir(), Functions: []string{stack.GraphQL}, Listen: "127.0.0.1:0"}, "needs a Verifier"},
		// The seed is loaded by the importer and staffsync only.
		"SeedWithoutImporter": {stack.Options{Root: t.TempDir(), Functions: []string{stack.GraphQL, stack.StaffSync}, SeedFile: "seed.json", UserPool: "p"}, "through the importer"},
		"SeedWithoutPool": {stack.Options{Root: t.TempDir(), Functions: []string{stack.GraphQL, stack.Importer, stack.StaffSync}, SeedFile: "seed.json",
			ImportBucket: "b"}, "user pool"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := stack.Start(context.Background(), tc.o)
			if err == nil {
				s.Stop()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v, want %q", err, tc.want)
			}
		})
	}
}
