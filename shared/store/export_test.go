package store

import (
	"context"
	"testing"

	"github.com/guregu/dynamo/v2"
)

// SetCounterRead makes fn run between reading the ticket counter in a
// create's turn and committing, so a test can change the counter there.
func SetCounterRead(s *Store, fn func()) { s.counterRead = fn }

// BumpCounter takes the next ticket number outside the queue, as a
// container of the version before turns does during a rolling deploy.
func BumpCounter(tb testing.TB, s *Store) {
	tb.Helper()
	var c counterItem
	ctx := context.Background()
	if err := s.main.Get(AttrPK, pkCounter).Range(AttrSK, dynamo.Equal, skTicketSeq).Consistent(true).One(ctx, &c); err != nil && err != dynamo.ErrNotFound {
		tb.Fatal(err)
	}
	up := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).Set("n", c.N+1).Set("kind", KindCounter)
	if c.N == 0 {
		up = up.If("attribute_not_exists(n)")
	} else {
		up = up.If("n = ?", c.N)
	}
	if err := up.Run(ctx); err != nil {
		tb.Fatal(err)
	}
}

// TakeTurn takes a place in the ticket counter's queue and never uses it,
// as a container that dies before its turn does.
func TakeTurn(tb testing.TB, s *Store) {
	tb.Helper()
	if _, err := s.takeTurn(context.Background()); err != nil {
		tb.Fatal(err)
	}
}
