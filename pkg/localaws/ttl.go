package localaws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTLAPI is the part of *dynamodb.Client the TTL emulation uses.
type TTLAPI interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// ExpireItems deletes the items of table whose ttl is at or before now, as DynamoDB's TTL does,
// and returns their old images. Each delete is conditional on the ttl the scan saw, so a reader
// who slid the expiry in between wins and the item stays.
func ExpireItems(ctx context.Context, api TTLAPI, table string, now time.Time) ([]map[string]types.AttributeValue, error) {
	var removed []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		out, err := api.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 &table,
			FilterExpression:          aws.String("#ttl <= :now"),
			ProjectionExpression:      aws.String("id, #ttl"),
			ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}},
			ExclusiveStartKey:         start,
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return removed, fmt.Errorf("localaws: sweep scan: %w", err)
		}
		for _, it := range out.Items {
			del, err := api.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 &table,
				Key:                       map[string]types.AttributeValue{"id": it["id"]},
				ConditionExpression:       aws.String("#ttl = :seen"),
				ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":seen": it["ttl"]},
				ReturnValues:              types.ReturnValueAllOld,
			})
			var ccf *types.ConditionalCheckFailedException
			if errors.As(err, &ccf) {
				continue // slid or deleted meanwhile
			}
			if err != nil {
				return removed, fmt.Errorf("localaws: sweep delete: %w", err)
			}
			if len(del.Attributes) > 0 {
				removed = append(removed, del.Attributes)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return removed, nil
		}
		start = out.LastEvaluatedKey
	}
}

// TTL emulates DynamoDB's TTL on a table: every Interval it deletes the expired items and hands
// their old images to Stream as the TTL service's REMOVE records (a table without a stream,
// such as the counters', has a nil Stream).
type TTL struct {
	API      TTLAPI
	Table    string
	Interval time.Duration
	Stream   *Stream
	Log      *slog.Logger
}

// Run sweeps until ctx is cancelled.
func (t *TTL) Run(ctx context.Context) {
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		removed, err := ExpireItems(ctx, t.API, t.Table, time.Now())
		if err != nil && ctx.Err() == nil {
			t.Log.Error("ttl sweep", slog.Any("error", err))
		}
		for _, item := range removed {
			if t.Stream != nil {
				t.Stream.Remove(ctx, item, true)
			}
		}
	}
}
