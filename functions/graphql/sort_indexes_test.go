package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/redress-grm/redress/shared/store"
)

// Ensure each sortable column's order and the priority filter, served by
// the sort indexes in DynamoDB (and a status by due date by g16), give
// the rows the list's order gives: by
// value, ties newest first, both ways. They are the only readers of those
// indexes, so this test also records their queries for the permission
// check of infra/.
func TestTickets_SortIndexesOrderTheRows(t *testing.T) {
	e := newDynamoEnv(t)
	var codes []string
	for i, f := range []string{
		`title: "b", priority: "Low"`, `title: "a", priority: "High"`, `title: "c", priority: "Low"`, `title: "a", priority: "Medium"`,
	} {
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`category: "Default", dueDate: "2026-12-0%d", %s`, 4-i%2, f))
		codes = append(codes, code(t, e, id))
	}
	listFirst := func(first int, args string) []string {
		var out []string
		for _, n := range nodes(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(first: %d, %s) { totalCount edges { node { code } } } }`, first, args)), "tickets") {
			out = append(out, fmt.Sprint(n["code"]))
		}
		return out
	}
	list := func(args string) []string { return listFirst(3, args) }
	// The next-page button, a row a page: each page from the cursor of
	// the one before.
	pages := func(args string) []string {
		var out []string
		after := ""
		for range 10 {
			a := "first: 1, " + args
			if after != "" {
				a += fmt.Sprintf(", after: %q", after)
			}
			d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(%s) { pageInfo { hasNextPage endCursor } edges { node { code } } } }`, a))
			for _, n := range nodes(d, "tickets") {
				out = append(out, fmt.Sprint(n["code"]))
			}
			if path(d, "tickets", "pageInfo", "hasNextPage") != true {
				break
			}
			after = path(d, "tickets", "pageInfo", "endCursor").(string)
		}
		return out
	}
	c := func(i ...int) []string {
		var out []string
		for _, n := range i {
			out = append(out, codes[n])
		}
		return out
	}
	for _, tc := range []struct {
		args string
		want []string
	}{
		{`orderBy: ["title"]`, c(3, 1, 0)},
		{`orderBy: ["-title"]`, c(2, 0, 3)},
		{`orderBy: ["priority"]`, c(1, 2, 0)},
		{`orderBy: ["-priority"]`, c(3, 2, 0)},
		{`orderBy: ["status"]`, c(3, 2, 1)},
		{`orderBy: ["-category"]`, c(3, 2, 1)},
		{`orderBy: ["dueDate"]`, c(3, 1, 2)},
		{`orderBy: ["-dueDate"]`, c(2, 0, 3)},
		{`priority: "Low", orderBy: ["-dateCreated"]`, c(2, 0)},
		// A status with the due date: that status's partition of g16.
		{`status_Icontains: RECEIVED, orderBy: ["dueDate"]`, c(3, 1, 2)},
		{`status_Icontains: RECEIVED, orderBy: ["-dueDate"]`, c(2, 0, 3)},
	} {
		if got := list(tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("tickets(%s) = %v, want %v", tc.args, got, tc.want)
		}
		if got, want := pages(tc.args), listFirst(10, tc.args); !slices.Equal(got, want) {
			t.Errorf("tickets(%s) page by page = %v, want %v", tc.args, got, want)
		}
	}
}

