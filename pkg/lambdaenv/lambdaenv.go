// Package lambdaenv builds what every function's main needs from its environment: the
// configuration, a JSON logger and the AWS clients. It keeps each main to its wiring.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/process"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
)

// Env is a function's dependencies.
type Env struct {
	Config config.Config
	AWS    aws.Config
	Log    *slog.Logger
	Tracks *track.Service
	Store  *dynamo.Store
	Bucket *s3store.Bucket
}

// Load reads the configuration and builds the clients. A configuration error ends the process
// at start, with the offending names in the log, before Lambda sends any event.
func Load(ctx context.Context) *Env {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	cfg, err := config.Load(os.Getenv, config.Lambda)
	if err != nil {
		log.Error("bad configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		log.Error("aws configuration", slog.String("error", err.Error()))
		os.Exit(1)
	}
	env := New(cfg, log, s3.NewFromConfig(awsCfg, s3store.Options), dynamodb.NewFromConfig(awsCfg))
	env.AWS = awsCfg
	return env
}

// New builds an Env on given clients; the local runner passes clients of the local servers.
func New(cfg config.Config, log *slog.Logger, s3c *s3.Client, ddb *dynamodb.Client) *Env {
	store := dynamo.New(ddb, cfg.TableName)
	bucket := s3store.New(s3c, cfg.MediaBucket)
	return &Env{Config: cfg, Log: log, Store: store, Bucket: bucket, Tracks: track.NewService(store, bucket, cfg.Track)}
}

// API returns the HTTP server of the API functions and the runner. Starting uploads is limited
// per viewer by a token bucket in the process (cheap, per warm instance) and, with a
// LIMITS_TABLE, by a count in that table that every instance shares.
func (e *Env) API() *httpapi.Server {
	limit := httpapi.Limiters{httpapi.NewTokenBucket(httpapi.UploadsPerMinute, httpapi.UploadBurst)}
	if e.Config.LimitsTable != "" {
		limit = append(limit, dynamo.NewLimiter(e.Store.API, e.Config.LimitsTable, httpapi.UploadsPerMinute))
	}
	return &httpapi.Server{
		Tracks: e.Tracks, BaseURL: e.Config.PublicBaseURL, Log: e.Log, Health: e.Health,
		Limit: limit, OriginSecret: e.Config.OriginSecret,
		MaxDuration: e.Config.MaxDuration, MediaOrigin: e.mediaOrigin(),
	}
}

// mediaOrigin is the origin of the bucket's signed URLs, which the pages' CSP allows. Signing is
// local (no request), so this costs nothing at start.
func (e *Env) mediaOrigin() string {
	p, err := e.Bucket.PresignGet(context.Background(), "origin-probe", track.GetOptions{}, time.Minute)
	if err != nil {
		e.Log.Warn("cannot learn the media origin; pages allow only their own", slog.String("error", err.Error()))
		return ""
	}
	return httpapi.OriginOf(p.URL)
}

// ProcessMedia returns the process function's media settings: ffmpeg from FFMPEG_PATH (the
// layer's /opt/bin/ffmpeg in Lambda), temporary files in TMPDIR (Lambda's /tmp).
func (e *Env) ProcessMedia() (process.Media, error) {
	ff, err := media.FFmpegPath()
	if err != nil {
		return process.Media{}, err
	}
	return process.Media{
		FFmpeg: ff, SegmentSeconds: e.Config.SegmentSeconds, MaxDuration: e.Config.MaxDuration,
		Timeout: 14 * time.Minute, TempDir: os.TempDir(), Uploads: 16,
	}, nil
}

// Health checks that the table and the bucket answer.
func (e *Env) Health(ctx context.Context) error {
	if _, err := e.Store.Get(ctx, "healthz0"); err != nil && !errors.Is(err, track.ErrNotFound) {
		return fmt.Errorf("table: %w", err)
	}
	if err := e.Bucket.Ping(ctx); err != nil {
		return fmt.Errorf("bucket: %w", err)
	}
	return nil
}
