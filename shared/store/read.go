package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ticket implements grievance.TicketStore.
func (s *Store) Ticket(ctx context.Context, id string) (*grievance.Ticket, error) {
	var it ticketItem
	err := s.main.Get(AttrPK, prefixTicket+id).Range(AttrSK, dynamo.Equal, skTicket).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Ticket", id)
	}
	if err != nil {
		return nil, translate("get ticket "+id, err)
	}
	return it.ticket()
}

// TicketsByID implements grievance.TicketStore with BatchGetItem.
func (s *Store) TicketsByID(ctx context.Context, ids []string) (map[string]*grievance.Ticket, error) {
	keys := uniqueKeys(prefixTicket, skTicket, ids)
	out := make(map[string]*grievance.Ticket, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	var items []ticketItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).Consistent(true).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("batch get tickets", err)
	}
	for i := range items {
		t, err := items[i].ticket()
		if err != nil {
			return nil, err
		}
		out[t.ID] = t
	}
	return out, nil
}

func uniqueKeys(prefix, sk string, ids []string) []dynamo.Keyed {
	seen := map[string]bool{}
	var keys []dynamo.Keyed
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		keys = append(keys, dynamo.Keys{prefix + id, sk})
	}
	return keys
}

// partitions returns the index and partition keys a range reads.
func partitions(r grievance.TicketRange) (index string, pks []string) {
	lists := func() []string {
		switch {
		case r.Deleted && r.AlsoLive:
			return []string{listLive, listDeleted}
		case r.Deleted:
			return []string{listDeleted}
		}
		return []string{listLive}
	}
	switch r.By {
	case grievance.RangeStatus:
		for _, k := range r.Keys {
			pks = append(pks, prefixStatus+k)
		}
		return IndexStatus, pks
	case grievance.RangeCategory:
		if len(r.Statuses) > 0 {
			// Status and category: one partition per pair.
			for _, st := range r.Statuses {
				for _, k := range r.Keys {
					pks = append(pks, statusCategory(st, k))
				}
			}
			return IndexStatCat, pks
		}
		for _, k := range r.Keys {
			pks = append(pks, prefixCategory+k)
		}
		return IndexCategory, pks
	case grievance.RangeStaff:
		return IndexStaff, []string{prefixStaff + r.Keys[0]}
	case grievance.RangeReporter:
		return IndexReporter, []string{prefixReporter + r.Keys[0]}
	case grievance.RangeSorted:
		if len(r.Keys) > 0 && r.SortBy == "priority" {
			for _, k := range r.Keys {
				pks = append(pks, prefixPriority+k)
			}
			return IndexByPriority, pks
		}
	}
	return IndexList, lists()
}

// ScanTickets implements grievance.TicketStore: one paged Query per
// partition of the range, merged in ticket-number order.
func (s *Store) ScanTickets(ctx context.Context, r grievance.TicketRange, fn func(*grievance.Ticket) (bool, error)) error {
	if r.By == grievance.RangeSeq && r.Seq < 0 {
		return nil
	}
	emit := func(item dynamo.Item) (bool, error) {
		var it ticketItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		t, err := it.ticket()
		if err != nil {
			return false, err
		}
		return fn(t)
	}
	if r.By == grievance.RangeSorted {
		return s.scanSorted(ctx, r, emit)
	}
	index, pks := partitions(r)
	pkAttr, skAttr := indexAttrs(index)
	its := make([]*pager, len(pks))
	for i, pk := range pks {
		q := s.main.Get(pkAttr, pk).Index(index)
		switch {
		case r.By == grievance.RangeSeq:
			q = q.Range(skAttr, dynamo.Equal, seqKey(r.Seq))
		case r.After > 0 && r.Descending:
			q = q.Range(skAttr, dynamo.Less, seqKey(r.After))
		case r.After > 0:
			q = q.Range(skAttr, dynamo.Greater, seqKey(r.After))
		}
		its[i] = newPager(q, r.Descending).firstPage(r.PageHint)
	}
	return mergePages(ctx, its, skAttr, r.Descending, emit)
}

