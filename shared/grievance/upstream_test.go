package grievance_test

// The openIMIS scenarios of /work/shared/reference/upstream-tests.md that
// are business rules: the service suite (A.1) and the rules section B
// derives from the reference code. Test names follow the document's.
// functions/graphql keeps the scenarios about the GraphQL dialect (A.2-A.6
// and B's documents, filters, encodings and page limits) through the
// handler.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

const (
	upIndividual = "00000000-0000-4000-b000-000000000001"
	upStaff      = "00000000-0000-4000-a000-000000000003"
)

var (
	upAdmin   = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Username: "admin", Admin: true}
	upOfficer = &grievance.Principal{ID: "00000000-0000-4000-a000-000000000002", Username: "officer", Groups: []string{"GrievanceOfficer"},
		Rights: grievance.DefaultConfig().RightsOf([]string{"GrievanceOfficer"})}
	upStaffer = &grievance.Principal{ID: upStaff, Username: "staff", Rights: map[string]bool{}}
)

// upstream is a fresh store with the test directory of the handler's
// tests, and the service over it.
type upstream struct {
	st  *grievancetest.Store
	svc *grievance.Service
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	st := grievancetest.NewStore()
	st.AddPeople(
		grievance.Person{ID: upAdmin.ID, Type: grievance.PersonUser, Username: "admin", Roles: []string{"1"}},
		grievance.Person{ID: upOfficer.ID, Type: grievance.PersonUser, Username: "officer", Roles: []string{"1"}},
		grievance.Person{ID: upStaff, Type: grievance.PersonUser, Username: "staff", Roles: []string{"2"}},
		grievance.Person{ID: upIndividual, Type: grievance.PersonIndividual, FirstName: "TestFN", LastName: "TestLN"},
	)
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	return &upstream{st: st, svc: grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})}
}

// do runs a mutation as the GraphQL edge does (class as openIMIS names it)
// and returns its log.
func (u *upstream) do(t *testing.T, p *grievance.Principal, class string, plan grievance.Plan) *grievance.MutationLog {
	t.Helper()
	log, err := u.svc.Mutate(grievance.NewContext(context.Background(), p), grievance.MutationRequest{Name: class, Class: class}, plan)
	if err != nil {
		t.Fatalf("%s: %v", class, err)
	}
	return log
}

func (u *upstream) mustSucceed(t *testing.T, log *grievance.MutationLog) {
	t.Helper()
	if log.Status != grievance.MutationSuccess {
		t.Fatalf("%s failed: %s", log.Mutation, log.Error)
	}
}

func (u *upstream) mustFail(t *testing.T, log *grievance.MutationLog, want string) {
	t.Helper()
	if log.Status != grievance.MutationFailed || !strings.Contains(log.Error, want) {
		t.Fatalf("%s: status=%d error=%s, want a failure with %q", log.Mutation, log.Status, log.Error, want)
	}
}

// basic is the reference suite's service_add_ticket_payload.
func basic() grievance.TicketInput {
	return grievance.TicketInput{Category: strp("Default"), Title: strp("Test"), Resolution: strp("8,7"), Priority: strp("High"),
		DateOfIncident: strp("2024-11-20"), Channel: strp("Channel A"), Flags: strp("Default")}
}

func (u *upstream) create(t *testing.T, p *grievance.Principal, in grievance.TicketInput) *grievance.Ticket {
	t.Helper()
	u.mustSucceed(t, u.do(t, p, "CreateTicketMutation", func(ctx context.Context) (*grievance.Write, error) { return u.svc.CreateTicket(ctx, in) }))
	var last *grievance.Ticket
	_ = u.st.ScanTickets(context.Background(), grievance.TicketRange{Descending: true}, func(tk *grievance.Ticket) (bool, error) { last = tk; return false, nil })
	return last
}

