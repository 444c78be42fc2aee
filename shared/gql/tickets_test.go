package gql_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// clientTicketList is the openIMIS client's ticket-list document
// (fe-core formatPageQueryWithCount with the grievance module's full
// projection; note "isHistory,,jsonExt" and "title" twice).
const clientTicketList = `{ tickets(first: 10,orderBy: ["-dateCreated"]) { totalCount pageInfo { hasNextPage, hasPreviousPage, startCursor, endCursor} edges { node { id,title,code,description,status,priority,dueDate,reporter,reporterId,reporterType,reporterTypeName,category,flags,channel,resolution,title,dateOfIncident,dateCreated,attendingStaff {id, username},version,isHistory,,jsonExt,reporterFirstName,reporterLastName,reporterDob } } } }`

const waterTicket = `category: "Category A", title: "Payment not received", description: "Second instalment missing",
	priority: "High", flags: "Flag A", channel: "Channel B", resolution: "4,0", dateOfIncident: "2024-11-20",
	reporterType: "individual", reporterId: "` + janeID + `", attendingStaffId: "` + bobID + `"`

func TestTickets_ClientListDocument(t *testing.T) {
	// Ensure the client's list document answers with every projected field
	// in openIMIS's formats, newest ticket first.
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "Older"`)
	id := e.createTicket(t, waterTicket)

	d := e.ok(t, reader, clientTicketList)
	if got, want := get(t, d, "tickets", "totalCount"), float64(2); got != want {
		t.Fatalf("totalCount=%v, want %v", got, want)
	}
	pi := get(t, d, "tickets", "pageInfo").(map[string]any)
	// Cursors are graphql-relay offset cursors ("arrayconnection:<index>"),
	// extended with the ticket number so the next page starts there.
	if pi["hasNextPage"] != false || pi["hasPreviousPage"] != false ||
		cursorText(t, pi["startCursor"]) != "arrayconnection:0|d2" || cursorText(t, pi["endCursor"]) != "arrayconnection:1|d1" {
		t.Fatalf("pageInfo=%v", pi)
	}
	ns := nodes(t, d, "tickets")
	if got, want := titles(ns), []string{"Payment not received", "Older"}; !slices.Equal(got, want) {
		t.Fatalf("titles=%v, want %v", got, want)
	}
	n := ns[0]
	if got := decodeID(t, n["id"].(string), "TicketGQLType"); got != id {
		t.Fatalf("id decodes to %q, want %q", got, id)
	}
	want := map[string]any{
		"code": "GRS00000002", "description": "Second instalment missing", "status": "RECEIVED", "priority": "High",
		"reporterId": janeID, "reporterType": float64(1), "reporterTypeName": "individual", "category": "Category A",
		"flags": "Flag A", "channel": "Channel B", "resolution": "4,0", "dateOfIncident": "2024-11-20",
		"version": float64(1), "isHistory": false, "reporterFirstName": "Jane", "reporterLastName": "Doe",
		"reporterDob": "1990-01-01", "jsonExt": `{"comment_ids": []}`,
	}
	for k, v := range want {
		if n[k] != v {
			t.Errorf("%s=%#v, want %#v", k, n[k], v)
		}
	}
	// The due date is computed by the domain from the resolution time.
	if n["dueDate"] == nil {
		t.Errorf("dueDate is null")
	}
	if dc, _ := n["dateCreated"].(string); !strings.HasPrefix(dc, "2024-11-21T09:1") || strings.HasSuffix(dc, "Z") {
		t.Errorf("dateCreated=%q, want an ISO date-time without zone", dc)
	}
	staff := n["attendingStaff"].(map[string]any)
	if staff["username"] != "bob" || decodeID(t, staff["id"].(string), "UserGQLType") != bobID {
		t.Errorf("attendingStaff=%v, want bob", staff)
	}
	if ns[1]["reporter"] != nil || ns[1]["reporterTypeName"] != nil || ns[1]["reporterType"] != nil || ns[1]["attendingStaff"] != nil {
		t.Errorf("ticket without reporter/staff: %v", ns[1])
	}
}

func TestTickets_ReporterIsDoubleEncoded(t *testing.T) {
	// Ensure JSON.parse(JSON.parse(reporter)) gives the directory record
	// with camelCase keys, and the Python-style separators openIMIS emits.
	e := newEnv(t)
	e.createTicket(t, waterTicket)
	d := e.ok(t, reader, `{ tickets { edges { node { reporter } } } }`)
	wire := nodes(t, d, "tickets")[0]["reporter"].(string)

	var inner string
	if err := json.Unmarshal([]byte(wire), &inner); err != nil {
		t.Fatalf("reporter %q is not a JSON string: %v", wire, err)
	}
	want := `{"id": "` + janeID + `", "isDeleted": false, "jsonExt": {"phone": "0999"}, "version": 1, "firstName": "Jane", "lastName": "Doe", "dob": "1990-01-01"}`
	if inner != want {
		t.Fatalf("inner reporter JSON\n got %s\nwant %s", inner, want)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(inner), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["firstName"] != "Jane" || get(t, rec, "jsonExt", "phone") != "0999" {
		t.Fatalf("record=%v", rec)
	}
}

func TestTickets_ReporterKinds(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "by beneficiary", reporterType: "beneficiary", reporterId: "`+benefID+`"`)
	e.createTicket(t, `category: "Default", title: "by user", reporterType: "user", reporterId: "`+bobID+`"`)
	// A dangling reporter cannot be created through the API (the domain
	// checks the directory) but may exist in data loaded from openIMIS.
	e.store.SeedTicket(&grievance.Ticket{ID: "d0000000-0000-4000-8000-0000000000d1", Version: 1, Status: grievance.StatusOpen,
		Category: "Default", Title: "dangling", ReporterType: grievance.PersonIndividual, ReporterID: "d0000000-0000-4000-8000-0000000000ff"})

	d := e.ok(t, reader, `{ tickets(orderBy: ["title"]) { edges { node { title reporter reporterType reporterTypeName reporterFirstName reporterLastName reporterDob } } } }`)
	got := map[string]map[string]any{}
	for _, n := range nodes(t, d, "tickets") {
		got[n["title"].(string)] = n
	}
	for _, tc := range []struct {
		title                   string
		typ                     any
		typeName, first, dob    any
		reporterNull            bool
		reporterHasIndividualID bool
	}{
		// Ensure a beneficiary shows its individual's names.
		{"by beneficiary", float64(2), "beneficiary", "Jane", "1990-01-01", false, true},
		// Ensure a user reporter has a type but no names.
		{"by user", float64(3), "user", nil, nil, false, false},
		// Ensure a missing record gives nulls, never an error.
		{"dangling", float64(1), "individual", nil, nil, true, false},
	} {
		n := got[tc.title]
		if n["reporterType"] != tc.typ || n["reporterTypeName"] != tc.typeName || n["reporterFirstName"] != tc.first || n["reporterDob"] != tc.dob {
			t.Errorf("%s: %v", tc.title, n)
		}
		if (n["reporter"] == nil) != tc.reporterNull {
			t.Errorf("%s: reporter=%v", tc.title, n["reporter"])
		}
		if tc.reporterHasIndividualID && !strings.Contains(n["reporter"].(string), janeID) {
			t.Errorf("%s: reporter %v lacks individualId", tc.title, n["reporter"])
		}
	}
}

