package grievance_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// liveTextConfig hides the channel, flags, resolution time, date of
// incident, key and due date of the Anon category from readers without the
// confidential right: a lookup on them, or a service level, must not
// match there.
const liveTextConfig = `{"grievance_types": ["Open", "Anon", "Secret"],
 "grievance_anonymized_fields": {"Anon": ["channel", "flags", "resolution", "date_of_incident", "due_date", "key"]},
 "restricted_categories": {"Secret": ["127010"]},
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`

// seedLiveTexts stores 400 tickets over every status and category, with
// channels that share words, case and grams ("Hotline", "hotline",
// "Hotline (old)", "SMS", "sms line", none), flags as one word, words or
// a JSON array, resolution times that share digits ("5,0", "05,00",
// "12,5") and incidents over three months (some unknown), filed three
// hours apart over fifty days; three in four due 0 to 8 days after they
// were filed, the resolved ones resolved 0 to 12 days after (or, one in
// seven, last updated then, with no time of resolution recorded: met or
// missed either way); keys that share a partner's prefix, a number, or
// differ only in case ("REF-LL-0005", "ref-ll-0005"), or none; every
// fifth is attended by the officer, every eleventh deleted.
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
			Channel: channels[i%len(channels)], Flags: flags[i/7%len(flags)], IsDeleted: i%11 == 0,
			Resolution: []string{"5,0", "4,0", "6,12", "", "05,00", "12,5"}[i/2%6]}
		if p := []string{"REF-LL", "ref-ll", "REF-BT", "", "Partner ZA"}[i%5]; p != "" {
			t.Key = fmt.Sprintf("%s-%04d", p, i/3)
		}
		t.DateUpdated = t.DateCreated
		if i%4 != 0 {
			t.DueDate = t.DateCreated.AddDate(0, 0, i%9).Format(grievance.DateLayout)
		}
		if t.Status.Terminal() {
			t.DateUpdated = t.DateCreated.AddDate(0, 0, i%13)
			if i%7 != 0 {
				t.DateResolved = t.DateUpdated
			}
		}
		switch {
		case i%97 == 0:
			t.DateOfIncident = "1969-07-20" // before the columns' days: read
		case i%6 != 0:
			t.DateOfIncident = time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%90).Format(grievance.DateLayout)
		}
		if i%5 == 0 {
			t.AttendingStaffID = officer.ID
		}
		st.SeedTicket(t)
	}
}

