package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/httpsig"
)

// fakeFollower is another server's actor that follows ours: it serves its actor document and
// an inbox whose answer the test chooses, and records what arrives.
type fakeFollower struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	status atomic.Int32 // what the inbox answers

	mu       sync.Mutex
	received []activitypub.Activity
}

func newFakeFollower(t *testing.T) *fakeFollower {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFollower{key: key}
	f.status.Store(http.StatusAccepted)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/f", func(w http.ResponseWriter, r *http.Request) {
		pemText, _ := httpsig.MarshalPublicKeyPEM(&key.PublicKey)
		w.Header().Set("Content-Type", activitypub.MediaType)
		json.NewEncoder(w).Encode(activitypub.Actor{
			Context: []any{activitypub.ActivityStreams, activitypub.SecurityV1},
			ID:      f.actor(), Type: "Person", PreferredUsername: "f", Inbox: f.actor() + "/inbox",
			PublicKey: &activitypub.PublicKey{ID: f.actor() + "#main-key", Owner: f.actor(), PublicKeyPem: pemText},
		})
	})
	mux.HandleFunc("POST /users/f/inbox", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		status := int(f.status.Load())
		if status/100 == 2 {
			if a, err := activitypub.DecodeActivity(body); err == nil {
				f.mu.Lock()
				f.received = append(f.received, *a)
				f.mu.Unlock()
			}
		}
		w.WriteHeader(status)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFollower) actor() string { return f.srv.URL + "/users/f" }

// follow sends our inbox a signed Follow of actor.
func (f *fakeFollower) follow(t *testing.T, inbox, actor string) {
	t.Helper()
	body, _ := json.Marshal(activitypub.Follow{
		Context: activitypub.ActivityStreams, ID: f.actor() + "/follows/1", Type: "Follow", Actor: f.actor(), Object: actor,
	})
	req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
	req.Header.Set("Content-Type", activitypub.MediaType)
	if err := httpsig.Sign(req, f.actor()+"#main-key", f.key, nil, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("Follow = %d", res.StatusCode)
	}
}

// got reports whether an activity of type typ whose object contains want arrived.
func (f *fakeFollower) got(typ, want string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.received {
		if a.Type == typ && strings.Contains(a.Object.ID+string(a.Object.Raw), want) {
			return true
		}
	}
	return false
}

// TestAnnouncementSurvivesARestart: a public track's announcement is being delivered to a
// follower whose server fails (503, retried with backoff) when the runner is killed; after a
// restart on the same data the queue still holds it, and it is delivered once the server
// answers again.
func TestAnnouncementSurvivesARestart(t *testing.T) {
	t.Parallel()
	f := newFakeFollower(t)
	addr, dir := freeAddr(t), t.TempDir()
	env := []string{"FEDERATION_INSECURE_HTTP=true", "FEDERATION_ALLOW_IPS=127.0.0.0/8,::1/128", "FEDERATION_RETRY_BASE=1s"}
	p := startProgram(t, addr, dir, env...)
	base := "http://" + addr
	f.follow(t, base+"/ap/inbox", base+"/ap/actor")
	deadline := time.Now().Add(30 * time.Second)
	for !f.got("Accept", f.actor()+"/follows/1") {
		if time.Now().After(deadline) {
			t.Fatal("the Follow was not accepted")
		}
		time.Sleep(100 * time.Millisecond)
	}

	f.status.Store(http.StatusServiceUnavailable)
	c := p.client()
	pub := uploadWith(t, c, "survivor.mp3", true)
	time.Sleep(3 * time.Second) // the announcement fans out, its delivery fails and waits
	if f.got("Create", pub.id) {
		t.Fatal("delivered although the follower's server answered 503")
	}
	p.kill(syscall.SIGKILL)

	f.status.Store(http.StatusAccepted)
	startProgram(t, addr, dir, env...)
	deadline = time.Now().Add(60 * time.Second)
	for !f.got("Create", pub.id) {
		if time.Now().After(deadline) {
			t.Fatal("the announcement was lost with the runner")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