func TestTickets_DetailByRawUUID(t *testing.T) {
	e := newEnv(t)
	id := e.createTicket(t, waterTicket)
	e.createTicket(t, `category: "Default", title: "Other"`)
	for _, tc := range []struct {
		name, arg string
		want      []string
	}{
		// Ensure the client's detail request (raw UUID) finds the ticket.
		{"RawUUID", id, []string{"Payment not received"}},
		{"UpperCaseUUID", strings.ToUpper(id), []string{"Payment not received"}},
		// Ensure a global id is accepted too.
		{"GlobalID", globalTicketID(id), []string{"Payment not received"}},
		{"Unknown", "00000000-0000-4000-8000-0000000000ff", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.ok(t, reader, fmt.Sprintf(`{ tickets(id: %q) { edges { node { title version isHistory } } } }`, tc.arg))
			if got := titles(nodes(t, d, "tickets")); !slices.Equal(got, tc.want) {
				t.Fatalf("titles=%v, want %v", got, tc.want)
			}
		})
	}
	t.Run("InvalidUUID", func(t *testing.T) {
		// Ensure a malformed id is a field error with openIMIS's message.
		res := e.do(t, reader, `{ tickets(id: "nope") { totalCount } }`, nil)
		if res.status != 200 || len(res.Errors) != 1 || res.Errors[0].Message != "{'id': ['Enter a valid UUID.']}" ||
			res.Errors[0].Extensions["code"] != "INVALID" || res.Data["tickets"] != nil {
			t.Fatalf("got %s", res.raw)
		}
	})
}

