package app

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/process"
	"github.com/soundtime/soundtime/pkg/sqs"
	"github.com/soundtime/soundtime/pkg/track"
)

// API returns the HTTP server of the API functions and the runner. Starting uploads is limited
// per viewer by a token bucket in the process (cheap, per warm instance) and, with a
// LIMITS_TABLE, by a count in that table that every instance shares.
func (a *App) API() *httpapi.Server {
	limit := httpapi.Limiters{httpapi.NewTokenBucket(httpapi.UploadsPerMinute, httpapi.UploadBurst)}
	if a.Config.LimitsTable != "" {
		limit = append(limit, dynamo.NewLimiter(a.Store.API, a.Config.LimitsTable, httpapi.UploadsPerMinute))
	}
	s := &httpapi.Server{
		Tracks: a.Tracks, BaseURL: a.Config.PublicBaseURL, Log: a.Log, Health: a.Health,
		Limit: limit, OriginSecret: a.Config.OriginSecret, Fediverse: a.fediverse(),
		MaxDuration: a.Config.MaxDuration, MediaOrigin: a.mediaOrigin(), Metrics: a.Metrics,
		Sets: a.Sets,
	}
	if a.Counters != nil {
		s.Stats = a.Counters
	}
	return s
}

// Process returns the process function's handler: ffmpeg from FFMPEG_PATH, temporary files in
// TMPDIR (Lambda's /tmp), a run bounded by PROCESS_TIMEOUT less the time to publish.
func (a *App) Process() (*process.Handler, error) {
	if a.Config.FFmpegPath == "" {
		return nil, errors.New("app: FFMPEG_PATH is required by the process function")
	}
	h := &process.Handler{
		Tracks: a.Tracks, Blobs: a.Bucket, Log: a.Log, Bucket: a.Config.MediaBucket, Metrics: a.Metrics,
		Media: process.Media{
			FFmpeg: a.Config.FFmpegPath, SegmentSeconds: a.Config.SegmentSeconds, MaxDuration: a.Config.MaxDuration,
			Timeout: runTimeout(a.Config.Track.ProcessTimeout), TempDir: os.TempDir(), Uploads: 16,
		},
	}
	if p := a.publisher(); p != nil && a.announcing() {
		h.Announce = p.Announce
	}
	return h, nil
}

// Sweeper returns the sweep function's handler; send sends a message to the process queue (in
// AWS ProcessQueue().Send, the local runner its own queue's).
func (a *App) Sweeper(send func(ctx context.Context, body []byte) error) *process.Sweeper {
	return &process.Sweeper{Tracks: a.Tracks, Bucket: a.Config.MediaBucket, Log: a.Log, Send: send, Metrics: a.Metrics}
}

// ProcessQueue is the process queue (PROCESS_QUEUE_URL), through the SQS client (made from AWS
// on first use).
func (a *App) ProcessQueue() *sqs.Queue {
	if a.SQS == nil {
		a.SQS = awssqs.NewFromConfig(a.AWS)
	}
	return sqs.New(a.SQS, a.Config.ProcessQueueURL)
}

// Expire returns the expire function's handler.
func (a *App) Expire() *expire.Handler {
	h := &expire.Handler{Blobs: a.Bucket, Log: a.Log}
	if c := a.Counters; c != nil {
		h.CountExpired = func(ctx context.Context, image map[string]events.DynamoDBAttributeValue) error {
			old, err := dynamo.FromStream(image)
			if err != nil {
				return err
			}
			_, err = c.Removed(ctx, old, a.Tracks.Now())
			return err
		}
	}
	// Withdrawals go out even with FEDERATION=false: what was announced is taken back when the
	// track goes.
	if p := a.publisher(); p != nil {
		h.Withdraw = p.Withdraw
	}
	return h
}

// Unlister returns the unlist function's handler: the tracks table's second stream consumer,
// which drops gone tracks from their sets.
func (a *App) Unlister() *expire.Unlister {
	return &expire.Unlister{Unlist: a.Sets.Unlist, Log: a.Log}
}

// Reconcile returns the reconcile function's handler.
func (a *App) Reconcile() *expire.Reconciler {
	return &expire.Reconciler{Store: a.Store, Blobs: a.Bucket, Log: a.Log}
}

// mediaOrigin is the origin of the bucket's signed URLs, which the pages' CSP allows. Signing is
// local (no request), so this costs nothing at start.
func (a *App) mediaOrigin() string {
	p, err := a.Bucket.PresignGet(context.Background(), "origin-probe", track.GetOptions{}, time.Minute)
	if err != nil {
		a.Log.Warn("cannot learn the media origin; pages allow only their own", slog.Any("error", err))
		return ""
	}
	return httpapi.OriginOf(p.URL)
}

// runTimeout bounds one ffmpeg run: the run's time less a minute to publish its outputs.
func runTimeout(process time.Duration) time.Duration {
	return max(process-time.Minute, process/2)
}

// fediverse is the actor's account, @handle@host, when federation is on; "" otherwise.
func (a *App) fediverse() string {
	if !a.Config.Federation.Enabled {
		return ""
	}
	u, err := url.Parse(a.Config.PublicBaseURL)
	if err != nil {
		return ""
	}
	return "@" + a.Config.Federation.Handle + "@" + u.Host
}
