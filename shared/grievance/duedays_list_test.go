package grievance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// dueConfig hides the due date of the Anon category from readers without
// the confidential right: a due date lookup or the SLA filter must not
// match it there.
const dueConfig = `{"grievance_types": ["Open", "Anon", "Secret"],
 "grievance_anonymized_fields": {"Anon": ["title", "due_date"]},
 "restricted_categories": {"Secret": ["127010"]},
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`

// seedDue stores 400 tickets over every status and category, due from
// three weeks before the services' clock (twins: 2026-11-21 09:00) to
// five weeks after, one in seven without a due date, one with a date the
// column cannot hold; every fifth is attended by the officer. Their
// periods start when they were filed (2026-10-01), or for one in nine
// when they were reopened (a period started later); four open tickets
// sit where the periods column cannot tell their level: a minute either
// side of AT_RISK's boundary (due 2026-11-30, 231 hours left of 924), a
// period of 334 days and one that starts after its deadline.
func seedDue(st *grievancetest.Store) {
	st.SetConfigDocument([]byte(dueConfig))
	clock := grievancetest.NewClock(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), time.Minute)
	for i := 1; i <= 400; i++ {
		t := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
			Title:    []string{"Payment not received", "Lost card", "Pay point closed"}[i%3] + fmt.Sprintf(" (%d)", i),
			Category: []string{"Open", "Anon", "Secret"}[(i/2)%3], Status: grievance.Statuses[i%len(grievance.Statuses)],
			Priority: []string{"High", "Low", "Medium"}[i/3%3], DateCreated: clock.Now()}
		switch {
		case i == 77:
			t.DueDate = "2026-02-30" // not a date: unknown to the column, judged
		case i%7 != 0:
			t.DueDate = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%56).Format(grievance.DateLayout)
		}
		if i%9 == 4 {
			t.SLAStart = t.DateCreated.AddDate(0, 0, 10+i%30)
		}
		boundary := time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC)
		switch i {
		case 100:
			t.DueDate, t.SLAStart = "2026-11-30", boundary.Add(time.Minute)
		case 101:
			t.DueDate, t.SLAStart = "2026-11-30", boundary.Add(-time.Minute)
		case 102:
			t.DueDate, t.SLAStart = "2026-12-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		case 105:
			t.DueDate, t.SLAStart = "2026-12-01", time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC)
		}
		if i%5 == 0 {
			t.AttendingStaffID = officer.ID
		}
		st.SeedTicket(t)
	}
}

