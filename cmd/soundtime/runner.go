package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/sqs"
	"github.com/soundtime/soundtime/pkg/track"
)

// Runner is a running local stack: the servers of pkg/localaws, the functions of pkg/app, and the
// emulation of what AWS does between them (bucket notifications to the process queue, the
// queues' event sources, the table's TTL and stream, the sweep and reconcile schedules).
type Runner struct {
	URL string // where the API listens

	cfg   config.Config
	log   *slog.Logger
	stack *localaws.Stack
	app   *app.App
	api   *http.Server
	hook  *http.Server
	proc  *process.Handler
	rec   *expire.Reconciler

	// The process queue, and ready closed once it exists: the bucket's notifications wait for it.
	processQueue *sqs.Queue
	processReady chan struct{}
	// Process runs under way, and the most there ever were (PROCESS_CONCURRENCY bounds both).
	running, peak atomic.Int64

	work   sync.WaitGroup  // background invocations and loops
	ctx    context.Context // invocations: cancelled at the shutdown deadline
	cancel context.CancelFunc
	loops  context.Context // the schedules and the stream consumer: cancelled first
	stop   context.CancelFunc
}

// readTimeout bounds reading a whole request, body included: the API's bodies are a few hundred
// bytes of JSON, and the uploads go to storage, not here.
const readTimeout = 15 * time.Second

