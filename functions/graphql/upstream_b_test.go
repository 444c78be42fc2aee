package main

// Section B of upstream-tests.md: behaviour of the reference code that no
// upstream test covers. Where the reference is defective the test checks
// the fixed behaviour ("FIX" in the scenario). The business rules among
// them (B11-B13, B15, B16, B19-B21) run in shared/grievance; these are the
// ones about the GraphQL dialect.

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
)

func TestB01_CodesAreSequentialAndNeverReused(t *testing.T) {
	e := newEnv(t)
	a := e.createTicket(t, adminClaims, basicTicket)
	b := e.createTicket(t, adminClaims, basicTicket)
	if ca, cb := e.ticket(t, a).Code, e.ticket(t, b).Code; ca != "GRS00000001" || cb != "GRS00000002" {
		t.Fatalf("codes=%s,%s", ca, cb)
	}
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteTicket(input: {ids: [%q], clientMutationId: %q}) { internalId } }`, b, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	c := e.createTicket(t, adminClaims, basicTicket)
	if cc := e.ticket(t, c).Code; cc != "GRS00000003" {
		t.Fatalf("code after deleting GRS00000002=%s, want GRS00000003", cc)
	}
}

func TestB02_CreateWithoutRightIsLoggedAsUnauthorized(t *testing.T) {
	e := newEnv(t)
	cmid := uuid.NewString()
	claims := rightsClaims(viewerID, "127000")
	d := e.ok(t, claims, fmt.Sprintf(`mutation { createTicket(input: {category: "Default", title: "x", clientMutationId: %q}) { clientMutationId internalId } }`, cmid))
	if path(d, "createTicket", "clientMutationId") != cmid || path(d, "createTicket", "internalId") == nil {
		t.Fatalf("payload=%v", d)
	}
	st, msg := e.mutationLog(t, claims, cmid)
	var list []map[string]any
	json.Unmarshal([]byte(msg), &list)
	if st != 1 || len(list) != 1 || list[0]["message"] != "Failed to process CreateTicketMutation mutation" || list[0]["detail"] != "unauthorized" {
		t.Fatalf("status=%d error=%s", st, msg)
	}
	if n := e.countTitled(t, "x"); n != 0 {
		t.Fatalf("tickets=%d, want 0", n)
	}
}

func TestB03_AnonymousTicketsQueryIsUnauthorized(t *testing.T) {
	e := newEnv(t)
	r := e.gql(t, nil, `{ tickets { totalCount } }`, nil)
	if len(r.Errors) != 1 || !strings.EqualFold(r.Errors[0].Message, "unauthorized") || path(r.Data, "tickets") != nil {
		t.Fatalf("body=%s", r.Raw)
	}
	if code := r.Errors[0].Extensions["code"]; code != "UNAUTHENTICATED" {
		t.Fatalf("code=%v, want UNAUTHENTICATED", code)
	}
}

func TestB04_GrievanceConfigDefaults(t *testing.T) {
	e := newEnv(t)
	d := e.ok(t, rightsClaims(viewerID, "127000"), `{ grievanceConfig { grievanceTypes grievanceFlags grievanceChannels grievanceDefaultResolutionsByCategory { category resolutionTime } grievanceCategoryStaffRoles { category roleIds } } }`)
	got, _ := json.Marshal(d["grievanceConfig"])
	want := `{"grievanceCategoryStaffRoles":[{"category":"Default","roleIds":["1","2"]}],"grievanceChannels":["Default","Channel A","Channel B"],"grievanceDefaultResolutionsByCategory":[{"category":"Default","resolutionTime":"5,0"},{"category":"Category A","resolutionTime":"4,0"},{"category":"Category B","resolutionTime":"6,12"}],"grievanceFlags":["Default","Flag A","Flag B"],"grievanceTypes":["Default","Category A","Category B"]}`
	if string(got) != want {
		t.Fatalf("config=%s\nwant    %s", got, want)
	}
}

func codes(d map[string]any, field string) string {
	var cs []string
	for _, n := range nodes(d, field) {
		cs = append(cs, fmt.Sprint(n["title"]))
	}
	return strings.Join(cs, ",")
}

func TestB05_TitleIcontainsAndEmptyFilters(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, adminClaims, `category: "Default", title: "Water leak"`)
	e.createTicket(t, adminClaims, `category: "Default", title: "Payment"`)
	q := `{ tickets(title_Icontains: %s, orderBy: ["code"]) { edges { node { title } } } }`
	if got := codes(e.ok(t, adminClaims, fmt.Sprintf(q, `"water"`)), "tickets"); got != "Water leak" {
		t.Fatalf("water → %s", got)
	}
	for _, empty := range []string{`""`, `null`} {
		if got := codes(e.ok(t, adminClaims, fmt.Sprintf(q, empty)), "tickets"); got != "Water leak,Payment" {
			t.Fatalf("%s → %s, want both (empty filters are ignored)", empty, got)
		}
	}
}

func (e *env) setStatus(t *testing.T, id, status string) {
	t.Helper()
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", status: %s, clientMutationId: %q}) { internalId } }`, id, status, cmid))
	e.mustSucceed(t, adminClaims, cmid)
}

