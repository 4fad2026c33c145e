package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Limiter counts what each client does per minute in a table that every instance of a function
// shares, so a limit holds however many warm instances serve a client (an in-memory limiter is
// per instance). It implements httpapi.Limiter. An item is one client's minute: its key is a
// hash of the client (no address is stored) and the minute, and its ttl removes it soon after.
type Limiter struct {
	API       API
	Table     string
	PerMinute int
	Now       func() time.Time
}

// NewLimiter returns a limiter of perMinute requests per client and minute on table.
func NewLimiter(api API, table string, perMinute int) *Limiter {
	return &Limiter{API: api, Table: table, PerMinute: perMinute, Now: time.Now}
}

// Allow counts a request of client in the current minute, unless the minute's count has reached
// PerMinute: then it writes nothing and reports the time to the next minute.
func (l *Limiter) Allow(ctx context.Context, client string) (bool, time.Duration, error) {
	now := l.Now().UTC()
	window := now.Truncate(time.Minute)
	sum := sha256.Sum256([]byte(client))
	key := hex.EncodeToString(sum[:16]) + "@" + strconv.FormatInt(window.Unix(), 10)
	_, err := l.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &l.Table,
		Key:                      map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:         aws.String("ADD #hits :one SET #ttl = :ttl"),
		ConditionExpression:      aws.String("attribute_not_exists(#hits) OR #hits < :limit"),
		ExpressionAttributeNames: map[string]string{"#hits": "hits", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(l.PerMinute)},
			":ttl":   epoch(window.Add(2 * time.Minute)),
		},
	})
	switch {
	case isConditionFailed(err):
		return false, window.Add(time.Minute).Sub(now), nil
	case err != nil:
		return true, 0, fmt.Errorf("dynamo: count a request: %w", err)
	}
	return true, 0, nil
}
