package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/soundtime/soundtime/pkg/config"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/lambdaenv"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/process"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
)

// Runner is a running local stack.
type Runner struct {
	URL string // where the API listens

	cfg   config.Config
	log   *slog.Logger
	stack *localaws.Stack
	env   *lambdaenv.Env
	api   *http.Server
	hook  *http.Server
	proc  *process.Handler

	expire *expire.Handler
	stream chan events.DynamoDBEventRecord
	seq    dynamo.SequenceNumbers

	work   sync.WaitGroup  // background invocations and loops
	ctx    context.Context // invocations: cancelled at the shutdown deadline
	cancel context.CancelFunc
	loops  context.Context // the sweeper and the stream consumer: cancelled first
	stop   context.CancelFunc
}

// Start brings the stack up: the event receiver first (Versity posts a test event at start),
// then the servers, the bucket and table (idempotently, so state survives restarts), then the API.
func Start(ctx context.Context, cfg config.Config, log *slog.Logger) (*Runner, error) {
	r := &Runner{cfg: cfg, log: log}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.loops, r.stop = context.WithCancel(r.ctx)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}

	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("event receiver: %w", err)
	}
	r.hook = &http.Server{Handler: http.HandlerFunc(r.receiveS3Events), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: readTimeout}
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
	if err := s3store.EnsureBucket(ctx, s3c, cfg.MediaBucket, origin(cfg.PublicBaseURL)); err != nil {
		return fail(err)
	}
	if err := dynamo.EnsureTable(ctx, ddb, cfg.TableName); err != nil {
		return fail(err)
	}
	if err := dynamo.EnsureLimitsTable(ctx, ddb, cfg.LimitsTable); err != nil {
		return fail(err)
	}
	r.env = lambdaenv.New(cfg, log, s3c, ddb)
	pm, err := r.env.ProcessMedia()
	if err != nil {
		return fail(err)
	}
	// Copies of originals that a killed run left behind: no run is alive at start.
	pm.TempDir = filepath.Join(cfg.DataDir, "tmp")
	if err := os.RemoveAll(pm.TempDir); err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(pm.TempDir, 0o700); err != nil {
		return fail(err)
	}
	r.proc = &process.Handler{Tracks: r.env.Tracks, Blobs: r.env.Bucket, Log: log.With(slog.String("function", "process")), Bucket: cfg.MediaBucket, Media: pm}
	r.expire = &expire.Handler{Blobs: r.env.Bucket, Log: log.With(slog.String("function", "expire"))}
	r.env.Tracks.Store = recordingStore{Store: r.env.Store, emit: r.emit}
	r.stream = make(chan events.DynamoDBEventRecord, 1024)
	// What a crash left behind goes first, before any expiry runs: uploads stored while their
	// event was lost, and runs that died with the runner (it is the only processor of its
	// data, so every lease in it is lapsed now).
	if _, err := r.sweepOnce(ctx, true); err != nil {
		return fail(err)
	}
	r.work.Add(3)
	go r.consumeStream()
	go r.ttlSweep()
	go r.sweepLoop()
	// Leftovers of a crash (a record lost when the runner stopped) go at start.
	if _, err := r.reconcile(ctx); err != nil {
		return fail(err)
	}

	srv := r.env.API()
	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages, httpapi.Site(cfg.SPADir)))
	// The reconcile job on demand; in AWS an EventBridge schedule runs it.
	mux.HandleFunc("/_local/reconcile", r.serveReconcile)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fail(fmt.Errorf("listen on %s (SOUNDTIME_ADDR): %w", cfg.Addr, err))
	}
	r.URL = "http://" + ln.Addr().String()
	// A client that sends its body slowly, or not at all, is cut off: request bodies are small.
	r.api = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: readTimeout, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := r.api.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("api server", slog.String("error", err.Error()))
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
	// The sweeper and the stream consumer stop at once; an invocation under way finishes, up to
	// the deadline. A record not handed over is caught by the reconcile at the next start.
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

// readTimeout bounds reading a whole request, body included: the API's bodies are a few hundred
// bytes of JSON, and the uploads go to storage, not here.
const readTimeout = 15 * time.Second

// sweepLoop runs the processing backstop every SWEEP_INTERVAL, as a schedule does in AWS.
func (r *Runner) sweepLoop() {
	defer r.work.Done()
	tick := time.NewTicker(r.cfg.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.loops.Done():
			return
		case <-tick.C:
		}
		r.sweepOnce(r.loops, false)
	}
}

// sweepOnce re-drives lost uploads and dead runs, handing each original to the process function
// in the background as its S3 event would.
func (r *Runner) sweepOnce(ctx context.Context, breakLeases bool) (track.SweepReport, error) {
	rep, err := r.env.Tracks.Sweep(ctx, track.SweepOptions{BreakLeases: breakLeases, Redrive: r.redrive})
	if err != nil && ctx.Err() == nil {
		r.log.Error("sweep", slog.Any("error", err))
	}
	if rep != (track.SweepReport{}) {
		r.log.Info("swept", slog.Int("redriven", rep.Redriven), slog.Int("failed", rep.Failed))
	}
	return rep, err
}

func (r *Runner) redrive(_ context.Context, key string) error {
	e, err := process.Event(r.cfg.MediaBucket, key, 0, time.Now())
	if err != nil {
		return err
	}
	r.work.Add(1)
	go func() {
		defer r.work.Done()
		r.invokeAsync("process", func(ctx context.Context) error { return r.proc.Handle(ctx, e) })
	}()
	return nil
}

// origin returns the scheme://host[:port] of a URL, the form CORS rules compare.
func origin(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	return u.Scheme + "://" + u.Host
}
