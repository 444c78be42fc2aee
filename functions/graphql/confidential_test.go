package main

// The confidentiality matrix of issue #6 at the GraphQL edge: what a
// masked, hidden or denied ticket looks like on the wire, on every read
// path.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// confidentialConfig: "Sensitive" tickets hide title, description and the
// reporter from readers without 127007; "GBV" tickets exist only for
// holders of 127010 (the GbvSpecialist group) and their attending staff.
const confidentialConfig = `{"grievance_types": ["Default", "Sensitive", "GBV"],
 "grievance_anonymized_fields": {"Sensitive": ["title", "description", "reporter"]},
 "restricted_categories": {"GBV": ["127010"]},
 "role_rights": {"GbvSpecialist": ["127000", "127004", "127005", "127007", "127010"]}}`

type reader struct {
	name   string
	claims map[string]string
}

// Which reader sees what of which category is the domain's matrix
// (shared/grievance TestConfidentiality_Matrix). Through the handler two
// readers cover every view on the wire: denied, hidden, masked and full.
var readers = []reader{
	{"no right", outsiderClaims},
	{"plain reader", rightsClaims(viewerID, "127000", "127004", "127005")},
}

// Expected view of each category per reader: denied (no right to read at
// all), hidden (the ticket does not exist for them), masked, full.
var expected = map[string][3]string{ // Default, Sensitive, GBV
	"no right":     {"denied", "denied", "denied"},
	"plain reader": {"full", "masked", "hidden"},
}

// configureConfidential gives e's programme confidentialConfig.
func (e *env) configureConfidential(t *testing.T) { e.configure(t, confidentialConfig) }

// configure gives e's programme the configuration document cfg, through
// the API as an administrator.
func (e *env) configure(t *testing.T, cfg string) {
	t.Helper()
	cmid := uuid.NewString()
	doc, _ := json.Marshal(cfg)
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateGrievanceConfig(input: {config: %s, clientMutationId: %q}) { internalId } }`, doc, cmid))
	e.mustSucceed(t, adminClaims, cmid)
}

type confTicket struct {
	category, id, code, title, secret string
}

func setupConfidential(t *testing.T) (*env, []confTicket) {
	e := newEnv(t)
	e.startHistory(t)
	e.configureConfidential(t)
	var ts []confTicket
	for i, cat := range []string{"Default", "Sensitive", "GBV"} {
		secret := fmt.Sprintf("zebra%d", i)
		staff := ""
		if cat != "Default" {
			staff = fmt.Sprintf(`, attendingStaffId: %q`, staffID)
		}
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: %q, title: "Title %s", description: "About %s", reporterType: "individual", reporterId: %q%s`, cat, secret, secret, individualID, staff))
		cmid := uuid.NewString()
		e.ok(t, adminClaims, fmt.Sprintf(`mutation { createComment(input: {ticketId: %q, comment: "note", commenterType: "individual", commenterId: %q, clientMutationId: %q}) { internalId } }`, id, individualID, cmid))
		e.mustSucceed(t, adminClaims, cmid)
		ts = append(ts, confTicket{cat, id, e.ticket(t, id).Code, "Title " + secret, secret})
		e.waitHistory(t, id, 2)
	}
	return e, ts
}

const ticketFieldsDoc = `edges { node { code title description reporterId reporterFirstName reporterTypeName reporter } }`

// classify says whether the ticket rows show the ticket in full, masked, or
// not at all.
func classify(t *testing.T, r result, field string, tk confTicket) string {
	t.Helper()
	if len(r.Errors) > 0 {
		if code := r.Errors[0].Extensions["code"]; code == "FORBIDDEN" || code == "UNAUTHENTICATED" {
			return "denied"
		}
		t.Fatalf("unexpected error: %s", r.Raw)
	}
	ns := nodes(r.Data, field)
	if len(ns) == 0 {
		return "hidden"
	}
	for _, n := range ns {
		if n["code"] != tk.code {
			t.Fatalf("row of another ticket: %v", n)
		}
		raw, _ := json.Marshal(n)
		switch {
		case n["title"] == tk.title && n["reporterFirstName"] == "TestFN" && n["reporter"] != nil:
		case n["title"] == "[Restricted]" && n["description"] == "[Restricted]" && n["reporterId"] == "[Restricted]" &&
			n["reporterFirstName"] == nil && n["reporter"] == nil && n["reporterTypeName"] == nil && !strings.Contains(string(raw), tk.secret):
			return "masked"
		default:
			t.Fatalf("row neither full nor masked: %s", raw)
		}
	}
	return "full"
}