// Start brings the stack up: the event receiver first (Versity posts a test event at start),
// then the servers, the bucket and tables (idempotently, so state survives restarts), the
// recovery of what a crash left behind, then the API.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (*Runner, error) {
	r := &Runner{cfg: cfg, log: log, processReady: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.loops, r.stop = context.WithCancel(r.ctx)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	if cfg.FFmpegPath == "" {
		ff, err := localaws.FFmpeg()
		if err != nil {
			return nil, err
		}
		cfg.FFmpegPath = ff
	}

	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("event receiver: %w", err)
	}
	r.hook = &http.Server{
		Handler:           localaws.Notifications(cfg.MediaBucket, log, r.queueNotification),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: readTimeout,
	}
	go r.hook.Serve(hookLn)

	r.stack, err = localaws.Start(ctx, localaws.Options{
		Dir:        cfg.DataDir,
		WebhookURL: "http://" + hookLn.Addr().String() + "/",
		Output:     newLogWriter(log, "local server"),
	})
	if err != nil {
		r.hook.Close()
		return nil, err
	}
	fail := func(err error) (*Runner, error) { r.Close(); return nil, err }

	s3c, ddb := r.stack.S3(), r.stack.DynamoDB()
	if err := localaws.EnsureBucket(ctx, s3c, cfg.MediaBucket, httpapi.OriginOf(cfg.PublicBaseURL)); err != nil {
		return fail(err)
	}
	if err := localaws.EnsureTracksTable(ctx, ddb, cfg.TableName); err != nil {
		return fail(err)
	}
	if err := localaws.EnsureLimitsTable(ctx, ddb, cfg.LimitsTable); err != nil {
		return fail(err)
	}
	if err := localaws.EnsureFollowersTable(ctx, ddb, cfg.Federation.FollowersTable); err != nil {
		return fail(err)
	}
	if cfg.StatsTable != "" {
		if err := localaws.EnsureStatsTable(ctx, ddb, cfg.StatsTable); err != nil {
			return fail(err)
		}
	}
	deliveries, err := localaws.EnsureQueue(ctx, r.stack.SQS(), localaws.QueueConfig{
		Name: "deliveries", MaxReceiveCount: federation.DeliveryAttempts, VisibilityTimeout: 30 * time.Second,
	})
	if err != nil {
		return fail(err)
	}
	cfg.Federation.QueueURL = deliveries.URL
	// The process queue as the template makes it: a visibility timeout six times the function's
	// (PROCESS_TIMEOUT), a dead-letter queue after process.QueueMaxReceives receives.
	processing, err := localaws.EnsureQueue(ctx, r.stack.SQS(), localaws.QueueConfig{
		Name: "process", MaxReceiveCount: process.QueueMaxReceives,
		VisibilityTimeout: (process.QueueVisibility(cfg.Track.ProcessTimeout) + time.Second - 1).Truncate(time.Second),
	})
	if err != nil {
		return fail(err)
	}
	cfg.ProcessQueueURL = processing.URL
	r.cfg = cfg
	r.processQueue = sqs.New(r.stack.SQS(), processing.URL)
	close(r.processReady)
	r.app = app.New(cfg, log, s3c, ddb)
	r.app.SQS = r.stack.SQS()
	// The actor's key, made on first use, in a file only its owner reads (Parameter Store in AWS).
	r.app.Secrets = localaws.FileSecret{Path: filepath.Join(cfg.DataDir, "actor-key.pem")}
	fed, err := r.app.Federation(ctx)
	if err != nil {
		return fail(err)
	}
	if r.proc, err = r.app.Process(); err != nil {
		return fail(err)
	}
	r.proc.Log = log.With(slog.String("function", "process"))
	// Copies of originals that a killed run left behind: no run is alive at start.
	r.proc.Media.TempDir = filepath.Join(cfg.DataDir, "tmp")
	if err := os.RemoveAll(r.proc.Media.TempDir); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(r.proc.Media.TempDir, 0o700); err != nil {
		return fail(err)
	}
	exp := r.app.Expire()
	exp.Log = log.With(slog.String("function", "expire"))
	unl := r.app.Unlister()
	unl.Log = log.With(slog.String("function", "unlist"))
	// The template's two consumers of the tracks table's stream: expire and unlist.
	stream := localaws.NewStream(cfg.TableName, localaws.Consumers(exp.Handle, unl.Handle), exp.Log)
	// Deletes by token go through a store that records them on the stream, as DynamoDB Streams
	// does; the TTL emulation records its own.
	r.app.Tracks.Store = localaws.StreamingStore{Store: r.app.Store, Stream: stream, Ctx: r.loops}
	r.rec = r.app.Reconcile()
	r.rec.Log = log.With(slog.String("function", "reconcile"))

	// What a crash left behind goes first, before any expiry runs: uploads stored while their
	// event was lost, and runs that died with the runner (it is the only processor of its data,
	// so every lease in it has lapsed).
	if _, err := r.sweep(ctx, true); err != nil {
		return fail(err)
	}
	ttl := &localaws.TTL{API: ddb, Table: cfg.TableName, Interval: cfg.TTLSweepInterval, Stream: stream, Log: log}
	r.background(func() { stream.Run(r.loops, r.ctx) })
	r.background(func() { ttl.Run(r.loops) })
	if cfg.StatsTable != "" {
		// The counters' hours and removal markers expire too (no stream reads that table).
		statsTTL := &localaws.TTL{API: ddb, Table: cfg.StatsTable, Interval: cfg.TTLSweepInterval, Log: log}
		r.background(func() { statsTTL.Run(r.loops) })
	}
	r.background(r.sweepLoop)
	// The deliver function, fed by the delivery queue as Lambda's SQS event source mapping
	// would (deliveries already queued go out even with FEDERATION=false).
	deliver := &federation.Deliverer{Service: fed}
	source := &localaws.SQSSource{
		API: r.stack.SQS(), QueueURL: deliveries.URL, QueueARN: deliveries.ARN, Handler: deliver.Handle,
		BatchSize: 10, Timeout: 30 * time.Second, Log: log.With(slog.String("function", "deliver")),
	}
	r.background(func() { source.Run(r.loops) })
	// The process function, fed by the process queue as the template's event source feeds it:
	// one message an invocation, at most PROCESS_CONCURRENCY at once, the function's timeout.
	processSource := &localaws.SQSSource{
		API: r.stack.SQS(), QueueURL: processing.URL, QueueARN: processing.ARN, Handler: r.invokeProcess,
		BatchSize: 1, MaxConcurrency: cfg.ProcessConcurrency, Timeout: cfg.Track.ProcessTimeout, Log: r.proc.Log,
	}
	r.background(func() { processSource.Run(r.loops) })
	// Objects a lost stream record left behind go at start (in AWS a daily schedule).
	if _, err := r.rec.Handle(ctx); err != nil {
		return fail(err)
	}

	mux := http.NewServeMux()
	groups := []httpapi.Group{httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages, httpapi.Sets}
	if cfg.Federation.Enabled {
		groups = append(groups, httpapi.Federation(fed))
	}
	mux.Handle("/", r.app.API().Handler(append(groups, httpapi.Site(cfg.SPADir))...))
	// The reconcile job on demand.
	mux.HandleFunc("/_local/reconcile", r.serveReconcile)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail(fmt.Errorf("listen on %s (SOUNDTIME_ADDR): %w", cfg.Addr, err))
	}
	r.URL = "http://" + ln.Addr().String()
	// A client that sends its body slowly, or not at all, is cut off.
	r.api = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := r.api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("api server", slog.Any("error", err))
		}
	}()
	log.Info("started", slog.String("url", r.URL), slog.String("s3", r.stack.S3Endpoint),
		slog.String("dynamodb", r.stack.DynamoEndpoint), slog.String("dataDir", cfg.DataDir))
	return r, nil
}

