package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

func fixture(tb testing.TB, name string) events.SQSEvent {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "notifier", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return ev
}

// fakeNotifier records notices; result decides each one's outcome.
type fakeNotifier struct {
	got    []grievance.Notice
	result func(grievance.Notice) (grievance.Outcome, error)
}

func (f *fakeNotifier) Notify(ctx context.Context, n grievance.Notice) (grievance.Outcome, error) {
	f.got = append(f.got, n)
	if f.result != nil {
		return f.result(n)
	}
	return grievance.Outcome{Sent: 1}, nil
}

type fakeQueue struct{ deferred map[string]time.Duration }

func (q *fakeQueue) Defer(ctx context.Context, receipt string, d time.Duration) error {
	q.deferred[receipt] = d
	return nil
}

var now = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func newHandler(n Notifier) (*Handler, *fakeQueue) {
	q := &fakeQueue{deferred: map[string]time.Duration{}}
	return &Handler{Notifier: n, Queue: q, Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}, q
}

func failures(r events.SQSEventResponse) string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return strings.Join(ids, ",")
}

// Ensure the handler turns each routed event into one notice with what the
// notifier needs, skips events it does not act on, and reports poison
// messages and failed or deferred notices as batch item failures (so the
// queue retries them, then dead-letters them) without stopping the rest.
func TestHandle_Fixtures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fixture  string
		result   func(grievance.Notice) (grievance.Outcome, error)
		notices  string // type[/mutation][/role] per notice
		failed   string
		deferred time.Duration
	}{
		{name: "Created", fixture: "created", notices: "ticket.created/createTicket"},
		{name: "Lifecycle", fixture: "lifecycle", notices: "ticket.created/createTicket,ticket.status-changed/updateTicket," +
			"ticket.staff-assigned/updateTicket,ticket.status-changed/resolveGrievanceByComment,ticket.resolved/resolveGrievanceByComment," +
			"ticket.reopened/reopenTicket,ticket.overdue,ticket.escalated/grm-supervisor"},
		{name: "IgnoredAndPoison", fixture: "ignored-and-poison", notices: "ticket.created/createTicket", failed: "m-4,m-5,m-6"},
		{name: "NotifierFailure", fixture: "lifecycle", result: func(n grievance.Notice) (grievance.Outcome, error) {
			if n.Type == grievance.NoticeResolved {
				return grievance.Outcome{}, grievance.Errorf(grievance.CodeUnavailable, "throttled")
			}
			return grievance.Outcome{}, nil
		}, failed: "m-5"},
		{name: "QuietHoursDefer", fixture: "created", result: func(grievance.Notice) (grievance.Outcome, error) {
			return grievance.Outcome{DeferredUntil: now.Add(90 * time.Minute)}, nil
		}, failed: "m-1", deferred: 90 * time.Minute},
		{name: "DeferCappedAtVisibilityLimit", fixture: "created", result: func(grievance.Notice) (grievance.Outcome, error) {
			return grievance.Outcome{DeferredUntil: now.Add(20 * time.Hour)}, nil
		}, failed: "m-1", deferred: 12 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &fakeNotifier{result: tc.result}
			h, q := newHandler(n)
			resp, err := h.Handle(context.Background(), fixture(t, tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(resp); got != tc.failed {
				t.Errorf("failures %q, want %q", got, tc.failed)
			}
			if tc.notices != "" {
				var got []string
				for _, nt := range n.got {
					s := nt.Type
					for _, v := range []string{nt.Mutation, nt.Role} {
						if v != "" {
							s += "/" + v
						}
					}
					if nt.EventID == "" || nt.TicketID == "" {
						t.Errorf("notice %s lacks its event or ticket id", s)
					}
					got = append(got, s)
				}
				if strings.Join(got, ",") != tc.notices {
					t.Errorf("notices\n %s\nwant\n %s", strings.Join(got, ","), tc.notices)
				}
			}
			if tc.deferred != 0 && q.deferred["rh-1"] != tc.deferred {
				t.Errorf("deferred %v, want %v", q.deferred["rh-1"], tc.deferred)
			}
		})
	}
}