func (u *upstream) ticket(t *testing.T, id string) *grievance.Ticket {
	t.Helper()
	tk, err := u.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (u *upstream) comment(t *testing.T, p *grievance.Principal, ticketID, text string) *grievance.MutationLog {
	t.Helper()
	return u.do(t, p, "CreateCommentMutation", func(ctx context.Context) (*grievance.Write, error) {
		return u.svc.CreateComment(ctx, grievance.CommentInput{TicketID: ticketID, Comment: strp(text)})
	})
}

// addComment comments as p and returns the comment's id.
func (u *upstream) addComment(t *testing.T, p *grievance.Principal, ticketID, text string) string {
	t.Helper()
	u.mustSucceed(t, u.comment(t, p, ticketID, text))
	cs, _ := u.st.CommentsOfTicket(context.Background(), ticketID)
	return cs[len(cs)-1].ID
}

func (u *upstream) resolve(t *testing.T, commentID string) *grievance.MutationLog {
	t.Helper()
	return u.do(t, upAdmin, "ResolveGrievanceByCommentMutation", func(ctx context.Context) (*grievance.Write, error) {
		return u.svc.ResolveByComment(ctx, commentID, nil)
	})
}

func (u *upstream) update(t *testing.T, p *grievance.Principal, in grievance.TicketInput) *grievance.MutationLog {
	t.Helper()
	return u.do(t, p, "UpdateTicketMutation", func(ctx context.Context) (*grievance.Write, error) { return u.svc.UpdateTicket(ctx, in) })
}

func (u *upstream) setStatus(t *testing.T, id, status string) {
	t.Helper()
	u.mustSucceed(t, u.update(t, upAdmin, grievance.TicketInput{ID: id, Category: strp("Default"), Status: strp(status)}))
}

// A.1 ticket_service_test.py — TicketServiceTest.
func TestA1_TicketService(t *testing.T) {
	u := newUpstream(t)
	existing := u.create(t, upOfficer, basic())
	bad := map[string]string{"sdasdasadsda": grievance.KeyResolutionFormat, "99,5": grievance.KeyResolutionDay, "1,54": grievance.KeyResolutionHour}

	t.Run("test_add_ticket", func(t *testing.T) {
		if tk := u.create(t, upOfficer, basic()); tk.Code != "GRS00000002" {
			t.Fatalf("code=%v, want GRS00000002 (the setup ticket is GRS00000001)", tk.Code)
		}
	})
	t.Run("test_add_ticket_validation", func(t *testing.T) {
		for res, key := range bad {
			in := basic()
			in.Title, in.Resolution = strp("Bad "+res), strp(res)
			u.mustFail(t, u.do(t, upOfficer, "CreateTicketMutation", func(ctx context.Context) (*grievance.Write, error) { return u.svc.CreateTicket(ctx, in) }), key)
		}
	})
	updated := func(title, res string) grievance.TicketInput {
		return grievance.TicketInput{ID: existing.ID, Category: strp("Default"), Title: strp(title), Status: strp("OPEN"), Resolution: strp(res),
			Priority: strp("Medium"), DateOfIncident: strp("2024-11-20"), Channel: strp("Channel A"), Flags: strp("Default")}
	}
	t.Run("test_update_ticket", func(t *testing.T) {
		u.mustSucceed(t, u.update(t, upOfficer, updated("TestUpdate", "1,4")))
		tk := u.ticket(t, existing.ID)
		if tk.Title != "TestUpdate" || tk.Resolution != "1,4" || tk.Priority != "Medium" || tk.Status != grievance.StatusOpen {
			t.Fatalf("ticket=%+v", tk)
		}
	})
	t.Run("test_update_ticket_validation", func(t *testing.T) {
		for res, key := range bad {
			u.mustFail(t, u.update(t, upOfficer, updated("Nope", res)), key)
		}
		if tk := u.ticket(t, existing.ID); tk.Title != "TestUpdate" {
			t.Fatalf("a failed update changed the title to %q", tk.Title)
		}
	})
}

func TestB11_ResolvingAClosedTicketIsAClearError(t *testing.T) {
	u := newUpstream(t)
	tk := u.create(t, upAdmin, basic())
	c1 := u.addComment(t, upAdmin, tk.ID, "one")
	c2 := u.addComment(t, upAdmin, tk.ID, "two")
	u.mustSucceed(t, u.resolve(t, c1))
	u.mustFail(t, u.resolve(t, c2), "already closed")
}

func TestB12_ReopeningAnOpenTicketIsAClearError(t *testing.T) {
	u := newUpstream(t)
	tk := u.create(t, upAdmin, basic())
	u.setStatus(t, tk.ID, "OPEN")
	u.mustFail(t, u.do(t, upAdmin, "ReopenTicketMutation", func(ctx context.Context) (*grievance.Write, error) {
		return u.svc.ReopenTicket(ctx, tk.ID, nil)
	}), "already open")
}

func TestB13_OneResolutionCommentPerTicket(t *testing.T) {
	u := newUpstream(t)
	tk := u.create(t, upAdmin, basic())
	c1 := u.addComment(t, upAdmin, tk.ID, "one")
	c2 := u.addComment(t, upAdmin, tk.ID, "two")
	u.mustSucceed(t, u.resolve(t, c1))
	u.setStatus(t, tk.ID, "OPEN") // back to OPEN without reopenTicket: c1 keeps its flag
	u.mustFail(t, u.resolve(t, c2), "Another comment for this ticket is already marked as resolved.")
}

func TestB15_AttendingStaffCommentsOnlyOnTheirTickets(t *testing.T) {
	u := newUpstream(t)
	own := basic()
	own.Title, own.AttendingStaffID = strp("own"), strp(upStaff)
	ownT := u.create(t, upAdmin, own)
	other := basic()
	other.Title = strp("other")
	otherT := u.create(t, upAdmin, other)
	u.mustSucceed(t, u.comment(t, upStaffer, ownT.ID, "on own"))
	u.mustFail(t, u.comment(t, upStaffer, otherT.ID, "on other"), "unauthorized")
	if cs, _ := u.st.CommentsOfTicket(context.Background(), otherT.ID); len(cs) != 0 {
		t.Fatalf("comment stored on another ticket: %v", cs)
	}
}

func TestB16_CommentRightAloneAllowsCommenting(t *testing.T) {
	u := newUpstream(t)
	tk := u.create(t, upAdmin, basic())
	withComment := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000005", Username: "c", Rights: map[string]bool{"127005": true}}
	u.mustSucceed(t, u.comment(t, withComment, tk.ID, "with 127005"))
	withDelete := &grievance.Principal{ID: "00000000-0000-4000-a000-000000000004", Username: "d", Rights: map[string]bool{"127003": true}}
	u.mustFail(t, u.comment(t, withDelete, tk.ID, "with 127003"), "unauthorized")
}

func TestB19_NoChangeUpdateIsRejected(t *testing.T) {
	u := newUpstream(t)
	tk := u.create(t, upAdmin, basic())
	in := basic()
	in.ID = tk.ID
	u.mustFail(t, u.update(t, upAdmin, in), "there are no changes in fields")
	if got := u.ticket(t, tk.ID); got.Version != 1 {
		t.Fatalf("version=%d, want 1", got.Version)
	}
}

func TestB20_StaffAndReporterMustExist(t *testing.T) {
	u := newUpstream(t)
	for _, tc := range []struct {
		name string
		in   grievance.TicketInput
	}{
		{"UnknownStaff", grievance.TicketInput{Category: strp("Default"), AttendingStaffID: strp("00000000-0000-4000-a000-0000000000ff")}},
		{"UnknownReporter", grievance.TicketInput{Category: strp("Default"), ReporterType: strp("individual"), ReporterID: strp("00000000-0000-4000-b000-0000000000ff")}},
		{"ReporterOfAnotherType", grievance.TicketInput{Category: strp("Default"), ReporterType: strp("beneficiary"), ReporterID: strp(upIndividual)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u.mustFail(t, u.do(t, upAdmin, "CreateTicketMutation", func(ctx context.Context) (*grievance.Write, error) {
				return u.svc.CreateTicket(ctx, tc.in)
			}), "Failed to process CreateTicketMutation mutation")
		})
	}
}

func TestB21_UnknownReporterType(t *testing.T) {
	u := newUpstream(t)
	in := grievance.TicketInput{Category: strp("Default"), ReporterType: strp("foo"), ReporterID: strp("x")}
	u.mustFail(t, u.do(t, upAdmin, "CreateTicketMutation", func(ctx context.Context) (*grievance.Write, error) {
		return u.svc.CreateTicket(ctx, in)
	}), "ContentType matching query does not exist.")
}
