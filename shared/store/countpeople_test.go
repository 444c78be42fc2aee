package store_test

import (
	"context"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// CountTicketsWithPeople answers what CountTickets and People answer,
// for every kind of range, in one request where the range has count items.
func TestCountTicketsWithPeople_IsCountAndPeople(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	people := []grievance.Person{{ID: id(900), Type: grievance.PersonUser, Username: "u900"}, {ID: id(901), Type: grievance.PersonIndividual, FirstName: "Ann"}}
	if err := s.UpsertPeople(ctx, people); err != nil {
		t.Fatal(err)
	}
	var ts []*grievance.Ticket
	for i := range 7 {
		tk := newTicket(id(i+1), grievance.Statuses[i%2], "A")
		tk.Priority = []string{"High", "Low"}[i%3%2]
		tk.Seq, tk.Code = int64(i+1), grievance.FormatCode(int64(i+1))
		ts = append(ts, tk)
	}
	if err := s.ImportTickets(ctx, ts); err != nil {
		t.Fatal(err)
	}
	ids := []string{id(900), id(901), id(902), id(900)}
	for _, tc := range []struct {
		name string
		r    grievance.TicketRange
	}{
		{"every live ticket", grievance.TicketRange{By: grievance.RangeAll}},
		{"two statuses", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{string(grievance.Statuses[0]), string(grievance.Statuses[1])}}},
		{"one status", grievance.TicketRange{By: grievance.RangeStatus, Keys: []string{string(grievance.Statuses[1])}}},
		{"a category", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"A"}}},
		{"a ticket number", grievance.TicketRange{By: grievance.RangeSeq, Seq: 3}},
		{"a priority", grievance.TicketRange{By: grievance.RangeSorted, SortBy: "priority", Keys: []string{"High"}}},
		{"a category in a status", grievance.TicketRange{By: grievance.RangeCategory, Keys: []string{"A"}, Statuses: []string{string(grievance.Statuses[1])}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantN, err := s.CountTickets(ctx, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			n, found, err := s.CountTicketsWithPeople(ctx, tc.r, ids)
			if err != nil {
				t.Fatal(err)
			}
			if n != wantN {
				t.Errorf("count %d, want %d", n, wantN)
			}
			if len(found) != 2 || found[id(900)] == nil || found[id(901)].FirstName != "Ann" {
				t.Errorf("people %v, want u900 and Ann", found)
			}
		})
	}
}
