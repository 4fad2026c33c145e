package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// The store conformance suite passes as well with counters kept: every write that moves a track
// is then a transaction (the local stack's TransactWriteItems, see localaws.TxProxy).
func TestStoreCounting(t *testing.T) {
	st := localawstest.StartTest(t, "")
	client := st.DynamoDB()
	n := 0
	tracktest.TestStore(t, func(t *testing.T) track.Store {
		n++
		table, counters := fmt.Sprintf("tracks%d", n), fmt.Sprintf("stats%d", n)
		if err := localaws.EnsureTracksTable(context.Background(), client, table); err != nil {
			t.Fatal(err)
		}
		if err := localaws.EnsureStatsTable(context.Background(), client, counters); err != nil {
			t.Fatal(err)
		}
		s := dynamo.New(client, table)
		s.Counters = &dynamo.Counters{API: client, Table: counters}
		return s
	})
}

type countingEnv struct {
	client   *dynamodb.Client
	store    *dynamo.Store
	counters *dynamo.Counters
	now      time.Time
}

func newCountingEnv(t *testing.T) *countingEnv {
	t.Helper()
	st := localawstest.StartTest(t, "")
	client := st.DynamoDB()
	ctx := context.Background()
	if err := localaws.EnsureTracksTable(ctx, client, "tracks"); err != nil {
		t.Fatal(err)
	}
	if err := localaws.EnsureStatsTable(ctx, client, "stats"); err != nil {
		t.Fatal(err)
	}
	e := &countingEnv{client: client, now: time.Date(2026, 12, 2, 14, 20, 0, 0, time.UTC)}
	e.counters = &dynamo.Counters{API: client, Table: "stats"}
	e.store = dynamo.New(client, "tracks")
	e.store.Counters = e.counters
	e.store.Now = func() time.Time { return e.now }
	return e
}

