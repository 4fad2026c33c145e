package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

// CountersAPI is the part of *dynamodb.Client the counters use.
type CountersAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Counters keeps the counters of package stats in a table of their own (key id, TTL attribute
// ttl): the item "totals" (the gauges), one item per hour ("hour#2026-12-02T14", kept two days)
// and the markers of removals already counted ("gone#…", kept three days). A write that moves a
// track adds its stats.Change in the same transaction (see Store), so the counters change
// exactly when the track does; plays and downloads, which move no track, are added alone.
//
// Writes per track life: the create, the arrival, and ready (or failed) each add two counter
// updates (totals and the hour) to the track's own write, in one transaction; a removal by the
// TTL writes a marker and the totals; a deletion by its uploader adds the totals to the delete.
// Each play and download is one update of its hour.
type Counters struct {
	API   CountersAPI
	Table string
}

const (
	totalsID = "totals"
	// hourTTL keeps an hour's item while the series shows it, and a day more.
	hourTTL = (stats.HoursShown + 24) * time.Hour
	// markerTTL keeps a removal's marker longer than a stream keeps its records (24 hours), so a
	// record redelivered at the end of its life still finds it.
	markerTTL = 72 * time.Hour
	// maxConflictTries bounds the retries of a transaction that met another on a counter item.
	maxConflictTries = 6
)

func hourID(at time.Time) string { return "hour#" + stats.HourOf(at).Format("2006-01-02T15") }

func hourOfID(id string) (time.Time, bool) {
	s, ok := strings.CutPrefix(id, "hour#")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01-02T15", s)
	return t, err == nil
}

var totalsFields = []string{"pending", "processing", "ready", "failed", "bytesStored", "followers"}

func totalsValues(t stats.Totals) []int64 {
	return []int64{t.Pending, t.Processing, t.Ready, t.Failed, t.BytesStored, t.Followers}
}

func setTotals(t *stats.Totals, field string, v int64) {
	switch field {
	case "pending":
		t.Pending = v
	case "processing":
		t.Processing = v
	case "ready":
		t.Ready = v
	case "failed":
		t.Failed = v
	case "bytesStored":
		t.BytesStored = v
	case "followers":
		t.Followers = v
	}
}

// hourFields are an hour's counters by attribute name; the histogram's buckets are h00…h63.
var hourFields = []string{"uploads", "bytesUploaded", "plays", "downloads", "failed", "ready", "processMillis", "audioMillis"}

func hourValues(h stats.Hour) []int64 {
	return []int64{h.Uploads, h.BytesUploaded, h.Plays, h.Downloads, h.Failed, h.Ready, h.ProcessMillis, h.AudioMillis}
}

func setHour(h *stats.Hour, field string, v int64) {
	switch field {
	case "uploads":
		h.Uploads = v
	case "bytesUploaded":
		h.BytesUploaded = v
	case "plays":
		h.Plays = v
	case "downloads":
		h.Downloads = v
	case "failed":
		h.Failed = v
	case "ready":
		h.Ready = v
	case "processMillis":
		h.ProcessMillis = v
	case "audioMillis":
		h.AudioMillis = v
	default:
		if i, err := strconv.Atoi(strings.TrimPrefix(field, "h")); err == nil && strings.HasPrefix(field, "h") && i >= 0 && i < stats.Buckets {
			h.Histogram[i] = v
		}
	}
}

func bucketField(i int) string { return fmt.Sprintf("h%02d", i) }

// adds is an ADD update of the non-zero values, and the SET of the item's expiry if it has one.
func (c *Counters) adds(id string, names []string, values []int64, expires time.Time) *types.Update {
	var parts []string
	attrNames := map[string]string{}
	attrValues := map[string]types.AttributeValue{}
	for i, v := range values {
		if v == 0 {
			continue
		}
		n := strconv.Itoa(i)
		parts = append(parts, "#f"+n+" :v"+n)
		attrNames["#f"+n] = names[i]
		attrValues[":v"+n] = &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
	}
	if len(parts) == 0 {
		return nil
	}
	expr := "ADD " + strings.Join(parts, ", ")
	if !expires.IsZero() {
		expr += " SET #ttl = if_not_exists(#ttl, :ttl)"
		attrNames["#ttl"] = "ttl"
		attrValues[":ttl"] = epoch(expires)
	}
	return &types.Update{
		TableName:                 &c.Table,
		Key:                       key(id),
		UpdateExpression:          &expr,
		ExpressionAttributeNames:  attrNames,
		ExpressionAttributeValues: attrValues,
	}
}

// updates returns the updates that apply ch: of the totals, of its hour, or both.
func (c *Counters) updates(ch stats.Change) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	if u := c.adds(totalsID, totalsFields, totalsValues(ch.Totals), time.Time{}); u != nil {
		out = append(out, types.TransactWriteItem{Update: u})
	}
	names, values := slicesClone(hourFields), hourValues(ch.Hour)
	for i, n := range ch.Hour.Histogram {
		names, values = append(names, bucketField(i)), append(values, n)
	}
	if u := c.adds(hourID(ch.At), names, values, stats.HourOf(ch.At).Add(hourTTL)); u != nil {
		out = append(out, types.TransactWriteItem{Update: u})
	}
	return out
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// Add applies ch on its own: for the events that move no track (a play, a download).
func (c *Counters) Add(ctx context.Context, ch stats.Change) error {
	for _, it := range c.updates(ch) {
		u := it.Update
		err := retryConflicts(ctx, func() error {
			_, err := c.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
				ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("dynamo: add to counters: %w", err)
		}
	}
	return nil
}

// Removed counts the removal of old by someone other than Soundtime's own writes (DynamoDB's
// TTL, reported by the table's stream), once however often the record is delivered: a marker
// written in the same transaction refuses the second. It reports whether this call counted it.
func (c *Counters) Removed(ctx context.Context, old *track.Track, at time.Time) (bool, error) {
	ch := stats.Transition(old, nil, at)
	if ch.IsZero() {
		return false, nil
	}
	marker := fmt.Sprintf("gone#%s#%d#%d", old.ID, unix(old.CreatedAt), old.Version)
	items := append([]types.TransactWriteItem{{Put: &types.Put{
		TableName:           &c.Table,
		Item:                map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: marker}, "ttl": epoch(at.Add(markerTTL))},
		ConditionExpression: aws.String("attribute_not_exists(id)"),
	}}}, c.updates(ch)...)
	switch err := transact(ctx, c.API, items); {
	case errors.Is(err, errConditionFailed):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dynamo: count the removal of %s: %w", old.ID, err)
	}
	return true, nil
}

