package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Commit implements grievance.Committer with one TransactWriteItems call.
// Every replaced item is conditioned on the version the service read, so
// no update is lost; a new ticket takes the next ticket number from the
// counter in the same transaction, so numbers are unique and gap-free.
func (s *Store) Commit(ctx context.Context, w *grievance.Write) error {
	if w.NewTicket != nil {
		s.seqMu.Lock()
		defer s.seqMu.Unlock()
	}
	// A create waits for its turn at the ticket counter (turns.go) until
	// its request's deadline or commitPatience. Other writes retry a
	// transaction conflict (DynamoDB refusing transactions that race on
	// the same items) with jittered back-off.
	give := time.Now().Add(commitPatience)
	if dl, ok := ctx.Deadline(); ok && dl.Before(give) {
		give = dl
	}
	if w.NewTicket != nil {
		return s.commitCreate(ctx, w, give)
	}
	for attempt := 0; ; attempt++ {
		err := s.commitOnce(ctx, w, nil)
		if err == nil || !retryable(err) {
			return err
		}
		d := rand.N(commitBackoff(attempt))
		if time.Now().Add(d).After(give) {
			return errBusy(attempt, err)
		}
		select {
		case <-ctx.Done():
			return translate("commit", ctx.Err())
		case <-time.After(d):
		}
	}
}

// commitPatience bounds how long a commit keeps waiting or retrying when
// its context sets no earlier deadline.
const commitPatience = 10 * time.Second

// commitBackoff is the upper bound of the wait before the next try after
// the n-th transaction conflict: exponential from 2 ms, capped at 64 ms.
func commitBackoff(n int) time.Duration {
	return time.Duration(1<<min(n, 5)) * 2 * time.Millisecond
}

// errSeqTaken marks a lost race for the ticket counter.
var errSeqTaken = errors.New("ticket number taken")

func retryable(err error) bool {
	if errors.Is(err, errSeqTaken) {
		return true
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "TransactionConflict" {
				return true
			}
		}
	}
	return false
}

