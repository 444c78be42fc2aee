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
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

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

func TestCommit_NewTicketsGetConsecutiveCodes(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	a := mustCreate(t, s, newTicket(id(1), grievance.StatusReceived, "Default"))
	b := mustCreate(t, s, newTicket(id(2), grievance.StatusOpen, "Default"))
	if a.Code != "GRS00000001" || b.Code != "GRS00000002" {
		t.Fatalf("codes=%s,%s, want GRS00000001,GRS00000002", a.Code, b.Code)
	}
	got, err := s.Ticket(ctx, id(2))
	if err != nil {
		t.Fatal(err)
	}
	if got.Code != "GRS00000002" || got.Seq != 2 || got.Status != grievance.StatusOpen || !got.DateCreated.Equal(t0) {
		t.Fatalf("read back %+v", got)
	}
	if _, err := s.Ticket(ctx, id(99)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("missing ticket err=%v, want NOT_FOUND", err)
	}
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

func TestCommit_StaleVersionIsAConflictAndChangesNothing(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	tk := mustCreate(t, s, newTicket(id(1), grievance.StatusReceived, "Default"))
	upd := tk.Clone()
	upd.Title, upd.Version = "new", 2
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: upd, Prev: 1}}}); err != nil {
		t.Fatal(err)
	}
	stale := tk.Clone()
	stale.Title, stale.Version = "lost", 2
	c := &grievance.Comment{ID: id(50), TicketID: tk.ID, Version: 1, Comment: "x", DateCreated: t0, DateUpdated: t0}
	err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: stale, Prev: 1}}, Comments: []grievance.CommentWrite{{Comment: c}}})
	if grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("err=%v, want CONFLICT", err)
	}
	got, _ := s.Ticket(ctx, tk.ID)
	if got.Title != "new" || got.Version != 2 {
		t.Fatalf("ticket=%q v%d, want new v2", got.Title, got.Version)
	}
	if _, err := s.Comment(ctx, c.ID); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("comment of a failed transaction exists: %v", err)
	}
}

func collect(t *testing.T, s *store.Store, r grievance.TicketRange) []string {
	t.Helper()
	var codes []string
	err := s.ScanTickets(context.Background(), r, func(tk *grievance.Ticket) (bool, error) {
		codes = append(codes, tk.Code)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return codes
}

func TestScanTickets_RangesMergeInNumberOrder(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	statuses := []grievance.Status{grievance.StatusOpen, grievance.StatusReceived, grievance.StatusOpen, grievance.StatusClosed, grievance.StatusReceived}
	var tickets []*grievance.Ticket
	for i, st := range statuses {
		tk := newTicket(id(i+1), st, []string{"Default", "Category A"}[i%2])
		if i == 2 {
			tk.AttendingStaffID = id(900)
		}
		tickets = append(tickets, mustCreate(t, s, tk))
	}
	// Delete ticket 5: it leaves the live lists.
	del := tickets[4].Clone()
	del.IsDeleted, del.Version = true, 2
	if err := s.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: del, Prev: 1}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		r    grievance.TicketRange
		want string
	}{
		{"all live ascending", grievance.TicketRange{By: grievance.RangeAll}, "[GRS00000001 GRS00000002 GRS00000003 GRS00000004]"},
		{"all live descending", grievance.TicketRange{By: grievance.RangeAll, Descending: true}, "[GRS00000004 GRS00000003 GRS00000002 GRS00000001]"},
		{"live and deleted", grievance.TicketRange{By: grievance.RangeAll, Deleted: true, AlsoLive: true}, "[GRS00000001 GRS00000002 GRS00000003 GRS00000004 GRS00000005]"},
		{"deleted only", grievance.TicketRange{By: grievance.RangeAll, Deleted: true}, "[GRS00000005]"},
		{"two statuses merged", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}}, "[GRS00000001 GRS00000002 GRS00000003]"},
		{"two statuses merged descending", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}, Descending: true}, "[GRS00000003 GRS00000002 GRS00000001]"},
		{"category", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"Category A"}}, "[GRS00000002 GRS00000004]"},
		{"staff", grievance.TicketRange{By: grievance.RangeStaff, Keys: []string{id(900)}}, "[GRS00000003]"},
		{"one number", grievance.TicketRange{By: grievance.RangeSeq, Seq: 4}, "[GRS00000004]"},
		{"deleted number among all", grievance.TicketRange{By: grievance.RangeSeq, Seq: 5, Deleted: true, AlsoLive: true}, "[GRS00000005]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(collect(t, s, tc.r)); got != tc.want {
				t.Fatalf("codes=%s, want %s", got, tc.want)
			}
		})
	}
	n, err := s.CountTickets(ctx, grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}})
	if err != nil || n != 3 {
		t.Fatalf("count=%d err=%v, want 3", n, err)
	}
}

