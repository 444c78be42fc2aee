package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"

	"github.com/redress-grm/redress/shared/grievance"
)

// Statistics aggregates (docs/sla.md). Two item kinds in the Main table:
//
//   - an aggregate per creation day and category, pk STATS#<yyyy-mm>, sk
//     <yyyy-mm-dd>#<category>, with one number attribute per counter
//     (attribute "c#" + counter name, e.g. c#n, c#s:OPEN, c#h:12), changed
//     only by ADD;
//   - a contribution per ticket, pk STATSREF#<ticket id>, sk STATS: what
//     the ticket currently adds (its key and counters) and the stream order
//     of the image it was computed from.
//
// A month partition keeps a year's statistics to twelve Queries, and a day
// of aggregates to one item per category.
const (
	prefixStats        = "STATS#"
	prefixStatsRef     = "STATSREF#"
	skStatsRef         = "STATS"
	counterAttr        = "c#"
	KindStats          = "stats"
	KindStatsRef       = "statsContribution"
	maxTransactItems   = 100 // DynamoDB's limit per TransactWriteItems
	statsApplyAttempts = 6
)

type statsRefItem struct {
	PK       string           `dynamo:"pk"`
	SK       string           `dynamo:"sk"`
	Kind     string           `dynamo:"kind"`
	Order    int64            `dynamo:"order"`
	Day      string           `dynamo:"day,omitempty"`
	Category string           `dynamo:"category,omitempty"`
	Counters map[string]int64 `dynamo:"counters,omitempty"`
}

func statsKey(k grievance.StatsKey) (pk, sk string) {
	return prefixStats + k.Day[:7], k.Day + "#" + k.Category
}

// StatsNotAppliedLog is the message a stream consumer logs when ApplyStats
// fails; the stack counts it into the StatisticsFailures alarm, since such
// failures do not fail the function.
const StatsNotAppliedLog = "statistics not applied; history unaffected"

// statsChange is the last change of one ticket in a batch.
type statsChange struct {
	id      string
	order   int64 // 2 × version, + 1 for a removal: later images order higher
	contrib *grievance.Contribution
	first   int // index in the batch of the ticket's first record
}

// ApplyStats brings the aggregates up to date with the ticket changes
// among recs (records of the Main table's stream, in stream order); other
// kinds are skipped.
//
// It is exact under at-least-once delivery: a ticket's contribution item
// remembers the stream order of the image it was computed from, and a
// ticket's new contribution replaces its old one (counter deltas) in one
// transaction conditioned on that order, so a redelivered or older image
// changes nothing and two writers cannot both apply. Only a ticket's last
// image in the batch is applied (images are full states).
//
// Values are counted by name as the stored configuration says
// (grievance.StatsDimensions), read once per batch with ticket images.
//
// Requests: one GetItem (configuration), one consistent BatchGetItem per
// 100 tickets, then one TransactWriteItems per ~50 tickets whose counters
// changed (a change that leaves every counter as it was, e.g. a comment,
// writes nothing). A transaction DynamoDB refuses because of one of its
// items (neither a race nor load) is split into one per ticket, so a
// poisoned aggregate costs only its own tickets.
//
// On failure it returns the sequence number of the first record not known
// to be applied, and why; tickets refused one by one are reported this way
// after every other ticket of the batch was applied. Nothing is lost for
// good: the ticket's next change applies its whole difference.
func (s *Store) ApplyStats(ctx context.Context, recs []events.DynamoDBEventRecord) (failedSeq string, err error) {
	var (
		changes   []*statsChange
		byID      = map[string]*statsChange{}
		decodeAt  = -1
		decodeErr error
		dims      *grievance.StatsDimensions
	)
	for i, rec := range recs {
		ch, err := DecodeChange(rec)
		if err != nil {
			decodeAt, decodeErr = i, err
			break
		}
		if !ch.IsTicket() {
			continue
		}
		c := &statsChange{id: ch.EntityID(), order: 2 * int64(ch.Version()), first: i}
		if ch.EventName == EventRemove {
			c.order++
		} else {
			if dims == nil {
				if dims, err = s.statsDimensions(ctx); err != nil {
					return rec.Change.SequenceNumber, err
				}
			}
			c.contrib = grievance.ContributionOf(ch.Ticket, dims)
		}
		if prev, ok := byID[c.id]; ok {
			if c.order > prev.order {
				prev.order, prev.contrib = c.order, c.contrib
			}
			continue
		}
		byID[c.id] = c
		changes = append(changes, c)
	}
	refused := map[string]error{} // tickets whose own transaction DynamoDB refused
	for attempt := 1; ; attempt++ {
		at, err := s.applyStats(ctx, changes, refused)
		if err == nil {
			break
		}
		if !errors.Is(err, errStatsRace) || attempt >= statsApplyAttempts {
			return recs[changes[at].first].Change.SequenceNumber, err
		}
		// Another writer applied some of these tickets (or raced us on an
		// aggregate): read the contributions again and redo the rest.
		if err := pause(ctx, attempt, 10*time.Millisecond); err != nil {
			return recs[changes[at].first].Change.SequenceNumber, err
		}
	}
	if len(refused) > 0 {
		first, errs := -1, []error{}
		for i, c := range changes {
			if err, ok := refused[c.id]; ok {
				if first < 0 {
					first = i
				}
				errs = append(errs, fmt.Errorf("ticket %s: %w", c.id, err))
			}
		}
		return recs[changes[first].first].Change.SequenceNumber, errors.Join(errs...)
	}
	if decodeErr != nil {
		return recs[decodeAt].Change.SequenceNumber, decodeErr
	}
	return "", nil
}

