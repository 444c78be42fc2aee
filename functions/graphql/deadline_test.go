package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/gql"
)

// Ensure a request that runs out of time answers with a code the client
// can act on (UNAVAILABLE, "try again") and the request id, never the Go
// context's error text, whichever query was running.
func TestDeadline_OutOfTimeIsCoded(t *testing.T) {
	for _, tc := range []struct{ name, op, doc string }{
		{"TicketList", "ScanTickets", `{ tickets { totalCount edges { node { title } } } }`},
		{"History", "ScanTicketHistory", `{ tickets(showHistory: true, title: "nothing") { edges { node { title } } } }`},
		{"Comments", "ScanComments", `{ comments { edges { node { comment } } } }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemHandler(t, gql.Options{})
			warm, _ := json.Marshal(map[string]any{"query": `{ grievanceConfig { grievanceTypes } }`})
			if _, err := m.h.Handle(context.Background(), event(adminClaims, string(warm))); err != nil {
				t.Fatal(err)
			}
			// The store answers, but only after the request's time is up.
			m.st.Fail = func(op string) error {
				if op == tc.op {
					time.Sleep(150 * time.Millisecond)
				}
				return nil
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			body, _ := json.Marshal(map[string]any{"query": tc.doc})
			ev := event(adminClaims, string(body))
			resp, err := m.h.Handle(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			b := checkRequestID(t, ev, resp)
			checkNoLeak(t, resp.Body)
			if strings.Contains(resp.Body, "context") || len(b.Errors) == 0 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			if c := b.Errors[0].Extensions["code"]; c != "UNAVAILABLE" || !strings.Contains(b.Errors[0].Message, "try again") {
				t.Fatalf("code %v: %s, want UNAVAILABLE with advice", c, resp.Body)
			}
		})
	}
}

// Ensure the handler answers before the invocation's own deadline (when
// Lambda stops the process and the client would get a bare 5xx): it keeps
// a reserve to send the coded answer.
func TestDeadline_AnswerBeforeTheInvocationEnds(t *testing.T) {
	m := newMemHandler(t, gql.Options{})
	warm, _ := json.Marshal(map[string]any{"query": `{ grievanceConfig { grievanceTypes } }`})
	if _, err := m.h.Handle(context.Background(), event(adminClaims, string(warm))); err != nil {
		t.Fatal(err)
	}
	m.st.Fail = func(op string) error {
		if op == "ScanTickets" {
			time.Sleep(2 * time.Second)
		}
		return nil
	}
	deadline := time.Now().Add(600 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	resp, err := m.h.Handle(ctx, event(adminClaims, `{"query":"{ tickets { totalCount } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !time.Now().Before(deadline) {
		t.Fatalf("answered after the invocation's deadline: %s", resp.Body)
	}
	if !strings.Contains(resp.Body, `"UNAVAILABLE"`) {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
}