// Close stops accepting requests, lets background work finish (bounded), then stops the servers.
func (r *Runner) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r.api != nil {
		r.api.Shutdown(ctx)
	}
	if r.hook != nil {
		r.hook.Shutdown(ctx)
	}
	// The schedules and the stream consumer stop at once; an invocation under way finishes, up
	// to the deadline. A record not handed over is caught by the reconcile at the next start,
	// a run cut short by the sweep.
	r.stop()
	done := make(chan struct{})
	go func() { r.work.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.cancel()
		<-done
	}
	r.cancel()
	if r.stack != nil {
		r.stack.Close()
	}
}

// background runs fn as part of the runner's work, which Close waits for.
func (r *Runner) background(fn func()) {
	r.work.Add(1)
	go func() {
		defer r.work.Done()
		fn()
	}()
}

// queueNotification sends a bucket notification to the process queue, once it exists; the
// webhook answers Versity when this returns.
func (r *Runner) queueNotification(ctx context.Context, body []byte) error {
	select {
	case <-r.processReady:
	case <-ctx.Done():
		return ctx.Err()
	case <-r.ctx.Done():
		return errors.New("the runner is stopping")
	}
	return r.processQueue.Send(ctx, body)
}

// invokeProcess is one invocation of the process function by the process queue's event source.
// Shutting down stops the polling at once, but a run under way keeps its context until the
// shutdown deadline (Close), so that a short run finishes rather than starting over.
func (r *Runner) invokeProcess(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	n := r.running.Add(1)
	defer r.running.Add(-1)
	for p := r.peak.Load(); n > p; p = r.peak.Load() {
		if r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	r.proc.Log.Info("invocation", slog.Int64("running", n), slog.Int("maxConcurrency", r.cfg.ProcessConcurrency))
	run, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	if deadline, ok := ctx.Deadline(); ok { // the function's timeout
		var stop context.CancelFunc
		run, stop = context.WithDeadline(run, deadline)
		defer stop()
	}
	stop := context.AfterFunc(r.ctx, cancel)
	defer stop()
	return r.proc.HandleQueue(run, e)
}

// sweepLoop runs the processing backstop every SWEEP_INTERVAL, as a schedule does in AWS.
func (r *Runner) sweepLoop() {
	tick := time.NewTicker(r.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.loops.Done():
			return
		case <-tick.C:
		}
		r.sweep(r.loops, false)
	}
}

// sweep re-drives lost uploads and dead runs, sending each original's S3 event to the process
// queue as the sweep function does.
func (r *Runner) sweep(ctx context.Context, breakLeases bool) (track.SweepReport, error) {
	rep, err := r.app.Tracks.Sweep(ctx, track.SweepOptions{BreakLeases: breakLeases, Redrive: func(ctx context.Context, key string) error {
		body, err := process.RedriveMessage(r.cfg.MediaBucket, key, time.Now())
		if err != nil {
			return err
		}
		return r.processQueue.Send(ctx, body)
	}})
	if err != nil && ctx.Err() == nil {
		r.log.Error("sweep", slog.Any("error", err))
	}
	if rep != (track.SweepReport{}) {
		r.log.Info("swept", slog.Int("redriven", rep.Redriven), slog.Int("failed", rep.Failed))
	}
	return rep, err
}

func (r *Runner) serveReconcile(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	rep, err := r.rec.Handle(req.Context())
	if err != nil {
		http.Error(w, "reconcile failed; see the log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(rep)
}

// logWriter turns a child server's output lines into log records.
type logWriter struct {
	log *slog.Logger
}

func newLogWriter(log *slog.Logger, source string) io.Writer {
	return &logWriter{log: log.With(slog.String("source", source))}
}

func (w *logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			w.log.Info(line)
		}
	}
	return len(p), nil
}
