package federation

import (
	"container/list"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/httpsig"
)

// MaxInboxBytes caps an inbox request's body: the handler refuses a larger one (413) before
// parsing anything.
const MaxInboxBytes = 1 << 20

// Inbox handles a POST to the inbox (ours and the shared one are the same): r as received, with
// r.Host set to our public host by the caller (a proxy in front may have rewritten it), and its
// body, read and capped. It verifies the request as Mastodon verifies one (pkg/httpsig's policy,
// the key fetched from its keyId with a signed GET and cached, re-fetched once when a cached key
// fails, the key's owner the activity's actor), then acts on it:
//
//   - Follow of our actor: the follower is stored (a repeated Follow keeps one), and an Accept
//     carrying the Follow is queued for its inbox; a Follow from a blocked domain is stored
//     nowhere and answered with a queued Reject.
//   - Undo of a Follow: the follower is removed. Delete of an actor: that follower is removed.
//   - Anything else: accepted and ignored. No activity can change a track.
//
// Errors: ErrUnauthorized (401), ErrBadRequest (400; JSON that is not an activity), or another
// error for what a retry by the sender may fix (a table or queue that did not answer).
func (s *Service) Inbox(ctx context.Context, r *http.Request, body []byte) error {
	sig, err := httpsig.Parse(r, body, s.now())
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	act, err := activitypub.DecodeActivity(body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	actor := act.Actor.ID
	if act.Type != "Follow" && (s.blocked(hostOf(actor)) || s.blocked(hostOf(sig.KeyID))) {
		// A blocked domain gets no work done, not even a fetch of its key, except for a
		// Follow: that is verified like any other, then refused with a Reject.
		s.Log.Info("activity from a blocked domain ignored", slog.String("activity", act.Type), slog.String("actor", actor))
		return nil
	}
	key, err := s.verify(ctx, sig)
	if err != nil {
		return err
	}
	if key.owner != actor {
		return fmt.Errorf("%w: key %s belongs to %s, not to the activity's actor %s", ErrUnauthorized, sig.KeyID, key.owner, actor)
	}
	log := s.Log.With(slog.String("activity", act.Type), slog.String("actor", actor))
	switch act.Type {
	case "Follow":
		if act.Object.ID != s.ActorID() {
			log.Info("follow of someone else ignored", slog.String("object", act.Object.ID))
			return nil
		}
		return s.follow(ctx, act, key, log)
	case "Undo":
		if act.Object.Type == "Follow" || act.Object.Type == "" {
			return s.unfollow(ctx, act, log)
		}
	case "Delete":
		if act.Object.ID == actor {
			log.Info("actor deleted; follower removed")
			return s.Followers.Remove(ctx, actor)
		}
	}
	log.Info("activity accepted and ignored")
	return nil
}

// follow stores the follower of act and queues the Accept, or, from a blocked domain, only the
// Reject.
func (s *Service) follow(ctx context.Context, act *activitypub.Activity, key *remoteKey, log *slog.Logger) error {
	actor := act.Actor.ID
	inbox, shared, err := s.inboxes(ctx, actor, key)
	if err != nil {
		// Without its inbox there is nobody to answer: the sender may retry the Follow.
		return fmt.Errorf("federation: the inbox of %s: %w", actor, err)
	}
	if s.blocked(hostOf(actor)) {
		log.Info("follow from a blocked domain refused")
		return s.reply(ctx, "Reject", act, inbox)
	}
	if err := s.Followers.Put(ctx, Follower{Actor: actor, Inbox: inbox, SharedInbox: shared, FollowID: act.ID, Since: s.now().UTC()}); err != nil {
		return err
	}
	log.Info("follower stored")
	return s.reply(ctx, "Accept", act, inbox)
}

// reply queues an Accept or a Reject of the Follow act, carrying it whole (Mastodon ignores an
// Accept whose object it cannot match), for the follower's own inbox.
func (s *Service) reply(ctx context.Context, kind string, act *activitypub.Activity, inbox string) error {
	var doc any
	id := s.ActorID() + "#" + strings.ToLower(kind) + "s/" + shortHash(act.ID+act.Actor.ID)
	switch kind {
	case "Accept":
		doc = &activitypub.Accept{Context: activitypub.ActivityStreams, ID: id, Type: kind, Actor: s.ActorID(), To: []string{act.Actor.ID}, Object: act}
	default:
		doc = &activitypub.Reject{Context: activitypub.ActivityStreams, ID: id, Type: kind, Actor: s.ActorID(), To: []string{act.Actor.ID}, Object: act}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("federation: encode the %s: %w", kind, err)
	}
	body, err := json.Marshal(Message{Kind: KindDeliver, Inbox: inbox, Activity: raw})
	if err != nil {
		return err
	}
	return s.Queue.Send(ctx, body)
}

// unfollow removes the follower an Undo{Follow} names: the Undo's actor is the follower, and an
// embedded Follow must be the follower's own.
func (s *Service) unfollow(ctx context.Context, act *activitypub.Activity, log *slog.Logger) error {
	if act.Object.Embedded() {
		var follow activitypub.Activity
		if err := json.Unmarshal(act.Object.Raw, &follow); err != nil {
			return fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if follow.Actor.ID != "" && follow.Actor.ID != act.Actor.ID {
			log.Info("undo of someone else's follow ignored")
			return nil
		}
		if follow.Object.ID != "" && follow.Object.ID != s.ActorID() {
			log.Info("undo of a follow of someone else ignored")
			return nil
		}
	}
	log.Info("follower removed")
	return s.Followers.Remove(ctx, act.Actor.ID)
}

// inboxes returns the inbox and shared inbox of actor. The key document already is the actor
// when the keyId is "<actor>#main-key" (Mastodon); GoToSocial's "<actor>/main-key" serves a
// minimal actor without an inbox, so the actor is fetched, signed.
func (s *Service) inboxes(ctx context.Context, actor string, key *remoteKey) (inbox, shared string, err error) {
	a := key.actor
	if a == nil || a.ID != actor || a.Inbox == "" {
		doc, err := s.Remote.GetJSON(ctx, actor, s.signGET)
		if err != nil {
			return "", "", err
		}
		if a, err = activitypub.DecodeActor(doc.Body); err != nil {
			return "", "", err
		}
		if a.ID != actor {
			return "", "", fmt.Errorf("federation: %s serves the actor %s", actor, a.ID)
		}
	}
	if a.Inbox == "" || hostOf(a.Inbox) == "" {
		return "", "", fmt.Errorf("federation: %s has no inbox", actor)
	}
	if a.Endpoints != nil && hostOf(a.Endpoints.SharedInbox) == hostOf(a.Inbox) {
		shared = a.Endpoints.SharedInbox
	}
	return a.Inbox, shared, nil
}

// signGET signs our fetches of actors and keys (servers such as GoToSocial answer 401 to
// unsigned ones).
func (s *Service) signGET(req *http.Request, body []byte) error {
	return httpsig.Sign(req, s.KeyID(), s.Key, nil, body, s.now())
}

// keyRefetchAfter is how old a cached key must be before a signature it fails to verify makes us
// fetch it again: anyone can forge a request naming any keyId, and without it each forgery would
// cost a fetch from the key's server. A real rotation waits at most this long; senders retry.
const keyRefetchAfter = time.Minute

// verify checks sig with the key it names: from the cache, else fetched; a cached key that fails
// is fetched again once (the actor may have rotated it) if it was fetched keyRefetchAfter ago.
func (s *Service) verify(ctx context.Context, sig *httpsig.Signature) (*remoteKey, error) {
	k, cached := s.keys.get(sig.KeyID, s.now())
	if !cached {
		var err error
		if k, err = s.fetchKey(ctx, sig.KeyID); err != nil {
			return nil, fmt.Errorf("%w: key %s: %w", ErrUnauthorized, sig.KeyID, err)
		}
	}
	err := sig.Verify(k.pub)
	if err != nil && cached && s.now().Sub(k.fetched) >= keyRefetchAfter {
		if k, err = s.fetchKey(ctx, sig.KeyID); err != nil {
			return nil, fmt.Errorf("%w: key %s: %w", ErrUnauthorized, sig.KeyID, err)
		}
		err = sig.Verify(k.pub)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	return k, nil
}

// remoteKey is another server's key as we fetched it.
type remoteKey struct {
	pub     *rsa.PublicKey
	owner   string
	actor   *activitypub.Actor // the document at the keyId, when it is an actor
	fetched time.Time
}

// fetchKey fetches the key keyID (signed) and caches it.
func (s *Service) fetchKey(ctx context.Context, keyID string) (*remoteKey, error) {
	url, _, _ := strings.Cut(keyID, "#")
	doc, err := s.Remote.GetJSON(ctx, url, s.signGET)
	if err != nil {
		return nil, err
	}
	pk, err := activitypub.FindKey(doc.Body, keyID)
	if err != nil {
		return nil, err
	}
	if hostOf(pk.Owner) != hostOf(keyID) {
		return nil, fmt.Errorf("the key's owner %s is on another host than the key", pk.Owner)
	}
	pub, err := httpsig.ParsePublicKeyPEM(pk.PublicKeyPem)
	if err != nil {
		return nil, err
	}
	k := &remoteKey{pub: pub, owner: pk.Owner, fetched: s.now()}
	if a, err := activitypub.DecodeActor(doc.Body); err == nil {
		k.actor = a
	}
	s.keys.put(keyID, k)
	return k, nil
}

// The key cache: bounded in size (least recently used goes first), and each entry trusted for a
// while only, so a key a server rotates is picked up.
const (
	keyCacheSize = 1024
	keyCacheTTL  = 12 * time.Hour
)

type keyCache struct {
	mu      sync.Mutex
	max     int
	order   *list.List // front: most recently used
	entries map[string]*list.Element
}

type keyEntry struct {
	id  string
	key *remoteKey
}

func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *keyCache) get(id string, now time.Time) (*remoteKey, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[id]
	if !ok {
		return nil, false
	}
	e := el.Value.(*keyEntry)
	if now.Sub(e.key.fetched) > keyCacheTTL {
		c.order.Remove(el)
		delete(c.entries, id)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.key, true
}

func (c *keyCache) put(id string, k *remoteKey) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[id]; ok {
		el.Value.(*keyEntry).key = k
		c.order.MoveToFront(el)
		return
	}
	c.entries[id] = c.order.PushFront(&keyEntry{id: id, key: k})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.entries, last.Value.(*keyEntry).id)
	}
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
