package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/stats"
)

// FollowersAPI is the part of *dynamodb.Client the followers table uses.
type FollowersAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Followers implements federation.Followers on a table of its own, keyed by the actor's id (the
// tracks table's stream must not see followers).
type Followers struct {
	API   FollowersAPI
	Table string
	// Counters, when set, count the followers (stats.Totals.Followers) in the same transaction
	// as each follower added or removed.
	Counters *Counters
}

var _ federation.Followers = (*Followers)(nil)

type followerItem struct {
	Actor       string `dynamodbav:"actor"`
	Inbox       string `dynamodbav:"inbox"`
	SharedInbox string `dynamodbav:"sharedInbox,omitempty"`
	FollowID    string `dynamodbav:"followId,omitempty"`
	Since       int64  `dynamodbav:"since"`
}

// Put implements federation.Followers: an unconditional put, so a repeated Follow replaces.
func (f *Followers) Put(ctx context.Context, fl federation.Follower) error {
	av, err := attributevalue.MarshalMap(followerItem{
		Actor: fl.Actor, Inbox: fl.Inbox, SharedInbox: fl.SharedInbox, FollowID: fl.FollowID, Since: fl.Since.Unix(),
	})
	if err != nil {
		return fmt.Errorf("dynamo: marshal follower: %w", err)
	}
	if f.Counters != nil {
		// A new follower is counted with its put; a repeated Follow only replaces.
		put := types.TransactWriteItem{Put: &types.Put{TableName: &f.Table, Item: av, ConditionExpression: aws.String("attribute_not_exists(actor)")}}
		err := transact(ctx, f.Counters.API, append([]types.TransactWriteItem{put}, f.Counters.updates(stats.Followed(time.Now(), 1))...))
		if !errors.Is(err, errConditionFailed) {
			if err != nil {
				return fmt.Errorf("dynamo: put follower: %w", err)
			}
			return nil
		}
	}
	if _, err := f.API.PutItem(ctx, &dynamodb.PutItemInput{TableName: &f.Table, Item: av}); err != nil {
		return fmt.Errorf("dynamo: put follower: %w", err)
	}
	return nil
}

// Remove implements federation.Followers.
func (f *Followers) Remove(ctx context.Context, actor string) error {
	k := map[string]types.AttributeValue{"actor": &types.AttributeValueMemberS{Value: actor}}
	if f.Counters != nil {
		// Counted down only if it was a follower: an Undo repeated removes nothing twice.
		del := types.TransactWriteItem{Delete: &types.Delete{TableName: &f.Table, Key: k, ConditionExpression: aws.String("attribute_exists(actor)")}}
		err := transact(ctx, f.Counters.API, append([]types.TransactWriteItem{del}, f.Counters.updates(stats.Followed(time.Now(), -1))...))
		if err != nil && !errors.Is(err, errConditionFailed) {
			return fmt.Errorf("dynamo: remove follower: %w", err)
		}
		return nil
	}
	_, err := f.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.Table, Key: k})
	if err != nil {
		return fmt.Errorf("dynamo: remove follower: %w", err)
	}
	return nil
}

// List implements federation.Followers with a paginated scan: the table holds followers only,
// and a fan-out reads them all.
func (f *Followers) List(ctx context.Context, fn func(federation.Follower) error) error {
	p := dynamodb.NewScanPaginator(f.API, &dynamodb.ScanInput{TableName: &f.Table})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("dynamo: list followers: %w", err)
		}
		for _, av := range page.Items {
			var it followerItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return fmt.Errorf("dynamo: unmarshal follower: %w", err)
			}
			if err := fn(federation.Follower{
				Actor: it.Actor, Inbox: it.Inbox, SharedInbox: it.SharedInbox, FollowID: it.FollowID,
				Since: time.Unix(it.Since, 0).UTC(),
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Count implements federation.Followers.
func (f *Followers) Count(ctx context.Context) (int, error) {
	n := 0
	p := dynamodb.NewScanPaginator(f.API, &dynamodb.ScanInput{TableName: &f.Table, Select: types.SelectCount})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("dynamo: count followers: %w", err)
		}
		n += int(page.Count)
	}
	return n, nil
}
