package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Counts of recorded ticket versions (grievance.VersionCounter), in the
// History table beside the records they count: pk VCOUNT#<field>, sk
// <value key>#<shard>, `n` the count, `field` and `value` in full. One
// partition per field, so a lookup over a field's values is one Query; a
// value is its own key while short ("=" + value) and its SHA-256 when
// long ("#" + hex), so a key stays within DynamoDB's 1,024 bytes
// whatever a category or priority holds. A value's shards share its key's
// prefix, so one Query reads them. Each count is split over
// versionCountShards items, one chosen per transaction: two consumers
// (stream shards) writing at once meet on one item only when they pick
// the same shard, and then one transaction is retried.
//
// The records and the counts they imply are written in one transaction
// (each record put on condition that it is not there), so a record is
// counted exactly when it is written, whatever is redelivered or which
// consumer wins.
const (
	prefixVersionCount = "VCOUNT#"
	KindVersionCount   = "versionCount"
	versionCountShards = 8
	// maxTxItems and maxTxBytes are DynamoDB's limits of one transaction
	// (100 items, 4 MB), the size with room for what the estimate misses.
	maxTxItems   = 100
	maxTxBytes   = 3 << 20
	longValueKey = 500
	txAttempts   = 8
)

type versionCountItem struct {
	PK    string `dynamo:"pk"`
	SK    string `dynamo:"sk"`
	Kind  string `dynamo:"kind"`
	Field string `dynamo:"field"`
	Value string `dynamo:"value"`
	N     int64  `dynamo:"n"`
}

func countValueKey(v string) string {
	if len(v) <= longValueKey {
		return "=" + v
	}
	h := sha256.Sum256([]byte(v))
	return "#" + hex.EncodeToString(h[:])
}

func versionCountKeys(k grievance.VersionCountKey, shard int) (pk, sk string) {
	return prefixVersionCount + k.Field, countValueKey(k.Value) + "#" + strconv.Itoa(shard)
}

var _ grievance.VersionCounter = (*Store)(nil)

// VersionCounts implements grievance.VersionCounter: one Query per value
// asked (its shards share the key's prefix) and one per field asked
// whole, all at once.
func (s *Store) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	type read struct{ field, value string } // value "": every value
	var reads []read
	out := make(map[string]map[string]int, len(ask))
	for field, values := range ask {
		out[field] = map[string]int{}
		if values == nil {
			reads = append(reads, read{field: field})
		}
		for _, v := range values {
			reads = append(reads, read{field, countValueKey(v) + "#"})
		}
	}
	var mu sync.Mutex
	err := parallel(ctx, len(reads), 16, func(ctx context.Context, i int) error {
		r := reads[i]
		q := s.history.Get(AttrPK, prefixVersionCount+r.field)
		if r.value != "" {
			q = q.Range(AttrSK, dynamo.BeginsWith, r.value)
		}
		var items []versionCountItem
		if err := q.All(ctx, &items); err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return translate("read version counts", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			// A prefix holds longer values too ("=a#" holds "a#b"): only
			// the value asked counts.
			if r.value == "" || countValueKey(it.Value)+"#" == r.value {
				out[r.field][it.Value] += int(it.N)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// countedRecord is a history record to write and the counts it adds to
// (none for comments and removals, which are no rows of a history list).
type countedRecord struct {
	it     *historyItem
	item   map[string]types.AttributeValue
	size   int
	counts []grievance.VersionCountKey
}

func newCountedRecord(it *historyItem) (*countedRecord, error) {
	item, err := dynamo.MarshalItem(it)
	if err != nil {
		return nil, fmt.Errorf("encode history record %s %s: %w", it.PK, it.SK, err)
	}
	r := &countedRecord{it: it, item: item, size: itemSize(item)}
	if it.H1PK != "" {
		t, err := it.ticket()
		if err != nil {
			return nil, err
		}
		r.counts = grievance.VersionCountKeys(t)
	}
	return r, nil
}

// itemSize estimates an item's size as DynamoDB counts it (names and
// values), from above for numbers.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + avSize(v)
	}
	return n
}

func avSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value) + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberM:
		return 3 + itemSize(v.Value)
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + avSize(e)
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 8
}

// txChunk returns how many of recs (at least one) fit one transaction
// with the count updates they imply.
func txChunk(recs []*countedRecord) int {
	keys := map[grievance.VersionCountKey]bool{}
	bytes := 0
	for i, r := range recs {
		added := 0
		for _, k := range r.counts {
			if !keys[k] {
				added++
			}
		}
		if i > 0 && (i+1+len(keys)+added > maxTxItems || bytes+r.size > maxTxBytes) {
			return i
		}
		for _, k := range r.counts {
			keys[k] = true
		}
		bytes += r.size + 200*added
	}
	return len(recs)
}