// fakeProviders stand for SNS and SES: throttle makes the next calls fail
// as a throttled provider does.
type fakeProviders struct {
	sms, email []string
	throttle   int
}

type apiErr struct{ code string }

func (e apiErr) Error() string                 { return e.code }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return e.code }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultUnknown }

func (f *fakeProviders) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	if f.throttle > 0 {
		f.throttle--
		return nil, apiErr{"Throttling"}
	}
	f.sms = append(f.sms, *in.PhoneNumber+" "+*in.Message)
	return &sns.PublishOutput{}, nil
}

func (f *fakeProviders) SendEmail(ctx context.Context, in *sesv2.SendEmailInput, _ ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error) {
	f.email = append(f.email, in.Destination.ToAddresses[0]+" "+*in.Content.Simple.Subject.Data)
	return &sesv2.SendEmailOutput{}, nil
}

// Ensure the whole chain (handler, domain notifier, sender) sends one SMS
// for an event delivered twice, retries a throttled provider, and sends
// nothing for a confidential ticket beyond its code and a neutral text.
func TestHandle_SendsOncePerEventAndRecipient(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fixture  string
		doc      string
		throttle int
		wantSMS  []string
	}{
		{"Redelivered", "redelivered", "", 0, []string{"+67077123456 We received your grievance GRS00000001. We aim to answer by 2026-12-02."}},
		{"ThrottledTwice", "created", "", 2, []string{"+67077123456 We received your grievance GRS00000001."}},
		{"Confidential", "redelivered", `{"restricted_categories": {"Payment": ["127007"]}, "grievance_types": ["Payment"]}`, 0,
			[]string{"+67077123456 Your case GRS00000001 has been updated."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewNotifyStore(grievancetest.NewStore())
			if tc.doc != "" {
				st.SetConfigDocument([]byte(tc.doc))
			}
			st.SeedTicket(&grievance.Ticket{ID: "3f8b6c2e-1d4a-4e7b-9a51-6c0d2e9f7b13", Version: 1, Status: grievance.StatusReceived,
				Category: "Payment", DueDate: "2026-12-02", Contact: &grievance.Contact{Phone: "+67077123456"}})
			p := &fakeProviders{throttle: tc.throttle}
			n := grievance.NewNotifier(st, &Sender{SMS: p, Email: p, From: "noreply@example.org"}, func() time.Time { return now },
				func(context.Context, time.Duration) error { return nil })
			h, _ := newHandler(n)
			resp, err := h.Handle(context.Background(), fixture(t, tc.fixture))
			if err != nil || len(resp.BatchItemFailures) > 0 {
				t.Fatalf("err %v, failures %v", err, resp.BatchItemFailures)
			}
			if len(p.sms) != len(tc.wantSMS) {
				t.Fatalf("sent %q, want %d SMS", p.sms, len(tc.wantSMS))
			}
			for i, w := range tc.wantSMS {
				if !strings.HasPrefix(p.sms[i], w) {
					t.Errorf("SMS %q, want it to start with %q", p.sms[i], w)
				}
				if strings.Contains(p.sms[i], "Payment") {
					t.Errorf("SMS %q names the category", p.sms[i])
				}
			}
		})
	}
}

// Ensure provider errors are classified: throttling and provider faults
// are retried (UNAVAILABLE), anything else is not, and no message carries
// the provider's text (it can quote the recipient).
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want grievance.Code
	}{
		{"None", nil, ""},
		{"SNSThrottled", apiErr{"Throttled"}, grievance.CodeUnavailable},
		{"SESTooManyRequests", apiErr{"TooManyRequestsException"}, grievance.CodeUnavailable},
		{"InvalidParameter", apiErr{"InvalidParameter"}, grievance.CodeInternal},
		{"Timeout", context.DeadlineExceeded, grievance.CodeUnavailable},
		{"Other", errors.New("invalid phone +67077123456"), grievance.CodeInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := classify("sms", tc.err)
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("code %q, want %q", got, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "+670") {
				t.Fatalf("error %q quotes the recipient", err)
			}
		})
	}
}
