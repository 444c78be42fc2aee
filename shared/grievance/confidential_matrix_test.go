package grievance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// The confidentiality matrix of issue #6: readers × categories × read
// paths. functions/graphql keeps the GraphQL side of it: which fields of
// a masked row are null on the wire.

// matrixConfig: "Sensitive" tickets hide title, description and the
// reporter from readers without 127007; "GBV" tickets exist only for
// holders of 127010 and their attending staff.
const matrixConfig = `{"grievance_types": ["Default", "Sensitive", "GBV"],
 "grievance_anonymized_fields": {"Sensitive": ["title", "description", "reporter"]},
 "restricted_categories": {"GBV": ["127010"]}}`

const matrixReporter = "00000000-0000-4000-b000-000000000001"

func reader(n int, name string, admin bool, rights ...string) *grievance.Principal {
	p := person(n, name, admin, rights...)
	p.ID = fmt.Sprintf("00000000-0000-4000-a000-%012d", n)
	return p
}

var (
	confStaff   = reader(3, "staff", false, "127000", "127004", "127005")
	confReaders = []*grievance.Principal{
		reader(5, "no right", false),
		reader(4, "plain reader", false, "127000", "127004", "127005"),
		reader(2, "confidential reader", false, "127000", "127004", "127005", "127007"),
		confStaff,
		// The rights a GbvSpecialist group would give (shared/auth maps
		// groups to rights).
		reader(6, "specialist", false, "127000", "127004", "127005", "127007", "127010"),
		reader(1, "admin", true),
	}
	// The view of each category per reader: denied (no right to read at
	// all), hidden (the ticket does not exist for them), masked, full.
	confExpected = map[string][3]string{ // Default, Sensitive, GBV
		"no right":            {"denied", "denied", "denied"},
		"plain reader":        {"full", "masked", "hidden"},
		"confidential reader": {"full", "full", "hidden"},
		"staff":               {"full", "full", "full"},
		"specialist":          {"full", "full", "full"},
		"admin":               {"full", "full", "full"},
	}
)

type confTicket struct {
	category, id, code, title, secret string
}

// confWorld is a store with one ticket per category, each with a comment
// naming the reporter as commenter; staff attends the confidential ones.
type confWorld struct {
	svc     *grievance.Service
	tickets []confTicket
}

func newConfWorld(t *testing.T) *confWorld {
	t.Helper()
	st := grievancetest.NewStore()
	st.SetConfigDocument([]byte(matrixConfig))
	st.AddPeople(grievance.Person{ID: matrixReporter, Type: grievance.PersonIndividual, FirstName: "TestFN", LastName: "TestLN"})
	for _, p := range confReaders {
		st.AddPeople(grievance.Person{ID: p.ID, Type: grievance.PersonUser, Username: p.Username, Roles: []string{"2"}})
	}
	clock := grievancetest.NewClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC), time.Millisecond)
	w := &confWorld{svc: grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st})}
	admin := confReaders[len(confReaders)-1]
	for i, cat := range []string{"Default", "Sensitive", "GBV"} {
		secret := fmt.Sprintf("zebra%d", i)
		in := grievance.TicketInput{Category: strp(cat), Title: strp("Title " + secret), Description: strp("About " + secret),
			ReporterType: strp("individual"), ReporterID: strp(matrixReporter)}
		if cat != "Default" {
			in.AttendingStaffID = strp(confStaff.ID)
		}
		log, err := w.svc.Mutate(grievance.NewContext(context.Background(), admin), grievance.MutationRequest{Name: "createTicket", Class: "createTicket"},
			func(ctx context.Context) (*grievance.Write, error) { return w.svc.CreateTicket(ctx, in) })
		if err != nil || log.Status != grievance.MutationSuccess {
			t.Fatalf("create %s: %v %v", cat, log, err)
		}
		var tk *grievance.Ticket
		_ = st.ScanTickets(context.Background(), grievance.TicketRange{Descending: true}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
		log, err = w.svc.Mutate(grievance.NewContext(context.Background(), admin), grievance.MutationRequest{Name: "createComment", Class: "createComment"},
			func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateComment(ctx, grievance.CommentInput{TicketID: tk.ID, Comment: strp("note"), CommenterType: strp("individual"), CommenterID: strp(matrixReporter)})
			})
		if err != nil || log.Status != grievance.MutationSuccess {
			t.Fatalf("comment on %s: %v %v", cat, log, err)
		}
		w.tickets = append(w.tickets, confTicket{cat, tk.ID, tk.Code, "Title " + secret, secret})
	}
	return w
}

