package grievance_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

type sent struct {
	to   string
	kind string
	ch   grievance.Channel
	text string
}

// fakeSender records messages; throttle makes the first N sends fail as
// a throttled provider does.
type fakeSender struct {
	mu       sync.Mutex
	out      []sent
	throttle int
	calls    int
}

func (f *fakeSender) Send(ctx context.Context, to string, m *grievance.Rendered) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.throttle > 0 {
		f.throttle--
		return grievance.Errorf(grievance.CodeUnavailable, "Rate exceeded.")
	}
	f.out = append(f.out, sent{to, m.Kind, m.Channel, m.Subject + "\n" + m.Body})
	return nil
}

const (
	staffID  = "11111111-1111-4111-8111-111111111111"
	chiefID  = "22222222-2222-4222-8222-222222222222"
	focalID  = "44444444-4444-4444-8444-444444444444"
	bossID   = "55555555-5555-4555-8555-555555555555"
	reportID = "33333333-3333-4333-8333-333333333333"
)

type notifyEnv struct {
	store  *grievancetest.NotifyStore
	sender *fakeSender
	n      *grievance.Notifier
	now    time.Time
	pauses []time.Duration
}

func newNotifyEnv(t *testing.T, doc string) *notifyEnv {
	t.Helper()
	e := &notifyEnv{store: grievancetest.NewNotifyStore(grievancetest.NewStore()), sender: &fakeSender{}, now: at("2026-03-01 10:00")}
	if doc != "" {
		e.store.SetConfigDocument([]byte(doc))
	}
	e.store.AddPeople(
		grievance.Person{ID: staffID, Type: grievance.PersonUser, Username: "officer", Email: "officer@example.org"},
		grievance.Person{ID: chiefID, Type: grievance.PersonUser, Username: "chief", Email: "chief@example.org", Roles: []string{"9"}},
		// Role 8 escalations of a restricted category: the focal point's
		// group holds its right, the admin group every right, chief's none.
		grievance.Person{ID: focalID, Type: grievance.PersonUser, Username: "focal", Email: "focal@example.org", Roles: []string{"8"}, Groups: []string{"GbvFocal"}},
		grievance.Person{ID: bossID, Type: grievance.PersonUser, Username: "boss", Email: "boss@example.org", Roles: []string{"8"}, Groups: []string{"GrievanceAdmin"}},
		grievance.Person{ID: "66666666-6666-4666-8666-666666666666", Type: grievance.PersonUser, Username: "clerk", Email: "clerk@example.org", Roles: []string{"8"}, Groups: []string{"GrievanceOfficer"}},
		grievance.Person{ID: reportID, Type: grievance.PersonIndividual, Phone: "+67077000001"},
	)
	e.n = grievance.NewNotifier(e.store, e.sender, func() time.Time { return e.now }, func(_ context.Context, d time.Duration) error {
		e.pauses = append(e.pauses, d)
		return nil
	})
	return e
}

func (e *notifyEnv) ticket(id string, edit func(*grievance.Ticket)) {
	t := &grievance.Ticket{ID: id, Version: 1, Status: grievance.StatusReceived, Category: "Category A", DueDate: "2026-03-05",
		AttendingStaffID: staffID, Contact: &grievance.Contact{Phone: "+67077123456", Email: "c@example.org"}}
	if edit != nil {
		edit(t)
	}
	e.store.SeedTicket(t)
}

