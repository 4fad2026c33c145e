// Package dynamo stores tracks in a DynamoDB table keyed by id. It owns the narrow API interface
// of the SDK calls it makes and translates the SDK's errors into track's sentinels, so nothing
// above it sees an AWS type.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

// API is the part of *dynamodb.Client the store uses.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// Store implements track.Store on one table.
type Store struct {
	API   API
	Table string
	// Counters, when set, are changed in the same transaction as every write that moves a
	// track (see Counters); nil keeps no counters.
	Counters *Counters
	// Now stamps the counters' hours; time.Now when nil.
	Now func() time.Time
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// counted returns the counter updates that go with a write moving a track from old to next
// (nil: none, for a store without counters or a write that changes no counter).
func (s *Store) counted(old, next *track.Track) []types.TransactWriteItem {
	if s.Counters == nil {
		return nil
	}
	ch := stats.Transition(old, next, s.now())
	if ch.IsZero() {
		return nil
	}
	return s.Counters.updates(ch)
}

// New returns a Store on table.
func New(api API, table string) *Store { return &Store{API: api, Table: table} }

var _ track.Store = (*Store)(nil)

// Create implements track.Store: a conditional put that never overwrites.
func (s *Store) Create(ctx context.Context, t *track.Track) error {
	av, err := Marshal(t)
	if err != nil {
		return err
	}
	put := &types.Put{
		TableName:           &s.Table,
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	}
	err = s.write(ctx, put, s.counted(nil, t))
	if isConditionFailed(err) {
		return track.ErrIDTaken
	}
	if err != nil {
		return fmt.Errorf("dynamo: put %s: %w", t.ID, err)
	}
	return nil
}

// Get implements track.Store with a strongly consistent read: a track just created or moved must
// be seen by the next request whichever replica answers.
func (s *Store) Get(ctx context.Context, id string) (*track.Track, error) {
	out, err := s.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.Table,
		Key:            key(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("dynamo: get %s: %w", id, err)
	}
	if len(out.Item) == 0 || !IsTrackItem(out.Item) {
		return nil, track.ErrNotFound // none, or a set (sets.go)
	}
	return Unmarshal(out.Item)
}

// Replace implements track.Store: a put conditional on the status and the version that were
// read, in one transaction with the counters it changes. Items written before versions existed
// have none, which counts as version 0.
func (s *Store) Replace(ctx context.Context, old, next *track.Track) error {
	stored := *next
	stored.Version = old.Version + 1
	av, err := Marshal(&stored)
	if err != nil {
		return err
	}
	cond := "attribute_exists(id) AND #status = :from AND #version = :version"
	if old.Version == 0 {
		cond = "attribute_exists(id) AND #status = :from AND (attribute_not_exists(#version) OR #version = :version)"
	}
	put := &types.Put{
		TableName:                &s.Table,
		Item:                     av,
		ConditionExpression:      aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#status": "status", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":from":    &types.AttributeValueMemberS{Value: string(old.Status)},
			":version": &types.AttributeValueMemberN{Value: strconv.FormatInt(old.Version, 10)},
		},
	}
	err = s.write(ctx, put, s.counted(old, next))
	if isConditionFailed(err) {
		return track.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: replace %s: %w", next.ID, err)
	}
	next.Version = stored.Version
	return nil
}

// write puts an item, alone or, with counter updates, in a transaction with them. A failed
// condition is errConditionFailed either way.
func (s *Store) write(ctx context.Context, put *types.Put, counters []types.TransactWriteItem) error {
	if len(counters) == 0 {
		_, err := s.API.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
			ExpressionAttributeNames: put.ExpressionAttributeNames, ExpressionAttributeValues: put.ExpressionAttributeValues,
		})
		if isConditionFailed(err) {
			return errConditionFailed
		}
		return err
	}
	return transact(ctx, s.Counters.API, append([]types.TransactWriteItem{{Put: put}}, counters...))
}

// SweepIndex is the sparse global secondary index of pending and processing tracks: partition
// key sweep (the status), sort key sweepAt (epoch seconds), keys only.
const SweepIndex = "sweep"

