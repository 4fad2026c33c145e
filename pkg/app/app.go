// Package app is Soundtime's one composition root: configuration → clients → adapters → domain →
// handlers. Every Lambda function's main, the local runner and the benchmarks build their
// handlers here, so wiring cannot drift between AWS and `make dev`. It returns errors and never
// exits: only a main decides to.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/metrics"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
)

// App is what every function is built from.
type App struct {
	Config config.Config
	Log    *slog.Logger
	// AWS is the SDK configuration the clients were made from (the function's role in Lambda);
	// a main that needs one more client (the sweep's Lambda client) makes it from this.
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	Store    *dynamo.Store
	Bucket   *s3store.Bucket
	Tracks   *track.Service
	// Sets keeps sets of tracks in the tracks table, beside the tracks.
	Sets *track.Sets
	// Counters keep the statistics (STATS_TABLE); nil without one.
	Counters *dynamo.Counters
	// Metrics go into the log in Embedded Metric Format (METRICS_NAMESPACE).
	Metrics *metrics.Emitter
	// SQS and Secrets serve federation. Load leaves them nil: the methods that need SQS make it
	// from AWS on first use; the mains that federate set Secrets (ssm.ActorKey), so that only
	// their binaries link Parameter Store's client; the local runner sets its own.
	SQS     *sqs.Client
	Secrets federation.Secrets
}

// Load reads the configuration through getenv (os.Getenv in a function's main) for Lambda, where
// the origin, table and bucket have no default, and builds the clients from the region and
// credentials Lambda gives the function (LambdaAWS). It sets GOMAXPROCS from the function's CPU
// share (MaxProcs) first.
func Load(ctx context.Context, getenv func(string) string) (*App, error) {
	return load(getenv, func(cfg config.Config, awsCfg aws.Config) *s3store.Bucket {
		return s3store.New(s3.NewFromConfig(awsCfg, s3store.Options), cfg.MediaBucket)
	})
}

// LoadSigning is Load for a function that reads the bucket only through signed URLs (the pages):
// its Bucket signs (s3.NewSignerFromOptions) and has no client (Bucket.API is nil, and any call
// on it panics), so the binary never calls s3.New (docs/design.md, "Handlers at the floor").
func LoadSigning(ctx context.Context, getenv func(string) string) (*App, error) {
	return load(getenv, func(cfg config.Config, awsCfg aws.Config) *s3store.Bucket {
		o := s3.Options{Region: awsCfg.Region, Credentials: awsCfg.Credentials}
		s3store.Options(&o)
		return &s3store.Bucket{Sign: s3store.NewSignerFromOptions(o, cfg.MediaBucket), Name: cfg.MediaBucket}
	})
}

// load is Load and LoadSigning but for the bucket, which bucket makes: each main links only the
// bucket it uses.
func load(getenv func(string) string, bucket func(config.Config, aws.Config) *s3store.Bucket) (*App, error) {
	setMaxProcs(getenv)
	cfg, err := config.Load(getenv, config.Lambda)
	if err != nil {
		return nil, err
	}
	awsCfg, err := LambdaAWS(getenv)
	if err != nil {
		return nil, err
	}
	// Lambda's own handler: JSON when the function's LoggingConfig says so, the level it sets,
	// and the invocation's request ID on every line logged with its context.
	a := NewOn(cfg, slog.New(lambdacontext.NewLogHandler()), bucket(cfg, awsCfg), dynamodb.NewFromConfig(awsCfg))
	a.AWS = awsCfg
	return a, nil
}

// LambdaAWS is the SDK configuration of a function: the region and the credentials of its
// execution role, which Lambda puts in the environment of every function (AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) for as long as its execution
// environment lives. That is what the SDK's default chain (config.LoadDefaultConfig) finds there
// too, after looking for shared configuration files, SSO, web identity, container and instance
// credentials that a function never has: linking that chain cost every function about 2 MB of
// binary (the STS, SSO, SSO OIDC and sign-in clients) and its start-up their initialisation.
// A missing value is an error naming it: this runs only in Lambda.
func LambdaAWS(getenv func(string) string) (aws.Config, error) {
	var missing []string
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if getenv(k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return aws.Config{}, fmt.Errorf("app: %s not set: Lambda sets them for every function", strings.Join(missing, ", "))
	}
	creds := credentials.NewStaticCredentialsProvider(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))
	return aws.Config{Region: getenv("AWS_REGION"), Credentials: aws.NewCredentialsCache(creds)}, nil
}

// New builds an App on given clients: the local runner and the benchmarks pass clients of the
// local servers.
func New(cfg config.Config, log *slog.Logger, s3c *s3.Client, ddb *dynamodb.Client) *App {
	return NewOn(cfg, log, s3store.New(s3c, cfg.MediaBucket), ddb)
}

// NewOn builds an App on a given bucket: LoadSigning passes one that only signs.
func NewOn(cfg config.Config, log *slog.Logger, bucket *s3store.Bucket, ddb *dynamodb.Client) *App {
	// The store and the rest get the client's calls, never the client itself (dynamo.Client).
	db := dynamo.NewClient(ddb)
	store := dynamo.New(db, cfg.TableName)
	a := &App{Config: cfg, Log: log, DynamoDB: ddb, Store: store, Metrics: &metrics.Emitter{Namespace: cfg.MetricsNamespace, Log: log}}
	if cfg.StatsTable != "" {
		a.Counters = &dynamo.Counters{API: db, Table: cfg.StatsTable}
		store.Counters = a.Counters
	}
	a.Bucket = bucket
	a.Tracks = track.NewService(store, a.Bucket, cfg.Track)
	a.Sets = &track.Sets{Store: &dynamo.Sets{API: db, Table: cfg.TableName}, Tracks: a.Tracks}
	// The counters' hours follow the service's clock, which tests pin.
	store.Now = func() time.Time { return a.Tracks.Now() }
	return a
}

// Health checks that the table and the bucket answer.
func (a *App) Health(ctx context.Context) error {
	if _, err := a.Store.Get(ctx, "healthz0"); err != nil && !errors.Is(err, track.ErrNotFound) {
		return fmt.Errorf("table: %w", err)
	}
	if err := a.Bucket.Ping(ctx); err != nil {
		return fmt.Errorf("bucket: %w", err)
	}
	return nil
}
