package dynamo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The local stack has no DynamoDB TTL and no streams (dynalite implements neither), so the
// runner emulates both with Sweep and RemoveRecord: records shaped exactly like those DynamoDB
// Streams hands Lambda, so the expire function runs the same code locally as in AWS.

// RecordOptions describe a stream record's surroundings.
type RecordOptions struct {
	Table          string
	Region         string
	SequenceNumber string
	At             time.Time
	// ByTTL marks a deletion by DynamoDB's TTL service, which records it with the identity
	// {type: Service, principalId: dynamodb.amazonaws.com}; a DeleteItem call has none.
	ByTTL bool
}

// RemoveRecord returns the REMOVE record of a table whose stream view is OLD_IMAGE, for the
// deleted item old. It builds the record as DynamoDB Streams JSON and decodes it with
// aws-lambda-go, as Lambda does.
func RemoveRecord(old map[string]types.AttributeValue, o RecordOptions) (events.DynamoDBEventRecord, error) {
	image, err := streamJSON(old)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	id, ok := old["id"]
	if !ok {
		return events.DynamoDBEventRecord{}, fmt.Errorf("dynamo: item without an id")
	}
	key, _ := streamValue(id)
	// SizeBytes approximates DynamoDB's item size by the image's JSON: names plus values.
	size, err := json.Marshal(image)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	var eventID [16]byte
	rand.Read(eventID[:])
	rec := map[string]any{
		"eventID":      hex.EncodeToString(eventID[:]),
		"eventName":    "REMOVE",
		"eventVersion": "1.1",
		"eventSource":  "aws:dynamodb",
		"awsRegion":    o.Region,
		"dynamodb": map[string]any{
			"ApproximateCreationDateTime": o.At.Unix(),
			"Keys":                        map[string]any{"id": key},
			"OldImage":                    image,
			"SequenceNumber":              o.SequenceNumber,
			"SizeBytes":                   len(size),
			"StreamViewType":              "OLD_IMAGE",
		},
		"eventSourceARN": fmt.Sprintf("arn:aws:dynamodb:%s:000000000000:table/%s/stream/2026-01-01T00:00:00.000", o.Region, o.Table),
	}
	if o.ByTTL {
		rec["userIdentity"] = map[string]any{"type": "Service", "principalId": "dynamodb.amazonaws.com"}
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return events.DynamoDBEventRecord{}, err
	}
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal(raw, &r); err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("dynamo: decode emulated record: %w", err)
	}
	return r, nil
}

// streamJSON renders an item in the attribute-value JSON of DynamoDB Streams ({"S": "…"}, …).
func streamJSON(item map[string]types.AttributeValue) (map[string]any, error) {
	out := make(map[string]any, len(item))
	for k, v := range item {
		j, err := streamValue(v)
		if err != nil {
			return nil, fmt.Errorf("dynamo: attribute %s: %w", k, err)
		}
		out[k] = j
	}
	return out, nil
}

func streamValue(v types.AttributeValue) (any, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": v.Value}, nil
	case *types.AttributeValueMemberN:
		return map[string]any{"N": v.Value}, nil
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": v.Value}, nil
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}, nil
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Value)}, nil
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": v.Value}, nil
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": v.Value}, nil
	case *types.AttributeValueMemberM:
		m, err := streamJSON(v.Value)
		return map[string]any{"M": m}, err
	case *types.AttributeValueMemberL:
		l := make([]any, 0, len(v.Value))
		for _, e := range v.Value {
			j, err := streamValue(e)
			if err != nil {
				return nil, err
			}
			l = append(l, j)
		}
		return map[string]any{"L": l}, nil
	}
	return nil, fmt.Errorf("unsupported attribute type %T", v)
}

// Sweep deletes the items whose ttl is at or before now, as DynamoDB's TTL does, and returns
// their old images. Each delete is conditional on the ttl the scan saw, so a reader who slid the
// expiry in between wins and the item stays.
func (s *Store) Sweep(ctx context.Context, now time.Time) ([]map[string]types.AttributeValue, error) {
	var removed []map[string]types.AttributeValue
	var start map[string]types.AttributeValue
	for {
		out, err := s.API.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 &s.Table,
			FilterExpression:          aws.String("#ttl <= :now"),
			ProjectionExpression:      aws.String("id, #ttl"),
			ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": epoch(now)},
			ExclusiveStartKey:         start,
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return removed, fmt.Errorf("dynamo: sweep scan: %w", err)
		}
		for _, it := range out.Items {
			del, err := s.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName:                 &s.Table,
				Key:                       map[string]types.AttributeValue{"id": it["id"]},
				ConditionExpression:       aws.String("#ttl = :seen"),
				ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":seen": it["ttl"]},
				ReturnValues:              types.ReturnValueAllOld,
			})
			if isConditionFailed(err) {
				continue // slid or deleted meanwhile
			}
			if err != nil {
				return removed, fmt.Errorf("dynamo: sweep delete: %w", err)
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

// SequenceNumbers hands out increasing stream sequence numbers, 21 digits like DynamoDB's. It is
// safe for concurrent use.
type SequenceNumbers struct{ n atomic.Uint64 }

// Next returns the next sequence number.
func (s *SequenceNumbers) Next() string {
	return fmt.Sprintf("%021s", strconv.FormatUint(s.n.Add(1), 10))
}
