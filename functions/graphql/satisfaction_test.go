package main

import (
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure the notification and satisfaction fields of a ticket reach the
// wire as DateTime / Int, and null while unset.
func TestTicketFields_AcknowledgementAndSatisfaction(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		edit func(*grievance.Ticket)
		want map[string]any
	}{
		{"unset fields are null", func(*grievance.Ticket) {},
			map[string]any{"acknowledgedAt": nil, "rating": nil, "ratedAt": nil, "appealedAt": nil}},
		{"set fields are shown", func(tk *grievance.Ticket) {
			tk.AcknowledgedAt, tk.Rating, tk.RatedAt, tk.AppealedAt = at, 2, at.Add(time.Hour), at.Add(time.Hour)
		}, map[string]any{"acknowledgedAt": "2026-03-10T12:00:00", "rating": float64(2), "ratedAt": "2026-03-10T13:00:00", "appealedAt": "2026-03-10T13:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tk := &grievance.Ticket{ID: "6f1d2c3b-0000-4000-8000-000000000001", Version: 1, Category: "Default", Status: grievance.StatusOpen, Title: "x"}
			tt.edit(tk)
			e.st.(*grievancetest.Store).SeedTicket(tk)
			d := e.ok(t, adminClaims, `{ tickets(first: 1) { edges { node { acknowledgedAt rating ratedAt appealedAt } } } }`)
			n := nodes(d, "tickets")
			if len(n) != 1 {
				t.Fatalf("%d tickets", len(n))
			}
			for k, want := range tt.want {
				if got := n[0][k]; got != want {
					t.Errorf("%s = %v, want %v", k, got, want)
				}
			}
		})
	}
}
