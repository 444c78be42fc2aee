// Package runtime runs Lambda function binaries on a developer machine the
// way Lambda runs them: each worker process (an "execution environment") is
// started with AWS_LAMBDA_RUNTIME_API pointing at an emulation of the
// Lambda Runtime API, and lambda.Start inside the binary polls it for
// invocations. The functions therefore run their real main.go, unchanged.
//
// A Function is a pool of workers with Lambda's semantics: one invocation
// per worker at a time, a deadline per invocation after which the worker is
// killed and replaced, a worker that crashes is restarted, and handler
// errors, panics and crashes come back as a *FunctionError.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Config describes a function and how many workers run it.
type Config struct {
	// Name is the function name (AWS_LAMBDA_FUNCTION_NAME, output prefix).
	Name string
	// Binary is the executable built from functions/<name>.
	Binary string
	// Concurrency is the number of worker processes. Default 1.
	Concurrency int
	// Timeout is the function timeout. Default 30 s.
	Timeout time.Duration
	// InitTimeout bounds a worker's start-up (until its first request for
	// an invocation). Default 10 s, Lambda's init limit.
	InitTimeout time.Duration
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE. Default 128.
	MemoryMB int
	// Env holds extra KEY=VALUE entries (table names, endpoint, credentials).
	Env []string
	// Output receives the workers' stdout and stderr, each line prefixed
	// with "[Name] ". Default os.Stderr.
	Output io.Writer
	// Logger receives the emulator's own messages (restarts, timeouts).
	// Default: discarded.
	Logger *slog.Logger
}

// FunctionError is an invocation that failed inside the function: the
// handler returned an error or panicked (Type from the runtime), the
// worker crashed (Runtime.ExitError), or it ran out of time
// (Sandbox.Timedout). Lambda reports all of these as function errors.
type FunctionError struct {
	Type       string `json:"errorType"`
	Message    string `json:"errorMessage"`
	StackTrace any    `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// ErrStopped is returned by Invoke once the function is stopped.
var ErrStopped = errors.New("runtime: function stopped")

// maxResponse is Lambda's limit for a synchronous response payload.
const maxResponse = 6 << 20

// Function is a running pool of workers.
type Function struct {
	c       Config
	log     *slog.Logger
	queue   chan *invocation // unbuffered: an idle worker's /next takes from it
	stopped chan struct{}
	stop    sync.Once
	workers []*worker
	wg      sync.WaitGroup
}

type invocation struct {
	id      string
	payload []byte
	result  chan result // buffered 1: the first outcome wins
	once    sync.Once
}

type result struct {
	payload []byte
	err     error
}

func (inv *invocation) finish(payload []byte, err error) {
	inv.once.Do(func() { inv.result <- result{payload, err} })
}

// Start starts the workers and returns once each has finished its init and
// asked for an invocation, so a function that cannot start (missing
// configuration, crash at init) is reported here rather than at its first
// request. On error nothing is left running.
func Start(ctx context.Context, c Config) (*Function, error) {
	if c.Name == "" || c.Binary == "" {
		return nil, errors.New("runtime: Config needs Name and Binary")
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	if c.InitTimeout <= 0 {
		c.InitTimeout = 10 * time.Second
	}
	if c.MemoryMB <= 0 {
		c.MemoryMB = 128
	}
	if c.Output == nil {
		c.Output = os.Stderr
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Function{
		c:       c,
		log:     log.With("function", c.Name),
		queue:   make(chan *invocation),
		stopped: make(chan struct{}),
	}
	if _, err := exec.LookPath(c.Binary); err != nil {
		return nil, fmt.Errorf("runtime: function %s: %w", c.Name, err)
	}
	ready := make(chan error, c.Concurrency)
	for i := 0; i < c.Concurrency; i++ {
		w, err := newWorker(f, i, ready)
		if err != nil {
			f.Stop()
			return nil, err
		}
		f.workers = append(f.workers, w)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			w.supervise()
		}()
	}
	initCtx, cancel := context.WithTimeout(ctx, c.InitTimeout)
	defer cancel()
	for range f.workers {
		select {
		case err := <-ready:
			if err != nil {
				f.Stop()
				return nil, err
			}
		case <-initCtx.Done():
			f.Stop()
			return nil, fmt.Errorf("runtime: function %s: workers not ready: %w", c.Name, initCtx.Err())
		}
	}
	return f, nil
}

// Name returns the function name.
func (f *Function) Name() string { return f.c.Name }

// Invoke runs the function synchronously with payload (the event JSON) and
// returns its response payload. It waits for a free worker, as a caller of
// a function at its concurrency limit would be throttled and retry. Errors
// from the function are *FunctionError; ctx ends only the wait, not a
// running invocation (Lambda does not stop one when its caller goes away).
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := &invocation{id: newRequestID(), payload: payload, result: make(chan result, 1)}
	select {
	case f.queue <- inv:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.stopped:
		return nil, ErrStopped
	}
	select {
	case r := <-inv.result:
		return r.payload, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Stop stops every worker (SIGTERM, then SIGKILL to the process group)
// and fails invocations still in flight. It is safe to call more than once.
func (f *Function) Stop() {
	f.stop.Do(func() {
		close(f.stopped)
		for _, w := range f.workers {
			w.shutdown()
		}
		f.wg.Wait()
	})
}
