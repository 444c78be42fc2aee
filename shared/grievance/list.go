package grievance

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// ListMode selects which tickets a list reads.
type ListMode int

// List modes.
const (
	ModeLive    ListMode = iota // tickets: live tickets
	ModeAll                     // ticketsStr, ticketDetails: deleted ones too
	ModeHistory                 // tickets(showHistory/ticketVersion): every version
)

// TicketQuery is a ticket list request.
type TicketQuery struct {
	Connection       string // field name, for limit messages
	Filters          []Filter
	OrderBy          []string
	Mode             ListMode
	Version          int // ticketVersion
	ClientMutationID string
	Page             PageArgs
	WantCount        bool
	// SLAStatus and ResolvedWithinTime filter on the computed service-level
	// fields ("" and nil: no filter). A ticket whose due date the reader
	// may not see matches neither.
	SLAStatus          string
	ResolvedWithinTime *bool
}

var ticketOrderFields = []string{"id", "code", "title", "key", "description", "status", "priority", "category",
	"flags", "channel", "resolution", "reporter_id", "reporter_type", "version", "date_created", "date_updated",
	"due_date", "date_of_incident", "is_deleted", "date_valid_from"}

// ticketOrderValue returns the value a ticket sorts by on field: text, or
// a number for the numeric orders.
func ticketOrderValue(t *Ticket, field string) (string, int) {
	switch field {
	case "version":
		return "", t.Version
	case "date_created", "date_valid_from":
		return "", int(t.Seq) // creation order is ticket-number order
	case "date_updated":
		return FormatDateTime(t.DateUpdated), 0
	case "reporter_type":
		return string(t.ReporterType), 0
	case "is_deleted":
		if t.IsDeleted {
			return "1", 0
		}
		return "0", 0
	}
	if f, ok := ticketFields[field]; ok && f.text != nil {
		return f.text(t), 0
	}
	return "", 0
}

