package main

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/e2e/gtstest"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// TestFederationWithGoToSocial follows our actor from a real GoToSocial (v0.18.3, built by
// `make gotosocial`), then checks what its user sees: a public track uploaded through our API
// lands in the home timeline with its share link, a private one never does, deleting the public
// one with its token removes the post, and unfollowing removes the follower on our side.
//
// GoToSocial resolves WebFinger over https whatever its own protocol, so the runner sits behind
// a TLS front on loopback (a test certificate GoToSocial is told to accept); GoToSocial itself
// speaks http, which FEDERATION_INSECURE_HTTP allows, on loopback, which FEDERATION_ALLOW_IPS
// allows.
func TestFederationWithGoToSocial(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	gts := gtstest.Start(t, gtstest.Options{})

	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + front.Addr().String()
	s, err := newStackWith(t.TempDir(), map[string]string{
		"PUBLIC_BASE_URL": base, "FEDERATION_INSECURE_HTTP": "true", "FEDERATION_ALLOW_IPS": "127.0.0.0/8,::1/128",
		"FEDERATION_RETRY_BASE": "1s", "MAX_DURATION": "1m",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	target, _ := url.Parse(s.URL)
	tlsFront := httptest.NewUnstartedServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(target)
		pr.Out.Host = pr.In.Host // the host the sender signed
	}})
	tlsFront.Listener = front
	tlsFront.StartTLS()
	t.Cleanup(tlsFront.Close)
	c := client{t: t, base: s.URL}

	// Search and follow.
	host := front.Addr().String()
	var actor gtstest.Account
	waitUntil(t, ctx, "GoToSocial finds @tracks@"+host, func() (bool, error) {
		found, err := gts.SearchAccount(ctx, "@tracks@"+host)
		if err != nil || len(found) != 1 {
			return false, err
		}
		actor = found[0]
		return true, nil
	})
	if actor.Acct != "tracks@"+host || actor.URL != base+"/" {
		t.Fatalf("GoToSocial resolved %+v, want tracks@%s with the profile page %s/", actor, host, base)
	}
	if _, err := gts.Follow(ctx, actor.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the follow accepted", func() (bool, error) {
		rel, err := gts.Relationship(ctx, actor.ID)
		return rel.Following, err
	})
	if n := followersOf(t, c); n != 1 {
		t.Fatalf("followers on our side = %d, want 1", n)
	}

	// A private track first, then a public one: when the public one shows, the private one
	// has had all the time the public one took, and must not be there.
	private := uploadWith(t, c, "private.mp3", false)
	public := uploadWith(t, c, "public.mp3", true)
	publicLink := base + "/t/" + public.id
	waitUntil(t, ctx, "the public track in the home timeline", func() (bool, error) {
		st, err := gts.HomeTimeline(ctx)
		return hasLink(st, publicLink), err
	})
	st, err := gts.HomeTimeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if hasLink(st, base+"/t/"+private.id) {
		t.Fatal("the private track was announced")
	}
	if m := c.do("GET", "/api/tracks/"+public.id, nil, nil).json(t); m["announced"] != true {
		t.Fatalf("the public track does not say it was announced: %v", m)
	}

	// Deleting the public track withdraws the post.
	if r := c.do("DELETE", "/api/tracks/"+public.id, map[string]string{"Authorization": "Bearer " + public.token}, nil); r.Status != 204 {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	waitUntil(t, ctx, "the post gone from the home timeline", func() (bool, error) {
		st, err := gts.HomeTimeline(ctx)
		return err == nil && !hasLink(st, publicLink), err
	})

	// Unfollowing removes the follower here.
	if _, err := gts.Unfollow(ctx, actor.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, ctx, "the follower removed on our side", func() (bool, error) {
		return followersOf(t, c) == 0, nil
	})
}

type uploaded struct{ id, token string }

// uploadWith uploads a short generated MP3 through the API, public or not, and waits until it
// is ready.
func uploadWith(t *testing.T, c client, name string, public bool) uploaded {
	t.Helper()
	body, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 2, Tags: track.Tags{Title: strings.TrimSuffix(name, ".mp3")}}))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	r := c.postJSON("/api/tracks", map[string]any{"filename": name, "type": "audio/mpeg", "size": len(body), "md5": b64, "public": public})
	if r.Status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	m := r.json(t)
	putOriginal(c, m["upload"].(map[string]any)["url"].(string), body, b64)
	id := m["id"].(string)
	c.waitStatusWithin(id, "ready", 90*time.Second)
	return uploaded{id: id, token: m["deleteToken"].(string)}
}

func hasLink(statuses []gtstest.Status, link string) bool {
	for _, s := range statuses {
		if s.URL == link || strings.Contains(s.Content, link) {
			return true
		}
	}
	return false
}

// followersOf reads the follower count from our followers collection.
func followersOf(t *testing.T, c client) int {
	t.Helper()
	r := c.do("GET", "/ap/followers", map[string]string{"Accept": "application/activity+json"}, nil)
	if r.Status != 200 {
		t.Fatalf("followers = %d %s", r.Status, r.Body)
	}
	n, _ := r.json(t)["totalItems"].(float64)
	return int(n)
}

// waitUntil polls cond until it holds, failing the test at ctx's deadline with the last error.
func waitUntil(t *testing.T, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s (last error: %v)", what, last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}
