package runtime

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Lambda's Runtime API: https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
const apiPrefix = "/2018-06-01/runtime"

// worker is one execution environment: a Runtime API endpoint of its own
// (so a request always identifies the process that made it) and the
// process currently attached to it, replaced whenever it exits.
type worker struct {
	f     *Function
	index int
	ln    net.Listener
	srv   *http.Server

	mu      sync.Mutex
	proc    *process
	current *invocation // handed to the process and not yet answered
	timer   *time.Timer // current's deadline
	ready   chan<- error
}

type process struct {
	cmd     *exec.Cmd
	exited  chan struct{} // closed after dead is set
	dead    bool          // guarded by worker.mu
	err     error         // exit status, valid once exited is closed
	ready   bool          // asked for its first invocation (init done)
	initErr *FunctionError
}

func newWorker(f *Function, index int, ready chan<- error) (*worker, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime: function %s: listen: %w", f.c.Name, err)
	}
	w := &worker{f: f, index: index, ln: ln, ready: ready}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+apiPrefix+"/invocation/next", w.next)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/response", w.response)
	mux.HandleFunc("POST "+apiPrefix+"/invocation/{id}/error", w.invocationError)
	mux.HandleFunc("POST "+apiPrefix+"/init/error", w.initError)
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go w.srv.Serve(ln)
	return w, nil
}

func (w *worker) env() []string {
	c := w.f.c
	var env []string
	// Only what a Lambda environment has: the host's PATH/HOME/TMPDIR so
	// the binary runs at all, then Lambda's reserved variables.
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"AWS_LAMBDA_RUNTIME_API="+w.ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME="+c.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(c.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/"+c.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME=local/"+strconv.Itoa(w.index),
		"TZ=UTC",
	)
	return append(env, c.Env...)
}