func globalTicketID(id string) string {
	return encodeGlobal("TicketGQLType", id)
}

func TestTickets_VersionDetail(t *testing.T) {
	// Ensure tickets(id, ticketVersion) returns that history row, flagged
	// isHistory, while tickets(id) returns the live version.
	e := newEnv(t)
	id := e.createTicket(t, `category: "Default", title: "v1"`)
	e.mustSucceed(t, admin, "updateTicket", fmt.Sprintf(`id: %q, category: "Default", title: "v2"`, id), "u1")
	e.mustSucceed(t, admin, "updateTicket", fmt.Sprintf(`id: %q, category: "Default", title: "v3", status: IN_PROGRESS`, id), "u2")

	row := func(q string) []map[string]any {
		return nodes(t, e.ok(t, reader, q), "tickets")
	}
	v2 := row(fmt.Sprintf(`{ tickets(id: %q, ticketVersion: 2) { edges { node { title version isHistory status } } } }`, id))
	if len(v2) != 1 || v2[0]["title"] != "v2" || v2[0]["version"] != float64(2) || v2[0]["isHistory"] != true || v2[0]["status"] != "RECEIVED" {
		t.Fatalf("version 2: %v", v2)
	}
	live := row(fmt.Sprintf(`{ tickets(id: %q) { edges { node { title version isHistory status } } } }`, id))
	if len(live) != 1 || live[0]["version"] != float64(3) || live[0]["isHistory"] != false || live[0]["status"] != "IN_PROGRESS" {
		t.Fatalf("live: %v", live)
	}
	all := row(`{ tickets(showHistory: true) { edges { node { title isHistory } } } }`)
	var flags []string
	for _, n := range all {
		flags = append(flags, fmt.Sprint(n["title"], "=", n["isHistory"]))
	}
	if got, want := flags, []string{"v3=false", "v2=true", "v1=true"}; !slices.Equal(got, want) {
		t.Fatalf("history rows %v, want %v", got, want)
	}
}