// commitOnce tries w once; a new ticket takes the number after counter c,
// read in its turn.
func (s *Store) commitOnce(ctx context.Context, w *grievance.Write, c *counterItem) error {
	tx := s.db.WriteTx()
	mutation := w.Mutation
	if w.Log != nil {
		mutation = w.Log.Mutation
	}
	var what []string // item descriptions, in transaction order, to name a failed condition
	counts := map[string]int64{}
	if t := w.NewTicket; t != nil {
		t.Seq = c.N + 1
		t.Code = grievance.FormatCode(t.Seq)
		up := s.main.Update(AttrPK, pkCounter).Range(AttrSK, skTicketSeq).Set("n", t.Seq).Set("kind", KindCounter).
			Set("turn", turnOf(c)+1).Set("turnAt", time.Now().UnixMilli())
		if c.N == 0 {
			up = up.If("attribute_not_exists(n)")
		} else {
			up = up.If("n = ?", c.N)
		}
		cond, args := turnIs(c)
		tx.Update(up.If(cond, args...))
		what = append(what, "counter")
		it, err := toTicketItem(t)
		if err != nil {
			return err
		}
		it.LastMutation = mutation
		tx.Put(s.main.Put(it).If("attribute_not_exists(pk)"))
		what = append(what, "ticket "+t.ID)
		countDeltas(counts, nil, it)
		if w.Tracking != nil {
			w.Tracking.Code = t.Code
			tx.Put(s.main.Put(toTrackingItem(t.Code, w.Tracking)).If("attribute_not_exists(pk)"))
			what = append(what, "tracking "+t.Code)
		}
	}
	for _, tw := range w.Tickets {
		it, err := toTicketItem(tw.Ticket)
		if err != nil {
			return err
		}
		it.LastMutation = mutation
		tx.Put(s.main.Put(it).If("version = ?", tw.Prev))
		what = append(what, "ticket "+tw.Ticket.Code)
		old, err := s.oldTicketItem(ctx, tw)
		if err != nil {
			return err
		}
		countDeltas(counts, old, it)
	}
	for _, cw := range w.Comments {
		it, err := toCommentItem(cw.Comment)
		if err != nil {
			return err
		}
		it.LastMutation = mutation
		if cw.Prev == 0 {
			tx.Put(s.main.Put(it).If("attribute_not_exists(pk)"))
			tx.Put(s.main.Put(commentRef{PK: prefixComment + cw.Comment.ID, SK: skCommentRef, Kind: KindCommentRef, TicketID: cw.Comment.TicketID}).If("attribute_not_exists(pk)"))
			what = append(what, "comment "+cw.Comment.ID, "comment "+cw.Comment.ID)
		} else {
			tx.Put(s.main.Put(it).If("version = ?", cw.Prev))
			what = append(what, "comment "+cw.Comment.ID)
		}
	}
	for _, aw := range w.Attachments {
		it := toAttachmentItem(aw.Attachment)
		it.LastMutation = mutation
		if aw.Prev == 0 {
			tx.Put(s.main.Put(it).If("attribute_not_exists(pk)"))
			what = append(what, "attachment "+it.ID)
		} else {
			tx.Put(s.main.Put(it).If("version = ?", aw.Prev))
			what = append(what, "attachment "+it.ID)
		}
		// The reference is written while the record is pending and again
		// when it stops expiring, so both vanish or stay together.
		if aw.Prev == 0 || aw.Prev == 1 {
			tx.Put(s.main.Put(attachmentRef{PK: prefixAttach + it.ID, SK: skCommentRef, Kind: KindAttachRef, TicketID: it.TicketID, ExpiresAt: it.ExpiresAt}))
			what = append(what, "attachment "+it.ID)
		}
	}
	if c := w.Config; c != nil {
		put := s.main.Put(configItem{PK: pkConfig, SK: skConfig, Kind: KindConfig, Document: string(c.Document), Version: c.Prev + 1})
		if c.Prev == 0 {
			put = put.If("attribute_not_exists(pk)")
		} else {
			put = put.If("version = ?", c.Prev)
		}
		tx.Put(put)
		what = append(what, "configuration")
	}
	if w.Log != nil {
		tx.Put(s.main.Put(toMutationLogItem(w.Log)))
		what = append(what, "log")
		if w.Claim && w.Log.ClientMutationID != "" {
			tx.Put(s.main.Put(claimFor(w.Log)).If(claimOpen, true))
			what = append(what, "claim")
		}
	}
	// Counts come last: their updates have no condition, so every failed
	// condition above still names its item by position.
	for range s.addCounts(tx, counts) {
		what = append(what, "count")
	}
	if len(what) == 0 {
		return nil
	}
	err := tx.Run(ctx)
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for i, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) != "ConditionalCheckFailed" || i >= len(what) {
				continue
			}
			switch what[i] {
			case "counter":
				return errSeqTaken
			case "claim":
				return errDuplicate
			}
			return &grievance.Error{Code: grievance.CodeConflict,
				Message: fmt.Sprintf("The %s was changed by someone else meanwhile; reload it and try again.", what[i]), Err: err}
		}
		if retryable(err) {
			return err
		}
	}
	return translate("commit", err)
}

// claimFor is the item that makes (user, clientMutationId) succeed once.
func claimFor(l *grievance.MutationLog) claimItem {
	c := claimItem{PK: claimKey(l.UserID, l.ClientMutationID), SK: skClaim, Kind: KindClaim, LogID: l.ID, Retryable: l.Retryable}
	if !l.ExpiresAt.IsZero() {
		c.ExpiresAt = l.ExpiresAt.Unix()
	}
	return c
}

// errDuplicate: the user already sent this clientMutationId.
var errDuplicate = &grievance.Error{Code: grievance.CodeConflict, Message: "The mutation was already sent.", Key: grievance.KeyDuplicate}

