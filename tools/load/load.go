// Package load is a bounded loopback load and fault test of the local
// stack: the real graphql and history binaries behind the emulated API
// Gateway (JWT authorizer included) and stream mapping, with a FaultProxy
// between the graphql function and moto. Workers create, update, comment
// on and list tickets for a fixed time (and at most a fixed number of
// requests); then the run checks that nothing acknowledged was lost and
// nothing unacknowledged was half-written. `go run ./infra/local load` and
// `make load` run it; docs/reliability.md records the latest result.
package load

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/gateway"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/infra/local/stack"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Config of a run. Zero values take the defaults in brackets.
type Config struct {
	Root        string        // repository root (go.mod)
	Endpoint    string        // running moto; "" starts one
	Duration    time.Duration // load phase [20s]
	Workers     int           // concurrent clients [8]
	MaxRequests int           // bound on requests [20000]
	// ThrottleRate and DropRate are the shares of the graphql function's
	// DynamoDB requests the proxy throttles or drops during the load phase.
	ThrottleRate, DropRate float64
	// Outage makes DynamoDB unreachable for the graphql function this long,
	// starting at a third of the load phase (0: no outage).
	Outage time.Duration
	// Drain bounds the wait for the history consumer [60s].
	Drain  time.Duration
	BinDir string    // where binaries are built [Root/.cache/bin]
	Output io.Writer // functions' output [discarded]
	Logger *slog.Logger
}

// Result of a run.
type Result struct {
	Duration    time.Duration
	Requests    int64
	ByOperation map[string]int64
	Errors      map[string]int64 // by kind: "http 5xx", "graphql UNAVAILABLE", "log: …"
	P50, P99    time.Duration
	Max         time.Duration
	// Acknowledged items (mutation log status 2).
	Tickets, Comments, Updates int
	// LateAcks are mutations the client saw fail whose log, read after the
	// faults stopped, says success (the answer was lost after the commit).
	LateAcks int
	// Pending are mutation logs left at status 0 (RECEIVED) after the
	// run: the claim was written, then both the commit and the error log
	// failed (a known defect of the mutation flow, docs/reliability.md);
	// reported, not failed, since nothing is half-written.
	Pending []string
	// Verified: found in the table and, for tickets, every version in
	// history.
	VerifiedTickets, VerifiedComments, VerifiedHistory int
	// Proxy counters.
	Throttled, Dropped int64
	// Problems found by the checks; empty means the run passed.
	Problems []string
}

