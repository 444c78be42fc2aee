package grievance_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure only a definitive outcome is final for a clientMutationId: after a
// transient failure (internal, unavailable, a conflict lost on every
// retry) a resend runs again and its outcome replaces the failure under
// the same log id; after a validation, rights or stale-version failure the
// resend returns the first log without running.
func TestMutate_ResendAfterTransientFailureRunsAgain(t *testing.T) {
	admin := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true}
	noRights := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000009"}
	for _, tc := range []struct {
		name      string
		who       *grievance.Principal
		commit    error // what the first Commit returns
		category  string
		version   bool // the client named a version
		wantAgain bool
		wantCode  grievance.Code
	}{
		{name: "internal error is retried", who: admin, commit: errors.New("socket closed"), category: "Default", wantAgain: true, wantCode: grievance.CodeInternal},
		{name: "unavailable is retried", who: admin, commit: grievance.Errorf(grievance.CodeUnavailable, "The service is busy; try again shortly."), category: "Default", wantAgain: true, wantCode: grievance.CodeUnavailable},
		{name: "conflict lost on every retry is retried", who: admin, commit: grievance.Errorf(grievance.CodeConflict, "The counter was changed meanwhile."), category: "Default", wantAgain: true, wantCode: grievance.CodeConflict},
		{name: "conflict on a named version is final", who: admin, commit: grievance.Errorf(grievance.CodeConflict, "The ticket has changed."), category: "Default", version: true, wantCode: grievance.CodeConflict},
		{name: "validation failure is final", who: admin, category: "No such category", wantCode: grievance.CodeInvalid},
		{name: "rights failure is final", who: noRights, category: "Default", wantCode: grievance.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
			svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{})
			ctx := grievance.NewContext(context.Background(), tc.who)
			req := grievance.MutationRequest{Name: "createTicket", Class: "CreateTicketMutation", ClientMutationID: "c1", ExplicitVersion: tc.version}
			runs := 0
			category := tc.category
			plan := func(ctx context.Context) (*grievance.Write, error) {
				runs++
				return svc.CreateTicket(ctx, grievance.TicketInput{Category: &category, Title: strp("retry")})
			}
			if tc.commit != nil {
				st.Fail = func(op string) error {
					if op == "Commit" {
						return tc.commit
					}
					return nil
				}
			}
			first, _ := svc.Mutate(ctx, req, plan)
			if first == nil || first.Status != grievance.MutationFailed || !strings.Contains(first.Error, string(tc.wantCode)) {
				t.Fatalf("first send: %+v, want a failed log with %s", first, tc.wantCode)
			}
			// The cause goes away; the client sends the same mutation again.
			st.Fail, category = nil, "Default"
			runsBefore := runs
			again, err := svc.Mutate(ctx, req, plan)
			if again == nil {
				t.Fatalf("resend: %v", err)
			}
			if again.ID != first.ID {
				t.Fatalf("resend answered log %s, want the client's log %s", again.ID, first.ID)
			}
			ran := runs > runsBefore
			if ran != tc.wantAgain {
				t.Fatalf("resend ran=%v, want %v", ran, tc.wantAgain)
			}
			logs, _ := svc.MutationLogs(grievance.NewContext(context.Background(), admin), grievance.MutationLogQuery{ClientMutationID: "c1"})
			if len(logs.Items) != 1 {
				t.Fatalf("%d logs for the clientMutationId, want 1", len(logs.Items))
			}
			want := grievance.MutationFailed
			if tc.wantAgain {
				want = grievance.MutationSuccess
			}
			if logs.Items[0].Status != want {
				t.Fatalf("stored log status=%d error=%s, want %d", logs.Items[0].Status, logs.Items[0].Error, want)
			}
			if tc.wantAgain {
				// Success is final: a third send does not run again.
				third, _ := svc.Mutate(ctx, req, plan)
				if third.ID != first.ID || third.Status != grievance.MutationSuccess || runs != runsBefore+1 {
					t.Fatalf("third send: %+v after %d runs, want the success without running", third, runs)
				}
			}
		})
	}
}

// Ensure the shared mutation envelope has length limits that answer
// INVALID with a message naming the field and the limit, and that a
// refused envelope leaves no log or ticket behind.
func TestMutate_EnvelopeLimits(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int) []string { return make([]string, n) }
	for _, tc := range []struct {
		name string
		req  grievance.MutationRequest
		want string // "" = accepted
	}{
		{name: "id at the limit", req: grievance.MutationRequest{ClientMutationID: long(255)}},
		{name: "id of 3000 characters", req: grievance.MutationRequest{ClientMutationID: long(3000)}, want: "clientMutationId is 3000 characters long; the limit is 255."},
		{name: "id with a control character", req: grievance.MutationRequest{ClientMutationID: "a\x00b"}, want: "clientMutationId contains a control character"},
		{name: "label over the limit", req: grievance.MutationRequest{ClientMutationLabel: long(256)}, want: "clientMutationLabel is 256 characters long; the limit is 255."},
		{name: "too many details", req: grievance.MutationRequest{ClientMutationDetails: many(51)}, want: "clientMutationDetails has 51 entries; the limit is 50."},
		{name: "detail over the limit", req: grievance.MutationRequest{ClientMutationDetails: []string{long(1001)}}, want: "clientMutationDetails entry is 1001 characters long; the limit is 1000."},
		{name: "input over the limit", req: grievance.MutationRequest{JSONContent: long(256<<10 + 1)}, want: "The mutation input is 262145 bytes; the limit is 262144."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
			svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{})
			admin := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true}
			ctx := grievance.NewContext(context.Background(), admin)
			tc.req.Name, tc.req.Class = "createTicket", "CreateTicketMutation"
			log, err := svc.Mutate(ctx, tc.req, func(ctx context.Context) (*grievance.Write, error) {
				return svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: strp("t")})
			})
			if tc.want == "" {
				if err != nil || log.Status != grievance.MutationSuccess {
					t.Fatalf("got %+v %v, want success", log, err)
				}
				return
			}
			if grievance.ErrorCode(err) != grievance.CodeInvalid || !strings.Contains(grievance.ErrorMessage(err), tc.want) {
				t.Fatalf("err=%v, want INVALID %q", err, tc.want)
			}
			logs, _ := svc.MutationLogs(ctx, grievance.MutationLogQuery{})
			page, _ := svc.ListTickets(ctx, grievance.TicketQuery{WantCount: true})
			if log != nil || len(logs.Items) != 0 || page.TotalCount != 0 {
				t.Fatalf("refused envelope left log=%v, %d logs, %d tickets", log, len(logs.Items), page.TotalCount)
			}
		})
	}
}