// Ensure each event reaches the right people by the right channel with
// the right message, and nobody else.
func TestNotifier_Recipients(t *testing.T) {
	const confidential = `{"restricted_categories": {"Category B": ["127007"]}}`
	for _, tc := range []struct {
		name   string
		doc    string
		edit   func(*grievance.Ticket)
		notice grievance.Notice
		want   []string // "to kind" pairs in order
		text   string   // every message contains it
		never  string   // no message contains it
	}{
		{"AcknowledgementBySMS", "", nil, grievance.Notice{Type: grievance.NoticeCreated}, []string{"+67077123456 acknowledgement"}, "GRS00000001", ""},
		{"EmailWhenPreferred", `{"notifications": {"preferred_channel": "email", "templates": {"acknowledgement": {"en": {"email": "Got {code}\nThanks"}}, "neutral": {"en": {"sms": "x {code}"}}, "staff_neutral": {"en": {"email": "x\n{link}"}}}}}`,
			nil, grievance.Notice{Type: grievance.NoticeCreated}, []string{"c@example.org acknowledgement"}, "Got GRS00000001", ""},
		{"EmailWhenNoPhone", "", func(t *grievance.Ticket) { t.Contact = &grievance.Contact{Email: "c@example.org"} },
			grievance.Notice{Type: grievance.NoticeCreated}, []string{"c@example.org acknowledgement"}, "", ""},
		{"ReporterRecordWithoutContact", "", func(t *grievance.Ticket) {
			t.Contact, t.ReporterType, t.ReporterID = nil, grievance.PersonIndividual, reportID
		}, grievance.Notice{Type: grievance.NoticeCreated}, []string{"+67077000001 acknowledgement"}, "", ""},
		{"AnonymousNobody", "", func(t *grievance.Ticket) { t.Contact = &grievance.Contact{Anonymous: true} },
			grievance.Notice{Type: grievance.NoticeCreated}, nil, "", ""},
		{"ResolvedAsksRating", "", nil, grievance.Notice{Type: grievance.NoticeResolved},
			[]string{"+67077123456 resolved", "+67077123456 rating_request"}, "GRS00000001", ""},
		{"StatusChangeOfResolveSilent", "", nil, grievance.Notice{Type: grievance.NoticeStatusChanged, Mutation: "resolveGrievanceByComment"}, nil, "", ""},
		{"AppealToldAsReopen", "", nil, grievance.Notice{Type: grievance.NoticeAppealed, Mutation: grievance.MutationRate},
			[]string{"+67077123456 reopened"}, "GRS00000001", ""},
		{"StatusChangeOfAppealSilent", "", nil, grievance.Notice{Type: grievance.NoticeStatusChanged, Mutation: grievance.MutationRate}, nil, "", ""},
		{"StatusChange", "", nil, grievance.Notice{Type: grievance.NoticeStatusChanged, Mutation: "updateTicket"},
			[]string{"+67077123456 status_changed"}, "RECEIVED", ""},
		{"AssignmentToStaff", "", nil, grievance.Notice{Type: grievance.NoticeStaffAssigned},
			[]string{"officer@example.org staff_assigned"}, "Category A", ""},
		{"EscalationToStaffAndRole", "", nil, grievance.Notice{Type: grievance.NoticeEscalated, Role: "9"},
			[]string{"officer@example.org staff_escalated", "chief@example.org staff_escalated"}, "", ""},
		{"OverdueToAttendingStaff", "", func(t *grievance.Ticket) { t.AttendingStaffID = chiefID }, grievance.Notice{Type: grievance.NoticeOverdue},
			[]string{"chief@example.org staff_overdue"}, "", ""},
		{"ConfidentialComplainantNeutral", confidential, func(t *grievance.Ticket) { t.Category = "Category B" },
			grievance.Notice{Type: grievance.NoticeCreated}, []string{"+67077123456 neutral"}, "Your case GRS00000001 has been updated.", "Category B"},
		{"ConfidentialStaffLink", confidential, func(t *grievance.Ticket) { t.Category = "Category B" },
			grievance.Notice{Type: grievance.NoticeOverdue}, []string{"officer@example.org staff_neutral"}, "/tickets/t1", "Category B"},
		{"RestrictedEscalationOnlyToWhoMaySeeIt", `{"restricted_categories": {"Category B": ["127007"]}, "role_rights": {"GbvFocal": ["127007"], "GrievanceOfficer": ["127000"]}}`,
			func(t *grievance.Ticket) { t.Category = "Category B" }, grievance.Notice{Type: grievance.NoticeEscalated, Role: "8"},
			[]string{"officer@example.org staff_neutral", "boss@example.org staff_neutral", "focal@example.org staff_neutral"}, "/tickets/t1", "Category B"},
		{"UnrestrictedEscalationToEveryRoleHolder", "", nil, grievance.Notice{Type: grievance.NoticeEscalated, Role: "8"},
			[]string{"officer@example.org staff_escalated", "boss@example.org staff_escalated", "clerk@example.org staff_escalated", "focal@example.org staff_escalated"}, "", ""},
		{"DeletedTicketSilent", "", func(t *grievance.Ticket) { t.IsDeleted = true }, grievance.Notice{Type: grievance.NoticeCreated}, nil, "", ""},
		{"DisabledSendsNothing", `{"notifications": {"enabled": false}}`, nil, grievance.Notice{Type: grievance.NoticeCreated}, nil, "", ""},
		{"OtherEventsIgnored", "", nil, grievance.Notice{Type: "ticket.deleted"}, nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newNotifyEnv(t, tc.doc)
			e.ticket("t1", tc.edit)
			tc.notice.EventID, tc.notice.TicketID = "ev-1", "t1"
			if _, err := e.n.Notify(context.Background(), tc.notice); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range e.sender.out {
				got = append(got, s.to+" "+s.kind)
				if !strings.Contains(s.text, tc.text) {
					t.Errorf("message %q lacks %q", s.text, tc.text)
				}
				if tc.never != "" && strings.Contains(s.text, tc.never) {
					t.Errorf("message %q reveals %q", s.text, tc.never)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("sent %q, want %q", got, tc.want)
			}
		})
	}
}