// OK reports whether the run passed.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Report renders r as Markdown lines.
func (r *Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "- requests: %d in %s (%.0f/s)\n", r.Requests, r.Duration.Round(time.Millisecond), float64(r.Requests)/r.Duration.Seconds())
	ops := sortedKeys(r.ByOperation)
	fmt.Fprintf(&b, "- by operation:")
	for _, k := range ops {
		fmt.Fprintf(&b, " %s %d;", k, r.ByOperation[k])
	}
	fmt.Fprintf(&b, "\n- latency: p50 %s, p99 %s, max %s\n", r.P50.Round(100*time.Microsecond), r.P99.Round(100*time.Microsecond), r.Max.Round(time.Millisecond))
	fmt.Fprintf(&b, "- errors by kind:")
	if len(r.Errors) == 0 {
		fmt.Fprintf(&b, " none")
	}
	for _, k := range sortedKeys(r.Errors) {
		fmt.Fprintf(&b, " %s: %d;", k, r.Errors[k])
	}
	fmt.Fprintf(&b, "\n- proxy faults injected: %d throttled, %d dropped\n", r.Throttled, r.Dropped)
	fmt.Fprintf(&b, "- acknowledged (mutation log status 2): %d tickets, %d comments, %d updates (%d of them read from the log after the client saw an error)\n", r.Tickets, r.Comments, r.Updates, r.LateAcks)
	fmt.Fprintf(&b, "- verified: %d tickets in the table, %d comments in the table and in comment_ids, %d tickets with every version in history\n",
		r.VerifiedTickets, r.VerifiedComments, r.VerifiedHistory)
	fmt.Fprintf(&b, "- mutation logs left at status 0 (known defect): %d %v\n", len(r.Pending), r.Pending)
	if r.OK() {
		fmt.Fprintf(&b, "- result: PASS\n")
	} else {
		fmt.Fprintf(&b, "- result: FAIL\n")
		for _, p := range r.Problems {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

const (
	jwtSecret = "redress-load-secret"
	adminSub  = "5a1e0000-0000-4000-8000-00000000000a"
)

// Run starts the stack, runs the load, checks and stops everything.
func Run(ctx context.Context, c Config) (*Result, error) {
	if c.Duration <= 0 {
		c.Duration = 20 * time.Second
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	if c.MaxRequests <= 0 {
		c.MaxRequests = 20000
	}
	if c.Drain <= 0 {
		c.Drain = 60 * time.Second
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	// The fault proxy stands between the graphql function and the
	// emulator, so the emulator starts first.
	endpoint := c.Endpoint
	if endpoint == "" {
		m, err := moto.Start(ctx, moto.Options{})
		if err != nil {
			return nil, err
		}
		defer m.Stop()
		endpoint = m.Endpoint()
	}
	proxy, err := NewFaultProxy(endpoint)
	if err != nil {
		return nil, err
	}
	defer proxy.Close()
	sk, err := stack.Start(ctx, stack.Options{
		Root:               c.Root,
		Endpoint:           endpoint,
		TablePrefix:        fmt.Sprintf("load-%s-", uuid.NewString()[:8]),
		Functions:          []string{stack.GraphQL, stack.History},
		FunctionEndpoints:  map[string]string{stack.GraphQL: proxy.URL()},
		LogLevel:           "warn",
		GraphQLConcurrency: 4,
		PollInterval:       100 * time.Millisecond,
		DLQDir:             filepath.Join(c.Root, ".cache", "local", "load"),
		Listen:             "127.0.0.1:0",
		Verifier:           &gateway.Verifier{Secret: []byte(jwtSecret)},
		BinDir:             c.BinDir,
		Output:             c.Output,
		Logger:             log,
	})
	if err != nil {
		return nil, err
	}
	defer sk.Stop()
	st := store.New(sk.AWS, sk.Tables)

	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": adminSub, "username": "load", "cognito:groups": []string{"GrievanceAdmin"},
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString([]byte(jwtSecret))
	if err != nil {
		return nil, err
	}
	cl := &client{url: sk.URL() + "/api/graphql", token: tok, http: &http.Client{Timeout: 60 * time.Second}}

	// Load phase.
	r := &run{c: c, cl: cl, res: &Result{ByOperation: map[string]int64{}, Errors: map[string]int64{}}, tickets: map[string]*ackTicket{}}
	proxy.ThrottleRate, proxy.DropRate = c.ThrottleRate, c.DropRate
	loadCtx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	if c.Outage > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-time.After(c.Duration / 3):
				log.Info("load: emulator unreachable", "for", c.Outage)
				proxy.Down(c.Outage)
			case <-loadCtx.Done():
			}
		}()
	}
	for w := 0; w < c.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(loadCtx)
		}()
	}
	wg.Wait()
	r.res.Duration = time.Since(start)
	proxy.ThrottleRate, proxy.DropRate = 0, 0
	r.res.Throttled, r.res.Dropped = proxy.Throttled.Load(), proxy.Dropped.Load()
	r.latencies()
	r.verify(ctx, st, c.Drain)
	return r.res, nil
}

// client posts GraphQL documents to the gateway.
type client struct {
	url, token string
	http       *http.Client
}

// reply is a decoded response.
type reply struct {
	status int
	data   map[string]any
	codes  []string
}

func (cl *client) do(ctx context.Context, doc string) (reply, error) {
	body, _ := json.Marshal(map[string]any{"query": doc})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cl.url, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := cl.http.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	json.Unmarshal(raw, &out)
	rp := reply{status: resp.StatusCode, data: out.Data}
	for _, e := range out.Errors {
		code, _ := e.Extensions["code"].(string)
		rp.codes = append(rp.codes, code)
	}
	return rp, nil
}