// retitle gives ticket id each title in turn, a version each.
func (e *env) retitle(t *testing.T, id string, titles ...string) {
	t.Helper()
	for _, title := range titles {
		cmid := uuid.NewString()
		e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", title: %q, clientMutationId: %q}) { internalId } }`, id, title, cmid))
		e.mustSucceed(t, adminClaims, cmid)
	}
}

func TestB06_StatusFilterTakesTheEnumLiteral(t *testing.T) {
	e := newEnv(t)
	t1 := e.createTicket(t, adminClaims, `category: "Default", title: "T1"`)
	e.createTicket(t, adminClaims, `category: "Default", title: "T2"`)
	e.setStatus(t, t1, "OPEN")
	if got := codes(e.ok(t, adminClaims, `{ tickets(status_Icontains: OPEN) { edges { node { title } } } }`), "tickets"); got != "T1" {
		t.Fatalf("status_Icontains: OPEN → %s", got)
	}
	// Redress is lenient where openIMIS gives a validation error.
	if got := codes(e.ok(t, adminClaims, `{ tickets(status: "OPEN") { edges { node { title } } } }`), "tickets"); got != "T1" {
		t.Fatalf(`status: "OPEN" → %s`, got)
	}
	if r := e.gql(t, adminClaims, `{ tickets(status: DONE) { totalCount } }`, nil); r.Status == 200 && len(r.Errors) == 0 {
		t.Fatalf("an unknown status was accepted: %s", r.Raw)
	}
}

func TestB09_IndividualReporterIsDoubleEncoded(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "R", reporterType: "individual", reporterId: %q`, individualID))
	d := e.ok(t, adminClaims, `{ tickets { edges { node { reporter reporterTypeName reporterFirstName reporterLastName reporterDob } } } }`)
	n := nodes(d, "tickets")[0]
	var inner string
	if err := json.Unmarshal([]byte(n["reporter"].(string)), &inner); err != nil {
		t.Fatalf("reporter is not a JSON-encoded string: %v", n["reporter"])
	}
	var person map[string]any
	if err := json.Unmarshal([]byte(inner), &person); err != nil {
		t.Fatalf("reporter's inner text is not JSON: %s", inner)
	}
	if person["firstName"] != "TestFN" || person["id"] != individualID || n["reporterTypeName"] != "individual" ||
		n["reporterFirstName"] != "TestFN" || n["reporterLastName"] != "TestLN" || n["reporterDob"] != "2020-01-01" {
		t.Fatalf("node=%v person=%v", n, person)
	}
}

func TestB10_CommentBumpsVersionAndListsItsID(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, adminClaims, basicTicket)
	cid := e.addComment(t, adminClaims, id, "hello")
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { version jsonExt } } } }`, id))
	n := nodes(d, "tickets")[0]
	var ext map[string][]string
	if err := json.Unmarshal([]byte(n["jsonExt"].(string)), &ext); err != nil {
		t.Fatalf("jsonExt=%v", n["jsonExt"])
	}
	ids := ext["comment_ids"]
	if n["version"] != 2.0 || len(ids) != 1 || ids[0] != cid {
		t.Fatalf("version=%v comment_ids=%v, want 2 and [%s]", n["version"], ids, cid)
	}
}

func TestB14_CreateWithoutClientMutationIDSucceeds(t *testing.T) {
	e := newEnv(t)
	d := e.ok(t, adminClaims, `mutation { createTicket(input: {category: "Default", title: "no cmid"}) { clientMutationId internalId } }`)
	if path(d, "createTicket", "internalId") == nil {
		t.Fatalf("payload=%v", d)
	}
	if n := e.countTitled(t, "no cmid"); n != 1 {
		t.Fatalf("tickets=%d, want 1", n)
	}
}