// Due implements track.Store with a query of SweepIndex: it reads only the tracks in flight,
// however large the table.
func (s *Store) Due(ctx context.Context, status track.Status, until time.Time) ([]string, error) {
	var ids []string
	p := dynamodb.NewQueryPaginator(s.API, &dynamodb.QueryInput{
		TableName:                &s.Table,
		IndexName:                aws.String(SweepIndex),
		KeyConditionExpression:   aws.String("#sweep = :status AND #at <= :until"),
		ExpressionAttributeNames: map[string]string{"#sweep": "sweep", "#at": "sweepAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status": &types.AttributeValueMemberS{Value: string(status)},
			":until":  epoch(until),
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamo: query %s tracks: %w", status, err)
		}
		for _, it := range page.Items {
			if v, ok := it["id"].(*types.AttributeValueMemberS); ok {
				ids = append(ids, v.Value)
			}
		}
	}
	return ids, nil
}

// Touch implements track.Store.
func (s *Store) Touch(ctx context.Context, id string, from, to time.Time) error {
	return s.setTTL(ctx, "touch", id, to, "#status = :status AND #ttl = :from", track.StatusReady,
		map[string]types.AttributeValue{":from": epoch(from)})
}

// Extend implements track.Store with an update conditional on the status and the expiry: it
// never revives an item that is gone (the status test fails on a missing item) and never
// shortens a deadline.
func (s *Store) Extend(ctx context.Context, id string, to time.Time) error {
	return s.setTTL(ctx, "extend", id, to, "#status = :status AND #ttl < :to", track.StatusPending, nil)
}

// setTTL sets the item's ttl to to on cond, which may name #status, #ttl, :status (status),
// :to and values; a failed condition is track.ErrConflict. op names the write in errors.
func (s *Store) setTTL(ctx context.Context, op, id string, to time.Time, cond string, status track.Status, values map[string]types.AttributeValue) error {
	av := map[string]types.AttributeValue{
		":to":     epoch(to),
		":status": &types.AttributeValueMemberS{Value: string(status)},
	}
	maps.Copy(av, values)
	_, err := s.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       key(id),
		UpdateExpression:          aws.String("SET #ttl = :to"),
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl", "#status": "status"},
		ExpressionAttributeValues: av,
	})
	if isConditionFailed(err) {
		return track.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("dynamo: %s %s: %w", op, id, err)
	}
	return nil
}

// Delete implements track.Store. With counters, the item is read first and deleted in one
// transaction with the counters, on condition that it is still as read (else read again).
func (s *Store) Delete(ctx context.Context, id, tokenHash string) (*track.Track, error) {
	if s.Counters == nil {
		return s.deleteUncounted(ctx, id, tokenHash)
	}
	for range maxConflictTries {
		old, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if old.DeleteTokenHash != tokenHash {
			return nil, track.ErrConflict
		}
		cond := "deleteTokenHash = :h AND #version = :v"
		if old.Version == 0 {
			cond = "deleteTokenHash = :h AND (attribute_not_exists(#version) OR #version = :v)"
		}
		del := types.TransactWriteItem{Delete: &types.Delete{
			TableName:                &s.Table,
			Key:                      key(id),
			ConditionExpression:      &cond,
			ExpressionAttributeNames: map[string]string{"#version": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":h": &types.AttributeValueMemberS{Value: tokenHash},
				":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(old.Version, 10)},
			},
		}}
		switch err := transact(ctx, s.Counters.API, append([]types.TransactWriteItem{del}, s.counted(old, nil)...)); {
		case errors.Is(err, errConditionFailed):
			continue // it moved since it was read: read it again
		case err != nil:
			return nil, fmt.Errorf("dynamo: delete %s: %w", id, err)
		}
		return old, nil
	}
	return nil, fmt.Errorf("dynamo: delete %s: it kept changing", id)
}