type unsure struct {
	op, cmid, ticketID, text string
}

// ackTicket is a ticket whose creation was acknowledged.
type ackTicket struct {
	id       string
	comments []string // texts of acknowledged comments
}

type run struct {
	c   Config
	cl  *client
	res *Result

	mu      sync.Mutex
	tickets map[string]*ackTicket // by id
	ids     []string
	// unsure are mutations whose answer was an error or whose log could
	// not be read: the write may have happened (a response lost after
	// the commit). verify resolves them from their logs once faults stop.
	unsure    []unsure
	durations []time.Duration
	requests  atomic.Int64
}

func (r *run) count(op string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.ByOperation[op]++
	r.durations = append(r.durations, d)
}

func (r *run) fail(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Errors[kind]++
}

func (r *run) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.res.Problems) < 50 {
		r.res.Problems = append(r.res.Problems, fmt.Sprintf(format, args...))
	}
}

// call sends doc, timing it and classifying failures; ok is false when the
// request had no usable answer.
func (r *run) call(ctx context.Context, op, doc string) (reply, bool) {
	if r.requests.Add(1) > int64(r.c.MaxRequests) {
		return reply{}, false
	}
	t0 := time.Now()
	// A request once sent runs to its end even when the load phase is
	// over: the function would finish it anyway, and verifying while
	// writes are still landing would read a ticket before its comment's
	// write and report a half-written comment that is not.
	rp, err := r.cl.do(context.WithoutCancel(ctx), doc)
	if err != nil {
		r.fail("transport error")
		return rp, false
	}
	r.count(op, time.Since(t0))
	if rp.status >= 500 {
		r.fail(fmt.Sprintf("http %d", rp.status))
		r.problem("%s answered %d", op, rp.status)
		return rp, false
	}
	for _, c := range rp.codes {
		r.fail("graphql " + c)
		if c != "UNAVAILABLE" && c != "INTERNAL" {
			r.problem("%s: unexpected error code %s", op, c)
		}
	}
	return rp, len(rp.codes) == 0
}

// mutate runs a mutation and returns its log status (-1: unknown) and
// error text.
func (r *run) mutate(ctx context.Context, op, doc, cmid string) (int, string) {
	if _, ok := r.call(ctx, op, doc); !ok {
		return -2, "" // answered with an error (counted by call): no log to read
	}
	return r.readLog(ctx, op, cmid)
}