// CountTickets implements grievance.TicketStore: the count items of the
// range's partitions (one BatchGetItem); a ticket number is one Query.
func (s *Store) CountTickets(ctx context.Context, r grievance.TicketRange) (int, error) {
	index, pks := partitions(r)
	if r.By == grievance.RangeSeq {
		if r.Seq < 0 {
			return 0, nil
		}
		pkAttr, skAttr := indexAttrs(index)
		total := 0
		for _, pk := range pks {
			n, err := s.main.Get(pkAttr, pk).Index(index).Range(skAttr, dynamo.Equal, seqKey(r.Seq)).Count(ctx)
			if err != nil {
				return 0, translate("count tickets", err)
			}
			total += n
		}
		return total, nil
	}
	return s.countPartitions(ctx, countedPartitions(r))
}

// Comment implements grievance.CommentStore: the reference item names the
// ticket, then the comment is read from the ticket's partition.
func (s *Store) Comment(ctx context.Context, id string) (*grievance.Comment, error) {
	var ref commentRef
	err := s.main.Get(AttrPK, prefixComment+id).Range(AttrSK, dynamo.Equal, skCommentRef).Consistent(true).One(ctx, &ref)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Comment", id)
	}
	if err != nil {
		return nil, translate("get comment ref "+id, err)
	}
	var it commentItem
	err = s.main.Get(AttrPK, prefixTicket+ref.TicketID).Range(AttrSK, dynamo.Equal, prefixComment+id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Comment", id)
	}
	if err != nil {
		return nil, translate("get comment "+id, err)
	}
	return it.comment()
}

// CommentsOfTicket implements grievance.CommentStore with one consistent
// Query on the ticket's partition.
func (s *Store) CommentsOfTicket(ctx context.Context, ticketID string) ([]*grievance.Comment, error) {
	var items []commentItem
	err := s.main.Get(AttrPK, prefixTicket+ticketID).Range(AttrSK, dynamo.BeginsWith, prefixComment).Consistent(true).All(ctx, &items)
	if err != nil {
		return nil, translate("query comments of "+ticketID, err)
	}
	out := make([]*grievance.Comment, 0, len(items))
	for i := range items {
		c, err := items[i].comment()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sortComments(out)
	return out, nil
}

// TicketWithComments implements grievance.CommentStore with one strongly
// consistent Query of the ticket's partition, which holds the ticket item
// and its comments.
func (s *Store) TicketWithComments(ctx context.Context, ticketID string) (*grievance.Ticket, []*grievance.Comment, error) {
	var items []dynamo.Item
	if err := s.main.Get(AttrPK, prefixTicket+ticketID).Consistent(true).All(ctx, &items); err != nil {
		return nil, nil, translate("query ticket "+ticketID, err)
	}
	var t *grievance.Ticket
	var cs []*grievance.Comment
	for _, item := range items {
		switch kindOf(item) {
		case KindTicket:
			var it ticketItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return nil, nil, fmt.Errorf("decode ticket %s: %w", ticketID, err)
			}
			tk, err := it.ticket()
			if err != nil {
				return nil, nil, err
			}
			t = tk
		case KindComment:
			var it commentItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return nil, nil, fmt.Errorf("decode comment of %s: %w", ticketID, err)
			}
			c, err := it.comment()
			if err != nil {
				return nil, nil, err
			}
			cs = append(cs, c)
		}
	}
	if t == nil {
		return nil, nil, notFound("Ticket", ticketID)
	}
	sortComments(cs)
	return t, cs, nil
}

// ScanComments implements grievance.CommentStore over the comment list index.
func (s *Store) ScanComments(ctx context.Context, descending bool, fn func(*grievance.Comment) (bool, error)) error {
	p := newPager(s.main.Get("g1pk", listComments).Index(IndexList), descending)
	return mergePages(ctx, []*pager{p}, "g1sk", descending, func(item dynamo.Item) (bool, error) {
		var it commentItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		c, err := it.comment()
		if err != nil {
			return false, err
		}
		return fn(c)
	})
}

