package federation_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

// Activities as Mastodon writes them (pkg/activitypub/testdata/incoming has real ones).

func mastodonFollow(a *remoteActor, object string) []byte {
	return fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Follow","actor":%q,"object":%q}`,
		a.id+"#follows/3046", a.id, object)
}

func mastodonUndo(a *remoteActor, follow []byte) []byte {
	return fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Undo","actor":%q,"object":%s}`,
		a.id+"#follows/3046/undo", a.id, follow)
}

// Activities as GoToSocial v0.18.3 writes them (pkg/httpsig/testdata has real ones): keys in
// alphabetical order, a lone recipient as a string, the Follow embedded in its Undo without its
// @context.

func gtsFollow(a *remoteActor, object string) []byte {
	return fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","actor":%q,"id":%q,"object":%q,"to":%q,"type":"Follow"}`,
		a.id, a.id+"/follow/01P20BJCMTD6310QZ1Z82KRMZP", object, object)
}

func gtsUndo(a *remoteActor, object string) []byte {
	follow := fmt.Sprintf(`{"actor":%q,"id":%q,"object":%q,"to":%q,"type":"Follow"}`,
		a.id, a.id+"/follow/01P20BJCMTD6310QZ1Z82KRMZP", object, object)
	return fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","actor":%q,"id":%q,"object":%s,"to":%q,"type":"Undo"}`,
		a.id, a.id[:strings.Index(a.id, "/users/")]+"/01C3WWH16594JK8C82A5MZFXB8", follow, object)
}

// styles are the two ways servers sign and shape what they send to an inbox.
var styles = []struct {
	name   string
	actor  func(f *fakeRemote, key string) *remoteActor
	follow func(a *remoteActor, object string) []byte
	undo   func(a *remoteActor, object string) []byte
	post   func(e *env, t *testing.T, a *remoteActor, body []byte, s signing) *http.Request
	// fetches are the requests a first Follow makes of the sender's server.
	fetches []string
}{
	{
		name: "Mastodon rsa-sha256",
		actor: func(f *fakeRemote, key string) *remoteActor {
			return f.mastodonActor("alice", remoteKey(f.t, key))
		},
		follow: mastodonFollow,
		undo:   func(a *remoteActor, object string) []byte { return mastodonUndo(a, mastodonFollow(a, object)) },
		post:   (*env).mastodonPost,
		// The keyId's document is the actor: one fetch gives the key and the inbox.
		fetches: []string{"GET /users/alice"},
	},
	{
		name: "GoToSocial hs2019",
		actor: func(f *fakeRemote, key string) *remoteActor {
			return f.gtsActor("bob", remoteKey(f.t, key))
		},
		follow: gtsFollow,
		undo:   gtsUndo,
		post:   (*env).gtsPost,
		// The keyId's document is a minimal actor without an inbox: the actor is fetched, signed.
		fetches: []string{"GET /users/bob/main-key", "GET /users/bob"},
	},
}

// wantAccepted fails unless rec is the inbox's 202.
func wantAccepted(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202: %s", rec.Code, rec.Body)
	}
}

// wantStatus checks an error answer: its status and the code of its JSON body.
func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d: %s", rec.Code, status, rec.Body)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error.Code != code || body.Error.Message == "" {
		t.Errorf("body = %s, want the error code %q and a message", rec.Body, code)
	}
}

