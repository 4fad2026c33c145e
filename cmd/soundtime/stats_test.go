package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/stats"
)

// totals reads the counters as stored: unlike the answer, which never shows a count below zero,
// they show a removal counted twice.
func (s *testStack) totals(t *testing.T) stats.Totals {
	t.Helper()
	tot, _, err := s.app.Counters.Read(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tot
}

func (s *testStack) window(t *testing.T) stats.Window {
	t.Helper()
	snap, err := s.app.Counters.Snapshot(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return snap.Last24h
}

// objectCreated is the S3 event of key, as the bucket sends it.
func objectCreated(bucket, key string) events.S3Event {
	var e events.S3Event
	e.Records = append(e.Records, events.S3EventRecord{EventName: "ObjectCreated:Put", EventSource: "aws:s3"})
	e.Records[0].S3.Bucket.Name = bucket
	e.Records[0].S3.Object.Key = process.EncodeKey(key)
	return e
}

// A track's whole life through the runner, every event of it delivered twice (the upload's S3
// event, the TTL's stream record): the counters count each once, and count the track down when
// it expires. GET /api/stats answers the same numbers, aggregates only.
func TestStatsCountEachEventOnce(t *testing.T) {
	logs := &lockedBuffer{}
	s := expiryStackLogging(t, logs)
	c := s.client(t)
	ctx := context.Background()
	if got := s.totals(t); got != (stats.Totals{}) {
		t.Fatalf("a new service counts %+v", got)
	}

	// Pending, then gone after PENDING_TTL without an upload.
	_, sum := audioBytes(t, 1)
	abandoned := c.postJSON("/api/tracks", map[string]any{"filename": "a.mp3", "type": "audio/mpeg", "size": 100, "md5": sum}).json(t)["id"].(string)
	if got := s.totals(t); got.Pending != 1 {
		t.Errorf("after a create: %+v", got)
	}
	s.gone(t, abandoned, 2*time.Second+3*sweep+time.Second)

	path := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 12})
	id := c.upload(path, "audio/mpeg")
	if info := c.waitDone(id); info["status"] != "ready" {
		t.Fatalf("status %v", info["status"])
	}
	stored, err := s.app.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.DerivedBytes == 0 || stored.ProcessSeconds == 0 {
		t.Errorf("ready track records %d derived bytes in %v s", stored.DerivedBytes, stored.ProcessSeconds)
	}
	want := stats.Totals{Ready: 1, BytesStored: stored.Size + stored.DerivedBytes}
	if got := s.totals(t); got != want {
		t.Errorf("after processing: %+v, want %+v", got, want)
	}

	// The upload's event again, twice, as S3 may redeliver it: nothing changes.
	for range 2 {
		if err := s.proc.Handle(ctx, objectCreated(s.cfg.MediaBucket, stored.OriginalKey)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.totals(t); got != want {
		t.Errorf("after the event came twice more: %+v, want %+v", got, want)
	}

	for range 2 {
		if r := c.do("GET", "/api/tracks/"+id+"/stream.m3u8", nil, nil); r.Status != http.StatusOK {
			t.Fatalf("playlist = %d", r.Status)
		}
	}
	if r := c.do("GET", "/api/tracks/"+id+"/download", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("download = %d", r.Status)
	}
	w := s.window(t)
	if w.Uploads != 1 || w.BytesUploaded != stored.Size || w.Plays != 2 || w.Downloads != 1 || w.Failed != 0 {
		t.Errorf("last 24 h: %+v", w)
	}
	if p := w.Processing; p.P50 == nil || p.P99 == nil || p.RealtimeFactor == nil || *p.RealtimeFactor <= 0 {
		t.Errorf("processing speed %+v", p)
	}

	// Expired (RETENTION after the last play) and removed by the TTL, whose stream record then
	// comes twice more.
	image, err := dynamo.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	s.gone(t, id, retention+2*sweep+3*time.Second)
	s.noObjects(t, id)
	if got := s.totals(t); got != (stats.Totals{}) {
		t.Errorf("after the expiry: %+v, want nothing", got)
	}
	rec, err := localaws.RemoveRecord(image, localaws.RecordOptions{Table: s.cfg.TableName, Region: localaws.Region, SequenceNumber: "900000000000000000001", At: time.Now(), ByTTL: true})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		resp, err := s.app.Expire().Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("expire = %+v, %v", resp, err)
		}
	}
	if got := s.totals(t); got != (stats.Totals{}) {
		t.Errorf("after the stream record came twice more: %+v, want nothing", got)
	}

	// The answer: the same numbers, the contract's fields, nothing that names a track.
	r := c.do("GET", "/api/stats", nil, nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "max-age=") {
		t.Fatalf("GET /api/stats = %d, Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
	}
	var got stats.Snapshot
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	snap, err := s.app.Counters.Snapshot(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Last24h, snap.Last24h) || got.Tracks != snap.Tracks || len(got.Hourly) != stats.HoursShown {
		t.Errorf("GET /api/stats = %s\nwant the counters' %+v", r.Body, snap)
	}
	if last := got.Hourly[len(got.Hourly)-1]; last.Uploads != 1 || last.Plays != 2 {
		// The test runs within one hour unless it straddles one: then the sums say it.
		if got.Last24h.Uploads != 1 || got.Last24h.Plays != 2 {
			t.Errorf("hourly ends with %+v", last)
		}
	}
	for _, leak := range []string{id, stored.Filename, "127.0.0.1"} {
		if strings.Contains(string(r.Body), leak) {
			t.Errorf("the answer contains %q: %s", leak, r.Body)
		}
	}

	// The same life in the functions' metrics (EMF lines in the log): the duplicate events
	// began no second run.
	sums, formats := emfSums(t, logs.Bytes())
	for name, want := range map[string]float64{
		metrics.UploadsStarted: 2, metrics.UploadsCompleted: 1, metrics.TracksReady: 1,
		metrics.Plays: 2, metrics.Downloads: 1,
	} {
		if sums[name] != want {
			t.Errorf("metric %s sums to %v, want %v", name, sums[name], want)
		}
	}
	if sums[metrics.ProcessingSeconds] <= 0 || sums[metrics.RealtimeFactor] <= 0 || !slices.Contains(formats, "mp3") {
		t.Errorf("processing metrics %v, formats %q", sums, formats)
	}
}

// lockedBuffer collects the runner's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.b.Bytes())
}

