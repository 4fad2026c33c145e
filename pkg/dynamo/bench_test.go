package dynamo_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// writeCounter is a DynamoDB endpoint that accepts every call at once and counts the requests
// and the items they write, so that a benchmark measures Soundtime's side of each call (the
// SDK's serialisation and signing, the HTTP round trip on loopback) and nothing of a server.
type writeCounter struct {
	// fast answers without reading the request (the timed runs); otherwise each request is read
	// to count its writes and keep the track it puts.
	fast     bool
	mu       sync.Mutex
	requests int
	writes   int // items written: one per Put/Update/Delete, each item of a transaction
	// item is the last track put, which GetItem answers: the store reads what it wrote.
	item json.RawMessage
}

func (w *writeCounter) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	w.mu.Lock()
	if w.fast {
		item := w.item
		w.mu.Unlock()
		w.answer(rw, op, item)
		return
	}
	w.requests++
	var in struct {
		Item          json.RawMessage
		TransactItems []struct {
			Put *struct{ Item json.RawMessage }
		}
	}
	json.Unmarshal(body, &in)
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		w.writes++
	case "TransactWriteItems":
		w.writes += len(in.TransactItems)
	}
	if in.Item != nil {
		w.item = in.Item
	}
	if len(in.TransactItems) > 0 && in.TransactItems[0].Put != nil {
		w.item = in.TransactItems[0].Put.Item
	}
	item := w.item
	w.mu.Unlock()
	w.answer(rw, op, item)
}

func (w *writeCounter) answer(rw http.ResponseWriter, op string, item json.RawMessage) {
	rw.Header().Set("Content-Type", "application/x-amz-json-1.0")
	switch op {
	case "GetItem":
		io.WriteString(rw, `{"Item":`+string(item)+`}`)
		return
	case "DeleteItem": // ReturnValues ALL_OLD
		io.WriteString(rw, `{"Attributes":`+string(item)+`}`)
		return
	}
	io.WriteString(rw, `{}`)
}

func (w *writeCounter) reset() (requests, writes int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	requests, writes = w.requests, w.writes
	w.requests, w.writes = 0, 0
	return
}

// lifecycle is one track's writes, as the handlers make them: created, arrived, leased, ready,
// and unless only the transitions are wanted, played three times and deleted by its uploader
// (read, then deleted).
func lifecycle(ctx context.Context, b *testing.B, s *dynamo.Store, plays func(context.Context) error, t0 *track.Track, transitionsOnly bool) {
	created := *t0
	if err := s.Create(ctx, &created); err != nil {
		b.Fatal(err)
	}
	arrived := created
	arrived.Status, arrived.UploadedAt = track.StatusProcessing, created.CreatedAt
	leased := arrived
	leased.Attempts, leased.LeaseUntil = 1, created.CreatedAt.Add(time.Minute)
	ready := leased
	ready.Status, ready.Duration, ready.ProcessSeconds, ready.DerivedBytes = track.StatusReady, 300, 6, 4<<20
	for _, step := range [][2]*track.Track{{&created, &arrived}, {&arrived, &leased}, {&leased, &ready}} {
		if err := s.Replace(ctx, step[0], step[1]); err != nil {
			b.Fatal(err)
		}
	}
	if transitionsOnly {
		return
	}
	for range 3 {
		if err := plays(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Delete(ctx, created.ID, created.DeleteTokenHash); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTransitions is the cost of counting on the events that move a track (an upload's
// S3 event, a queue message): created, arrived, leased, ready, counters off and on.
func BenchmarkTransitions(b *testing.B) { benchmarkLife(b, true) }

// BenchmarkLifecycle is the cost of counting over one track's whole life, three plays and a
// deletion by token included: the CPU of this process per life (ns/op, the loopback server's
// share included) and the DynamoDB requests and item writes it makes (reported per op).
func BenchmarkLifecycle(b *testing.B) { benchmarkLife(b, false) }

func benchmarkLife(b *testing.B, transitionsOnly bool) {
	now := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	t0 := tracktest.Sample("Bench0aa", now)
	t0.Size = 8 << 20
	for _, counting := range []bool{false, true} {
		name := "counters=off"
		if counting {
			name = "counters=on"
		}
		b.Run(name, func(b *testing.B) {
			srv := &writeCounter{}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			client := dynamodb.New(dynamodb.Options{
				Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
				Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			})
			s := dynamo.New(client, "tracks")
			s.Now = func() time.Time { return now }
			plays := func(context.Context) error { return nil }
			if counting {
				c := &dynamo.Counters{API: client, Table: "stats"}
				s.Counters = c
				plays = func(ctx context.Context) error { return c.Add(ctx, stats.Played(now)) }
			}
			ctx := context.Background()
			// One life counted first; the timed ones are answered without being read.
			srv.reset()
			lifecycle(ctx, b, s, plays, t0, transitionsOnly)
			requests, writes := srv.reset()
			srv.fast = true
			b.ResetTimer()
			for range b.N {
				lifecycle(ctx, b, s, plays, t0, transitionsOnly)
			}
			b.StopTimer()
			b.ReportMetric(float64(requests), "requests/op")
			b.ReportMetric(float64(writes), "item-writes/op")
		})
	}
}
