package grievance

import (
	"cmp"
	"context"
	"fmt"
	"strings"
)

// MutationLogQuery is a mutationLogs request.
type MutationLogQuery struct {
	ID string
	// UserID narrows to one user's logs; readers other than admins only
	// ever see their own.
	UserID              string
	ClientMutationID    string
	ClientMutationLabel string
	Status, StatusGte   *int
	RequestFrom         string // request_date_time__gte (ISO)
	RequestTo           string // request_date_time__lte
	RequestAt           string // request_date_time exact
	OrderBy             []string
	Page                PageArgs
	WantCount           bool
}

var logOrderFields = []string{"request_date_time", "status", "client_mutation_label", "client_mutation_id"}

// MutationLogs returns a page of the principal's own mutation logs (every
// user's for admins); anonymous callers get an empty page. Logs that name a
// ticket the reader may not see are left out.
func (s *Service) MutationLogs(ctx context.Context, q MutationLogQuery) (*Page[*MutationLog], error) {
	w, err := newWindow[*MutationLog]("mutationLogs", q.Page, q.WantCount)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct{ name, v string }{{"clientMutationId", q.ClientMutationID}, {"clientMutationLabel", q.ClientMutationLabel}, {"user", q.UserID}} {
		if err := checkText(f.name, f.v, MaxClientMutationID, false); err != nil {
			return nil, err
		}
	}
	if q.ID != "" && !ValidUUID(q.ID) {
		// Log ids are UUIDs: anything else names no log (and may be too
		// long to look up at all).
		return w.page(true), nil
	}
	p := PrincipalFrom(ctx)
	if p == nil {
		return w.page(true), nil
	}
	cfg, err := s.Config(ctx)
	if err != nil {
		return nil, err
	}
	order, err := parseOrder(q.OrderBy, logOrderFields)
	if err != nil {
		return nil, err
	}
	if len(order) == 0 {
		order = []orderKey{{"request_date_time", true}}
	}
	user := p.ID
	if p.Admin {
		user = q.UserID
	} else if q.UserID != "" && q.UserID != p.ID {
		return w.page(true), nil
	}
	logs, err := s.readLogs(ctx, q, user)
	if err != nil {
		return nil, err
	}
	tickets, err := s.logTickets(ctx, s.guard(cfg, p), logs)
	if err != nil {
		return nil, err
	}
	// A log shows nothing of a ticket the reader may not see: logs of
	// hidden tickets are left out, and inputs of masked fields are masked.
	keep := func(l *MutationLog) bool {
		if !q.matches(l) {
			return false
		}
		for _, id := range l.TicketIDs {
			if t, ok := tickets[id]; ok && !visible(cfg, p, t) {
				return false
			}
		}
		return true
	}
	show := func(l *MutationLog) *MutationLog {
		var m map[string]bool
		for _, id := range l.TicketIDs {
			if t, ok := tickets[id]; ok {
				for f := range maskedFields(cfg, p, t) {
					if m == nil {
						m = map[string]bool{}
					}
					m[f] = true
				}
			}
		}
		return maskLog(l, m)
	}
	return collect(w, each(logs, keep, show), false, compareLogs(order))
}

// readLogs reads the logs q may show of user's ("" = everyone's).
func (s *Service) readLogs(ctx context.Context, q MutationLogQuery, user string) ([]*MutationLog, error) {
	switch {
	case q.ID != "":
		l, err := s.store.MutationLog(ctx, q.ID)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, fmt.Errorf("load mutation log: %w", err)
		}
		if err == nil && (user == "" || l.UserID == user) {
			return []*MutationLog{l}, nil
		}
		return nil, nil
	case q.ClientMutationID != "" && user != "":
		// A client polling its own mutation: the claim names the log, read
		// with strong consistency (an index could lag behind the commit).
		l, err := s.store.ClientMutation(ctx, user, q.ClientMutationID)
		if err != nil {
			return nil, fmt.Errorf("load mutation log: %w", err)
		}
		if l != nil {
			return []*MutationLog{l}, nil
		}
		return nil, nil
	}
	var logs []*MutationLog
	if err := s.store.ScanMutationLogs(ctx, user, q.ClientMutationID, upTo(&logs)); err != nil {
		return nil, fmt.Errorf("list mutation logs: %w", err)
	}
	return logs, nil
}

// logTickets reads the tickets the logs name, when the configuration
// hides anything at all (otherwise no log needs them).
func (s *Service) logTickets(ctx context.Context, g *guard, logs []*MutationLog) (map[string]*Ticket, error) {
	var ids []string
	for _, l := range logs {
		ids = append(ids, l.TicketIDs...)
	}
	if len(ids) == 0 || !g.sensitive() {
		return map[string]*Ticket{}, nil
	}
	tickets, err := s.store.TicketsByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	return tickets, nil
}

// matches reports whether l passes q's filters.
func (q MutationLogQuery) matches(l *MutationLog) bool {
	if q.ClientMutationID != "" && l.ClientMutationID != q.ClientMutationID {
		return false
	}
	if q.ClientMutationLabel != "" && l.ClientMutationLabel != q.ClientMutationLabel {
		return false
	}
	if q.Status != nil && int(l.Status) != *q.Status {
		return false
	}
	if q.StatusGte != nil && int(l.Status) < *q.StatusGte {
		return false
	}
	at := FormatDateTime(l.RequestDateTime)
	return (q.RequestFrom == "" || at >= q.RequestFrom) && (q.RequestTo == "" || at <= q.RequestTo) && (q.RequestAt == "" || at == q.RequestAt)
}

// compareLogs orders logs by order, then by id.
func compareLogs(order []orderKey) func(a, b *MutationLog) int {
	return byOrder(order, func(field string, a, b *MutationLog) int {
		switch field {
		case "request_date_time":
			return a.RequestDateTime.Compare(b.RequestDateTime)
		case "status":
			return cmp.Compare(a.Status, b.Status)
		case "client_mutation_label":
			return strings.Compare(a.ClientMutationLabel, b.ClientMutationLabel)
		case "client_mutation_id":
			return strings.Compare(a.ClientMutationID, b.ClientMutationID)
		}
		return 0
	}, func(a, b *MutationLog) int { return strings.Compare(a.ID, b.ID) })
}
