package grievance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
)

// CommentInput carries the fields of createComment and updateComment.
type CommentInput struct {
	ID            string // updateComment
	TicketID      string
	CommenterType *string
	CommenterID   *string
	Comment       *string
	// Public, when sent, shows or hides the comment in tracking.
	Public  *bool
	Version *int
}

func (s *Service) touchComment(c *Comment, p *Principal) {
	c.Version++
	c.DateUpdated = s.now().UTC()
	c.UserUpdated = p.ID
}

// mayComment reports whether p may read or write comments of t: through the
// configured rights, or as the attending staff of that very ticket.
func mayComment(p *Principal, rights []string, t *Ticket) bool {
	return p.HasAny(rights) || attends(p, t)
}

// CreateComment plans a comment on a ticket; the ticket records the new
// comment id in json_ext.comment_ids and gets a new version.
func (s *Service) CreateComment(ctx context.Context, in CommentInput) (*Write, error) {
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	t, err := s.liveTicket(ctx, cfg, p, in.TicketID)
	if !p.HasAny(cfg.CreateCommentPerms) {
		// Without the right only the attending staff of this very ticket
		// may comment; anyone else is refused alike whether the ticket
		// exists, is deleted or is hidden, so the answer reveals none.
		if c := ErrorCode(err); c == CodeNotFound || c == CodeInvalid || (err == nil && !mayComment(p, cfg.CreateCommentPerms, t)) {
			return nil, errForbidden()
		}
	}
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c := &Comment{ID: s.newID(), TicketID: t.ID, Version: 1,
		DateCreated: now, DateUpdated: now, UserCreated: p.ID, UserUpdated: p.ID}
	if err := s.applyComment(ctx, c, in); err != nil {
		return nil, err
	}
	old := t.Clone()
	t.addCommentID(c.ID)
	s.touchTicket(t, p)
	return &Write{
		Comments: []CommentWrite{{Comment: c}},
		Tickets:  []TicketWrite{{Ticket: t, Prev: old.Version, Old: old}},
	}, nil
}

