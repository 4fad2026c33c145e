package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/track"
)

// Sets live in the tracks table, beside the tracks, for one reason: a set's ID must never be a
// track's, and one table's conditional puts (attribute_not_exists(id), which track creation uses
// too) give that for free in both directions. Two kinds of item join the tracks there, each with
// a kind attribute that no track has:
//
//   - a set: {id, kind: "set", title, tracks (a list, in play order), setTokenHash, createdAt,
//     version}. Its token hash has another name than a track's deleteTokenHash and it has no
//     status, so no write meant for a track (delete by token, replace, touch) can match it;
//   - the members index of a track: {id: "<trackID>.sets", kind: "members", sets (a string
//     set)}: the sets that list the track, found from the track's ID alone when its removal
//     comes down the stream, without a scan or an index. Its key is never a valid track ID.
//
// Neither has a ttl (a set goes with its last track, an entry with its track) nor any key of
// the sparse indexes, and Store.Get answers ErrNotFound for both. Their REMOVE records on the
// stream are told apart by IsTrack.
const (
	kindAttr    = "kind"
	kindSet     = "set"
	kindMembers = "members"
	// membersSuffix makes a track's members-index key; '.' is outside the ID alphabet.
	membersSuffix = ".sets"
)

// IsTrack reports whether a stream record's image is a track's (and not a set's or a members
// index entry's, which carry a kind).
func IsTrack(image map[string]events.DynamoDBAttributeValue) bool {
	_, other := image[kindAttr]
	return !other
}

// IsTrackItem reports whether an item of the tracks table is a track's.
func IsTrackItem(item map[string]types.AttributeValue) bool {
	_, other := item[kindAttr]
	return !other
}

// SetsAPI is the part of *dynamodb.Client the sets use.
type SetsAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Sets implements track.SetStore in the tracks table.
type Sets struct {
	API   SetsAPI
	Table string
}

var _ track.SetStore = (*Sets)(nil)

type setItem struct {
	ID        string   `dynamodbav:"id"`
	Kind      string   `dynamodbav:"kind"`
	Title     string   `dynamodbav:"title"`
	Tracks    []string `dynamodbav:"tracks"`
	TokenHash string   `dynamodbav:"setTokenHash"`
	CreatedAt int64    `dynamodbav:"createdAt"`
	Version   int64    `dynamodbav:"version"`
}

func marshalSet(s *track.Set, version int64) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(setItem{
		ID: s.ID, Kind: kindSet, Title: s.Title, Tracks: s.Tracks, TokenHash: s.TokenHash,
		CreatedAt: unix(s.CreatedAt), Version: version,
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: marshal set %s: %w", s.ID, err)
	}
	return av, nil
}

// CreateSet implements track.SetStore.
func (d *Sets) CreateSet(ctx context.Context, s *track.Set) error {
	av, err := marshalSet(s, 0)
	if err != nil {
		return err
	}
	_, err = d.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(id)"),
	})
	if isConditionFailed(err) {
		return track.ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("dynamo: put set %s: %w", s.ID, err)
	}
	s.Version = 0
	return nil
}

// GetSet implements track.SetStore.
func (d *Sets) GetSet(ctx context.Context, id string) (*track.Set, error) {
	out, err := d.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.Table, Key: key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("dynamo: get set %s: %w", id, err)
	}
	var it setItem
	if len(out.Item) == 0 {
		return nil, track.ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("dynamo: unmarshal set %s: %w", id, err)
	}
	if it.Kind != kindSet {
		return nil, track.ErrNotFound // a track's ID
	}
	return &track.Set{
		ID: it.ID, Title: it.Title, Tracks: it.Tracks, TokenHash: it.TokenHash,
		CreatedAt: fromUnix(it.CreatedAt), Version: it.Version,
	}, nil
}

// ReplaceSet implements track.SetStore.
func (d *Sets) ReplaceSet(ctx context.Context, old, next *track.Set) error {
	av, err := marshalSet(next, old.Version+1)
	if err != nil {
		return err
	}
	_, err = d.API.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &d.Table, Item: av,
		ConditionExpression:       aws.String("#kind = :set AND #version = :version"),
		ExpressionAttributeNames:  map[string]string{"#kind": kindAttr, "#version": "version"},
		ExpressionAttributeValues: setVersion(old.Version),
	})
	if isConditionFailed(err) {
		return track.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: replace set %s: %w", next.ID, err)
	}
	next.Version = old.Version + 1
	return nil
}

// DeleteSet implements track.SetStore.
func (d *Sets) DeleteSet(ctx context.Context, s *track.Set) error {
	_, err := d.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &d.Table, Key: key(s.ID),
		ConditionExpression:       aws.String("#kind = :set AND #version = :version"),
		ExpressionAttributeNames:  map[string]string{"#kind": kindAttr, "#version": "version"},
		ExpressionAttributeValues: setVersion(s.Version),
	})
	if isConditionFailed(err) {
		return track.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: delete set %s: %w", s.ID, err)
	}
	return nil
}