// ClientMutation implements grievance.MutationStore: the claim names the
// log (two strongly consistent GetItems).
func (s *Store) ClientMutation(ctx context.Context, userID, cmid string) (*grievance.MutationLog, error) {
	var c claimItem
	err := s.main.Get(AttrPK, claimKey(userID, cmid)).Range(AttrSK, dynamo.Equal, skClaim).Consistent(true).One(ctx, &c)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, translate("read mutation claim", err)
	}
	return s.MutationLog(ctx, c.LogID)
}

// PutMutationLog implements grievance.MutationStore.
func (s *Store) PutMutationLog(ctx context.Context, l *grievance.MutationLog, claim bool) error {
	if !claim || l.ClientMutationID == "" {
		return translate("put mutation log", s.main.Put(toMutationLogItem(l)).Run(ctx))
	}
	err := s.db.WriteTx().
		Put(s.main.Put(claimFor(l)).If(claimOpen, true)).
		Put(s.main.Put(toMutationLogItem(l))).
		Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return errDuplicate
	}
	return translate("put mutation log", err)
}

// MutationLog implements grievance.MutationStore.
func (s *Store) MutationLog(ctx context.Context, id string) (*grievance.MutationLog, error) {
	var it mutationLogItem
	err := s.main.Get(AttrPK, prefixMutLog+id).Range(AttrSK, dynamo.Equal, skMutLog).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, notFound("Mutation log", id)
	}
	if err != nil {
		return nil, translate("get mutation log", err)
	}
	return it.log(), nil
}

// ScanMutationLogs implements grievance.MutationStore. Logs are only ever
// stored final (with the mutation's own transaction), so the index's copy,
// however fresh, never shows a log in a state it was not committed in.
func (s *Store) ScanMutationLogs(ctx context.Context, userID, cmid string, fn func(*grievance.MutationLog) (bool, error)) error {
	var p *pager
	var skAttr string
	switch {
	case cmid != "":
		p, skAttr = newPager(s.main.Get("g3pk", prefixCMID+cmid).Index(IndexCategory), true), "g3sk"
	case userID != "":
		p, skAttr = newPager(s.main.Get("g1pk", prefixMutLogs+userID).Index(IndexList), true), "g1sk"
	default:
		p, skAttr = newPager(s.main.Get("g2pk", listAllMutLogs).Index(IndexStatus), true), "g2sk"
	}
	return mergePages(ctx, []*pager{p}, skAttr, true, func(item dynamo.Item) (bool, error) {
		var it mutationLogItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		if userID != "" && it.UserID != userID {
			return true, nil
		}
		return fn(it.log())
	})
}

// UpsertPeople stores directory records, replacing earlier versions
// (staff sync, tests); storing the same records again changes nothing.
func (s *Store) UpsertPeople(ctx context.Context, people []grievance.Person) error {
	var users []any
	var registry []grievance.Person
	for i := range people {
		if err := people[i].Validate(); err != nil {
			return fmt.Errorf("upsert people: %w", err)
		}
		if people[i].Type != grievance.PersonUser {
			registry = append(registry, people[i])
			continue
		}
		it, err := toPersonItem(&people[i])
		if err != nil {
			return err
		}
		users = append(users, it)
	}
	// Individuals and beneficiaries have name index entries, which only
	// a comparison with the stored record keeps right (a changed name
	// drops entries); users have none and are written as they are.
	if len(registry) > 0 {
		if _, err := s.writePeople(ctx, "upsert people", registry, false); err != nil {
			return err
		}
	}
	if len(users) == 0 {
		return nil
	}
	_, err := s.main.Batch(AttrPK, AttrSK).Write().Put(users...).Run(ctx)
	return translate("upsert people", err)
}

func sortComments(cs []*grievance.Comment) {
	slices.SortStableFunc(cs, func(a, b *grievance.Comment) int {
		if c := a.DateCreated.Compare(b.DateCreated); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
