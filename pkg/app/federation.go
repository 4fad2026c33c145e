package app

import (
	"context"
	"errors"
	"time"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/remote"
	"github.com/soundtime/soundtime/pkg/sqs"
	"github.com/soundtime/soundtime/pkg/track"
)

// announcing reports whether new public tracks are announced: federation on and its queue
// wired.
func (a *App) announcing() bool {
	return a.Config.Federation.Enabled && a.Config.Federation.QueueURL != ""
}

// queue is the delivery queue.
func (a *App) queue() *sqs.Queue {
	if a.SQS == nil {
		a.SQS = awssqs.NewFromConfig(a.AWS)
	}
	return sqs.New(a.SQS, a.Config.Federation.QueueURL)
}

// publisher queues announcements and withdrawals, or is nil without a delivery queue.
func (a *App) publisher() *federation.Publisher {
	if a.Config.Federation.QueueURL == "" {
		return nil
	}
	return &federation.Publisher{Queue: a.queue()}
}

// Federation returns the federation service: the actor's key loaded (made on first use), the
// followers table, the delivery queue, and a client for other servers that keeps to
// pkg/remote's rules. FEDERATION=false is the caller's to honour (the routes are not mounted).
func (a *App) Federation(ctx context.Context) (*federation.Service, error) {
	f := a.Config.Federation
	if f.QueueURL == "" || f.FollowersTable == "" {
		return nil, errors.New("app: DELIVERY_QUEUE_URL and FOLLOWERS_TABLE are required for federation")
	}
	if a.Secrets == nil {
		// The mains that federate set it (ssm.ActorKey in AWS, a file locally): pkg/app does
		// not import Parameter Store's client, which every other function would then link.
		return nil, errors.New("app: no store for the actor's key (App.Secrets)")
	}
	key, err := federation.LoadKey(ctx, a.Secrets)
	if err != nil {
		return nil, err
	}
	rc := remote.New(remote.Options{
		InsecureHTTP: f.InsecureHTTP, AllowIPs: f.AllowIPs,
		UserAgent: "Soundtime (+" + a.Config.PublicBaseURL + "/)",
	})
	svc := federation.New(federation.Config{
		BaseURL: a.Config.PublicBaseURL, Handle: f.Handle, BlockedDomains: f.BlockedDomains, RetryBase: f.RetryBase,
	}, tracksOf{a}, &dynamo.Followers{API: dynamo.NewClient(a.DynamoDB), Table: f.FollowersTable, Counters: a.Counters}, a.queue(), rc, key, a.Log)
	svc.Metrics = a.Metrics
	return svc, nil
}

// Deliverer returns the deliver function's handler.
func (a *App) Deliverer(ctx context.Context) (*federation.Deliverer, error) {
	s, err := a.Federation(ctx)
	if err != nil {
		return nil, err
	}
	return &federation.Deliverer{Service: s}, nil
}

// tracksOf is what federation reads of tracks: live ones through the service (which hides the
// expired), public ones through the table's public index.
type tracksOf struct{ a *App }

func (t tracksOf) Track(ctx context.Context, id string) (*track.Track, error) {
	return t.a.Tracks.Get(ctx, id)
}

func (t tracksOf) Public(ctx context.Context, limit int, cursor string) ([]*track.Track, string, error) {
	return t.a.Store.Public(ctx, limit, cursor, time.Now())
}

func (t tracksOf) CountPublic(ctx context.Context) (int, error) {
	return t.a.Store.CountPublic(ctx, time.Now())
}
