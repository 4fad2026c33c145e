package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/remote"
	"github.com/soundtime/soundtime/pkg/track"
)

// Deliverer is the deliver function: the delivery queue's consumer. An announce or withdraw
// message is fanned out into one deliver message per inbox (followers on one server share its
// shared inbox); a deliver message is POSTed, signed as Mastodon signs, and its result decides:
// a 2xx is done; a 410 removes the followers of that inbox; another 4xx (but 408 and 429) is
// final; anything else is retried with exponential backoff from FEDERATION_RETRY_BASE, until the
// queue's redrive policy moves it to the dead-letter queue (about two days).
type Deliverer struct {
	*Service
}

// DeliveryAttempts is how many times a delivery is tried before the queue moves it to its
// dead-letter queue (the redrive policy's maxReceiveCount, the same in the template): with
// FEDERATION_RETRY_BASE at a minute, the waits between them add up to about two days.
const DeliveryAttempts = 14

// maxBackoff is the longest an SQS message can be made to wait (its visibility timeout's cap).
const maxBackoff = 12 * time.Hour

// Backoff is how long a delivery waits after its attempt-th failure (attempt from 1): base,
// doubling, at most 12 hours.
func Backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// Handle delivers a batch, reporting the messages to retry as batch item failures (their
// visibility already set to the backoff) with a nil error.
func (d *Deliverer) Handle(ctx context.Context, e events.SQSEvent) (events.SQSEventResponse, error) {
	log := d.Log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With(slog.String("requestId", lc.AwsRequestID))
	}
	var resp events.SQSEventResponse
	for i, r := range e.Records {
		log := log.With(slog.String("messageId", r.MessageId))
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < deadlineMargin {
			// Deliveries run one after another, each up to the remote client's timeout: a batch
			// of slow inboxes would outlive the invocation, which would then fail whole and
			// send again what it had delivered. Hand the rest back at once, untried.
			for _, rest := range e.Records[i:] {
				if derr := d.Queue.Delay(ctx, rest.ReceiptHandle, 0); derr != nil {
					log.Warn("not handed back; the queue's visibility timeout applies", slog.Any("error", derr))
				}
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rest.MessageId})
			}
			log.Warn("out of time: records handed back untried", slog.Int("records", len(e.Records)-i))
			break
		}
		err := d.handle(ctx, r, log)
		if err == nil {
			continue
		}
		// Retried: after the wait the error asks for, else after the backoff of its attempt.
		attempt, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
		wait := Backoff(d.Config.RetryBase, max(attempt, 1))
		var later *retryLater
		if errors.As(err, &later) {
			wait = later.after
		}
		if derr := d.Queue.Delay(ctx, r.ReceiptHandle, wait); derr != nil {
			log.Warn("backoff not set; the queue's visibility timeout applies", slog.Any("error", derr))
		}
		log.Warn("to retry", slog.Int("attempt", attempt), slog.Duration("after", wait), slog.Any("error", err))
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: r.MessageId})
	}
	return resp, nil
}

// deadlineMargin is the time a delivery may take (the remote client's 10 s timeout) and then some
// to report the batch: a record is not started with less than this left of the invocation.
const deadlineMargin = 15 * time.Second

// retryLater asks for a retry after a given wait rather than the backoff.
type retryLater struct {
	after time.Duration
	err   error
}

func (r *retryLater) Error() string { return r.err.Error() }
func (r *retryLater) Unwrap() error { return r.err }

// notYetWait is how long an announcement waits for its track to be recorded ready: the process
// function queues it just before that write.
const notYetWait = 2 * time.Second

func (d *Deliverer) handle(ctx context.Context, r events.SQSMessage, log *slog.Logger) error {
	var m Message
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		log.Error("unreadable message dropped", slog.Any("error", err))
		return nil // retrying cannot help
	}
	switch m.Kind {
	case KindAnnounce:
		return d.announce(ctx, m.Track, log)
	case KindWithdraw:
		return d.fanOut(ctx, d.deleteOf(m.Track), log.With(slog.String("track", m.Track), slog.String("kind", m.Kind)))
	case KindDeliver:
		return d.deliver(ctx, m, log.With(slog.String("inbox", m.Inbox)))
	}
	log.Error("message of unknown kind dropped", slog.String("kind", m.Kind))
	return nil
}

