// Package federation announces public tracks on ActivityPub. One instance actor (a Service,
// @tracks@HOST) is followed by fediverse users; each public track that becomes ready is sent to
// its followers' servers as a Create{Note} whose link unfurls into the embed player, and
// withdrawn with a Delete when the track goes. The Service builds our documents (WebFinger,
// NodeInfo, actor, outbox, notes) and handles the inbox; the Deliverer (deliver.go) fans
// activities out and delivers them, from a queue.
//
// Everything that comes from another server is hostile: requests are verified as Mastodon
// verifies them (pkg/httpsig), every fetch and delivery goes through pkg/remote (https only, no
// private addresses, bounded), and no activity can change a track.
package federation

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/soundtime/soundtime/pkg/metrics"
	"github.com/soundtime/soundtime/pkg/remote"
	"github.com/soundtime/soundtime/pkg/track"
)

// Config is what the service needs of the configuration (FEDERATION_*).
type Config struct {
	BaseURL        string   // PUBLIC_BASE_URL, no trailing slash
	Handle         string   // FEDERATION_HANDLE
	BlockedDomains []string // FEDERATION_BLOCKED_DOMAINS, lower case
	// RetryBase is the first retry delay of a failed delivery (FEDERATION_RETRY_BASE).
	RetryBase time.Duration
}

// Tracks is what federation reads of tracks: one live track, and the live public ready ones.
type Tracks interface {
	// Track returns a live track, or track.ErrNotFound.
	Track(ctx context.Context, id string) (*track.Track, error)
	// Public returns up to limit live ready public tracks, newest first, from cursor, and the
	// next page's cursor ("" after the last).
	Public(ctx context.Context, limit int, cursor string) ([]*track.Track, string, error)
	// CountPublic counts the live ready public tracks.
	CountPublic(ctx context.Context) (int, error)
}

// Service is the federation service.
type Service struct {
	Config    Config
	Tracks    Tracks
	Followers Followers
	Queue     Queue
	Remote    *remote.Client
	// Key is the actor's private key (LoadKey).
	Key *rsa.PrivateKey
	Log *slog.Logger
	Now func() time.Time
	// Metrics, when set, records each delivery's outcome.
	Metrics *metrics.Emitter

	keys *keyCache
}

// New returns a Service on the real clock.
func New(cfg Config, tracks Tracks, followers Followers, queue Queue, rc *remote.Client, key *rsa.PrivateKey, log *slog.Logger) *Service {
	return &Service{Config: cfg, Tracks: tracks, Followers: followers, Queue: queue, Remote: rc, Key: key, Log: log,
		Now: time.Now, keys: newKeyCache(keyCacheSize)}
}

// Errors of the service, mapped to HTTP statuses by the handlers.
var (
	// ErrNotFound: no such account, track or document (404).
	ErrNotFound = errors.New("federation: not found")
	// ErrBadRequest: the request lacks what it needs, or is not an activity (400).
	ErrBadRequest = errors.New("federation: bad request")
	// ErrUnauthorized: the inbox request is not signed as we require (401).
	ErrUnauthorized = errors.New("federation: signature refused")
)

// Host is the host of PUBLIC_BASE_URL, with its port when it has one: the HOST of @tracks@HOST.
func (s *Service) Host() string {
	u, err := url.Parse(s.Config.BaseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// IRIs of our documents, all under BASE/ap/.
func (s *Service) ActorID() string         { return s.Config.BaseURL + "/ap/actor" }
func (s *Service) KeyID() string           { return s.ActorID() + "#main-key" }
func (s *Service) InboxID() string         { return s.Config.BaseURL + "/ap/inbox" }
func (s *Service) OutboxID() string        { return s.Config.BaseURL + "/ap/outbox" }
func (s *Service) FollowersID() string     { return s.Config.BaseURL + "/ap/followers" }
func (s *Service) FollowingID() string     { return s.Config.BaseURL + "/ap/following" }
func (s *Service) NoteID(id string) string { return s.Config.BaseURL + "/ap/tracks/" + id }
func (s *Service) CreateID(id string) string {
	return s.NoteID(id) + "/activity"
}

// Account is @handle@host, as fediverse users type it to follow.
func (s *Service) Account() string { return "@" + s.Config.Handle + "@" + s.Host() }

// blocked reports whether host is a blocked domain or a subdomain of one.
func (s *Service) blocked(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(hostOnly(host), "."))
	for _, d := range s.Config.BlockedDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// hostOnly drops a port.
func hostOnly(hostport string) string {
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		return hostport[:i]
	}
	return strings.Trim(hostport, "[]")
}

// hostOf returns the host of an absolute IRI, or "".
func hostOf(iri string) string {
	u, err := url.Parse(iri)
	if err != nil || !u.IsAbs() {
		return ""
	}
	return u.Host
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// shortHash is a short, stable name derived from s (for ids of our replies).
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}
