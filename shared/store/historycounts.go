package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
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
// consumer wins. Such a record carries `counted`; records of the code
// before the counts do not, and the backfill (CountVersions) counts them.
//
// Counts are trusted only once the completeness marker (pk VCOUNT#meta,
// sk complete) exists: before it, some record may be uncounted and a
// total from the counts would be too low. It is put in the transaction
// that writes ticket 1's version 1 (ticket numbers start at 1 and only
// grow, so when the table's first record was written with its counts,
// every later one is too), or by the backfill once no record is left
// uncounted. It is never removed. The pair counts
// (grievance.VersionPairKeys) came later: a record counted with them
// carries `pairs` too, and their own marker (sk pairs) is put the same
// ways, so a table counted before them trusts them only after the
// backfill has added the pairs of its older records.
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

	pkCountsMarker = prefixVersionCount + "meta"
	skCountsMarker = "complete"
	skPairsMarker  = "pairs"
)

// countsMarker is the completeness marker. Its kind is the counts' own,
// so that whatever skips the counts when reading records skips it too.
type countsMarker struct {
	PK   string    `dynamo:"pk"`
	SK   string    `dynamo:"sk"`
	Kind string    `dynamo:"kind"`
	By   string    `dynamo:"by"` // what wrote it: "record" or "backfill"
	At   time.Time `dynamo:"at"`
}

func newCountsMarker(sk, by string) countsMarker {
	return countsMarker{PK: pkCountsMarker, SK: sk, Kind: KindVersionCount, By: by, At: time.Now().UTC()}
}

// VersionCountsComplete implements grievance.VersionCounter: one GetItem
// of the marker. Eventually consistent: a marker written a moment ago may
// read as missing, which only means the slower, exact way this once.
func (s *Store) VersionCountsComplete(ctx context.Context) (bool, error) {
	return s.countsComplete(ctx, skCountsMarker, false)
}

// VersionPairsComplete implements grievance.VersionCounter: one GetItem
// of the pairs' marker, as VersionCountsComplete.
func (s *Store) VersionPairsComplete(ctx context.Context) (bool, error) {
	return s.countsComplete(ctx, skPairsMarker, false)
}

func (s *Store) countsComplete(ctx context.Context, sk string, consistent bool) (bool, error) {
	var m countsMarker
	err := s.history.Get(AttrPK, pkCountsMarker).Range(AttrSK, dynamo.Equal, sk).Consistent(consistent).One(ctx, &m)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, translate("read version counts marker", err)
	}
	return true, nil
}

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
	// mark: the record is in the table, uncounted (or counted without
	// its pairs: pairsOnly; or with both, without its sort keys:
	// sortsOnly, no count), and the transaction sets its `counted`,
	// `pairs` and sort keys (the backfill) instead of putting it.
	mark, pairsOnly, sortsOnly bool
	// first: ticket 1's version 1, whose counted write completes the
	// counts.
	first bool
	// t is the version the record holds, once decoded (nil: not yet).
	t *grievance.Ticket
}

// newCountedRecord prepares a new record. A ticket version is marked
// counted, since it is written with its counts or not at all.
func newCountedRecord(it *historyItem) (*countedRecord, error) {
	var t *grievance.Ticket
	if it.H1PK != "" {
		it.Counted, it.Pairs = true, true
		var err error
		if t, err = it.ticket(); err != nil {
			return nil, err
		}
		it.setSortKeys(t)
	}
	item, err := dynamo.MarshalItem(it)
	if err != nil {
		return nil, fmt.Errorf("encode history record %s %s: %w", it.PK, it.SK, err)
	}
	return withCounts(&countedRecord{it: it, item: item, size: ItemSize(item), first: it.H1PK != "" && it.H1SK == h1Key(1, 1), t: t})
}

func withCounts(r *countedRecord) (*countedRecord, error) {
	if r.it.H1PK != "" && r.it.HistoryType != HistoryDeleted && !r.sortsOnly {
		if r.t == nil {
			t, err := r.it.ticket()
			if err != nil {
				return nil, err
			}
			r.t = t
		}
		if r.pairsOnly {
			r.counts = grievance.VersionPairKeys(r.t)
		} else {
			r.counts = grievance.VersionCountKeys(r.t)
		}
	}
	return r, nil
}