// Ensure a long scan pages through more items than one request returns.
func TestScanTickets_PagesThroughLongRanges(t *testing.T) {
	s := MustOpen(t)
	for i := range 150 {
		mustCreate(t, s, newTicket(id(i+1), grievance.StatusOpen, "Default"))
	}
	codes := collect(t, s, grievance.TicketRange{By: grievance.RangeAll, Descending: true})
	if len(codes) != 150 || codes[0] != "GRS00000150" || codes[149] != "GRS00000001" {
		t.Fatalf("got %d codes, first %v", len(codes), codes[:3])
	}
}

func TestComments_ReadByIDAndByTicket(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	tk := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	prev := tk.Version
	c1 := &grievance.Comment{ID: id(11), TicketID: tk.ID, Version: 1, Comment: "first", DateCreated: t0, DateUpdated: t0}
	c2 := &grievance.Comment{ID: id(12), TicketID: tk.ID, Version: 1, Comment: "second", DateCreated: t0.Add(time.Second), DateUpdated: t0, CommenterType: grievance.PersonIndividual, CommenterID: id(500)}
	tk.Version++
	if err := s.Commit(ctx, &grievance.Write{Comments: []grievance.CommentWrite{{Comment: c2}, {Comment: c1}}, Tickets: []grievance.TicketWrite{{Ticket: tk, Prev: prev}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Comment(ctx, c2.ID)
	if err != nil || got.Comment != "second" || got.CommenterID != id(500) || got.TicketID != tk.ID {
		t.Fatalf("comment=%+v err=%v", got, err)
	}
	all, err := s.CommentsOfTicket(ctx, tk.ID)
	if err != nil || len(all) != 2 || all[0].ID != c1.ID || all[1].ID != c2.ID {
		t.Fatalf("comments=%v err=%v, want c1 then c2", all, err)
	}
	both, withTicket, err := s.TicketWithComments(ctx, tk.ID)
	if err != nil || both.Version != 2 || len(withTicket) != 2 || withTicket[0].ID != c1.ID || withTicket[1].ID != c2.ID {
		t.Fatalf("ticket with comments=%+v %v err=%v", both, withTicket, err)
	}
	if _, _, err := s.TicketWithComments(ctx, id(77)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("missing ticket err=%v, want NOT_FOUND", err)
	}
	var scanned []string
	if err := s.ScanComments(ctx, true, func(c *grievance.Comment) (bool, error) { scanned = append(scanned, c.Comment); return true, nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(scanned) != "[second first]" {
		t.Fatalf("scan=%v", scanned)
	}
}

func TestPeople_UpsertIsIdempotentAndFindsUsers(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	people := []grievance.Person{
		{ID: id(1), Type: grievance.PersonIndividual, FirstName: "Jane", LastName: "Doe", Dob: "1990-01-01", JSONExt: map[string]any{"phone": "0999"}},
		{ID: id(2), Type: grievance.PersonUser, Username: "Alice", Roles: []string{"1"}},
	}
	for range 2 {
		if err := s.UpsertPeople(ctx, people); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.People(ctx, []string{id(1), id(2), id(3), id(1)})
	if err != nil || len(got) != 2 || got[id(1)].JSONExt["phone"] != "0999" {
		t.Fatalf("people=%v err=%v", got, err)
	}
	u, err := s.UserByUsername(ctx, "Alice")
	if err != nil || u.ID != id(2) {
		t.Fatalf("user=%v err=%v", u, err)
	}
	if _, err := s.UserByUsername(ctx, "alice"); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("usernames are case-sensitive; err=%v", err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("users=%v err=%v", users, err)
	}
}

// Ensure a clientMutationId claimed in a mutation's transaction cannot be
// claimed again by its user (neither by a commit, which then stores
// nothing, nor by a failure log), and names the first log.
func TestClaims_RunAMutationOnce(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	first := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: first, Claim: true, NewTicket: newTicket(id(8), grievance.StatusReceived, "Default")}); err != nil {
		t.Fatal(err)
	}
	again := &grievance.MutationLog{ID: id(2), UserID: "u1", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	err := s.Commit(ctx, &grievance.Write{Log: again, Claim: true, NewTicket: newTicket(id(9), grievance.StatusReceived, "Default")})
	if grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second commit err=%v, want duplicate", err)
	}
	if _, err := s.Ticket(ctx, id(9)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatal("the duplicate's ticket was stored")
	}
	if err := s.PutMutationLog(ctx, again, true); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second failure log err=%v, want duplicate", err)
	}
	prev, err := s.ClientMutation(ctx, "u1", "abc")
	if err != nil || prev == nil || prev.ID != first.ID || prev.Status != grievance.MutationSuccess {
		t.Fatalf("lookup=%+v err=%v, want the first log", prev, err)
	}
	if prev, err := s.ClientMutation(ctx, "u2", "abc"); err != nil || prev != nil {
		t.Fatalf("another user's lookup=%v err=%v", prev, err)
	}
	other := &grievance.MutationLog{ID: id(3), UserID: "u2", ClientMutationID: "abc", RequestDateTime: t0.Add(time.Second), Status: grievance.MutationFailed}
	if err := s.PutMutationLog(ctx, other, true); err != nil {
		t.Fatalf("another user's claim: %v", err)
	}
	var mine, all []string
	s.ScanMutationLogs(ctx, "u1", "", func(l *grievance.MutationLog) (bool, error) { mine = append(mine, l.ID); return true, nil })
	s.ScanMutationLogs(ctx, "", "abc", func(l *grievance.MutationLog) (bool, error) { all = append(all, l.ID); return true, nil })
	if fmt.Sprint(mine) != fmt.Sprint([]string{id(1)}) || fmt.Sprint(all) != fmt.Sprint([]string{id(3), id(1)}) {
		t.Fatalf("mine=%v all=%v", mine, all)
	}
}

func TestConfigDocument_VersionedWrites(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	doc, ver, err := s.ConfigDocument(ctx)
	if err != nil || doc != nil || ver != 0 {
		t.Fatalf("empty config doc=%s ver=%d err=%v", doc, ver, err)
	}
	if err := s.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(`{"grievance_types":["A"]}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, &grievance.Write{Config: &grievance.ConfigWrite{Document: []byte(`{}`)}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("second create err=%v, want CONFLICT", err)
	}
	doc, ver, _ = s.ConfigDocument(ctx)
	if string(doc) != `{"grievance_types":["A"]}` || ver != 1 {
		t.Fatalf("doc=%s ver=%d", doc, ver)
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

// Ensure a claim held by a retryable failure is taken over by the resend's
// commit (same log id, now a success), and that a final claim is not: a
// later retryable failure or commit under it is a duplicate.
func TestClaims_RetryableFailureIsTakenOver(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	failed := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0,
		Status: grievance.MutationFailed, Error: `[{"message":"Failed","detail":"Internal error.","code":"INTERNAL"}]`, Retryable: true}
	if err := s.PutMutationLog(ctx, failed, true); err != nil {
		t.Fatal(err)
	}
	if prev, err := s.ClientMutation(ctx, "u1", "abc"); err != nil || prev == nil || !prev.Retryable {
		t.Fatalf("lookup=%+v err=%v, want the retryable failure", prev, err)
	}
	again := *failed
	if err := s.PutMutationLog(ctx, &again, true); err != nil {
		t.Fatalf("a second retryable failure under an open claim: %v", err)
	}
	ok := &grievance.MutationLog{ID: id(1), UserID: "u1", Mutation: "createTicket", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: ok, Claim: true, NewTicket: newTicket(id(8), grievance.StatusReceived, "Default")}); err != nil {
		t.Fatalf("resend's commit: %v", err)
	}
	prev, err := s.ClientMutation(ctx, "u1", "abc")
	if err != nil || prev == nil || prev.ID != id(1) || prev.Status != grievance.MutationSuccess || prev.Retryable {
		t.Fatalf("lookup=%+v err=%v, want the success under the same id", prev, err)
	}
	if err := s.PutMutationLog(ctx, failed, true); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("retryable failure over a success err=%v, want duplicate", err)
	}
	late := &grievance.MutationLog{ID: id(2), UserID: "u1", ClientMutationID: "abc", RequestDateTime: t0, Status: grievance.MutationSuccess}
	if err := s.Commit(ctx, &grievance.Write{Log: late, Claim: true, NewTicket: newTicket(id(9), grievance.StatusReceived, "Default")}); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("commit over a success err=%v, want duplicate", err)
	}
}