// classify says whether rows (or err) show the ticket in full, masked, or
// not at all.
func classify(t *testing.T, tk confTicket, rows []*grievance.Ticket, err error) string {
	t.Helper()
	if c := grievance.ErrorCode(err); c == grievance.CodeForbidden || c == grievance.CodeUnauthenticated {
		return "denied"
	} else if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if len(rows) == 0 {
		return "hidden"
	}
	view := ""
	for _, r := range rows {
		if r.Code != tk.code {
			t.Fatalf("row of another ticket: %+v", r)
		}
		switch {
		case r.Title == tk.title && r.ReporterID == matrixReporter:
			view = "full"
		case r.Title == grievance.Restricted && r.Description == grievance.Restricted && r.ReporterID == grievance.Restricted &&
			r.ReporterType == "" && !strings.Contains(fmt.Sprint(*r), tk.secret):
			return "masked"
		default:
			t.Fatalf("row neither full nor masked: %+v", r)
		}
	}
	return view
}

func (w *confWorld) list(ctx context.Context, tk confTicket, q grievance.TicketQuery) ([]*grievance.Ticket, error) {
	n := 100
	q.Page = grievance.PageArgs{First: &n}
	q.WantCount = true
	page, err := w.svc.ListTickets(ctx, q)
	if err != nil {
		return nil, err
	}
	if !page.Counted || page.TotalCount != len(page.Items) {
		return nil, fmt.Errorf("totalCount %d (counted %v) for %d rows", page.TotalCount, page.Counted, len(page.Items))
	}
	return page.Items, nil
}

func exact(field, value string) grievance.Filter {
	return grievance.Filter{Field: field, Lookup: grievance.Exact, Value: value}
}

