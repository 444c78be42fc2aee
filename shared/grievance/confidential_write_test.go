package grievance_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// The write-path confidentiality rules (docs/confidentiality.md): category
// and attending staff decide who sees a ticket, so no principal may change
// them to see, or let anyone see, more than its rights show it.

// writeConfig: "Anon" hides fields (attending staff among them) from
// readers without 127007; "Secret" exists only for holders of 127010;
// "SecretAnon" does both.
const writeConfig = `{"grievance_types": ["Open", "Anon", "Secret", "SecretAnon"],
 "grievance_anonymized_fields": {"Anon": ["title", "description", "reporter", "attending_staff"],
   "SecretAnon": ["title", "description", "reporter", "attending_staff"]},
 "restricted_categories": {"Secret": ["127010"], "SecretAnon": ["127010"]},
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`

var writeCategories = []string{"Open", "Anon", "Secret", "SecretAnon"}

const reporterID = "00000000-0000-4000-b000-0000000000aa"

var officerRights = []string{"127000", "127001", "127002", "127003", "127004", "127005", "127006"}

func person(n int, name string, admin bool, rights ...string) *grievance.Principal {
	p := &grievance.Principal{ID: fmt.Sprintf("00000000-0000-4000-b000-%012d", n), Username: name, Admin: admin, Rights: map[string]bool{}}
	for _, r := range rights {
		p.Rights[r] = true
	}
	return p
}

// Every principal is both a possible attacker and a reader. "staff" is
// the attending staff of every seeded ticket; "ally" a colleague an
// attacker could name instead of themself.
var (
	viewer       = person(1, "viewer", false, "127000", "127004")
	officer      = person(2, "officer", false, officerRights...)
	gbvOfficer   = person(3, "gbvOfficer", false, append(slices.Clone(officerRights), "127010")...)
	confOfficer  = person(4, "confOfficer", false, append(slices.Clone(officerRights), "127007")...)
	specialist   = person(5, "specialist", false, append(slices.Clone(officerRights), "127007", "127010")...)
	staff        = person(6, "staff", false, officerRights...)
	ally         = person(7, "ally", false, officerRights...)
	admin        = person(8, "admin", true)
	allPrincipal = []*grievance.Principal{viewer, officer, gbvOfficer, confOfficer, specialist, staff, ally, admin}
)

// world is a store holding one ticket (and a comment on it) seeded by an
// admin, with staff attending it.
type world struct {
	st  *grievancetest.Store
	svc *grievance.Service
	id  string
	// secrets are the values a reader may or may not be shown.
	secrets []string
}

func newWorld(t *testing.T, category string) *world {
	t.Helper()
	st := grievancetest.NewStore()
	st.SetConfigDocument([]byte(writeConfig))
	st.AddPeople(grievance.Person{ID: reporterID, Type: grievance.PersonIndividual, FirstName: "Rita"})
	for _, p := range allPrincipal {
		st.AddPeople(grievance.Person{ID: p.ID, Type: grievance.PersonUser, Username: p.Username})
	}
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	w := &world{st: st, svc: grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})}
	err := w.do(admin, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(category), Title: strp("secret title"),
			Description: strp("secret description"), ReporterType: strp("individual"), ReporterID: strp(reporterID),
			AttendingStaffID: strp(staff.ID)})
	})
	if err != nil {
		t.Fatalf("seed ticket: %v", err)
	}
	tk := w.ticket(t)
	w.id = tk.ID
	err = w.do(admin, "createComment", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.CreateComment(ctx, grievance.CommentInput{TicketID: w.id, Comment: strp("secret comment"),
			CommenterType: strp("individual"), CommenterID: strp(reporterID)})
	})
	if err != nil {
		t.Fatalf("seed comment: %v", err)
	}
	w.secrets = []string{tk.Code, "secret title", "secret description", reporterID, staff.ID, "secret comment"}
	return w
}

// do runs a mutation the way the GraphQL edge does and returns its
// failure, if any, as an error carrying the failure's code.
func (w *world) do(p *grievance.Principal, name string, plan grievance.Plan) error {
	ctx := grievance.NewContext(context.Background(), p)
	log, err := w.svc.Mutate(ctx, grievance.MutationRequest{Name: name, Class: name}, plan)
	if err != nil {
		return err
	}
	if log.Status == grievance.MutationSuccess {
		return nil
	}
	var es []grievance.MutationError
	if json.Unmarshal([]byte(log.Error), &es) != nil || len(es) == 0 {
		return fmt.Errorf("unreadable failure %q", log.Error)
	}
	return grievance.Errorf(es[0].Code, "%s", es[0].Detail)
}

