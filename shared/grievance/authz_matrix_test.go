package grievance_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// The authorization matrix (issue #9): every operation × the principals
// that may or may not run it. functions/graphql keeps a few of its cells
// end to end, to show the GraphQL edge reports each outcome as openIMIS
// does.

// matrixWorld is a fresh store holding a ticket attended by staff with one
// comment by the admin (the ticket resolved by it when closed), and
// another ticket attended by other.
type matrixWorld struct {
	svc             *grievance.Service
	ticket, comment string
}

var (
	matrixAdmin = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Username: "admin", Admin: true}
	matrixStaff = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000003", Username: "staff", Rights: map[string]bool{}}
	matrixOther = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000005", Username: "other", Rights: map[string]bool{}}
	matrixNone  = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000004", Username: "none", Rights: map[string]bool{}}
)

func newMatrixWorld(t *testing.T, closed bool) *matrixWorld {
	t.Helper()
	st := grievancetest.NewStore()
	for _, p := range []*grievance.Principal{matrixAdmin, matrixStaff, matrixOther, matrixNone} {
		// Role "2" may attend tickets of the default configuration.
		st.AddPeople(grievance.Person{ID: p.ID, Type: grievance.PersonUser, Username: p.Username, Roles: []string{"2"}})
	}
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	w := &matrixWorld{svc: grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})}
	for _, staff := range []string{matrixOther.ID, matrixStaff.ID} {
		w.must(t, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
			return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: strp("authz"), AttendingStaffID: strp(staff)})
		})
	}
	var last *grievance.Ticket
	_ = st.ScanTickets(context.Background(), grievance.TicketRange{}, func(tk *grievance.Ticket) (bool, error) { last = tk; return true, nil })
	w.ticket = last.ID
	w.must(t, "createComment", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.CreateComment(ctx, grievance.CommentInput{TicketID: w.ticket, Comment: strp("by admin")})
	})
	cs, _ := st.CommentsOfTicket(context.Background(), w.ticket)
	w.comment = cs[0].ID
	if closed {
		w.must(t, "resolveGrievanceByComment", func(ctx context.Context) (*grievance.Write, error) {
			return w.svc.ResolveByComment(ctx, w.comment, nil)
		})
	}
	return w
}

func (w *matrixWorld) must(t *testing.T, name string, plan grievance.Plan) {
	t.Helper()
	if got := w.mutate(matrixAdmin, name, plan); got != "ok" {
		t.Fatalf("fixture %s: %s", name, got)
	}
}

// mutate runs a mutation as the GraphQL edge does and classifies its
// outcome: "ok", UNAUTHENTICATED, "denied" (logged as unauthorized) or the
// failure logged.
func (w *matrixWorld) mutate(p *grievance.Principal, name string, plan grievance.Plan) string {
	log, err := w.svc.Mutate(grievance.NewContext(context.Background(), p), grievance.MutationRequest{Name: name, Class: name}, plan)
	if err != nil {
		return string(grievance.ErrorCode(err))
	}
	if log.Status == grievance.MutationSuccess {
		return "ok"
	}
	var es []grievance.MutationError
	if json.Unmarshal([]byte(log.Error), &es) == nil && len(es) > 0 && es[0].Code == grievance.CodeForbidden && es[0].Detail == "unauthorized" {
		return "denied"
	}
	return "failed: " + log.Error
}

// query classifies a read's outcome: "ok" or its error code.
func query(err error) string {
	if err != nil {
		return string(grievance.ErrorCode(err))
	}
	return "ok"
}