// wantReply checks the one queued message: a deliver message of an Accept or Reject by our actor
// to inbox, on our host, carrying follow embedded whole (every member it was sent with).
func wantReply(t *testing.T, e *env, kind, inbox string, follow []byte) {
	t.Helper()
	msgs := e.queue.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("queued %d messages, want the %s alone: %+v", len(msgs), kind, msgs)
	}
	m := msgs[0]
	if m.Kind != federation.KindDeliver || m.Inbox != inbox {
		t.Errorf("queued kind %q to %q, want %q to the follower's inbox %q", m.Kind, m.Inbox, federation.KindDeliver, inbox)
	}
	reply := decodeMap(t, m.Activity)
	if reply["type"] != kind || reply["actor"] != e.svc.ActorID() {
		t.Errorf("reply type %v actor %v, want %s by %s", reply["type"], reply["actor"], kind, e.svc.ActorID())
	}
	id, _ := reply["id"].(string)
	if !strings.HasPrefix(id, e.svc.Config.BaseURL+"/") {
		t.Errorf("reply id %q is not on our host", id)
	}
	got, ok := reply["object"].(map[string]any)
	if !ok {
		t.Fatalf("reply object is %T, want the Follow embedded: %s", reply["object"], m.Activity)
	}
	sent := decodeMap(t, follow)
	for k, v := range sent {
		if k == "@context" {
			continue // the reply's own context covers it
		}
		if g, w := fmt.Sprint(normalizeAudience(got[k])), fmt.Sprint(normalizeAudience(v)); g != w {
			t.Errorf("embedded Follow %s = %s, want %s as received", k, g, w)
		}
	}
}

// normalizeAudience reads a lone recipient and a list of one alike, as every server does.
func normalizeAudience(v any) any {
	if s, ok := v.(string); ok {
		return []any{s}
	}
	return v
}

// A Follow signed as Mastodon signs it, and one signed as GoToSocial signs it, are accepted
// through the HTTP route: the follower is stored once however often it follows, and an Accept
// carrying its Follow is queued for its own inbox. Our fetches of its key and actor are signed
// GETs (the fake answers 401 to unsigned ones).
func TestInboxFollow(t *testing.T) {
	for _, style := range styles {
		t.Run(style.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			srv := e.newRemote("", false)
			a := style.actor(srv, "follower")
			follow := style.follow(a, e.svc.ActorID())

			wantAccepted(t, e.do(style.post(e, t, a, follow, signing{})))
			want := federation.Follower{Actor: a.id, Inbox: a.inbox, SharedInbox: a.sharedInbox, FollowID: decodeMap(t, follow)["id"].(string), Since: now}
			if got := e.followers.all(); len(got) != 1 || got[0] != want {
				t.Errorf("followers = %+v, want %+v", got, want)
			}
			wantReply(t, e, "Accept", a.inbox, follow)
			if got := srv.requests(); !slices.Equal(got, style.fetches) {
				t.Errorf("the sender's server got %q, want %q", got, style.fetches)
			}

			// A second Follow (a server that did not see the Accept sends it again) keeps
			// one follower, and is accepted again. The key comes from the cache.
			e.queue.reset()
			wantAccepted(t, e.do(style.post(e, t, a, follow, signing{})))
			if got := e.followers.all(); len(got) != 1 || got[0] != want {
				t.Errorf("after a second Follow, followers = %+v, want %+v alone", got, want)
			}
			wantReply(t, e, "Accept", a.inbox, follow)
			if n := count(srv.requests(), "GET "+keyPath(srv, a.keyID)); n > 1 {
				t.Errorf("the key was fetched %d times, want once (cached)", n)
			}
		})
	}
}

// count counts s in ss.
func count(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// keyPath is the path the key keyID is fetched from on srv.
func keyPath(srv *fakeRemote, keyID string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(keyID, srv.base), "#")
	return path
}