var (
	errRecordExists = errors.New("a history record was written meanwhile")
	errTxConflict   = errors.New("a count was written meanwhile")
)

// recordCounted writes recs (records known missing) with their counts,
// in one transaction; a record written meanwhile by another consumer
// makes it read which are still missing and write those, and a
// transaction meeting another on a count is retried on another shard.
func (s *Store) recordCounted(ctx context.Context, recs []*countedRecord) error {
	for attempt := 1; ; attempt++ {
		err := s.recordTx(ctx, recs, rand.N(versionCountShards))
		if err == nil || attempt >= txAttempts {
			return err
		}
		switch {
		case errors.Is(err, errRecordExists):
			if recs, err = s.stillMissing(ctx, recs); err != nil || len(recs) == 0 {
				return err
			}
		case errors.Is(err, errTxConflict):
			d := time.Duration(1<<min(attempt, 5)) * 10 * time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d/2 + rand.N(d)):
			}
		default:
			return err
		}
	}
}

// stillMissing returns the records of recs not in the table (consistent).
func (s *Store) stillMissing(ctx context.Context, recs []*countedRecord) ([]*countedRecord, error) {
	keys := make([]dynamo.Keyed, len(recs))
	for i, r := range recs {
		keys[i] = dynamo.Keys{r.it.PK, r.it.SK}
	}
	var found []historyKey
	err := s.history.Batch(AttrPK, AttrSK).Get(keys...).Project(AttrPK, AttrSK).Consistent(true).All(ctx, &found)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("read history keys", err)
	}
	there := map[historyKey]bool{}
	for _, k := range found {
		there[k] = true
	}
	var out []*countedRecord
	for _, r := range recs {
		if !there[historyKey{r.it.PK, r.it.SK}] {
			out = append(out, r)
		}
	}
	return out, nil
}

// recordTx is one transaction: the records, each on condition that it is
// not there, and one ADD per count they change, on shard.
func (s *Store) recordTx(ctx context.Context, recs []*countedRecord, shard int) error {
	table := aws.String(s.history.Name())
	items := make([]types.TransactWriteItem, 0, maxTxItems)
	deltas := map[grievance.VersionCountKey]int64{}
	var order []grievance.VersionCountKey
	for _, r := range recs {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: table, Item: r.item,
			ConditionExpression: aws.String("attribute_not_exists(pk)")}})
		for _, k := range r.counts {
			if deltas[k] == 0 {
				order = append(order, k)
			}
			deltas[k]++
		}
	}
	for _, k := range order {
		pk, sk := versionCountKeys(k, shard)
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: table,
			Key:                      map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: sk}},
			UpdateExpression:         aws.String("ADD #n :n SET #k = :k, #f = :f, #v = :v"),
			ExpressionAttributeNames: map[string]string{"#n": "n", "#k": "kind", "#f": "field", "#v": "value"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":n": &types.AttributeValueMemberN{Value: strconv.FormatInt(deltas[k], 10)},
				":k": &types.AttributeValueMemberS{Value: KindVersionCount},
				":f": &types.AttributeValueMemberS{Value: k.Field},
				":v": &types.AttributeValueMemberS{Value: k.Value},
			}}})
	}
	_, err := s.db.Client().TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			switch aws.ToString(r.Code) {
			case "ConditionalCheckFailed":
				return fmt.Errorf("%w: %v", errRecordExists, err)
			case "TransactionConflict":
				return fmt.Errorf("%w: %v", errTxConflict, err)
			}
		}
	}
	if txConflict(err) {
		return fmt.Errorf("%w: %v", errTxConflict, err)
	}
	return translate(fmt.Sprintf("write %d history records", len(recs)), err)
}

// addVersionCounts adds the counts of versions written outside the
// stream (imports), one UpdateItem per count.
func (s *Store) addVersionCounts(ctx context.Context, ts []*grievance.Ticket) error {
	deltas := map[grievance.VersionCountKey]int64{}
	for _, t := range ts {
		for _, k := range grievance.VersionCountKeys(t) {
			deltas[k]++
		}
	}
	for k, n := range deltas {
		pk, sk := versionCountKeys(k, 0)
		err := s.history.Update(AttrPK, pk).Range(AttrSK, sk).Add("n", n).
			Set("kind", KindVersionCount).Set("field", k.Field).Set("value", k.Value).Run(ctx)
		if err != nil {
			return translate("import version counts", err)
		}
	}
	return nil
}
