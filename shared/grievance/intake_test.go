package grievance_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// intakeFixture is a service over the in-memory store with a clock the
// test moves and a fixed secret generator.
type intakeFixture struct {
	st  *grievancetest.Store
	svc *grievance.Service
	now time.Time
}

const fixedSecret = "ABCD-EFGH"

// externalIDs serves the by-external-id search path from the in-memory
// store's people (the one path intake reads).
type externalIDs struct{ st *grievancetest.Store }

func (d externalIDs) ScanPeople(ctx context.Context, q grievance.PersonScan, fn func(*grievance.Person) (bool, error)) error {
	if q.Path != grievance.SearchByExternalID {
		return nil
	}
	people, err := d.st.People(ctx, []string{"0f8c7a52-1111-4b1e-9a55-000000000001"})
	if err != nil {
		return err
	}
	for _, p := range people {
		if p.ExternalID == q.Key && p.Type == q.Type {
			if more, err := fn(p); !more || err != nil {
				return err
			}
		}
	}
	return nil
}

func (externalIDs) ScanProgrammes(context.Context, string, func(*grievance.Programme) (bool, error)) error {
	return nil
}

func (externalIDs) ScanNameParts(context.Context, grievance.NamePartScan, func(string) (bool, error)) error {
	return nil
}

