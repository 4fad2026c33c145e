package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Messages of the delivery queue. Announcing a track to N followers is never done in the
// request (or the processing run) that made it ready: one message says "announce", the deliver
// function fans it out into one "deliver" message per inbox (a shared inbox once for all its
// server's followers), and each of those is delivered, retried with backoff and dead-lettered
// on its own.
const (
	KindAnnounce = "announce" // a public track became ready: send its Create to every follower
	KindWithdraw = "withdraw" // an announced track is gone: send the Delete of its Note
	KindDeliver  = "deliver"  // one activity to one inbox
)

// Message is one delivery queue message.
type Message struct {
	Kind     string          `json:"kind"`
	Track    string          `json:"track,omitempty"`    // announce, withdraw
	Inbox    string          `json:"inbox,omitempty"`    // deliver
	Activity json.RawMessage `json:"activity,omitempty"` // deliver
}

// Queue is the delivery queue (SQS in AWS and under make dev).
type Queue interface {
	Send(ctx context.Context, body []byte) error
	// SendBatch sends every body, in batches as the queue allows.
	SendBatch(ctx context.Context, bodies [][]byte) error
	// Delay makes the received message with receiptHandle visible again only after d: the
	// backoff of a failed delivery.
	Delay(ctx context.Context, receiptHandle string, d time.Duration) error
}

// Publisher queues announcements and withdrawals: what the process and expire functions need
// of federation, and nothing more (they hold no key and fetch nothing).
type Publisher struct {
	Queue Queue
}

// Announce queues the announcement of t, a public track about to be recorded ready.
func (p Publisher) Announce(ctx context.Context, t *track.Track) error {
	return p.send(ctx, Message{Kind: KindAnnounce, Track: t.ID})
}

// Withdraw queues the withdrawal of the announced track id, which is gone.
func (p Publisher) Withdraw(ctx context.Context, id string) error {
	return p.send(ctx, Message{Kind: KindWithdraw, Track: id})
}

func (p Publisher) send(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("federation: encode a %s message: %w", m.Kind, err)
	}
	if err := p.Queue.Send(ctx, body); err != nil {
		return fmt.Errorf("federation: queue the %s of %s: %w", m.Kind, m.Track, err)
	}
	return nil
}
