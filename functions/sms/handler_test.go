package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

type sent struct{ to, from, text string }

type fakeSender struct {
	msgs []sent
	err  error
}

func (s *fakeSender) Send(_ context.Context, to, from, text string) error {
	if s.err != nil {
		return s.err
	}
	s.msgs = append(s.msgs, sent{to, from, text})
	return nil
}

type memLimiter struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *memLimiter) Allow(_ context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := key + now.Truncate(window).String()
	if l.n[k] >= limit {
		return false, nil
	}
	l.n[k]++
	return true, nil
}

type memOptOuts struct{ out map[string]bool }

func (o *memOptOuts) SetOptOut(_ context.Context, ch grievance.Channel, address string, out bool, _ time.Time) error {
	o.out[string(ch)+"#"+address] = out
	return nil
}

type fixture struct {
	h       *Handler
	st      *grievancetest.Store
	sender  *fakeSender
	optOuts *memOptOuts
}

func newFixture(t *testing.T, config string) *fixture {
	t.Helper()
	st := grievancetest.NewStore()
	if config != "" {
		st.SetConfigDocument([]byte(config))
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	oo := &memOptOuts{out: map[string]bool{}}
	svc := grievance.NewService(st, clock, grievancetest.IDs(), grievance.Options{Tracking: st, OptOuts: oo, NewSecret: func() string { return "ABCD-EFGH" }})
	s := &fakeSender{}
	return &fixture{st: st, sender: s, optOuts: oo, h: &Handler{Service: svc, Sender: s, Limiter: &memLimiter{n: map[string]int{}},
		PerSender: 10, Window: 10 * time.Minute, Log: slog.New(slog.DiscardHandler), Now: clock}}
}

func fixtureEvent(t *testing.T) events.SNSEvent {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "sns", "sms-inbound.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// message returns the fixture with another id and text.
func message(t *testing.T, id, text string) events.SNSEvent {
	ev := fixtureEvent(t)
	var in Inbound
	json.Unmarshal([]byte(ev.Records[0].SNS.Message), &in)
	in.InboundMessageID, in.MessageBody = id, text
	b, _ := json.Marshal(in)
	ev.Records[0].SNS.Message = string(b)
	return ev
}

func (f *fixture) tickets(t *testing.T) int {
	n, err := f.st.CountTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSMS_ComplaintIsFiledOnceAndAnsweredBySMS(t *testing.T) {
	f := newFixture(t, `{"intake": {"sms_keywords": {"PAY": "Category A"}}}`)
	ctx := context.Background()
	for range 2 {
		if err := f.h.Handle(ctx, fixtureEvent(t)); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.tickets(t); n != 1 {
		t.Fatalf("%d tickets, want 1", n)
	}
	want := []sent{
		{"+258841234567", "+258840000001", "Received as case GRS00000001. Secret ABCD-EFGH. Send STATUS GRS00000001 ABCD-EFGH for news."},
		{"+258841234567", "+258840000001", "Your message was already received as case GRS00000001."},
	}
	if len(f.sender.msgs) != 2 || f.sender.msgs[0] != want[0] || f.sender.msgs[1] != want[1] {
		t.Fatalf("replies %+v", f.sender.msgs)
	}
	var tk *grievance.Ticket
	f.st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
	if tk.Category != "Category A" || tk.Description != "I was not paid in March" || tk.Contact.Phone != "+258841234567" || tk.Source != "sms" {
		t.Fatalf("ticket %+v contact %+v", tk, tk.Contact)
	}
}

func TestSMS_Replies(t *testing.T) {
	tests := []struct {
		name, config string
		texts        []string
		wantLast     string
		wantTickets  int
	}{
		{"status with the right secret", "", []string{"hello, the clinic is closed", "STATUS GRS00000001 abcd-efgh"},
			"Case GRS00000001: received. Due 2026-03-07.", 1},
		{"status with a wrong secret", "", []string{"hello", "STATUS GRS00000001 ABCD-0000"},
			"No case found for that code and secret. Send STATUS <code> <secret>.", 1},
		{"status of an unknown code", "", []string{"STATUS GRS00000009 ABCD-EFGH"},
			"No case found for that code and secret. Send STATUS <code> <secret>.", 0},
		{"keyword alone gets the menu", `{"intake": {"sms_keywords": {"PAY": "Category A", "LAND": "Category B"}}}`, []string{"PAY"},
			"Start with PAY, LAND then your complaint. For news of a case send STATUS <code> <secret>.", 0},
		{"empty text gets the menu", "", []string{"   "},
			"Send your complaint as text. For news of a case send STATUS <code> <secret>.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.config)
			for i, text := range tt.texts {
				if err := f.h.Handle(context.Background(), message(t, "m-"+string(rune('a'+i)), text)); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.sender.msgs[len(f.sender.msgs)-1].text; got != tt.wantLast {
				t.Fatalf("reply %q, want %q", got, tt.wantLast)
			}
			if n := f.tickets(t); n != tt.wantTickets {
				t.Fatalf("%d tickets, want %d", n, tt.wantTickets)
			}
		})
	}
}

func TestSMS_ConfidentialStatusRepeatsNoCommentText(t *testing.T) {
	f := newFixture(t, `{"intake": {"sms_keywords": {"GBV": "Category B"}}, "restricted_categories": {"Category B": ["127007"]}}`)
	ctx := context.Background()
	if err := f.h.Handle(ctx, message(t, "m1", "GBV something happened")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.sender.msgs[0].text, "Category B") {
		t.Fatalf("reply names the category: %q", f.sender.msgs[0].text)
	}
	svc := f.h.Service.(*grievance.Service)
	var id string
	f.st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) { id = x.ID; return false, nil })
	text, public := "A counsellor will call you on Friday.", true
	staff := grievance.NewContext(ctx, &grievance.Principal{ID: "s1", Admin: true})
	if _, err := svc.Mutate(staff, grievance.MutationRequest{Name: "createComment"}, func(ctx context.Context) (*grievance.Write, error) {
		return svc.CreateComment(ctx, grievance.CommentInput{TicketID: id, Comment: &text, Public: &public})
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Handle(ctx, message(t, "m2", "STATUS GRS00000001 ABCD-EFGH")); err != nil {
		t.Fatal(err)
	}
	if got := f.sender.msgs[1].text; got != "Case GRS00000001: received. Due 2026-03-08." {
		t.Fatalf("confidential status reply %q", got)
	}
}

func TestSMS_DropsMalformedAndFloodsWithoutReply(t *testing.T) {
	f := newFixture(t, "")
	f.h.PerSender = 2
	ctx := context.Background()
	bad := fixtureEvent(t)
	bad.Records[0].SNS.Message = `{"not": "a message"}`
	if err := f.h.Handle(ctx, bad); err != nil {
		t.Fatalf("malformed message: %v, want dropped", err)
	}
	for i := range 4 {
		if err := f.h.Handle(ctx, message(t, "flood-"+string(rune('a'+i)), "complaint number "+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := f.tickets(t), len(f.sender.msgs); n != 2 || m != 2 {
		t.Fatalf("%d tickets and %d replies, want 2 and 2", n, m)
	}
}

func TestSMS_FailedReplyIsRetriedWithoutASecondTicket(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	f.sender.err = errors.New("throttled")
	if err := f.h.Handle(ctx, fixtureEvent(t)); err == nil {
		t.Fatal("a failed reply was not reported for a retry")
	}
	f.sender.err = nil
	if err := f.h.Handle(ctx, fixtureEvent(t)); err != nil {
		t.Fatal(err)
	}
	if n := f.tickets(t); n != 1 || !strings.Contains(f.sender.msgs[0].text, "already received as case GRS00000001") {
		t.Fatalf("%d tickets, replies %+v", n, f.sender.msgs)
	}
}

// resolve marks the fixture's ticket GRS00000001 resolved a day before
// the fixture's clock.
func (f *fixture) resolve(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var tk *grievance.Ticket
	f.st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
	if tk == nil {
		t.Fatal("no ticket to resolve")
	}
	tk.Status, tk.DateResolved = grievance.StatusResolved, f.h.Now().Add(-24*time.Hour)
	f.st.SeedTicket(tk)
}

func TestSMS_RatingAndOptOutReplies(t *testing.T) {
	const phone = "+258841234567" // the fixture's sender
	tests := []struct {
		name       string
		resolved   bool
		from       string // "" is the fixture's sender
		texts      []string
		wantLast   string
		wantRating int
		wantStatus grievance.Status
		wantOptOut *bool
	}{
		{name: "rating of a resolved case is stored", resolved: true, texts: []string{"RATE GRS00000001 4"},
			wantLast: "Thank you: your rating of case GRS00000001 is recorded.", wantRating: 4, wantStatus: grievance.StatusResolved},
		{name: "low rating reopens the case as an appeal", resolved: true, texts: []string{"rate grs00000001 1"},
			wantLast: "Thank you. Case GRS00000001 is reopened for review; we will contact you.", wantRating: 1, wantStatus: grievance.StatusOpen},
		{name: "redelivered rating is answered again and rates once", resolved: true, texts: []string{"RATE GRS00000001 5", "RATE GRS00000001 5"},
			wantLast: "Thank you: your rating of case GRS00000001 is recorded.", wantRating: 5, wantStatus: grievance.StatusResolved},
		{name: "second rating is refused", resolved: true, texts: []string{"RATE GRS00000001 5", "RATE GRS00000001 1"},
			wantLast: "Not recorded: The outcome of GRS00000001 has been rated already.", wantRating: 5, wantStatus: grievance.StatusResolved},
		{name: "rating from another phone is not found", resolved: true, from: "+258849999999", texts: []string{"RATE GRS00000001 4"},
			wantLast: "No case of yours found with that code. To rate the outcome of a case send RATE <code> and a number from 1 to 5.", wantStatus: grievance.StatusResolved},
		{name: "rating of an unresolved case is refused", texts: []string{"RATE GRS00000001 4"},
			wantLast: "Not recorded: Ticket GRS00000001 is not resolved: there is no outcome to rate yet.", wantStatus: grievance.StatusReceived},
		{name: "rating out of range gets the help", resolved: true, texts: []string{"RATE GRS00000001 7"},
			wantLast: "To rate the outcome of a case send RATE <code> and a number from 1 to 5.", wantStatus: grievance.StatusResolved},
		{name: "bare digit gets the help and files nothing", resolved: true, texts: []string{"4"},
			wantLast: "To rate the outcome of a case send RATE <code> and a number from 1 to 5.", wantStatus: grievance.StatusResolved},
		{name: "STOP opts the sender out", texts: []string{"STOP"}, wantStatus: grievance.StatusReceived,
			wantLast: "You will get no more messages about your cases. Send START to get them again.", wantOptOut: new(true)},
		{name: "START lifts the opt-out", texts: []string{"STOP", "start"}, wantStatus: grievance.StatusReceived,
			wantLast: "Messages about your cases are on again. Send STOP to end them.", wantOptOut: new(false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "")
			ctx := context.Background()
			if err := f.h.Handle(ctx, message(t, "setup", "the clinic is closed")); err != nil {
				t.Fatal(err)
			}
			if tt.resolved {
				f.resolve(t)
			}
			for i, text := range tt.texts {
				ev := message(t, "m-"+string(rune('a'+i)), text)
				if len(tt.texts) == 2 && tt.texts[0] == tt.texts[1] {
					ev = message(t, "m-same", text)
				}
				if tt.from != "" {
					var in Inbound
					json.Unmarshal([]byte(ev.Records[0].SNS.Message), &in)
					in.OriginationNumber = tt.from
					b, _ := json.Marshal(in)
					ev.Records[0].SNS.Message = string(b)
				}
				if err := f.h.Handle(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			if got := f.sender.msgs[len(f.sender.msgs)-1].text; got != tt.wantLast {
				t.Fatalf("reply %q, want %q", got, tt.wantLast)
			}
			if n := f.tickets(t); n != 1 {
				t.Fatalf("%d tickets, want 1", n)
			}
			var tk *grievance.Ticket
			f.st.ScanTickets(ctx, grievance.TicketRange{By: grievance.RangeAll}, func(x *grievance.Ticket) (bool, error) { tk = x; return false, nil })
			if tk.Rating != tt.wantRating || tk.Status != tt.wantStatus {
				t.Fatalf("ticket rated %d, status %s; want %d, %s", tk.Rating, tk.Status, tt.wantRating, tt.wantStatus)
			}
			if tt.wantOptOut != nil {
				if got, ok := f.optOuts.out["sms#"+phone]; !ok || got != *tt.wantOptOut {
					t.Fatalf("opt-out %v (set %v), want %v", got, ok, *tt.wantOptOut)
				}
			}
		})
	}
}