// statsDimensions reads the configuration for the values statistics count
// by name: once per batch, so a batch is counted under one configuration
// and a change to it applies from the next batch on.
func (s *Store) statsDimensions(ctx context.Context) (*grievance.StatsDimensions, error) {
	doc, _, err := s.ConfigDocument(ctx)
	if err != nil {
		return nil, err
	}
	cfg, err := grievance.ParseConfig(doc)
	if err != nil {
		return nil, fmt.Errorf("statistics: stored configuration is invalid: %w", err)
	}
	return cfg.StatsDimensions(), nil
}

// errStatsRefused marks a transaction DynamoDB refused because of one of
// its items, not for load: worth splitting to find the item.
var errStatsRefused = errors.New("statistics write refused")

// errStatsRace marks a transaction cancelled by a condition or a
// conflicting transaction: worth re-reading and retrying.
var errStatsRace = errors.New("statistics changed concurrently")

// applyStats writes the changes not yet applied, except those of tickets
// in refused. A transaction DynamoDB refuses because of one of its items
// (an aggregate that would pass the item size limit, say) is split: each of
// its tickets is tried in a transaction of its own, and those refused again
// are added to refused and skipped from then on, so one poisoned aggregate
// costs only the tickets that contribute to it. On any other error it
// returns the index in changes of the first change not known to be
// applied.
func (s *Store) applyStats(ctx context.Context, changes []*statsChange, refused map[string]error) (int, error) {
	stored := map[string]*statsRefItem{}
	var keys []dynamo.Keyed
	for _, c := range changes {
		keys = append(keys, dynamo.Keys{prefixStatsRef + c.id, skStatsRef})
	}
	for start := 0; start < len(keys); start += maxBatchGet {
		var found []statsRefItem
		err := s.main.Batch(AttrPK, AttrSK).Get(keys[start:min(start+maxBatchGet, len(keys))]...).Consistent(true).All(ctx, &found)
		if err != nil && !errors.Is(err, dynamo.ErrNotFound) {
			return 0, translate("read statistics contributions", err)
		}
		for i := range found {
			stored[strings.TrimPrefix(found[i].PK, prefixStatsRef)] = &found[i]
		}
	}
	tx := &statsTx{}
	for i, c := range changes {
		if _, ok := refused[c.id]; ok {
			continue
		}
		old := stored[c.id]
		if old != nil && old.Order >= c.order {
			continue // applied already (redelivery) or older than what is
		}
		deltas := map[grievance.StatsKey]grievance.Counters{}
		add := func(k grievance.StatsKey, cs map[string]int64, sign int64) {
			d := deltas[k]
			if d == nil {
				d = grievance.Counters{}
				deltas[k] = d
			}
			for name, v := range cs {
				d[name] += sign * v
			}
		}
		if old != nil && old.Day != "" {
			add(grievance.StatsKey{Day: old.Day, Category: old.Category}, old.Counters, -1)
		}
		if c.contrib != nil {
			add(c.contrib.Key, c.contrib.Counters, 1)
		}
		if !anyNonZero(deltas) {
			continue // the counters are what they were: nothing to write
		}
		put, err := s.contributionPut(c, old)
		if err != nil {
			return i, err
		}
		t := statsTicket{at: i, id: c.id, put: put, deltas: deltas}
		if tx.size(t) > maxTransactItems {
			if err := s.runStatsTxIsolating(ctx, tx, refused); err != nil {
				return tx.tickets[0].at, err
			}
			tx = &statsTx{}
		}
		tx.tickets = append(tx.tickets, t)
	}
	if len(tx.tickets) > 0 {
		if err := s.runStatsTxIsolating(ctx, tx, refused); err != nil {
			return tx.tickets[0].at, err
		}
	}
	return 0, nil
}

