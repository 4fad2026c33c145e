package localaws

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/track"
)

// EnsureTracksTable creates the tracks table, with its dynamo.SweepIndex, if it does not exist, and waits until
// it is active. In AWS the template creates the table; this is for the local stack and the tests,
// and it is idempotent so that a restart keeps the data. A table made before the index existed
// is rebuilt with it, items kept (dynalite cannot add an index to a table).
func EnsureTracksTable(ctx context.Context, c *dynamodb.Client, name string) error {
	desc, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		return createTable(ctx, c, name)
	case err != nil:
		return fmt.Errorf("localaws: describe table %s: %w", name, err)
	}
	have := map[string]bool{}
	for _, gsi := range desc.Table.GlobalSecondaryIndexes {
		have[aws.ToString(gsi.IndexName)] = true
	}
	if have[dynamo.SweepIndex] && have[dynamo.PublicIndex] {
		return waitTable(ctx, c, name)
	}
	return rebuildTable(ctx, c, name)
}

func createTable(ctx context.Context, c *dynamodb.Client, name string) error {
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   &name,
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sweep"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sweepAt"), AttributeType: types.ScalarAttributeTypeN},
			{AttributeName: aws.String("pub"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("pubAt"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName: aws.String(dynamo.SweepIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("sweep"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("sweepAt"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}, {
			IndexName: aws.String(dynamo.PublicIndex),
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String("pub"), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String("pubAt"), KeyType: types.KeyTypeRange},
			},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("localaws: create table %s: %w", name, err)
	}
	return waitTable(ctx, c, name)
}

func waitTable(ctx context.Context, c *dynamodb.Client, name string) error {
	w := dynamodb.NewTableExistsWaiter(c, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("localaws: wait for table %s: %w", name, err)
	}
	return nil
}

// rebuildTable copies a table's items, recreates it with the current schema and puts them back,
// each through Unmarshal and Marshal so that the index attributes are written.
func rebuildTable(ctx context.Context, c *dynamodb.Client, name string) error {
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(c, &dynamodb.ScanInput{TableName: &name, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("localaws: read %s to rebuild it: %w", name, err)
		}
		items = append(items, page.Items...)
	}
	if _, err := c.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: &name}); err != nil {
		return fmt.Errorf("localaws: rebuild %s: %w", name, err)
	}
	w := dynamodb.NewTableNotExistsWaiter(c, func(o *dynamodb.TableNotExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, 500*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("localaws: rebuild %s: %w", name, err)
	}
	if err := createTable(ctx, c, name); err != nil {
		return err
	}
	for _, raw := range items {
		if !dynamo.IsTrackItem(raw) {
			// A set or a members entry (pkg/dynamo's sets.go): no index attributes to write.
			if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &name, Item: raw}); err != nil {
				return fmt.Errorf("localaws: rebuild %s: put an item: %w", name, err)
			}
			continue
		}
		t, err := dynamo.Unmarshal(raw)
		if err != nil {
			return err
		}
		if t.SweepAt.IsZero() && (t.Status == track.StatusPending || t.Status == track.StatusProcessing) {
			t.SweepAt = time.Now().UTC().Truncate(time.Second) // let the sweeper look at it
		}
		av, err := dynamo.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &name, Item: av}); err != nil {
			return fmt.Errorf("localaws: rebuild %s: put %s: %w", name, t.ID, err)
		}
	}
	return nil
}

// EnsureLimitsTable creates a limits table if it does not exist (the local stack and the tests;
// in AWS the template makes it).
func EnsureLimitsTable(ctx context.Context, c *dynamodb.Client, name string) error {
	return ensureKeyTable(ctx, c, name, "id")
}

// EnsureStatsTable creates the counters' table (key id; see dynamo.Counters) if it does not exist.
func EnsureStatsTable(ctx context.Context, c *dynamodb.Client, name string) error {
	return ensureKeyTable(ctx, c, name, "id")
}

// EnsureFollowersTable creates the followers table (key actor) if it does not exist.
func EnsureFollowersTable(ctx context.Context, c *dynamodb.Client, name string) error {
	return ensureKeyTable(ctx, c, name, "actor")
}

// ensureKeyTable creates a table with a string partition key and nothing else, if it does not
// exist, and waits until it is active.
func ensureKeyTable(ctx context.Context, c *dynamodb.Client, name, keyAttr string) error {
	if _, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name}); err == nil {
		return waitTable(ctx, c, name)
	}
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            &name,
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: &keyAttr, AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: &keyAttr, KeyType: types.KeyTypeHash}},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("localaws: create table %s: %w", name, err)
	}
	return waitTable(ctx, c, name)
}