// A live list by a channel, flags, a resolution time, a date of incident,
// the day a ticket was filed, a key or a resolved ticket's service level (MET,
// MISSED, resolvedWithinTime) is read from their postings: its rows,
// order, count and next-page flag are those of
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
		// sla and within are the SLA filter (slaStatus,
		// resolvedWithinTime).
		sla    string
		within *bool
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
		// The date days decide what the postings do not: icontains on a
		// date of incident, a prefix longer than a date, icontains on a
		// date created where the match lies in the day.
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-09")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "08-1")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "19")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IStartsWith, "2026-08-15 or so")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "09-2"), f("channel", grievance.Exact, "Hotline")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-1"), f("title", grievance.IContains, "car")}},
		// A count bounded by the candidates not read (more than 60, a
		// text longer than 3 characters) with tickets of 1969 the column
		// cannot tell among them.
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-1"), f("title", grievance.IContains, "card")}},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "9"), f("title", grievance.IContains, "received")}},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-08-"), f("status", grievance.IContains, "OPEN"), f("priority", grievance.Exact, "High")}, decided: true},
		{fs: []grievance.Filter{f("date_of_incident", grievance.IContains, "-08-"), f("due_date", grievance.IContains, "-10-")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "-10-0")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "11-1"), f("date_of_incident", grievance.IContains, "10")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "10-01t")}, undecided: true}, // into the time
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "2026")}, undecided: true},   // digits: a fraction may hold them
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{f("channel", grievance.IContains, "sms"), f("category", grievance.Exact, "Open"), f("priority", grievance.IContains, "high")}},
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("title", grievance.IContains, "pay")}},
		{fs: []grievance.Filter{f("flags", grievance.IContains, "urgent"), f("attending_staff__id", grievance.Exact, officer.ID)}},
		{fs: []grievance.Filter{f("channel", grievance.Exact, "Hotline"), f("resolution", grievance.IContains, "5")}},
		{fs: []grievance.Filter{f("resolution", grievance.Exact, "5,0")}, decided: true},
		{fs: []grievance.Filter{f("resolution", grievance.IExact, "05,00")}, decided: true},
		{fs: []grievance.Filter{f("resolution", grievance.IStartsWith, "1")}, decided: true},
		{fs: []grievance.Filter{f("resolution", grievance.IContains, "12")}},
		{fs: []grievance.Filter{f("resolution", grievance.IContains, ",")}, decided: true},
		{sla: "MET", decided: true},
		{sla: "MISSED", decided: true},
		{within: ptr(true), decided: true},
		{within: ptr(false), decided: true},
		{sla: "MET", within: ptr(true), decided: true},
		{sla: "MISSED", within: ptr(true), undecided: true}, // none: the range says so
		{sla: "MET", fs: []grievance.Filter{f("channel", grievance.IExact, "hotline")}, decided: true},
		{sla: "MISSED", fs: []grievance.Filter{f("status", grievance.Exact, "CLOSED"), f("priority", grievance.IContains, "low")}, decided: true},
		{within: ptr(false), fs: []grievance.Filter{f("title", grievance.IContains, "card")}},
		{sla: "MET", fs: []grievance.Filter{f("due_date", grievance.IStartsWith, "2026-10")}},
		{sla: "ON_TRACK", fs: []grievance.Filter{f("channel", grievance.Exact, "SMS")}, decided: true}, // with the due days' columns
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-10-1")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-11-05"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-11"), f("title", grievance.IContains, "lost")}},
		{fs: []grievance.Filter{f("date_created", grievance.IStartsWith, "2026-10-01T12")}, undecided: true}, // past the day
		{fs: []grievance.Filter{f("date_created", grievance.IContains, "T09")}, undecided: true},
		{fs: []grievance.Filter{f("key", grievance.Exact, "REF-LL-0005")}, decided: true},
		{fs: []grievance.Filter{f("key", grievance.IExact, "ref-ll-0005")}, decided: true},
		{fs: []grievance.Filter{f("key", grievance.IStartsWith, "ref-ll-00")}, decided: true},
		{fs: []grievance.Filter{f("key", grievance.IContains, "-0005")}},
		{fs: []grievance.Filter{f("key", grievance.IContains, "partner")}},
		{fs: []grievance.Filter{f("key", grievance.IStartsWith, "Partner ZA-0012 and a reference past the prefixes")}},
		{fs: []grievance.Filter{f("key", grievance.Exact, "REF-BT-0004"), f("status", grievance.IContains, "OPEN")}, decided: true},
		{fs: []grievance.Filter{f("key", grievance.IStartsWith, "ref"), f("title", grievance.IContains, "card")}},
	}
	orders := [][]string{nil, {"-dateCreated"}, {"dueDate"}, {"-priority"}, {"title"}, {"-status"}, {"attendingStaff"}}
	qs := make([]grievance.TicketQuery, len(lists))
	for i, l := range lists {
		qs[i] = grievance.TicketQuery{Filters: l.fs, SLAStatus: l.sla, ResolvedWithinTime: l.within}
	}
	complete := func(s *grievancetest.Store, ok bool) { s.SetLiveTextsComplete(ok); s.SetDateDaysComplete(ok) }
	sameAsReadingEveryTicket(t, seedLiveTexts, complete, qs, orders,
		func(t *testing.T, complete bool, li int, order []string, indexed *bySeqSpy) {
			l, read := lists[li], indexed.read+indexed.scanned
			// One filter, on these postings (a channel's, a level's):
			// until they are complete the list reads its range.
			alone := len(l.fs) == 1 && l.sla == "" && l.within == nil || len(l.fs) == 0
			switch {
			case complete && l.decided && order == nil && read > 3*5:
				t.Errorf("%d tickets read for a page of 5 the postings decide", read)
			case complete && !l.undecided && indexed.scanned > 0 && len(order) == 0:
				t.Errorf("%d tickets read from a range: the postings did not narrow the list", indexed.scanned)
			case !complete && alone && indexed.scanned == 0:
				t.Errorf("the postings are not complete, yet the range was not read")
			}
		})
}

// A table indexed under version 2 of the live postings (before the key's)
// decides a list by a field version 2 held (a channel, a resolved
// level) by its postings, and reads the range for a key until the
// backfill's text pass, with the same answer as reading every ticket.
func TestLiveTexts_AnEarlierVersionDecidesTheFieldsItHeld(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	// atVersion2 is what a list reads from a range on a table at
	// version 2: nothing (its postings decide it), its range (a key
	// alone), or whatever narrows it (a key with a channel: the channel's
	// posting, the key judged on its candidates).
	const nothing, theRange, either = 0, 1, 2
	lists := []struct {
		q          grievance.TicketQuery
		atVersion2 int
	}{
		{grievance.TicketQuery{Filters: []grievance.Filter{f("channel", grievance.Exact, "Hotline")}}, nothing},
		{grievance.TicketQuery{SLAStatus: "MET"}, nothing},
		{grievance.TicketQuery{Filters: []grievance.Filter{f("key", grievance.Exact, "REF-LL-0005")}}, theRange},
		{grievance.TicketQuery{Filters: []grievance.Filter{f("key", grievance.IContains, "partner"), f("channel", grievance.IExact, "hotline")}}, either},
	}
	qs := make([]grievance.TicketQuery, len(lists))
	for i, l := range lists {
		qs[i] = l.q
	}
	version := func(st *grievancetest.Store, latest bool) {
		st.SetLiveTextsIndexed(map[bool]int{true: grievance.LiveTextsVersion, false: 2}[latest])
	}
	sameAsReadingEveryTicket(t, seedLiveTexts, version, qs, [][]string{nil, {"title"}},
		func(t *testing.T, latest bool, li int, order []string, indexed *bySeqSpy) {
			switch want := lists[li].atVersion2; {
			case latest && indexed.scanned > 0:
				t.Errorf("%d tickets read from a range at the latest version", indexed.scanned)
			case !latest && want == nothing && indexed.scanned > 0:
				t.Errorf("%d tickets read from a range: version 2 holds the list's field", indexed.scanned)
			case !latest && want == theRange && indexed.scanned == 0:
				t.Errorf("version 2 holds no key, yet the range was not read")
			}
		})
}

