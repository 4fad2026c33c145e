package federation_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/remote"
	"github.com/soundtime/soundtime/pkg/sqs"
	"github.com/soundtime/soundtime/pkg/track"
)

// The fan-out benchmark's shape: the 1,000 followers on 200 servers, each server with
// a shared inbox (so 200 deliveries).
const (
	benchFollowers = 1000
	benchServers   = 200
)

// fakeInboxesEnv makes the test binary, started again by BenchmarkFanOut, the 200 remote
// servers instead of running tests (see serveFakeInboxes).
const fakeInboxesEnv = "SOUNDTIME_BENCH_FAKE_INBOXES"

func TestMain(m *testing.M) {
	if os.Getenv(fakeInboxesEnv) != "" {
		serveFakeInboxes()
		return
	}
	os.Exit(m.Run())
}

// BenchmarkFanOut announces one public track to 1,000 followers spread over 200 servers, each
// with a shared inbox, through everything the deliver function runs on: the announcement goes
// into a real SQS queue (fauxqs, started by pkg/localaws), an SQSSource feeds the Deliverer from
// it as Lambda's event source mapping would (batches of 10, one invocation at a time, as the
// local runner does), the Deliverer reads the followers from a real DynamoDB table (dynalite),
// fans out into the same queue, and delivers each message signed, over TLS, through pkg/remote.
//
// The 200 servers are one TLS listener in a child process (this test binary started again):
// 200 host names resolve to it through pkg/remote's resolver seam, so every server is a host
// of its own to the client (its own connection and TLS handshake), and the memory measured here
// is the deliver worker's alone. One op is one announcement, timed from the Announce until the
// child has reported a delivery from every one of the 200 servers.
//
// Reported: fanout-msgs/op (deliver messages the fan-out enqueued: must be 200), inboxes/op
// (servers that received the Create), ms-to-all/op (ns/op in milliseconds), ms-to-fanout/op
// (until the 200 deliver messages were in the queue), ms-slowest (the slowest round, usually
// the first, when every connection is new), and the worker's peaks over the run:
// peak-heap-MiB (Go heap objects, runtime/metrics sampled every millisecond) and peak-RSS-MiB
// (VmHWM of this process, reset before the timed part; the AWS SDK clients and the test
// binary included).
//
//	go test -run '^$' -bench FanOut -benchtime 5x ./pkg/federation/
func BenchmarkFanOut(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	inboxes := startFakeInboxes(b)
	resolver := mapResolver{}
	servers := make([]string, benchServers)
	for i := range servers {
		name := fmt.Sprintf("srv%03d.example.com", i)
		resolver[name] = []string{"127.0.0.1"}
		servers[i] = "https://" + net.JoinHostPort(name, inboxes.port)
	}

	st := localawstest.StartTest(b, "")
	sqsClient := st.SQS()
	q, err := localaws.EnsureQueue(ctx, sqsClient, localaws.QueueConfig{
		Name: "deliveries", MaxReceiveCount: federation.DeliveryAttempts, VisibilityTimeout: time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := localaws.EnsureFollowersTable(ctx, st.DynamoDB(), "followers"); err != nil {
		b.Fatal(err)
	}
	followers := &dynamo.Followers{API: st.DynamoDB(), Table: "followers"}
	for i := range benchFollowers {
		srv := servers[i%benchServers]
		actor := fmt.Sprintf("%s/users/u%04d", srv, i)
		if err := followers.Put(ctx, federation.Follower{Actor: actor, Inbox: actor + "/inbox", SharedInbox: srv + "/inbox", Since: now}); err != nil {
			b.Fatal(err)
		}
	}

	queue := &countingQueue{Queue: sqs.New(sqsClient, q.URL)}
	allow, _ := remote.ParseAllowIPs("127.0.0.0/8")
	svc := federation.New(federation.Config{BaseURL: base, Handle: "tracks", RetryBase: time.Second},
		&fakeTracks{TrackFn: func(_ context.Context, id string) (*track.Track, error) {
			t := hostileTrack()
			t.ID = id
			return t, nil
		}},
		followers, queue,
		remote.New(remote.Options{TLSConfig: trust(), AllowIPs: allow, Resolver: resolver, UserAgent: "soundtime-bench"}),
		ourKey(b), slog.New(slog.DiscardHandler))
	deliverer := &federation.Deliverer{Service: svc}
	var failures atomic.Int64
	source := &localaws.SQSSource{
		API: sqsClient, QueueURL: q.URL, QueueARN: q.ARN, BatchSize: 10, Timeout: time.Minute,
		Handler: func(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
			resp, err := deliverer.Handle(ctx, e)
			failures.Add(int64(len(resp.BatchItemFailures)))
			return resp, err
		},
	}
	var running sync.WaitGroup
	running.Go(func() { source.Run(ctx) })
	defer running.Wait()
	defer cancel()

	peaks := startPeaks()
	publisher := federation.Publisher{Queue: queue}
	var totalFanout int64
	var slowest, fanoutTime time.Duration
	round := 0
	b.ResetTimer()
	for b.Loop() {
		round++
		id := fmt.Sprintf("Bench%04d", round)
		queue.fanout.Store(0)
		done := inboxes.expect(svc.NoteID(id), benchServers)
		start := time.Now()
		if err := publisher.Announce(ctx, &track.Track{ID: id}); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("round %d: %d of %d servers got the Create in 2 minutes", round, inboxes.count(svc.NoteID(id)), benchServers)
		}
		took := time.Since(start)
		slowest = max(slowest, took)
		b.StopTimer()
		fanoutTime += time.Unix(0, queue.sent.Load()).Sub(start)
		if n := queue.fanout.Load(); n != benchServers {
			b.Errorf("round %d: the fan-out enqueued %d deliver messages, want %d", round, n, benchServers)
		}
		totalFanout += queue.fanout.Load()
		waitDrained(b, sqsClient, q.URL)
		if n := inboxes.deliveries(svc.NoteID(id)); n != benchServers {
			b.Errorf("round %d: %d deliveries for %d servers, want one each", round, n, benchServers)
		}
		b.StartTimer()
	}
	b.StopTimer()
	heap, rss := peaks.stop()
	if n := failures.Load(); n != 0 {
		b.Errorf("%d deliveries failed and were retried", n)
	}
	b.ReportMetric(float64(totalFanout)/float64(round), "fanout-msgs/op")
	b.ReportMetric(float64(benchServers), "inboxes/op")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(round), "ms-to-all/op")
	b.ReportMetric(float64(slowest.Milliseconds()), "ms-slowest")
	b.ReportMetric(float64(fanoutTime.Milliseconds())/float64(round), "ms-to-fanout/op")
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
}

