package moto

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
)

// One moto per test binary: starting it costs ~0.5 s, and tests isolate
// themselves with their own table names (bootstrap.CreateTables with a
// unique prefix) rather than with their own emulator.
var shared struct {
	mu     sync.Mutex
	server *Server
	err    error
}

// ForTest returns the test binary's moto, starting it on first use. When
// moto is not installed the test is skipped with a hint to run `make test`,
// except under CI=true, where a missing emulator fails the test: CI must
// never pass by skipping its integration tests.
//
// The server is stopped by Main when the package uses it as TestMain, and
// otherwise killed with the test binary (parent-death signal).
func ForTest(tb testing.TB) *Server {
	tb.Helper()
	s, err := sharedServer()
	if err != nil {
		if errors.Is(err, ErrNotInstalled) && os.Getenv("CI") != "true" {
			tb.Skipf("skipping: %v; run `make test` to install it and run every test", err)
		}
		tb.Fatalf("moto: %v", err)
	}
	return s
}

// Main runs the tests of a package and then stops the moto that ForTest
// started, if any. Use it as the whole TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server != nil {
		shared.server.Stop()
		shared.server = nil
	}
	return code
}

func sharedServer() (*Server, error) {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.server != nil {
		return shared.server, nil
	}
	if shared.err != nil {
		// Do not retry a failed start in every test: it fails the same way.
		return nil, shared.err
	}
	s, err := Start(context.Background(), Options{})
	if err != nil {
		shared.err = fmt.Errorf("start for tests: %w", err)
		return nil, shared.err
	}
	shared.server = s
	return s, nil
}