func (w *world) update(p *grievance.Principal, in grievance.TicketInput) error {
	in.ID = w.id
	return w.do(p, "updateTicket", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.UpdateTicket(ctx, in)
	})
}

// ticket returns the stored ticket as it is, whoever may see it.
func (w *world) ticket(t *testing.T) *grievance.Ticket {
	t.Helper()
	var last *grievance.Ticket
	err := w.st.ScanTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll}, func(tk *grievance.Ticket) (bool, error) {
		last = tk
		return true, nil
	})
	if err != nil || last == nil {
		t.Fatalf("no ticket stored: %v", err)
	}
	return last
}

// revealed returns the secrets p reads of the ticket through every read
// path: the live ticket, its history, and its comments.
func (w *world) revealed(t *testing.T, p *grievance.Principal) map[string]bool {
	t.Helper()
	ctx := grievance.NewContext(context.Background(), p)
	var shown []string
	byID := []grievance.Filter{{Field: "id", Lookup: grievance.Exact, Value: w.id}}
	for _, mode := range []grievance.ListMode{grievance.ModeLive, grievance.ModeHistory} {
		page, err := w.svc.ListTickets(ctx, grievance.TicketQuery{Filters: byID, Mode: mode, Page: grievance.PageArgs{First: intp(100)}})
		if grievance.ErrorCode(err) == grievance.CodeForbidden {
			continue
		}
		if err != nil {
			t.Fatalf("%s lists tickets: %v", p.Username, err)
		}
		for _, tk := range page.Items {
			shown = append(shown, tk.Code, tk.Title, tk.Description, tk.ReporterID, tk.AttendingStaffID)
		}
	}
	comments, err := w.svc.ListComments(ctx, grievance.CommentQuery{Filters: []grievance.Filter{{Field: "ticket__id", Lookup: grievance.Exact, Value: w.id}}})
	if err != nil && grievance.ErrorCode(err) != grievance.CodeForbidden {
		t.Fatalf("%s lists comments: %v", p.Username, err)
	}
	if err == nil {
		for _, c := range comments.Items {
			shown = append(shown, c.Comment, c.CommenterID)
		}
	}
	got := map[string]bool{}
	for _, s := range w.secrets {
		if slices.Contains(shown, s) {
			got[s] = true
		}
	}
	return got
}

// move is a mutation an actor may try on the ticket.
type move struct {
	name string
	in   func(actor *grievance.Principal) grievance.TicketInput
}

// moves are every mutation that changes who sees a ticket: its category,
// its attending staff, or both at once.
func moves() []move {
	var ms []move
	for _, c := range writeCategories {
		ms = append(ms, move{"category→" + c, func(*grievance.Principal) grievance.TicketInput {
			return grievance.TicketInput{Category: strp(c)}
		}})
		ms = append(ms, move{"category→" + c + "+self", func(a *grievance.Principal) grievance.TicketInput {
			return grievance.TicketInput{Category: strp(c), AttendingStaffID: strp(a.ID)}
		}})
	}
	return append(ms,
		move{"staff→self", func(a *grievance.Principal) grievance.TicketInput {
			return grievance.TicketInput{AttendingStaffID: strp(a.ID)}
		}},
		move{"staff→ally", func(*grievance.Principal) grievance.TicketInput {
			return grievance.TicketInput{AttendingStaffID: strp(ally.ID)}
		}},
		move{"staff→none", func(*grievance.Principal) grievance.TicketInput {
			return grievance.TicketInput{AttendingStaffID: strp("")}
		}},
	)
}

