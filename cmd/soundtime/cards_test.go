package main

import (
	"bytes"
	"html"
	"image/png"
	"regexp"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/card"
	"github.com/soundtime/soundtime/pkg/track"
)

// ogImage returns og:image and its declared size from the track page.
func ogImage(t *testing.T, c client, id string) (link, width, height string) {
	t.Helper()
	r := c.do("GET", "/t/"+id, nil, nil)
	if r.Status != 200 {
		t.Fatalf("GET /t/%s = %d", id, r.Status)
	}
	meta := func(p string) string {
		m := regexp.MustCompile(`<meta property="` + regexp.QuoteMeta(p) + `" content="([^"]*)"`).FindSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no %s in %s", p, r.Body)
		}
		return html.UnescapeString(string(m[1]))
	}
	return meta("og:image"), meta("og:image:width"), meta("og:image:height")
}

// wantCard follows the card link to the stored card and checks it is a PNG of the declared size;
// it returns the signed URL the link led to.
func wantCard(t *testing.T, c client, link string) string {
	t.Helper()
	r := c.do("GET", link, nil, nil)
	loc := r.Header.Get("Location")
	if r.Status != 302 || loc == "" {
		t.Fatalf("GET %s = %d, Location %q", link, r.Status, loc)
	}
	img := c.do("GET", loc, nil, nil)
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("GET the card = %d %q", img.Status, img.Header.Get("Content-Type"))
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img.Body))
	if err != nil || cfg.Width != card.Width || cfg.Height != card.Height {
		t.Fatalf("card: %+v %v", cfg, err)
	}
	return loc
}

// Against the real local servers (Versity S3, dynalite, ffmpeg): a track without cover art gets
// a card whose link answers a PNG of the size the page declares, a placeholder at the same link
// until then; the card goes with the track's other objects, by expiry and by a delete.
func TestCardOfTrackWithoutCover(t *testing.T) {
	s := expiryStack(t)
	c := s.client(t)

	t.Run("expiry", func(t *testing.T) {
		body, sum := audioBytes(t, 3)
		created := c.postJSON("/api/tracks", map[string]any{"filename": "No cover.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum}).json(t)
		id := created["id"].(string)
		link := s.cfg.PublicBaseURL + "/t/" + id + "/card"
		// Before the upload: the page already names the card link, which shows the placeholder.
		if got, w, h := ogImage(t, c, id); got != link || w != "1200" || h != "630" {
			t.Fatalf("og:image while pending = %q %s×%s, want %q 1200×630", got, w, h, link)
		}
		if r := c.do("GET", link, nil, nil); r.Status != 200 || r.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Fatalf("placeholder = %d %q", r.Status, r.Header.Get("Cache-Control"))
		}
		c.do("PUT", created["upload"].(map[string]any)["url"].(string), map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body)
		if info := c.waitDone(id); info["status"] != "ready" {
			t.Fatalf("status %v", info["status"])
		}
		if got, _, _ := ogImage(t, c, id); got != link {
			t.Fatalf("og:image when ready = %q", got)
		}
		signed := wantCard(t, c, link)
		if keys := s.objectKeys(t, track.CardKey(id)); len(keys) != 1 {
			t.Fatalf("card objects %v", keys)
		}
		s.gone(t, id, retention+2*sweep+2*time.Second)
		s.noObjects(t, id)
		if r := c.do("GET", signed, nil, nil); r.Status != 404 {
			t.Fatalf("the card's signed URL after expiry = %d", r.Status)
		}
		if r := c.do("GET", link, nil, nil); r.Status != 404 {
			t.Fatalf("the card link after expiry = %d", r.Status)
		}
	})

	t.Run("delete", func(t *testing.T) {
		body, sum := audioBytes(t, 2)
		created := c.postJSON("/api/tracks", map[string]any{"filename": "d.mp3", "type": "audio/mpeg", "size": len(body), "md5": sum}).json(t)
		id := created["id"].(string)
		c.do("PUT", created["upload"].(map[string]any)["url"].(string), map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": sum}, body)
		c.waitDone(id)
		signed := wantCard(t, c, "/t/"+id+"/card")
		if r := c.do("DELETE", "/api/tracks/"+id, map[string]string{"Authorization": "Bearer " + created["deleteToken"].(string)}, nil); r.Status != 204 {
			t.Fatalf("DELETE = %d", r.Status)
		}
		s.noObjects(t, id)
		if r := c.do("GET", signed, nil, nil); r.Status != 404 {
			t.Fatalf("the card's signed URL after the delete = %d", r.Status)
		}
	})
}