func TestTickets_StatusFilter(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "open", status: OPEN`)
	e.createTicket(t, `category: "Default", title: "received"`)
	for _, tc := range []struct {
		name, args string
		want       []string
		status     int
	}{
		// The client sends the enum literal, unquoted.
		{"EnumLiteral", `status_Icontains: OPEN`, []string{"open"}, 200},
		// Other clients quote it; accepted, any case.
		{"QuotedString", `status_Icontains: "OPEN"`, []string{"open"}, 200},
		{"QuotedLowerCase", `status: "received"`, []string{"received"}, 200},
		{"Iexact", `status_Iexact: RECEIVED`, []string{"received"}, 200},
		// A cleared filter is ignored.
		{"EmptyString", `status_Icontains: ""`, []string{"received", "open"}, 200},
		{"NullLiteral", `status_Icontains: null`, []string{"received", "open"}, 200},
		// Unknown statuses are document errors.
		{"UnknownLiteral", `status: PENDING`, nil, 400},
		{"UnknownString", `status: "pending"`, nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, reader, fmt.Sprintf(`{ tickets(%s) { edges { node { title } } } }`, tc.args), nil)
			if res.status != tc.status {
				t.Fatalf("status=%d, want %d: %s", res.status, tc.status, res.raw)
			}
			if tc.status != 200 {
				if res.Data != nil || !strings.Contains(res.Errors[0].Message, `Expected type "TicketStatus"`) {
					t.Fatalf("got %s", res.raw)
				}
				return
			}
			if got := titles(nodes(t, res.Data, "tickets")); !slices.Equal(got, tc.want) {
				t.Fatalf("titles=%v, want %v", got, tc.want)
			}
		})
	}
	t.Run("OutputIsEnumName", func(t *testing.T) {
		d := e.ok(t, reader, `{ tickets(title: "open") { edges { node { status } } } }`)
		if got := nodes(t, d, "tickets")[0]["status"]; got != "OPEN" {
			t.Fatalf("status=%v, want OPEN", got)
		}
	})
}

func TestTickets_Filters(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "Water leak", priority: "High", attendingStaffId: "`+bobID+`"`)
	e.createTicket(t, `category: "Category B", title: "Payment", priority: "Low", reporterType: "individual", reporterId: "`+janeID+`"`)
	for _, tc := range []struct {
		name, args string
		want       []string
	}{
		{"TitleIcontains", `title_Icontains: "water"`, []string{"Water leak"}},
		{"EmptyValueIgnored", `title_Icontains: ""`, []string{"Payment", "Water leak"}},
		// The string "null" is a real value (the client sends it for a
		// cleared picker), unlike the null literal.
		{"StringNull", `priority: "null"`, nil},
		{"CategoryExact", `category: "Category B"`, []string{"Payment"}},
		{"PriorityIstartswith", `priority_Istartswith: "hi"`, []string{"Water leak"}},
		{"ReporterID", `reporterId: "` + janeID + `"`, []string{"Payment"}},
		{"StaffID", `attendingStaff_Id: "` + bobID + `"`, []string{"Water leak"}},
		{"StaffUsername", `attendingStaff_Username: "bob"`, []string{"Water leak"}},
		{"StaffUsernameIcontains", `attendingStaff_Username_Icontains: "BO"`, []string{"Water leak"}},
		{"CodeIexact", `code_Iexact: "grs00000002"`, []string{"Payment"}},
		{"Version", `version: 1`, []string{"Payment", "Water leak"}},
		{"IDIsnull", `id_Isnull: true`, nil},
		{"Anded", `title_Icontains: "a", priority: "Low"`, []string{"Payment"}},
		{"DateOfIncidentIcontainsPartial", `dateOfIncident_Icontains: "2099"`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.ok(t, reader, fmt.Sprintf(`{ tickets(%s, orderBy: "title") { edges { node { title } } } }`, tc.args))
			if got := titles(nodes(t, d, "tickets")); !slices.Equal(got, tc.want) {
				t.Fatalf("titles=%v, want %v", got, tc.want)
			}
		})
	}
}

