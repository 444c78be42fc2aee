// Package awsmeter counts the AWS requests a piece of code makes, for the
// benchmarks (docs/performance.md): every SDK operation by service and
// name, and for DynamoDB the items each request read or wrote and the
// capacity it would consume on DynamoDB (estimated from the item sizes by
// DynamoDB's rounding rules, because moto reports a constant per call).
//
// Attach it to the aws.Config the code under test builds its clients from:
//
//	m := awsmeter.New()
//	m.Attach(&cfg)
//	… run …
//	s := m.Take() // and reset
package awsmeter

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/redress-grm/redress/shared/store"
)

// Op is what one kind of request cost.
type Op struct {
	Calls float64
	// ItemsRead are the items DynamoDB read to answer (Query and Scan:
	// ScannedCount; GetItem: 0 or 1; BatchGetItem: items returned).
	ItemsRead float64
	// IndexItemsRead are those of ItemsRead in the list indexes'
	// partitions (store.IndexPartition): postings, columns, counts …; the
	// rest are the rows' tickets, versions and people.
	IndexItemsRead float64
	// ItemsWritten are the items a write request wrote.
	ItemsWritten float64
	// RCU and WCU are the read and write capacity units DynamoDB would
	// charge (on-demand: read and write request units), from item sizes.
	RCU, WCU float64
	// IndexWCU are the write units of the index copies of the items a
	// BatchWriteItem or a transaction put: an item with an index's keys (g1pk/g1sk …)
	// costs a copy of its size there, or one unit where the index
	// projects only keys and a few attributes (schema.go's narrow ones). A copy whose keys changed costs one unit more (its old
	// entry is deleted), as do the copies of deleted items; neither is
	// visible in the request, so neither is counted.
	IndexWCU float64
	// Reported is the capacity moto reported (a constant per call there).
	Reported float64
	// Rounds are the requests that started while no other request was
	// under way: summed over the operations, the round trips made one
	// after another (requests sent together count once).
	Rounds float64
}

// Stats are the requests of a period, keyed "Service.Operation" (e.g.
// "DynamoDB.Query", "EventBridge.PutEvents").
type Stats map[string]*Op

// Meter counts requests; it is safe for concurrent use.
type Meter struct {
	mu       sync.Mutex
	ops      Stats
	inFlight int
	trace    io.Writer
}

// TraceTo writes a line per DynamoDB request to w (nil: none): its
// operation, the partitions or key prefixes it read and the items read,
// to see where an operation's items go.
func (m *Meter) TraceTo(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trace = w
}

// New returns an empty meter.
func New() *Meter { return &Meter{ops: Stats{}} }

// Attach adds the meter's middleware to cfg: clients built from cfg
// afterwards are counted.
func (m *Meter) Attach(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("awsmeter", m.handle), middleware.Before)
	})
}

// Take returns the stats since the last Take (or New) and starts afresh.
func (m *Meter) Take() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.ops
	m.ops = Stats{}
	return s
}

func (m *Meter) handle(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	askCapacity(in.Parameters)
	m.mu.Lock()
	round := m.inFlight == 0
	m.inFlight++
	m.mu.Unlock()
	out, md, err := next.HandleInitialize(ctx, in)
	key := middleware.GetServiceID(ctx) + "." + middleware.GetOperationName(ctx)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.inFlight--
	op := m.ops[key]
	if op == nil {
		op = &Op{}
		m.ops[key] = op
	}
	op.Calls++
	if round {
		op.Rounds++
	}
	if err == nil {
		before := op.ItemsRead
		measure(op, in.Parameters, out.Result)
		if m.trace != nil && strings.HasPrefix(key, "DynamoDB.") {
			fmt.Fprintf(m.trace, "%s round=%v items=%g %s\n", key, round, op.ItemsRead-before, describe(in.Parameters))
		}
	}
	return out, md, err
}

// describe names what a read request reads: a Query's index and key
// values, the partition key prefixes of a BatchGetItem's keys (counted), a
// GetItem's partition key.
func describe(params any) string {
	prefix := func(s string) string {
		if i := strings.IndexAny(s, "#:"); i >= 0 {
			return s[:i+1]
		}
		return s
	}
	switch p := params.(type) {
	case *dynamodb.QueryInput:
		var vals []string
		for k, v := range p.ExpressionAttributeValues {
			switch v := v.(type) {
			case *types.AttributeValueMemberS:
				vals = append(vals, k+"="+v.Value)
			case *types.AttributeValueMemberN:
				vals = append(vals, k+"="+v.Value)
			}
		}
		sort.Strings(vals)
		for k, c := range p.KeyConditions {
			for _, v := range c.AttributeValueList {
				if s, ok := v.(*types.AttributeValueMemberS); ok {
					vals = append(vals, k+"="+s.Value)
				}
			}
		}
		sort.Strings(vals)
		return fmt.Sprintf("index=%s limit=%d %s %s", aws.ToString(p.IndexName), aws.ToInt32(p.Limit), aws.ToString(p.KeyConditionExpression), strings.Join(vals, " "))
	case *dynamodb.BatchGetItemInput:
		n := map[string]int{}
		for _, ka := range p.RequestItems {
			for _, k := range ka.Keys {
				n[prefix(partitionOf(k))]++
			}
		}
		var parts []string
		for k, c := range n {
			parts = append(parts, fmt.Sprintf("%s×%d", k, c))
		}
		sort.Strings(parts)
		return strings.Join(parts, " ")
	case *dynamodb.GetItemInput:
		return partitionOf(p.Key)
	}
	return ""
}