// countingQueue is the real queue, counting the deliver messages the fan-out sends (the
// announcement itself goes through Send).
type countingQueue struct {
	*sqs.Queue
	fanout atomic.Int64
	sent   atomic.Int64 // when the last SendBatch returned, in Unix nanoseconds
}

func (q *countingQueue) SendBatch(ctx context.Context, bodies [][]byte) error {
	q.fanout.Add(int64(len(bodies)))
	err := q.Queue.SendBatch(ctx, bodies)
	q.sent.Store(time.Now().UnixNano())
	return err
}

// waitDrained waits until the queue holds no message, visible or in flight.
func waitDrained(b *testing.B, c *awssqs.Client, queueURL string) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := c.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
			QueueUrl: &queueURL,
			AttributeNames: []types.QueueAttributeName{
				types.QueueAttributeNameApproximateNumberOfMessages,
				types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		if out.Attributes["ApproximateNumberOfMessages"] == "0" && out.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the queue still holds messages: %v", out.Attributes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// peaks samples the Go heap every millisecond, and reads the process's peak RSS at the end.
type peaksSampler struct {
	stopc chan struct{}
	done  chan struct{}
	heap  uint64
}

func startPeaks() *peaksSampler {
	// The setup's garbage goes first. Then writing 5 to clear_refs resets VmHWM to the current
	// RSS (Linux 4.0 and later), so the peak is the timed part's; without it the peak counts
	// from the start of the process.
	debug.FreeOSMemory()
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	p := &peaksSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			p.heap = max(p.heap, sample[0].Value.Uint64())
			select {
			case <-tick.C:
			case <-p.stopc:
				return
			}
		}
	}()
	return p
}

// stop returns the peak heap and the peak RSS, in bytes.
func (p *peaksSampler) stop() (heap, rss uint64) {
	close(p.stopc)
	<-p.done
	status, _ := os.ReadFile("/proc/self/status")
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb << 10
		}
	}
	return p.heap, rss
}

// fakeInboxes is the child process serving the 200 servers, and what it reported.
type fakeInboxes struct {
	port string

	mu      sync.Mutex
	got     map[string]map[string]bool // note id → hosts that received its Create
	posts   map[string]int             // note id → deliveries of its Create
	waiting map[string]chan struct{}
	want    map[string]int
}

// startFakeInboxes starts this test binary as the servers' process and reads its reports.
func startFakeInboxes(b *testing.B) *fakeInboxes {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fakeInboxesEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	// The child lives as long as its stdin is open: until the cleanup, or this process's end.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		b.Fatalf("the fake servers did not start: %v", lines.Err())
	}
	port, ok := strings.CutPrefix(lines.Text(), "listening ")
	if !ok {
		b.Fatalf("the fake servers said %q", lines.Text())
	}
	f := &fakeInboxes{port: port, got: map[string]map[string]bool{}, posts: map[string]int{}, waiting: map[string]chan struct{}{}, want: map[string]int{}}
	go func() {
		for lines.Scan() {
			host, note, _ := strings.Cut(lines.Text(), " ")
			f.mu.Lock()
			if f.got[note] == nil {
				f.got[note] = map[string]bool{}
			}
			f.got[note][host] = true
			f.posts[note]++
			if c := f.waiting[note]; c != nil && len(f.got[note]) == f.want[note] {
				close(c)
				delete(f.waiting, note)
			}
			f.mu.Unlock()
		}
	}()
	return f
}

// expect returns a channel closed once n servers have received the Create of note.
func (f *fakeInboxes) expect(note string, n int) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(chan struct{})
	f.waiting[note], f.want[note] = c, n
	return c
}

func (f *fakeInboxes) deliveries(note string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts[note]
}

func (f *fakeInboxes) count(note string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got[note])
}

// serveFakeInboxes is the child process: a TLS server (httptest's certificate, which the
// benchmark's client trusts) that answers every POST 202 and reports "<host> <note id>" on
// stdout for each Create it receives.
func serveFakeInboxes() {
	var mu sync.Mutex
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil || r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Signature"), `keyId="`) {
			http.Error(w, "bad delivery", http.StatusBadRequest)
			return
		}
		var act struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		}
		if json.Unmarshal(body, &act) != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		mu.Lock()
		fmt.Fprintf(os.Stdout, "%s %s\n", r.Host, act.Object.ID)
		mu.Unlock()
	}))
	srv.StartTLS()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	fmt.Fprintf(os.Stdout, "listening %s\n", port)
	// Until the benchmark closes stdin, or ends.
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}
