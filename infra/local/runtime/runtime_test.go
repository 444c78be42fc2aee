package runtime_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/infra/local/runtime"
)

// echoBinary is built once per test binary from testdata/echo.
var echoBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtime-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	echoBinary = filepath.Join(dir, "echo")
	if err := runtime.Build(context.Background(), ".", "./testdata/echo", echoBinary); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startEcho(t *testing.T, c runtime.Config) (*runtime.Function, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	c.Name, c.Binary, c.Output = "echo", echoBinary, out
	f, err := runtime.Start(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f, out
}

type reply struct {
	Value       any               `json:"value"`
	PID         int               `json:"pid"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	HasDeadline bool              `json:"hasDeadline"`
	Env         map[string]string `json:"env"`
}

func invoke(t *testing.T, f *runtime.Function, ev string) (reply, error) {
	t.Helper()
	out, err := f.Invoke(context.Background(), []byte(ev))
	if err != nil {
		return reply{}, err
	}
	var r reply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("response %q: %v", out, err)
	}
	return r, nil
}

func functionError(t *testing.T, err error) *runtime.FunctionError {
	t.Helper()
	var fe *runtime.FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("err=%v, want a *FunctionError", err)
	}
	return fe
}

// Ensure the binary gets Lambda's environment and invocation metadata and
// its output comes out prefixed.
func TestInvoke_Echo(t *testing.T) {
	f, out := startEcho(t, runtime.Config{MemoryMB: 256, Env: []string{"ECHO_EXTRA=x"}})
	r, err := invoke(t, f, `{"op":"echo","value":"hi"}`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Value != "hi" {
		t.Fatalf("value=%v, want hi", r.Value)
	}
	want := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "ECHO_EXTRA": "x", "TZ": "UTC"}
	if fmt.Sprint(r.Env) != fmt.Sprint(want) {
		t.Fatalf("env=%v, want %v", r.Env, want)
	}
	if r.RequestID == "" || !r.HasDeadline || r.FunctionARN != "arn:aws:lambda:us-east-1:123456789012:function:echo" {
		t.Fatalf("invocation metadata=%+v", r)
	}
	f.Stop() // flushes the output
	if !strings.Contains(out.String(), "[echo] handling op=echo\n") {
		t.Fatalf("output=%q, want a prefixed line", out.String())
	}
}

// Ensure concurrent invocations run in parallel on separate workers, up to
// the concurrency, and all complete.
func TestInvoke_Concurrent(t *testing.T) {
	const n = 3
	f, _ := startEcho(t, runtime.Config{Concurrency: n})
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	pids := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := f.Invoke(context.Background(), []byte(`{"op":"wait","dir":"`+dir+`"}`))
			if err != nil {
				errs <- err
				return
			}
			var r reply
			json.Unmarshal(out, &r)
			pids <- r.PID
		}()
	}
	// All n must be running at once before any may finish.
	for {
		m, _ := filepath.Glob(filepath.Join(dir, "started-*"))
		if len(m) == n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	os.WriteFile(filepath.Join(dir, "release"), nil, 0o644)
	wg.Wait()
	close(errs)
	close(pids)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for p := range pids {
		seen[p] = true
	}
	if len(seen) != n {
		t.Fatalf("distinct workers=%d, want %d", len(seen), n)
	}
}

// Ensure handler errors and panics come back as function errors, and a
// worker that panicked or crashed is replaced.
func TestInvoke_Errors(t *testing.T) {
	f, _ := startEcho(t, runtime.Config{})
	before, err := invoke(t, f, `{"op":"echo"}`)
	if err != nil {
		t.Fatal(err)
	}

	_, err = invoke(t, f, `{"op":"error"}`)
	if fe := functionError(t, err); fe.Type != "errorString" || fe.Message != "echo failed on purpose" {
		t.Fatalf("error=%+v", fe)
	}
	if r, err := invoke(t, f, `{"op":"echo"}`); err != nil {
		t.Fatal(err)
	} else if r.PID != before.PID {
		t.Fatalf("a handler error replaced the worker (pid %d -> %d)", before.PID, r.PID)
	}

	_, err = invoke(t, f, `{"op":"panic"}`)
	if fe := functionError(t, err); !strings.Contains(fe.Message, "echo panics on purpose") {
		t.Fatalf("panic error=%+v", fe)
	}

	_, err = invoke(t, f, `{"op":"exit"}`)
	if fe := functionError(t, err); fe.Type != "Runtime.ExitError" || !strings.Contains(fe.Message, "exit status 3") {
		t.Fatalf("crash error=%+v", fe)
	}
	after, err := invoke(t, f, `{"op":"echo"}`)
	if err != nil {
		t.Fatalf("after crash: %v", err)
	} else if after.PID == before.PID {
		t.Fatal("crashed worker was not replaced")
	}
}

// Ensure an invocation past its timeout fails and the worker is replaced.
func TestInvoke_Timeout(t *testing.T) {
	f, _ := startEcho(t, runtime.Config{Timeout: 200 * time.Millisecond})
	before, err := invoke(t, f, `{"op":"echo"}`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = invoke(t, f, `{"op":"sleep","ms":60000}`)
	if fe := functionError(t, err); fe.Type != "Sandbox.Timedout" {
		t.Fatalf("error=%+v, want Sandbox.Timedout", fe)
	}
	after, err := invoke(t, f, `{"op":"echo"}`)
	if err != nil {
		t.Fatal(err)
	} else if after.PID == before.PID {
		t.Fatal("timed-out worker was not replaced")
	}
}

// Ensure a function that cannot start is reported by Start.
func TestStart_InitFailure(t *testing.T) {
	out := &syncBuffer{}
	_, err := runtime.Start(context.Background(), runtime.Config{
		Name: "echo", Binary: echoBinary, Output: out, Env: []string{"ECHO_INIT_FAIL=1"},
	})
	if err == nil || !strings.Contains(err.Error(), "init failed") {
		t.Fatalf("err=%v, want an init failure", err)
	}
	if !strings.Contains(out.String(), "[echo] echo: init fails on purpose") {
		t.Fatalf("output=%q", out.String())
	}
}

// Ensure Invoke after Stop fails fast.
func TestInvoke_Stopped(t *testing.T) {
	f, _ := startEcho(t, runtime.Config{})
	f.Stop()
	if _, err := f.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, runtime.ErrStopped) {
		t.Fatalf("err=%v, want ErrStopped", err)
	}
}