func newIntakeFixture(t *testing.T, config string) *intakeFixture {
	t.Helper()
	f := &intakeFixture{st: grievancetest.NewStore(), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if config != "" {
		f.st.SetConfigDocument([]byte(config))
	}
	f.svc = grievance.NewService(f.st, func() time.Time { return f.now }, grievancetest.IDs(), grievance.Options{
		Tracking: f.st, Directory: externalIDs{f.st}, NewSecret: func() string { return fixedSecret }, ConfigTTL: time.Nanosecond,
	})
	return f
}

func (f *intakeFixture) file(t *testing.T, req grievance.IntakeRequest) *grievance.IntakeResult {
	t.Helper()
	res, err := f.svc.Intake(context.Background(), req)
	if err != nil {
		t.Fatalf("intake: %v", err)
	}
	return res
}

func (f *intakeFixture) ticket(t *testing.T, id string) *grievance.Ticket {
	t.Helper()
	tk, err := f.st.Ticket(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func (f *intakeFixture) count(t *testing.T) int {
	t.Helper()
	n, err := f.st.CountTickets(context.Background(), grievance.TicketRange{By: grievance.RangeAll})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func complaint(key string) grievance.IntakeRequest {
	return grievance.IntakeRequest{Source: grievance.SourceWeb, MessageID: key, Category: "Category A",
		Description: "The payment did not arrive.", Contact: &grievance.Contact{Name: "Ana", Phone: "+258841234567"}}
}

func TestIntake_RedeliveryAnswersTheSameCodeAndFilesNothing(t *testing.T) {
	f := newIntakeFixture(t, "")
	first := f.file(t, complaint("key-0000000000000001"))
	if !first.Created || first.Code != "GRS00000001" || first.Secret != fixedSecret {
		t.Fatalf("first answer = %+v", first)
	}
	for i := range 3 {
		again := f.file(t, complaint("key-0000000000000001"))
		if again.Created || again.Code != first.Code || again.Secret != "" {
			t.Fatalf("redelivery %d = %+v, want the same code, not created, no secret", i, again)
		}
	}
	// The same id from another source is another message.
	sms := complaint("key-0000000000000001")
	sms.Source = grievance.SourceSMS
	if other := f.file(t, sms); !other.Created || other.Code == first.Code {
		t.Fatalf("same id from another source = %+v, want a new ticket", other)
	}
	if n := f.count(t); n != 2 {
		t.Fatalf("%d tickets, want 2", n)
	}
}

func TestIntake_RefusesInvalidComplaintsAndFilesNothing(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*grievance.IntakeRequest)
		wantErr string
	}{
		{"missing category", func(r *grievance.IntakeRequest) { r.Category = " " }, "category is required"},
		{"unknown category", func(r *grievance.IntakeRequest) { r.Category = "Nope" }, `category "Nope" is not one of`},
		{"missing description", func(r *grievance.IntakeRequest) { r.Description = "" }, "description is required"},
		{"description too long", func(r *grievance.IntakeRequest) { r.Description = strings.Repeat("x", 10001) }, "limit is 10000"},
		{"unknown channel", func(r *grievance.IntakeRequest) { r.Channel = "Pigeon" }, `channel "Pigeon"`},
		{"bad language", func(r *grievance.IntakeRequest) { r.Language = "Portuguese please" }, "language"},
		{"bad phone", func(r *grievance.IntakeRequest) { r.Contact.Phone = "12" }, "contact.phone"},
		{"bad key", func(r *grievance.IntakeRequest) { r.MessageID = "has space" }, "idempotency key"},
		{"anonymous with a registry id", func(r *grievance.IntakeRequest) { r.Anonymous, r.ReporterExternalID = true, "X1" }, "anonymous"},
		{"control character in the title", func(r *grievance.IntakeRequest) { r.Title = "a\x00b" }, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newIntakeFixture(t, "")
			req := complaint("key-0000000000000001")
			tt.edit(&req)
			_, err := f.svc.Intake(context.Background(), req)
			if grievance.ErrorCode(err) != grievance.CodeInvalid || !strings.Contains(grievance.ErrorMessage(err), tt.wantErr) {
				t.Fatalf("err = %v, want INVALID with %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "+258841234567") {
				t.Fatalf("error repeats the phone number: %v", err)
			}
			if n := f.count(t); n != 0 {
				t.Fatalf("%d tickets filed by a refused complaint", n)
			}
			// A corrected resend under the same key is filed: a refusal
			// does not burn the key.
			if res := f.file(t, complaint("key-0000000000000001")); !res.Created {
				t.Fatalf("corrected resend = %+v", res)
			}
		})
	}
}

func TestIntake_TakesDefaultsFromTheConfiguration(t *testing.T) {
	f := newIntakeFixture(t, `{"intake": {"channels": {"web": "Channel A", "sms": "Channel B"}}}`)
	f.st.AddPeople(grievance.Person{ID: "0f8c7a52-1111-4b1e-9a55-000000000001", Type: grievance.PersonIndividual,
		FirstName: "Ana", LastName: "Silva", ExternalID: "REG-1"})
	tests := []struct {
		name  string
		req   grievance.IntakeRequest
		check func(t *testing.T, tk *grievance.Ticket)
	}{
		{"web source gets its configured channel, due date from the category", complaint("k-web"), func(t *testing.T, tk *grievance.Ticket) {
			if tk.Channel != "Channel A" || tk.DueDate != "2026-03-06" || tk.Status != grievance.StatusReceived || tk.Source != "web" {
				t.Fatalf("channel %q due %q status %s source %q", tk.Channel, tk.DueDate, tk.Status, tk.Source)
			}
			if tk.UserCreated != "intake:web" {
				t.Fatalf("userCreated = %q", tk.UserCreated)
			}
		}},
		{"a sent channel wins", func() grievance.IntakeRequest { r := complaint("k-chan"); r.Channel = "Channel B"; return r }(),
			func(t *testing.T, tk *grievance.Ticket) {
				if tk.Channel != "Channel B" {
					t.Fatalf("channel %q", tk.Channel)
				}
			}},
		{"anonymous stores no contact", func() grievance.IntakeRequest { r := complaint("k-anon"); r.Anonymous = true; return r }(),
			func(t *testing.T, tk *grievance.Ticket) {
				if tk.Contact == nil || *tk.Contact != (grievance.Contact{Anonymous: true}) {
					t.Fatalf("contact %+v", tk.Contact)
				}
			}},
		{"language lands in the contact", func() grievance.IntakeRequest { r := complaint("k-lang"); r.Language = "pt-MZ"; return r }(),
			func(t *testing.T, tk *grievance.Ticket) {
				if tk.Contact.Language != "pt-MZ" {
					t.Fatalf("contact %+v", tk.Contact)
				}
			}},
		{"a known registry id names the reporter", func() grievance.IntakeRequest {
			r := complaint("k-reg")
			r.Contact, r.ReporterExternalID = nil, "REG-1"
			return r
		}(), func(t *testing.T, tk *grievance.Ticket) {
			if tk.ReporterType != grievance.PersonIndividual || tk.ReporterID != "0f8c7a52-1111-4b1e-9a55-000000000001" {
				t.Fatalf("reporter %s %s", tk.ReporterType, tk.ReporterID)
			}
		}},
		{"an unknown registry id is kept for staff, answered alike", func() grievance.IntakeRequest {
			r := complaint("k-unreg")
			r.ReporterExternalID = "REG-404"
			return r
		}(), func(t *testing.T, tk *grievance.Ticket) {
			if tk.ReporterID != "" || tk.JSONExt["reporter_external_id"] != "REG-404" {
				t.Fatalf("reporter %q jsonExt %v", tk.ReporterID, tk.JSONExt)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.file(t, tt.req)
			if !res.Created {
				t.Fatalf("not created: %+v", res)
			}
			tt.check(t, f.ticket(t, res.TicketID))
		})
	}
}

// fileAndComment files one complaint and adds a private and a public
// comment to it, through the staff mutations.
func fileAndComment(t *testing.T, f *intakeFixture, category string) *grievance.IntakeResult {
	t.Helper()
	req := complaint("k-track-" + strings.ReplaceAll(category, " ", ""))
	req.Category = category
	res := f.file(t, req)
	staff := grievance.NewContext(context.Background(), &grievance.Principal{ID: "staff-1", Admin: true})
	for _, c := range []struct {
		text   string
		public bool
	}{{"internal note: check the payroll", false}, {"We are looking into your payment.", true}} {
		text, public := c.text, c.public
		plan := func(ctx context.Context) (*grievance.Write, error) {
			return f.svc.CreateComment(ctx, grievance.CommentInput{TicketID: res.TicketID, Comment: &text, Public: &public})
		}
		if log, err := f.svc.Mutate(staff, grievance.MutationRequest{Name: "createComment"}, plan); err != nil || log.Status != grievance.MutationSuccess {
			t.Fatalf("comment: %v %+v", err, log)
		}
	}
	return res
}

func TestTrack_ShowsPublicViewOnlyWithTheRightSecret(t *testing.T) {
	f := newIntakeFixture(t, "")
	res := fileAndComment(t, f, "Category A")
	ctx := context.Background()
	tests := []struct {
		name, code, secret string
		wantFound          bool
	}{
		{"right secret", res.Code, fixedSecret, true},
		{"typed in lower case without the dash", strings.ToLower(res.Code), "abcdefgh", true},
		{"wrong secret", res.Code, "ABCD-EFGJ", false},
		{"unknown code", "GRS00000099", fixedSecret, false},
		{"not a code", "hello", fixedSecret, false},
		{"empty secret", res.Code, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := f.svc.Track(ctx, tt.code, tt.secret)
			if !tt.wantFound {
				if grievance.ErrorCode(err) != grievance.CodeNotFound || grievance.ErrorMessage(err) != "Not found." {
					t.Fatalf("err = %v, want the one NOT_FOUND answer", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v.Code != res.Code || v.Status != grievance.StatusReceived || v.DueDate != "2026-03-06" || !v.DateCreated.Equal(f.now) {
				t.Fatalf("view %+v", v)
			}
			if len(v.Comments) != 1 || v.Comments[0].Text != "We are looking into your payment." {
				t.Fatalf("comments %+v, want the public one only", v.Comments)
			}
		})
	}
}

func TestTrack_LocksACodeAfterRepeatedFailures(t *testing.T) {
	f := newIntakeFixture(t, `{"intake": {"tracking_max_failures": 3, "tracking_lockout_minutes": 10}}`)
	res := f.file(t, complaint("k-lock"))
	ctx := context.Background()
	for i := range 3 {
		if _, err := f.svc.Track(ctx, res.Code, "0000-0000"); grievance.ErrorCode(err) != grievance.CodeNotFound {
			t.Fatalf("wrong secret %d: %v", i, err)
		}
	}
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("right secret while locked: %v, want NOT_FOUND", err)
	}
	f.now = f.now.Add(9 * time.Minute)
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("right secret 9 minutes in: %v, want NOT_FOUND", err)
	}
	f.now = f.now.Add(2 * time.Minute)
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); err != nil {
		t.Fatalf("right secret after the lockout: %v", err)
	}
	// Failures below the limit are forgotten by a success.
	for range 2 {
		f.svc.Track(ctx, res.Code, "0000-0000")
	}
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f.svc.Track(ctx, res.Code, "0000-0000")
	}
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); err != nil {
		t.Fatalf("locked after 4 failures split by a success: %v", err)
	}
	// Failures further apart than the lockout's length do not add up.
	for range 2 {
		f.svc.Track(ctx, res.Code, "0000-0000")
	}
	f.now = f.now.Add(10 * time.Minute)
	for range 2 {
		f.svc.Track(ctx, res.Code, "0000-0000")
	}
	if _, err := f.svc.Track(ctx, res.Code, fixedSecret); err != nil {
		t.Fatalf("locked by 4 failures 10 minutes apart: %v", err)
	}
}

