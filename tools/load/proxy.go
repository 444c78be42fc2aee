package load

import (
	"io"
	stdlog "log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultProxy sits between a function and the emulator. It forwards every
// request, except that it answers a share of DynamoDB requests with the
// ThrottlingException DynamoDB sends (HTTP 400), drops a share of them
// (closes the connection without an answer), and while Down refuses
// connections altogether (the emulator "restarting": moto keeps its data
// in memory, so a real restart would lose the tables; an unreachable
// endpoint is the part of a restart a function sees).
type FaultProxy struct {
	// ThrottleRate and DropRate are shares (0..1) of DynamoDB requests.
	ThrottleRate, DropRate float64

	target *url.URL
	rp     *httputil.ReverseProxy
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	srv    *http.Server
	closed bool

	// Counters.
	Forwarded, Throttled, Dropped, Refused atomic.Int64
}

// ThrottlingBody is the body of DynamoDB's ThrottlingException.
const ThrottlingBody = `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}`

// NewFaultProxy listens on a free loopback port and forwards to target.
func NewFaultProxy(target string) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &FaultProxy{target: u, rp: httputil.NewSingleHostReverseProxy(u)}
	p.rp.ErrorLog = stdlog.New(io.Discard, "", 0) // a client giving up is not news
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p, nil
}

// URL is the proxy's endpoint.
func (p *FaultProxy) URL() string { return "http://" + p.addr }

func (p *FaultProxy) serve(ln net.Listener) {
	p.ln = ln
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	srv := p.srv
	go srv.Serve(ln)
}

// Down makes the endpoint refuse connections for d (existing connections
// are closed too), then listens again on the same port.
func (p *FaultProxy) Down(d time.Duration) {
	p.mu.Lock()
	if p.closed || p.srv == nil {
		p.mu.Unlock()
		return
	}
	p.srv.Close()
	p.srv = nil
	p.mu.Unlock()
	deadline := time.Now().Add(d)
	// While down, count refused attempts by listening nowhere: the
	// kernel refuses them.
	time.Sleep(time.Until(deadline))
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", p.addr)
		if err == nil {
			p.mu.Lock()
			if p.closed {
				ln.Close()
			} else {
				p.serve(ln)
			}
			p.mu.Unlock()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close stops the proxy.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.srv != nil {
		p.srv.Close()
	}
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.") {
		x := rand.Float64()
		switch {
		case x < p.ThrottleRate:
			p.Throttled.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.Header().Set("x-amzn-RequestId", "LOADTESTTHROTTLE")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, ThrottlingBody)
			return
		case x < p.ThrottleRate+p.DropRate:
			p.Dropped.Add(1)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
	}
	p.Forwarded.Add(1)
	p.rp.ServeHTTP(w, r)
}