// runStatsTxIsolating runs t; when DynamoDB refuses one of its items, it
// runs each ticket of t alone and adds the tickets refused again to
// refused. Races and failures under load are returned.
func (s *Store) runStatsTxIsolating(ctx context.Context, t *statsTx, refused map[string]error) error {
	err := s.runStatsTx(ctx, t)
	if !errors.Is(err, errStatsRefused) {
		// Success, a race, or load (throttling, DynamoDB unreachable):
		// splitting would only multiply the requests.
		return err
	}
	if len(t.tickets) == 1 {
		refused[t.tickets[0].id] = err
		return nil
	}
	for _, one := range t.tickets {
		if err := s.runStatsTx(ctx, &statsTx{tickets: []statsTicket{one}}); errors.Is(err, errStatsRefused) {
			refused[one.id] = err
		} else if err != nil {
			return err
		}
	}
	return nil
}

func anyNonZero(deltas map[grievance.StatsKey]grievance.Counters) bool {
	for _, d := range deltas {
		for _, v := range d {
			if v != 0 {
				return true
			}
		}
	}
	return false
}

// statsTicket is one ticket's part of a transaction: its contribution put
// and its deltas per aggregate.
type statsTicket struct {
	at     int // index in changes
	id     string
	put    types.TransactWriteItem
	deltas map[grievance.StatsKey]grievance.Counters
}

// statsTx collects one transaction. Deltas are merged per aggregate when it
// runs (an item may appear once per transaction).
type statsTx struct {
	tickets []statsTicket
}

// size returns the items of the transaction with next added.
func (t *statsTx) size(next statsTicket) int {
	keys := map[grievance.StatsKey]bool{}
	for k := range next.deltas {
		keys[k] = true
	}
	for _, st := range t.tickets {
		for k := range st.deltas {
			keys[k] = true
		}
	}
	return len(t.tickets) + 1 + len(keys)
}

// contributionPut writes c's new contribution, conditioned on the one read
// (old), so two writers cannot both apply it.
func (s *Store) contributionPut(c *statsChange, old *statsRefItem) (types.TransactWriteItem, error) {
	it := statsRefItem{PK: prefixStatsRef + c.id, SK: skStatsRef, Kind: KindStatsRef, Order: c.order}
	if c.contrib != nil {
		it.Day, it.Category, it.Counters = c.contrib.Key.Day, c.contrib.Key.Category, c.contrib.Counters
	}
	item, err := dynamo.MarshalItem(it)
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("encode statistics contribution of %s: %w", c.id, err)
	}
	put := &types.Put{TableName: aws.String(s.main.Name()), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if old != nil {
		put.ConditionExpression = aws.String("#o = :o")
		put.ExpressionAttributeNames = map[string]string{"#o": "order"}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":o": &types.AttributeValueMemberN{Value: strconv.FormatInt(old.Order, 10)}}
	}
	return types.TransactWriteItem{Put: put}, nil
}

