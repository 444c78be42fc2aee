package streams_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/redress-grm/redress/infra/local/streams"
)

// fakeStream is a stream whose shard "parent" was closed (split) into
// "child", as DynamoDB does every few hours. moto never closes shards, so
// this path is tested against a fake.
type fakeStream struct {
	mu      sync.Mutex
	records map[string][]types.Record // by shard
}

func rec(seq, pk string) types.Record {
	return types.Record{
		EventID:   aws.String("e" + seq),
		EventName: types.OperationTypeInsert,
		Dynamodb: &types.StreamRecord{
			SequenceNumber: aws.String(seq),
			Keys:           map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}},
		},
	}
}

func (f *fakeStream) ListStreams(context.Context, *dynamodbstreams.ListStreamsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error) {
	return &dynamodbstreams.ListStreamsOutput{Streams: []types.Stream{{StreamArn: aws.String("arn:fake/stream/1")}}}, nil
}

func (f *fakeStream) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	// The child is listed first: the poller must still wait for the parent.
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &types.StreamDescription{Shards: []types.Shard{
		{ShardId: aws.String("child"), ParentShardId: aws.String("parent")},
		{ShardId: aws.String("parent")},
	}}}, nil
}

func (f *fakeStream) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(aws.ToString(in.ShardId) + "|0")}, nil
}

// GetRecords returns one record per call; the parent's last page has no
// next iterator (closed), the child stays open.
func (f *fakeStream) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	shard, pos, _ := strings.Cut(aws.ToString(in.ShardIterator), "|")
	var i int
	fmt.Sscan(pos, &i)
	recs := f.records[shard]
	out := &dynamodbstreams.GetRecordsOutput{}
	if i < len(recs) {
		out.Records = recs[i : i+1]
		i++
	}
	if shard == "parent" && i >= len(recs) {
		return out, nil // closed
	}
	out.NextShardIterator = aws.String(fmt.Sprintf("%s|%d", shard, i))
	return out, nil
}

// Ensure a child shard is read only after its parent is finished, so
// records of one key stay in order across a shard split.
func TestPoller_ShardRollover(t *testing.T) {
	api := &fakeStream{records: map[string][]types.Record{
		"parent": {rec("1", "a"), rec("2", "b")},
		"child":  {rec("3", "c")},
	}}
	r := newRecorder(func(int, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, nil
	})
	p := streams.NewPoller(api, "t", r, streams.Options{Function: "test", PollInterval: 5 * time.Millisecond, DLQPath: t.TempDir() + "/dlq"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		p.Run(ctx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()
	r.waitFor(t, "three records", func(b [][]events.DynamoDBEventRecord) bool { return len(b) == 3 })
	if got, want := fmt.Sprint(r.seqs()), "[[a] [b] [c]]"; got != want {
		t.Fatalf("batches=%s, want %s", got, want)
	}
	if got := r.batches[2][0].EventSourceArn; got != "arn:fake/stream/1" {
		t.Fatalf("eventSourceARN=%q", got)
	}
}
