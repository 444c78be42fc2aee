package grievance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// CommentQuery is a comment list request. Filters on the comment's ticket
// have fields prefixed "ticket__".
type CommentQuery struct {
	Filters   []Filter
	OrderBy   []string
	Page      PageArgs
	WantCount bool
}

var commentOrderFields = []string{"id", "comment", "date_created", "date_updated", "is_resolution", "version", "commenter_id", "commenter_type"}

// commentPlan is a parsed comment list request.
type commentPlan struct {
	w        *window[*Comment]
	cf, tf   []Filter // on the comment, on its ticket
	order    []orderKey
	staffIDs map[string]bool
	all      bool // the reader holds the comment right
}

// ListComments returns a page of comments. Readers without the comment
// right see the comments of the tickets they attend, and only those.
// Deleted comments and comments of deleted or hidden tickets are left out.
func (s *Service) ListComments(ctx context.Context, q CommentQuery) (*Page[*Comment], error) {
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	pl, err := s.planComments(ctx, cfg, p, q)
	if err != nil {
		return nil, err
	}
	comments, tickets, err := s.readComments(ctx, cfg, p, pl)
	if err != nil {
		return nil, err
	}
	keep := func(c *Comment) bool {
		t := tickets[c.TicketID]
		if c.IsDeleted || t == nil || t.IsDeleted || !visible(cfg, p, t) || !mayComment(p, cfg.QueryCommentsPerms, t) {
			return false
		}
		for _, f := range pl.cf {
			if !matchField(commentFields[f.Field], f, c) {
				return false
			}
		}
		return matchesTicket(pl.tf, pl.staffIDs, t) && !filtersTouch(pl.tf, maskedFields(cfg, p, t))
	}
	show := func(c *Comment) *Comment { return maskComment(c, maskedFields(cfg, p, tickets[c.TicketID])) }
	return collect(pl.w, each(comments, keep, show), false, compareComments(pl.order))
}

// planComments validates q and splits its filters by what they are on.
func (s *Service) planComments(ctx context.Context, cfg *Config, p *Principal, q CommentQuery) (*commentPlan, error) {
	pl := &commentPlan{all: p.HasAny(cfg.QueryCommentsPerms)}
	var err error
	if pl.w, err = newWindow[*Comment]("comments", q.Page, q.WantCount); err != nil {
		return nil, err
	}
	for _, f := range q.Filters {
		if name, ok := strings.CutPrefix(f.Field, "ticket__"); ok {
			f.Field = name
			pl.tf = append(pl.tf, f)
		} else {
			pl.cf = append(pl.cf, f)
		}
	}
	if pl.cf, err = normalizeFilters(commentFields, nil, pl.cf); err != nil {
		return nil, err
	}
	if pl.tf, err = normalizeFilters(ticketFields, func(f Filter) (bool, error) { return f.Field == StaffUsernameField, nil }, pl.tf); err != nil {
		return nil, err
	}
	if pl.order, err = parseOrder(q.OrderBy, commentOrderFields); err != nil {
		return nil, err
	}
	if len(pl.order) == 0 {
		pl.order = []orderKey{{"date_created", false}}
	}
	if pl.staffIDs, err = s.staffIDs(ctx, pl.tf); err != nil {
		return nil, err
	}
	return pl, nil
}

// readComments reads the comments the plan may show and their tickets:
// one ticket's, everyone's (with the comment right), or those of the
// tickets the reader attends.
func (s *Service) readComments(ctx context.Context, cfg *Config, p *Principal, pl *commentPlan) ([]*Comment, map[string]*Ticket, error) {
	tickets := map[string]*Ticket{}
	if tid, ok := exactValue(pl.tf, "id"); ok {
		// One strongly consistent Query reads the ticket and its comments
		// (they share its partition); the comments are dropped unless the
		// reader may see them.
		t, cs, err := s.store.TicketWithComments(ctx, tid)
		if err != nil && ErrorCode(err) != CodeNotFound {
			return nil, nil, fmt.Errorf("load ticket %s: %w", tid, err)
		}
		// Without the comment right only the attending staff of this very
		// ticket may read; anyone else is refused whether or not the
		// ticket exists or is hidden, so the answer reveals neither.
		if !pl.all && (err != nil || !visible(cfg, p, t) || !mayComment(p, cfg.QueryCommentsPerms, t)) {
			return nil, nil, Errorf(CodeForbidden, "Unauthorized")
		}
		if err != nil || !visible(cfg, p, t) {
			return nil, tickets, nil
		}
		tickets[t.ID] = t
		return cs, tickets, nil
	}
	if pl.all {
		var comments []*Comment
		if err := s.store.ScanComments(ctx, false, upTo(&comments)); err != nil {
			return nil, nil, fmt.Errorf("list comments: %w", err)
		}
		ids := make([]string, 0, len(comments))
		for _, c := range comments {
			ids = append(ids, c.TicketID)
		}
		tickets, err := s.store.TicketsByID(ctx, ids)
		if err != nil {
			return nil, nil, fmt.Errorf("load tickets: %w", err)
		}
		return comments, tickets, nil
	}
	// Attending staff without the right: their own tickets' comments.
	var own []*Ticket
	err := s.store.ScanTickets(ctx, TicketRange{By: RangeStaff, Keys: []string{p.ID}}, func(t *Ticket) (bool, error) {
		own = append(own, t)
		return len(own) < maxSorted, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list attended tickets: %w", err)
	}
	if len(own) == 0 {
		return nil, nil, Errorf(CodeForbidden, "Unauthorized")
	}
	var comments []*Comment
	for _, t := range own {
		tickets[t.ID] = t
		cs, err := s.store.CommentsOfTicket(ctx, t.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("load comments: %w", err)
		}
		comments = append(comments, cs...)
	}
	slices.SortStableFunc(comments, func(a, b *Comment) int { return a.DateCreated.Compare(b.DateCreated) })
	return comments, tickets, nil
}

// compareComments orders comments by order, then by id.
func compareComments(order []orderKey) func(a, b *Comment) int {
	return byOrder(order, func(field string, a, b *Comment) int {
		switch field {
		case "id":
			return strings.Compare(a.ID, b.ID)
		case "comment":
			return strings.Compare(a.Comment, b.Comment)
		case "date_created":
			return a.DateCreated.Compare(b.DateCreated)
		case "date_updated":
			return a.DateUpdated.Compare(b.DateUpdated)
		case "is_resolution":
			return cmp.Compare(boolInt(a.IsResolution), boolInt(b.IsResolution))
		case "version":
			return cmp.Compare(a.Version, b.Version)
		case "commenter_id":
			return strings.Compare(a.CommenterID, b.CommenterID)
		case "commenter_type":
			return strings.Compare(string(a.CommenterType), string(b.CommenterType))
		}
		return 0
	}, func(a, b *Comment) int { return strings.Compare(a.ID, b.ID) })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