func TestConfidentiality_EdgeViews(t *testing.T) {
	e, tickets := setupConfidential(t)
	for _, rd := range readers {
		for ci, tk := range tickets {
			want := expected[rd.name][ci]
			t.Run(rd.name+"/"+tk.category, func(t *testing.T) {
				views := map[string]func() string{
					"list": func() string {
						return classify(t, e.gql(t, rd.claims, fmt.Sprintf(`{ tickets(code: %q) { totalCount %s } }`, tk.code, ticketFieldsDoc), nil), "tickets", tk)
					},
					"detail": func() string {
						return classify(t, e.gql(t, rd.claims, fmt.Sprintf(`{ tickets(id: %q) { %s } }`, tk.id, ticketFieldsDoc), nil), "tickets", tk)
					},
					"history": func() string {
						return classify(t, e.gql(t, rd.claims, fmt.Sprintf(`{ tickets(showHistory: true, id: %q) { %s } }`, tk.id, ticketFieldsDoc), nil), "tickets", tk)
					},
					"version": func() string {
						return classify(t, e.gql(t, rd.claims, fmt.Sprintf(`{ tickets(id: %q, ticketVersion: 1) { %s } }`, tk.id, ticketFieldsDoc), nil), "tickets", tk)
					},
					"comments": func() string { return e.commentView(t, rd.claims, tk) },
					"comment's ticket": func() string {
						r := e.gql(t, rd.claims, fmt.Sprintf(`{ comments(ticket_Id: %q) { edges { node { ticket { code title description reporterId reporterFirstName reporterTypeName reporter } } } } }`, tk.id), nil)
						if len(r.Errors) > 0 || len(nodes(r.Data, "comments")) == 0 {
							return classify(t, r, "comments", tk)
						}
						n := nodes(r.Data, "comments")[0]["ticket"].(map[string]any)
						return classify(t, result{Data: map[string]any{"t": map[string]any{"edges": []any{map[string]any{"node": n}}}}}, "t", tk)
					},
					"mutation logs": func() string { return e.logView(t, rd.claims, tk) },
					"filters":       func() string { return e.filterView(t, rd.claims, tk) },
				}
				for name, view := range views {
					got := view()
					w := want
					if name == "mutation logs" && want == "denied" {
						w = "hidden" // nothing to deny: the reader has no log about the ticket
					}
					if got != w {
						t.Errorf("%s: %s, want %s", name, got, w)
					}
				}
			})
		}
	}
}

// commentView: a comment's commenter is hidden when the ticket's reporter is.
func (e *env) commentView(t *testing.T, claims map[string]string, tk confTicket) string {
	r := e.gql(t, claims, fmt.Sprintf(`{ comments(ticket_Id: %q) { totalCount edges { node { comment commenterId commenterFirstName commenterTypeName commenter } } } }`, tk.id), nil)
	if len(r.Errors) > 0 {
		return classify(t, r, "comments", tk)
	}
	ns := nodes(r.Data, "comments")
	if len(ns) == 0 {
		return "hidden"
	}
	n := ns[0]
	switch {
	case n["commenterId"] == individualID && n["commenterFirstName"] == "TestFN":
		return "full"
	case n["commenterId"] == "[Restricted]" && n["commenterFirstName"] == nil && n["commenter"] == nil && n["commenterTypeName"] == nil:
		return "masked"
	}
	t.Fatalf("comment neither full nor masked: %v", n)
	return ""
}