// ItemSize is an item's size by DynamoDB's rules: attribute names plus
// values (strings and binaries by length, numbers ~ digits/2+1, 3 bytes of
// overhead per list or map, 1 per boolean or null).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for k, v := range item {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return len(x.Value)
	case *types.AttributeValueMemberN:
		return (len(strings.TrimLeft(x.Value, "-0"))+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(x.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range x.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range x.Value {
			n += (len(s)+1)/2 + 1
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range x.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// txChunk returns how many of recs (at least one) fit one transaction
// with the count updates they imply.
func txChunk(recs []*countedRecord) int {
	keys := map[grievance.VersionCountKey]bool{}
	bytes, marker := 0, 0
	for i, r := range recs {
		added := 0
		for _, k := range r.counts {
			if !keys[k] {
				added++
			}
		}
		m := marker
		if r.first && !r.mark {
			// The markers of the counts, of the pairs and of the sort
			// keys, and the values' dictionary's.
			m = 3 + len(grievance.ValueFields)
		}
		if i > 0 && (i+1+m+len(keys)+added > maxTxItems || bytes+r.size > maxTxBytes) {
			return i
		}
		for _, k := range r.counts {
			keys[k] = true
		}
		bytes += r.size + 200*added
		marker = m
	}
	return len(recs)
}

var (
	errRecordExists = errors.New("a history record was written meanwhile")
	errTxConflict   = errors.New("a count was written meanwhile")
)

// recordCounted writes recs (records known missing, or all known
// uncounted when marked) with their counts, in one transaction; a record
// written (or counted) meanwhile by another writer makes it read which
// are still to do and write those, and a transaction meeting another on
// a count is retried on another shard. It returns how many records it
// wrote: fewer than recs when others did some.
func (s *Store) recordCounted(ctx context.Context, recs []*countedRecord) (int, error) {
	if err := s.addHeldValues(ctx, recs); err != nil {
		return 0, err
	}
	for attempt := 1; ; attempt++ {
		err := s.recordTx(ctx, recs, rand.N(versionCountShards))
		if err == nil {
			return len(recs), nil
		}
		if attempt >= txAttempts {
			return 0, err
		}
		switch {
		case errors.Is(err, errRecordExists):
			if recs[0].mark {
				recs, err = s.stillUncounted(ctx, recs)
			} else {
				recs, err = s.stillMissing(ctx, recs)
			}
			if err != nil || len(recs) == 0 {
				return 0, err
			}
		case errors.Is(err, errTxConflict):
			if err := pause(ctx, attempt, 10*time.Millisecond); err != nil {
				return 0, err
			}
		default:
			return 0, err
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

// stillUncounted returns the records of recs that are in the table and
// not counted, or counted without their pairs (consistent), each with
// the counts it still lacks.
func (s *Store) stillUncounted(ctx context.Context, recs []*countedRecord) ([]*countedRecord, error) {
	keys := make([]dynamo.Keyed, len(recs))
	for i, r := range recs {
		keys[i] = dynamo.Keys{r.it.PK, r.it.SK}
	}
	var found []struct {
		historyKey
		Counted bool   `dynamo:"counted"`
		Pairs   bool   `dynamo:"pairs"`
		H2PK    string `dynamo:"h2pk"`
	}
	err := s.history.Batch(AttrPK, AttrSK).Get(keys...).Project(AttrPK, AttrSK, "counted", "pairs", "h2pk").Consistent(true).All(ctx, &found)
	if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
		return nil, translate("read history records", err)
	}
	type state struct{ counted, pairs, sorted bool }
	there := map[historyKey]state{}
	for _, k := range found {
		there[k.historyKey] = state{k.Counted, k.Pairs, k.H2PK != ""}
	}
	var out []*countedRecord
	for _, r := range recs {
		st, ok := there[historyKey{r.it.PK, r.it.SK}]
		if !ok || st.pairs && st.sorted {
			continue // gone, or done by another run
		}
		sortsOnly, pairsOnly := st.counted && st.pairs, st.counted && !st.pairs
		if r.pairsOnly != pairsOnly || r.sortsOnly != sortsOnly {
			var err error
			if r, err = withCounts(&countedRecord{it: r.it, item: r.item, size: r.size, mark: true, pairsOnly: pairsOnly, sortsOnly: sortsOnly, t: r.t}); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// recordTx is one transaction: the records, each put on condition that
// it is not there (or, marked, set counted on condition that it is there
// and is not), one ADD per count they change, on shard, and the marker
// when ticket 1's version 1 is put.
func (s *Store) recordTx(ctx context.Context, recs []*countedRecord, shard int) error {
	table := aws.String(s.history.Name())
	items := make([]types.TransactWriteItem, 0, maxTxItems)
	deltas := map[grievance.VersionCountKey]int64{}
	var order []grievance.VersionCountKey
	for _, r := range recs {
		switch {
		case r.mark:
			names := map[string]string{"#c": "counted", "#p": "pairs"}
			values := map[string]types.AttributeValue{":c": &types.AttributeValueMemberBOOL{Value: true}}
			set, cond := []string{"#c = :c", "#p = :c"}, "attribute_exists(pk) AND attribute_not_exists(#c)"
			switch {
			case r.sortsOnly:
				// The keys follow from the record, which never changes:
				// setting them again is harmless.
				set, cond = nil, "attribute_exists(#c) AND attribute_exists(#p)"
			case r.pairsOnly:
				set, cond = []string{"#p = :c"}, "attribute_exists(#c) AND attribute_not_exists(#p)"
			}
			set = append(set, sortsSet(r.item, names, values)...)
			update := "SET " + strings.Join(set, ", ")
			// DynamoDB refuses a name or value the expressions do not use.
			for n := range names {
				if !strings.Contains(update+cond, n) {
					delete(names, n)
				}
			}
			if !strings.Contains(update, ":c") {
				delete(values, ":c")
			}
			items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: table,
				Key:                       map[string]types.AttributeValue{AttrPK: r.item[AttrPK], AttrSK: r.item[AttrSK]},
				UpdateExpression:          aws.String(update),
				ConditionExpression:       aws.String(cond),
				ExpressionAttributeNames:  names,
				ExpressionAttributeValues: values}})
		default:
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: table, Item: r.item,
				ConditionExpression: aws.String("attribute_not_exists(pk)")}})
			if r.first {
				for _, sk := range []string{skCountsMarker, skPairsMarker, skSortsMarker} {
					m, err := dynamo.MarshalItem(newCountsMarker(sk, "record"))
					if err != nil {
						return err
					}
					items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: table, Item: m}})
				}
				for _, f := range grievance.ValueFields {
					// The values' dictionary: every version's values are
					// added before it is counted (heldvalues.go).
					items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: table,
						Key:                       map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: pkHeldValues}, AttrSK: &types.AttributeValueMemberS{Value: f}},
						UpdateExpression:          aws.String("SET #c = :c, #k = :k"),
						ExpressionAttributeNames:  map[string]string{"#c": "complete", "#k": "kind"},
						ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberBOOL{Value: true}, ":k": &types.AttributeValueMemberS{Value: KindVersionCount}}}})
				}
			}
		}
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