func TestTickets_Pagination(t *testing.T) {
	e := newEnv(t)
	for _, title := range []string{"t1", "t2", "t3", "t4", "t5"} {
		e.createTicket(t, fmt.Sprintf(`category: "Default", title: %q`, title))
	}
	type page struct {
		titles           []string
		hasNext, hasPrev bool
		startCur, endCur string
	}
	fetch := func(t *testing.T, args string) page {
		d := e.ok(t, reader, fmt.Sprintf(`{ tickets(orderBy: ["title"], %s) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { title } } } }`, args))
		p := page{titles: titles(nodes(t, d, "tickets"))}
		pi := get(t, d, "tickets", "pageInfo").(map[string]any)
		p.hasNext, p.hasPrev = pi["hasNextPage"].(bool), pi["hasPreviousPage"].(bool)
		p.startCur, _ = pi["startCursor"].(string)
		p.endCur, _ = pi["endCursor"].(string)
		for i, ed := range list(t, d, "tickets", "edges") {
			if c := ed.(map[string]any)["cursor"]; (i == 0 && c != p.startCur) || c == "" {
				t.Fatalf("edge cursor %v, startCursor %v", c, p.startCur)
			}
		}
		return p
	}
	first := fetch(t, "first: 2")
	if !slices.Equal(first.titles, []string{"t1", "t2"}) || !first.hasNext || first.hasPrev {
		t.Fatalf("first page %+v", first)
	}
	for _, tc := range []struct {
		name, args string
		want       []string
		next, prev bool
	}{
		{"After", fmt.Sprintf(`first: 2, after: %q`, first.endCur), []string{"t3", "t4"}, true, false},
		{"Offset", `first: 2, offset: 3`, []string{"t4", "t5"}, false, false},
		{"Last", `last: 2`, []string{"t4", "t5"}, false, true},
		// The client pages back with before and still sends first.
		{"BeforeWithFirst", fmt.Sprintf(`first: 2, before: %q`, cursorOf(4)), []string{"t1", "t2"}, true, false},
		{"BeforeWithLast", fmt.Sprintf(`last: 2, before: %q`, cursorOf(4)), []string{"t3", "t4"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fetch(t, tc.args)
			if !slices.Equal(p.titles, tc.want) || p.hasNext != tc.next || p.hasPrev != tc.prev {
				t.Fatalf("page %+v, want %v next=%v prev=%v", p, tc.want, tc.next, tc.prev)
			}
		})
	}
	// A cursor begins with graphql-relay's offset (a row read from a sort
	// index adds its number and value, for the next page's keyset start).
	t.Run("CursorsAreOffsets", func(t *testing.T) {
		p := fetch(t, fmt.Sprintf(`first: 2, after: %q`, first.endCur))
		offset := func(c string) string {
			b, err := base64.StdEncoding.DecodeString(c)
			if err != nil {
				t.Fatalf("cursor %q: %v", c, err)
			}
			o, _, _ := strings.Cut(string(b), "|")
			return o
		}
		if offset(p.startCur) != "arrayconnection:2" || offset(p.endCur) != "arrayconnection:3" {
			t.Fatalf("cursors %q %q, want the offsets 2 and 3", p.startCur, p.endCur)
		}
	})
	t.Run("OffsetWithBefore", func(t *testing.T) {
		res := e.do(t, reader, fmt.Sprintf(`{ tickets(offset: 1, before: %q) { totalCount } }`, cursorOf(3)), nil)
		if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "INVALID" {
			t.Fatalf("got %s", res.raw)
		}
	})
}

func cursorOf(i int) string { return encode("arrayconnection:" + fmt.Sprint(i)) }

func TestTickets_FirstOver100(t *testing.T) {
	// Ensure openIMIS's exact limit message, as a field error.
	e := newEnv(t)
	res := e.do(t, reader, `{ tickets(first: 101) { totalCount } }`, nil)
	want := "Requesting 101 records on the `tickets` connection exceeds the `first` limit of 100 records."
	if res.status != 200 || len(res.Errors) != 1 || res.Errors[0].Message != want || res.Data["tickets"] != nil {
		t.Fatalf("got %s", res.raw)
	}
	if got := fmt.Sprint(res.Errors[0].Path); got != "[tickets]" {
		t.Fatalf("path=%s", got)
	}
	if res.Errors[0].Extensions["code"] != "LIMIT_EXCEEDED" || res.Errors[0].Extensions["requestId"] != "req-test" {
		t.Fatalf("extensions=%v", res.Errors[0].Extensions)
	}
}

func TestTickets_TotalCountThroughFragments(t *testing.T) {
	// Ensure totalCount is counted when selected through named or inline
	// fragments, not only directly.
	e := newEnv(t)
	for range 3 {
		e.createTicket(t, `category: "Default", title: "x"`)
	}
	for _, q := range []string{
		`{ tickets(first: 1) { ...C } } fragment C on TicketGQLTypeConnection { totalCount }`,
		`{ tickets(first: 1) { ... on TicketGQLTypeConnection { totalCount edgeCount } } }`,
		`{ tickets(first: 1) { ...Outer } } fragment Outer on TicketGQLTypeConnection { ...Inner } fragment Inner on TicketGQLTypeConnection { totalCount }`,
	} {
		d := e.ok(t, reader, q)
		if got := get(t, d, "tickets", "totalCount"); got != float64(3) {
			t.Fatalf("totalCount=%v, want 3 for %s", got, q)
		}
	}
}