// Ensure no sequence of category and attending-staff changes available to
// a principal lets anyone read what that principal could not read before:
// neither itself (a self-granted exemption, a mask lifted by a move) nor
// another reader (the principal cannot hand out sight it lacks). Every
// state reachable by the actor is explored (breadth first over
// (category, attending staff), each reached by replaying its path on a
// fresh store), and every reader's view is compared with the start.
func TestWritePath_NoSequenceOfMutationsRevealsMore(t *testing.T) {
	ms := moves()
	for _, actor := range allPrincipal {
		for _, cat := range writeCategories {
			t.Run(actor.Username+"/"+cat, func(t *testing.T) {
				start := newWorld(t, cat)
				before := map[string]map[string]bool{}
				for _, r := range allPrincipal {
					before[r.Username] = start.revealed(t, r)
				}
				type state struct{ category, staff string }
				seen := map[state]bool{{cat, staff.ID}: true}
				queue := [][]move{nil}
				for len(queue) > 0 {
					path := queue[0]
					queue = queue[1:]
					for _, m := range ms {
						next := append(slices.Clone(path), m)
						w := newWorld(t, cat)
						for i, step := range next {
							if err := w.update(actor, step.in(actor)); err != nil && i < len(next)-1 {
								t.Fatalf("replaying %v: step %s failed: %v", names(next), step.name, err)
							}
						}
						tk := w.ticket(t)
						s := state{tk.Category, tk.AttendingStaffID}
						if seen[s] {
							continue
						}
						seen[s] = true
						queue = append(queue, next)
						for _, r := range allPrincipal {
							for secret := range w.revealed(t, r) {
								if !before[r.Username][secret] && !before[actor.Username][secret] {
									t.Errorf("after %s by %s, %s reads %q, which neither could read before",
										strings.Join(names(next), ", "), actor.Username, r.Username, secret)
								}
							}
						}
					}
				}
			})
		}
	}
}

func names(ms []move) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.name
	}
	return out
}

func intp(n int) *int { return &n }

// Ensure each write-path rule refuses what it must with a clear,
// non-revealing error, and still allows what clearance permits.
func TestWritePath_Rules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		category string // of the seeded ticket
		actor    *grievance.Principal
		in       func() grievance.TicketInput
		wantCode grievance.Code // "" means allowed
		wantMsg  string
	}{
		{"officer without 127007 moves a masked ticket to an open category", "Anon", officer,
			func() grievance.TicketInput { return grievance.TicketInput{Category: strp("Open")} },
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"officer without 127007 names themself attending staff of a masked ticket", "Anon", officer,
			func() grievance.TicketInput { return grievance.TicketInput{AttendingStaffID: strp(officer.ID)} },
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"resending the hidden attending staff's true value is refused like any guess", "Anon", officer,
			func() grievance.TicketInput {
				return grievance.TicketInput{AttendingStaffID: strp(staff.ID), Priority: strp("High")}
			},
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"attending staff without 127007 cannot unmask their ticket for everyone", "Anon", staff,
			func() grievance.TicketInput { return grievance.TicketInput{Category: strp("Open")} },
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"attending staff without the category's right cannot hand a restricted ticket on", "Secret", staff,
			func() grievance.TicketInput { return grievance.TicketInput{AttendingStaffID: strp(ally.ID)} },
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"holder of the restriction but not of 127007 cannot reassign a masked restricted ticket", "SecretAnon", gbvOfficer,
			func() grievance.TicketInput { return grievance.TicketInput{AttendingStaffID: strp(ally.ID)} },
			grievance.CodeForbidden, "needs the right to see it in full"},
		{"confidential officer cannot move a ticket into a restricted category, even naming themself", "Anon", confOfficer,
			func() grievance.TicketInput {
				return grievance.TicketInput{Category: strp("Secret"), AttendingStaffID: strp(confOfficer.ID)}
			},
			grievance.CodeForbidden, `You may not move tickets to category "Secret".`},
		{"officer cannot see a restricted ticket at all", "Secret", officer,
			func() grievance.TicketInput { return grievance.TicketInput{AttendingStaffID: strp(officer.ID)} },
			grievance.CodeNotFound, "does not exist"},
		{"confidential officer may unmask a ticket by moving it", "Anon", confOfficer,
			func() grievance.TicketInput { return grievance.TicketInput{Category: strp("Open")} }, "", ""},
		{"holder of the restriction may move a restricted ticket out and reassign it", "Secret", gbvOfficer,
			func() grievance.TicketInput {
				return grievance.TicketInput{Category: strp("Open"), AttendingStaffID: strp(ally.ID)}
			}, "", ""},
		{"officer may make an open ticket confidential", "Open", officer,
			func() grievance.TicketInput { return grievance.TicketInput{Category: strp("Anon")} }, "", ""},
		{"attending staff without 127007 still works on other fields", "Anon", staff,
			func() grievance.TicketInput {
				return grievance.TicketInput{Title: strp("new title"), Category: strp("Anon"), AttendingStaffID: strp(staff.ID)}
			}, "", ""},
		{"officer without 127007 still updates the status of a masked ticket", "Anon", officer,
			func() grievance.TicketInput {
				return grievance.TicketInput{Status: strp("OPEN"), Category: strp("Anon")}
			}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.category)
			err := w.update(tc.actor, tc.in())
			if grievance.ErrorCode(err) != tc.wantCode || (tc.wantMsg != "" && !strings.Contains(grievance.ErrorMessage(err), tc.wantMsg)) {
				t.Fatalf("got %v, want code %q with %q", err, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

// Ensure creating a ticket in a restricted category needs its right, even
// when the creator names themself attending staff, while creating in an
// anonymized category (the everyday intake of a sensitive complaint) does
// not need 127007.
func TestWritePath_CreateNeedsTheCategorysRight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		actor    *grievance.Principal
		category string
		wantCode grievance.Code
	}{
		{"officer names themself attending staff of a restricted ticket", officer, "Secret", grievance.CodeForbidden},
		{"officer names themself attending staff of a masked restricted ticket", officer, "SecretAnon", grievance.CodeForbidden},
		{"confidential officer without the restriction's right", confOfficer, "Secret", grievance.CodeForbidden},
		{"holder of the restriction's right", gbvOfficer, "Secret", ""},
		{"officer files a sensitive complaint", officer, "Anon", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "Open")
			err := w.do(tc.actor, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp(tc.category), Title: strp("t"),
					AttendingStaffID: strp(tc.actor.ID)})
			})
			if grievance.ErrorCode(err) != tc.wantCode {
				t.Fatalf("got %v, want code %q", err, tc.wantCode)
			}
			if tc.wantCode != "" && !strings.Contains(grievance.ErrorMessage(err), fmt.Sprintf("category %q", tc.category)) {
				t.Fatalf("message %q does not say which category", grievance.ErrorMessage(err))
			}
		})
	}
}

