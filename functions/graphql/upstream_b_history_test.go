package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestB07_DeletedTicketLeavesTheListButNotHistoryOrTicketsStr(t *testing.T) {
	e := newDynamoEnv(t) // history through the table's stream
	e.startHistory(t)
	id := e.createTicket(t, adminClaims, `category: "Default", title: "gone"`)
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { deleteTicket(input: {ids: [%q], clientMutationId: %q}) { internalId } }`, id, cmid))
	e.mustSucceed(t, adminClaims, cmid)
	e.waitHistory(t, id, 2)
	if d := e.ok(t, adminClaims, `{ tickets { totalCount } }`); path(d, "tickets", "totalCount") != 0.0 {
		t.Fatalf("deleted ticket listed: %v", d)
	}
	d := e.ok(t, adminClaims, `{ tickets(showHistory: true) { edges { node { version isDeleted isHistory } } } }`)
	ns := nodes(d, "tickets")
	if len(ns) != 2 || ns[0]["version"] != 2.0 || ns[0]["isDeleted"] != true || ns[1]["version"] != 1.0 || ns[1]["isHistory"] != true {
		t.Fatalf("history=%v, want v2 (deleted) then v1", ns)
	}
	if d := e.ok(t, adminClaims, `{ ticketsStr { totalCount } }`); path(d, "ticketsStr", "totalCount") != 1.0 {
		t.Fatalf("ticketsStr=%v, want the deleted ticket", d)
	}
}

func TestB08_TicketVersionReadsOneHistoryRow(t *testing.T) {
	e := newDynamoEnv(t) // history through the table's stream
	e.startHistory(t)
	id := e.createTicket(t, adminClaims, `category: "Default", title: "v1"`)
	e.retitle(t, id, "v2", "v3")
	e.waitHistory(t, id, 3)
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q, ticketVersion: 2) { edges { node { version title isHistory } } } }`, id))
	ns := nodes(d, "tickets")
	if len(ns) != 1 || ns[0]["version"] != 2.0 || ns[0]["title"] != "v2" || ns[0]["isHistory"] != true {
		t.Fatalf("version 2=%v", ns)
	}
	d = e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { version isHistory } } } }`, id))
	ns = nodes(d, "tickets")
	if len(ns) != 1 || ns[0]["version"] != 3.0 || ns[0]["isHistory"] != false {
		t.Fatalf("live=%v", ns)
	}
}

// The next-page button on the history list, a row a page: every version
// once, newest ticket first and its versions newest first, each telling
// whether it is history though its newer versions were on the pages
// before (the next page starts after the cursor's row in the history
// index).
func TestHistoryList_PagesFollowTheCursor(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	first := e.createTicket(t, adminClaims, `category: "Default", title: "v1"`)
	e.retitle(t, first, "v2", "v3")
	second := e.createTicket(t, adminClaims, `category: "Default", title: "other"`)
	e.waitHistory(t, first, 3)
	e.waitHistory(t, second, 1)
	got := e.pageByPage(t, "showHistory: true", 4, "title", "version", "isHistory")
	if want := "[other.1.false v3.3.false v2.2.true v1.1.true]"; fmt.Sprint(got) != want {
		t.Fatalf("pages %v, want %s", got, want)
	}
}

// The web client's history toggle with a column's sort, through the
// stream: every version once, in the column's order (equal values newest
// ticket and version first), a row a page with the next-page button
// (each page starting after its cursor's row in the history sort index),
// with the value filters the panel sends.
func TestHistoryList_SortedByAColumnThroughTheStream(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	first := e.createTicket(t, adminClaims, `category: "Default", title: "b"`)
	e.retitle(t, first, "d", "a")
	second := e.createTicket(t, adminClaims, `category: "Default", title: "c"`)
	third := e.createTicket(t, adminClaims, `category: "Default", title: "b"`)
	e.waitHistory(t, first, 3)
	e.waitHistory(t, second, 1)
	e.waitHistory(t, third, 1)
	for _, tc := range []struct {
		args  string
		total float64
		want  string
	}{
		{`showHistory: true, orderBy: ["title"]`, 5, "[a.3.false b.1.false b.1.true c.1.false d.2.true]"},
		{`showHistory: true, orderBy: ["-title"]`, 5, "[d.2.true c.1.false b.1.false b.1.true a.3.false]"},
		{`showHistory: true, orderBy: ["-version"]`, 5, "[a.3.false d.2.true b.1.false c.1.false b.1.true]"},
		{`showHistory: true, orderBy: ["version"]`, 5, "[b.1.false c.1.false b.1.true d.2.true a.3.false]"},
		{`showHistory: true, status_Icontains: RECEIVED, category_Icontains: "def", orderBy: ["title"]`, 5, "[a.3.false b.1.false b.1.true c.1.false d.2.true]"},
		{`showHistory: true, status_Icontains: OPEN, orderBy: ["title"]`, 0, "[]"},
		{`showHistory: true, title_Icontains: "b", orderBy: ["-version"]`, 2, "[b.1.false b.1.true]"},
		{`showHistory: true, title_Icontains: "d", status_Icontains: RECEIVED, orderBy: ["title"]`, 1, "[d.2.true]"},
	} {
		if got := e.pageByPage(t, tc.args, tc.total, "title", "version", "isHistory"); fmt.Sprint(got) != tc.want {
			t.Errorf("tickets(%s): pages %v, want %s", tc.args, got, tc.want)
		}
	}
	// Every version holds the same priority, status, category and (no)
	// reporter: each order is the ties', newest ticket and version first.
	for _, col := range []string{"priority", "-status", "category", "-reporter_id"} {
		args := fmt.Sprintf(`showHistory: true, orderBy: [%q]`, col)
		if got, want := fmt.Sprint(e.pageByPage(t, args, 5, "title", "version", "isHistory")), "[b.1.false c.1.false a.3.false d.2.true b.1.true]"; got != want {
			t.Errorf("tickets(%s): pages %s, want %s", args, got, want)
		}
	}
}

// A title search through DynamoDB, with the stream consumed as the
// history function does (history, then the statistics and the text
// index): the live list finds the ticket by its new title only, the
// history list finds each version by the title it had, and its next-page
// button (the history postings' keyset) gives every matching version once.
func TestHistoryList_TitleSearchThroughTheStream(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	paid := e.createTicket(t, adminClaims, `category: "Default", title: "Payment late"`)
	e.retitle(t, paid, "Payment missing", "Payment missing twice")
	e.createTicket(t, adminClaims, `category: "Default", title: "Card lost"`)
	list := func(args string) (rows []string, total any) {
		d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { totalCount edges { node { title version } } } }`, args))
		for _, n := range nodes(d, "tickets") {
			rows = append(rows, fmt.Sprintf("%v.%v", n["title"], n["version"]))
		}
		return rows, path(d, "tickets", "totalCount")
	}
	// The index follows the history by a moment (the same invocation).
	// The stream orders each ticket's changes, not the two tickets': wait
	// for each one's last.
	deadline := time.Now().Add(20 * time.Second)
	for {
		card, _ := list(`title_Icontains: "card"`)
		twice, _ := list(`title_Icontains: "twice"`)
		if len(card) == 1 && len(twice) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the text index did not catch up with the stream")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range []struct{ args, want string }{
		{`title_Icontains: "MISSING"`, "[Payment missing twice.3] 1"},
		{`title_Icontains: "late"`, "[] 0"},
		{`showHistory: true, title_Icontains: "late"`, "[Payment late.1] 1"},
		{`showHistory: true, title_Icontains: "missing"`, "[Payment missing twice.3 Payment missing.2] 2"},
	} {
		if rows, total := list(c.args); fmt.Sprint(rows, " ", total) != c.want {
			t.Errorf("tickets(%s) = %v %v, want %s", c.args, rows, total, c.want)
		}
	}
	got := e.pageByPage(t, `showHistory: true, title_Icontains: "pay"`, 3, "title", "version", "isHistory")
	if want := "[Payment missing twice.3.false Payment missing.2.true Payment late.1.true]"; fmt.Sprint(got) != want {
		t.Errorf("pages %v, want %s", got, want)
	}
}