// Every request that is not signed as we require is refused, 401 (or 413 for a body over
// 1 MiB, 400 for one that is no activity), and leaves nothing stored or queued. What can be
// refused without the key is refused before anything is fetched.
func TestInboxRefusals(t *testing.T) {
	type parts struct {
		e               *env
		srv, other      *fakeRemote
		alice, mallory  *remoteActor
		follow          []byte
		sign            func(body []byte, s signing) *http.Request
		gts             func(body []byte, s signing) *http.Request
		otherFollowBody []byte
	}
	huge := func(follow []byte) []byte {
		return append(bytes.TrimSuffix(follow, []byte("}")), []byte(`,"summary":"`+strings.Repeat("a", federation.MaxInboxBytes)+`"}`)...)
	}
	cases := []struct {
		name    string
		req     func(p parts) *http.Request
		status  int
		code    string
		fetches bool // whether the key may be fetched before the refusal
	}{
		{
			name: "unsigned",
			req: func(p parts) *http.Request {
				r := p.sign(p.follow, signing{})
				r.Header.Del("Signature")
				return r
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "Digest of another body",
			req: func(p parts) *http.Request {
				r := p.sign(p.follow, signing{})
				sum := sha256.Sum256(p.otherFollowBody)
				r.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
				return r
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "body changed after signing",
			req: func(p parts) *http.Request {
				r := p.sign(p.follow, signing{})
				r.Body = io.NopCloser(bytes.NewReader(p.otherFollowBody))
				r.ContentLength = int64(len(p.otherFollowBody))
				return r
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name:   "Date 13 h old",
			req:    func(p parts) *http.Request { return p.sign(p.follow, signing{date: now.Add(-13 * time.Hour)}) },
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name:   "Date 2 h ahead",
			req:    func(p parts) *http.Request { return p.sign(p.follow, signing{date: now.Add(2 * time.Hour)}) },
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name:   "Date 13 h old, hs2019",
			req:    func(p parts) *http.Request { return p.gts(p.follow, signing{date: now.Add(-13 * time.Hour)}) },
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "host not signed",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{headers: []string{"(request-target)", "date", "digest", "content-type"}})
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "digest not signed",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{headers: []string{"(request-target)", "host", "date", "content-type"}})
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "digest not signed, hs2019",
			req: func(p parts) *http.Request {
				return p.gts(p.follow, signing{headers: []string{"(request-target)", "host", "date"}})
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name: "signed for another host",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{target: "https://other.example/ap/inbox"})
			},
			status: 401, code: httpapi.EUnauthorized,
			fetches: true,
		},
		{
			name: "signed with another key than the keyId's",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{key: remoteKey(p.e.t, "mallory")})
			},
			status: 401, code: httpapi.EUnauthorized,
			fetches: true,
		},
		{
			name: "key owner is not the actor",
			req: func(p parts) *http.Request {
				// Mallory signs, with her own key, a Follow that claims to be Alice's.
				return p.sign(p.follow, signing{keyID: p.mallory.keyID, key: p.mallory.signingKey()})
			},
			status: 401, code: httpapi.EUnauthorized,
			fetches: true,
		},
		{
			name: "key served by another host than its owner's",
			req: func(p parts) *http.Request {
				// Mallory's server serves a key it says is the victim's, on another server.
				victim := p.other.mastodonActor("victim", remoteKey(p.e.t, "alice"))
				keyID := p.srv.base + "/keys/victim"
				p.srv.serveJSON("/keys/victim", false, func() any {
					return map[string]any{"id": keyID, "owner": victim.id, "publicKeyPem": p.mallory.publicKey()["publicKeyPem"]}
				})
				return p.e.mastodonPost(p.e.t, victim, mastodonFollow(victim, p.e.svc.ActorID()), signing{keyID: keyID, key: p.mallory.signingKey()})
			},
			status: 401, code: httpapi.EUnauthorized,
			fetches: true,
		},
		{
			name: "unknown key",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{keyID: p.srv.base + "/users/nobody#main-key"})
			},
			status: 401, code: httpapi.EUnauthorized,
			fetches: true,
		},
		{
			name: "key at an internal address",
			req: func(p parts) *http.Request {
				return p.sign(p.follow, signing{keyID: "https://169.254.169.254/latest/meta-data#main-key"})
			},
			status: 401, code: httpapi.EUnauthorized,
		},
		{
			name:   "body over 1 MiB",
			req:    func(p parts) *http.Request { return p.sign(huge(p.follow), signing{}) },
			status: 413, code: httpapi.EBodyTooLarge,
		},
		{
			name: "body over 1 MiB, length not declared",
			req: func(p parts) *http.Request {
				r := p.sign(huge(p.follow), signing{})
				r.ContentLength = -1
				r.Header.Del("Content-Length")
				return r
			},
			status: 413, code: httpapi.EBodyTooLarge,
		},
		{
			name: "not an activity",
			req: func(p parts) *http.Request {
				return p.sign(fmt.Appendf(nil, `{"id":%q,"type":"Note","attributedTo":%q,"content":"hi"}`, p.alice.id+"/notes/1", p.alice.id), signing{})
			},
			status: 400, code: track.EInvalidRequest,
		},
		{
			name:   "not JSON",
			req:    func(p parts) *http.Request { return p.sign([]byte("Follow me"), signing{}) },
			status: 400, code: track.EInvalidRequest,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			srv := e.newRemote("", false)
			p := parts{e: e, srv: srv, other: e.newRemote("", false),
				alice:   srv.mastodonActor("alice", remoteKey(t, "alice")),
				mallory: srv.mastodonActor("mallory", remoteKey(t, "mallory")),
			}
			p.follow = mastodonFollow(p.alice, e.svc.ActorID())
			p.otherFollowBody = mastodonFollow(p.mallory, e.svc.ActorID())
			p.sign = func(body []byte, s signing) *http.Request { return e.mastodonPost(t, p.alice, body, s) }
			p.gts = func(body []byte, s signing) *http.Request { return e.gtsPost(t, p.alice, body, s) }

			r := c.req(p)
			body := &countingReader{r: r.Body}
			r.Body = io.NopCloser(body)
			rec := e.do(r)
			wantStatus(t, rec, c.status, c.code)
			if c.status == http.StatusRequestEntityTooLarge && body.n > federation.MaxInboxBytes+1 {
				t.Errorf("read %d bytes of the body: the cap is %d", body.n, federation.MaxInboxBytes)
			}
			e.untouched(t)
			if got := srv.requests(); !c.fetches && len(got) > 0 {
				t.Errorf("refused after fetching %q; this needs no key", got)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// A cached key that fails is fetched again, once, if it is a minute old: the request signed
// with the sender's new key is accepted after one fetch, the next one needs none, and a request
// with a key that is wrong anyway costs one fetch and is refused. Within the minute, a failing
// signature costs no fetch at all: forged requests cannot make us hammer a server.
func TestInboxKeyRotation(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.newRemote("", false)
	a := srv.mastodonActor("alice", remoteKey(t, "alice"))
	follow := mastodonFollow(a, e.svc.ActorID())
	fetches := func() int { return count(srv.requests(), "GET /users/alice") }

	wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
	if n := fetches(); n != 1 {
		t.Fatalf("%d fetches of the key, want 1", n)
	}
	wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
	if n := fetches(); n != 1 {
		t.Fatalf("%d fetches of the cached key, want 1", n)
	}

	a.rotate(remoteKey(t, "alice-rotated"))
	wantStatus(t, e.do(e.mastodonPost(t, a, follow, signing{})), http.StatusUnauthorized, httpapi.EUnauthorized)
	if n := fetches(); n != 1 {
		t.Errorf("%d fetches within a minute of the last, want still 1", n)
	}
	e.advance(time.Minute)
	wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
	if n := fetches(); n != 2 {
		t.Errorf("%d fetches after the rotation, want 2: the cached key failed, one fetch", n)
	}
	wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
	if n := fetches(); n != 2 {
		t.Errorf("%d fetches, want still 2: the new key is cached", n)
	}

	e.queue.reset()
	writes := len(e.followers.writeLog())
	e.advance(time.Minute)
	rec := e.do(e.mastodonPost(t, a, follow, signing{key: remoteKey(t, "alice")})) // the old key
	wantStatus(t, rec, http.StatusUnauthorized, httpapi.EUnauthorized)
	if n := fetches(); n != 3 {
		t.Errorf("%d fetches, want 3: a failing cached key is fetched again exactly once", n)
	}
	if w := e.followers.writeLog(); len(w) != writes {
		t.Errorf("the refused request wrote %q", w[writes:])
	}
	if m := e.queue.messages(t); len(m) != 0 {
		t.Errorf("the refused request queued %+v", m)
	}
}

// Undo of the Follow removes the follower, in Mastodon's shape and GoToSocial's; an Undo whose
// Follow is someone else's, or of a follow of someone else, removes nobody.
func TestInboxUndo(t *testing.T) {
	for _, style := range styles {
		t.Run(style.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			srv := e.newRemote("", false)
			a := style.actor(srv, "follower")
			wantAccepted(t, e.do(style.post(e, t, a, style.follow(a, e.svc.ActorID()), signing{})))
			if _, ok := e.followers.get(a.id); !ok {
				t.Fatal("the Follow stored no follower")
			}
			e.queue.reset()

			// An Undo of a follow of another actor is not ours.
			wantAccepted(t, e.do(style.post(e, t, a, style.undo(a, srv.base+"/users/someone"), signing{})))
			if _, ok := e.followers.get(a.id); !ok {
				t.Error("an Undo of a follow of someone else removed the follower")
			}

			wantAccepted(t, e.do(style.post(e, t, a, style.undo(a, e.svc.ActorID()), signing{})))
			if got := e.followers.all(); len(got) != 0 {
				t.Errorf("after the Undo, followers = %+v", got)
			}
			if m := e.queue.messages(t); len(m) != 0 {
				t.Errorf("an Undo queued %+v", m)
			}
		})
	}

	t.Run("someone else's Follow", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		srv := e.newRemote("", false)
		alice := srv.mastodonActor("alice", remoteKey(t, "alice"))
		mallory := srv.mastodonActor("mallory", remoteKey(t, "mallory"))
		wantAccepted(t, e.do(e.mastodonPost(t, alice, mastodonFollow(alice, e.svc.ActorID()), signing{})))
		// Mallory, signing as herself, undoes Alice's Follow.
		undo := fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Undo","actor":%q,"object":%s}`,
			mallory.id+"#undo", mallory.id, mastodonFollow(alice, e.svc.ActorID()))
		writes := len(e.followers.writeLog())
		wantAccepted(t, e.do(e.mastodonPost(t, mallory, undo, signing{})))
		if _, ok := e.followers.get(alice.id); !ok {
			t.Error("Mallory's Undo of Alice's Follow removed Alice")
		}
		if w := e.followers.writeLog(); len(w) != writes {
			t.Errorf("Mallory's Undo of Alice's Follow wrote %q", w[writes:])
		}
	})

	t.Run("by IRI", func(t *testing.T) {
		e := newEnv(t, envOptions{})
		srv := e.newRemote("", false)
		a := srv.mastodonActor("alice", remoteKey(t, "alice"))
		follow := mastodonFollow(a, e.svc.ActorID())
		wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
		undo := fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Undo","actor":%q,"object":%q}`,
			a.id+"#undo", a.id, decodeMap(t, follow)["id"])
		wantAccepted(t, e.do(e.mastodonPost(t, a, undo, signing{})))
		if got := e.followers.all(); len(got) != 0 {
			t.Errorf("after the Undo by IRI, followers = %+v", got)
		}
	})
}