// A list the date days decide fails with the store's error when a column
// or its marker cannot be read: no answer from what was read before the
// failure, no range read in its place.
func TestDateDays_AFailedReadFailsTheList(t *testing.T) {
	for _, op := range []string{"DateDays", "DateDaysComplete"} {
		t.Run(op, func(t *testing.T) {
			st := grievancetest.NewStore()
			seedLiveTexts(st)
			boom := errors.New("connection reset")
			st.Fail = func(got string) error {
				if got == op {
					return boom
				}
				return nil
			}
			svc := grievance.NewService(st, time.Now, grievancetest.IDs(), grievance.Options{History: st})
			_, err := svc.ListTickets(grievance.NewContext(context.Background(), admin), grievance.TicketQuery{WantCount: true,
				Filters: []grievance.Filter{{Field: "date_of_incident", Lookup: grievance.IContains, Value: "-09-"}}})
			if !errors.Is(err, boom) {
				t.Fatalf("list with %s failing: %v, want the store's error", op, err)
			}
		})
	}
}

// markerSpy counts the reads of the live postings' marker; its first
// waits until the postings are read, and fails after a while when they
// are not: a plan that asks the marker before the postings fails it.
type markerSpy struct {
	*grievancetest.Store
	mu       sync.Mutex
	markers  int
	reads    int // of the postings
	postings chan struct{}
}

func (s *markerSpy) Postings(ctx context.Context, keys []grievance.PostingKey) (map[grievance.PostingKey]*grievance.SeqSet, error) {
	s.mu.Lock()
	s.reads++
	select {
	case <-s.postings:
	default:
		close(s.postings)
	}
	s.mu.Unlock()
	return s.Store.Postings(ctx, keys)
}

func (s *markerSpy) LiveTextsIndexed(ctx context.Context) (int, error) {
	s.mu.Lock()
	s.markers++
	first := s.markers == 1
	s.mu.Unlock()
	if first {
		select {
		case <-s.postings:
		case <-time.After(2 * time.Second):
			return 0, errors.New("the marker was asked before the postings were read")
		}
	}
	return s.Store.LiveTextsIndexed(ctx)
}

// A container the store has not told the live postings' version yet
// reads the marker beside the postings, not before them (a round trip
// fewer), guessing the latest version; a table at an earlier version
// plans again with its answer where it lacks a field of the list (and
// only then), the same answer as reading every ticket; and a container
// told once does not ask again while its version holds the list's
// fields.
func TestLiveTexts_ColdContainerReadsTheMarkerBesideThePostings(t *testing.T) {
	key := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(5)},
		Filters: []grievance.Filter{{Field: "key", Lookup: grievance.IStartsWith, Value: "ref-ll-00"}}}
	channel := grievance.TicketQuery{WantCount: true, Page: grievance.PageArgs{First: intp(5)},
		Filters: []grievance.Filter{{Field: "channel", Lookup: grievance.Exact, Value: "Hotline"}}}
	for _, tc := range []struct {
		name    string
		version int
		lists   []grievance.TicketQuery
		markers int // reads of the marker, all lists
		reads   int // reads of the postings, all lists
	}{
		{"latest", grievance.LiveTextsVersion, []grievance.TicketQuery{key, channel, key}, 1, 3},
		// The key planned again reads its range; the second asks again.
		{"version 2, a key first", 2, []grievance.TicketQuery{key, channel, key}, 2, 2},
		{"version 2, a channel first", 2, []grievance.TicketQuery{channel, channel}, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			seedLiveTexts(st)
			st.SetLiveTextsIndexed(tc.version)
			spy := &markerSpy{Store: st, postings: make(chan struct{})}
			plain := grievancetest.NewStore()
			seedLiveTexts(plain)
			now := func() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }
			svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: st})
			oracle := grievance.NewService(noIndex{plain}, now, grievancetest.IDs(), grievance.Options{History: uncounted{plain}})
			ctx := grievance.NewContext(context.Background(), admin)
			for i, q := range tc.lists {
				got, err := svc.ListTickets(ctx, q)
				if err != nil {
					t.Fatalf("list %d: %v", i, err)
				}
				want, err := oracle.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if codes(got.Items) != codes(want.Items) || got.TotalCount != want.TotalCount {
					t.Fatalf("list %d: %s (%d), reading every ticket %s (%d)", i, codes(got.Items), got.TotalCount, codes(want.Items), want.TotalCount)
				}
			}
			if spy.markers != tc.markers || spy.reads != tc.reads {
				t.Errorf("the marker read %d times and the postings %d, want %d and %d", spy.markers, spy.reads, tc.markers, tc.reads)
			}
		})
	}
}