func (s *Service) applyComment(ctx context.Context, c *Comment, in CommentInput) error {
	if in.Comment != nil {
		c.Comment = *in.Comment
	}
	if in.CommenterType != nil {
		ct, err := ParsePersonType(*in.CommenterType)
		if err != nil {
			return err
		}
		c.CommenterType = ct
	}
	if in.CommenterID != nil {
		c.CommenterID = *in.CommenterID
	}
	if in.Public != nil {
		c.Public = *in.Public
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if (in.CommenterID != nil || in.CommenterType != nil) && c.CommenterID != "" {
		return s.checkPerson(ctx, "commenter", c.CommenterType, c.CommenterID)
	}
	return nil
}

// comment loads a comment a mutation may change, with its ticket.
func (s *Service) comment(ctx context.Context, cfg *Config, p *Principal, id string) (*Comment, *Ticket, error) {
	c, t, err := s.commentAndTicket(ctx, cfg, p, id)
	if err != nil {
		return nil, nil, err
	}
	return c, t, live(c, t)
}

// commentAndTicket loads a comment visible to p, deleted or not, with its
// ticket.
func (s *Service) commentAndTicket(ctx context.Context, cfg *Config, p *Principal, id string) (*Comment, *Ticket, error) {
	id, err := CanonicalUUID("id", id)
	if err != nil {
		return nil, nil, err
	}
	notFound := Errorf(CodeNotFound, "Comment %s does not exist.", id)
	c, err := s.store.Comment(ctx, id)
	if ErrorCode(err) == CodeNotFound {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load comment %s: %w", id, err)
	}
	t, err := s.store.Ticket(ctx, c.TicketID)
	if ErrorCode(err) == CodeNotFound || (err == nil && !visible(cfg, p, t)) {
		return nil, nil, notFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load ticket %s: %w", c.TicketID, err)
	}
	return c, t, nil
}

// live refuses changes to a deleted comment or to one of a deleted ticket.
func live(c *Comment, t *Ticket) error {
	if c.IsDeleted {
		return Errorf(CodeInvalid, "Comment %s is deleted.", c.ID)
	}
	if t.IsDeleted {
		return Errorf(CodeInvalid, "Ticket %s is deleted.", t.Code)
	}
	return nil
}

// ResolveByComment plans closing a ticket with one of its comments as the
// resolution.
func (s *Service) ResolveByComment(ctx context.Context, commentID string, version *int) (*Write, error) {
	p, cfg, err := s.authorize(ctx, func(c *Config) []string { return c.ResolveGrievancePerms })
	if err != nil {
		return nil, err
	}
	c, t, err := s.comment(ctx, cfg, p, commentID)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(version, t.Version, "ticket", t.Code); err != nil {
		return nil, err
	}
	if t.Status == StatusClosed {
		return nil, Errorf(CodeInvalid, "Ticket %s is already closed; reopen it first.", t.Code)
	}
	comments, err := s.store.CommentsOfTicket(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("load comments of %s: %w", t.ID, err)
	}
	for _, o := range comments {
		if o.ID != c.ID && o.IsResolution {
			return nil, Errorf(CodeInvalid, "Another comment for this ticket is already marked as resolved.")
		}
	}
	oldT, prevC := t.Clone(), c.Version
	t.Status = StatusClosed
	s.touchTicket(t, p)
	c.IsResolution = true
	s.touchComment(c, p)
	return &Write{
		Tickets:  []TicketWrite{{Ticket: t, Prev: oldT.Version, Old: oldT}},
		Comments: []CommentWrite{{Comment: c, Prev: prevC}},
	}, nil
}

// commentRights picks the rights for changing c: the own-comment rights for
// its author, the others' rights for anyone else.
func commentRights(p *Principal, c *Comment, own, others []string) []string {
	if c.UserCreated == p.ID {
		return own
	}
	return others
}

// commentToChange loads a comment p means to update or delete: its author
// needs one of own, anyone else one of others. Rights come first: a
// principal with neither is refused before any look-up, and one without
// others is refused alike for another's comment and for a comment that
// does not exist or is hidden, so the answer reveals nothing about ids it
// may not change.
func (s *Service) commentToChange(ctx context.Context, cfg *Config, p *Principal, id string, own, others []string) (*Comment, *Ticket, error) {
	if !p.HasAny(own) && !p.HasAny(others) {
		return nil, nil, errForbidden()
	}
	c, t, err := s.commentAndTicket(ctx, cfg, p, id)
	if ErrorCode(err) == CodeNotFound && !p.HasAny(others) {
		return nil, nil, errForbidden()
	}
	if err != nil {
		return nil, nil, err
	}
	if !p.HasAny(commentRights(p, c, own, others)) {
		return nil, nil, errForbidden()
	}
	return c, t, live(c, t)
}

// UpdateComment plans a change of a comment's text or commenter.
func (s *Service) UpdateComment(ctx context.Context, in CommentInput) (*Write, error) {
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	c, t, err := s.commentToChange(ctx, cfg, p, in.ID, cfg.UpdateOwnCommentPerms, cfg.UpdateCommentPerms)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(in.Version, c.Version, "comment", c.ID); err != nil {
		return nil, err
	}
	if err := blindCommentWrites(cfg, p, t, c, &in); err != nil {
		return nil, err
	}
	old := c.Clone()
	if err := s.applyComment(ctx, c, in); err != nil {
		return nil, err
	}
	if old.Comment == c.Comment && old.CommenterType == c.CommenterType && old.CommenterID == c.CommenterID && old.Public == c.Public {
		return nil, Errorf(CodeInvalid, "Record has not be updated - there are no changes in fields.")
	}
	s.touchComment(c, p)
	return &Write{Comments: []CommentWrite{{Comment: c, Prev: old.Version}}}, nil
}

// DeleteComment plans the soft deletion of a comment. The resolution
// comment of a closed ticket stays: it is the record of why it was closed.
func (s *Service) DeleteComment(ctx context.Context, id string, version *int) (*Write, error) {
	p, cfg, err := s.authorize(ctx, nil)
	if err != nil {
		return nil, err
	}
	c, t, err := s.commentToChange(ctx, cfg, p, id, cfg.DeleteOwnCommentPerms, cfg.DeleteCommentPerms)
	if err != nil {
		return nil, err
	}
	if err := checkVersion(version, c.Version, "comment", c.ID); err != nil {
		return nil, err
	}
	if c.IsResolution && t.Status == StatusClosed {
		return nil, Errorf(CodeInvalid, "The resolution comment of closed ticket %s cannot be deleted; reopen the ticket first.", t.Code)
	}
	prev := c.Version
	c.IsDeleted = true
	// A deleted comment cannot stay the resolution: it would block the
	// next resolve forever.
	c.IsResolution = false
	s.touchComment(c, p)
	return &Write{Comments: []CommentWrite{{Comment: c, Prev: prev}}}, nil
}

// UpdateConfig plans replacing the stored configuration document.
func (s *Service) UpdateConfig(ctx context.Context, doc []byte) (*Write, error) {
	_, _, err := s.authorize(ctx, func(c *Config) []string { return c.ConfigPerms })
	if err != nil {
		return nil, err
	}
	next, err := ParseConfig(doc)
	if err != nil {
		return nil, err
	}
	stored, ver, err := s.store.ConfigDocument(ctx)
	if err != nil {
		return nil, fmt.Errorf("load configuration: %w", err)
	}
	// A stored document that no longer parses has no rules to keep; the
	// administrator must be able to replace it.
	if cur, err := ParseConfig(stored); err == nil {
		if err := cur.checkKeepsConfidentiality(next); err != nil {
			return nil, err
		}
	}
	// The document is stored as sent (compacted), not merged with today's
	// defaults, so later default changes still apply to unset keys.
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return nil, Errorf(CodeInvalid, "The configuration must be a JSON object.")
	}
	return &Write{Config: &ConfigWrite{Document: buf.Bytes(), Prev: ver}}, nil
}
