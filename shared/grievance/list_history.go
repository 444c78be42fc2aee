package grievance

import "context"

// historySource yields recorded versions (tickets with showHistory or
// ticketVersion); ListTickets guards and collects them like live rows,
// judging each version by the live ticket too. Until a history store is
// wired, the live version stands for the only one. A scan of the history
// meets each ticket's newest version first: newest learns it, before any
// row is filtered out.
func (s *Service) historySource(ctx context.Context, fs []Filter, q TicketQuery, newest *newestVersions, from *cursor) rows[*Ticket] {
	id, byID := exactValue(fs, "id")
	wanted := func(fn func(*Ticket) (bool, error)) func(*Ticket) (bool, error) {
		return func(t *Ticket) (bool, error) {
			if q.Version != 0 && t.Version != q.Version {
				return true, nil
			}
			return fn(t)
		}
	}
	return func(fn func(*Ticket) (bool, error)) error {
		switch {
		case s.history != nil && byID && q.Version != 0:
			return one(fn)(s.history.TicketVersion(ctx, id, q.Version))
		case s.history != nil && from != nil:
			each := wanted(fn)
			return s.history.(HistoryPager).ScanTicketHistoryAfter(ctx, from.seq, from.version, func(t *Ticket) (bool, error) {
				if t.Seq != from.seq {
					// The cursor's ticket's newer versions were on the
					// pages before: its first row here is not its newest.
					newest.first(t)
				}
				return each(t)
			})
		case s.history != nil:
			each := wanted(fn)
			return s.history.ScanTicketHistory(ctx, id, func(t *Ticket) (bool, error) {
				newest.first(t)
				return each(t)
			})
		case byID:
			return one(wanted(fn))(s.store.Ticket(ctx, id))
		}
		return s.store.ScanTickets(ctx, TicketRange{By: RangeAll, Deleted: true, AlsoLive: true, Descending: true}, wanted(fn))
	}
}

// preloading passes source's rows on in groups of n (then up to 100),
// reading the live tickets of each group in one request first: guarded
// judges every history row by its live ticket, one request a ticket
// otherwise. The store reads its first page of 32 rows at once, so a
// group of up to 32 costs no read of the source's own.
func preloading(ctx context.Context, g *guard, source rows[*Ticket], n int) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error {
		var group []*Ticket
		stopped := false
		flush := func() (bool, error) {
			ids := make([]string, len(group))
			for i, t := range group {
				ids[i] = t.ID
			}
			if err := g.preload(ctx, ids); err != nil {
				return false, err
			}
			for _, t := range group {
				more, err := fn(t)
				if err != nil || !more {
					stopped = true
					return false, err
				}
			}
			group = group[:0]
			n = min(4*n, 100)
			return true, nil
		}
		err := source(func(t *Ticket) (bool, error) {
			if group = append(group, t); len(group) < n {
				return true, nil
			}
			return flush()
		})
		if err == nil && !stopped && len(group) > 0 {
			_, err = flush()
		}
		return err
	}
}

// one passes the result of a single-ticket read to fn; a missing ticket is
// no row.
func one(fn func(*Ticket) (bool, error)) func(*Ticket, error) error {
	return func(t *Ticket, err error) error {
		if ErrorCode(err) == CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		_, err = fn(t)
		return err
	}
}

// budgeted stops source with LIMIT_EXCEEDED once it has read more than
// budget rows, whether or not they matched: a filter that matches nothing
// must not read a whole table in one request.
func budgeted(source rows[*Ticket], budget int) rows[*Ticket] {
	return func(fn func(*Ticket) (bool, error)) error {
		read := 0
		return source(func(t *Ticket) (bool, error) {
			if read++; read > budget {
				return false, historyLimit(budget)
			}
			return fn(t)
		})
	}
}

// historyLimit is the refusal of a history list that would read more
// than budget versions.
func historyLimit(budget int) error {
	return Errorf(CodeLimit, "This history query reads more than %d versions; filter by id or narrow it.", budget)
}

// LiveVersions returns the live tickets of ids that the principal may see,
// masked for them (for isHistory and a comment's ticket).
func (s *Service) LiveVersions(ctx context.Context, ids []string) (map[string]*Ticket, error) {
	p := PrincipalFrom(ctx)
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	found, err := s.store.TicketsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, t := range found {
		if !visible(cfg, p, t) {
			delete(found, id)
			continue
		}
		found[id] = maskTicket(t, maskedFields(cfg, p, t))
	}
	return found, nil
}
