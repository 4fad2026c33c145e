package localaws_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// paths lists the JSON paths of v, not descending into item images (their attributes differ
// from item to item), so that two records can be compared by shape.
func paths(prefix string, v any, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		*out = append(*out, prefix)
		return
	}
	for k, e := range m {
		p := prefix + "." + k
		if k == "OldImage" || k == "NewImage" {
			*out = append(*out, p)
			continue
		}
		paths(p, e, out)
	}
}

func recordShape(t *testing.T, r events.DynamoDBEventRecord) ([]string, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(raw, &m)
	var p []string
	paths("", m, &p)
	sort.Strings(p)
	return p, m
}

// TestRemoveRecordMatchesDynamoDB compares the records the runner emulates with stream records in
// the format DynamoDB Streams delivers to Lambda.
func TestRemoveRecordMatchesDynamoDB(t *testing.T) {
	old, err := dynamo.Marshal(tracktest.Sample("Ab3dEf9Z", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		file  string
		byTTL bool
	}{{"../expire/testdata/stream-ttl-remove.json", true}, {"../expire/testdata/stream-delete-remove.json", false}} {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			var real events.DynamoDBEvent
			if err := json.Unmarshal(raw, &real); err != nil {
				t.Fatal(err)
			}
			got, err := localaws.RemoveRecord(old, localaws.RecordOptions{Table: "tracks", Region: "us-east-1", SequenceNumber: "000000000000000000007", At: time.Now(), ByTTL: c.byTTL})
			if err != nil {
				t.Fatal(err)
			}
			wantPaths, want := recordShape(t, real.Records[0])
			gotPaths, gotMap := recordShape(t, got)
			if !slices.Equal(gotPaths, wantPaths) {
				t.Fatalf("shape differs:\n got  %v\n want %v", gotPaths, wantPaths)
			}
			for _, k := range []string{"eventName", "eventVersion", "eventSource", "userIdentity"} {
				if !reflect.DeepEqual(gotMap[k], want[k]) {
					t.Errorf("%s = %v, want %v", k, gotMap[k], want[k])
				}
			}
			if got.Change.StreamViewType != "OLD_IMAGE" || got.Change.Keys["id"].String() != "Ab3dEf9Z" || got.Change.SequenceNumber != "000000000000000000007" {
				t.Errorf("change = %+v", got.Change)
			}
			if got.Change.OldImage["filename"].String() != "Söng (live) \"x\".mp3" || got.Change.OldImage["size"].Number() != "4812345" {
				t.Errorf("old image = %v", got.Change.OldImage)
			}
		})
	}
}

// slidingAPI slides the expiry of one item just before the sweeper's delete reaches it, as a
// listener's read racing the sweep would.
type slidingAPI struct {
	localaws.TTLAPI
	slide func()
}

func (a *slidingAPI) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if a.slide != nil {
		a.slide()
		a.slide = nil
	}
	return a.TTLAPI.DeleteItem(ctx, in, opts...)
}

func TestExpireItems(t *testing.T) {
	st := localawstest.StartTest(t, "")
	client := st.DynamoDB()
	ctx := context.Background()
	if err := localaws.EnsureTracksTable(ctx, client, "sweep"); err != nil {
		t.Fatal(err)
	}
	store := dynamo.New(client, "sweep")
	now := time.Now().UTC().Truncate(time.Second)
	mk := func(id string, ttl time.Time, status track.Status) {
		tr := tracktest.Sample(id, now)
		tr.Status, tr.ExpiresAt = status, ttl
		if err := store.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	mk("Past00aa", now.Add(-time.Minute), track.StatusPending)
	mk("Now000aa", now, track.StatusFailed)
	mk("Slid00aa", now.Add(-time.Second), track.StatusReady)
	mk("Live00aa", now.Add(time.Hour), track.StatusReady)

	api := &slidingAPI{TTLAPI: client}
	api.slide = func() {
		// The first delete the sweeper makes is preceded by a listener sliding Slid00aa.
		if err := store.Touch(ctx, "Slid00aa", now.Add(-time.Second), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := localaws.ExpireItems(ctx, api, "sweep", now)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range removed {
		tr, err := dynamo.Unmarshal(it)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tr.ID)
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "Now000aa,Past00aa" {
		t.Fatalf("swept %v, want Now000aa and Past00aa (Slid00aa slid, Live00aa live)", ids)
	}
	for _, id := range []string{"Slid00aa", "Live00aa"} {
		if _, err := store.Get(ctx, id); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if again, err := localaws.ExpireItems(ctx, client, "sweep", now); err != nil || len(again) != 0 {
		t.Fatalf("second sweep removed %d, %v", len(again), err)
	}
}