// Ensure delivery is exactly once per event and recipient, honours
// opt-outs and quiet hours, retries a throttled provider with growing
// pauses and gives the event back (claim released) when it keeps failing.
func TestNotifier_Delivery(t *testing.T) {
	created := grievance.Notice{EventID: "ev-1", Type: grievance.NoticeCreated, TicketID: "t1"}
	for _, tc := range []struct {
		name     string
		doc      string
		setup    func(e *notifyEnv)
		run      func(e *notifyEnv) error
		wantSent int
		check    func(t *testing.T, e *notifyEnv)
	}{
		{name: "RedeliveredEventSendsOnce", run: func(e *notifyEnv) error {
			for range 3 {
				if _, err := e.n.Notify(context.Background(), created); err != nil {
					return err
				}
			}
			return nil
		}, wantSent: 1},
		{name: "OtherEventSendsAgain", run: func(e *notifyEnv) error {
			if _, err := e.n.Notify(context.Background(), created); err != nil {
				return err
			}
			_, err := e.n.Notify(context.Background(), grievance.Notice{EventID: "ev-2", Type: grievance.NoticeReopened, TicketID: "t1"})
			return err
		}, wantSent: 2},
		{name: "OptedOut", setup: func(e *notifyEnv) { e.store.SetOptOut(grievance.ChannelSMS, "+67077123456", true) }, wantSent: 0,
			check: func(t *testing.T, e *notifyEnv) {
				if tk, _ := e.store.Ticket(context.Background(), "t1"); !tk.AcknowledgedAt.IsZero() {
					t.Error("acknowledgedAt set although nothing was sent")
				}
			}},
		{name: "ThrottledThenSent", setup: func(e *notifyEnv) { e.sender.throttle = 2 }, wantSent: 1,
			check: func(t *testing.T, e *notifyEnv) {
				if len(e.pauses) != 2 || e.pauses[1] != 2*e.pauses[0] {
					t.Errorf("pauses %v, want two, doubling", e.pauses)
				}
			}},
		{name: "ThrottledThroughoutFailsThenRetrySends", setup: func(e *notifyEnv) { e.sender.throttle = 4 },
			run: func(e *notifyEnv) error {
				if _, err := e.n.Notify(context.Background(), created); grievance.ErrorCode(err) != grievance.CodeUnavailable {
					return grievance.Errorf(grievance.CodeInternal, "first attempt: %v, want UNAVAILABLE", err)
				}
				_, err := e.n.Notify(context.Background(), created)
				return err
			}, wantSent: 1},
		{name: "QuietHoursDeferSMS", doc: `{"notifications": {"quiet_hours": {"start": "09:00", "end": "18:00"}}}`,
			run: func(e *notifyEnv) error {
				out, err := e.n.Notify(context.Background(), created)
				if !out.DeferredUntil.Equal(at("2026-03-01 18:00")) {
					return grievance.Errorf(grievance.CodeInternal, "deferred until %v", out.DeferredUntil)
				}
				return err
			}, wantSent: 0},
		{name: "AcknowledgedAtIsSendTime", wantSent: 1, check: func(t *testing.T, e *notifyEnv) {
			tk, _ := e.store.Ticket(context.Background(), "t1")
			if !tk.AcknowledgedAt.Equal(e.now) || tk.Version != 2 {
				t.Errorf("acknowledgedAt %v version %d, want %v and a version of its own (2)", tk.AcknowledgedAt, tk.Version, e.now)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newNotifyEnv(t, tc.doc)
			e.ticket("t1", nil)
			if tc.setup != nil {
				tc.setup(e)
			}
			run := tc.run
			if run == nil {
				run = func(e *notifyEnv) error { _, err := e.n.Notify(context.Background(), created); return err }
			}
			if err := run(e); err != nil {
				t.Fatal(err)
			}
			if len(e.sender.out) != tc.wantSent {
				t.Fatalf("sent %d messages, want %d", len(e.sender.out), tc.wantSent)
			}
			if tc.check != nil {
				tc.check(t, e)
			}
		})
	}
}