func TestTickets_OtherLists(t *testing.T) {
	e := newEnv(t)
	e.createTicket(t, `category: "Default", title: "b"`)
	gone := e.createTicket(t, `category: "Default", title: "a"`)
	e.mustSucceed(t, admin, "deleteTicket", fmt.Sprintf(`ids: [%q]`, gone), "del")

	for _, tc := range []struct {
		name, q string
		want    []string
	}{
		// Ensure deleted tickets leave tickets…
		{"TicketsHideDeleted", `{ tickets { edges { node { title } } } }`, []string{"b"}},
		// …but ticketsStr (str ignored) and ticketDetails (ordered by
		// title) show them, as upstream.
		{"TicketsStrShowsDeleted", `{ ticketsStr(str: "zzz") { edges { node { title } } } }`, []string{"a", "b"}},
		// ticketsStr has no orderBy argument: a document error.
		{"TicketsStrHasNoOrderBy", `{ ticketsStr(orderBy: "title") { edges { node { title } } } }`, nil},
		{"TicketDetailsByTitle", `{ ticketDetails { edges { node { title isDeleted } } } }`, []string{"a", "b"}},
		{"HistoryShowsDeleted", `{ tickets(showHistory: true, title: "a") { edges { node { title isDeleted } } } }`, []string{"a", "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, reader, tc.q, nil)
			if tc.want == nil {
				if res.status != 400 || !strings.Contains(res.Errors[0].Message, `Unknown argument "orderBy"`) {
					t.Fatalf("got %s", res.raw)
				}
				return
			}
			if res.status != 200 || len(res.Errors) > 0 {
				t.Fatalf("got %s", res.raw)
			}
			field := strings.TrimSpace(strings.SplitN(strings.TrimPrefix(tc.q, "{"), "(", 2)[0])
			field = strings.Fields(field)[0]
			got := titles(nodes(t, res.Data, field))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("titles=%v, want %v", got, tc.want)
			}
		})
	}
	d := e.ok(t, reader, `{ ticketsStr(str: "zzz") { totalCount } }`)
	if got := get(t, d, "ticketsStr", "totalCount"); got != float64(2) {
		t.Fatalf("ticketsStr totalCount=%v, want 2", got)
	}
}

func TestTickets_Anonymous(t *testing.T) {
	// Ensure an anonymous list is a field error coded UNAUTHENTICATED.
	e := newEnv(t)
	res := e.do(t, nil, `{ tickets { totalCount } }`, nil)
	if res.status != 200 || len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || res.Data["tickets"] != nil {
		t.Fatalf("got %s", res.raw)
	}
}