func TestTrack_ConfidentialCategoryShowsNoStaffOnlyField(t *testing.T) {
	f := newIntakeFixture(t, `{"grievance_anonymized_fields": {"Default": [], "Category B": ["due_date", "description", "reporter"]},
		"restricted_categories": {"Category B": ["127007"]}}`)
	res := fileAndComment(t, f, "Category B")
	if !res.Confidential {
		t.Fatal("result does not say the category is confidential")
	}
	v, err := f.svc.Track(context.Background(), res.Code, fixedSecret)
	if err != nil {
		t.Fatalf("the complainant cannot track a restricted category: %v", err)
	}
	if v.DueDate != "" {
		t.Fatalf("due date %q shown although the category hides it", v.DueDate)
	}
	if len(v.Comments) != 1 || strings.Contains(v.Comments[0].Text, "internal") {
		t.Fatalf("comments %+v", v.Comments)
	}
}

func TestTrack_DeletedTicketIsNotFound(t *testing.T) {
	f := newIntakeFixture(t, "")
	res := f.file(t, complaint("k-del"))
	staff := grievance.NewContext(context.Background(), &grievance.Principal{ID: "staff-1", Admin: true})
	log, err := f.svc.Mutate(staff, grievance.MutationRequest{Name: "deleteTicket"}, func(ctx context.Context) (*grievance.Write, error) {
		return f.svc.DeleteTickets(ctx, []string{res.TicketID}, nil)
	})
	if err != nil || log.Status != grievance.MutationSuccess {
		t.Fatalf("delete: %v %+v", err, log)
	}
	if _, err := f.svc.Track(context.Background(), res.Code, fixedSecret); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Fatalf("deleted ticket tracked: %v", err)
	}
}

