package grievancetest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

func ticket(id string, status grievance.Status, deleted bool) *grievance.Ticket {
	return &grievance.Ticket{ID: id, Version: 1, Status: status, IsDeleted: deleted, Category: "Default"}
}

func scan(t *testing.T, st *grievancetest.Store, r grievance.TicketRange) []string {
	t.Helper()
	var ids []string
	err := st.ScanTickets(context.Background(), r, func(tk *grievance.Ticket) (bool, error) {
		ids = append(ids, fmt.Sprintf("%d %s", tk.Seq, tk.ID))
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestStore_Ranges(t *testing.T) {
	st := grievancetest.NewStore()
	st.SeedTicket(ticket("a", grievance.StatusOpen, false))
	st.SeedTicket(ticket("b", grievance.StatusReceived, true))
	st.SeedTicket(ticket("c", grievance.StatusReceived, false))
	for _, tc := range []struct {
		name string
		r    grievance.TicketRange
		want []string
	}{
		{"LiveInNumberOrder", grievance.TicketRange{}, []string{"1 a", "3 c"}},
		{"Descending", grievance.TicketRange{Descending: true}, []string{"3 c", "1 a"}},
		{"DeletedOnly", grievance.TicketRange{Deleted: true}, []string{"2 b"}},
		{"DeletedAndLive", grievance.TicketRange{Deleted: true, AlsoLive: true}, []string{"1 a", "2 b", "3 c"}},
		{"Statuses", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{"RECEIVED", "OPEN"}}, []string{"1 a", "3 c"}},
		{"Seq", grievance.TicketRange{By: grievance.RangeSeq, Seq: 3}, []string{"3 c"}},
		{"SeqOfDeleted", grievance.TicketRange{By: grievance.RangeSeq, Seq: 2}, nil},
		{"SeqOutOfRange", grievance.TicketRange{By: grievance.RangeSeq, Seq: -1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := scan(t, st, tc.r); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStore_Commit(t *testing.T) {
	ctx := context.Background()
	st := grievancetest.NewStore()
	nt := ticket("a", grievance.StatusOpen, false)
	if err := st.Commit(ctx, &grievance.Write{NewTicket: nt}); err != nil {
		t.Fatal(err)
	}
	// Ensure a new ticket gets the next number and its code.
	if nt.Seq != 1 || nt.Code != "GRS00000001" {
		t.Fatalf("seq=%d code=%q", nt.Seq, nt.Code)
	}
	upd := ticket("a", grievance.StatusClosed, false)
	upd.Seq, upd.Version = 1, 2
	c := &grievance.Comment{ID: "c", TicketID: "a", Version: 1, Comment: "x"}

	// Ensure a stale version fails the whole write.
	err := st.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: upd, Prev: 5}}, Comments: []grievance.CommentWrite{{Comment: c}}})
	if grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("err=%v, want conflict", err)
	}
	if _, err := st.Comment(ctx, "c"); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("comment stored by a failed commit: %v", err)
	}
	if err := st.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: upd, Prev: 1}}, Comments: []grievance.CommentWrite{{Comment: c}}}); err != nil {
		t.Fatal(err)
	}
	// Ensure a comment cannot be created twice.
	if err := st.Commit(ctx, &grievance.Write{Comments: []grievance.CommentWrite{{Comment: c}}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Fatalf("err=%v, want conflict", err)
	}
	// Ensure history keeps every committed version, newest first.
	var versions []string
	_ = st.ScanTicketHistory(ctx, "a", func(tk *grievance.Ticket) (bool, error) {
		versions = append(versions, fmt.Sprintf("%d %s", tk.Version, tk.Status))
		return true, nil
	})
	if got, want := versions, []string{"2 CLOSED", "1 OPEN"}; !slices.Equal(got, want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	if v1, err := st.TicketVersion(ctx, "a", 1); err != nil || v1.Status != grievance.StatusOpen {
		t.Fatalf("version 1: %v %v", v1, err)
	}
	// Ensure returned values are copies.
	got, _ := st.Ticket(ctx, "a")
	got.Title = "changed"
	if again, _ := st.Ticket(ctx, "a"); again.Title != "" {
		t.Fatal("a returned ticket aliases stored state")
	}
}

func TestStore_ClaimsRunAMutationOnce(t *testing.T) {
	ctx := context.Background()
	st := grievancetest.NewStore()
	first := &grievance.MutationLog{ID: "l1", UserID: "u", ClientMutationID: "m", Status: grievance.MutationSuccess}
	if err := st.Commit(ctx, &grievance.Write{Log: first, Claim: true}); err != nil {
		t.Fatal(err)
	}
	// Ensure the same user and id is a duplicate, whether committed or
	// logged as a failure, and names the first log…
	err := st.Commit(ctx, &grievance.Write{Log: &grievance.MutationLog{ID: "l2", UserID: "u", ClientMutationID: "m"}, Claim: true})
	if grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second commit: %v", err)
	}
	if err := st.PutMutationLog(ctx, &grievance.MutationLog{ID: "l2", UserID: "u", ClientMutationID: "m"}, true); grievance.ErrorKey(err) != grievance.KeyDuplicate {
		t.Fatalf("second failure log: %v", err)
	}
	if prev, err := st.ClientMutation(ctx, "u", "m"); err != nil || prev == nil || prev.ID != "l1" {
		t.Fatalf("lookup: %v %v", prev, err)
	}
	// …while another user may use the same id.
	if err := st.PutMutationLog(ctx, &grievance.MutationLog{ID: "l3", UserID: "v", ClientMutationID: "m"}, true); err != nil {
		t.Fatalf("other user's claim: %v", err)
	}
	var ids []string
	_ = st.ScanMutationLogs(ctx, "", "m", func(l *grievance.MutationLog) (bool, error) {
		ids = append(ids, l.ID)
		return true, nil
	})
	if !slices.Equal(ids, []string{"l3", "l1"}) {
		t.Fatalf("logs %v", ids)
	}
}

func TestStore_Fail(t *testing.T) {
	// Ensure injected failures reach the caller.
	st := grievancetest.NewStore()
	boom := fmt.Errorf("boom")
	st.Fail = func(op string) error {
		if op == "People" {
			return boom
		}
		return nil
	}
	if _, err := st.People(context.Background(), []string{"x"}); err != boom {
		t.Fatalf("err=%v", err)
	}
}