// readLog returns the status and error of the log of cmid: -3 when there
// is none, -1 when it cannot be read.
func (r *run) readLog(ctx context.Context, op, cmid string) (int, string) {
	// The mutation runs synchronously; its log is final when it answers.
	// Reading it may itself fail under faults: retry a few times.
	for i := 0; i < 5; i++ {
		rp, ok := r.call(context.WithoutCancel(ctx), "mutationLogs", fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status error } } } }`, cmid))
		if !ok {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		edges, _ := dig(rp.data, "mutationLogs", "edges").([]any)
		if len(edges) == 0 {
			return -3, ""
		}
		if len(edges) > 1 {
			r.problem("%s %s: %d mutation logs", op, cmid, len(edges))
			return -1, ""
		}
		n, _ := dig(edges[0], "node").(map[string]any)
		st, _ := n["status"].(float64)
		msg, _ := n["error"].(string)
		return int(st), msg
	}
	return -1, ""
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func (r *run) pick() *ackTicket {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ids) == 0 {
		return nil
	}
	return r.tickets[r.ids[rand.IntN(len(r.ids))]]
}

func (r *run) worker(ctx context.Context) {
	for ctx.Err() == nil && r.requests.Load() < int64(r.c.MaxRequests) {
		x := rand.IntN(100)
		t := r.pick()
		switch {
		case x < 35 || t == nil:
			r.create(ctx)
		case x < 55:
			r.update(ctx, t)
		case x < 80:
			r.comment(ctx, t)
		default:
			r.call(ctx, "list", `{ tickets(first: 10, orderBy: ["-dateCreated"]) { totalCount edges { node { id code title status version jsonExt } } } }`)
		}
	}
}

// logOutcome classifies a mutation's log status.
func (r *run) logOutcome(op string, st int, msg string) bool {
	switch st {
	case 2:
		return true
	case 1:
		if strings.Contains(msg, "try again") {
			r.fail("log: try again")
		} else {
			r.fail("log: other error")
			r.problem("%s failed with %s", op, msg)
		}
	case 0:
		r.fail("log: left pending")
		r.problem("%s: mutation log left at status 0", op)
	case -2:
	default:
		r.fail("log: unreadable")
	}
	return false
}

func (r *run) create(ctx context.Context) {
	cmid := uuid.NewString()
	st, msg := r.mutate(ctx, "createTicket", fmt.Sprintf(`mutation { createTicket(input: {clientMutationId: %q, category: "Default", title: "load %s", description: "load test", priority: "Medium", resolution: "5,0", dateOfIncident: "2026-11-20", channel: "Channel A", flags: "Default"}) { internalId } }`, cmid, cmid[:8]), cmid)
	if !r.logOutcome("createTicket", st, msg) {
		if st < 0 {
			r.addUnsure(unsure{op: "createTicket", cmid: cmid})
		}
		return
	}
	r.ackCreate(context.WithoutCancel(ctx), cmid)
}

func (r *run) addUnsure(u unsure) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unsure = append(r.unsure, u)
}

// ackCreate records the acknowledged creation cmid with its ticket id.
func (r *run) ackCreate(ctx context.Context, cmid string) {
	rp, ok := r.call(ctx, "tickets", fmt.Sprintf(`{ tickets(clientMutationId: %q) { edges { node { id } } } }`, cmid))
	if !ok {
		// Acknowledged, but its id is unknown: verify by count only.
		r.mu.Lock()
		r.res.Tickets++
		r.mu.Unlock()
		return
	}
	edges, _ := dig(rp.data, "tickets", "edges").([]any)
	if len(edges) != 1 {
		r.problem("acknowledged ticket %s: %d tickets", cmid, len(edges))
		return
	}
	id := globalID(dig(edges[0], "node", "id"))
	r.mu.Lock()
	r.tickets[id] = &ackTicket{id: id}
	r.ids = append(r.ids, id)
	r.res.Tickets++
	r.mu.Unlock()
}

func (r *run) update(ctx context.Context, t *ackTicket) {
	cmid := uuid.NewString()
	st, msg := r.mutate(ctx, "updateTicket", fmt.Sprintf(`mutation { updateTicket(input: {clientMutationId: %q, id: %q, category: "Default", title: "upd %s"}) { internalId } }`, cmid, t.id, cmid[:8]), cmid)
	if r.logOutcome("updateTicket", st, msg) {
		r.mu.Lock()
		r.res.Updates++
		r.mu.Unlock()
	}
}

func (r *run) comment(ctx context.Context, t *ackTicket) {
	cmid := uuid.NewString()
	st, msg := r.mutate(ctx, "createComment", fmt.Sprintf(`mutation { createComment(input: {clientMutationId: %q, ticketId: %q, comment: %q}) { internalId } }`, cmid, t.id, "c-"+cmid), cmid)
	if r.logOutcome("createComment", st, msg) {
		r.mu.Lock()
		t.comments = append(t.comments, "c-"+cmid)
		r.res.Comments++
		r.mu.Unlock()
	} else if st < 0 {
		r.addUnsure(unsure{op: "createComment", cmid: cmid, ticketID: t.id, text: "c-" + cmid})
	}
}

// globalID decodes a Relay id to the raw UUID.
func globalID(v any) string {
	s, _ := v.(string)
	b, err := decodeB64(s)
	if err != nil {
		return ""
	}
	_, id, _ := strings.Cut(string(b), ":")
	return id
}

func (r *run) latencies() {
	d := slices.Clone(r.durations)
	slices.Sort(d)
	r.res.Requests = int64(len(d))
	if len(d) == 0 {
		return
	}
	r.res.P50 = d[len(d)/2]
	r.res.P99 = d[min(len(d)-1, len(d)*99/100)]
	r.res.Max = d[len(d)-1]
}

// verify checks, against the table (not through the faulty path), that
// every acknowledged ticket and comment is stored, that no ticket or
// comment exists without its acknowledgement, that comments and their
// ticket's comment_ids agree, and (waiting at most drain for the stream
// consumer) that history has every version of every ticket.
func (r *run) verify(ctx context.Context, st *store.Store, drain time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, drain+time.Minute)
	defer cancel()
	r.c.MaxRequests = math.MaxInt
	for _, u := range r.unsure {
		status, _ := r.readLog(ctx, u.op, u.cmid)
		switch status {
		case 2:
			r.res.LateAcks++
			switch u.op {
			case "createTicket":
				r.ackCreate(ctx, u.cmid)
			case "createComment":
				if t := r.tickets[u.ticketID]; t != nil {
					t.comments = append(t.comments, u.text)
				}
				r.res.Comments++
			}
		case 0:
			r.res.Pending = append(r.res.Pending, u.op+" "+u.cmid)
		}
	}
	var all []*grievance.Ticket
	err := st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(t *grievance.Ticket) (bool, error) {
		all = append(all, t)
		return true, nil
	})
	if err != nil {
		r.problem("scan tickets: %v", err)
		return
	}
	if len(all) != r.res.Tickets {
		r.problem("%d tickets in the table, %d acknowledged", len(all), r.res.Tickets)
	}
	byID := map[string]*grievance.Ticket{}
	for _, t := range all {
		byID[t.ID] = t
	}
	comments := 0
	for _, t := range all {
		cs, err := st.CommentsOfTicket(ctx, t.ID)
		if err != nil {
			r.problem("comments of %s: %v", t.ID, err)
			continue
		}
		ids := map[string]bool{}
		for _, id := range t.CommentIDs() {
			ids[id] = true
		}
		texts := map[string]bool{}
		for _, c := range cs {
			texts[c.Comment] = true
			if !ids[c.ID] {
				r.problem("comment %s of ticket %s is not in its comment_ids (half-written)", c.ID, t.ID)
			}
			delete(ids, c.ID)
		}
		for id := range ids {
			r.problem("ticket %s lists comment %s that does not exist (half-written)", t.ID, id)
		}
		comments += len(cs)
		if a := r.tickets[t.ID]; a != nil {
			for _, text := range a.comments {
				if texts[text] {
					r.res.VerifiedComments++
				} else {
					r.problem("acknowledged comment %q of ticket %s is missing", text, t.ID)
				}
			}
		}
	}
	if comments != r.res.Comments {
		r.problem("%d comments in the table, %d acknowledged", comments, r.res.Comments)
	}
	for id := range r.tickets {
		if byID[id] == nil {
			r.problem("acknowledged ticket %s is missing", id)
		} else {
			r.res.VerifiedTickets++
		}
	}
	// History: every version 1..current of every ticket, bounded wait.
	deadline := time.Now().Add(drain)
	pending := slices.Clone(all)
	for {
		var still []*grievance.Ticket
		for _, t := range pending {
			seen := map[int]bool{}
			err := st.ScanTicketHistory(ctx, t.ID, func(h *grievance.Ticket) (bool, error) {
				seen[h.Version] = true
				return true, nil
			})
			complete := err == nil
			for v := 1; v <= t.Version && complete; v++ {
				complete = seen[v]
			}
			if complete {
				r.res.VerifiedHistory++
			} else {
				still = append(still, t)
			}
		}
		pending = still
		if len(pending) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, t := range pending {
		r.problem("ticket %s: history lacks versions of 1..%d after %s", t.ID, t.Version, drain)
	}
}

func decodeB64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