func code(t *testing.T, e *env, id string) string {
	t.Helper()
	ns := nodes(e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(id: %q) { edges { node { code } } } }`, id)), "tickets")
	if len(ns) != 1 {
		t.Fatalf("ticket %s: %v", id, ns)
	}
	return fmt.Sprint(ns[0]["code"])
}

// Ensure the web client's filter panel and its remaining sortable columns
// give, through DynamoDB, the rows a plain filter and sort give: icontains
// on category and priority (the dictionary of values, then the values'
// partitions), status with category (the pairs' index), and the reporter,
// version and attending staff columns (their narrow indexes and a batch
// read of the tickets), and a status with the attending staff's order
// (the order postings), and a text filter ordered by title (the title's
// order runs) or due date (the due days). They are these indexes' only readers, so this
// test also records their queries for the permission check of infra/.
func TestTickets_PanelFiltersAndNarrowSortIndexes(t *testing.T) {
	e := newDynamoEnv(t)
	var ids, codes []string
	for i, f := range []string{
		fmt.Sprintf(`category: "Default", priority: "High", reporterType: "individual", reporterId: %q`, individualID),
		fmt.Sprintf(`category: "Category A", priority: "Low", attendingStaffId: %q`, staffID),
		fmt.Sprintf(`category: "Default", priority: "Very high", attendingStaffId: %q`, staffID),
		fmt.Sprintf(`category: "Category A", priority: "Low", reporterType: "individual", reporterId: %q`, individualID),
	} {
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`title: "t%d", %s`, i, f))
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	e.setStatus(t, ids[0], "OPEN")
	e.setStatus(t, ids[2], "OPEN")
	// A filter with an order by attending staff is placed by the order
	// postings, a text filter ordered by title by the title's runs, which
	// the history consumer keeps; the text pass of the backfill indexes
	// the tickets as it would.
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	list := func(args string) string { return firstThree(t, e, args) }
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	for _, tc := range []struct {
		args string
		want string
	}{
		{`category_Icontains: "default"`, c(2, 2, 0)},
		{`priority_Icontains: "HIGH"`, c(2, 2, 0)},
		{`status_Icontains: OPEN, category_Icontains: "DEF"`, c(2, 2, 0)},
		{`status_Icontains: OPEN, category: "Default"`, c(2, 2, 0)},
		{`category_Icontains: "nothing"`, c(0)},
		{`orderBy: ["reporter_id"]`, c(4, 2, 1, 3)},
		{`orderBy: ["-version"]`, c(4, 2, 0, 3)},
		{`orderBy: ["attendingStaff"]`, c(4, 3, 0, 2)},
		{`orderBy: ["-code"]`, c(4, 3, 2, 1)},
		{`status_Icontains: OPEN, orderBy: ["-attendingStaff"]`, c(2, 2, 0)},
		// A text filter ordered by title: the title's order runs.
		{`title_Icontains: "T", orderBy: ["-title"]`, c(4, 3, 2, 1)},
		{`title_Icontains: "t", orderBy: ["title"]`, c(4, 0, 1, 2)},
	} {
		if got := list(tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	// The next-page button: a row at a time, each page after the cursor
	// of the one before, gives the list read whole, whichever of the
	// value postings, runs, due days or order postings placed it.
	for _, args := range []string{`title_Icontains: "t", orderBy: ["title"]`, `title_Icontains: "T", orderBy: ["-title"]`,
		`title_Icontains: "T", orderBy: ["dueDate"]`, `title_Icontains: "T", orderBy: ["-dueDate"]`,
		`title_Icontains: "t", orderBy: ["-priority"]`, `category_Icontains: "a", orderBy: ["status"]`,
		`status_Icontains: OPEN, orderBy: ["-attendingStaff"]`, `title_Icontains: "t", orderBy: ["reporter_id"]`} {
		samePageByPage(t, e, args)
	}
	// A text filter every ticket matches, ordered by due date (the due
	// days), lists as the due date's sort index does.
	for _, order := range []string{`"dueDate"`, `"-dueDate"`} {
		got, want := list(`title_Icontains: "T", orderBy: [`+order+`]`), list(`orderBy: [`+order+`]`)
		if got != want {
			t.Errorf("title_Icontains with orderBy %s = %s, want %s", order, got, want)
		}
	}
}

// A due date lookup and the SLA filter BREACHED are answered from the
// value postings and the due days column on DynamoDB: the rows and counts
// of each, alone, with a status and ordered by due date, the next-page
// button included.
func TestTickets_DueDateAndBreachedFromTheDueDays(t *testing.T) {
	e := newDynamoEnv(t)
	var ids, codes []string
	for i, due := range []string{"2026-01-02", "2026-01-20", "2099-05-01", "2026-01-02", ""} {
		args := fmt.Sprintf(`title: "d%d", category: "Default"`, i)
		if due != "" {
			args += fmt.Sprintf(`, dueDate: %q`, due)
		}
		id := e.createTicket(t, adminClaims, args)
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	e.setStatus(t, ids[1], "OPEN")
	e.setStatus(t, ids[3], "RESOLVED")
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	list := func(args string) string { return firstThree(t, e, args) }
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	for _, tc := range []struct{ args, want string }{
		{`dueDate: "2026-01-02", orderBy: ["-dateCreated"]`, c(2, 3, 0)},
		{`dueDate_Istartswith: "2026-01", orderBy: ["-dateCreated"]`, c(3, 3, 1, 0)},
		{`dueDate_Icontains: "-05-", orderBy: ["-dateCreated"]`, c(1, 2)},
		{`dueDate_Istartswith: "2026-01", status_Icontains: OPEN, orderBy: ["-dateCreated"]`, c(1, 1)},
		{`slaStatus: "BREACHED", orderBy: ["-dateCreated"]`, c(2, 1, 0)},
		{`slaStatus: "BREACHED", orderBy: ["dueDate"]`, c(2, 0, 1)},
		{`slaStatus: "BREACHED", status_Icontains: OPEN, orderBy: ["dueDate"]`, c(1, 1)},
		{`slaStatus: "BREACHED", dueDate: "2026-01-02", orderBy: ["dueDate"]`, c(1, 0)},
	} {
		if got := list(tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	for _, args := range []string{`slaStatus: "BREACHED", orderBy: ["dueDate"]`, `dueDate_Istartswith: "2026", orderBy: ["-priority"]`} {
		samePageByPage(t, e, args)
	}
}

// Ensure ON_TRACK and AT_RISK are answered from the due days and the SLA
// periods through the API on moto, as the clock moves (the default
// at-risk share, a quarter of the period left): a ticket turns at risk,
// then overdue, another at risk; and a ticket the consumer has not
// indexed yet is not listed until it is (a range read would list it).
func TestTickets_OnTrackAndAtRiskFromTheirColumns(t *testing.T) {
	e := newDynamoEnv(t)
	var ids, codes []string
	for i, due := range []string{"2026-11-20", "2026-11-22", "2026-11-21", "2026-11-19", "2026-11-20"} {
		id := e.createTicket(t, adminClaims, fmt.Sprintf(`title: "s%d", category: "Default", dueDate: %q`, i, due))
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	e.setStatus(t, ids[4], "RESOLVED")
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	check := func(when string, cases ...[2]string) {
		t.Helper()
		for _, tc := range cases {
			if got := firstThree(t, e, tc[0]); got != tc[1] {
				t.Errorf("%s: tickets(%s) = %s, want %s", when, tc[0], got, tc[1])
			}
		}
	}
	e.advance(11 * time.Hour) // 20:00: ticket 0 has 4 hours left of 15
	check("at 20:00",
		[2]string{`slaStatus: "AT_RISK", orderBy: ["-dateCreated"]`, c(0)},
		[2]string{`slaStatus: "ON_TRACK", orderBy: ["-dateCreated"]`, c(3, 2, 1, 0)})
	e.advance(time.Hour) // 21:00: 3 hours left of 15
	check("at 21:00",
		[2]string{`slaStatus: "AT_RISK", orderBy: ["-dateCreated"]`, c(1, 0)},
		[2]string{`slaStatus: "ON_TRACK", orderBy: ["dueDate"]`, c(2, 2, 1)},
		[2]string{`slaStatus: "ON_TRACK", title_Icontains: "s1", orderBy: ["-dateCreated"]`, c(1, 1)})
	e.advance(21 * time.Hour) // the 21st, 18:00: ticket 2 has 6 hours left of 39
	check("the next day",
		[2]string{`slaStatus: "AT_RISK", orderBy: ["-dateCreated"]`, c(1, 2)},
		[2]string{`slaStatus: "ON_TRACK", orderBy: ["-dateCreated"]`, c(1, 1)},
		[2]string{`slaStatus: "BREACHED", orderBy: ["dueDate"]`, c(2, 3, 0)})
	late := e.createTicket(t, adminClaims, `title: "s5", category: "Default", dueDate: "2026-11-30"`)
	codes = append(codes, code(t, e, late))
	args := `slaStatus: "ON_TRACK", orderBy: ["-dateCreated"]`
	check("before the consumer", [2]string{args, c(1, 1)})
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	check("once indexed", [2]string{args, c(2, 5, 1)})
	samePageByPage(t, e, `slaStatus: "ON_TRACK", orderBy: ["dueDate"]`)
}

// Ensure a channel, flags or date of incident lookup, each of the four,
// and the day a ticket was filed,
// alone, with the panel and by a sort column, answers from their postings
// on DynamoDB's API what the filter means: case, prefixes and a JSON
// flags text included.
func TestTickets_ChannelFlagsAndIncidentFromTheirPostings(t *testing.T) {
	e := newDynamoEnv(t)
	var ids, codes []string
	for i, tk := range []struct{ channel, flags, incident string }{
		{"Channel A", "Flag A", "2026-01-02"},
		{"Channel B", `["Flag B", "Flag A"]`, "2026-01-20"},
		{"Default", "", "2025-12-31"},
		{"Channel A", "Default", ""},
		{"", "Flag B", "2026-01-02"},
	} {
		args := fmt.Sprintf(`title: "c%d", category: "Default"`, i)
		for k, v := range map[string]string{"channel": tk.channel, "flags": tk.flags, "dateOfIncident": tk.incident} {
			if v != "" {
				args += fmt.Sprintf(`, %s: %q`, k, v)
			}
		}
		id := e.createTicket(t, adminClaims, args)
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	e.setStatus(t, ids[1], "OPEN")
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	for _, tc := range []struct{ args, want string }{
		{`channel: "Channel A", orderBy: ["-dateCreated"]`, c(2, 3, 0)},
		{`channel_Iexact: "CHANNEL B", orderBy: ["-dateCreated"]`, c(1, 1)},
		{`channel_Istartswith: "chan", orderBy: ["title"]`, c(3, 0, 1, 3)},
		{`channel_Icontains: "EL A", orderBy: ["-dateCreated"]`, c(2, 3, 0)},
		{`channel_Icontains: "d", status_Icontains: RECEIVED, orderBy: ["-dateCreated"]`, c(1, 2)},
		{`flags_Icontains: "\"flag b\"", orderBy: ["-dateCreated"]`, c(1, 1)},
		{`flags_Icontains: "flag a", orderBy: ["-priority"]`, c(2, 1, 0)},
		{`flags: "Flag B", orderBy: ["-dateCreated"]`, c(1, 4)},
		{`dateOfIncident: "2026-01-02", orderBy: ["-dateCreated"]`, c(2, 4, 0)},
		{`dateOfIncident_Istartswith: "2026-01", channel_Iexact: "channel a", orderBy: ["-dateCreated"]`, c(1, 0)},
		{`dateOfIncident_Icontains: "-12-", orderBy: ["-dateCreated"]`, c(1, 2)}, // the range: no grams of dates
		{`dateOfIncident_Iexact: "2025-12-31", orderBy: ["-dateCreated"]`, c(1, 2)},
		{`dateCreated_Istartswith: "2026-11-20", channel_Istartswith: "C", orderBy: ["-dateCreated"]`, c(3, 3, 1, 0)},
	} {
		if got := firstThree(t, e, tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	samePageByPage(t, e, `channel_Istartswith: "c", orderBy: ["-dateCreated"]`)
	// The lists come from the postings: a ticket the consumer has not
	// indexed yet is not in them (a range read would list it), until it is.
	late := e.createTicket(t, adminClaims, `title: "c5", category: "Default", channel: "Channel A"`)
	args := `channel: "Channel A", orderBy: ["-dateCreated"]`
	if got := firstThree(t, e, args); got != c(2, 3, 0) {
		t.Errorf("before the consumer: tickets(%s) = %s, want %s", args, got, c(2, 3, 0))
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	codes = append(codes, code(t, e, late))
	if got := firstThree(t, e, args); got != c(3, 5, 3, 0) {
		t.Errorf("once indexed: tickets(%s) = %s, want %s", args, got, c(3, 5, 3, 0))
	}
}

// Ensure a resolution time and a resolved ticket's service level (MET,
// MISSED, resolvedWithinTime) are answered from their postings, through
// the API on moto: the levels are those of tickets resolved through the
// API before and after their due dates, one reopened, and a ticket
// resolved after the consumer last ran is missing from them until it
// runs (a range read would list it).
func TestTickets_ResolutionTimeAndResolvedLevelFromTheirPostings(t *testing.T) {
	e := newDynamoEnv(t)
	var ids, codes []string
	for i, tk := range []struct{ resolution, due string }{
		{"5,0", "2026-11-25"},   // resolved today: met
		{"6,12", "2026-11-10"},  // resolved today: missed
		{"5,0", "2026-11-19"},   // resolved today: missed, then reopened
		{"05,00", "2026-11-01"}, // resolved today: missed
		{"12,5", "2026-11-30"},  // open
	} {
		args := fmt.Sprintf(`title: "r%d", category: "Default", resolution: %q`, i, tk.resolution)
		if tk.due != "" {
			args += fmt.Sprintf(`, dueDate: %q`, tk.due)
		}
		id := e.createTicket(t, adminClaims, args)
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	for _, i := range []int{0, 1, 2, 3} {
		e.setStatus(t, ids[i], "RESOLVED")
	}
	e.setStatus(t, ids[2], "OPEN")
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	for _, tc := range []struct{ args, want string }{
		{`resolution: "5,0", orderBy: ["-dateCreated"]`, c(2, 2, 0)},
		{`resolution_Iexact: "05,00", orderBy: ["-dateCreated"]`, c(1, 3)},
		{`resolution_Istartswith: "1", orderBy: ["-dateCreated"]`, c(1, 4)},
		{`resolution_Icontains: "12", orderBy: ["title"]`, c(2, 1, 4)},
		{`slaStatus: "MET", orderBy: ["-dateCreated"]`, c(1, 0)},
		{`slaStatus: "MISSED", orderBy: ["-dateCreated"]`, c(2, 3, 1)},
		{`resolvedWithinTime: false, resolution_Istartswith: "0", orderBy: ["-dateCreated"]`, c(1, 3)},
		{`resolvedWithinTime: true, resolution_Icontains: "5", orderBy: ["-dateCreated"]`, c(1, 0)},
		{`slaStatus: "MET", resolvedWithinTime: false, orderBy: ["-dateCreated"]`, c(0)},
	} {
		if got := firstThree(t, e, tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	e.setStatus(t, ids[4], "CLOSED")
	args := `resolvedWithinTime: true, orderBy: ["-dateCreated"]`
	if got := firstThree(t, e, args); got != c(1, 0) {
		t.Errorf("before the consumer: tickets(%s) = %s, want %s", args, got, c(1, 0))
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := firstThree(t, e, args); got != c(2, 4, 0) {
		t.Errorf("once indexed: tickets(%s) = %s, want %s", args, got, c(2, 4, 0))
	}
}

// Ensure a key (a partner system's reference) is found by its postings
// through the API on moto, each lookup, for a reader a category hides it
// from too (no lookup finds it there); a changed key is not found by its
// old value before the consumer runs, and by its new one after.
func TestTickets_KeyFromItsPostings(t *testing.T) {
	e := newDynamoEnv(t)
	e.configure(t, `{"grievance_types": ["Default", "Sensitive"], "grievance_anonymized_fields": {"Sensitive": ["key"]}}`)
	var ids, codes []string
	for i, tk := range []struct{ category, key string }{
		{"Default", "REF-LL-000001"},
		{"Default", "ref-ll-000001"},
		{"Sensitive", "REF-BT-000042"},
		{"Default", ""},
		{"Default", "REF-LL-000100"},
	} {
		args := fmt.Sprintf(`title: "k%d", category: %q`, i, tk.category)
		if tk.key != "" {
			args += fmt.Sprintf(`, key: %q`, tk.key)
		}
		id := e.createTicket(t, adminClaims, args)
		ids, codes = append(ids, id), append(codes, code(t, e, id))
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	plain := rightsClaims(viewerID, "127000", "127004", "127005")
	for _, tc := range []struct {
		claims     map[string]string
		args, want string
	}{
		{adminClaims, `key: "REF-LL-000001", orderBy: ["-dateCreated"]`, c(1, 0)},
		{adminClaims, `key_Iexact: "ref-LL-000001", orderBy: ["-dateCreated"]`, c(2, 1, 0)},
		{adminClaims, `key_Istartswith: "ref-", orderBy: ["title"]`, c(4, 0, 1, 2)},
		{adminClaims, `key_Icontains: "000042", orderBy: ["-dateCreated"]`, c(1, 2)},
		{adminClaims, `key_Icontains: "-ll-0001", orderBy: ["-dateCreated"]`, c(1, 4)},
		{plain, `key_Icontains: "000042", orderBy: ["-dateCreated"]`, c(0)},
		{plain, `key: "REF-BT-000042", orderBy: ["-dateCreated"]`, c(0)},
		{plain, `key_Istartswith: "ref-", orderBy: ["-dateCreated"]`, c(3, 4, 1, 0)},
	} {
		if got := firstThreeAs(t, e, tc.claims, tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	cmid := uuid.NewString()
	e.ok(t, adminClaims, fmt.Sprintf(`mutation { updateTicket(input: {id: %q, category: "Default", key: "REF-ZA-000009", clientMutationId: %q}) { internalId } }`, ids[0], cmid))
	e.mustSucceed(t, adminClaims, cmid)
	id := e.createTicket(t, adminClaims, `title: "k5", category: "Default", key: "REF-LL-000777"`)
	codes = append(codes, code(t, e, id))
	d := e.ok(t, adminClaims, `{ tickets(first: 3, key: "REF-LL-000001") { edges { node { code } } } }`)
	if n := nodes(d, "tickets"); len(n) != 0 {
		t.Errorf("before the consumer, the old key lists %v", n)
	}
	// The postings decide the list: a range read would list it already.
	if got := firstThree(t, e, `key: "REF-LL-000777"`); got != c(0) {
		t.Errorf("before the consumer, a new ticket's key lists %s", got)
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{`key: "REF-ZA-000009"`: c(1, 0), `key: "REF-LL-000001"`: c(0), `key: "REF-LL-000777"`: c(1, 5)} {
		if got := firstThree(t, e, args); got != want {
			t.Errorf("once indexed: tickets(%s) = %s, want %s", args, got, want)
		}
	}
}

// firstThree is the totalCount and codes of the first page of three of
// tickets(args), as the administrator.
func firstThree(t *testing.T, e *env, args string) string {
	t.Helper()
	return firstThreeAs(t, e, adminClaims, args)
}

// firstThreeAs is firstThree as the reader of claims.
func firstThreeAs(t *testing.T, e *env, claims map[string]string, args string) string {
	t.Helper()
	var out []string
	d := e.ok(t, claims, fmt.Sprintf(`{ tickets(first: 3, %s) { totalCount edges { node { code } } } }`, args))
	for _, n := range nodes(d, "tickets") {
		out = append(out, fmt.Sprint(n["code"]))
	}
	return fmt.Sprint(path(d, "tickets", "totalCount"), out)
}

// countAndCodes is what firstThree says of a list of total tickets whose
// first rows are codes[i…].
func countAndCodes(codes []string, total int, i ...int) string {
	var out []string
	for _, n := range i {
		out = append(out, codes[n])
	}
	return fmt.Sprint(total, out)
}

// samePageByPage checks that the next-page button, a row at a time, each
// page after the cursor of the one before, lists what one page of 10 does.
func samePageByPage(t *testing.T, e *env, args string) {
	t.Helper()
	got := e.pageByPage(t, args, -1, "code")
	d := e.ok(t, adminClaims, fmt.Sprintf(`{ tickets(first: 10, %s) { edges { node { code } } } }`, args))
	var want []string
	for _, nd := range nodes(d, "tickets") {
		want = append(want, fmt.Sprint(nd["code"]))
	}
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("tickets(%s) a page at a time: %v, want %v", args, got, want)
	}
}

// Ensure an icontains on a date of incident, and on a date created where
// it can only match the day, is decided by the date days through the API
// on moto: each answer and count, for a reader a category hides the date
// of incident from too (it never matches there); a new ticket is not
// listed before the consumer (a range read would list it), and is after.
func TestTickets_DateContainsFromTheDateDays(t *testing.T) {
	e := newDynamoEnv(t)
	e.configure(t, `{"grievance_types": ["Default", "Sensitive"], "grievance_anonymized_fields": {"Sensitive": ["date_of_incident"]}}`)
	var codes []string
	for i, tk := range []struct{ category, incident string }{
		{"Default", "2026-09-03"},
		{"Default", "2026-10-09"},
		{"Sensitive", "2026-09-13"},
		{"Default", ""},
		{"Default", "2025-09-30"},
	} {
		args := fmt.Sprintf(`title: "d%d", category: %q`, i, tk.category)
		if tk.incident != "" {
			args += fmt.Sprintf(`, dateOfIncident: %q`, tk.incident)
		}
		codes = append(codes, code(t, e, e.createTicket(t, adminClaims, args)))
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	d := e.ok(t, adminClaims, `{ tickets(first: 1) { edges { node { dateCreated } } } }`)
	filed := fmt.Sprint(nodes(d, "tickets")[0]["dateCreated"])[:10] // YYYY-MM-DD
	c := func(total int, i ...int) string { return countAndCodes(codes, total, i...) }
	plain := rightsClaims(viewerID, "127000", "127004", "127005")
	for _, tc := range []struct {
		claims     map[string]string
		args, want string
	}{
		{adminClaims, `dateOfIncident_Icontains: "-09-", orderBy: ["-dateCreated"]`, c(3, 4, 2, 0)},
		{adminClaims, `dateOfIncident_Icontains: "09", orderBy: ["title"]`, c(4, 0, 1, 2)},
		{adminClaims, `dateOfIncident_Icontains: "2026", title_Icontains: "d", orderBy: ["-dateCreated"]`, c(3, 2, 1, 0)},
		{adminClaims, `dateOfIncident_Icontains: "-31", orderBy: ["-dateCreated"]`, c(0)},
		{plain, `dateOfIncident_Icontains: "-09-", orderBy: ["-dateCreated"]`, c(2, 4, 0)},
		{adminClaims, fmt.Sprintf(`dateCreated_Icontains: %q, orderBy: ["-dateCreated"]`, filed[4:]), c(5, 4, 3, 2)},
		{adminClaims, fmt.Sprintf(`dateCreated_Icontains: %q, dateOfIncident_Icontains: "-10-", orderBy: ["-dateCreated"]`, filed[5:]), c(1, 1)},
	} {
		if got := firstThreeAs(t, e, tc.claims, tc.args); got != tc.want {
			t.Errorf("tickets(%s) = %s, want %s", tc.args, got, tc.want)
		}
	}
	id := e.createTicket(t, adminClaims, `title: "d5", category: "Default", dateOfIncident: "2026-09-21"`)
	codes = append(codes, code(t, e, id))
	// The days decide the list: a range read would list it already.
	if got := firstThree(t, e, `dateOfIncident_Icontains: "09-21"`); got != c(0) {
		t.Errorf("before the consumer, a new ticket's date of incident lists %s", got)
	}
	if _, err := e.db.IndexText(context.Background(), store.BackfillOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := firstThree(t, e, `dateOfIncident_Icontains: "09-21"`); got != c(1, 5) {
		t.Errorf("once indexed: the new ticket's date of incident lists %s", got)
	}
}