// Read returns the totals and the stored hours of the series at now, with strongly consistent
// reads (one BatchGetItem of at most 49 items).
func (c *Counters) Read(ctx context.Context, now time.Time) (stats.Totals, []stats.Hour, error) {
	keys := []map[string]types.AttributeValue{key(totalsID)}
	for _, h := range stats.Hours(now) {
		keys = append(keys, key(hourID(h)))
	}
	var (
		totals stats.Totals
		hours  []stats.Hour
	)
	req := map[string]types.KeysAndAttributes{c.Table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, backoff(attempt)); err != nil {
				return totals, nil, err
			}
		}
		out, err := c.API.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return totals, nil, fmt.Errorf("dynamo: read counters: %w", err)
		}
		for _, it := range out.Responses[c.Table] {
			id, _ := it["id"].(*types.AttributeValueMemberS)
			if id == nil {
				continue
			}
			if id.Value == totalsID {
				for name, v := range it {
					if n, ok := number(v); ok {
						setTotals(&totals, name, n)
					}
				}
				continue
			}
			start, ok := hourOfID(id.Value)
			if !ok {
				continue
			}
			h := stats.Hour{Start: start}
			for name, v := range it {
				if n, ok := number(v); ok && name != "ttl" {
					setHour(&h, name, n)
				}
			}
			hours = append(hours, h)
		}
		req = out.UnprocessedKeys
	}
	return totals, hours, nil
}

// Snapshot is the answer of /api/stats at now.
func (c *Counters) Snapshot(ctx context.Context, now time.Time) (stats.Snapshot, error) {
	totals, hours, err := c.Read(ctx, now)
	if err != nil {
		return stats.Snapshot{}, err
	}
	return stats.Summarize(now, totals, hours), nil
}

func number(v types.AttributeValue) (int64, bool) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	return i, err == nil
}

// errConditionFailed: the transaction's first item's condition failed (the track was not as
// read, or the marker exists); nothing was written.
var errConditionFailed = errors.New("dynamo: condition failed")

// transact runs a transaction, again when it only met another one on the same item (the
// counters are few and shared), with a jittered backoff. A failed condition of its first item is
// errConditionFailed.
func transact(ctx context.Context, api CountersAPI, items []types.TransactWriteItem) error {
	return retryConflicts(ctx, func() error {
		_, err := api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
			return errConditionFailed
		}
		return err
	})
}

func retryConflicts(ctx context.Context, op func() error) error {
	var err error
	for attempt := range maxConflictTries {
		if attempt > 0 {
			if serr := sleep(ctx, backoff(attempt)); serr != nil {
				return err
			}
		}
		if err = op(); !isConflict(err) {
			return err
		}
	}
	return err
}

// isConflict reports an error that only says another transaction held an item.
func isConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		for _, r := range tce.CancellationReasons {
			if aws.ToString(r.Code) == "TransactionConflict" {
				return true
			}
		}
		return false
	}
	var tc *types.TransactionConflictException
	return errors.As(err, &tc)
}

func backoff(attempt int) time.Duration {
	d := 10 * time.Millisecond << min(attempt, 6)
	return d/2 + rand.N(d/2)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