// Delete of the sender's own actor removes it as a follower (the key still cached from its
// Follow verifies it); a Delete of another actor removes nobody.
func TestInboxDeleteActor(t *testing.T) {
	e := newEnv(t, envOptions{})
	srv := e.newRemote("", false)
	alice := srv.mastodonActor("alice", remoteKey(t, "alice"))
	bob := srv.gtsActor("bob", remoteKey(t, "bob"))
	wantAccepted(t, e.do(e.mastodonPost(t, alice, mastodonFollow(alice, e.svc.ActorID()), signing{})))
	wantAccepted(t, e.do(e.gtsPost(t, bob, gtsFollow(bob, e.svc.ActorID()), signing{})))
	e.queue.reset()

	// Bob deletes Alice: not his to delete.
	del := fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","actor":%q,"id":%q,"object":%q,"type":"Delete"}`, bob.id, bob.id+"#delete", alice.id)
	wantAccepted(t, e.do(e.gtsPost(t, bob, del, signing{})))
	if len(e.followers.all()) != 2 {
		t.Fatalf("a Delete of another actor removed a follower: %+v", e.followers.all())
	}

	// Mastodon's form: the actor by IRI.
	del = fmt.Appendf(nil, `{"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1"],"id":%q,"type":"Delete","actor":%q,"to":["https://www.w3.org/ns/activitystreams#Public"],"object":%q}`,
		alice.id+"#delete", alice.id, alice.id)
	wantAccepted(t, e.do(e.mastodonPost(t, alice, del, signing{})))
	if _, ok := e.followers.get(alice.id); ok {
		t.Error("Alice deleted herself and is still a follower")
	}
	// An embedded Tombstone of the actor.
	del = fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","actor":%q,"id":%q,"object":{"id":%q,"type":"Tombstone"},"type":"Delete"}`, bob.id, bob.id+"#delete2", bob.id)
	wantAccepted(t, e.do(e.gtsPost(t, bob, del, signing{})))
	if got := e.followers.all(); len(got) != 0 {
		t.Errorf("followers = %+v, want none", got)
	}
	if m := e.queue.messages(t); len(m) != 0 {
		t.Errorf("a Delete queued %+v", m)
	}
}

