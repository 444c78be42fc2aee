// Package streams emulates Lambda's event-source mapping for DynamoDB
// Streams on a developer machine: it reads a table's stream through the
// DynamoDB Streams API (moto locally), converts the records into the
// events.DynamoDBEvent that Lambda delivers, and invokes the consumer
// function with Lambda's delivery rules: per-shard order, one batch in
// flight per shard, partial batch responses (ReportBatchItemFailures),
// bounded retries and an on-failure destination, which is a JSON-lines file
// here instead of an SQS queue.
package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// API is the part of the DynamoDB Streams API the poller uses.
type API interface {
	ListStreams(context.Context, *dynamodbstreams.ListStreamsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error)
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Invoker runs the consumer function with a JSON events.DynamoDBEvent and
// returns its JSON response (an events.DynamoDBEventResponse, or nothing).
// An error means the invocation failed as a whole (function error, crash,
// timeout), which makes the whole batch be retried.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Options configure a Poller. Zero values select the defaults.
type Options struct {
	// Function names the consumer in logs and in the default DLQ path.
	Function string
	// BatchSize is the most records per invocation. Default 100.
	BatchSize int
	// PollInterval is the pause between reads of an idle shard and between
	// retries of a failed batch. Default 200 ms.
	PollInterval time.Duration
	// MaxRetries is how often a failing batch is retried before its failed
	// records go to the DLQ. Default 3; negative means no retries.
	MaxRetries int
	// DLQPath is the JSON-lines file failed records are appended to.
	// Default .cache/local/dlq-<Function>.jsonl.
	DLQPath string
	// Logger receives delivery problems. Default: discarded.
	Logger *slog.Logger
}

// Poller delivers one table's stream to one function.
type Poller struct {
	api   API
	table string
	fn    Invoker
	o     Options
	log   *slog.Logger
	dlqMu sync.Mutex
}

// NewPoller returns a poller for the stream of table. Call Run to start it.
func NewPoller(api API, table string, fn Invoker, o Options) *Poller {
	if o.BatchSize <= 0 {
		o.BatchSize = 100
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	} else if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.DLQPath == "" {
		o.DLQPath = filepath.Join(".cache", "local", "dlq-"+o.Function+".jsonl")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("function", o.Function, "table", table)
	return &Poller{api: api, table: table, fn: fn, o: o, log: log}
}

// DLQPath returns the file that receives records that could not be delivered.
func (p *Poller) DLQPath() string { return p.o.DLQPath }

// Run delivers the stream from its oldest record (TRIM_HORIZON, like the
// CDK stack's mapping) until ctx is cancelled, then waits for the batches
// in flight and returns nil. It waits for the table's stream to appear, so
// it may start before the table exists.
func (p *Poller) Run(ctx context.Context) error {
	arn, err := p.streamARN(ctx)
	if err != nil {
		return nil // cancelled while waiting
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		started = map[string]bool{}
		closed  = map[string]bool{}
	)
	defer wg.Wait()
	// Shards are discovered again from time to time: DynamoDB closes a shard
	// after about four hours and opens a child in its place, and a child must
	// not be read before its parent is finished, to keep per-key order.
	discoverEvery := 5 * p.o.PollInterval
	for {
		shards, err := p.shards(ctx, arn)
		if err != nil && ctx.Err() == nil {
			p.log.Warn("describe stream failed", "stream", arn, "err", err)
		}
		known := map[string]bool{}
		for _, s := range shards {
			known[aws.ToString(s.ShardId)] = true
		}
		mu.Lock()
		for _, s := range shards {
			id, parent := aws.ToString(s.ShardId), aws.ToString(s.ParentShardId)
			if started[id] || (parent != "" && known[parent] && !closed[parent]) {
				continue
			}
			started[id] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				if p.consumeShard(ctx, arn, id) {
					mu.Lock()
					closed[id] = true
					mu.Unlock()
				}
			}()
		}
		mu.Unlock()
		if !sleep(ctx, discoverEvery) {
			return nil
		}
	}
}

func (p *Poller) streamARN(ctx context.Context) (string, error) {
	for {
		out, err := p.api.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(p.table)})
		if err == nil && len(out.Streams) > 0 {
			// The newest stream is the table's current one; older ones belong
			// to a deleted table of the same name.
			return aws.ToString(out.Streams[len(out.Streams)-1].StreamArn), nil
		}
		if err != nil && ctx.Err() == nil {
			p.log.Debug("list streams failed", "err", err)
		}
		if !sleep(ctx, p.o.PollInterval) {
			return "", ctx.Err()
		}
	}
}