// ListTickets returns a page of tickets.
func (s *Service) ListTickets(ctx context.Context, q TicketQuery) (*Page[*Ticket], error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.QueryTicketsPerms })
	if err != nil {
		return nil, err
	}
	if q.Connection == "" {
		q.Connection = "tickets"
	}
	if err := checkText("clientMutationId", q.ClientMutationID, MaxClientMutationID, false); err != nil {
		return nil, err
	}
	w, err := newWindow[*Ticket](q.Connection, q.Page, q.WantCount)
	if err != nil {
		return nil, err
	}
	fs, err := normalizeFilters(ticketFields, func(f Filter) (bool, error) {
		if f.Field != StaffUsernameField {
			return false, nil
		}
		if f.Lookup != Exact && f.Lookup != IContains {
			return false, Errorf(CodeInvalid, "Filtering on %s with lookup %s is not supported.", f.Field, f.Lookup)
		}
		if _, ok := f.Value.(string); !ok {
			return false, Errorf(CodeInvalid, "%s takes a string.", f.Field)
		}
		return true, nil
	}, q.Filters)
	if err != nil {
		return nil, err
	}
	order, err := parseOrder(q.OrderBy, ticketOrderFields)
	if err != nil {
		return nil, err
	}
	staffIDs, err := s.staffIDs(ctx, fs)
	if err != nil {
		return nil, err
	}
	slaMatch, slaStatuses, err := s.slaFilter(cfg, q)
	if err != nil {
		return nil, err
	}
	native := len(order) == 0 || order[0].field == "date_created" || order[0].field == "code" || order[0].field == "date_valid_from"
	desc := len(order) == 0 || order[0].desc
	if staffIDs != nil && len(staffIDs) == 0 {
		return w.page(true), nil
	}

	var (
		source  func(fn func(*Ticket) (bool, error)) error
		keyed   bool         // rows come in number order from a key range
		counted *TicketRange // count from the maintained counts of this range
	)
	switch {
	case q.Mode == ModeHistory:
		source = budgeted(s.historySource(ctx, fs, q), s.historyReadBudget)
	case q.ClientMutationID != "":
		source = s.mutationTicketsSource(ctx, q.ClientMutationID)
	default:
		if id, ok := exactValue(fs, "id"); ok {
			source = func(fn func(*Ticket) (bool, error)) error {
				t, err := s.store.Ticket(ctx, id)
				if ErrorCode(err) == CodeNotFound {
					return nil
				}
				if err != nil {
					return err
				}
				_, err = fn(t)
				return err
			}
			break
		}
		r, exact := chooseRange(fs, staffIDs, q.Mode, slaStatuses)
		r.Descending = desc
		if native && w.after.seq > 0 && q.Page.Offset == 0 && (w.after.dir == 'd') == desc && r.By != RangeSeq {
			// Keyset paging: start the key range after the previous page's
			// last ticket instead of reading every row before it.
			r.After = w.after.seq
			w.startAfter()
		}
		keyed = native
		// totalCount from the maintained counts when the key range is the
		// whole answer: no filter left to apply and nothing hidden from
		// this reader.
		noSLA := q.SLAStatus == "" && q.ResolvedWithinTime == nil
		if q.WantCount && exact && noSLA && (q.Page.Last == nil || q.Page.First != nil) && !s.guard(cfg, p).affects(fs) {
			counted = &r
			w.needAll = false
		}
		switch {
		case !native || w.needAll:
			r.PageHint = maxScanPage
		case w.first >= 0:
			// The page's rows, one more to know whether there is a next
			// page, and (without a keyset start) the rows skipped before.
			r.PageHint = w.first + 1
			if r.After == 0 {
				r.PageHint += w.lower
			}
		}
		source = func(fn func(*Ticket) (bool, error)) error { return s.store.ScanTickets(ctx, r, fn) }
	}
	// Visibility, filters and masking run on every row read, whatever its
	// source; rows are masked before they are sorted, so an order cannot
	// reveal a hidden value either.
	g := s.guard(cfg, p)
	history := q.Mode == ModeHistory
	guarded := func(fn func(*Ticket) (bool, error)) error {
		return source(func(t *Ticket) (bool, error) {
			if q.Mode == ModeLive && t.IsDeleted {
				return true, nil
			}
			ok, m, err := g.judge(ctx, t, history)
			if err != nil {
				return false, err
			}
			if !ok || !matchesTicket(fs, staffIDs, t) || filtersTouch(fs, m) {
				return true, nil
			}
			t = maskTicket(t, m)
			if !slaMatch(t) {
				return true, nil
			}
			return fn(t)
		})
	}
	// The count is read while the page is: a list costs the latency of
	// one round trip less.
	count := countAsync(ctx, s.store, counted)
	page, err := collect(w, guarded, native, func(a, b *Ticket) int { return compareTickets(order, a, b) })
	n, countErr := count()
	if err != nil {
		return nil, err
	}
	if keyed {
		page.desc = desc
		for _, t := range page.Items {
			page.keys = append(page.keys, t.Seq)
		}
	}
	if counted != nil {
		if countErr != nil {
			return nil, fmt.Errorf("count tickets: %w", countErr)
		}
		page.TotalCount, page.Counted = n, true
	}
	return page, nil
}

// countAsync starts counting the tickets of r (the whole range: After is
// ignored) and returns a function that waits for the count. A nil r counts
// nothing. The wait is always taken, so the read never outlives its
// request; a panic in the store comes back as an error.
func countAsync(ctx context.Context, st TicketStore, r *TicketRange) func() (int, error) {
	if r == nil {
		return func() (int, error) { return 0, nil }
	}
	cr := *r
	cr.After = 0
	var (
		n    int
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer func() {
			if x := recover(); x != nil {
				err = fmt.Errorf("count tickets panicked: %v", x)
			}
		}()
		n, err = st.CountTickets(ctx, cr)
	}()
	return func() (int, error) {
		<-done
		return n, err
	}
}