// A Follow from a blocked domain, or from a subdomain of one, is answered 202, stored nowhere,
// and refused with a queued Reject carrying it; a domain that merely ends with the same letters
// is not blocked.
func TestInboxBlockedDomains(t *testing.T) {
	resolver := mapResolver{}
	e := newEnv(t, envOptions{blocked: []string{"blocked.test"}, insecure: true, resolver: resolver})
	for _, c := range []struct {
		host    string
		blocked bool
	}{
		{"blocked.test", true},
		{"social.blocked.test", true},
		{"Social.Blocked.Test", true},
		{"notblocked.test", false},
	} {
		t.Run(c.host, func(t *testing.T) {
			resolver[c.host] = []string{"127.0.0.1"}
			resolver[strings.ToLower(c.host)] = []string{"127.0.0.1"}
			srv := e.newRemote(c.host, true)
			a := srv.mastodonActor("alice", remoteKey(t, "alice"))
			follow := mastodonFollow(a, e.svc.ActorID())
			e.queue.reset()
			before := len(e.followers.all())

			wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
			if !c.blocked {
				if _, ok := e.followers.get(a.id); !ok {
					t.Errorf("a Follow from %s was not stored", c.host)
				}
				wantReply(t, e, "Accept", a.inbox, follow)
				return
			}
			if got := e.followers.all(); len(got) != before {
				t.Errorf("a Follow from a blocked domain was stored: %+v", got)
			}
			wantReply(t, e, "Reject", a.inbox, follow)

			// Anything else it sends is ignored, before its key is even fetched.
			e.queue.reset()
			writes := len(e.followers.writeLog())
			b := srv.mastodonActor("bob", remoteKey(t, "bob"))
			wantAccepted(t, e.do(e.mastodonPost(t, b, mastodonUndo(b, mastodonFollow(b, e.svc.ActorID())), signing{})))
			if m := e.queue.messages(t); len(m) != 0 {
				t.Errorf("an Undo from a blocked domain queued %+v", m)
			}
			if w := e.followers.writeLog(); len(w) != writes {
				t.Errorf("an Undo from a blocked domain wrote %q", w[writes:])
			}
			if n := count(srv.requests(), "GET /users/bob"); n != 0 {
				t.Errorf("the key of an Undo from a blocked domain was fetched")
			}
		})
	}
}

