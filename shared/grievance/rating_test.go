package grievance_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// Ensure a rating is taken only from the ticket's complainant (its phone,
// or a verified tracking secret) for a resolved ticket, once per
// resolution; and that a rating at or below the threshold within the
// appeal window reopens the ticket as an appeal, once per ticket.
func TestRateOutcome(t *testing.T) {
	resolved := at("2026-03-10 12:00")
	const phone = "+67077123456"
	for _, tc := range []struct {
		name     string
		edit     func(*grievance.Ticket)
		in       grievance.RatingInput
		now      string
		wantErr  string // part of the log's error; "" success
		appealed bool
	}{
		{name: "HighRatingStored", in: grievance.RatingInput{Rating: 4, FromPhone: phone}, now: "2026-03-11 09:00"},
		{name: "LowRatingAppeals", in: grievance.RatingInput{Rating: 1, FromPhone: phone}, now: "2026-03-11 09:00", appealed: true},
		{name: "ThresholdAppeals", in: grievance.RatingInput{Rating: 2, FromPhone: phone}, now: "2026-03-11 09:00", appealed: true},
		{name: "VerifiedBySecret", in: grievance.RatingInput{Rating: 1, Verified: true}, now: "2026-03-11 09:00", appealed: true},
		{name: "LowRatingTooLate", in: grievance.RatingInput{Rating: 1, FromPhone: phone}, now: "2026-04-10 12:01"},
		{name: "AppealOnlyOnce", edit: func(t *grievance.Ticket) { t.AppealedAt = at("2026-03-05 00:00") },
			in: grievance.RatingInput{Rating: 1, FromPhone: phone}, now: "2026-03-11 09:00"},
		{name: "OtherPhone", in: grievance.RatingInput{Rating: 1, FromPhone: "+67077000000"}, now: "2026-03-11 09:00", wantErr: "Not found."},
		{name: "NoProof", in: grievance.RatingInput{Rating: 1}, now: "2026-03-11 09:00", wantErr: "Not found."},
		{name: "UnknownCode", in: grievance.RatingInput{Code: "GRS00000099", Rating: 1, FromPhone: phone}, now: "2026-03-11 09:00", wantErr: "Not found."},
		{name: "OutOfRange", in: grievance.RatingInput{Rating: 6, FromPhone: phone}, now: "2026-03-11 09:00", wantErr: "from 1 to 5"},
		{name: "NotResolved", edit: func(t *grievance.Ticket) { t.Status = grievance.StatusInProgress },
			in: grievance.RatingInput{Rating: 3, FromPhone: phone}, now: "2026-03-11 09:00", wantErr: "not resolved"},
		{name: "RatedAlready", edit: func(t *grievance.Ticket) { t.Rating, t.RatedAt = 5, at("2026-03-10 13:00") },
			in: grievance.RatingInput{Rating: 1, FromPhone: phone}, now: "2026-03-11 09:00", wantErr: "rated already"},
		{name: "RatedBeforeLastResolution", edit: func(t *grievance.Ticket) { t.Rating, t.RatedAt = 5, at("2026-03-01 13:00") },
			in: grievance.RatingInput{Rating: 4, FromPhone: phone}, now: "2026-03-11 09:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			now := at(tc.now)
			svc := grievance.NewService(st, func() time.Time { return now }, grievancetest.IDs(), grievance.Options{})
			tk := &grievance.Ticket{ID: "t1", Version: 3, Status: grievance.StatusClosed, Category: "Default", DateResolved: resolved,
				Contact: &grievance.Contact{Phone: phone}, JSONExt: map[string]any{"comment_ids": []any{"c1"}}}
			if tc.edit != nil {
				tc.edit(tk)
			}
			st.SeedTicket(tk)
			st.SeedComment(&grievance.Comment{ID: "c1", TicketID: "t1", Version: 1, IsResolution: true})
			in := tc.in
			if in.Code == "" {
				in.Code = grievance.FormatCode(1)
			}
			ctx := grievance.NewContext(context.Background(), &grievance.Principal{ID: "redress:intake"})
			var res grievance.RatingResult
			log, err := svc.Mutate(ctx, grievance.MutationRequest{Name: grievance.MutationRate, Class: "RateOutcomeMutation", ClientMutationID: "sms-1"},
				func(ctx context.Context) (*grievance.Write, error) { return svc.RateOutcome(ctx, in, &res) })
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" {
				if log.Status != grievance.MutationFailed || !strings.Contains(log.Error, tc.wantErr) {
					t.Fatalf("log %d %s, want a failure with %q", log.Status, log.Error, tc.wantErr)
				}
				return
			}
			if log.Status != grievance.MutationSuccess {
				t.Fatalf("log %d %s", log.Status, log.Error)
			}
			got, _ := st.Ticket(context.Background(), "t1")
			if got.Rating != in.Rating || !got.RatedAt.Equal(now) {
				t.Errorf("rating %d at %v, want %d at %v", got.Rating, got.RatedAt, in.Rating, now)
			}
			c, _ := st.Comment(context.Background(), "c1")
			if appealed := got.Status == grievance.StatusOpen; appealed != tc.appealed || res.Appealed != tc.appealed || c.IsResolution == tc.appealed {
				t.Errorf("status %s (result %v, comment still the resolution: %v), want appealed=%v", got.Status, res.Appealed, c.IsResolution, tc.appealed)
			}
			if tc.appealed && !got.AppealedAt.Equal(now) {
				t.Errorf("appealedAt %v, want %v", got.AppealedAt, now)
			}
		})
	}
}
