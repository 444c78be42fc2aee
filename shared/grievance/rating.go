package grievance

import (
	"context"
	"fmt"
	"time"
)

// Satisfaction (docs/notifications.md): on resolution the complainant is
// asked to rate the outcome from 1 to 5; a rating at or below
// notifications.appeal_threshold given within appeal_within_days of the
// resolution reopens the ticket as an appeal, once per ticket.

// MutationRate is the mutation name a rating runs under (Mutate's
// MutationRequest.Name): the store writes it as the ticket's lastMutation,
// and functions/tasks publishes ticket.appealed when such a write reopens
// the ticket.
const MutationRate = "rateOutcome"

// RatingInput is a complainant's rating of a resolved ticket. The caller
// (intake: an SMS reply, the tracking endpoint) has established who sent
// it: FromPhone is the number an SMS came from, which must be the
// ticket's; Verified says the tracking secret was checked instead.
type RatingInput struct {
	Code      string
	Rating    int
	FromPhone string
	Verified  bool
}

// RatingResult says what a rating did.
type RatingResult struct {
	TicketID string
	Appealed bool
}

// RateOutcome plans storing a rating: run it in Mutate (with the intake's
// principal and the channel's message id as clientMutationId, so that a
// redelivered SMS rates once). A wrong code and a phone that is not the
// ticket's give the same NOT_FOUND: a sender learns nothing about tickets
// that are not theirs.
func (s *Service) RateOutcome(ctx context.Context, in RatingInput, res *RatingResult) (*Write, error) {
	p := PrincipalFrom(ctx)
	if p == nil {
		return nil, errUnauthenticated()
	}
	if in.Rating < 1 || in.Rating > 5 {
		return nil, Errorf(CodeInvalid, "A rating is a number from 1 to 5.")
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	notFound := Errorf(CodeNotFound, "Not found.")
	seq, ok := ParseCode(in.Code)
	if !ok {
		return nil, notFound
	}
	var t *Ticket
	err = s.store.ScanTickets(ctx, TicketRange{By: RangeSeq, Seq: seq}, func(tk *Ticket) (bool, error) {
		t = tk
		return false, nil
	})
	if err != nil {
		return nil, fmt.Errorf("find ticket %s: %w", in.Code, err)
	}
	if t == nil || t.IsDeleted || !in.Verified && (in.FromPhone == "" || t.Contact == nil || t.Contact.Phone != in.FromPhone) {
		return nil, notFound
	}
	if t.Status != StatusResolved && t.Status != StatusClosed {
		return nil, Errorf(CodeInvalid, "Ticket %s is not resolved: there is no outcome to rate yet.", t.Code)
	}
	if !t.RatedAt.IsZero() && !t.RatedAt.Before(t.DateResolved) {
		return nil, Errorf(CodeInvalid, "The outcome of %s has been rated already.", t.Code)
	}
	now := s.now().UTC()
	old := t.Clone()
	t.Rating, t.RatedAt = in.Rating, now
	nc := cfg.Notifications
	w := &Write{}
	if in.Rating <= nc.AppealThreshold && t.AppealedAt.IsZero() &&
		now.Sub(t.DateResolved) <= time.Duration(nc.AppealWithinDays)*24*time.Hour {
		// The appeal reopens the ticket as reopenTicket does: status OPEN,
		// its resolution comment no longer flagged.
		if err := s.unflagResolution(ctx, p, t, w); err != nil {
			return nil, err
		}
		t.Status, t.AppealedAt = StatusOpen, now
	}
	s.touchTicket(t, p)
	w.Tickets = append(w.Tickets, TicketWrite{Ticket: t, Prev: old.Version, Old: old})
	if res != nil {
		*res = RatingResult{TicketID: t.ID, Appealed: t.Status == StatusOpen}
	}
	return w, nil
}

// RateTracked rates the outcome of the ticket code after its tracking
// secret was checked (the tracking endpoint): Track verifies the secret
// (with its failure count and lockout), then RateOutcome runs with
// Verified under intake's principal of source. It returns the public view,
// its status updated when the rating reopened the ticket. A wrong code or
// secret is Track's NOT_FOUND; a refused rating is the rating's error.
func (s *Service) RateTracked(ctx context.Context, source, code, secret string, rating int) (*PublicView, *RatingResult, error) {
	if rating < 1 || rating > 5 {
		return nil, nil, Errorf(CodeInvalid, "A rating is a number from 1 to 5.")
	}
	v, err := s.Track(ctx, code, secret)
	if err != nil {
		return nil, nil, err
	}
	var (
		res     RatingResult
		planErr error
	)
	ctx = NewContext(ctx, &Principal{ID: intakeUser(source), Username: intakeUser(source)})
	log, err := s.Mutate(ctx, MutationRequest{Name: MutationRate, Class: "RateOutcomeMutation"},
		func(ctx context.Context) (*Write, error) {
			w, err := s.RateOutcome(ctx, RatingInput{Code: v.Code, Rating: rating, Verified: true}, &res)
			planErr = err
			return w, err
		})
	if err != nil {
		return nil, nil, err
	}
	if log.Status != MutationSuccess {
		if planErr == nil {
			planErr = Errorf(CodeConflict, "The rating was not recorded; try again.")
		}
		return nil, nil, planErr
	}
	if res.Appealed {
		v.Status = StatusOpen
	}
	return v, &res, nil
}