// Nothing another server sends can change a track: activities about our Notes, or our actor,
// are accepted and ignored; the tracks are not even read, nothing is queued, no follower
// changes.
func TestInboxCannotChangeTracks(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.Tracks = &fakeTracks{
		TrackFn: func(_ context.Context, id string) (*track.Track, error) {
			t.Errorf("the inbox read track %s", id)
			return nil, track.ErrNotFound
		},
	}
	srv := e.newRemote("", false)
	a := srv.mastodonActor("alice", remoteKey(t, "alice"))
	wantAccepted(t, e.do(e.mastodonPost(t, a, mastodonFollow(a, e.svc.ActorID()), signing{})))
	e.queue.reset()
	writes := len(e.followers.writeLog())

	note := e.svc.NoteID("Kq3vT9xZ")
	ctx := `"@context":"https://www.w3.org/ns/activitystreams"`
	for name, body := range map[string]string{
		"Delete of our Note":               fmt.Sprintf(`{%s,"id":%q,"type":"Delete","actor":%q,"object":%q}`, ctx, a.id+"#1", a.id, note),
		"Delete of our Note, Tombstone":    fmt.Sprintf(`{%s,"id":%q,"type":"Delete","actor":%q,"object":{"id":%q,"type":"Tombstone"}}`, ctx, a.id+"#2", a.id, note),
		"Delete of our actor":              fmt.Sprintf(`{%s,"id":%q,"type":"Delete","actor":%q,"object":%q}`, ctx, a.id+"#3", a.id, e.svc.ActorID()),
		"Update of our Note":               fmt.Sprintf(`{%s,"id":%q,"type":"Update","actor":%q,"object":{"id":%q,"type":"Note","attributedTo":%q,"content":"pwned"}}`, ctx, a.id+"#4", a.id, note, e.svc.ActorID()),
		"Create of a Note with our IRI":    fmt.Sprintf(`{%s,"id":%q,"type":"Create","actor":%q,"object":{"id":%q,"type":"Note","content":"pwned"}}`, ctx, a.id+"#5", a.id, note),
		"Undo of our Create":               fmt.Sprintf(`{%s,"id":%q,"type":"Undo","actor":%q,"object":{"id":%q,"type":"Create","actor":%q}}`, ctx, a.id+"#6", a.id, e.svc.CreateID("Kq3vT9xZ"), e.svc.ActorID()),
		"Follow of someone else":           fmt.Sprintf(`{%s,"id":%q,"type":"Follow","actor":%q,"object":%q}`, ctx, a.id+"#7", a.id, srv.base+"/users/bob"),
		"Announce of our Note":             fmt.Sprintf(`{%s,"id":%q,"type":"Announce","actor":%q,"object":%q}`, ctx, a.id+"#8", a.id, note),
		"Accept of a Follow we never sent": fmt.Sprintf(`{%s,"id":%q,"type":"Accept","actor":%q,"object":{"id":%q,"type":"Follow","actor":%q,"object":%q}}`, ctx, a.id+"#9", a.id, e.svc.ActorID()+"#f", e.svc.ActorID(), a.id),
	} {
		t.Run(name, func(t *testing.T) {
			wantAccepted(t, e.do(e.mastodonPost(t, a, []byte(body), signing{})))
			if w := e.followers.writeLog(); len(w) != writes {
				t.Errorf("followers written: %q", w[writes:])
			}
			if m := e.queue.messages(t); len(m) != 0 {
				t.Errorf("queued %+v", m)
			}
		})
	}
	if _, ok := e.followers.get(a.id); !ok {
		t.Error("the follower is gone")
	}
}