// spawn starts a new process for the worker, unless the function stopped.
func (w *worker) spawn() (*process, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.f.stopped:
		return nil, ErrStopped
	default:
	}
	cmd := exec.Command(w.f.c.Binary)
	cmd.Env = w.env()
	cmd.Stdout = NewPrefixWriter(w.f.c.Output, "["+w.f.c.Name+"] ")
	cmd.Stderr = NewPrefixWriter(w.f.c.Output, "["+w.f.c.Name+"] ")
	// Own process group, so a kill reaches anything the function spawned;
	// parent-death signal, so no worker outlives the local stack.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A grandchild holding the output pipes open must not block Wait.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("runtime: function %s: start %s: %w", w.f.c.Name, w.f.c.Binary, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	w.proc = p
	go func() {
		err := cmd.Wait()
		for _, o := range []io.Writer{cmd.Stdout, cmd.Stderr} {
			o.(*PrefixWriter).Flush()
		}
		w.mu.Lock()
		p.dead, p.err = true, err
		w.mu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// supervise keeps a process attached to the worker until the function stops.
func (w *worker) supervise() {
	log := w.f.log.With("worker", w.index)
	backoff := 100 * time.Millisecond
	for {
		p, err := w.spawn()
		if errors.Is(err, ErrStopped) {
			return
		} else if err != nil {
			if w.reportReady(err) {
				return
			}
			log.Error("worker start failed", "err", err)
			if !w.sleep(&backoff) {
				return
			}
			continue
		}
		<-p.exited

		w.mu.Lock()
		cur := w.current
		w.current = nil
		if w.timer != nil {
			w.timer.Stop()
		}
		ready, initErr := p.ready, p.initErr
		w.mu.Unlock()

		stopping := false
		select {
		case <-w.f.stopped:
			stopping = true
		default:
		}
		if cur != nil {
			if stopping {
				cur.finish(nil, ErrStopped)
			} else {
				cur.finish(nil, &FunctionError{Type: "Runtime.ExitError",
					Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", cur.id, p.err)})
			}
		}
		if stopping {
			return
		}
		if ready {
			backoff = 100 * time.Millisecond
			log.Warn("worker exited, restarting", "err", p.err)
			continue
		}
		// The process died during init.
		ferr := initErr
		if ferr == nil {
			ferr = &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("Runtime exited during init: %v", p.err)}
		}
		if w.reportReady(fmt.Errorf("runtime: function %s: init failed: %w", w.f.c.Name, ferr)) {
			return
		}
		// Lambda fails the invocation that was waiting for this
		// environment; doing the same keeps callers of a function that
		// can no longer start from waiting forever.
		select {
		case inv := <-w.f.queue:
			inv.finish(nil, ferr)
		default:
		}
		log.Error("worker failed during init, restarting", "err", ferr, "backoff", backoff)
		if !w.sleep(&backoff) {
			return
		}
	}
}

// reportReady tells Start the outcome of the worker's first init. It
// returns true if err went to Start (which then stops the function).
func (w *worker) reportReady(err error) bool {
	w.mu.Lock()
	ch := w.ready
	w.ready = nil
	w.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- err
	return err != nil
}

func (w *worker) sleep(backoff *time.Duration) bool {
	t := time.NewTimer(*backoff)
	defer t.Stop()
	*backoff = min(*backoff*2, 5*time.Second)
	select {
	case <-w.f.stopped:
		return false
	case <-t.C:
		return true
	}
}

// shutdown stops the process (SIGTERM, then SIGKILL after 2 s, as Lambda
// does when it shuts an environment down) and the worker's endpoint.
func (w *worker) shutdown() {
	w.mu.Lock()
	p := w.proc
	w.mu.Unlock()
	if p != nil {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(2 * time.Second):
		}
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
	w.srv.Close()
}

func (w *worker) next(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	p := w.proc
	if p == nil || p.dead {
		w.mu.Unlock()
		http.Error(rw, "no process", http.StatusInternalServerError)
		return
	}
	firstNext := !p.ready
	p.ready = true
	if cur := w.current; cur != nil {
		// Asking for the next event completes the previous one; without a
		// response or error posted, it has failed.
		w.current = nil
		w.timer.Stop()
		cur.finish(nil, &FunctionError{Type: "Runtime.NoResponse", Message: "The runtime asked for the next invocation without answering request " + cur.id})
	}
	w.mu.Unlock()
	if firstNext {
		w.reportReady(nil)
	}

	var inv *invocation
	select {
	case inv = <-w.f.queue:
	case <-p.exited:
		return
	case <-w.f.stopped:
		// Answer nothing: any answer makes the runtime client report an
		// error or log a fatal line. The process is about to be killed,
		// which ends this request.
		select {
		case <-p.exited:
		case <-r.Context().Done():
		}
		return
	case <-r.Context().Done():
		return
	}

	c := w.f.c
	deadline := time.Now().Add(c.Timeout)
	w.mu.Lock()
	if p.dead {
		// The process died while we waited; give the invocation back.
		w.mu.Unlock()
		go w.f.requeue(inv)
		return
	}
	w.current = inv
	w.timer = time.AfterFunc(c.Timeout, func() { w.timeout(p, inv) })
	w.mu.Unlock()

	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(deadline.UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, accountID, c.Name))
	h.Set("Lambda-Runtime-Trace-Id", newTraceID())
	rw.WriteHeader(http.StatusOK)
	rw.Write(inv.payload)
}

func (f *Function) requeue(inv *invocation) {
	select {
	case f.queue <- inv:
	case <-f.stopped:
		inv.finish(nil, ErrStopped)
	}
}

func (w *worker) timeout(p *process, inv *invocation) {
	w.mu.Lock()
	if w.current != inv {
		w.mu.Unlock()
		return
	}
	w.current = nil
	w.mu.Unlock()
	secs := w.f.c.Timeout.Seconds()
	inv.finish(nil, &FunctionError{Type: "Sandbox.Timedout",
		Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, secs)})
	w.f.log.Warn("invocation timed out, replacing the worker", "worker", w.index, "request_id", inv.id, "timeout_s", secs)
	// Lambda discards an environment whose invocation timed out.
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// take removes and returns the current invocation if its id is id.
func (w *worker) take(id string) *invocation {
	w.mu.Lock()
	defer w.mu.Unlock()
	cur := w.current
	if cur == nil || cur.id != id {
		return nil
	}
	w.current = nil
	w.timer.Stop()
	return cur
}

func (w *worker) response(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxResponse+1))
	if err == nil {
		// Read to the end: trailers arrive after the body.
		_, err = io.Copy(io.Discard, r.Body)
	}
	inv := w.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(rw, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	switch {
	case err != nil:
		inv.finish(nil, &FunctionError{Type: "Runtime.InvalidResponse", Message: "reading the response: " + err.Error()})
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// aws-lambda-go reports an error met while streaming the
		// response in trailers.
		inv.finish(nil, trailerError(r.Trailer))
	case len(body) > maxResponse:
		inv.finish(nil, &FunctionError{Type: "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxResponse)})
	default:
		inv.finish(body, nil)
	}
	writeAccepted(rw)
}

func (w *worker) invocationError(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	inv := w.take(r.PathValue("id"))
	if inv == nil {
		writeAPIError(rw, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	inv.finish(nil, parseError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type")))
	writeAccepted(rw)
}

func (w *worker) initError(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxResponse))
	ferr := parseError(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"))
	w.mu.Lock()
	if w.proc != nil {
		w.proc.initErr = ferr
	}
	w.mu.Unlock()
	w.f.log.Error("function reported an init error", "worker", w.index, "err", ferr)
	writeAccepted(rw)
}

func parseError(body []byte, headerType string) *FunctionError {
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err != nil || (fe.Message == "" && fe.Type == "") {
		fe = FunctionError{Message: string(body)}
	}
	if fe.Type == "" {
		fe.Type = headerType
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return &fe
}

func trailerError(t http.Header) *FunctionError {
	b, err := base64.StdEncoding.DecodeString(t.Get("Lambda-Runtime-Function-Error-Body"))
	if err != nil {
		b = nil
	}
	return parseError(b, t.Get("Lambda-Runtime-Function-Error-Type"))
}

func writeAccepted(rw http.ResponseWriter) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(http.StatusAccepted)
	io.WriteString(rw, `{"status":"OK"}`)
}

func writeAPIError(rw http.ResponseWriter, status int, typ, msg string) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

// Region and account of the ARNs the emulator hands out; moto's defaults,
// so ARNs look alike across the local stack.
const (
	region    = "us-east-1"
	accountID = "123456789012"
)

func newRequestID() string { return uuid.NewString() }

// newTraceID returns an X-Ray trace header in the format Lambda sends.
func newTraceID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), hex.EncodeToString(b[:12]), hex.EncodeToString(b[12:]))
}