// logView: the reader comments on the ticket, naming the reporter as the
// commenter, then reads their own mutation log of it.
func (e *env) logView(t *testing.T, claims map[string]string, tk confTicket) string {
	cmid := uuid.NewString()
	e.gql(t, claims, fmt.Sprintf(`mutation { createComment(input: {ticketId: %q, comment: "mine", commenterType: "individual", commenterId: %q, clientMutationLabel: "Comment on %s", clientMutationId: %q}) { internalId } }`, tk.id, individualID, tk.title, cmid), nil)
	r := e.gql(t, claims, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status jsonContent clientMutationLabel } } } }`, cmid), nil)
	ns := nodes(r.Data, "mutationLogs")
	if len(ns) == 0 || ns[0]["status"] != 2.0 {
		return "hidden" // no successful mutation: the ticket is not there for them
	}
	content := ns[0]["jsonContent"].(string)
	if strings.Contains(content, individualID) {
		return "full"
	}
	if strings.Contains(content, "[Restricted]") {
		return "masked"
	}
	t.Fatalf("log content neither full nor masked: %s", content)
	return ""
}

// filterView: every lookup kind on a hidden field finds nothing; on a
// visible one it finds the ticket.
func (e *env) filterView(t *testing.T, claims map[string]string, tk confTicket) string {
	lookups := []string{
		fmt.Sprintf(`title: %q`, tk.title),
		fmt.Sprintf(`title_Iexact: %q`, strings.ToUpper(tk.title)),
		`title_Istartswith: "title z"`,
		fmt.Sprintf(`title_Icontains: %q`, tk.secret),
		fmt.Sprintf(`description_Icontains: %q`, tk.secret),
		fmt.Sprintf(`reporterId: %q`, individualID),
	}
	found := 0
	for _, l := range lookups {
		r := e.gql(t, claims, fmt.Sprintf(`{ tickets(code: %q, %s) { totalCount edges { node { code } } } }`, tk.code, l), nil)
		if len(r.Errors) > 0 {
			return classify(t, r, "tickets", tk)
		}
		n := len(nodes(r.Data, "tickets"))
		if total := path(r.Data, "tickets", "totalCount"); total != float64(n) {
			t.Fatalf("%s: totalCount %v for %d rows", l, total, n)
		}
		found += n
	}
	// Ordering by a hidden field must not reveal it either: rows sort by
	// the masked value, so the secret never decides an order.
	switch found {
	case len(lookups):
		return "full"
	case 0:
		if r := e.gql(t, claims, fmt.Sprintf(`{ tickets(code: %q) { totalCount } }`, tk.code), nil); path(r.Data, "tickets", "totalCount") == 1.0 {
			return "masked" // the ticket is listed, but no filter on its hidden fields finds it
		}
		return "hidden"
	}
	t.Fatalf("%d of %d lookups found the ticket", found, len(lookups))
	return ""
}

// Ensure ordering by a hidden field sorts masked tickets as equal.
func TestConfidentiality_OrderingRevealsNothing(t *testing.T) {
	e := newEnv(t)
	e.configureConfidential(t)
	for _, title := range []string{"b", "c", "a"} {
		e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Sensitive", title: %q`, title))
	}
	plain := rightsClaims(viewerID, "127000")
	for _, order := range []string{"title", "-title"} {
		d := e.ok(t, plain, fmt.Sprintf(`{ tickets(orderBy: [%q]) { edges { node { code title } } } }`, order))
		var codes []string
		for _, n := range nodes(d, "tickets") {
			codes = append(codes, n["code"].(string))
			if n["title"] != "[Restricted]" {
				t.Fatalf("title shown: %v", n)
			}
		}
		// Equal masked titles fall back to newest first, whatever the real titles.
		if strings.Join(codes, ",") != "GRS00000003,GRS00000002,GRS00000001" {
			t.Fatalf("orderBy %s: %v", order, codes)
		}
	}
}

// An officer without the right of a restricted category lists the
// history of the tickets they attend in it, through DynamoDB and the
// stream. More than a dozen candidates were ever in that category, so
// the count comes from the columns of the category and of the officer's
// tickets: a ticket assigned to them in its second version is theirs
// from then on, one handed on to someone else is not at all, and one
// moved out of the category is theirs from the move. A ticket they
// attend elsewhere is theirs whole.
func TestHistoryList_AnOfficersRestrictedTicketsCountThroughTheStream(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	e.configureConfidential(t)
	update := func(id, fields string) {
		t.Helper()
		cmid := uuid.NewString()
		e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateTicket(input: {id: %q, %s, clientMutationId: %q}) { internalId } }`, id, fields, cmid))
		e.mustSucceed(t, adminClaims, cmid)
	}
	mine := fmt.Sprintf("attendingStaffId: %q", staffID)
	for i := range 12 { // assigned in version 2; the last four handed on in 3
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "GBV", title: "Water point %d"`, i))
		update(id, `category: "GBV", `+mine)
		if i >= 8 {
			update(id, fmt.Sprintf(`category: "GBV", attendingStaffId: %q`, officerID))
		}
	}
	for i := range 4 { // moved out in version 2, never theirs
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "GBV", title: "Water tank %d"`, i))
		update(id, `category: "Default"`)
	}
	for i := range 2 {
		e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "Water pipe %d", %s`, i, mine))
	}
	count := func(claims map[string]string, args string) any {
		return path(e.ok(t, claims, fmt.Sprintf(`{ tickets(showHistory: true, %s) { totalCount } }`, args)), "tickets", "totalCount")
	}
	// The admin's count judges the versions the columns do not hold yet;
	// the officer's counts trail the records by the consumer's lag.
	every := 8*2 + 4*3 + 4*2 + 2
	officer := rightsClaims(staffID, "127000", "127004", "127005")
	theirs := 8 + 4 + 2 // version 2 of each assigned; of the moved ones; the others'
	deadline := time.Now().Add(30 * time.Second)
	for count(adminClaims, `title_Icontains: "water"`) != float64(every) || count(officer, `title_Icontains: "water"`) != float64(theirs) {
		if time.Now().After(deadline) {
			t.Fatalf("the counts did not reach the stream's: %v versions (want %d), the officer's %v (want %d)",
				count(adminClaims, `title_Icontains: "water"`), every, count(officer, `title_Icontains: "water"`), theirs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, args := range []string{`orderBy: ["-dateCreated"]`, `title_Icontains: "water", status_Icontains: RECEIVED`} {
		if got := count(officer, args); got != float64(theirs) {
			t.Errorf("the officer's history (%s): totalCount %v, want %d", args, got, theirs)
		}
	}
}