// What a Follow's actor document says is checked before it is trusted: a shared inbox on another
// host than the actor's inbox is not used (GoToSocial trusts none either); an actor document
// whose id is not the actor, or without an inbox, gets nothing stored or queued.
func TestInboxFollowActorDocument(t *testing.T) {
	for _, c := range []struct {
		name   string
		doc    func(a *remoteActor) map[string]any
		stored bool
	}{
		{"shared inbox on another host", func(a *remoteActor) map[string]any {
			d := a.document().(map[string]any)
			d["endpoints"] = map[string]any{"sharedInbox": "https://elsewhere.example/inbox"}
			return d
		}, true},
		{"another actor's document", func(a *remoteActor) map[string]any {
			d := a.document().(map[string]any)
			d["id"] = strings.Replace(a.id, "/bob", "/eve", 1)
			return d
		}, false},
		{"no inbox", func(a *remoteActor) map[string]any {
			d := a.document().(map[string]any)
			delete(d, "inbox")
			return d
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			srv := e.newRemote("", false)
			a := srv.gtsActor("bob", remoteKey(t, "bob"))
			srv.serveJSON("/users/bob", true, func() any { return c.doc(a) })
			rec := e.do(e.gtsPost(t, a, gtsFollow(a, e.svc.ActorID()), signing{}))
			if !c.stored {
				if rec.Code == http.StatusAccepted || rec.Code == http.StatusOK {
					t.Errorf("status = %d: a Follow whose actor cannot be read was accepted", rec.Code)
				}
				e.untouched(t)
				return
			}
			wantAccepted(t, rec)
			f, ok := e.followers.get(a.id)
			if !ok || f.Inbox != a.inbox || f.SharedInbox != "" || f.DeliveryInbox() != a.inbox {
				t.Errorf("stored %+v, want the actor's own inbox and no shared inbox", f)
			}
		})
	}
}