// Ensure a retired grievance type keeps its rules for the tickets that
// carry it: the configuration accepts rules for retired types, refuses to
// drop a confidential type outright, takes no new tickets in a retired
// type, and its old tickets stay masked.
func TestWritePath_RetiredTypeKeepsConfidentiality(t *testing.T) {
	for _, tc := range []struct {
		name, doc, wantErr string
	}{
		{"rules kept for a retired type", `{"grievance_types": ["Open"], "retired_grievance_types": ["Anon"],
			"grievance_anonymized_fields": {"Anon": ["title"]}, "restricted_categories": {"Anon": ["127010"]}}`, ""},
		{"a type both offered and retired", `{"grievance_types": ["Open", "Anon"], "retired_grievance_types": ["Anon"]}`,
			`"Anon" is both in grievance_types and in retired_grievance_types`},
		{"rules for a type neither offered nor retired", `{"grievance_types": ["Open"], "restricted_categories": {"Gone": ["127010"]}}`,
			`key "Gone", which is not one of grievance_types`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := grievance.ParseConfig([]byte(tc.doc))
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && !strings.Contains(grievance.ErrorMessage(err), tc.wantErr) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}

	w := newWorld(t, "Anon")
	setConfig := func(doc string) error {
		return w.do(admin, "updateGrievanceConfig", func(ctx context.Context) (*grievance.Write, error) {
			return w.svc.UpdateConfig(ctx, []byte(doc))
		})
	}
	dropped := `{"grievance_types": ["Open", "Secret", "SecretAnon"],
		"grievance_anonymized_fields": {"SecretAnon": ["title"]},
		"restricted_categories": {"Secret": ["127010"], "SecretAnon": ["127010"]},
		"default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`
	if err := setConfig(dropped); grievance.ErrorCode(err) != grievance.CodeInvalid || !strings.Contains(grievance.ErrorMessage(err), `"Anon" has confidentiality rules`) {
		t.Fatalf("dropping a confidential type: got %v, want INVALID naming it", err)
	}
	retired := strings.Replace(writeConfig, `"grievance_types": ["Open", "Anon", "Secret", "SecretAnon"]`,
		`"grievance_types": ["Open", "Secret", "SecretAnon"], "retired_grievance_types": ["Anon"]`, 1)
	if err := setConfig(retired); err != nil {
		t.Fatalf("retiring a confidential type: %v", err)
	}
	if got := w.revealed(t, officer); got["secret title"] || got[reporterID] {
		t.Errorf("after retiring its type, officer reads %v of a masked ticket", got)
	}
	if err := w.update(confOfficer, grievance.TicketInput{Title: strp("renamed"), Category: strp("Anon")}); err != nil {
		t.Errorf("updating a ticket of a retired type, its category resent: %v", err)
	}
	if err := w.update(confOfficer, grievance.TicketInput{Category: strp("Open")}); err != nil {
		t.Errorf("moving a ticket out of a retired type: %v", err)
	}
	if err := w.update(confOfficer, grievance.TicketInput{Category: strp("Anon")}); grievance.ErrorCode(err) != grievance.CodeInvalid {
		t.Errorf("moving a ticket into a retired type: got %v, want INVALID", err)
	}
	err := w.do(confOfficer, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.CreateTicket(ctx, grievance.TicketInput{Category: strp("Anon"), Title: strp("t")})
	})
	if grievance.ErrorCode(err) != grievance.CodeInvalid {
		t.Errorf("creating a ticket of a retired type: got %v, want INVALID", err)
	}
}