func TestTickets_ReporterFieldsNeedTicketRight(t *testing.T) {
	// Ensure a comment reader without the ticket right reaches a comment's
	// ticket but not its reporter details (openIMIS checks them per field).
	e := newEnv(t)
	id := e.createTicket(t, waterTicket)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "hello"`, id), "c1")
	res := e.do(t, commentReader, `{ comments { edges { node { comment ticket { title reporterFirstName } } } } }`, nil)
	if len(res.Errors) != 1 || res.Errors[0].Extensions["code"] != "FORBIDDEN" ||
		fmt.Sprint(res.Errors[0].Path) != "[comments edges 0 node ticket reporterFirstName]" {
		t.Fatalf("got %s", res.raw)
	}
	n := nodes(t, res.Data, "comments")[0]
	if get(t, n, "ticket", "title") != "Payment not received" || get(t, n, "ticket", "reporterFirstName") != nil {
		t.Fatalf("node=%v", n)
	}
}

func TestTickets_GlobalIDs(t *testing.T) {
	// Ensure every Node type's id is base64("<Type>:<uuid>") and decodes
	// the way the client does.
	e := newEnv(t)
	id := e.createTicket(t, waterTicket)
	e.mustSucceed(t, admin, "createComment", fmt.Sprintf(`ticketId: %q, comment: "hello"`, id), "c-ids")
	d := e.ok(t, admin, `{
		tickets { edges { node { id userCreated { id } userUpdated { id } attendingStaff { id } } } }
		comments { edges { node { id ticket { id } userCreated { id } } } }
		mutationLogs(clientMutationId: "c-ids") { edges { node { id } } }
	}`)
	tn := nodes(t, d, "tickets")[0]
	if decodeID(t, tn["id"].(string), "TicketGQLType") != id ||
		decodeID(t, get(t, tn, "userCreated", "id").(string), "UserGQLType") != aliceID ||
		decodeID(t, get(t, tn, "attendingStaff", "id").(string), "UserGQLType") != bobID {
		t.Fatalf("ticket ids %v", tn)
	}
	cn := nodes(t, d, "comments")[0]
	decodeID(t, cn["id"].(string), "CommentGQLType")
	if decodeID(t, get(t, cn, "ticket", "id").(string), "TicketGQLType") != id {
		t.Fatalf("comment ticket id %v", cn)
	}
	decodeID(t, nodes(t, d, "mutationLogs")[0]["id"].(string), "MutationLogGQLType")
}

func TestTickets_NoNPlusOne(t *testing.T) {
	// Ensure a page costs one directory call (plus one for beneficiaries'
	// individuals) and one live-version call, however many rows.
	e := newEnv(t)
	for i := range 6 {
		switch i % 3 {
		case 0:
			e.createTicket(t, waterTicket)
		case 1:
			e.createTicket(t, `category: "Default", title: "b", reporterType: "beneficiary", reporterId: "`+benefID+`"`)
		default:
			e.createTicket(t, `category: "Default", title: "u", reporterType: "user", reporterId: "`+bobID+`"`)
		}
	}
	var people, live atomic.Int64
	e.store.Fail = func(op string) error {
		switch op {
		case "People":
			people.Add(1)
		case "TicketsByID":
			live.Add(1)
		}
		return nil
	}
	e.ok(t, reader, `{ tickets(showHistory: true) { edges { node { reporter reporterFirstName reporterLastName isHistory userCreated { username } userUpdated { username } attendingStaff { username } } } } }`)
	// Jane, the beneficiary's individual, is also a reporter here, so the
	// second call (for beneficiaries' individuals) is not needed.
	if got := people.Load(); got != 1 {
		t.Errorf("People calls=%d, want 1", got)
	}
	// isHistory's live versions: the history scan meets each ticket's
	// newest version first, so no live ticket is read.
	if got := live.Load(); got != 0 {
		t.Errorf("TicketsByID calls=%d, want 0", got)
	}
	people.Store(0)
	e.ok(t, reader, `{ tickets { edges { node { title status } } } }`)
	if got := people.Load(); got != 0 {
		t.Errorf("People calls=%d without person fields, want 0", got)
	}
}

func TestTickets_BeneficiaryNamesCostOneMoreCall(t *testing.T) {
	// Ensure beneficiaries' individuals are fetched in one extra call for
	// the whole page, not one per row.
	e := newEnv(t)
	for range 4 {
		e.createTicket(t, `category: "Default", title: "b", reporterType: "beneficiary", reporterId: "`+benefID+`"`)
	}
	var people atomic.Int64
	e.store.Fail = func(op string) error {
		if op == "People" {
			people.Add(1)
		}
		return nil
	}
	d := e.ok(t, reader, `{ tickets { edges { node { reporterFirstName reporterLastName reporterDob } } } }`)
	for _, n := range nodes(t, d, "tickets") {
		if n["reporterFirstName"] != "Jane" {
			t.Fatalf("node=%v", n)
		}
	}
	if got := people.Load(); got != 2 {
		t.Fatalf("People calls=%d, want 2", got)
	}
}

func cursorText(t *testing.T, c any) string {
	t.Helper()
	s, _ := c.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("cursor %v is not base64", c)
	}
	return string(b)
}
