package federation_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/track"
)

// WebFinger through the HTTP route, on a base URL with a port (as under make dev and in the
// GoToSocial test): the user part in any case, the host exactly ours with its port (in any
// case, as DNS names go, which is what Mastodon compares too), or the actor's own URL, finds
// the actor; any other account or host is 404; no resource is 400.
func TestWebFinger(t *testing.T) {
	const portBase = "https://soundtime.example:8443"
	e := newEnv(t, envOptions{base: portBase})
	found := []string{
		"acct:tracks@soundtime.example:8443",
		"acct:TRACKS@soundtime.example:8443",
		"acct:Tracks@soundtime.example:8443",
		"acct:tracks@SoundTime.Example:8443",
		portBase + "/ap/actor",
	}
	notFound := []string{
		"acct:tracks@soundtime.example",      // the port is part of our host
		"acct:tracks@soundtime.example:8444", // another port
		"acct:tracks@soundtime.example:443",
		"acct:tracks@other.example:8443",
		"acct:tracks@soundtime.example:8443.evil.example",
		"acct:tracks@soundtime.example:8443@evil.example",
		"acct:track@soundtime.example:8443",
		"acct:tracksx@soundtime.example:8443",
		"acct:alice@soundtime.example:8443",
		"acct:tracks",
		"acct:@soundtime.example:8443",
		"tracks@soundtime.example:8443", // no scheme
		"mailto:tracks@soundtime.example:8443",
		"https://soundtime.example/ap/actor", // the actor URL without our port
		"http://soundtime.example:8443/ap/actor",
		portBase + "/ap/actor/",
		portBase + "/",
	}
	for _, res := range found {
		t.Run(res, func(t *testing.T) {
			rec := e.get("/.well-known/webfinger?resource=" + url.QueryEscape(res))
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200: %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != activitypub.JRDMediaType {
				t.Errorf("Content-Type = %q, want %q", ct, activitypub.JRDMediaType)
			}
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want * (RFC 7033 §5)", got)
			}
			var jrd activitypub.JRD
			if err := json.Unmarshal(rec.Body.Bytes(), &jrd); err != nil {
				t.Fatal(err)
			}
			// The subject is always our spelling, with the port: GoToSocial files the
			// account under the subject's host.
			if jrd.Subject != "acct:tracks@soundtime.example:8443" {
				t.Errorf("subject = %q", jrd.Subject)
			}
			self := ""
			for _, l := range jrd.Links {
				if l.Rel == "self" && l.Type == activitypub.MediaType {
					self = l.Href
				}
			}
			if self != portBase+"/ap/actor" {
				t.Errorf("self link = %q, want the actor %q: %s", self, portBase+"/ap/actor", rec.Body)
			}
		})
	}
	for _, res := range notFound {
		t.Run(res, func(t *testing.T) {
			wantStatus(t, e.get("/.well-known/webfinger?resource="+url.QueryEscape(res)), http.StatusNotFound, track.ENotFound)
		})
	}
	t.Run("no resource", func(t *testing.T) {
		wantStatus(t, e.get("/.well-known/webfinger"), http.StatusBadRequest, track.EInvalidRequest)
		wantStatus(t, e.get("/.well-known/webfinger?resource="), http.StatusBadRequest, track.EInvalidRequest)
	})
}
