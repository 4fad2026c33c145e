package localaws_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
)

// The stack's DynamoDB endpoint answers TransactWriteItems as DynamoDB does, although dynalite
// behind it implements none: all or nothing, with the cancellation reasons the SDK decodes.
func TestTransactWriteItems(t *testing.T) {
	ctx := context.Background()
	st := localawstest.StartTest(t, "")
	c := st.DynamoDB()
	for _, name := range []string{"txa", "txb"} {
		if err := localaws.EnsureLimitsTable(ctx, c, name); err != nil {
			t.Fatal(err)
		}
	}
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v int) types.AttributeValue { return &types.AttributeValueMemberN{Value: fmt.Sprint(v)} }
	key := func(id string) map[string]types.AttributeValue { return map[string]types.AttributeValue{"id": s(id)} }
	get := func(table, id string) map[string]types.AttributeValue {
		t.Helper()
		out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	count := func(table, id string) string {
		t.Helper()
		it := get(table, id)
		if it == nil {
			return "absent"
		}
		return it["n"].(*types.AttributeValueMemberN).Value
	}
	put := func(table, id string, cond string) types.TransactWriteItem {
		p := &types.Put{TableName: &table, Item: map[string]types.AttributeValue{"id": s(id), "n": n(1)}}
		if cond != "" {
			p.ConditionExpression = &cond
		}
		return types.TransactWriteItem{Put: p}
	}
	add := func(table, id string, by int) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &table, Key: key(id), UpdateExpression: aws.String("ADD n :by"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":by": n(by)},
		}}
	}

	// Committed whole: a put in one table and two counters, one new, one existing.
	if _, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("txb"), Item: map[string]types.AttributeValue{"id": s("old"), "n": n(10)}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put("txa", "t1", "attribute_not_exists(id)"), add("txb", "total", 1), add("txb", "old", 5),
	}})
	if err != nil {
		t.Fatalf("TransactWriteItems: %v", err)
	}
	for _, c := range []struct{ table, id, want string }{{"txa", "t1", "1"}, {"txb", "total", "1"}, {"txb", "old", "15"}} {
		if got := count(c.table, c.id); got != c.want {
			t.Errorf("%s/%s = %s, want %s", c.table, c.id, got, c.want)
		}
	}

	// The same again: the put's condition fails, so nothing is written, not even the counters
	// before or after it, and the reasons say which item failed.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		add("txb", "total", 1), add("txb", "fresh", 1), put("txa", "t1", "attribute_not_exists(id)"), add("txb", "old", 5),
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("err = %v, want TransactionCanceledException", err)
	}
	var codes []string
	for _, r := range tce.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if fmt.Sprint(codes) != "[None None ConditionalCheckFailed None]" {
		t.Errorf("cancellation reasons %v", codes)
	}
	for _, c := range []struct{ table, id, want string }{{"txb", "total", "1"}, {"txb", "fresh", "absent"}, {"txb", "old", "15"}} {
		if got := count(c.table, c.id); got != c.want {
			t.Errorf("after the cancelled transaction %s/%s = %s, want %s", c.table, c.id, got, c.want)
		}
	}

	// A condition check that fails cancels; one that passes writes nothing itself.
	check := func(id, cond string) types.TransactWriteItem {
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String("txa"), Key: key(id), ConditionExpression: &cond}}
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		check("nobody", "attribute_not_exists(id)"), add("txb", "total", 1),
	}}); err != nil {
		t.Fatalf("passing condition check: %v", err)
	}
	if got := get("txa", "nobody"); got != nil {
		t.Errorf("the condition check wrote %v", got)
	}
	if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		add("txb", "total", 1), check("t1", "attribute_not_exists(id)"),
	}}); !errors.As(err, &tce) {
		t.Errorf("failing condition check: err = %v", err)
	}
	if got := count("txb", "total"); got != "2" {
		t.Errorf("total = %s, want 2", got)
	}

	// Two operations on one item are refused before anything is written.
	_, err = c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		add("txb", "dup", 1), add("txb", "dup", 1),
	}})
	if err == nil || count("txb", "dup") != "absent" {
		t.Errorf("two operations on one item: err = %v, item %s", err, count("txb", "dup"))
	}

	// Concurrent transactions on one counter serialise: every increment lands once.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{add("txb", "busy", 1)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := count("txb", "busy"); got != "20" {
		t.Errorf("busy = %s after 20 concurrent increments", got)
	}
}