// A history title search where many titles were corrected once, through
// DynamoDB and the stream: the count of rows (from the consumer's counts
// of texts and postings of replaced texts, since more than a dozen
// candidates changed) is the number of versions that held the query,
// whether the query is the corrected title, the typo, or both, alone or
// with a status some versions before the correction held; a title
// corrected and then broken again is judged from its versions.
func TestHistoryList_TitlesCorrectedOnceCountThroughTheStream(t *testing.T) {
	e := newDynamoEnv(t)
	e.startHistory(t)
	const fixed, late = 15, 7 // the odd ones kept the typo in a second version, opened
	for i := range fixed {
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", title: "Water piont %d"`, i))
		if i%2 == 1 {
			e.setStatus(t, id, "OPEN")
		}
		e.retitle(t, id, fmt.Sprintf("Water point %d", i))
	}
	twice := e.createTicket(t, adminClaims, `category: "Default", title: "Water point x"`)
	e.retitle(t, twice, "Water piont x", "Water point x")
	count := func(args string) any {
		return path(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { totalCount } }`, args)), "tickets", "totalCount")
	}
	// The postings are written before the history rows, which a count
	// of every version waits for; the title changed twice is judged from
	// its recorded versions, which its count waits for.
	every := `showHistory: true, title_Icontains: "water p"`
	versions := 2*fixed + late + 3
	deadline := time.Now().Add(30 * time.Second)
	for count(`title_Icontains: "piont"`) != 0.0 || count(`title_Icontains: "point"`) != float64(fixed+1) || count(every) != float64(versions) ||
		count(`showHistory: true, title_Icontains: "t x"`) != 3.0 {
		if time.Now().After(deadline) {
			t.Fatalf("the index did not catch up with the stream: %v versions hold %q, want %d", count(every), "water p", versions)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []struct {
		query string
		want  int
	}{
		{`title_Icontains: "point"`, fixed + 2},        // each corrected title's last version; the other's versions 1 and 3
		{`title_Icontains: "piont"`, fixed + late + 1}, // each typo's versions before; the other's version 2
		// With the status the panel sends: the odd ones were RECEIVED in
		// their first version only, before the correction (counted by
		// the counts of statuses before it), the others in every one.
		{`title_Icontains: "water p", status_Icontains: RECEIVED`, 2*(fixed-late) + late + 3},
		{`title_Icontains: "piont", status_Icontains: RECEIVED`, fixed + 1},
		{`title_Icontains: "point", status_Icontains: RECEIVED`, fixed - late + 2},
		{`title_Icontains: "point", status_Icontains: OPEN`, late},
	} {
		if got := count("showHistory: true, " + c.query); got != float64(c.want) {
			t.Errorf("history of %s: totalCount %v, want %d", c.query, got, c.want)
		}
	}
}

// pageByPage lists tickets(args) a row a page, each page after the end
// cursor of the one before, as the client's next-page button does (at
// most 10 pages), and returns each row's fields joined by dots. Every
// page must count total rows (total < 0: not checked).
func (e *env) pageByPage(t *testing.T, args string, total float64, fields ...string) []string {
	t.Helper()
	var got []string
	after := ""
	for range 10 {
		d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(first: 1, %s%s) { totalCount pageInfo { hasNextPage endCursor } edges { node { %s } } } }`,
			after, args, strings.Join(fields, " ")))
		if n := path(d, "tickets", "totalCount"); total >= 0 && n != total {
			t.Fatalf("tickets(%s): totalCount=%v, want %v", args, n, total)
		}
		for _, n := range nodes(d, "tickets") {
			var vs []string
			for _, f := range fields {
				vs = append(vs, fmt.Sprint(n[f]))
			}
			got = append(got, strings.Join(vs, "."))
		}
		if path(d, "tickets", "pageInfo", "hasNextPage") != true {
			break
		}
		after = fmt.Sprintf("after: %q, ", path(d, "tickets", "pageInfo", "endCursor"))
	}
	return got
}
