package grievance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure rights are checked before existence: a principal without an
// operation's right gets the same answer (code and message, the id aside)
// for a real id, a deleted one and a random one, for every query and
// mutation that takes an id.
func TestRights_BeforeExistence(t *testing.T) {
	st := grievancetest.NewStore()
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	svc := grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})
	admin := grievance.NewContext(context.Background(), &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true})
	must := func(w *grievance.Write, err error) *grievance.Write {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(admin, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	newTicket := func() string {
		return must(svc.CreateTicket(admin, grievance.TicketInput{Category: strp("Default"), Title: strp("t")})).NewTicket.ID
	}
	newComment := func(ticket string) string {
		return must(svc.CreateComment(admin, grievance.CommentInput{TicketID: ticket, Comment: strp("c")})).Comments[0].Comment.ID
	}
	real := newTicket()
	deleted := newTicket()
	realComment := newComment(real)
	deletedComment := newComment(real)
	onDeletedTicket := newComment(deleted)
	must(svc.DeleteComment(admin, deletedComment, nil))
	must(svc.DeleteTickets(admin, []string{deleted}, nil))
	const random = "0c6f8e1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b"

	ticketIDs := map[string]string{"real": real, "deleted": deleted, "random": random}
	commentIDs := map[string]string{"real": realComment, "deleted": deletedComment, "on a deleted ticket": onDeletedTicket, "random": random}
	principals := map[string]*grievance.Principal{
		"no rights":  {ID: "00000000-0000-4000-a000-000000000009"},
		"query only": {ID: "00000000-0000-4000-a000-000000000008", Rights: map[string]bool{grievance.RightQueryTickets: true}},
		// Holds the own-comment rights, not the right to change others'.
		"own comments only": {ID: "00000000-0000-4000-a000-000000000007", Rights: map[string]bool{grievance.RightCreateComment: true}},
	}
	ops := []struct {
		name     string
		ids      map[string]string
		run      func(ctx context.Context, id string) error
		skipWith string // principal that holds this operation's right
	}{
		{"updateTicket", ticketIDs, func(ctx context.Context, id string) error {
			_, err := svc.UpdateTicket(ctx, grievance.TicketInput{ID: id, Title: strp("new")})
			return err
		}, ""},
		{"reopenTicket", ticketIDs, func(ctx context.Context, id string) error { _, err := svc.ReopenTicket(ctx, id, nil); return err }, ""},
		{"deleteTicket", ticketIDs, func(ctx context.Context, id string) error {
			_, err := svc.DeleteTickets(ctx, []string{id}, nil)
			return err
		}, ""},
		{"createComment", ticketIDs, func(ctx context.Context, id string) error {
			_, err := svc.CreateComment(ctx, grievance.CommentInput{TicketID: id, Comment: strp("hi")})
			return err
		}, "own comments only"},
		{"resolveGrievanceByComment", commentIDs, func(ctx context.Context, id string) error {
			_, err := svc.ResolveByComment(ctx, id, nil)
			return err
		}, ""},
		{"updateComment", commentIDs, func(ctx context.Context, id string) error {
			_, err := svc.UpdateComment(ctx, grievance.CommentInput{ID: id, Comment: strp("edited")})
			return err
		}, ""},
		{"deleteComment", commentIDs, func(ctx context.Context, id string) error { _, err := svc.DeleteComment(ctx, id, nil); return err }, ""},
		{"tickets(id)", ticketIDs, func(ctx context.Context, id string) error {
			_, err := svc.ListTickets(ctx, grievance.TicketQuery{Filters: []grievance.Filter{{Field: "id", Value: id}}})
			return err
		}, "query only"},
		{"comments(ticket_Id)", ticketIDs, func(ctx context.Context, id string) error {
			_, err := svc.ListComments(ctx, grievance.CommentQuery{Filters: []grievance.Filter{{Field: "ticket__id", Value: id}}})
			return err
		}, ""},
	}
	for _, op := range ops {
		for who, p := range principals {
			if who == op.skipWith {
				continue
			}
			t.Run(op.name+"/"+who, func(t *testing.T) {
				ctx := grievance.NewContext(context.Background(), p)
				answers := map[string]string{}
				for kind, id := range op.ids {
					err := op.run(ctx, id)
					if err == nil {
						t.Fatalf("%s id: succeeded without the right", kind)
					}
					answers[kind] = string(grievance.ErrorCode(err)) + ": " + strings.ReplaceAll(grievance.ErrorMessage(err), id, "<id>")
				}
				for kind, a := range answers {
					if a != answers["random"] {
						t.Fatalf("%s id answered %q, a random id %q", kind, a, answers["random"])
					}
				}
			})
		}
	}
}