func (p *Poller) shards(ctx context.Context, arn string) ([]types.Shard, error) {
	var shards []types.Shard
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)}
	for {
		out, err := p.api.DescribeStream(ctx, in)
		if err != nil {
			return shards, fmt.Errorf("streams: describe %s: %w", arn, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		last := out.StreamDescription.LastEvaluatedShardId
		if last == nil {
			return shards, nil
		}
		in.ExclusiveStartShardId = last
	}
}

// consumeShard delivers one shard until it is closed (returns true) or ctx
// is cancelled (returns false).
func (p *Poller) consumeShard(ctx context.Context, arn, shard string) bool {
	log := p.log.With("shard", shard)
	lastSeq := ""
	iter := ""
	for ctx.Err() == nil {
		if iter == "" {
			in := &dynamodbstreams.GetShardIteratorInput{
				StreamArn:         aws.String(arn),
				ShardId:           aws.String(shard),
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			}
			if lastSeq != "" {
				in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
				in.SequenceNumber = aws.String(lastSeq)
			}
			out, err := p.api.GetShardIterator(ctx, in)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("get shard iterator failed", "err", err)
				}
				sleep(ctx, p.o.PollInterval)
				continue
			}
			iter = aws.ToString(out.ShardIterator)
		}
		out, err := p.api.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{
			ShardIterator: aws.String(iter),
			Limit:         aws.Int32(int32(p.o.BatchSize)),
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var expired *types.ExpiredIteratorException
			var trimmed *types.TrimmedDataAccessException
			switch {
			case errors.As(err, &expired):
				iter = "" // continue after lastSeq
			case errors.As(err, &trimmed):
				// The records after lastSeq are gone (older than 24 h in AWS);
				// carry on with the oldest that is left, as Lambda does.
				iter, lastSeq = "", ""
			default:
				log.Warn("get records failed", "err", err)
			}
			sleep(ctx, p.o.PollInterval)
			continue
		}
		if len(out.Records) > 0 {
			if !p.deliver(ctx, log, arn, shard, out.Records) {
				break
			}
			lastSeq = aws.ToString(out.Records[len(out.Records)-1].Dynamodb.SequenceNumber)
		}
		if out.NextShardIterator == nil {
			log.Debug("shard closed")
			return true
		}
		iter = aws.ToString(out.NextShardIterator)
		if len(out.Records) == 0 {
			sleep(ctx, p.o.PollInterval)
		}
	}
	return false
}

// deliver invokes the function with recs until every record succeeded or
// went to the DLQ. It returns false if ctx was cancelled first, in which
// case the undelivered records are not marked done.
func (p *Poller) deliver(ctx context.Context, log *slog.Logger, arn, shard string, recs []types.Record) bool {
	batch := make([]events.DynamoDBEventRecord, 0, len(recs))
	for _, r := range recs {
		c, err := ConvertRecord(r, arn)
		if err != nil {
			// Cannot happen with records DynamoDB produces; never block the
			// shard on it.
			log.Error("cannot convert record", "err", err)
			p.deadLetter(log, shard, []events.DynamoDBEventRecord{{EventID: aws.ToString(r.EventID), EventSourceArn: arn}}, 0, err.Error())
			continue
		}
		batch = append(batch, c)
	}
	return p.deliverBatch(ctx, log, shard, batch)
}

