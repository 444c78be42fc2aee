package grievance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Ensure a ticket's state follows its period and due date: ON_TRACK, then
// AT_RISK in the last share of the period, BREACHED once the due date ran
// out; MET or MISSED by when it was resolved.
func TestTicket_SLA(t *testing.T) {
	// Created 10:00 on the 1st, due the 3rd: the period runs to the 4th
	// 00:00, 62 hours; the last 25 % is 15.5 hours, from the 3rd 08:30.
	open := func(st grievance.Status) *grievance.Ticket {
		return &grievance.Ticket{Status: st, DateCreated: at("2026-03-01 10:00"), DueDate: "2026-03-03"}
	}
	resolved := func(st grievance.Status, when string) *grievance.Ticket {
		t := open(st)
		t.DateResolved = at(when)
		return t
	}
	for _, tc := range []struct {
		name   string
		t      *grievance.Ticket
		now    string
		share  float64
		want   grievance.SLAStatus
		within string // "", "true", "false"
	}{
		{"JustCreated", open(grievance.StatusReceived), "2026-03-01 10:00", 0.25, grievance.SLAOnTrack, ""},
		{"BeforeRisk", open(grievance.StatusInProgress), "2026-03-03 08:29", 0.25, grievance.SLAOnTrack, ""},
		{"RiskStarts", open(grievance.StatusOpen), "2026-03-03 08:30", 0.25, grievance.SLAAtRisk, ""},
		{"LastMinute", open(grievance.StatusOpen), "2026-03-03 23:59", 0.25, grievance.SLAAtRisk, ""},
		{"DueDateRanOut", open(grievance.StatusOpen), "2026-03-04 00:00", 0.25, grievance.SLABreached, ""},
		{"LongOverdue", open(grievance.StatusInProgress), "2026-05-01 00:00", 0.25, grievance.SLABreached, ""},
		{"ShareZeroNeverAtRisk", open(grievance.StatusOpen), "2026-03-03 23:59", 0, grievance.SLAOnTrack, ""},
		{"ShareOneAlwaysAtRisk", open(grievance.StatusOpen), "2026-03-01 10:00", 1, grievance.SLAAtRisk, ""},
		{"ResolvedOnDueDay", resolved(grievance.StatusResolved, "2026-03-03 23:59"), "2026-09-01 00:00", 0.25, grievance.SLAMet, "true"},
		{"ClosedLate", resolved(grievance.StatusClosed, "2026-03-04 00:00"), "2026-03-04 00:01", 0.25, grievance.SLAMissed, "false"},
		{"ClosedBeforeDueIsMetLaterToo", resolved(grievance.StatusClosed, "2026-03-02 00:00"), "2027-01-01 00:00", 0.25, grievance.SLAMet, "true"},
		{"NoDueDate", &grievance.Ticket{Status: grievance.StatusOpen, DateCreated: at("2026-03-01 10:00")}, "2026-03-09 00:00", 0.25, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.t.SLA(at(tc.now), tc.share)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("SLA=%q,%v, want %q", got, ok, tc.want)
			}
			within, ok := tc.t.ResolvedWithinTime()
			gotWithin := ""
			if ok {
				gotWithin = map[bool]string{true: "true", false: "false"}[within]
			}
			if gotWithin != tc.within {
				t.Fatalf("ResolvedWithinTime=%q, want %q", gotWithin, tc.within)
			}
		})
	}
}

// slaEnv is a service over the in-memory store with a clock the test sets.
type slaEnv struct {
	svc *grievance.Service
	st  *grievancetest.Store
	now time.Time
	ctx context.Context
}

func newSLAEnv(t *testing.T, config string) *slaEnv {
	t.Helper()
	e := &slaEnv{st: grievancetest.NewStore(), now: at("2026-03-01 10:00")}
	if config != "" {
		e.st.SetConfigDocument([]byte(config))
	}
	e.svc = grievance.NewService(e.st, func() time.Time { return e.now }, grievancetest.IDs(), grievance.Options{ConfigTTL: time.Nanosecond})
	e.ctx = grievance.NewContext(context.Background(), &grievance.Principal{ID: "00000000-0000-4000-a000-000000000001", Admin: true})
	return e
}