// announce fans out the Create of a track that is still live, ready and public: one deleted
// or made private meanwhile is not announced.
func (d *Deliverer) announce(ctx context.Context, id string, log *slog.Logger) error {
	log = log.With(slog.String("track", id), slog.String("kind", KindAnnounce))
	t, err := d.Tracks.Track(ctx, id)
	switch {
	case errors.Is(err, track.ErrNotFound):
		log.Info("track gone: not announced")
		return nil
	case err != nil:
		return err
	case !t.Public:
		log.Info("track not public: not announced")
		return nil
	case t.Status == track.StatusProcessing:
		// The announcement is queued just before the track is recorded ready; a run that dies
		// in between leaves it processing until a retry finishes it.
		return &retryLater{after: notYetWait, err: errors.New("track not recorded ready yet")}
	case t.Status != track.StatusReady:
		log.Info("track failed: not announced")
		return nil
	}
	return d.fanOut(ctx, d.create(t), log)
}

// fanOut queues one deliver message of activity per delivery inbox of the followers.
func (d *Deliverer) fanOut(ctx context.Context, activity any, log *slog.Logger) error {
	raw, err := json.Marshal(activity)
	if err != nil {
		return fmt.Errorf("federation: encode the activity: %w", err)
	}
	seen := map[string]bool{}
	var bodies [][]byte
	err = d.Followers.List(ctx, func(f Follower) error {
		inbox := f.DeliveryInbox()
		if seen[inbox] {
			return nil
		}
		seen[inbox] = true
		b, err := json.Marshal(Message{Kind: KindDeliver, Inbox: inbox, Activity: raw})
		bodies = append(bodies, b)
		return err
	})
	if err != nil {
		return err
	}
	if len(bodies) == 0 {
		log.Info("no followers: nothing to deliver")
		return nil
	}
	if err := d.Queue.SendBatch(ctx, bodies); err != nil {
		// A retry of the whole fan-out may deliver to some inboxes twice; they take an
		// activity id once.
		return err
	}
	log.Info("fanned out", slog.Int("inboxes", len(bodies)))
	return nil
}

// deliver POSTs one activity to one inbox.
func (d *Deliverer) deliver(ctx context.Context, m Message, log *slog.Logger) error {
	status, err := d.Remote.Post(ctx, m.Inbox, activitypub.MediaType, m.Activity, func(req *http.Request, body []byte) error {
		return httpsig.Sign(req, d.KeyID(), d.Key, nil, body, d.now())
	})
	outcome := "retried"
	defer func() { d.Metrics.Emit(ctx, map[string]string{"Outcome": outcome}, metrics.C(metrics.Deliveries)) }()
	switch {
	case err == nil && status >= 200 && status < 300:
		outcome = "delivered"
		log.Info("delivered", slog.Int("status", status))
		return nil
	case err == nil && status == http.StatusGone:
		outcome = "gone"
		n, err := d.removeInbox(ctx, m.Inbox)
		log.Info("inbox gone: its followers removed", slog.Int("followers", n))
		return err
	case err == nil && status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
		outcome = "rejected"
		log.Warn("delivery refused for good", slog.Int("status", status))
		return nil
	case err != nil && permanent(err):
		outcome = "rejected"
		log.Warn("delivery impossible", slog.Any("error", err))
		return nil
	case err != nil:
		return err
	}
	return fmt.Errorf("the inbox answered %d", status)
}

// removeInbox removes the followers whose inbox or shared inbox is inbox.
func (d *Deliverer) removeInbox(ctx context.Context, inbox string) (int, error) {
	var gone []string
	err := d.Followers.List(ctx, func(f Follower) error {
		if f.Inbox == inbox || f.SharedInbox == inbox {
			gone = append(gone, f.Actor)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, a := range gone {
		if err := d.Followers.Remove(ctx, a); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// permanent reports whether a delivery error is one no retry fixes: the inbox is not somewhere
// we may send to.
func permanent(err error) bool {
	return errors.Is(err, remote.ErrForbiddenAddress) || errors.Is(err, remote.ErrScheme) || errors.Is(err, remote.ErrTooManyRedirects)
}