// Ensure every query and mutation admits exactly the principals it should.
func TestAuthorization_Matrix(t *testing.T) {
	const (
		U = "UNAUTHENTICATED"
		F = "FORBIDDEN"
		D = "denied"
		K = "ok"
	)
	first := func(n int) grievance.PageArgs { return grievance.PageArgs{First: &n} }
	byTicket := func(w *matrixWorld) []grievance.Filter {
		return []grievance.Filter{{Field: "ticket__id", Lookup: grievance.Exact, Value: w.ticket}}
	}
	type row struct {
		op     string
		right  string // what the principal "with the right" holds
		closed bool   // the fixture's ticket is resolved first
		// run does the operation as ctx's principal; mutations return
		// their plan, queries nil after running.
		run func(ctx context.Context, w *matrixWorld) (grievance.Plan, error)
		//   no principal, no right, right, staff of the ticket, staff of another, admin
		want [6]string
	}
	read := func(f func(ctx context.Context, w *matrixWorld) error) func(context.Context, *matrixWorld) (grievance.Plan, error) {
		return func(ctx context.Context, w *matrixWorld) (grievance.Plan, error) { return nil, f(ctx, w) }
	}
	write := func(f func(w *matrixWorld) grievance.Plan) func(context.Context, *matrixWorld) (grievance.Plan, error) {
		return func(_ context.Context, w *matrixWorld) (grievance.Plan, error) { return f(w), nil }
	}
	list := func(mode grievance.ListMode) func(context.Context, *matrixWorld) (grievance.Plan, error) {
		return read(func(ctx context.Context, w *matrixWorld) error {
			_, err := w.svc.ListTickets(ctx, grievance.TicketQuery{Mode: mode, Page: first(10), WantCount: true})
			return err
		})
	}
	matrix := []row{
		{"tickets", "127000", false, list(grievance.ModeLive), [6]string{U, F, K, F, F, K}},
		// ticketsStr and ticketDetails, deleted tickets too.
		{"ticketsStr", "127000", false, list(grievance.ModeAll), [6]string{U, F, K, F, F, K}},
		{"grievanceConfig", "127000", false, read(func(ctx context.Context, w *matrixWorld) error {
			_, err := w.svc.ReaderConfig(ctx)
			return err
		}), [6]string{U, F, K, F, F, K}},
		{"comments", "127004", false, read(func(ctx context.Context, w *matrixWorld) error {
			_, err := w.svc.ListComments(ctx, grievance.CommentQuery{Filters: byTicket(w), Page: first(10), WantCount: true})
			return err
		}), [6]string{U, F, K, K, F, K}},
		// Anyone may ask for mutation logs: each reader gets their own
		// (none without a principal).
		{"mutationLogs", "127000", false, read(func(ctx context.Context, w *matrixWorld) error {
			_, err := w.svc.MutationLogs(ctx, grievance.MutationLogQuery{Page: first(10), WantCount: true})
			return err
		}), [6]string{K, K, K, K, K, K}},
		{"createTicket", "127001", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Default"), Title: strp("new")})
			}
		}), [6]string{U, D, K, D, D, K}},
		{"updateTicket", "127002", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.UpdateTicket(ctx, grievance.TicketInput{ID: w.ticket, Category: strp("Default"), Title: strp("changed")})
			}
		}), [6]string{U, D, K, D, D, K}},
		{"deleteTicket", "127003", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.DeleteTickets(ctx, []string{w.ticket}, nil)
			}
		}), [6]string{U, D, K, D, D, K}},
		{"createComment", "127005", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateComment(ctx, grievance.CommentInput{TicketID: w.ticket, Comment: strp("more")})
			}
		}), [6]string{U, D, K, K, D, K}},
		{"resolveGrievanceByComment", "127006", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.ResolveByComment(ctx, w.comment, nil)
			}
		}), [6]string{U, D, K, D, D, K}},
		{"reopenTicket", "127002", true, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) { return w.svc.ReopenTicket(ctx, w.ticket, nil) }
		}), [6]string{U, D, K, D, D, K}},
		{"updateComment", "127002", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.UpdateComment(ctx, grievance.CommentInput{ID: w.comment, Comment: strp("edited")})
			}
		}), [6]string{U, D, K, D, D, K}},
		{"deleteComment", "127002", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) { return w.svc.DeleteComment(ctx, w.comment, nil) }
		}), [6]string{U, D, K, D, D, K}},
		{"updateGrievanceConfig", "127002", false, write(func(w *matrixWorld) grievance.Plan {
			return func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.UpdateConfig(ctx, []byte(`{"grievance_flags": ["Other"]}`))
			}
		}), [6]string{U, D, D, D, D, K}},
	}
	columns := []struct {
		name string
		p    func(right string) *grievance.Principal
	}{
		{"no principal", func(string) *grievance.Principal { return nil }},
		{"no right", func(string) *grievance.Principal { return matrixNone }},
		{"the right", func(r string) *grievance.Principal {
			return &grievance.Principal{ID: "00000000-0000-4000-a000-000000000002", Username: "officer", Rights: map[string]bool{r: true}}
		}},
		{"attending staff of the ticket", func(string) *grievance.Principal { return matrixStaff }},
		{"attending staff of another ticket", func(string) *grievance.Principal { return matrixOther }},
		{"admin", func(string) *grievance.Principal { return matrixAdmin }},
	}
	for _, r := range matrix {
		for i, col := range columns {
			t.Run(r.op+"/"+col.name, func(t *testing.T) {
				t.Parallel()
				w := newMatrixWorld(t, r.closed)
				p := col.p(r.right)
				ctx := grievance.NewContext(context.Background(), p)
				plan, err := r.run(ctx, w)
				got := query(err)
				if plan != nil {
					got = w.mutate(p, r.op, plan)
				}
				if got != r.want[i] {
					t.Errorf("%s as %s: %s, want %s", r.op, col.name, got, r.want[i])
				}
			})
		}
	}
}