func TestNormalizeSecret(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"ABCD-EFGH", "ABCDEFGH"},
		{" abcd efgh ", "ABCDEFGH"},
		{"0OIL-1234", "00111234"},
		{"ABCD-EFG", ""},
		{"ABCD-EFGHJ", ""},
		{"ABCD-EFGU", ""},
		{"ABCD-EFG!", ""},
	} {
		if got := grievance.NormalizeSecret(tt.in); got != tt.want {
			t.Errorf("NormalizeSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	seen := map[string]bool{}
	for range 50 {
		s := grievance.NewTrackingSecret()
		if grievance.NormalizeSecret(s) == "" || len(s) != 9 || s[4] != '-' {
			t.Fatalf("generated secret %q is not of the typed form", s)
		}
		seen[s] = true
	}
	if len(seen) < 49 {
		t.Fatalf("50 secrets, %d distinct", len(seen))
	}
}

func TestTrackingRecord_StoresOnlyASlowHash(t *testing.T) {
	r, err := grievance.NewTrackingRecord("t1", fixedSecret)
	if err != nil {
		t.Fatal(err)
	}
	if r.Iterations < 100_000 || len(r.Salt) < 16 || strings.Contains(string(r.Hash), "ABCD") {
		t.Fatalf("record %+v", r)
	}
	if !r.Matches("abcd efgh") || r.Matches("ABCD-EFGJ") {
		t.Fatal("Matches does not compare the normalised secret")
	}
	other, _ := grievance.NewTrackingRecord("t2", fixedSecret)
	if string(other.Hash) == string(r.Hash) {
		t.Fatal("two records of one secret share a hash: no salt")
	}
}

func TestParseSMS(t *testing.T) {
	cfg, err := grievance.ParseConfig([]byte(`{"intake": {"sms_keywords": {"PAY": "Category A", "2": "Category B"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want grievance.SMSCommand
	}{
		{"STATUS GRS00000042 ABCD-EFGH", grievance.SMSCommand{Status: true, Code: "GRS00000042", Secret: "ABCD-EFGH"}},
		{"status grs00000042 abcd efgh", grievance.SMSCommand{Status: true, Code: "GRS00000042", Secret: "abcdefgh"}},
		{"STATUS", grievance.SMSCommand{Status: true}},
		{"pay I was not paid in March", grievance.SMSCommand{Category: "Category A", Description: "I was not paid in March"}},
		{"2: the road is blocked", grievance.SMSCommand{Category: "Category B", Description: "the road is blocked"}},
		{"The clinic is closed", grievance.SMSCommand{Category: "Default", Description: "The clinic is closed"}},
		{"PAY", grievance.SMSCommand{Category: "Category A", Description: ""}},
		{"RATE GRS00000042 4", grievance.SMSCommand{Rate: true, Code: "GRS00000042", Rating: 4}},
		{"rate grs00000042 5.", grievance.SMSCommand{Rate: true, Code: "GRS00000042", Rating: 5}},
		{"RATE GRS00000042 four", grievance.SMSCommand{Rate: true, Code: "GRS00000042"}},
		{"RATE GRS00000042 4 stars", grievance.SMSCommand{Rate: true, Code: "GRS00000042"}},
		{"RATE", grievance.SMSCommand{Rate: true}},
		{"stop", grievance.SMSCommand{Stop: true}},
		{"START", grievance.SMSCommand{Start: true}},
		{"stop the works at the clinic", grievance.SMSCommand{Category: "Default", Description: "stop the works at the clinic"}},
		{"4", grievance.SMSCommand{RateHelp: true}},
		{"2", grievance.SMSCommand{Category: "Category B", Description: ""}},
		{"6", grievance.SMSCommand{Category: "Default", Description: "6"}},
	} {
		if got := grievance.ParseSMS(cfg, tt.text); got != tt.want {
			t.Errorf("ParseSMS(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestConfig_IntakeKeysAreValidated(t *testing.T) {
	for _, tt := range []struct{ doc, wantErr string }{
		{`{"intake": {"channels": {"fax": "Default"}}}`, `intake.channels has key "fax"`},
		{`{"intake": {"channels": {"web": "Pigeon"}}}`, `intake.channels["web"]`},
		{`{"intake": {"sms_keywords": {"pay": "Default"}}}`, "upper-case"},
		{`{"intake": {"sms_keywords": {"STATUS": "Default"}}}`, "STATUS"},
		{`{"intake": {"sms_keywords": {"RATE": "Default"}}}`, `use "RATE"`},
		{`{"intake": {"sms_keywords": {"STOP": "Default"}}}`, `use "STOP"`},
		{`{"intake": {"sms_keywords": {"PAY": "Nope"}}}`, "grievance_types"},
		{`{"intake": {"default_category": "Nope"}}`, "default_category"},
		{`{"intake": {"tracking_max_failures": 0}}`, "tracking_max_failures"},
		{`{"intake": {"tracking_lockout_minutes": 0}}`, "tracking_lockout_minutes"},
		{`{"intake": {"stats_min_count": -1}}`, "stats_min_count"},
		{`{"intake": {"unknown": 1}}`, "unknown"},
	} {
		if _, err := grievance.ParseConfig([]byte(tt.doc)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.doc, err, tt.wantErr)
		}
	}
	cfg, err := grievance.ParseConfig([]byte(`{"intake": {"tracking_max_failures": 7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Intake.TrackingMaxFailures != 7 || cfg.Intake.TrackingLockoutMinutes != 15 || cfg.Intake.StatsMinCount != 5 {
		t.Fatalf("a partial intake key does not keep the other defaults: %+v", cfg.Intake)
	}
}

// BenchmarkTrackingMatch is the CPU one tracking attempt costs (docs/intake.md).
func BenchmarkTrackingMatch(b *testing.B) {
	r, err := grievance.NewTrackingRecord("t", fixedSecret)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r.Matches(fixedSecret)
	}
}

// askedTypes records the directory's searches by external id.
type askedTypes struct {
	externalIDs
	asked []grievance.PersonType
}

func (d *askedTypes) ScanPeople(ctx context.Context, q grievance.PersonScan, fn func(*grievance.Person) (bool, error)) error {
	if q.Path == grievance.SearchByExternalID {
		d.asked = append(d.asked, q.Type)
	}
	return d.externalIDs.ScanPeople(ctx, q, fn)
}

// Ensure the public form cannot tell by its work who is registered: a
// complaint refused for its own fields never asks the directory, and one
// that names a person asks both person types whether or not the first
// knows them.
func TestIntake_AsksTheRegistryAlikeForEveryone(t *testing.T) {
	f := newIntakeFixture(t, "")
	both := []grievance.PersonType{grievance.PersonIndividual, grievance.PersonBeneficiary}
	d := &askedTypes{externalIDs: externalIDs{f.st}}
	svc := grievance.NewService(f.st, func() time.Time { return f.now }, grievancetest.IDs(), grievance.Options{
		Tracking: f.st, Directory: d, NewSecret: func() string { return fixedSecret }})
	for _, tt := range []struct {
		name, ext, title string
		invalid          bool
		want             []grievance.PersonType
	}{
		{"refused for its title", "REG-1", strings.Repeat("t", 300), true, nil},
		{"a registered individual", "REG-1", "", false, both},
		{"no one", "REG-404", "", false, both},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d.asked = nil
			req := complaint("k-ask-" + strings.ReplaceAll(tt.name, " ", "-"))
			req.ReporterExternalID, req.Title = tt.ext, tt.title
			_, err := svc.Intake(context.Background(), req)
			if (grievance.ErrorCode(err) == grievance.CodeInvalid) != tt.invalid || (!tt.invalid && err != nil) {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(d.asked, tt.want) {
				t.Fatalf("asked %v, want %v", d.asked, tt.want)
			}
		})
	}
}

// failuresAsked counts the calls of TrackingFailed.
type failuresAsked struct {
	grievance.TrackingStore
	n int
}

func (c *failuresAsked) TrackingFailed(ctx context.Context, code string, now time.Time, p grievance.TrackingPolicy) error {
	c.n++
	return c.TrackingStore.TrackingFailed(ctx, code, now, p)
}

// Ensure a refused tracking attempt costs the same for a real code guessed
// wrong, an unknown code and a locked code (the store is asked to count
// each, and counts only the first), so that timing tells none apart; and
// a malformed code asks nothing.
func TestTrack_EveryRefusalOfAWellFormedCodeDoesTheSameWork(t *testing.T) {
	f := newIntakeFixture(t, `{"intake": {"tracking_max_failures": 2, "tracking_lockout_minutes": 10}}`)
	res := f.file(t, complaint("k-same-work"))
	counted := &failuresAsked{TrackingStore: f.st}
	svc := grievance.NewService(f.st, func() time.Time { return f.now }, grievancetest.IDs(), grievance.Options{
		Tracking: counted, NewSecret: func() string { return fixedSecret }})
	ctx := context.Background()
	for _, tt := range []struct {
		name, code string
		want       int
	}{
		{"a wrong secret", res.Code, 1},
		{"the failure that locks", res.Code, 1},
		{"while locked", res.Code, 1},
		{"an unknown code", "GRS09999999", 1},
		{"a malformed code", "not-a-code", 0},
	} {
		counted.n = 0
		if _, err := svc.Track(ctx, tt.code, "0000-0000"); grievance.ErrorCode(err) != grievance.CodeNotFound {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if counted.n != tt.want {
			t.Errorf("%s: the store was asked to count %d times, want %d", tt.name, counted.n, tt.want)
		}
	}
	// The guess while locked did not extend the lock.
	f.now = f.now.Add(11 * time.Minute)
	if _, err := svc.Track(ctx, res.Code, fixedSecret); err != nil {
		t.Fatalf("right secret after the lockout: %v", err)
	}
}