func (s *Store) deleteUncounted(ctx context.Context, id, tokenHash string) (*track.Track, error) {
	out, err := s.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.Table,
		Key:                       key(id),
		ConditionExpression:       aws.String("attribute_exists(id) AND deleteTokenHash = :h"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":h": &types.AttributeValueMemberS{Value: tokenHash}},
		ReturnValues:              types.ReturnValueAllOld,
		// Tell "gone" from "wrong token" without a second read.
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if len(ccf.Item) > 0 {
			return nil, track.ErrConflict
		}
		// Servers that ignore ReturnValuesOnConditionCheckFailure (dynalite) leave us to look.
		if _, err := s.Get(ctx, id); err != nil {
			return nil, err
		}
		return nil, track.ErrConflict
	}
	if err != nil {
		return nil, fmt.Errorf("dynamo: delete %s: %w", id, err)
	}
	if len(out.Attributes) == 0 {
		return nil, track.ErrNotFound
	}
	return Unmarshal(out.Attributes)
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}
}

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(t.Unix())}
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf) || errors.Is(err, errConditionFailed)
}

// PublicIndex is the sparse global secondary index of ready public tracks: partition key pub
// (always publicKey), sort key pubAt (when the upload arrived, epoch seconds), all attributes
// projected.
const (
	PublicIndex = "public"
	publicKey   = "1"
)

// Public returns up to limit ready public tracks, newest first, from the one after cursor (""
// for the first page), and the cursor of the next page ("" after the last). Tracks past their
// expiry that the TTL has not removed yet are left out, so a page may hold fewer than limit.
func (s *Store) Public(ctx context.Context, limit int, cursor string, now time.Time) ([]*track.Track, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                &s.Table,
		IndexName:                aws.String(PublicIndex),
		KeyConditionExpression:   aws.String("#pub = :pub"),
		ExpressionAttributeNames: map[string]string{"#pub": "pub"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pub": &types.AttributeValueMemberS{Value: publicKey},
		},
		ScanIndexForward: aws.Bool(false),
		Limit:            aws.Int32(int32(limit)),
	}
	if cursor != "" {
		start, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.API.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("dynamo: query public tracks: %w", err)
	}
	var tracks []*track.Track
	for _, av := range out.Items {
		t, err := Unmarshal(av)
		if err != nil {
			return nil, "", err
		}
		if !t.Expired(now) {
			tracks = append(tracks, t)
		}
	}
	next := ""
	if len(out.LastEvaluatedKey) > 0 {
		next = encodeCursor(out.LastEvaluatedKey)
	}
	return tracks, next, nil
}

// CountPublic counts the live ready public tracks (NodeInfo's localPosts).
func (s *Store) CountPublic(ctx context.Context, now time.Time) (int, error) {
	n := 0
	p := dynamodb.NewQueryPaginator(s.API, &dynamodb.QueryInput{
		TableName:                &s.Table,
		IndexName:                aws.String(PublicIndex),
		KeyConditionExpression:   aws.String("#pub = :pub"),
		FilterExpression:         aws.String("#ttl > :now"),
		ExpressionAttributeNames: map[string]string{"#pub": "pub", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pub": &types.AttributeValueMemberS{Value: publicKey},
			":now": epoch(now),
		},
		Select: types.SelectCount,
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: count public tracks: %w", err)
		}
		n += int(page.Count)
	}
	return n, nil
}

// A cursor is the last evaluated key of a page of the public index (id, pub, pubAt), as opaque
// URL-safe text. A client can forge one; it can only choose where a page of public data starts.
func encodeCursor(key map[string]types.AttributeValue) string {
	id, _ := key["id"].(*types.AttributeValueMemberS)
	at, _ := key["pubAt"].(*types.AttributeValueMemberN)
	if id == nil || at == nil {
		return ""
	}
	return at.Value + "." + id.Value
}

func decodeCursor(c string) (map[string]types.AttributeValue, error) {
	at, id, ok := strings.Cut(c, ".")
	if _, err := strconv.ParseInt(at, 10, 64); !ok || err != nil || !track.ValidID(id) {
		return nil, fmt.Errorf("dynamo: malformed cursor: %w", track.ErrNotFound)
	}
	return map[string]types.AttributeValue{
		"id":    &types.AttributeValueMemberS{Value: id},
		"pub":   &types.AttributeValueMemberS{Value: publicKey},
		"pubAt": &types.AttributeValueMemberN{Value: at},
	}, nil
}