// A live list by a due date lookup or the SLA filter BREACHED, ON_TRACK
// or AT_RISK is read from the postings and the due days column (with the
// periods column for the last two): its rows, order, count and
// next-page flag are those of reading every ticket, for every reader
// (the sight rule hides a due date in one category, a whole category in
// another), alone or with the panel, a text filter and each order; and
// until the column is complete the list reads its range instead.
func TestDueDays_ListsSameAnswerAsReadingEveryTicket(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	due := func(l grievance.Lookup, v string) grievance.Filter { return f("due_date", l, v) }
	yes := true
	type list struct {
		fs       []grievance.Filter
		sla      string
		within   *bool
		decided  bool // the index decides the whole list
		narrowed bool // the index narrows it (reads few tickets)
		// broad: most tickets pass; ordered by a column the category Anon
		// hides from a reader, every candidate is read and sorted.
		broad bool
	}
	lists := []list{
		{fs: []grievance.Filter{due(grievance.Exact, "2026-11-15")}, decided: true},
		{fs: []grievance.Filter{due(grievance.IExact, "2026-11-15")}, decided: true},
		{fs: []grievance.Filter{due(grievance.IStartsWith, "2026-12")}, decided: true},
		{fs: []grievance.Filter{due(grievance.IContains, "-1")}, decided: true, broad: true},
		{fs: []grievance.Filter{due(grievance.IStartsWith, "2026-02")}, narrowed: true}, // only the unknown day
		{fs: []grievance.Filter{due(grievance.IStartsWith, "2026-11"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{due(grievance.IContains, "11-2"), f("title", grievance.IContains, "pay")}, narrowed: true},
		{fs: []grievance.Filter{due(grievance.Exact, "2026-11-20"), f("category", grievance.Exact, "Open")}, decided: true},
		{sla: "BREACHED", decided: true},
		{sla: "BREACHED", fs: []grievance.Filter{f("status", grievance.Exact, "IN_PROGRESS")}, decided: true},
		{sla: "BREACHED", fs: []grievance.Filter{due(grievance.IStartsWith, "2026-11-1")}, decided: true},
		{sla: "BREACHED", fs: []grievance.Filter{f("title", grievance.IContains, "lost")}, narrowed: true},
		{sla: "BREACHED", fs: []grievance.Filter{f("status", grievance.Exact, "CLOSED")}, decided: true}, // none
		{sla: "AT_RISK", decided: true},
		{sla: "ON_TRACK", decided: true},
		{sla: "ON_TRACK", fs: []grievance.Filter{f("status", grievance.Exact, "IN_PROGRESS")}, decided: true},
		{sla: "AT_RISK", fs: []grievance.Filter{due(grievance.IStartsWith, "2026-11")}, decided: true},
		{sla: "AT_RISK", fs: []grievance.Filter{f("title", grievance.IContains, "lost")}, narrowed: true},
		{sla: "ON_TRACK", fs: []grievance.Filter{f("category", grievance.Exact, "Anon")}, decided: true},
		{sla: "ON_TRACK", within: &yes},
		{sla: "BREACHED", within: &yes},
		{sla: "MISSED", fs: []grievance.Filter{due(grievance.IStartsWith, "2026-11")}, narrowed: true},
	}
	orders := [][]string{nil, {"-dateCreated"}, {"dueDate"}, {"-dueDate"}, {"-priority"}, {"title"}, {"-status"}}
	qs := make([]grievance.TicketQuery, len(lists))
	for i, l := range lists {
		qs[i] = grievance.TicketQuery{Filters: l.fs, SLAStatus: l.sla, ResolvedWithinTime: l.within}
	}
	setComplete := func(st *grievancetest.Store, ok bool) {
		st.SetDueDaysComplete(ok)
		st.SetSLAPeriodsComplete(ok)
	}
	sameAsReadingEveryTicket(t, seedDue, setComplete, qs, orders,
		func(t *testing.T, complete bool, li int, order []string, indexed *bySeqSpy) {
			l, read := lists[li], indexed.read+indexed.scanned
			switch {
			case complete && l.decided && order == nil && read > 3*5:
				t.Errorf("%d tickets read for a page of 5 the postings and the column decide", read)
			case complete && (l.decided || l.narrowed) && !l.broad && read >= 120:
				t.Errorf("%d tickets read: the column did not narrow the list", read)
			case !complete && l.decided && (len(l.fs) > 0 && l.fs[0].Field == "due_date" || l.sla != "" && len(l.fs) == 0) && indexed.scanned == 0:
				t.Errorf("the column is not complete, yet the range was not read")
			}
		})
}

// sameAsReadingEveryTicket lists each query (a page of 5 with
// totalCount, in each order, by every reader) over twins seeded by seed,
// the index said complete (setComplete) and not: its rows, count and
// next-page flag, and those of the page after, must be reading every
// ticket's; check then judges what the indexed store read for query li.
func sameAsReadingEveryTicket(t *testing.T, seed func(*grievancetest.Store), setComplete func(*grievancetest.Store, bool),
	queries []grievance.TicketQuery, orders [][]string, check func(t *testing.T, complete bool, li int, order []string, indexed *bySeqSpy)) {
	t.Helper()
	for _, complete := range []bool{true, false} {
		withIndex, plain, indexed := twins(seed)
		setComplete(indexed.Store, complete)
		for _, reader := range []*grievance.Principal{admin, officer, confOfficer, specialist, viewer} {
			ctx := grievance.NewContext(context.Background(), reader)
			for li, q := range queries {
				for _, order := range orders {
					t.Run(fmt.Sprintf("complete=%v/%s/%d_%s/%v", complete, reader.Username, li, q.SLAStatus, order), func(t *testing.T) {
						q.OrderBy, q.WantCount, q.Page = order, true, grievance.PageArgs{First: intp(5)}
						indexed.read, indexed.scanned = 0, 0
						got, want := bothAnswers(t, withIndex, plain, ctx, q)
						if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount || got.HasNextPage != want.HasNextPage {
							t.Fatalf("with the index %s (%d, next %v), reading every ticket %s (%d, next %v)",
								codes(got.Items), got.TotalCount, got.HasNextPage, codes(want.Items), want.TotalCount, want.HasNextPage)
						}
						check(t, complete, li, order, indexed)
						if got.TotalCount > 0 && len(got.Items) > 0 {
							// The next page, from the client's cursor.
							q.Page.After = got.Cursor(len(got.Items) - 1)
							got2, want2 := bothAnswers(t, withIndex, plain, ctx, q)
							if codes(got2.Items) != codes(want2.Items) || got2.HasNextPage != want2.HasNextPage {
								t.Errorf("page 2: with the index %s, reading every ticket %s", codes(got2.Items), codes(want2.Items))
							}
						}
					})
				}
			}
		}
	}
}

// Ensure ON_TRACK and AT_RISK are counted exactly when more tickets than
// are read and judged sit within a unit of the boundary: 90 open tickets
// due 2026-11-30 whose periods differ by a second across the minute that
// holds it (at-risk share 0.27: 855 h 33 min 20 s), either side of it,
// among 60 clearly on track or at risk; the list is judged on its rows,
// never counted by a bound.
func TestDueDays_OpenLevelsAtTheBoundaryCountedExactly(t *testing.T) {
	seed := seedBoundary(150, 90, "At the boundary", func(i int) time.Duration { return time.Duration(400+i*4) * time.Hour })
	qs := []grievance.TicketQuery{{SLAStatus: "AT_RISK"}, {SLAStatus: "ON_TRACK"}}
	setComplete := func(st *grievancetest.Store, ok bool) {
		st.SetDueDaysComplete(ok)
		st.SetSLAPeriodsComplete(ok)
	}
	sameAsReadingEveryTicket(t, seed, setComplete, qs, [][]string{nil, {"dueDate"}, {"-priority"}},
		func(*testing.T, bool, int, []string, *bySeqSpy) {})
}

// Ensure the tickets the columns cannot tell are read beside the page
// only for a count the postings make: with a title search longer than a
// trigram (its count judges every candidate) each candidate is read once,
// not once more for the count. 20 open tickets within the boundary's
// minute, 30 clearly on either side, all titled alike; the answer is
// reading every ticket's.
func TestDueDays_UnknownTicketsReadOnceWhenEveryCandidateIsJudged(t *testing.T) {
	withIndex, plain, indexed := twins(seedBoundary(50, 20, "Lost card", func(i int) time.Duration { return time.Duration(400+i*24) * time.Hour }))
	ctx := grievance.NewContext(context.Background(), admin)
	for _, level := range []string{"AT_RISK", "ON_TRACK"} {
		indexed.read, indexed.seqs = 0, map[int64]bool{}
		q := grievance.TicketQuery{SLAStatus: level, WantCount: true, Page: grievance.PageArgs{First: intp(5)},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "lost card"}}}
		got, want := bothAnswers(t, withIndex, plain, ctx, q)
		if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
			t.Fatalf("%s: with the index %s (%d), reading every ticket %s (%d)", level, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
		}
		if indexed.read != len(indexed.seqs) {
			t.Errorf("%s: %d tickets read by number for %d distinct: the count's read repeats the candidates'", level, indexed.read, len(indexed.seqs))
		}
	}
}

// seedBoundary stores n open tickets due 2026-11-30 in a programme whose
// at-risk share is 0.27: the first near of them with periods a second
// apart across the minute that holds the AT_RISK boundary (855 h 33 min
// 20 s), the others with the period clear gives them, well on either
// side; each titled title and its number.
func seedBoundary(n, near int, title string, clear func(i int) time.Duration) func(*grievancetest.Store) {
	return func(st *grievancetest.Store) {
		st.SetConfigDocument([]byte(`{"grievance_types": ["Open"], "sla_at_risk_share": 0.27,
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`))
		deadline := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
		boundary := 855*time.Hour + 33*time.Minute
		for i := 1; i <= n; i++ {
			total := boundary + time.Duration(i%60)*time.Second
			if i > near {
				total = clear(i)
			}
			start := deadline.Add(-total)
			st.SeedTicket(&grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
				Title: fmt.Sprintf("%s (%d)", title, i), Category: "Open", Status: grievance.StatusOpen,
				Priority: "High", DateCreated: start, SLAStart: start, DueDate: "2026-11-30"})
		}
	}
}
