package grievancetest_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/grievance/storetest"
)

// Ensure the in-memory store honours the contract the DynamoDB store is
// held to (shared/store runs the same suite).
func TestStore_Conformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return grievancetest.NewStore() })
}

func ticket(id string, status grievance.Status, deleted bool) *grievance.Ticket {
	return &grievance.Ticket{ID: id, Version: 1, Status: status, IsDeleted: deleted, Category: "Default"}
}

// Ensure seeded tickets take the next numbers and keep their state.
func TestStore_SeededTicketsAreNumbered(t *testing.T) {
	st := grievancetest.NewStore()
	st.SeedTicket(ticket("a", grievance.StatusOpen, false))
	st.SeedTicket(ticket("b", grievance.StatusReceived, true))
	var got []string
	err := st.ScanTickets(context.Background(), grievance.TicketRange{Deleted: true, AlsoLive: true}, func(tk *grievance.Ticket) (bool, error) {
		got = append(got, fmt.Sprintf("%d %s %s", tk.Seq, tk.Code, tk.ID))
		return true, nil
	})
	if err != nil || !slices.Equal(got, []string{"1 GRS00000001 a", "2 GRS00000002 b"}) {
		t.Fatalf("got %v err=%v", got, err)
	}
}

// Ensure the history the fake keeps in place of the history function has
// every committed version, newest first.
func TestStore_HistoryKeepsEveryCommittedVersion(t *testing.T) {
	ctx := context.Background()
	st := grievancetest.NewStore()
	if err := st.Commit(ctx, &grievance.Write{NewTicket: ticket("a", grievance.StatusOpen, false)}); err != nil {
		t.Fatal(err)
	}
	upd := ticket("a", grievance.StatusClosed, false)
	upd.Seq, upd.Version = 1, 2
	if err := st.Commit(ctx, &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: upd, Prev: 1}}}); err != nil {
		t.Fatal(err)
	}
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
