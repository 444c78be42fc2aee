package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// The history sort indexes (hist2…hist7) hold every ticket version in the
// order of one of the web client's sortable columns, so that a showHistory
// list ordered by a column reads a page from an index instead of sorting
// every version in memory (refused past the history read budget). A
// version's keys are set on its record when it is written with its counts
// (newCountedRecord), or by the backfill's count pass on a record written
// before them; versions never change, so neither do their keys.

// versionSpan is how many versions of a ticket a sort key tells apart: the
// key counts down number × versionSpan + version, within the 12 digits of
// a live sort key (ticket numbers up to 99,999,999). A ticket's versions
// past 9,999 tie with its 9,999th (any order among them).
const versionSpan = 10_000

// maxHistorySeq is the highest ticket number a history sort key holds.
const maxHistorySeq = seqTop / versionSpan

// historyRowNumber is the count a history sort key holds for a version.
func historyRowNumber(seq int64, version int) int64 {
	return seq*versionSpan + int64(min(version, versionSpan-1))
}

// historyRowOf is the ticket number and version a history sort key
// counts down (a version past versionSpan-1 reads as that).
func historyRowOf(key string) (seq int64, version int, ok bool) {
	if len(key) < 12 {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(key[len(key)-12:], 10, 64)
	if err != nil {
		return 0, 0, false
	}
	row := seqTop - n
	return row / versionSpan, int(row % versionSpan), row > 0
}

// historySortKey is the key of a ticket version in a history sort index:
// as a live ticket's (value, then newest first), the version after the
// number.
func historySortKey(value string, seq int64, version int) string {
	return sortKey(value, historyRowNumber(seq, version))
}

// skSortsMarker marks a History table whose every ticket version has its
// sort keys: written with ticket 1's first version (a table the current
// code wrote from its start) or by the backfill's count pass once every
// record has them and the indexes exist.
const skSortsMarker = "sorts"

// setSortKeys sets the keys of the history sort indexes of it, the record
// of version t, and the attributes they project.
func (it *historyItem) setSortKeys(t *grievance.Ticket) {
	it.Status, it.Category, it.Priority = string(t.Status), t.Category, t.Priority
	it.ReporterID, it.StaffID = t.ReporterID, t.AttendingStaffID
	for _, k := range []struct {
		field  string
		pk, sk *string
	}{
		{"title", &it.H2PK, &it.H2SK}, {"priority", &it.H3PK, &it.H3SK}, {"status", &it.H4PK, &it.H4SK},
		{"category", &it.H5PK, &it.H5SK}, {"reporter_id", &it.H6PK, &it.H6SK}, {"version", &it.H7PK, &it.H7SK},
	} {
		*k.pk, *k.sk = historyTickets, historySortKey(grievance.SortValue(t, k.field), t.Seq, t.Version)
	}
}

// sortAttrs are the attributes setSortKeys sets, as stored.
var sortAttrs = []string{"h2pk", "h2sk", "h3pk", "h3sk", "h4pk", "h4sk", "h5pk", "h5sk", "h6pk", "h6sk", "h7pk", "h7sk",
	"status", "category", "priority", "reporterId", "attendingStaffId"}

// sortsSet returns the UpdateItem SET clauses that give a stored record
// item's sort attributes (those it has: an empty value is left out, as
// the put leaves it out), with their names and values added to names and
// values.
func sortsSet(item map[string]types.AttributeValue, names map[string]string, values map[string]types.AttributeValue) []string {
	var set []string
	for i, a := range sortAttrs {
		v, ok := item[a]
		if !ok {
			continue
		}
		n, p := fmt.Sprintf("#s%d", i), fmt.Sprintf(":s%d", i)
		names[n], values[p] = a, v
		set = append(set, n+" = "+p)
	}
	return set
}

var _ grievance.HistorySorter = (*Store)(nil)

// HistorySortsComplete implements grievance.HistorySorter: one GetItem of
// the marker (eventually consistent, as the counts' marker).
func (s *Store) HistorySortsComplete(ctx context.Context) (bool, error) {
	return s.countsComplete(ctx, skSortsMarker, false)
}

// ScanTicketHistorySorted implements grievance.HistorySorter (sift.Keep
// sees each version's number, code, version and ticket id too, from the
// keys): the walk of a live sort index (walkSorted: descending, a run of
// one value is reversed once complete and a long run read on its own
// newest first) over r.SortBy's history index, its versions fetched a
// batch at a time by BatchGetItem, sift.Fetching told of each batch
// first; r.Within and sift.Keep skip index items before they are
// fetched; r.After (with AfterValue and AfterVersion) starts after that
// row.
func (s *Store) ScanTicketHistorySorted(ctx context.Context, r grievance.TicketRange, sift grievance.HistorySift, fn func(*grievance.Ticket) (bool, error)) error {
	index, ok := historySortIndexes[r.SortBy]
	if !ok {
		return fmt.Errorf("history sorted by %q: no index", r.SortBy)
	}
	pkAttr, skAttr := indexAttrs(index)
	all := func() *dynamo.Query { return s.history.Get(pkAttr, historyTickets).Index(index) }
	limit := max(r.PageHint, 1)
	out := &sortedOut{s: s, ctx: ctx, within: r.Within, share: r.Share, fetch: true, history: true, want: limit, size: limit, emit: versionsTo(fn)}
	// seen is what an index item tells of its version (nil: its key is
	// not a version's, and the caller judges the version fetched).
	seen := func(item dynamo.Item) *grievance.Ticket {
		var a rangeAttrs
		seq, version, ok := historyRowOf(attrKey(skAttr)(item))
		id, tok := strings.CutPrefix(attrKey(AttrPK)(item), prefixTicket)
		if !ok || !tok || dynamo.UnmarshalItem(item, &a) != nil {
			return nil
		}
		return &grievance.Ticket{ID: id, Seq: seq, Code: grievance.FormatCode(seq), Version: version,
			Status: grievance.Status(a.Status), Category: a.Category, Priority: a.Priority,
			ReporterID: a.ReporterID, AttendingStaffID: a.StaffID}
	}
	if sift.Keep != nil {
		out.keep = func(item dynamo.Item) (bool, error) {
			t := seen(item)
			if t == nil {
				return true, nil
			}
			return sift.Keep(t)
		}
	}
	if sift.Fetching != nil {
		out.fetching = func(items []dynamo.Item) {
			ts := make([]*grievance.Ticket, 0, len(items))
			for _, item := range items {
				if t := seen(item); t != nil {
					ts = append(ts, t)
				}
			}
			sift.Fetching(ts)
		}
	}
	var from *sortFrom
	switch {
	case r.After == grievance.BeforeEveryRow:
		// Before the first (newest) row of the value: a count one past
		// the highest a key holds.
		from = &sortFrom{value: sortPrefix(r.AfterValue), seq: seqTop + 1}
	case r.After > 0:
		from = &sortFrom{value: sortPrefix(r.AfterValue), seq: historyRowNumber(min(r.After, maxHistorySeq), r.AfterVersion)}
	}
	err := s.walkSorted(ctx, index, index+"#"+historyTickets, all, r.Descending, limit, from, out)
	if errors.Is(err, errStop) || out.stopped && err == nil {
		return nil
	}
	var ge *grievance.Error
	if errors.As(err, &ge) {
		return err // the caller's own (keep's, fn's)
	}
	if err != nil {
		return translate("read history sort index", err)
	}
	_, err = out.flush()
	return err
}

// versionsByKey reads the history records of index items (eventually
// consistent, as the index read), keyed by historyItemKey, in parallel
// batches of 100.
func (s *Store) versionsByKey(ctx context.Context, keyed []dynamo.Item) (map[string]dynamo.Item, error) {
	keys := make([]dynamo.Keyed, len(keyed))
	for i, k := range keyed {
		keys[i] = dynamo.Keys{attrKey(AttrPK)(k), attrKey(AttrSK)(k)}
	}
	out := make(map[string]dynamo.Item, len(keyed))
	for start := 0; start < len(keys); start += 100 {
		var items []dynamo.Item
		err := s.history.Batch(AttrPK, AttrSK).Get(keys[start:min(start+100, len(keys))]...).All(ctx, &items)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return nil, translate("batch get ticket versions", err)
		}
		for _, item := range items {
			out[historyItemKey(item)] = item
		}
	}
	return out, nil
}

// historyItemKey names a history record (or its index item) by its keys.
func historyItemKey(item dynamo.Item) string {
	return attrKey(AttrPK)(item) + "\x00" + attrKey(AttrSK)(item)
}

// historySortIndexesActive reports whether every history sort index
// exists and is ACTIVE (a stage deploys them one per stack update), and
// names the first that is not.
func (s *Store) historySortIndexesActive(ctx context.Context) (bool, string, error) {
	// The SDK's call: the library's description wants every index's
	// ARN, which an emulator may leave out.
	desc, err := s.db.Client().DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.history.Name())})
	if err != nil {
		return false, "", translate("describe the history table", err)
	}
	active := map[string]bool{}
	for _, ix := range desc.Table.GlobalSecondaryIndexes {
		active[aws.ToString(ix.IndexName)] = ix.IndexStatus == types.IndexStatusActive && !aws.ToBool(ix.Backfilling)
	}
	names := make([]string, 0, len(historySortIndexes))
	for _, ix := range historySortIndexes {
		names = append(names, ix)
	}
	slices.Sort(names)
	for _, ix := range names {
		if !active[ix] {
			return false, ix, nil
		}
	}
	return true, "", nil
}