// runStatsTx writes one transaction: the contributions (conditioned) and an
// ADD of every non-zero delta to its aggregate.
func (s *Store) runStatsTx(ctx context.Context, t *statsTx) error {
	var items []types.TransactWriteItem
	merged := map[grievance.StatsKey]grievance.Counters{}
	var order []grievance.StatsKey
	for _, st := range t.tickets {
		items = append(items, st.put)
		for k, d := range st.deltas {
			cur, ok := merged[k]
			if !ok {
				cur = grievance.Counters{}
				merged[k] = cur
				order = append(order, k)
			}
			for name, v := range d {
				cur[name] += v
			}
		}
	}
	for _, k := range order {
		if u := s.aggregateUpdate(k, merged[k]); u != nil {
			items = append(items, types.TransactWriteItem{Update: u})
		}
	}
	_, err := s.db.Client().TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		refused := false
		for _, r := range tce.CancellationReasons {
			switch c := aws.ToString(r.Code); c {
			case "ConditionalCheckFailed", "TransactionConflict":
				return fmt.Errorf("%w: %v", errStatsRace, err)
			case "", "None", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
			default:
				// An item DynamoDB will not write as asked: AWS says
				// ValidationError (e.g. past 400 KB), moto names the check.
				refused = true
			}
		}
		if refused {
			return fmt.Errorf("%w: %v", errStatsRefused, err)
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "ValidationException" {
		return fmt.Errorf("%w: %v", errStatsRefused, err)
	}
	return translate(fmt.Sprintf("write statistics (%d items)", len(items)), err)
}

// aggregateUpdate adds d to the aggregate of k (nil when d is all zero).
func (s *Store) aggregateUpdate(k grievance.StatsKey, d grievance.Counters) *types.Update {
	names := make([]string, 0, len(d))
	for name, v := range d {
		if v != 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	pk, sk := statsKey(k)
	u := &types.Update{
		TableName: aws.String(s.main.Name()),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: sk},
		},
		ExpressionAttributeNames: map[string]string{"#kind": "kind", "#day": "day", "#cat": "category"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":kind": &types.AttributeValueMemberS{Value: KindStats},
			":day":  &types.AttributeValueMemberS{Value: k.Day},
			":cat":  &types.AttributeValueMemberS{Value: k.Category},
		},
	}
	adds := make([]string, len(names))
	for i, name := range names {
		n, v := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		u.ExpressionAttributeNames[n] = counterAttr + name
		u.ExpressionAttributeValues[v] = &types.AttributeValueMemberN{Value: strconv.FormatInt(d[name], 10)}
		adds[i] = n + " " + v
	}
	u.UpdateExpression = aws.String("SET #kind = :kind, #day = :day, #cat = :cat ADD " + strings.Join(adds, ", "))
	return u
}

var _ grievance.StatsStore = (*Store)(nil)

// StatsAggregates implements grievance.StatsStore: one Query per month of
// the range (eventually consistent, paged by 1 MB).
func (s *Store) StatsAggregates(ctx context.Context, fromDay, toDay string) ([]grievance.Contribution, error) {
	start, err := time.Parse(grievance.DateLayout, fromDay)
	if err != nil {
		return nil, fmt.Errorf("statistics from %q: %w", fromDay, err)
	}
	var out []grievance.Contribution
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); m.Format("2006-01") <= toDay[:7]; m = m.AddDate(0, 1, 0) {
		var items []dynamo.Item
		err := s.main.Get(AttrPK, prefixStats+m.Format("2006-01")).
			Range(AttrSK, dynamo.Between, fromDay, toDay+"#\uffff").All(ctx, &items)
		if err != nil {
			return nil, translate("query statistics", err)
		}
		for _, item := range items {
			c := grievance.Contribution{Key: grievance.StatsKey{Day: stringAttr(item, "day"), Category: stringAttr(item, "category")},
				Counters: grievance.Counters{}}
			for name, av := range item {
				counter, ok := strings.CutPrefix(name, counterAttr)
				if !ok {
					continue
				}
				n, ok := av.(*types.AttributeValueMemberN)
				if !ok {
					continue
				}
				v, err := strconv.ParseInt(n.Value, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("statistics %s: counter %s: %w", c.Key.Day, counter, err)
				}
				c.Counters[counter] = v
			}
			out = append(out, c)
		}
	}
	return out, nil
}