// People implements grievance.Directory with BatchGetItem.
func (s *Store) People(ctx context.Context, ids []string) (map[string]*grievance.Person, error) {
	keys := uniqueKeys(prefixPerson, skPerson, ids)
	out := make(map[string]*grievance.Person, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	var items []personItem
	err := s.main.Batch(AttrPK, AttrSK).Get(keys...).All(ctx, &items)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("batch get people", err)
	}
	for i := range items {
		p, err := items[i].person()
		if err != nil {
			return nil, err
		}
		out[p.ID] = p
	}
	return out, nil
}

// UserByUsername implements grievance.Directory.
func (s *Store) UserByUsername(ctx context.Context, username string) (*grievance.Person, error) {
	var items []personItem
	err := s.main.Get("g3pk", listUsers).Index(IndexCategory).Range("g3sk", dynamo.Equal, lower(username)).All(ctx, &items)
	if err != nil {
		return nil, translate("query user "+username, err)
	}
	// A username deleted from the user pool and created again names two
	// records (the old one inactive, docs/directory.md): the active one wins.
	var found *personItem
	for i := range items {
		if items[i].Username == username && (found == nil || found.Inactive && !items[i].Inactive) {
			found = &items[i]
		}
	}
	if found != nil {
		return found.person()
	}
	return nil, notFound("User", username)
}

// Users implements grievance.Directory.
func (s *Store) Users(ctx context.Context) ([]*grievance.Person, error) {
	var items []personItem
	if err := s.main.Get("g3pk", listUsers).Index(IndexCategory).All(ctx, &items); err != nil {
		return nil, translate("query users", err)
	}
	out := make([]*grievance.Person, 0, len(items))
	for i := range items {
		p, err := items[i].person()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ConfigDocument implements grievance.ConfigStore.
func (s *Store) ConfigDocument(ctx context.Context) ([]byte, int, error) {
	var it configItem
	err := s.main.Get(AttrPK, pkConfig).Range(AttrSK, dynamo.Equal, skConfig).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, translate("get configuration", err)
	}
	return []byte(it.Document), it.Version, nil
}

// Attachment implements grievance.AttachmentStore: the reference names the
// ticket, then the record is read from the ticket's partition (two
// consistent GetItems).
func (s *Store) Attachment(ctx context.Context, id string) (*grievance.Attachment, error) {
	var ref attachmentRef
	err := s.main.Get(AttrPK, prefixAttach+id).Range(AttrSK, dynamo.Equal, skCommentRef).Consistent(true).One(ctx, &ref)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Attachment", id)
	}
	if err != nil {
		return nil, translate("get attachment ref "+id, err)
	}
	var it attachmentItem
	err = s.main.Get(AttrPK, prefixTicket+ref.TicketID).Range(AttrSK, dynamo.Equal, prefixAttach+id).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Attachment", id)
	}
	if err != nil {
		return nil, translate("get attachment "+id, err)
	}
	return it.attachment(), nil
}

// AttachmentsOfTicket implements grievance.AttachmentStore with one
// consistent Query of the ticket's partition.
func (s *Store) AttachmentsOfTicket(ctx context.Context, ticketID string) ([]*grievance.Attachment, error) {
	var items []attachmentItem
	err := s.main.Get(AttrPK, prefixTicket+ticketID).Range(AttrSK, dynamo.BeginsWith, prefixAttach).Consistent(true).All(ctx, &items)
	if err != nil {
		return nil, translate("query attachments of "+ticketID, err)
	}
	out := make([]*grievance.Attachment, 0, len(items))
	for i := range items {
		out = append(out, items[i].attachment())
	}
	slices.SortStableFunc(out, func(a, b *grievance.Attachment) int {
		if c := a.DateCreated.Compare(b.DateCreated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// kindOf is the kind of a raw item read from a partition or a batch that
// mixes kinds ("" when it has none).
func kindOf(item dynamo.Item) string {
	var kind string
	if av, ok := item["kind"]; ok {
		_ = dynamo.Unmarshal(av, &kind)
	}
	return kind
}
