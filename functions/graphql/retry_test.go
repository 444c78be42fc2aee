package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/auth"
	"github.com/redress-grm/redress/shared/gql"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// container is one more Lambda container over e's tables (newDynamoEnv): its own store
// (own counter mutex), service (own configuration cache) and handler.
func (e *env) container(tb testing.TB, st grievance.Store) *Handler {
	tb.Helper()
	svc := grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{History: e.db, Stats: e.db})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := gql.New(svc, gql.Options{Logger: log})
	if err != nil {
		tb.Fatal(err)
	}
	return &Handler{Config: svc, GraphQL: srv, Auth: auth.Options{AllowRightsClaim: true}, Log: log, NewID: uuid.NewString, Now: time.Now}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// Ensure a burst of creates from many containers at once all succeed with
// gap-free codes: losing the ticket-counter race is retried, never a
// failure. BURST_CREATES, BURST_WORKERS and BURST_CONTAINERS (default: one
// per worker) scale it; the figures in docs/reliability.md are 700 creates
// from 16 workers.
func TestRetry_BurstOfCreatesFromManyContainers(t *testing.T) {
	e := newDynamoEnv(t)
	creates, workers := envInt("BURST_CREATES", 48), envInt("BURST_WORKERS", 16)
	containers := make([]*Handler, envInt("BURST_CONTAINERS", workers))
	for i := range containers {
		containers[i] = e.container(t, store.New(e.cfg, e.names))
	}
	type outcome struct {
		cmid   string
		status int
		err    string
	}
	var (
		mu       sync.Mutex
		outcomes []outcome
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	start := time.Now()
	for i := range workers {
		h := containers[i%len(containers)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			ce := &env{h: h}
			for next.Add(1) <= int64(creates) {
				cmid := uuid.NewString()
				r := ce.gql(t, adminClaims, fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q}) { internalId } }`, basicTicket, cmid), nil)
				o := outcome{cmid: cmid}
				if len(r.Errors) > 0 {
					o.err = r.Errors[0].Message
				} else {
					o.status, o.err = ce.mutationLog(t, adminClaims, cmid)
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	failed := 0
	for _, o := range outcomes {
		if o.status != 2 {
			failed++
			t.Errorf("create %s: status %d %s", o.cmid, o.status, o.err)
		}
	}
	t.Logf("%d creates from %d workers on %d containers in %v: %d failed", creates, workers, len(containers), elapsed.Round(time.Millisecond), failed)
	var seqs []int
	err := e.st.ScanTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll}, func(tk *grievance.Ticket) (bool, error) {
		seqs = append(seqs, int(tk.Seq))
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("ticket numbers %v are not 1..%d", seqs, len(seqs))
		}
	}
	if len(seqs) != creates-failed {
		t.Fatalf("%d tickets stored, want %d", len(seqs), creates-failed)
	}
}

// flakyStore fails the next Commits it is told to, as DynamoDB does when
// throttled or out of reach.
type flakyStore struct {
	*store.Store
	fail atomic.Int32
	err  error
}

func (f *flakyStore) Commit(ctx context.Context, w *grievance.Write) error {
	if f.fail.Add(-1) >= 0 {
		return f.err
	}
	return f.Store.Commit(ctx, w)
}

// Ensure, through the handler over moto, that a createTicket whose commit
// failed transiently is created when the client sends it again with the
// same clientMutationId, under the log id it was first given, and that a
// definitive failure (validation) stays the answer to a resend.
func TestRetry_ResendAfterTransientFailure(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		input     string
		wantFirst string // in the first log's error
		wantAgain int    // status of the log after the resend
	}{
		{name: "unavailable", err: grievance.Errorf(grievance.CodeUnavailable, "The service is busy; try again shortly."), input: basicTicket, wantFirst: "UNAVAILABLE", wantAgain: 2},
		{name: "internal", err: fmt.Errorf("transaction: %w", io.ErrUnexpectedEOF), input: basicTicket, wantFirst: "Internal error.", wantAgain: 2},
		{name: "validation is final", input: `category: "Nope", title: "t"`, wantFirst: "Nope", wantAgain: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newDynamoEnv(t)
			flaky := &flakyStore{Store: e.db, err: tc.err}
			if tc.err != nil {
				flaky.fail.Store(1)
			}
			ce := &env{h: e.container(t, flaky)}
			cmid := uuid.NewString()
			doc := fmt.Sprintf(`mutation { createTicket(input: {%s, clientMutationId: %q}) { internalId } }`, tc.input, cmid)
			first := ce.ok(t, adminClaims, doc)
			if st, msg := ce.mutationLog(t, adminClaims, cmid); st != 1 || !strings.Contains(msg, tc.wantFirst) {
				t.Fatalf("first send: status=%d error=%s, want 1 with %q", st, msg, tc.wantFirst)
			}
			again := ce.ok(t, adminClaims, doc)
			if a, b := path(first, "createTicket", "internalId"), path(again, "createTicket", "internalId"); a != b {
				t.Fatalf("resend answered log %v, want the first one %v", b, a)
			}
			if st, msg := ce.mutationLog(t, adminClaims, cmid); st != tc.wantAgain {
				t.Fatalf("after the resend: status=%d error=%s, want %d", st, msg, tc.wantAgain)
			}
			d := ce.ok(t, adminClaims, fmt.Sprintf(`{ tickets(clientMutationId: %q) { totalCount } }`, cmid))
			if n := path(d, "tickets", "totalCount").(float64); n != float64(tc.wantAgain-1) {
				t.Fatalf("%v tickets for the mutation, want %d", n, tc.wantAgain-1)
			}
		})
	}
}
