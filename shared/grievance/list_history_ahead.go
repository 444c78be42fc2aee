package grievance

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// laterSet is a set of ticket numbers known now (set) or later: a walk
// started before the history postings are read keeps the candidates
// they name once they do (walkAhead).
type laterSet struct {
	set   *SeqSet
	ready chan struct{} // closed once set is known, or the walk dropped
	// dropped: the plan does not take the walk; it stops at its next
	// item.
	dropped bool
}

// wait returns the set once known (false: the walk was dropped, or the
// request ended).
func (l *laterSet) wait(ctx context.Context) (*SeqSet, bool) {
	if l.ready == nil {
		return l.set, true
	}
	select {
	case <-l.ready:
		return l.set, !l.dropped
	case <-ctx.Done():
		return nil, false
	}
}

// errWalkDropped ends a walk started ahead that the plan did not take.
var errWalkDropped = errors.New("the walk started ahead was not taken")

// walkAhead is the walk of a history sort index among the history
// postings' candidates, started beside the postings instead of after
// them: a list by a reader the sight rule affects, ordered by a column
// the groups do not serve (title, reporter), read the
// postings, then the index, then the versions, each waiting for the one
// before (the guard's live tickets and the page's people make 5 round
// trips). The walk's first Query does not need the candidates, only its
// items do: it runs in a goroutine of its own from the start, its items
// waiting for the candidates, and hands its rows over one at a time once
// the plan takes it (adopt); a plan that does not (few candidates, a
// count that needs every row) drops it, paying its one Query of index
// items.
type walkAhead struct {
	cands *laterSet
	plan  func()
	// rows hands a row to the consumer, which answers on more (false:
	// it has enough); quit ends the walk early; done closes when the
	// walk has ended, with err.
	rows chan *Ticket
	more chan bool
	quit chan struct{}
	done chan struct{}
	err  error
	stop sync.Once
	took bool
}

// startWalkAhead starts the walk pl's list would take among its
// candidates (historySortedAmong) when it is likely to: a reader the
// sight rule affects (the postings first decide and count their list),
// a column of HistorySortIndexed the groups do not serve (historyGroupedBy), and
// filters the index items judge alone; nil otherwise, and for a list the
// postings read first (postingsFirst).
func (s *Service) startWalkAhead(ctx context.Context, pl *ticketPlan, g *guard) *walkAhead {
	if len(g.unseen(pl.fs)) == 0 || pl.postingsFirst() || len(pl.order) != 1 || slices.Contains(historyGroupedBy, pl.order[0].field) {
		return nil
	}
	for _, f := range pl.fs {
		if !historyProjected(f) {
			return nil
		}
	}
	cands := &laterSet{ready: make(chan struct{})}
	src, plan, err := s.planWalk(ctx, pl, g, cands)
	if err != nil || src == nil {
		return nil
	}
	a := &walkAhead{cands: cands, plan: plan, rows: make(chan *Ticket), more: make(chan bool),
		quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.err = src(func(t *Ticket) (bool, error) {
			select {
			case a.rows <- t:
			case <-a.quit:
				return false, nil
			}
			select {
			case more := <-a.more:
				return more, nil
			case <-a.quit:
				return false, nil
			}
		})
	}()
	return a
}

// adopt takes the walk for pl, kept to cands: its rows from now on.
func (a *walkAhead) adopt(cands *SeqSet) rows[*Ticket] {
	a.cands.set = cands
	close(a.cands.ready)
	a.plan()
	a.took = true
	used := false
	return func(fn func(*Ticket) (bool, error)) error {
		if used {
			return errors.New("a walk started ahead is read once")
		}
		used = true
		for {
			select {
			case t := <-a.rows:
				more, err := fn(t)
				if err != nil || !more {
					a.end()
					return err
				}
				a.more <- true
			case <-a.done:
				return a.err
			}
		}
	}
}

// end stops the walk and waits for it.
func (a *walkAhead) end() {
	a.stop.Do(func() { close(a.quit) })
	<-a.done
}

// drop ends a walk the plan did not take (none: nil, or taken).
func (a *walkAhead) drop() {
	if a == nil || a.took {
		return
	}
	a.cands.dropped = true
	close(a.cands.ready)
	a.end()
}