// deliverBatch delivers batch with bounded retries. When they run out it
// bisects, as the AWS mapping does with BisectBatchOnFunctionError: each
// half is retried on its own, so a poison record ends up alone in the DLQ
// and the good records around it are still delivered, in order.
func (p *Poller) deliverBatch(ctx context.Context, log *slog.Logger, shard string, batch []events.DynamoDBEventRecord) bool {
	for attempt := 1; len(batch) > 0; attempt++ {
		from, reason := p.invoke(ctx, batch)
		if ctx.Err() != nil {
			return false
		}
		if from < 0 {
			return true
		}
		batch = batch[from:]
		if attempt > p.o.MaxRetries {
			if len(batch) > 1 {
				mid := len(batch) / 2
				log.Warn("batch still failing, bisecting", "attempts", attempt, "records", len(batch),
					"first_seq", batch[0].Change.SequenceNumber, "err", reason)
				return p.deliverBatch(ctx, log, shard, batch[:mid]) && p.deliverBatch(ctx, log, shard, batch[mid:])
			}
			log.Error("record failed, sent to the DLQ",
				"attempts", attempt, "seq", batch[0].Change.SequenceNumber, "dlq", p.o.DLQPath, "err", reason)
			p.deadLetter(log, shard, batch, attempt, reason)
			return true
		}
		log.Warn("batch failed, retrying", "attempt", attempt, "records", len(batch),
			"first_seq", batch[0].Change.SequenceNumber, "err", reason)
		if !sleep(ctx, p.o.PollInterval) {
			return false
		}
	}
	return true
}

// invoke runs one batch and returns the index of the first record that
// must be retried (-1 when all succeeded) and why. The rules are Lambda's
// for ReportBatchItemFailures: a function error, an unparseable response or
// an item identifier that is empty or not in the batch fail the whole
// batch; otherwise the retry starts at the lowest failed sequence number.
func (p *Poller) invoke(ctx context.Context, batch []events.DynamoDBEventRecord) (int, string) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		return 0, fmt.Sprintf("encode event: %v", err)
	}
	out, err := p.fn.Invoke(ctx, payload)
	if err != nil {
		return 0, err.Error()
	}
	var resp events.DynamoDBEventResponse
	if len(out) > 0 {
		if err := json.Unmarshal(out, &resp); err != nil {
			return 0, fmt.Sprintf("invalid function response %q: %v", truncate(out, 200), err)
		}
	}
	if len(resp.BatchItemFailures) == 0 {
		return -1, ""
	}
	index := make(map[string]int, len(batch))
	for i, r := range batch {
		index[r.Change.SequenceNumber] = i
	}
	first := len(batch)
	for _, f := range resp.BatchItemFailures {
		i, ok := index[f.ItemIdentifier]
		if !ok {
			return 0, fmt.Sprintf("batch item failure with unknown itemIdentifier %q", f.ItemIdentifier)
		}
		first = min(first, i)
	}
	return first, fmt.Sprintf("function reported %d failed item(s), first %s", len(resp.BatchItemFailures), batch[first].Change.SequenceNumber)
}

// deadLetter is the local on-failure destination: one JSON line per record,
// with enough context to find and replay it.
type deadLetter struct {
	Time     time.Time                  `json:"time"`
	Function string                     `json:"function"`
	Table    string                     `json:"table"`
	ShardID  string                     `json:"shardId"`
	Attempts int                        `json:"attempts"`
	Error    string                     `json:"error"`
	Record   events.DynamoDBEventRecord `json:"record"`
}

func (p *Poller) deadLetter(log *slog.Logger, shard string, recs []events.DynamoDBEventRecord, attempts int, reason string) {
	p.dlqMu.Lock()
	defer p.dlqMu.Unlock()
	if err := os.MkdirAll(filepath.Dir(p.o.DLQPath), 0o755); err != nil {
		log.Error("cannot write DLQ", "err", err)
		return
	}
	f, err := os.OpenFile(p.o.DLQPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		log.Error("cannot write DLQ", "err", err)
		return
	}
	defer f.Close()
	enc := json.NewEncoder(f)
	now := time.Now().UTC()
	for _, r := range recs {
		if err := enc.Encode(deadLetter{now, p.o.Function, p.table, shard, attempts, reason, r}); err != nil {
			log.Error("cannot write DLQ", "err", err)
			return
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