// askCapacity asks DynamoDB (moto) to report consumed capacity: every
// DynamoDB input that can say so has a ReturnConsumedCapacity field.
func askCapacity(params any) {
	total := reflect.ValueOf(types.ReturnConsumedCapacityTotal)
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return
	}
	if f := v.Elem().FieldByName("ReturnConsumedCapacity"); f.IsValid() && f.CanSet() && f.Type() == total.Type() {
		f.Set(total)
	}
}

func reported(cs ...types.ConsumedCapacity) float64 {
	t := 0.0
	for _, c := range cs {
		t += aws.ToFloat64(c.CapacityUnits)
	}
	return t
}

func reportedPtr(c *types.ConsumedCapacity) float64 {
	if c == nil {
		return 0
	}
	return reported(*c)
}

// measure adds what one successful request read and wrote.
func measure(op *Op, params, result any) {
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		p, _ := params.(*dynamodb.GetItemInput)
		if r.Item != nil {
			op.ItemsRead++
			if store.IndexPartition(partitionOf(r.Item)) {
				op.IndexItemsRead++
			}
		}
		op.RCU += readUnits(store.ItemSize(r.Item), p != nil && aws.ToBool(p.ConsistentRead))
		op.Reported += reportedPtr(r.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		p, _ := params.(*dynamodb.QueryInput)
		op.pageRead(r.ScannedCount, r.Items, p != nil && aws.ToBool(p.ConsistentRead), r.ConsumedCapacity)
		if p != nil && store.IndexPartition(queryPartition(p)) {
			op.IndexItemsRead += float64(r.ScannedCount)
		}
	case *dynamodb.ScanOutput:
		p, _ := params.(*dynamodb.ScanInput)
		op.pageRead(r.ScannedCount, r.Items, p != nil && aws.ToBool(p.ConsistentRead), r.ConsumedCapacity)
	case *dynamodb.BatchGetItemOutput:
		p, _ := params.(*dynamodb.BatchGetItemInput)
		for table, items := range r.Responses {
			consistent := false
			if p != nil {
				consistent = aws.ToBool(p.RequestItems[table].ConsistentRead)
			}
			for _, it := range items {
				op.ItemsRead++
				if store.IndexPartition(partitionOf(it)) {
					op.IndexItemsRead++
				}
				op.RCU += readUnits(store.ItemSize(it), consistent)
			}
		}
		op.Reported += reported(r.ConsumedCapacity...)
	case *dynamodb.PutItemOutput:
		if p, ok := params.(*dynamodb.PutItemInput); ok {
			op.ItemsWritten++
			op.WCU += writeUnits(store.ItemSize(p.Item))
		}
		op.Reported += reportedPtr(r.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		op.ItemsWritten++
		op.WCU++ // the new size is not known here; most items are < 1 KB
		op.Reported += reportedPtr(r.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		op.ItemsWritten++
		op.WCU++
		op.Reported += reportedPtr(r.ConsumedCapacity)
	case *dynamodb.BatchWriteItemOutput:
		if p, ok := params.(*dynamodb.BatchWriteItemInput); ok {
			for _, reqs := range p.RequestItems {
				for _, w := range reqs {
					op.ItemsWritten++
					if w.PutRequest != nil {
						size := writeUnits(store.ItemSize(w.PutRequest.Item))
						op.WCU += size
						full, narrow := indexCopies(w.PutRequest.Item)
						op.IndexWCU += size*float64(full) + float64(narrow)
					} else {
						op.WCU++
					}
				}
			}
		}
		op.Reported += reported(r.ConsumedCapacity...)
	case *dynamodb.TransactWriteItemsOutput:
		if p, ok := params.(*dynamodb.TransactWriteItemsInput); ok {
			for _, ti := range p.TransactItems {
				op.ItemsWritten++
				size := 0
				if ti.Put != nil {
					size = store.ItemSize(ti.Put.Item)
					// An index copy is written outside the transaction:
					// one charge, not two.
					full, narrow := indexCopies(ti.Put.Item)
					op.IndexWCU += writeUnits(size)*float64(full) + float64(narrow)
				}
				// Transactions cost two units per 1 KB of each item.
				op.WCU += 2 * writeUnits(size)
			}
		}
		op.Reported += reported(r.ConsumedCapacity...)
	}
}

// partitionOf is an item's partition key value ("" when it has none).
func partitionOf(item map[string]types.AttributeValue) string {
	if v, ok := item["pk"].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// queryPartition is the partition key value a Query reads: its equality
// key condition on a partition key attribute (pk, g1pk …), in either of
// the SDK's two forms.
func queryPartition(p *dynamodb.QueryInput) string {
	for name, c := range p.KeyConditions {
		if c.ComparisonOperator == types.ComparisonOperatorEq && strings.HasSuffix(name, "pk") && len(c.AttributeValueList) == 1 {
			if v, ok := c.AttributeValueList[0].(*types.AttributeValueMemberS); ok {
				return v.Value
			}
		}
	}
	expr := aws.ToString(p.KeyConditionExpression)
	for _, clause := range strings.Split(expr, " AND ") {
		name, value, ok := strings.Cut(clause, "=")
		if !ok {
			continue
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if n, ok := p.ExpressionAttributeNames[name]; ok {
			name = n
		}
		if strings.HasSuffix(name, "pk") {
			if v, ok := p.ExpressionAttributeValues[value].(*types.AttributeValueMemberS); ok {
				return v.Value
			}
		}
	}
	return ""
}

// indexCopies counts the indexes an item is in: the generic index key
// pairs (g1pk/g1sk … of the main table, h1pk/h1sk of history) it has.
func indexCopies(item map[string]types.AttributeValue) (full, narrow int) {
	for k := range item {
		if pk, ok := strings.CutSuffix(k, "pk"); ok && len(pk) >= 2 && (pk[0] == 'g' || pk[0] == 'h') {
			if _, err := strconv.Atoi(pk[1:]); err == nil {
				if _, ok := item[pk+"sk"]; ok {
					if narrowKeys[k] {
						narrow++
					} else {
						full++
					}
				}
			}
		}
	}
	return full, narrow
}

// narrowKeys are the partition key attributes of the indexes that do not
// project every attribute.
var narrowKeys = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range store.Tables() {
		for _, ix := range t.Indexes {
			if ix.Projection != store.ProjectAll {
				m[ix.PartitionKey.Name] = true
			}
		}
	}
	return m
}()

// pageRead adds a page of a Query or Scan: scanned items read, charged
// for the items returned, their sizes summed, then rounded.
func (op *Op) pageRead(scanned int32, items []map[string]types.AttributeValue, consistent bool, cc *types.ConsumedCapacity) {
	op.ItemsRead += float64(scanned)
	size := 0
	for _, it := range items {
		size += store.ItemSize(it)
	}
	op.RCU += readUnits(size, consistent)
	op.Reported += reportedPtr(cc)
}

// readUnits is DynamoDB's charge for reading size bytes: one unit per 4 KB
// (rounded up, at least one), half for an eventually consistent read.
func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// writeUnits is one unit per 1 KB written (rounded up, at least one).
func writeUnits(size int) float64 {
	return math.Max(1, math.Ceil(float64(size)/1024))
}

// Total sums the stats of one service ("" for all).
func (s Stats) Total(service string) Op {
	var t Op
	for k, op := range s {
		if service != "" && !strings.HasPrefix(k, service+".") {
			continue
		}
		t.add(op)
	}
	return t
}

// Scale divides every figure by n (stats of n runs → per run).
func (s Stats) Scale(n int) Stats {
	out := Stats{}
	if n <= 0 {
		n = 1
	}
	for k, op := range s {
		c := *op
		for _, x := range c.figures() {
			*x /= float64(n)
		}
		out[k] = &c
	}
	return out
}

// String lists the requests as "Query×1 BatchGetItem×1", service prefix
// dropped, in name order.
func (s Stats) String() string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		name := k
		if i := strings.IndexByte(k, '.'); i >= 0 && strings.HasPrefix(k, "DynamoDB.") {
			name = k[i+1:]
		}
		fmt.Fprintf(&b, "%s×%s", name, strconv.FormatFloat(math.Round(s[k].Calls*100)/100, 'f', -1, 64))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

// Add adds the figures of o to s.
func (s Stats) Add(o Stats) {
	for k, op := range o {
		t := s[k]
		if t == nil {
			t = &Op{}
			s[k] = t
		}
		t.add(op)
	}
}

// figures are every figure of op, for the sums and scalings.
func (op *Op) figures() []*float64 {
	return []*float64{&op.Calls, &op.ItemsRead, &op.IndexItemsRead, &op.ItemsWritten, &op.RCU, &op.WCU, &op.IndexWCU, &op.Reported, &op.Rounds}
}

// add adds every figure of o to op.
func (op *Op) add(o *Op) {
	mine, theirs := op.figures(), o.figures()
	for i, x := range mine {
		*x += *theirs[i]
	}
}