// Ensure a principal cannot write a field hidden from it: a new value is
// refused whether or not it equals the hidden one (so the answer cannot
// confirm a guess), and resending what it was shown ("[Restricted]",
// empty values) leaves the stored value alone, so a client that sends back
// the whole ticket it read does not overwrite the complaint.
func TestWritePath_HiddenFieldsAreNotWrittenBlind(t *testing.T) {
	answers := map[string]string{}
	for _, guess := range []string{"secret title", "wrong guess"} {
		w := newWorld(t, "Anon")
		err := w.update(officer, grievance.TicketInput{Title: strp(guess), Category: strp("Anon")})
		if grievance.ErrorCode(err) != grievance.CodeForbidden {
			t.Fatalf("writing a hidden title %q: got %v, want FORBIDDEN", guess, err)
		}
		answers[guess] = grievance.ErrorMessage(err)
		if got := w.ticket(t).Title; got != "secret title" {
			t.Fatalf("a refused write changed the title to %q", got)
		}
	}
	if answers["secret title"] != answers["wrong guess"] {
		t.Fatalf("a right and a wrong guess get different answers: %q", answers)
	}

	w := newWorld(t, "Anon")
	err := w.update(officer, grievance.TicketInput{Category: strp("Anon"), Status: strp("OPEN"),
		Title: strp(grievance.Restricted), Description: strp(grievance.Restricted),
		ReporterID: strp(grievance.Restricted), ReporterType: strp("")})
	if err != nil {
		t.Fatalf("resending the masked ticket with a new status: %v", err)
	}
	tk := w.ticket(t)
	if tk.Status != grievance.StatusOpen || tk.Title != "secret title" || tk.Description != "secret description" || tk.ReporterID != reporterID {
		t.Fatalf("after resending the masked ticket: %+v, want the new status and the hidden fields untouched", tk)
	}
}

// Ensure the commenter, hidden where the ticket's reporter is, is not
// written blind either: a right and a wrong guess get the same refusal, and
// the shown placeholder keeps the stored commenter.
func TestWritePath_HiddenCommenterIsNotWrittenBlind(t *testing.T) {
	updateComment := func(w *world, in grievance.CommentInput) error {
		cs, err := w.st.CommentsOfTicket(context.Background(), w.id)
		if err != nil || len(cs) != 1 {
			t.Fatalf("comments of the ticket: %v %v", cs, err)
		}
		in.ID = cs[0].ID
		return w.do(officer, "updateComment", func(ctx context.Context) (*grievance.Write, error) {
			return w.svc.UpdateComment(ctx, in)
		})
	}
	answers := map[string]string{}
	for _, guess := range []string{reporterID, "00000000-0000-4000-b000-0000000000bb"} {
		w := newWorld(t, "Anon")
		err := updateComment(w, grievance.CommentInput{Comment: strp("secret comment"), CommenterType: strp("individual"), CommenterID: strp(guess)})
		if grievance.ErrorCode(err) != grievance.CodeForbidden {
			t.Fatalf("writing a hidden commenter %q: got %v, want FORBIDDEN", guess, err)
		}
		answers[guess] = grievance.ErrorMessage(err)
	}
	if len(answers) != 2 || answers[reporterID] == "" || answers[reporterID] != answers["00000000-0000-4000-b000-0000000000bb"] {
		t.Fatalf("a right and a wrong guess get different answers: %q", answers)
	}
	w := newWorld(t, "Anon")
	if err := updateComment(w, grievance.CommentInput{Comment: strp("edited"), CommenterType: strp(""), CommenterID: strp(grievance.Restricted)}); err != nil {
		t.Fatalf("editing the text, commenter resent as shown: %v", err)
	}
	cs, _ := w.st.CommentsOfTicket(context.Background(), w.id)
	if cs[0].Comment != "edited" || cs[0].CommenterID != reporterID {
		t.Fatalf("after the edit: %+v, want new text and the commenter untouched", cs[0])
	}
}
