package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/storetest"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure the DynamoDB store honours the contract the in-memory store, on
// which the domain's rule tests run, is held to.
func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store { return MustOpen(t) })
}

var tableSeq atomic.Int64

// MustOpen creates fresh tables in the test binary's moto and returns a
// Store over them.
func MustOpen(tb testing.TB) *store.Store {
	tb.Helper()
	s, _ := MustOpenPair(tb)
	return s
}

// MustOpenPair returns two independent Stores over the same fresh tables,
// standing for two Lambda containers.
func MustOpenPair(tb testing.TB) (*store.Store, *store.Store) {
	tb.Helper()
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(tb).Endpoint())
	if err != nil {
		tb.Fatal(err)
	}
	prefix := fmt.Sprintf("st%d-%d-", os.Getpid(), tableSeq.Add(1))
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), prefix)
	if err != nil {
		tb.Fatal(err)
	}
	return store.New(cfg, names), store.New(cfg, names)
}

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

func newTicket(id string, status grievance.Status, category string) *grievance.Ticket {
	return &grievance.Ticket{ID: id, Version: 1, Status: status, Category: category, Title: "t " + id,
		DateCreated: t0, DateUpdated: t0, DateValidFrom: t0, UserCreated: "u1", UserUpdated: "u1"}
}

func id(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func mustCreate(tb testing.TB, s *store.Store, t *grievance.Ticket) *grievance.Ticket {
	tb.Helper()
	if err := s.Commit(context.Background(), &grievance.Write{NewTicket: t}); err != nil {
		tb.Fatalf("create %s: %v", t.ID, err)
	}
	return t
}

// Ensure creates racing in one process and across stores (two
// "containers") still get distinct, consecutive numbers.
func TestCommit_ConcurrentCreatesAreGapFree(t *testing.T) {
	s1, s2 := MustOpenPair(t)
	const n = 30
	var wg sync.WaitGroup
	errs := make(chan error, n)
	codes := make(chan int64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk := newTicket(id(100+i), grievance.StatusReceived, "Default")
			s := s1
			if i%2 == 1 {
				s = s2
			}
			if err := s.Commit(context.Background(), &grievance.Write{NewTicket: tk}); err != nil {
				errs <- err
				return
			}
			codes <- tk.Seq
		}()
	}
	wg.Wait()
	close(errs)
	close(codes)
	for err := range errs {
		t.Fatal(err)
	}
	var seqs []int
	for c := range codes {
		seqs = append(seqs, int(c))
	}
	sort.Ints(seqs)
	for i, s := range seqs {
		if s != i+1 {
			t.Fatalf("seqs=%v, want 1..%d", seqs, n)
		}
	}
}

// Ensure a create gets its number however often the counter moves under
// it (a container of the version before turns, during a rolling deploy,
// takes numbers outside the queue), gap-free after them; that one that
// cannot commit before its deadline fails UNAVAILABLE, which a client may
// retry, never INTERNAL; and that a place whose holder died before its
// turn is skipped instead of blocking every later create.
func TestCommit_LosingTheCounterRace(t *testing.T) {
	for _, tc := range []struct {
		name     string
		losses   int  // times the counter moves between read and commit; -1: always
		dead     bool // a container took the first place in the queue and died
		deadline time.Duration
		wantCode grievance.Code
		wantSeq  int64
	}{
		{name: "twelve lost rounds then a win", losses: 12, deadline: 20 * time.Second, wantSeq: 13},
		{name: "never winning before the deadline", losses: -1, deadline: 2500 * time.Millisecond, wantCode: grievance.CodeUnavailable},
		{name: "a dead holder ahead is skipped", dead: true, deadline: 20 * time.Second, wantSeq: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s1, rival := MustOpenPair(t)
			if tc.dead {
				store.TakeTurn(t, rival)
			}
			n := 0
			store.SetCounterRead(s1, func() {
				if tc.losses >= 0 && n >= tc.losses {
					return
				}
				n++
				store.BumpCounter(t, rival)
			})
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			tk := newTicket(id(1), grievance.StatusReceived, "Default")
			err := s1.Commit(ctx, &grievance.Write{NewTicket: tk})
			if tc.wantCode != "" {
				if grievance.ErrorCode(err) != tc.wantCode {
					t.Fatalf("err=%v (code %s), want %s", err, grievance.ErrorCode(err), tc.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("create after %d lost rounds: %v", n, err)
			}
			if tk.Seq != tc.wantSeq || tk.Code != grievance.FormatCode(tc.wantSeq) {
				t.Fatalf("seq=%d code=%s, want %d", tk.Seq, tk.Code, tc.wantSeq)
			}
			// The next create, in the other container, follows at once.
			next := mustCreate(t, rival, newTicket(id(2), grievance.StatusReceived, "Default"))
			if next.Seq != tc.wantSeq+1 {
				t.Fatalf("next seq=%d, want %d", next.Seq, tc.wantSeq+1)
			}
		})
	}
}
