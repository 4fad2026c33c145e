package federation

import (
	"context"
	"time"
)

// Follower is a remote actor that follows ours.
type Follower struct {
	Actor       string // the follower's actor id
	Inbox       string // its own inbox
	SharedInbox string // its server's shared inbox, "" when it has none
	FollowID    string // the id of its Follow, which its Undo names
	Since       time.Time
}

// DeliveryInbox is where an activity for f goes: its server's shared inbox when it has one, so
// that one delivery reaches every follower on that server.
func (f Follower) DeliveryInbox() string {
	if f.SharedInbox != "" {
		return f.SharedInbox
	}
	return f.Inbox
}

// Followers is the table of followers. Implementations translate their own errors.
type Followers interface {
	// Put stores f, replacing a follower with the same actor: a second Follow from an actor
	// leaves one follower.
	Put(ctx context.Context, f Follower) error
	// Remove deletes the follower actor; a missing one is not an error.
	Remove(ctx context.Context, actor string) error
	// List calls fn with every follower; an error from fn stops it.
	List(ctx context.Context, fn func(Follower) error) error
	// Count returns how many followers there are.
	Count(ctx context.Context) (int, error)
}
