package grievance_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// liveTextConfig hides the channel, flags and date of incident of the
// Anon category from readers without the confidential right: a lookup on
// them must not match there.
const liveTextConfig = `{"grievance_types": ["Open", "Anon", "Secret"],
 "grievance_anonymized_fields": {"Anon": ["channel", "flags", "date_of_incident"]},
 "restricted_categories": {"Secret": ["127010"]},
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`

// seedLiveTexts stores 400 tickets over every status and category, with
// channels that share words, case and grams ("Hotline", "hotline",
// "Hotline (old)", "SMS", "sms line", none), flags as one word, words or
// a JSON array, and incidents over three months (some unknown), filed
// three hours apart over fifty days; every fifth is attended by the
// officer, every eleventh deleted.
func seedLiveTexts(st *grievancetest.Store) {
	st.SetConfigDocument([]byte(liveTextConfig))
	clock := grievancetest.NewClock(time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), 3*time.Hour)
	channels := []string{"Hotline", "SMS", "hotline", "Hotline (old)", "", "sms line", "Web form"}
	flags := []string{"Urgent", "", "GBV Urgent", `["GBV", "Minor"]`, "Minor"}
	for i := 1; i <= 400; i++ {
		t := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-a000-%012d", i), Version: 1,
			Title:    []string{"Payment not received", "Lost card", "Pay point closed"}[i%3] + fmt.Sprintf(" (%d)", i),
			Category: []string{"Open", "Anon", "Secret"}[(i/2)%3], Status: grievance.Statuses[i%len(grievance.Statuses)],
			Priority: []string{"High", "Low", "Medium"}[i/3%3], DateCreated: clock.Now(),
			Channel: channels[i%len(channels)], Flags: flags[i/7%len(flags)], IsDeleted: i%11 == 0}
		if i%6 != 0 {
			t.DateOfIncident = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%90).Format(grievance.DateLayout)
		}
		if i%5 == 0 {
			t.AttendingStaffID = officer.ID
		}
		st.SeedTicket(t)
	}
}

// A live list by a channel, flags, a date of incident or the day a
// ticket was filed is read from their postings: its rows, order, count and next-page flag are those of
// reading every ticket, for every reader (the sight rule hides these
// fields in one category, a whole category in another), for each lookup,
// alone or with the panel, a text filter and each order; and until the
// store says every ticket is in the postings the list reads its range.
func TestLiveTexts_ListsSameAnswerAsReadingEveryTicket(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	type list struct {
		fs []grievance.Filter
		// decided: the postings decide the whole list (and count it);
		// undecided: a filter no index decides reads the range.
		decided, undecided bool
	}
	lists := []list{
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline")}, decided: true},
		{fs: []grievance.Filter{f("channel", grievance.Exact, "SMS line")}, decided: true}, // none: the case differs
		{fs: []grievance.Filter{f("channel", grievance.IExact, "hotline")}, decided: true},
		{fs: []grievance.Filter{f("channel", grievance.IStartsWith, "hot")}, decided: true},
		{fs: []grievance.Filter{f("channel", grievance.IStartsWith, "Hotline (old) and then some more words")}},
		{fs: []grievance.Filter{f("channel", grievance.IContains, "line")}},
		{fs: []grievance.Filter{f("channel", grievance.IContains, "s")}},
		{fs: []grievance.Filter{f("flags", grievance.IContains, "gbv")}},
		{fs: []grievance.Filter{f("flags", grievance.Exact, "Minor")}, decided: true},
		{fs: []grievance.Filter{f("flags", grievance.IContains, `"minor"`)}},
		{fs: []grievance.Filter{f("date_of_incident", grievance.Exact, "2026-08-15")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IStartsWith, "2026-09")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IExact, "2026-08-15")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-09")}, undecided: true}, // no grams of dates
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{f("channel", grievance.IContains, "sms"), f("category", grievance.Exact, "Open"), f("priority", grievance.IContains, "high")}},
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("title", grievance.IContains, "pay")}},
		{fs: []grievance.Filter{f("flags", grievance.IContains, "urgent"), f("attending_staff__id", grievance.Exact, officer.ID)}},
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("resolution", grievance.IContains, "5")}, undecided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-10-1")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-11-05"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-11"), f("title", grievance.IContains, "lost")}},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-10-01T12")}, undecided: true}, // past the day
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "T09")}, undecided: true},
	}
	orders := [][]string{nil, {"-dateCreated"}, {"dueDate"}, {"-priority"}, {"title"}, {"-status"}, {"attendingStaff"}}
	qs := make([]grievance.TicketQuery, len(lists))
	for i, l := range lists {
		qs[i] = grievance.TicketQuery{Filters: l.fs}
	}
	sameAsReadingEveryTicket(t, seedLiveTexts, (*grievancetest.Store).SetLiveTextsComplete, qs, orders,
		func(t *testing.T, complete bool, li int, order []string, indexed *bySeqSpy) {
			l, read := lists[li], indexed.read+indexed.scanned
			switch {
			case complete && l.decided && order == nil && read > 3*5:
				t.Errorf("%d tickets read for a page of 5 the postings decide", read)
			case complete && !l.undecided && indexed.scanned > 0 && len(order) == 0:
				t.Errorf("%d tickets read from a range: the postings did not narrow the list", indexed.scanned)
			case !complete && len(l.fs) == 1 && indexed.scanned == 0:
				t.Errorf("the postings are not complete, yet the range was not read")
			}
		})
}
