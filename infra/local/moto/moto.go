// Package moto runs moto, the AWS API emulator that stands in for DynamoDB,
// DynamoDB Streams, EventBridge and SQS on developer machines and in CI, and
// builds AWS SDK configurations that point at it.
//
// moto is installed by scripts/install-moto.sh into .cache/moto/moto_server,
// a wrapper that execs python, so the PID we start is moto itself. Every
// integration test in the repository starts it through ForTest (or Main),
// and the local stack (infra/local) through Start.
package moto

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// DefaultBinary is the path of the moto wrapper relative to the repository root.
const DefaultBinary = ".cache/moto/moto_server"

// ErrNotInstalled reports that the moto wrapper does not exist.
var ErrNotInstalled = errors.New("moto: not installed (scripts/install-moto.sh installs it)")

// Options configure Start. The zero value starts the installed moto on a
// free loopback port.
type Options struct {
	// Binary is the moto wrapper to run. Default: $MOTO_SERVER, else
	// DefaultBinary under the repository root (found by walking up from the
	// working directory to go.mod).
	Binary string
	// Host is the address to listen on. Default 127.0.0.1: moto has no
	// authentication, so it must never listen beyond loopback.
	Host string
	// Port to listen on; 0 picks a free one.
	Port int
	// Output receives moto's request log (stdout and stderr). Default: discarded.
	Output io.Writer
	// ReadyTimeout bounds the wait for moto to answer. Default 30 s, far
	// above the ~0.5 s it takes, because CI machines can be slow on a cold start.
	ReadyTimeout time.Duration
}

// Server is a running moto process.
type Server struct {
	endpoint string
	cmd      *exec.Cmd
	done     chan struct{} // closed when the process has exited
	waitErr  error
	tail     *tailBuffer
	stopOnce sync.Once
	// recording is the request recorder's file (removed by Stop).
	recording string
}

// Start runs moto and returns once it answers GET /moto-api/.
func Start(ctx context.Context, o Options) (*Server, error) {
	bin, err := binary(o.Binary)
	if err != nil {
		return nil, err
	}
	if o.Host == "" {
		o.Host = "127.0.0.1"
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = 30 * time.Second
	}
	// A port we picked can be taken by someone else between our probe and
	// moto's bind; try again with another one in that case.
	attempts := 1
	if o.Port == 0 {
		attempts = 3
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		port := o.Port
		if port == 0 {
			if port, err = FreePort(o.Host); err != nil {
				return nil, err
			}
		}
		s, err := start(ctx, bin, o, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, bin string, o Options, port int) (*Server, error) {
	s := &Server{
		endpoint: "http://" + net.JoinHostPort(o.Host, strconv.Itoa(port)),
		done:     make(chan struct{}),
		tail:     &tailBuffer{max: 8 << 10},
	}
	out := io.Writer(s.tail)
	if o.Output != nil {
		out = io.MultiWriter(o.Output, s.tail)
	}
	s.cmd = exec.Command(bin, "-H", o.Host, "-p", strconv.Itoa(port))
	// The request recorder (infra/local/outbox) writes to its working
	// directory unless told otherwise: keep it out of the repository.
	s.recording = filepath.Join(os.TempDir(), fmt.Sprintf("moto-recording-%d-%d", os.Getpid(), port))
	s.cmd.Env = append(os.Environ(), "MOTO_RECORDER_FILEPATH="+s.recording)
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// Own process group so Stop can kill everything moto may spawn, and a
	// parent-death signal so a test binary that dies without cleanup (panic,
	// timeout, os.Exit without Main) does not leave moto running.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("moto: start %s: %w", bin, err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, o.ReadyTimeout); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"/moto-api/", nil)
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("moto: exited before it was ready (%v): %s", s.waitErr, s.tail.String())
		case <-ctx.Done():
			return fmt.Errorf("moto: not ready at %s: %w", s.endpoint, ctx.Err())
		case <-tick.C:
		}
	}
}

// Endpoint returns moto's base URL, e.g. http://127.0.0.1:4566.
func (s *Server) Endpoint() string { return s.endpoint }

// Stop kills moto's process group and waits for moto to exit. It is safe to
// call more than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		pgid := s.cmd.Process.Pid
		syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-pgid, syscall.SIGKILL)
			<-s.done
		}
		// Anything left in the group (moto spawns nothing today) goes too.
		syscall.Kill(-pgid, syscall.SIGKILL)
		os.Remove(s.recording)
	})
	return nil
}

// Reset drops every resource moto holds (tables, streams, buses, queues).
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("moto: reset: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto: reset: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto: reset: status %s", resp.Status)
	}
	return nil
}

// FreePort returns a TCP port on host that was free a moment ago.
func FreePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("moto: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// binary resolves the wrapper to run and reports ErrNotInstalled when it is
// missing, so tests can tell "not installed" (skip) from "broken" (fail).
func binary(explicit string) (string, error) {
	bin := explicit
	if bin == "" {
		bin = os.Getenv("MOTO_SERVER")
	}
	if bin == "" {
		root, err := RepoRoot()
		if err != nil {
			return "", err
		}
		bin = filepath.Join(root, DefaultBinary)
	}
	if _, err := os.Stat(bin); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s does not exist", ErrNotInstalled, bin)
	} else if err != nil {
		return "", fmt.Errorf("moto: %w", err)
	}
	return bin, nil
}

// RepoRoot returns the nearest directory at or above the working directory
// that holds a go.mod. Tests run in their package directory, the local stack
// anywhere in the checkout; both find the same root this way.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("moto: find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("moto: find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// tailBuffer keeps the last max bytes written, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.buf))
}
