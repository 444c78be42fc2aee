package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ticket numbers are handed out in turns. Racing for the counter item made
// every round a lottery among all the containers creating at once: under a
// burst one create could lose round after round until its time ran out.
// Now a create first takes a place in a queue (an atomic ADD on the queue
// item, which never fails for contention) and commits when the counter's
// turn reaches that place; its transaction moves the turn on with the
// number. The counter's condition still decides, so numbers stay unique
// and gap-free whatever happens to the queue. A place whose holder died or
// gave up is skipped once the turn has not moved for turnStale.

const (
	skTicketQueue = "TICKETQ"
	turnStale     = time.Second
)

// queueItem hands out places in the ticket counter's queue.
type queueItem struct {
	PK   string `dynamo:"pk"`
	SK   string `dynamo:"sk"`
	Kind string `dynamo:"kind"`
	Take int64  `dynamo:"take"`
}

// takeTurn returns a new place in the queue.
func (s *Store) takeTurn(ctx context.Context) (int64, error) {
	var q queueItem
	err := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketQueue).Add("take", 1).Set("kind", KindCounter).Value(ctx, &q)
	if err != nil {
		return 0, translate("take a turn for the ticket counter", err)
	}
	return q.Take, nil
}

// turnOf is the place whose turn it is (a counter without one starts at 1).
func turnOf(c *counterItem) int64 { return max(c.Turn, 1) }

// turnIs is the condition that the counter's turn is still c's.
func turnIs(c *counterItem) (string, []any) {
	if c.Turn == 0 {
		return "attribute_not_exists(turn)", nil
	}
	return "turn = ?", []any{c.Turn}
}

// moveTurn passes the turn from c's to the next place, if it has not
// moved meanwhile; with stale, only if it has not moved since c was read.
func (s *Store) moveTurn(ctx context.Context, c *counterItem, stale bool) {
	cond, args := turnIs(c)
	up := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).
		Set("turn", turnOf(c)+1).Set("turnAt", time.Now().UnixMilli()).Set("kind", KindCounter).If(cond, args...)
	if stale {
		up = up.If("turnAt = ?", c.TurnAt)
	}
	// Best effort: a failed condition means someone else moved it; any
	// other failure leaves the turn to be skipped as stale.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = up.Run(ctx)
}

// startTurnClock stamps a turn that has never been stamped (a counter
// from before turns), so that it can go stale.
func (s *Store) startTurnClock(ctx context.Context) {
	_ = s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).Set("turnAt", time.Now().UnixMilli()).
		Set("kind", KindCounter).If("attribute_not_exists(turnAt)").Run(ctx)
}

// commitCreate commits w, which creates a ticket, in its turn. It gives up
// UNAVAILABLE at give.
func (s *Store) commitCreate(ctx context.Context, w *grievance.Write, give time.Time) error {
	q, err := s.takeTurn(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		var c counterItem
		err := s.main.Get(AttrPK, pkCounter).Range(AttrSK, dynamo.Equal, skTicketSeq).Consistent(true).One(ctx, &c)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return translate("read ticket counter", err)
		}
		turn := turnOf(&c)
		var wait time.Duration
		switch {
		case turn > q:
			// Skipped while too slow to take the turn: queue again.
			if q, err = s.takeTurn(ctx); err != nil {
				return err
			}
			continue
		case turn == q:
			if s.counterRead != nil {
				s.counterRead()
			}
			err := s.commitOnce(ctx, w, &c)
			if err == nil {
				return nil
			}
			if !retryable(err) {
				s.moveTurn(ctx, &c, false)
				return err
			}
			// The number moved under us (a writer outside the queue), or
			// DynamoDB refused a transaction racing another: read again.
			wait = rand.N(2 * time.Millisecond)
			if time.Now().Add(wait).After(give) {
				s.moveTurn(ctx, &c, false)
				return errBusy(attempt, err)
			}
		default:
			if c.TurnAt == 0 {
				s.startTurnClock(ctx)
			} else if time.Since(time.UnixMilli(c.TurnAt)) > turnStale {
				s.moveTurn(ctx, &c, true)
				continue
			}
			// Poll about as often as the places ahead are served.
			wait = min(time.Duration(q-turn)*4*time.Millisecond, 40*time.Millisecond)
			wait = wait/2 + rand.N(wait)
			if time.Now().Add(wait).After(give) {
				return errBusy(attempt, fmt.Errorf("place %d in the queue, turn %d", q, turn))
			}
		}
		select {
		case <-ctx.Done():
			return translate("commit", ctx.Err())
		case <-time.After(wait):
		}
	}
}

func errBusy(attempts int, err error) error {
	return &grievance.Error{Code: grievance.CodeUnavailable, Message: "The service is busy; try again shortly.",
		Err: fmt.Errorf("commit: still waiting for a ticket number after %d reads: %w", attempts+1, err)}
}