// collect runs the rows of source (already filtered) into the window; rows
// in an order no index serves are sorted in memory first (bounded by
// maxSorted).
func collect[T any](w *window[T], source func(func(T) (bool, error)) error, native bool, cmp func(a, b T) int) (*Page[T], error) {
	if native {
		full := true
		err := source(func(x T) (bool, error) {
			if !w.add(x) {
				full = false
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		return w.page(full), nil
	}
	var rows []T
	err := source(func(x T) (bool, error) {
		if len(rows) >= maxSorted {
			return false, errTooManyToSort(maxSorted)
		}
		rows = append(rows, x)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	slices.SortStableFunc(rows, cmp)
	for _, x := range rows {
		w.add(x)
	}
	return w.page(true), nil
}

func compareTickets(order []orderKey, a, b *Ticket) int {
	for _, k := range order {
		as, ai := ticketOrderValue(a, k.field)
		bs, bi := ticketOrderValue(b, k.field)
		c := compareText(as, bs)
		if c == 0 {
			c = compareInt(ai, bi)
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	c := compareInt(int(a.Seq), int(b.Seq))
	if c == 0 {
		c = compareInt(a.Version, b.Version)
	}
	return -c
}

func exactValue(fs []Filter, field string) (string, bool) {
	for _, f := range fs {
		if f.Field == field && f.Lookup == Exact {
			if s, ok := f.Value.(string); ok {
				return s, true
			}
		}
	}
	return "", false
}

// chooseRange picks the narrowest key range that holds every ticket the
// filters can match (and, when allowed is not nil, only tickets in those
// statuses); the filters still run on each row read. exact reports that
// the range is the whole answer: every filter is implied by it.
func chooseRange(fs []Filter, staffIDs map[string]bool, mode ListMode, allowed []Status) (TicketRange, bool) {
	only := func(fields ...string) bool {
		for _, f := range fs {
			if !slices.Contains(fields, f.Field) || (f.Field != "status" && f.Lookup != Exact) {
				return false
			}
		}
		return allowed == nil
	}
	if code, ok := exactValue(fs, "code"); ok {
		if seq, ok := ParseCode(code); ok {
			return TicketRange{By: RangeSeq, Seq: seq, Deleted: mode == ModeAll, AlsoLive: true}, only("code")
		}
		return TicketRange{By: RangeSeq, Seq: -1}, true
	}
	if mode == ModeAll {
		return TicketRange{By: RangeAll, Deleted: true, AlsoLive: true}, only()
	}
	if id, ok := exactValue(fs, "attending_staff__id"); ok {
		return TicketRange{By: RangeStaff, Keys: []string{id}}, only("attending_staff__id")
	}
	if len(staffIDs) == 1 {
		for id := range staffIDs {
			return TicketRange{By: RangeStaff, Keys: []string{id}}, false
		}
	}
	if id, ok := exactValue(fs, "reporter_id"); ok {
		return TicketRange{By: RangeReporter, Keys: []string{id}}, only("reporter_id")
	}
	statuses := slices.Clone(Statuses)
	if allowed != nil {
		statuses = slices.DeleteFunc(statuses, func(s Status) bool { return !slices.Contains(allowed, s) })
	}
	for _, f := range fs {
		if f.Field == "status" {
			m := statusesMatching(f)
			statuses = slices.DeleteFunc(statuses, func(s Status) bool { return !slices.Contains(m, s) })
		}
	}
	if len(statuses) < len(Statuses) {
		keys := make([]string, len(statuses))
		for i, s := range statuses {
			keys[i] = string(s)
		}
		// A status lookup is exact here: the partitions are the statuses
		// that satisfy every status filter (the SLA restriction aside).
		return TicketRange{By: RangeStatus, Keys: keys}, only("status")
	}
	if cat, ok := exactValue(fs, "category"); ok {
		return TicketRange{By: RangeCategory, Keys: []string{cat}}, only("category")
	}
	return TicketRange{By: RangeAll}, only()
}

// staffIDs resolves username filters to the ids of matching users; nil
// means there is no such filter.
func (s *Service) staffIDs(ctx context.Context, fs []Filter) (map[string]bool, error) {
	var ids map[string]bool
	for _, f := range fs {
		if f.Field != StaffUsernameField {
			continue
		}
		want := f.Value.(string)
		found := map[string]bool{}
		if f.Lookup == Exact {
			u, err := s.store.UserByUsername(ctx, want)
			if err != nil && ErrorCode(err) != CodeNotFound {
				return nil, fmt.Errorf("look up user %q: %w", want, err)
			}
			if err == nil {
				found[u.ID] = true
			}
		} else {
			users, err := s.store.Users(ctx)
			if err != nil {
				return nil, fmt.Errorf("list users: %w", err)
			}
			for _, u := range users {
				if matchText(u.Username, IContains, want) {
					found[u.ID] = true
				}
			}
		}
		if ids == nil {
			ids = found
			continue
		}
		for id := range ids {
			if !found[id] {
				delete(ids, id)
			}
		}
	}
	return ids, nil
}

// mutationTicketsSource yields the tickets touched by mutations with a
// clientMutationId (anyone's, as openIMIS does), newest first.
func (s *Service) mutationTicketsSource(ctx context.Context, cmid string) func(func(*Ticket) (bool, error)) error {
	return func(fn func(*Ticket) (bool, error)) error {
		var ids []string
		err := s.store.ScanMutationLogs(ctx, "", cmid, func(l *MutationLog) (bool, error) {
			if l.Status == MutationSuccess {
				ids = append(ids, l.TicketIDs...)
			}
			return len(ids) < maxBatch, nil
		})
		if err != nil {
			return err
		}
		tickets, err := s.store.TicketsByID(ctx, ids)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, id := range ids {
			t, ok := tickets[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if more, err := fn(t); err != nil || !more {
				return err
			}
		}
		return nil
	}
}

// historySource yields recorded versions. Until a history store is wired,
// the live version stands for the only one.
func (s *Service) historySource(ctx context.Context, fs []Filter, q TicketQuery) func(func(*Ticket) (bool, error)) error {
	id, byID := exactValue(fs, "id")
	return func(fn func(*Ticket) (bool, error)) error {
		if s.history != nil {
			if byID && q.Version != 0 {
				t, err := s.history.TicketVersion(ctx, id, q.Version)
				if ErrorCode(err) == CodeNotFound {
					return nil
				}
				if err != nil {
					return err
				}
				_, err = fn(t)
				return err
			}
			return s.history.ScanTicketHistory(ctx, id, func(t *Ticket) (bool, error) {
				if q.Version != 0 && t.Version != q.Version {
					return true, nil
				}
				return fn(t)
			})
		}
		emit := func(t *Ticket) (bool, error) {
			if q.Version != 0 && t.Version != q.Version {
				return true, nil
			}
			return fn(t)
		}
		if byID {
			t, err := s.store.Ticket(ctx, id)
			if ErrorCode(err) == CodeNotFound {
				return nil
			}
			if err != nil {
				return err
			}
			_, err = emit(t)
			return err
		}
		return s.store.ScanTickets(ctx, TicketRange{By: RangeAll, Deleted: true, AlsoLive: true, Descending: true}, emit)
	}
}

// budgeted stops source with LIMIT_EXCEEDED once it has read more than
// budget rows, whether or not they matched: a filter that matches nothing
// must not read a whole table in one request.
func budgeted(source func(func(*Ticket) (bool, error)) error, budget int) func(func(*Ticket) (bool, error)) error {
	return func(fn func(*Ticket) (bool, error)) error {
		read := 0
		return source(func(t *Ticket) (bool, error) {
			if read++; read > budget {
				return false, Errorf(CodeLimit, "This history query reads more than %d versions; filter by id or narrow it.", budget)
			}
			return fn(t)
		})
	}
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

// CommentQuery is a comment list request. Filters on the comment's ticket
// have fields prefixed "ticket__".
type CommentQuery struct {
	Filters   []Filter
	OrderBy   []string
	Page      PageArgs
	WantCount bool
}

var commentOrderFields = []string{"id", "comment", "date_created", "date_updated", "is_resolution", "version", "commenter_id", "commenter_type"}

// ListComments returns a page of comments. Readers without the comment
// right see the comments of the tickets they attend, and only those.
// Deleted comments and comments of deleted or hidden tickets are left out.
func (s *Service) ListComments(ctx context.Context, q CommentQuery) (*Page[*Comment], error) {
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	all := p.HasAny(cfg.QueryCommentsPerms)
	w, err := newWindow[*Comment]("comments", q.Page, q.WantCount)
	if err != nil {
		return nil, err
	}
	var cf, tf []Filter
	for _, f := range q.Filters {
		if name, ok := strings.CutPrefix(f.Field, "ticket__"); ok {
			f.Field = name
			tf = append(tf, f)
		} else {
			cf = append(cf, f)
		}
	}
	if cf, err = normalizeFilters(commentFields, nil, cf); err != nil {
		return nil, err
	}
	if tf, err = normalizeFilters(ticketFields, func(f Filter) (bool, error) { return f.Field == StaffUsernameField, nil }, tf); err != nil {
		return nil, err
	}
	order, err := parseOrder(q.OrderBy, commentOrderFields)
	if err != nil {
		return nil, err
	}
	staffIDs, err := s.staffIDs(ctx, tf)
	if err != nil {
		return nil, err
	}

	var comments []*Comment
	tickets := map[string]*Ticket{}
	if tid, ok := exactValue(tf, "id"); ok {
		// One strongly consistent Query reads the ticket and its comments
		// (they share its partition); the comments are dropped unless the
		// reader may see them.
		t, cs, err := s.store.TicketWithComments(ctx, tid)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, fmt.Errorf("load ticket %s: %w", tid, err)
		}
		// Without the comment right only the attending staff of this very
		// ticket may read; anyone else is refused whether or not the
		// ticket exists or is hidden, so the answer reveals neither.
		if !all && (err != nil || !visible(cfg, p, t) || !mayComment(p, cfg.QueryCommentsPerms, t)) {
			return nil, Errorf(CodeForbidden, "Unauthorized")
		}
		if err == nil && visible(cfg, p, t) {
			tickets[t.ID] = t
			comments = cs
		}
	} else if all {
		err := s.store.ScanComments(ctx, false, func(c *Comment) (bool, error) {
			if len(comments) >= maxSorted {
				return false, errTooManyToSort(maxSorted)
			}
			comments = append(comments, c)
			return true, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list comments: %w", err)
		}
		ids := make([]string, 0, len(comments))
		for _, c := range comments {
			ids = append(ids, c.TicketID)
		}
		if tickets, err = s.store.TicketsByID(ctx, ids); err != nil {
			return nil, fmt.Errorf("load tickets: %w", err)
		}
	} else {
		// Attending staff without the right: their own tickets' comments.
		var own []*Ticket
		err := s.store.ScanTickets(ctx, TicketRange{By: RangeStaff, Keys: []string{p.ID}}, func(t *Ticket) (bool, error) {
			own = append(own, t)
			return len(own) < maxSorted, nil
		})
		if err != nil {
			return nil, fmt.Errorf("list attended tickets: %w", err)
		}
		if len(own) == 0 {
			return nil, Errorf(CodeForbidden, "Unauthorized")
		}
		for _, t := range own {
			tickets[t.ID] = t
			cs, err := s.store.CommentsOfTicket(ctx, t.ID)
			if err != nil {
				return nil, fmt.Errorf("load comments: %w", err)
			}
			comments = append(comments, cs...)
		}
		slices.SortStableFunc(comments, func(a, b *Comment) int { return a.DateCreated.Compare(b.DateCreated) })
	}
	keep := func(c *Comment) bool {
		t := tickets[c.TicketID]
		if c.IsDeleted || t == nil || t.IsDeleted || !visible(cfg, p, t) || !mayComment(p, cfg.QueryCommentsPerms, t) {
			return false
		}
		for _, f := range cf {
			if !matchField(commentFields[f.Field], f, c) {
				return false
			}
		}
		return matchesTicket(tf, staffIDs, t) && !filtersTouch(tf, maskedFields(cfg, p, t))
	}
	if len(order) == 0 {
		order = []orderKey{{"date_created", false}}
	}
	return collect(w, func(fn func(*Comment) (bool, error)) error {
		for _, c := range comments {
			if !keep(c) {
				continue
			}
			if more, err := fn(maskComment(c, maskedFields(cfg, p, tickets[c.TicketID]))); err != nil || !more {
				return err
			}
		}
		return nil
	}, false, func(a, b *Comment) int { return compareComments(order, a, b) })
}

func compareComments(order []orderKey, a, b *Comment) int {
	for _, k := range order {
		var c int
		switch k.field {
		case "id":
			c = compareText(a.ID, b.ID)
		case "comment":
			c = compareText(a.Comment, b.Comment)
		case "date_created":
			c = a.DateCreated.Compare(b.DateCreated)
		case "date_updated":
			c = a.DateUpdated.Compare(b.DateUpdated)
		case "is_resolution":
			c = compareInt(boolInt(a.IsResolution), boolInt(b.IsResolution))
		case "version":
			c = compareInt(a.Version, b.Version)
		case "commenter_id":
			c = compareText(a.CommenterID, b.CommenterID)
		case "commenter_type":
			c = compareText(string(a.CommenterType), string(b.CommenterType))
		}
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return compareText(a.ID, b.ID)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

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
	order, err := parseOrder(q.OrderBy, []string{"request_date_time", "status", "client_mutation_label", "client_mutation_id"})
	if err != nil {
		return nil, err
	}
	user := p.ID
	if p.Admin {
		user = q.UserID
	} else if q.UserID != "" && q.UserID != p.ID {
		return w.page(true), nil
	}
	var logs []*MutationLog
	collectLog := func(l *MutationLog) (bool, error) {
		if len(logs) >= maxSorted {
			return false, errTooManyToSort(maxSorted)
		}
		logs = append(logs, l)
		return true, nil
	}
	if q.ID != "" {
		l, err := s.store.MutationLog(ctx, q.ID)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, fmt.Errorf("load mutation log: %w", err)
		}
		if err == nil && (user == "" || l.UserID == user) {
			logs = append(logs, l)
		}
	} else if q.ClientMutationID != "" && user != "" {
		// A client polling its own mutation: the claim names the log, read
		// with strong consistency (an index could lag behind the commit).
		l, err := s.store.ClientMutation(ctx, user, q.ClientMutationID)
		if err != nil {
			return nil, fmt.Errorf("load mutation log: %w", err)
		}
		if l != nil {
			logs = append(logs, l)
		}
	} else if err := s.store.ScanMutationLogs(ctx, user, q.ClientMutationID, collectLog); err != nil {
		return nil, fmt.Errorf("list mutation logs: %w", err)
	}
	var ids []string
	for _, l := range logs {
		ids = append(ids, l.TicketIDs...)
	}
	tickets := map[string]*Ticket{}
	if g := s.guard(cfg, p); len(ids) > 0 && g.sensitive() {
		if tickets, err = s.store.TicketsByID(ctx, ids); err != nil {
			return nil, fmt.Errorf("load tickets: %w", err)
		}
	}
	// A log shows nothing of a ticket the reader may not see: logs of
	// hidden tickets are left out, and inputs of masked fields are masked.
	masked := func(l *MutationLog) *MutationLog {
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
	keep := func(l *MutationLog) bool {
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
		if (q.RequestFrom != "" && at < q.RequestFrom) || (q.RequestTo != "" && at > q.RequestTo) || (q.RequestAt != "" && at != q.RequestAt) {
			return false
		}
		for _, id := range l.TicketIDs {
			if t, ok := tickets[id]; ok && !visible(cfg, p, t) {
				return false
			}
		}
		return true
	}
	if len(order) == 0 {
		order = []orderKey{{"request_date_time", true}}
	}
	return collect(w, func(fn func(*MutationLog) (bool, error)) error {
		for _, l := range logs {
			if !keep(l) {
				continue
			}
			if more, err := fn(masked(l)); err != nil || !more {
				return err
			}
		}
		return nil
	}, false, func(a, b *MutationLog) int {
		for _, k := range order {
			var c int
			switch k.field {
			case "request_date_time":
				c = a.RequestDateTime.Compare(b.RequestDateTime)
			case "status":
				c = compareInt(int(a.Status), int(b.Status))
			case "client_mutation_label":
				c = compareText(a.ClientMutationLabel, b.ClientMutationLabel)
			case "client_mutation_id":
				c = compareText(a.ClientMutationID, b.ClientMutationID)
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return compareText(a.ID, b.ID)
	})
}

// People returns directory records for the reporter and commenter fields.
func (s *Service) People(ctx context.Context, ids []string) (map[string]*Person, error) {
	return s.store.People(ctx, ids)
}