func (e *slaEnv) mutate(t *testing.T, name string, plan grievance.Plan) {
	t.Helper()
	log, err := e.svc.Mutate(e.ctx, grievance.MutationRequest{Name: name}, plan)
	if err != nil || log.Status != grievance.MutationSuccess {
		t.Fatalf("%s: err=%v log=%+v", name, err, log)
	}
}

func (e *slaEnv) ticket(t *testing.T, id string) *grievance.Ticket {
	t.Helper()
	tk, err := e.st.Ticket(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (e *slaEnv) state(t *testing.T, id string) grievance.SLAStatus {
	t.Helper()
	cfg, err := e.svc.Config(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := e.svc.SLAOf(cfg, e.ticket(t, id))
	return st
}

func (e *slaEnv) setStatus(t *testing.T, id string, st grievance.Status) {
	t.Helper()
	s := string(st)
	e.mutate(t, "updateTicket", func(ctx context.Context) (*grievance.Write, error) {
		return e.svc.UpdateTicket(ctx, grievance.TicketInput{ID: id, Status: &s})
	})
}

func (e *slaEnv) list(t *testing.T, sla string, within *bool) []string {
	t.Helper()
	page, err := e.svc.ListTickets(e.ctx, grievance.TicketQuery{SLAStatus: sla, ResolvedWithinTime: within})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, tk := range page.Items {
		codes = append(codes, tk.Code)
	}
	return codes
}

// Ensure the service keeps the service-level fields through a ticket's
// life, with the clock under the test's control: resolving records when,
// reopening starts a new period (default policy) or keeps the due date
// ("keep"), and the list filters see the same states.
func TestService_SLATransitions(t *testing.T) {
	for _, policy := range []string{"", grievance.ReopenKeep} {
		name := policy
		if name == "" {
			name = "new_period (default)"
		}
		t.Run(name, func(t *testing.T) {
			cfg := ""
			if policy != "" {
				cfg = `{"sla_reopen_policy": "` + policy + `"}`
			}
			e := newSLAEnv(t, cfg)
			var id string
			e.mutate(t, "createTicket", func(ctx context.Context) (*grievance.Write, error) {
				cat, res := "Default", "2,0"
				w, err := e.svc.CreateTicket(ctx, grievance.TicketInput{Category: &cat, Resolution: &res})
				if err == nil {
					id = w.NewTicket.ID
				}
				return w, err
			})
			steps := []slaStep{
				{name: "Created", now: "2026-03-01 10:00", want: grievance.SLAOnTrack, due: "2026-03-03"},
				{name: "AtRisk", now: "2026-03-03 09:00", want: grievance.SLAAtRisk, due: "2026-03-03"},
				{name: "Breached", now: "2026-03-04 00:00", want: grievance.SLABreached, due: "2026-03-03"},
				{name: "ResolvedLate", now: "2026-03-05 12:00", do: func() { e.setStatus(t, id, grievance.StatusResolved) },
					want: grievance.SLAMissed, due: "2026-03-03", within: ptr(false)},
				{name: "ClosedStaysMissed", now: "2026-03-06 12:00", do: func() { e.setStatus(t, id, grievance.StatusClosed) },
					want: grievance.SLAMissed, due: "2026-03-03", within: ptr(false)},
			}
			if policy == "" {
				steps = append(steps,
					slaStep{name: "ReopenedNewPeriod", now: "2026-03-10 12:00", do: func() {
						e.mutate(t, "reopenTicket", func(ctx context.Context) (*grievance.Write, error) { return e.svc.ReopenTicket(ctx, id, nil) })
					}, want: grievance.SLAOnTrack, due: "2026-03-12"},
					slaStep{name: "ResolvedInTime", now: "2026-03-11 12:00", do: func() { e.setStatus(t, id, grievance.StatusResolved) },
						want: grievance.SLAMet, due: "2026-03-12", within: ptr(true)},
				)
			} else {
				steps = append(steps, slaStep{name: "ReopenedKeepsDueDate", now: "2026-03-10 12:00", do: func() {
					e.mutate(t, "reopenTicket", func(ctx context.Context) (*grievance.Write, error) { return e.svc.ReopenTicket(ctx, id, nil) })
				}, want: grievance.SLABreached, due: "2026-03-03"})
			}
			for _, s := range steps {
				e.now = at(s.now)
				if s.do != nil {
					s.do()
				}
				tk := e.ticket(t, id)
				if got := e.state(t, id); got != s.want || tk.DueDate != s.due {
					t.Fatalf("%s: state=%s due=%s, want %s due %s", s.name, got, tk.DueDate, s.want, s.due)
				}
				if tk.Status.Terminal() == tk.DateResolved.IsZero() {
					t.Fatalf("%s: status %s with dateResolved %v", s.name, tk.Status, tk.DateResolved)
				}
				if got := e.list(t, string(s.want), nil); len(got) != 1 {
					t.Fatalf("%s: tickets(slaStatus: %s)=%v, want the ticket", s.name, s.want, got)
				}
				for _, other := range grievance.SLAStatuses {
					if other != s.want && len(e.list(t, string(other), nil)) != 0 {
						t.Fatalf("%s: tickets(slaStatus: %s) found the %s ticket", s.name, other, s.want)
					}
				}
				for _, w := range []bool{true, false} {
					found := len(e.list(t, "", &w)) == 1
					if found != (s.within != nil && *s.within == w) {
						t.Fatalf("%s: tickets(resolvedWithinTime: %v) found=%v", s.name, w, found)
					}
				}
			}
		})
	}
}

// slaStep is one moment of a ticket's life: the clock is set to now, do
// runs, and the ticket must be in state want with due date due.
type slaStep struct {
	name   string
	do     func()
	now    string
	want   grievance.SLAStatus
	due    string
	within *bool
}

func ptr[T any](v T) *T { return &v }

// Ensure the service-level keys are validated strictly, naming the key.
func TestParseConfig_SLAKeys(t *testing.T) {
	ok := `{"escalation_levels": {"Default": [{"after_hours": 0, "role": "supervisor"}, {"after_hours": 48, "group": "grm-unit"}]}, "sla_at_risk_share": 0.5, "sla_reopen_policy": "keep"}`
	cfg, err := grievance.ParseConfig([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Escalation("Default"); len(l) != 2 || l[1].Group != "grm-unit" || l[1].AfterHours != 48 {
		t.Fatalf("levels=%+v", l)
	}
	if d := grievance.DefaultConfig(); d.SLAAtRiskShare != 0.25 || d.SLAReopenPolicy != grievance.ReopenNewPeriod {
		t.Fatalf("defaults %v %q", d.SLAAtRiskShare, d.SLAReopenPolicy)
	}
	for doc, want := range map[string]string{
		`{"sla_at_risk_share": 1.5}`:                                                       "sla_at_risk_share",
		`{"sla_at_risk_share": "x"}`:                                                       "sla_at_risk_share",
		`{"sla_reopen_policy": "restart"}`:                                                 "sla_reopen_policy",
		`{"escalation_levels": {"Nope": [{"after_hours": 1, "role": "r"}]}}`:               "escalation_levels",
		`{"escalation_levels": {"Default": []}}`:                                           "escalation_levels",
		`{"escalation_levels": {"Default": [{"role": "r"}]}}`:                              "after_hours",
		`{"escalation_levels": {"Default": [{"after_hours": 1, "role": "r", "typo": 1}]}}`: "typo",
		`{"escalation_levels": {"Default": [{"after_hours": 1}]}}`:                         "neither a role nor a group",
		`{"escalation_levels": {"Category B": [{"after_hours": 1, "group": "gbv-desk"}]}, "restricted_categories": {"Category B": ["127007"]}}`: "needs a role",
		`{"escalation_levels": {"Default": [{"after_hours": 5, "role": "a"}, {"after_hours": 5, "role": "b"}]}}`:                                "greater",
		`{"escalation_levels": {"Default": [{"after_hours": -1, "role": "a"}]}}`:                                                                "after_hours",
	} {
		_, err := grievance.ParseConfig([]byte(doc))
		if err == nil || !strings.Contains(grievance.ErrorMessage(err), want) {
			t.Errorf("%s: err=%v, want one naming %q", doc, err, want)
		}
	}
}
