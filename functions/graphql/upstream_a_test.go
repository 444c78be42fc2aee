package main

// Section A of upstream-tests.md: the openIMIS reference suite's GraphQL
// tests, run through the real handler, byte for byte as the client sends
// them. Test names follow the upstream names. The service suite (A.1) runs
// in shared/grievance.

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

func createDoc(category, title, resolution, priority, date, channel, flags, cmid string) string {
	return fmt.Sprintf(`mutation createTicket {
  createTicket(input: {
    category: "%s",
    title: "%s",
    resolution: "%s",
    priority: "%s",
    dateOfIncident: "%s",
    channel: "%s",
    flags: "%s",
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, category, title, resolution, priority, date, channel, flags, cmid)
}

func updateDoc(id, category, title, resolution, priority, date, channel, flags, status, cmid string) string {
	return fmt.Sprintf(`mutation updateTicket {
  updateTicket(input: {
    id: "%s",
    category: "%s",
    title: "%s",
    resolution: "%s",
    priority: "%s",
    dateOfIncident: "%s",
    channel: "%s",
    flags: "%s",
    status: %s,
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, id, category, title, resolution, priority, date, channel, flags, status, cmid)
}

func commentDoc(comment, ticketID, commenterID, commenterType, cmid string) string {
	return fmt.Sprintf(`mutation createComment {
  createComment(input: {
    comment: "%s",
    ticketId: "%s",
    commenterId: "%s",
    commenterType: "%s",
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, comment, ticketID, commenterID, commenterType, cmid)
}

func anonymousCommentDoc(comment, ticketID, cmid string) string {
	return fmt.Sprintf(`mutation createComment {
  createComment(input: {
    comment: "%s",
    ticketId: "%s",
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, comment, ticketID, cmid)
}

func resolveDoc(commentID, cmid string) string {
	return fmt.Sprintf(`mutation resolveGrievanceByComment {
  resolveGrievanceByComment(input: {
    id: "%s",
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, commentID, cmid)
}

func reopenDoc(ticketID, cmid string) string {
	return fmt.Sprintf(`mutation reopenTicket {
  reopenTicket(input: {
    id: "%s",
    clientMutationId: "%s"
  }) {
    clientMutationId
  }
}`, ticketID, cmid)
}

// countTitled counts live tickets with exactly this title.
func (e *env) countTitled(t *testing.T, title string) int {
	t.Helper()
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(title: %q) { totalCount } }`, title))
	return int(path(d, "tickets", "totalCount").(float64))
}

// A.2 test_gql_ticket_create.py — GQLTicketCreateTestCase.
func TestA2_GQLTicketCreate(t *testing.T) {
	e := newEnv(t)
	t.Run("test_create_ticket_success", func(t *testing.T) {
		e.ok(t, adminClaims, createDoc("Default", "TestMutationCreate", "2,5", "Medium", "2024-11-20", "Channel A", "Default", "99g453h5g92h04gh88"))
		e.mustSucceed(t, adminClaims, "99g453h5g92h04gh88")
		d := e.ok(t, adminClaims, `{ tickets(title: "TestMutationCreate") { edges { node { category resolution priority dateOfIncident flags } } } }`)
		ns := nodes(d, "tickets")
		if len(ns) != 1 {
			t.Fatalf("tickets=%d, want 1", len(ns))
		}
		n := ns[0]
		if n["category"] != "Default" || n["resolution"] != "2,5" || n["priority"] != "Medium" || n["dateOfIncident"] != "2024-11-20" || n["flags"] != "Default" {
			t.Fatalf("node=%v", n)
		}
	})
	for name, tc := range map[string]struct{ res, cmid string }{
		"test_create_ticket_false_invalid_resolution_format":      {"kjdslkdjslk", "65g453h4g92h04gh98"},
		"test_create_ticket_false_invalid_resolution_day_format":  {"99,3", "62g453h4g92h04gh90"},
		"test_create_ticket_false_invalid_resolution_hour_format": {"4,66", "15g453h4g92h04gh92"},
	} {
		t.Run(name, func(t *testing.T) {
			e.ok(t, adminClaims, createDoc("Default", "TestMutationCreateBad", tc.res, "Medium", "2024-11-20", "Channel A", "Default", tc.cmid))
			e.mustFail(t, adminClaims, tc.cmid, "Failed to process CreateTicketMutation mutation")
			if n := e.countTitled(t, "TestMutationCreateBad"); n != 0 {
				t.Fatalf("tickets=%d, want 0", n)
			}
		})
	}
}

// A.3 test_gql_ticket_update.py — GQLTicketUpdateTestCase.
func TestA3_GQLTicketUpdate(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, adminClaims, basicTicket)
	for name, tc := range map[string]struct{ res, cmid string }{
		"test_update_ticket_false_invalid_resolution_format":      {"kjdslkdjslk", "65g453h4g92h04yf43"},
		"test_update_ticket_false_invalid_resolution_day_format":  {"99,3", "65g453h4g92h0zx54"},
		"test_update_ticket_false_invalid_resolution_hour_format": {"4,66", "65g453h4g92h04wl32"},
	} {
		t.Run(name, func(t *testing.T) {
			e.ok(t, adminClaims, updateDoc(id, "Default", "TestMutationUpdate", tc.res, "Medium", "2024-11-20", "Channel A", "Default", "OPEN", tc.cmid))
			e.mustFail(t, adminClaims, tc.cmid, "Failed to process UpdateTicketMutation mutation")
			if tk := e.ticket(t, id); tk.Title != "Test" {
				t.Fatalf("title=%q, want unchanged", tk.Title)
			}
		})
	}
	t.Run("test_update_ticket_success", func(t *testing.T) {
		e.ok(t, adminClaims, updateDoc(id, "Default", "TestMutationUpdate", "2,5", "Medium", "2024-11-20", "Channel A", "Default", "OPEN", "99g453h5g92h04xc66"))
		e.mustSucceed(t, adminClaims, "99g453h5g92h04xc66")
		tk := e.ticket(t, id)
		if tk.Title != "TestMutationUpdate" || tk.Category != "Default" || tk.Resolution != "2,5" || tk.Priority != "Medium" ||
			tk.DateOfIncident != "2024-11-20" || tk.Flags != "Default" || tk.Status != "OPEN" {
			t.Fatalf("ticket=%+v", tk)
		}
	})
}

// A.4 test_gql_ticket_comment_create.py — GQLTicketCommentCreateTestCase.
func TestA4_GQLTicketCommentCreate(t *testing.T) {
	e := newEnv(t)
	t.Run("test_create_comment_individual_success", func(t *testing.T) {
		id := e.createTicket(t, adminClaims, basicTicket)
		e.ok(t, adminClaims, commentDoc("This is an awesome test comment!", id, individualID, "individual", "99g453h5g92h22xc33"))
		e.mustSucceed(t, adminClaims, "99g453h5g92h22xc33")
		cs, err := e.st.CommentsOfTicket(t.Context(), id)
		if err != nil || len(cs) != 1 {
			t.Fatalf("comments=%v err=%v", cs, err)
		}
		c := cs[0]
		if c.TicketID != id || c.Comment != "This is an awesome test comment!" || c.CommenterID != individualID || c.IsResolution || c.CommenterType != "individual" {
			t.Fatalf("comment=%+v", c)
		}
		tk := e.ticket(t, id)
		if ids := tk.CommentIDs(); len(ids) != 1 || ids[0] != c.ID || tk.Version != 2 {
			t.Fatalf("ticket comment_ids=%v version=%d, want [%s] and 2", ids, tk.Version, c.ID)
		}
	})
	t.Run("test_create_comment_anonymous_user_success", func(t *testing.T) {
		id := e.createTicket(t, adminClaims, basicTicket)
		e.ok(t, adminClaims, anonymousCommentDoc("This is an awesome test comment!", id, "99g453h5g92h04ww98"))
		e.mustSucceed(t, adminClaims, "99g453h5g92h04ww98")
		cs, _ := e.st.CommentsOfTicket(t.Context(), id)
		if len(cs) != 1 || cs[0].CommenterID != "" || cs[0].CommenterType != "" || cs[0].IsResolution {
			t.Fatalf("comments=%+v", cs)
		}
	})
}

// addComment creates a comment and returns its id.
func (e *env) addComment(t *testing.T, claims map[string]string, ticketID, text string) string {
	t.Helper()
	cmid := uuid.NewString()
	e.ok(t, claims, anonymousCommentDoc(text, ticketID, cmid))
	e.mustSucceed(t, claims, cmid)
	cs, err := e.st.CommentsOfTicket(t.Context(), ticketID)
	if err != nil || len(cs) == 0 {
		t.Fatalf("comments=%v err=%v", cs, err)
	}
	return cs[len(cs)-1].ID
}

// A.5 test_gql_ticket_resolve_by_comment.py.
func TestA5_GQLTicketResolveByComment(t *testing.T) {
	e := newEnv(t)
	t.Run("test_resolve_ticket_by_comment_success", func(t *testing.T) {
		id := e.createTicket(t, adminClaims, basicTicket)
		cid := e.addComment(t, adminClaims, id, "awesome comment")
		e.ok(t, adminClaims, resolveDoc(cid, "99g154h5b92h11sd33"))
		e.mustSucceed(t, adminClaims, "99g154h5b92h11sd33")
		c, _ := e.st.Comment(t.Context(), cid)
		if !c.IsResolution {
			t.Fatal("comment is not the resolution")
		}
		if tk := e.ticket(t, id); tk.Status != "CLOSED" {
			t.Fatalf("status=%s, want CLOSED", tk.Status)
		}
	})
}

// A.6 test_gql_ticket_reopen.py.
func TestA6_GQLTicketReopen(t *testing.T) {
	e := newEnv(t)
	t.Run("test_reopen_ticket_success", func(t *testing.T) {
		id := e.createTicket(t, adminClaims, basicTicket)
		cid := e.addComment(t, adminClaims, id, "awesome comment")
		cmid := uuid.NewString()
		e.ok(t, adminClaims, resolveDoc(cid, cmid))
		e.mustSucceed(t, adminClaims, cmid)
		if tk := e.ticket(t, id); tk.Status != "CLOSED" {
			t.Fatalf("precondition: status=%s", tk.Status)
		}
		e.ok(t, adminClaims, reopenDoc(id, "12j123h5g42h04xc66"))
		e.mustSucceed(t, adminClaims, "12j123h5g42h04xc66")
		c, _ := e.st.Comment(t.Context(), cid)
		if c.IsResolution {
			t.Fatal("comment is still the resolution")
		}
		if tk := e.ticket(t, id); tk.Status != "OPEN" {
			t.Fatalf("status=%s, want OPEN", tk.Status)
		}
	})
}