func TestB17_TicketDetailsOrdersByTitle(t *testing.T) {
	e := newEnv(t)
	for _, title := range []string{"b", "c", "a"} {
		e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: %q`, title))
	}
	d := e.ok(t, rightsClaims(viewerID, "127000"), `{ ticketDetails { totalCount edges { node { title } } } }`)
	if got := codes(d, "ticketDetails"); got != "a,b,c" || path(d, "ticketDetails", "totalCount") != 3.0 {
		t.Fatalf("ticketDetails=%s total=%v", got, path(d, "ticketDetails", "totalCount"))
	}
}

func TestB18_PageSizeLimit(t *testing.T) {
	e := newEnv(t)
	r := e.gql(t, adminClaims, `{ tickets(first: 101) { totalCount } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Message != "Requesting 101 records on the `tickets` connection exceeds the `first` limit of 100 records." {
		t.Fatalf("body=%s", r.Raw)
	}
	for range 3 {
		e.createTicket(t, adminClaims, basicTicket)
	}
	d := e.ok(t, adminClaims, `{ tickets { totalCount edgeCount } }`)
	if path(d, "tickets", "totalCount") != 3.0 || path(d, "tickets", "edgeCount") != 3.0 {
		t.Fatalf("counts=%v", d)
	}
}

func TestB22_MutationLogsArePerUser(t *testing.T) {
	e := newEnv(t)
	cmid := uuid.NewString()
	e.ok(t, officerClaims, fmt.Sprintf(`mutation { createTicket(input: {category: "Default", clientMutationId: %q}) { internalId } }`, cmid))
	d := e.ok(t, viewerClaims, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status } } } }`, cmid))
	if ns := nodes(d, "mutationLogs"); len(ns) != 0 {
		t.Fatalf("another user sees %d logs", len(ns))
	}
	d = e.ok(t, adminClaims, fmt.Sprintf(`{ mutationLogs(clientMutationId: %q) { edges { node { status } } } }`, cmid))
	if ns := nodes(d, "mutationLogs"); len(ns) != 1 {
		t.Fatalf("admin sees %d logs, want 1", len(ns))
	}
}

func TestSameClientMutationIDRunsOnce(t *testing.T) {
	e := newEnv(t)
	doc := `mutation { createTicket(input: {category: "Default", title: "once", clientMutationId: "same"}) { clientMutationId internalId } }`
	first := e.ok(t, officerClaims, doc)
	second := e.ok(t, officerClaims, doc)
	if path(first, "createTicket", "internalId") != path(second, "createTicket", "internalId") {
		t.Fatalf("internal ids differ: %v vs %v", first, second)
	}
	if n := e.countTitled(t, "once"); n != 1 {
		t.Fatalf("tickets=%d, want 1", n)
	}
}

func TestConcurrentCreatesGetDistinctConsecutiveCodes(t *testing.T) {
	e := newDynamoEnv(t) // the ticket counter's conditional writes

	const n = 100
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.ok(t, officerClaims, fmt.Sprintf(`mutation { createTicket(input: {category: "Default", title: "c%d", clientMutationId: "c%d"}) { internalId } }`, i, i))
		}()
	}
	wg.Wait()
	d := e.ok(t, adminClaims, `{ tickets(first: 100, orderBy: ["code"]) { totalCount edges { node { code } } } }`)
	ns := nodes(d, "tickets")
	if len(ns) != n {
		t.Fatalf("tickets=%d, want %d", len(ns), n)
	}
	for i, node := range ns {
		if want := fmt.Sprintf("GRS%08d", i+1); node["code"] != want {
			t.Fatalf("code #%d=%v, want %s", i, node["code"], want)
		}
	}
}

func TestVersionInputGivesAConflictInsteadOfOverwriting(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, adminClaims, basicTicket)
	e.setStatus(t, id, "OPEN") // version 2
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", title: "stale", version: 1, clientMutationId: %q}) { internalId } }`, id, cmid))
	e.mustFail(t, adminClaims, cmid, "has changed")
	if tk := e.ticket(t, id); tk.Title != "Test" {
		t.Fatalf("title=%q", tk.Title)
	}
}