func setVersion(v int64) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		":set":     &types.AttributeValueMemberS{Value: kindSet},
		":version": &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)},
	}
}

func membersKey(trackID string) map[string]types.AttributeValue {
	return key(trackID + membersSuffix)
}

// Join implements track.SetStore: one update per track (ADD to a string set is idempotent),
// several at once.
func (d *Sets) Join(ctx context.Context, set string, tracks []string) error {
	return each(ctx, tracks, func(ctx context.Context, id string) error {
		_, err := d.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &d.Table, Key: membersKey(id),
			UpdateExpression:         aws.String("ADD #sets :set SET #kind = :members"),
			ExpressionAttributeNames: map[string]string{"#sets": "sets", "#kind": kindAttr},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":set":     &types.AttributeValueMemberSS{Value: []string{set}},
				":members": &types.AttributeValueMemberS{Value: kindMembers},
			},
		})
		if err != nil {
			return fmt.Errorf("dynamo: add set %s to the members of %s: %w", set, id, err)
		}
		return nil
	})
}

// Leave implements track.SetStore. An entry that does not exist is left so (an update would
// create it empty).
func (d *Sets) Leave(ctx context.Context, set string, tracks []string) error {
	return each(ctx, tracks, func(ctx context.Context, id string) error {
		_, err := d.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &d.Table, Key: membersKey(id),
			UpdateExpression:          aws.String("DELETE #sets :set"),
			ConditionExpression:       aws.String("attribute_exists(id)"),
			ExpressionAttributeNames:  map[string]string{"#sets": "sets"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":set": &types.AttributeValueMemberSS{Value: []string{set}}},
		})
		if err != nil && !isConditionFailed(err) {
			return fmt.Errorf("dynamo: remove set %s from the members of %s: %w", set, id, err)
		}
		return nil
	})
}

// SetsOf implements track.SetStore.
func (d *Sets) SetsOf(ctx context.Context, trackID string) ([]string, error) {
	out, err := d.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: &d.Table, Key: membersKey(trackID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("dynamo: members of %s: %w", trackID, err)
	}
	var it struct {
		Sets []string `dynamodbav:"sets,stringset"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("dynamo: unmarshal members of %s: %w", trackID, err)
	}
	return it.Sets, nil
}

// Forget implements track.SetStore.
func (d *Sets) Forget(ctx context.Context, trackID string) error {
	if _, err := d.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &d.Table, Key: membersKey(trackID)}); err != nil {
		return fmt.Errorf("dynamo: forget members of %s: %w", trackID, err)
	}
	return nil
}

// batchGetMax is BatchGetItem's limit on keys per request.
const batchGetMax = 100

// Tracks implements track.SetStore with strongly consistent BatchGetItem requests of up to 100
// keys, retrying the keys DynamoDB leaves unprocessed (with backoff, as it asks).
func (d *Sets) Tracks(ctx context.Context, ids []string) (map[string]*track.Track, error) {
	found := make(map[string]*track.Track, len(ids))
	var pending []map[string]types.AttributeValue
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			pending = append(pending, key(id))
		}
	}
	for attempt := 0; len(pending) > 0; {
		n := min(len(pending), batchGetMax)
		out, err := d.API.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems: map[string]types.KeysAndAttributes{d.Table: {Keys: pending[:n], ConsistentRead: aws.Bool(true)}},
		})
		if err != nil {
			return nil, fmt.Errorf("dynamo: read %d tracks: %w", n, err)
		}
		for _, av := range out.Responses[d.Table] {
			if !IsTrackItem(av) {
				continue // a set's ID: no track
			}
			t, err := Unmarshal(av)
			if err != nil {
				return nil, err
			}
			found[t.ID] = t
		}
		pending = append(pending[n:], out.UnprocessedKeys[d.Table].Keys...)
		if len(out.UnprocessedKeys[d.Table].Keys) == 0 {
			attempt = 0
			continue
		}
		if attempt++; attempt > maxConflictTries*2 {
			return nil, fmt.Errorf("dynamo: read tracks: %d keys still unprocessed", len(pending))
		}
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// parallelWrites bounds the writes Join and Leave make at once: a set of 1,000 tracks takes
// about 60 round trips instead of 1,000.
const parallelWrites = 16

// each calls fn for every distinct id, parallelWrites at a time, and returns the first error
// (the calls already under way finish), or ctx's if it ended before every id had its call.
func each(ctx context.Context, ids []string, fn func(context.Context, string) error) error {
	run, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, parallelWrites)
		seen  = make(map[string]bool, len(ids))
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
			cancel()
		}
	}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		select {
		case sem <- struct{}{}:
		case <-run.Done():
		}
		if err := run.Err(); err != nil {
			fail(err)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(run, id); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return first
}
