package streams

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// ReadAll returns every record in table's stream so far, oldest first, as
// Lambda would deliver them (shard by shard, in order). Benchmarks and
// tools use it to get real stream records for a consumer without running
// a poller.
func ReadAll(ctx context.Context, api API, table string) ([]events.DynamoDBEventRecord, error) {
	ls, err := api.ListStreams(ctx, &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)})
	if err != nil {
		return nil, fmt.Errorf("streams: list streams of %s: %w", table, err)
	}
	if len(ls.Streams) == 0 {
		return nil, fmt.Errorf("streams: table %s has no stream", table)
	}
	arn := aws.ToString(ls.Streams[len(ls.Streams)-1].StreamArn)
	p := &Poller{api: api}
	shards, err := p.shards(ctx, arn)
	if err != nil {
		return nil, err
	}
	var out []events.DynamoDBEventRecord
	for _, sh := range shards {
		it, err := api.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(arn), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		})
		if err != nil {
			return nil, fmt.Errorf("streams: shard iterator: %w", err)
		}
		iter := it.ShardIterator
		for iter != nil {
			recs, err := api.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			if err != nil {
				return nil, fmt.Errorf("streams: get records: %w", err)
			}
			for _, r := range recs.Records {
				ev, err := ConvertRecord(r, arn)
				if err != nil {
					return nil, err
				}
				out = append(out, ev)
			}
			// An open shard always has a next iterator: stop when it gives
			// nothing more.
			if len(recs.Records) == 0 {
				break
			}
			iter = recs.NextShardIterator
		}
	}
	return out, nil
}