// emfSums adds up, by name, the metrics of the EMF lines in logs (each line's directive names
// its metrics), and lists the Format dimensions seen.
func emfSums(t *testing.T, logs []byte) (map[string]float64, []string) {
	t.Helper()
	sums := map[string]float64{}
	var formats []string
	for _, line := range bytes.Split(logs, []byte("\n")) {
		var doc map[string]json.RawMessage
		if json.Unmarshal(line, &doc) != nil || doc["_aws"] == nil {
			continue
		}
		var meta struct {
			CloudWatchMetrics []struct {
				Metrics []struct{ Name string }
			}
		}
		if err := json.Unmarshal(doc["_aws"], &meta); err != nil {
			t.Fatalf("EMF directive: %v: %s", err, line)
		}
		for _, d := range meta.CloudWatchMetrics {
			for _, m := range d.Metrics {
				var v float64
				if err := json.Unmarshal(doc[m.Name], &v); err != nil {
					t.Fatalf("metric %s: %v: %s", m.Name, err, line)
				}
				sums[m.Name] += v
			}
		}
		var f string
		if json.Unmarshal(doc["Format"], &f) == nil {
			formats = append(formats, f)
		}
	}
	return sums, formats
}

// make dev on a terminal logs text without the EMF directive; into a file or a pipe, JSON lines.
func TestLogHandler(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := logHandler(f).(*slog.JSONHandler); !ok {
		t.Errorf("into a file: %T, want JSON", logHandler(f))
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		tty, err = os.Open(os.DevNull) // a character device too, when the test has no terminal
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	if _, ok := logHandler(tty).(*slog.TextHandler); !ok {
		t.Errorf("on a terminal: %T, want text", logHandler(tty))
	}
}
