package store

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/guregu/dynamo/v2"
)

// removalSuffix follows the version key of a removal record. A REMOVE
// carries the old image, whose version already has its record (from the
// INSERT or MODIFY that wrote it), so the removal needs a key of its own;
// "V#<n>-" sorts right after "V#<n>" and before "V#<n+1>", and still starts
// with "V#", where version scans look.
const removalSuffix = "-"

// Batch limits of DynamoDB: keys per BatchGetItem, items per BatchWriteItem.
const (
	maxBatchGet   = 100
	maxBatchWrite = 25
)

// RecordHistory writes one history record for every ticket and comment
// change among recs (records of the Main table's stream, in stream order)
// and skips records of every other kind.
//
// It is idempotent: a record is keyed by entity and version, and its
// content depends only on the stream record, so a redelivered record
// writes nothing new. Existing keys are read first (one consistent
// BatchGetItem per 100 records) and only the missing records written,
// each ticket version with the counts of versions it adds to, in
// transactions of up to 100 items (historycounts.go), so a 100-record
// batch of new changes takes 1 + 2 requests or so and a fully redelivered
// one 1.
//
// On failure it returns the sequence number of the first record that is
// not known to be recorded, and why; every record before it is recorded,
// so the caller reports it and the records after it as batch item
// failures. A record that cannot be decoded stops the batch with an error
// wrapping ErrMalformedRecord, after the records before it were written.
// With no failure, failedSeq is "".
func (s *Store) RecordHistory(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error) {
	var (
		items     []*historyItem
		at        []int // index in recs of each item
		decodeAt  = -1
		decodeErr error
	)
	for i, rec := range recs {
		ch, err := DecodeChange(rec)
		if err != nil {
			decodeAt, decodeErr = i, err
			break
		}
		if !ch.IsTicket() && !ch.IsComment() {
			continue
		}
		items = append(items, ch.historyItem())
		at = append(at, i)
	}
	if i, err := s.writeHistory(ctx, items); err != nil {
		return recs[at[i]].Change.SequenceNumber, err
	}
	if decodeErr != nil {
		return recs[decodeAt].Change.SequenceNumber, decodeErr
	}
	return "", nil
}

type historyKey struct {
	PK string `dynamo:"pk"`
	SK string `dynamo:"sk"`
}

// writeHistory puts the items that are not in the history table yet. On
// error it returns the index of the first item not known to be written.
func (s *Store) writeHistory(ctx context.Context, items []*historyItem) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	// One BatchGetItem per 100 keys; a key repeated inside the batch (the
	// same record delivered twice in one event) is asked for once.
	exists := map[historyKey]bool{}
	var keys []dynamo.Keyed
	for _, it := range items {
		k := historyKey{it.PK, it.SK}
		if _, dup := exists[k]; !dup {
			exists[k] = false
			keys = append(keys, dynamo.Keys{it.PK, it.SK})
		}
	}
	for start := 0; start < len(keys); start += maxBatchGet {
		var found []historyKey
		err := s.history.Batch(AttrPK, AttrSK).Get(keys[start:min(start+maxBatchGet, len(keys))]...).
			Project(AttrPK, AttrSK).Consistent(true).All(ctx, &found)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return 0, translate("read history keys", err)
		}
		for _, k := range found {
			exists[k] = true
		}
	}
	// The missing items, in stream order, each key once.
	var missing []*countedRecord
	var missingAt []int
	badAt, bad := 0, error(nil)
	for i, it := range items {
		k := historyKey{it.PK, it.SK}
		if exists[k] {
			continue
		}
		exists[k] = true
		r, err := newCountedRecord(it)
		if err != nil {
			badAt, bad = i, err // written up to it, then reported
			break
		}
		missing = append(missing, r)
		missingAt = append(missingAt, i)
	}
	// Transactions go one after the other, so when one fails every item
	// before it is written and counted, and the retry can start at its
	// first item.
	for start := 0; start < len(missing); {
		end := start + txChunk(missing[start:])
		if _, err := s.recordCounted(ctx, missing[start:end]); err != nil {
			return missingAt[start], err
		}
		start = end
	}
	return badAt, bad
}

// historyItem is the history record of a ticket or comment change.
func (c *Change) historyItem() *historyItem {
	h := &historyItem{
		Kind: c.Kind, EntityID: c.EntityID(), Version: c.Version(), Image: nestedItem(c.image),
		ChangedFields: c.ChangedFields, SequenceNumber: c.SequenceNumber, HistoryDate: c.At,
	}
	// The row as it is after the change (before it, for a removal).
	var updated time.Time
	switch {
	case c.Ticket != nil || c.OldTicket != nil:
		t := cmp.Or(c.Ticket, c.OldTicket)
		h.PK, h.HistoryUser, updated = prefixTicket+t.ID, t.UserUpdated, t.DateUpdated
		if c.EventName != EventRemove {
			h.H1PK, h.H1SK = historyTickets, h1Key(t.Seq, t.Version)
		}
	default:
		cm := cmp.Or(c.Comment, c.OldComment)
		h.PK, h.HistoryUser, updated = prefixComment+cm.ID, cm.UserUpdated, cm.DateUpdated
	}
	if !updated.IsZero() {
		h.HistoryDate = updated.UTC()
	}
	h.SK = versionKey(h.Version)
	switch c.EventName {
	case EventInsert:
		h.HistoryType = HistoryCreated
	case EventModify:
		h.HistoryType = HistoryChanged
	case EventRemove:
		// The item is gone: the record is dated by the stream and names
		// the last user who changed it (DynamoDB does not say who removed
		// it; removals happen only outside the API, e.g. by hand).
		h.HistoryType, h.SK, h.HistoryDate = HistoryDeleted, h.SK+removalSuffix, c.At
	}
	return h
}