func (e *countingEnv) snapshot(t *testing.T) stats.Snapshot {
	t.Helper()
	s, err := e.counters.Snapshot(context.Background(), e.now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantTracks(t *testing.T, s stats.Snapshot, want stats.TrackCounts, bytes int64) {
	t.Helper()
	if s.Tracks != want || s.BytesStored != bytes {
		t.Errorf("tracks %+v, %d bytes; want %+v, %d bytes", s.Tracks, s.BytesStored, want, bytes)
	}
}

// Every event of a track's life is delivered twice, as S3, the stream and the queues may: the
// second write is refused by the track's condition, and the counters count each event once.
// Removal by the TTL, which the stream reports, is counted once however often the record comes.
func TestCountersDuplicateEvents(t *testing.T) {
	ctx := context.Background()
	e := newCountingEnv(t)
	tr := tracktest.Sample("Cnt000aa", e.now)
	tr.Size = 1000
	if err := e.store.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Create(ctx, tr); !errors.Is(err, track.ErrIDTaken) {
		t.Fatalf("second create = %v", err)
	}
	wantTracks(t, e.snapshot(t), stats.TrackCounts{Pending: 1}, 0)

	// The upload's event, twice: both handlers read the pending track, one wins.
	arrived := func() *track.Track {
		n := *tr
		n.Status, n.UploadedAt = track.StatusProcessing, e.now
		return &n
	}
	a, b := arrived(), arrived()
	if err := e.store.Replace(ctx, tr, a); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Replace(ctx, tr, b); !errors.Is(err, track.ErrConflict) {
		t.Fatalf("duplicate arrival = %v, want ErrConflict", err)
	}
	s := e.snapshot(t)
	wantTracks(t, s, stats.TrackCounts{Processing: 1}, 1000)
	if s.Last24h.Uploads != 1 || s.Last24h.BytesUploaded != 1000 {
		t.Errorf("uploads %d (%d bytes), want 1 (1000)", s.Last24h.Uploads, s.Last24h.BytesUploaded)
	}

	// A lease taken changes no counter (and costs no counter write).
	leased := *a
	leased.Attempts, leased.LeaseUntil = 1, e.now.Add(time.Minute)
	if err := e.store.Replace(ctx, a, &leased); err != nil {
		t.Fatal(err)
	}
	// Ready, twice (a duplicate run finishing second).
	ready := func() *track.Track {
		n := leased
		n.Status, n.Duration, n.ProcessSeconds, n.DerivedBytes = track.StatusReady, 120, 3, 250
		return &n
	}
	if err := e.store.Replace(ctx, &leased, ready()); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Replace(ctx, &leased, ready()); !errors.Is(err, track.ErrConflict) {
		t.Fatalf("duplicate ready = %v", err)
	}
	s = e.snapshot(t)
	wantTracks(t, s, stats.TrackCounts{Ready: 1}, 1250)
	if p := s.Last24h.Processing; p.P50 == nil || *p.RealtimeFactor != 40 {
		t.Errorf("processing %+v, want a median and a realtime factor of 40", p)
	}

	// Removed by the TTL, the stream record delivered three times: counted once.
	stored, err := e.store.Get(ctx, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	var counted int
	for range 3 {
		ok, err := e.counters.Removed(ctx, stored, e.now)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			counted++
		}
	}
	if counted != 1 {
		t.Errorf("the removal counted %d times, want once", counted)
	}
	wantTracks(t, e.snapshot(t), stats.TrackCounts{}, 0)
}

// Out of order: a late event of a track that moved on changes nothing (its write loses), and a
// track deleted by its uploader is counted down at once, in the delete's transaction.
func TestCountersLateEventsAndDeletes(t *testing.T) {
	ctx := context.Background()
	e := newCountingEnv(t)
	tr := tracktest.Sample("Late00aa", e.now)
	tr.Size = 500
	if err := e.store.Create(ctx, tr); err != nil {
		t.Fatal(err)
	}
	processing := *tr
	processing.Status = track.StatusProcessing
	if err := e.store.Replace(ctx, tr, &processing); err != nil {
		t.Fatal(err)
	}
	failed := processing
	failed.Status = track.StatusFailed
	if err := e.store.Replace(ctx, &processing, &failed); err != nil {
		t.Fatal(err)
	}
	// The upload's event again, late: it read the track pending long ago.
	late := *tr
	late.Status = track.StatusProcessing
	if err := e.store.Replace(ctx, tr, &late); !errors.Is(err, track.ErrConflict) {
		t.Fatalf("late arrival = %v", err)
	}
	s := e.snapshot(t)
	wantTracks(t, s, stats.TrackCounts{Failed: 1}, 0)
	if s.Last24h.Uploads != 1 || s.Last24h.Failed != 1 {
		t.Errorf("last 24 h %+v", s.Last24h)
	}

	// A deletion: a wrong token changes nothing; the right one counts the track down once.
	if _, err := e.store.Delete(ctx, tr.ID, "wrong"); !errors.Is(err, track.ErrConflict) {
		t.Fatalf("delete with a wrong token = %v", err)
	}
	if _, err := e.store.Delete(ctx, tr.ID, tr.DeleteTokenHash); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Delete(ctx, tr.ID, tr.DeleteTokenHash); !errors.Is(err, track.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
	wantTracks(t, e.snapshot(t), stats.TrackCounts{}, 0)
}

// Plays and downloads go to their hour; hours age through the series and out of the last 24.
func TestCountersHours(t *testing.T) {
	ctx := context.Background()
	e := newCountingEnv(t)
	start := e.now
	for i := range 3 {
		if err := e.counters.Add(ctx, stats.Played(start.Add(-time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.counters.Add(ctx, stats.Downloaded(start)); err != nil {
		t.Fatal(err)
	}
	// Many at once: every increment lands.
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.counters.Add(ctx, stats.Played(start)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	s := e.snapshot(t)
	if s.Last24h.Plays != 13 || s.Last24h.Downloads != 1 {
		t.Errorf("last 24 h %+v, want 13 plays and 1 download", s.Last24h)
	}
	last := s.Hourly[len(s.Hourly)-3:]
	if last[0].Plays != 1 || last[1].Plays != 1 || last[2].Plays != 11 {
		t.Errorf("the last three hours %+v", last)
	}
	// A day later, those hours are in the series and not in the 24 hours.
	e.now = start.Add(24 * time.Hour)
	s = e.snapshot(t)
	if s.Last24h.Plays != 0 {
		t.Errorf("a day later, %d plays in the last 24 h", s.Last24h.Plays)
	}
	var plays int64
	for _, h := range s.Hourly {
		plays += h.Plays
	}
	if plays != 13 {
		t.Errorf("a day later, the series holds %d plays, want 13", plays)
	}
}

// A follower is counted once however often it follows, and counted down once however often it
// unfollows.
func TestCountersFollowers(t *testing.T) {
	ctx := context.Background()
	e := newCountingEnv(t)
	if err := localaws.EnsureFollowersTable(ctx, e.client, "followers"); err != nil {
		t.Fatal(err)
	}
	f := &dynamo.Followers{API: e.client, Table: "followers", Counters: e.counters}
	alice := federation.Follower{Actor: "https://a.example/users/alice", Inbox: "https://a.example/users/alice/inbox", Since: e.now}
	bob := federation.Follower{Actor: "https://b.example/users/bob", Inbox: "https://b.example/users/bob/inbox", Since: e.now}
	for _, fl := range []federation.Follower{alice, alice, bob, alice} {
		if err := f.Put(ctx, fl); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.snapshot(t).Followers; n != 2 {
		t.Errorf("%d followers after alice followed three times and bob once, want 2", n)
	}
	for range 2 {
		if err := f.Remove(ctx, alice.Actor); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Remove(ctx, "https://c.example/users/nobody"); err != nil {
		t.Fatal(err)
	}
	if n := e.snapshot(t).Followers; n != 1 {
		t.Errorf("%d followers after alice unfollowed twice, want 1", n)
	}
	if n, err := f.Count(ctx); err != nil || n != 1 {
		t.Errorf("the table holds %d followers (%v), want 1", n, err)
	}
}

// A stream record's old image, as Lambda decodes it, gives back the track that was stored: the
// expire function counts a removal from it.
func TestFromStream(t *testing.T) {
	now := time.Date(2026, 12, 2, 14, 20, 0, 0, time.UTC)
	tr := tracktest.Sample("Strm00aa", now)
	tr.Status, tr.Public, tr.Announced = track.StatusReady, true, true
	tr.Duration, tr.ProcessSeconds, tr.DerivedBytes = 61.5, 2.25, 4096
	tr.Audio = &track.Audio{Codec: "mp3", Bitrate: 320000, SampleRate: 44100, Channels: 2}
	tr.Tags = &track.Tags{Title: "Ünïcode ♫", Artist: "A", Year: 2020}
	tr.Theme = &track.Theme{Background: "#000000", Foreground: "#ffffff", Accent: "#ff8800"}
	av, err := dynamo.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := localaws.RemoveRecord(av, localaws.RecordOptions{Table: "tracks", Region: "us-east-1", SequenceNumber: "100", At: now, ByTTL: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := dynamo.FromStream(rec.Change.OldImage)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tr) {
		t.Errorf("FromStream = %+v\nwant         %+v", got, tr)
	}
}