func TestConfidentiality_Matrix(t *testing.T) {
	w := newConfWorld(t)
	views := map[string]func(t *testing.T, ctx context.Context, p *grievance.Principal, tk confTicket) string{
		"list": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			rows, err := w.list(ctx, tk, grievance.TicketQuery{Filters: []grievance.Filter{exact("code", tk.code)}})
			return classify(t, tk, rows, err)
		},
		"detail": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			rows, err := w.list(ctx, tk, grievance.TicketQuery{Filters: []grievance.Filter{exact("id", tk.id)}})
			return classify(t, tk, rows, err)
		},
		"history": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			rows, err := w.list(ctx, tk, grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: []grievance.Filter{exact("id", tk.id)}})
			return classify(t, tk, rows, err)
		},
		"version": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			rows, err := w.list(ctx, tk, grievance.TicketQuery{Mode: grievance.ModeHistory, Version: 1, Filters: []grievance.Filter{exact("id", tk.id)}})
			return classify(t, tk, rows, err)
		},
		// A comment's commenter is hidden where the ticket's reporter is.
		"comments": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			page, err := w.svc.ListComments(ctx, grievance.CommentQuery{Filters: []grievance.Filter{exact("ticket__id", tk.id)}})
			if err != nil {
				return classify(t, tk, nil, err)
			}
			if len(page.Items) == 0 {
				return "hidden"
			}
			switch c := page.Items[0]; {
			case c.CommenterID == matrixReporter:
				return "full"
			case c.CommenterID == grievance.Restricted && c.CommenterType == "":
				return "masked"
			default:
				t.Fatalf("comment neither full nor masked: %+v", c)
			}
			return ""
		},
		"comment's ticket": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			page, err := w.svc.ListComments(ctx, grievance.CommentQuery{Filters: []grievance.Filter{exact("ticket__id", tk.id)}})
			if err != nil || len(page.Items) == 0 {
				return classify(t, tk, nil, err)
			}
			live, err := w.svc.LiveVersions(ctx, []string{page.Items[0].TicketID})
			if err != nil {
				t.Fatal(err)
			}
			if l := live[tk.id]; l != nil {
				return classify(t, tk, []*grievance.Ticket{l}, nil)
			}
			return "hidden"
		},
		// The reader comments on the ticket, naming the reporter as the
		// commenter, then reads their own mutation log of it.
		"mutation logs": func(t *testing.T, ctx context.Context, p *grievance.Principal, tk confTicket) string {
			cmid := fmt.Sprintf("%s-%s-%d", p.Username, tk.category, time.Now().UnixNano())
			req := grievance.MutationRequest{Name: "createComment", Class: "CreateCommentMutation", ClientMutationID: cmid,
				ClientMutationLabel: "Comment on " + tk.title,
				JSONContent:         fmt.Sprintf(`{"ticketId": %q, "comment": "mine", "commenterType": "individual", "commenterId": %q}`, tk.id, matrixReporter)}
			if _, err := w.svc.Mutate(ctx, req, func(ctx context.Context) (*grievance.Write, error) {
				return w.svc.CreateComment(ctx, grievance.CommentInput{TicketID: tk.id, Comment: strp("mine"), CommenterType: strp("individual"), CommenterID: strp(matrixReporter)})
			}); err != nil && grievance.ErrorCode(err) != grievance.CodeUnauthenticated {
				t.Fatal(err)
			}
			page, err := w.svc.MutationLogs(ctx, grievance.MutationLogQuery{ClientMutationID: cmid})
			if err != nil || len(page.Items) == 0 || page.Items[0].Status != grievance.MutationSuccess {
				return "hidden" // no successful mutation: the ticket is not there for them
			}
			switch l := page.Items[0]; {
			case strings.Contains(l.JSONContent, matrixReporter):
				return "full"
			case strings.Contains(l.JSONContent, grievance.Restricted) && l.ClientMutationLabel == grievance.Restricted:
				return "masked"
			default:
				t.Fatalf("log neither full nor masked: %+v", l)
			}
			return ""
		},
		// Every lookup on a hidden field finds nothing; on a visible one
		// it finds the ticket.
		"filters": func(t *testing.T, ctx context.Context, _ *grievance.Principal, tk confTicket) string {
			lookups := []grievance.Filter{
				exact("title", tk.title),
				{Field: "title", Lookup: grievance.IExact, Value: strings.ToUpper(tk.title)},
				{Field: "title", Lookup: grievance.IStartsWith, Value: "title z"},
				{Field: "title", Lookup: grievance.IContains, Value: tk.secret},
				{Field: "description", Lookup: grievance.IContains, Value: tk.secret},
				exact("reporter_id", matrixReporter),
			}
			found := 0
			for _, f := range lookups {
				rows, err := w.list(ctx, tk, grievance.TicketQuery{Filters: []grievance.Filter{exact("code", tk.code), f}})
				if err != nil {
					return classify(t, tk, nil, err)
				}
				found += len(rows)
			}
			switch found {
			case len(lookups):
				return "full"
			case 0:
				if rows, _ := w.list(ctx, tk, grievance.TicketQuery{Filters: []grievance.Filter{exact("code", tk.code)}}); len(rows) == 1 {
					return "masked" // listed, but no filter on its hidden fields finds it
				}
				return "hidden"
			}
			t.Fatalf("%d of %d lookups found the ticket", found, len(lookups))
			return ""
		},
	}
	for _, p := range confReaders {
		for ci, tk := range w.tickets {
			want := confExpected[p.Username][ci]
			t.Run(p.Username+"/"+tk.category, func(t *testing.T) {
				ctx := grievance.NewContext(context.Background(), p)
				for name, view := range views {
					wv := want
					if name == "mutation logs" && want == "denied" {
						wv = "hidden" // nothing to deny: the reader has no log about the ticket
					}
					if got := view(t, ctx, p, tk); got != wv {
						t.Errorf("%s: %s, want %s", name, got, wv)
					}
				}
			})
		}
	}
}
