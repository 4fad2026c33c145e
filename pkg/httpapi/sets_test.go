package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// setsHarness is the harness with the set routes mounted, over fakes that share the track IDs.
type setsHarness struct {
	*harness
	sets *tracktest.MemSets
}

func newSetsHarness(t testing.TB) *setsHarness {
	t.Helper()
	h := newHarness(t)
	sets := tracktest.NewMemSets(h.store)
	h.srv.Sets = &track.Sets{Store: sets, Tracks: h.svc}
	h.handler = h.srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads, httpapi.Pages, httpapi.Sets)
	return &setsHarness{harness: h, sets: sets}
}

type entry struct {
	ID          string `json:"id"`
	DeleteToken string `json:"deleteToken"`
}

// tracks makes n ready tracks (the second without a cover) and returns their entries.
func (h *setsHarness) tracks(t *testing.T, tags ...track.Tags) []entry {
	t.Helper()
	var es []entry
	for i, g := range tags {
		tr, c := h.readyCreated(t, goodBody, g, i != 1)
		es = append(es, entry{tr.ID, c.DeleteToken})
	}
	return es
}

func setBody(title string, es []entry) string {
	b, _ := json.Marshal(map[string]any{"title": title, "tracks": es})
	return string(b)
}

// makeSet creates a set through the API and returns the 201 answer.
func (h *setsHarness) makeSet(t *testing.T, title string, es []entry) map[string]any {
	t.Helper()
	rec := h.do(t, "POST", "/api/sets", setBody(title, es))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/sets = %d %s", rec.Code, rec.Body)
	}
	return decodeObject(t, rec)
}

var threeTags = []track.Tags{
	{Title: "One", Artist: "Band", Album: "Live"},
	{Title: "Two", Artist: "Band", Album: "Live"},
	{Title: "Three", Artist: "Band", Album: "Live"},
}

func TestSetCreateAndRead(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags...)
	order := []entry{es[2], es[0], es[1]}
	rec := h.do(t, "POST", "/api/sets", setBody("Live at the Hall", order))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	m := decodeObject(t, rec)
	wantKeys(t, "201 body", m, "id", "url", "deleteToken", "expiresAt")
	id, _ := m["id"].(string)
	if !regexp.MustCompile(`^[0-9A-Za-z]{8}$`).MatchString(id) || m["url"] != baseURL+"/s/"+id {
		t.Fatalf("id %v, url %v", m["id"], m["url"])
	}
	if loc := rec.Header().Get("Location"); loc != "/api/sets/"+id {
		t.Errorf("Location = %q", loc)
	}
	if tok, _ := m["deleteToken"].(string); len(tok) < 40 {
		t.Errorf("deleteToken %q", tok)
	}
	if got, want := parseTime(t, "expiresAt", m["expiresAt"]), start.Add(testConfig.Retention); !got.Equal(want) {
		t.Errorf("expiresAt = %v, want %v (the tracks')", got, want)
	}

	// Each track as GET /api/tracks/{id} shows it, in the order given.
	rec = h.do(t, "GET", "/api/sets/"+id, "")
	if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "*" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	got := decodeObject(t, rec)
	wantKeys(t, "set", got, "id", "url", "title", "createdAt", "expiresAt", "tracks")
	if got["title"] != "Live at the Hall" || got["id"] != id || got["url"] != m["url"] || got["expiresAt"] != m["expiresAt"] {
		t.Errorf("set = %v", got)
	}
	if c := parseTime(t, "createdAt", got["createdAt"]); !c.Equal(start) {
		t.Errorf("createdAt = %v", c)
	}
	list, _ := got["tracks"].([]any)
	if len(list) != 3 {
		t.Fatalf("tracks = %v", got["tracks"])
	}
	for i, e := range order {
		one := decodeObject(t, h.do(t, "GET", "/api/tracks/"+e.ID, ""))
		if !reflect.DeepEqual(list[i], normalise(t, one)) {
			t.Errorf("tracks[%d] = %v\nwant GET /api/tracks/%s = %v", i, list[i], e.ID, one)
		}
	}
	// A set ID is no track's, a track's ID no set's.
	wantError(t, h.do(t, "GET", "/api/tracks/"+id, ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "GET", "/api/sets/"+es[0].ID, ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "GET", "/api/sets/NoSuch00", ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "GET", "/api/sets/x", ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "PATCH", "/api/sets/"+id, "{}"), http.StatusMethodNotAllowed, httpapi.EMethodNotAllowed)
	wantError(t, h.do(t, "GET", "/api/sets", ""), http.StatusMethodNotAllowed, httpapi.EMethodNotAllowed)
}

// normalise decodes a decoded body again the way the set's was (numbers as json.Number).
func normalise(t *testing.T, m map[string]any) any {
	t.Helper()
	b, _ := json.Marshal(m)
	var out any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSetReadDoesNotSlide(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags[:2]...)
	id := h.makeSet(t, "Album", es)["id"].(string)
	before, _ := h.store.Get(t.Context(), es[0].ID)
	// Late in the tracks' life, where a listen would slide them.
	h.clock.Advance(testConfig.Retention / 2)
	for _, p := range []string{"/api/sets/" + id, "/s/" + id} {
		if rec := h.do(t, "GET", p, ""); rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", p, rec.Code)
		}
	}
	after, _ := h.store.Get(t.Context(), es[0].ID)
	if !after.ExpiresAt.Equal(before.ExpiresAt) {
		t.Fatalf("reading the set slid a track's expiry: %v → %v", before.ExpiresAt, after.ExpiresAt)
	}
	// Past every track's life, the set is gone.
	h.clock.Advance(testConfig.Retention)
	wantError(t, h.do(t, "GET", "/api/sets/"+id, ""), http.StatusNotFound, track.ENotFound)
}

func TestSetCreateRefusals(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags[:2]...)
	bigTitle := strings.Repeat("x", 300<<10)
	tests := []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"not JSON", setBody("A", es), "text/plain", 415, httpapi.EUnsupportedMediaType},
		{"a form", "title=A", "application/x-www-form-urlencoded", 415, httpapi.EUnsupportedMediaType},
		{"malformed JSON", `{"title": "A", "tracks": [`, "", 400, track.EInvalidRequest},
		{"two objects", setBody("A", es) + "{}", "", 400, track.EInvalidRequest},
		{"an array", `[]`, "", 400, track.EInvalidRequest},
		{"no title", `{"tracks": []}`, "", 400, track.EInvalidRequest},
		{"no tracks", `{"title": "A"}`, "", 400, track.EInvalidRequest},
		{"tracks not a list", `{"title": "A", "tracks": {}}`, "", 400, track.EInvalidRequest},
		{"a track without a token", fmt.Sprintf(`{"title": "A", "tracks": [{"id": %q}]}`, es[0].ID), "", 400, track.EInvalidRequest},
		{"a track as a string", `{"title": "A", "tracks": ["x"]}`, "", 400, track.EInvalidRequest},
		{"no track at all", `{"title": "A", "tracks": []}`, "", 400, track.EInvalidRequest},
		{"a track twice", setBody("A", []entry{es[0], es[1], es[0]}), "", 400, track.EInvalidRequest},
		{"too large", setBody(bigTitle, es), "", 400, track.EInvalidRequest},
		{"an empty title", setBody("", es), "", 400, track.EInvalidTitle},
		{"a control character", setBody("A\x1b[31m", es), "", 400, track.EInvalidTitle},
		{"a 201-byte title", setBody(strings.Repeat("a", 201), es), "", 400, track.EInvalidTitle},
		{"an unknown track", setBody("A", []entry{es[0], {"Unknown1", "x"}}), "", 404, track.ENotFound},
		{"a wrong token", setBody("A", []entry{es[0], {es[1].ID, es[0].DeleteToken}}), "", 403, track.EForbidden},
		{"an empty token", setBody("A", []entry{{es[0].ID, ""}}), "", 403, track.EForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			rec := h.do(t, "POST", "/api/sets", tc.body, "Content-Type", ctype)
			wantError(t, rec, tc.status, tc.code)
			if strings.Contains(rec.Body.String(), es[1].ID) || strings.Contains(rec.Body.String(), es[0].DeleteToken) {
				t.Errorf("the error names a track or echoes a token: %s", rec.Body)
			}
			if n := h.sets.Sets(); n != 0 {
				t.Fatalf("%d sets stored", n)
			}
		})
	}
	// An unknown track is named: the caller sent its ID.
	rec := h.do(t, "POST", "/api/sets", setBody("A", []entry{{"Unknown1", "x"}}))
	if !strings.Contains(rec.Body.String(), "Unknown1") {
		t.Errorf("404 does not name the unknown track: %s", rec.Body)
	}
}

func TestSetReplaceAndDelete(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags...)
	made := h.makeSet(t, "Old", es[:2])
	id, token := made["id"].(string), made["deleteToken"].(string)
	auth := "Bearer " + token
	next := setBody("New", []entry{es[2], es[0]})

	wantError(t, h.do(t, "PUT", "/api/sets/"+id, next), http.StatusForbidden, track.EForbidden)
	wantError(t, h.do(t, "PUT", "/api/sets/"+id, next, "Authorization", "Bearer "+es[0].DeleteToken), http.StatusForbidden, track.EForbidden)
	wantError(t, h.do(t, "PUT", "/api/sets/"+id, setBody("New", []entry{{es[2].ID, "nope"}}), "Authorization", auth), http.StatusForbidden, track.EForbidden)
	wantError(t, h.do(t, "PUT", "/api/sets/"+id, setBody("", es), "Authorization", auth), http.StatusBadRequest, track.EInvalidTitle)
	wantError(t, h.do(t, "PUT", "/api/sets/NoSuch00", next, "Authorization", auth), http.StatusNotFound, track.ENotFound)
	if got := decodeObject(t, h.do(t, "GET", "/api/sets/"+id, "")); got["title"] != "Old" {
		t.Fatalf("a refused PUT changed the set: %v", got["title"])
	}

	rec := h.do(t, "PUT", "/api/sets/"+id, next, "Authorization", auth)
	if rec.Code != http.StatusOK {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	got := decodeObject(t, rec)
	list, _ := got["tracks"].([]any)
	if got["title"] != "New" || got["id"] != id || len(list) != 2 || list[0].(map[string]any)["id"] != es[2].ID {
		t.Fatalf("PUT answered %v", got)
	}

	wantError(t, h.do(t, "DELETE", "/api/sets/"+id, ""), http.StatusForbidden, track.EForbidden)
	wantError(t, h.do(t, "DELETE", "/api/sets/"+id, "", "Authorization", "Bearer "+es[0].DeleteToken), http.StatusForbidden, track.EForbidden)
	// A preflight finds no Access-Control-Allow-Origin: no other site deletes a set.
	if rec := h.do(t, "DELETE", "/api/sets/"+id, "", "Authorization", auth); rec.Code != http.StatusNoContent || rec.Body.Len() != 0 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("DELETE = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	wantError(t, h.do(t, "GET", "/api/sets/"+id, ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "DELETE", "/api/sets/"+id, "", "Authorization", auth), http.StatusNotFound, track.ENotFound)
	for _, e := range es {
		if rec := h.do(t, "GET", "/api/tracks/"+e.ID, ""); rec.Code != http.StatusOK {
			t.Fatalf("deleting the set took track %s: %d", e.ID, rec.Code)
		}
	}
}

func TestSetPage(t *testing.T) {
	const evil = `</title><script>alert("x")</script> "quoted" & more`
	h := newSetsHarness(t)
	es := h.tracks(t, track.Tags{Title: evil, Artist: `<b>"A&B"</b>`}, threeTags[1], threeTags[2])
	id := h.makeSet(t, evil, es)["id"].(string)

	rec := h.do(t, "GET", "/s/"+id, "")
	wantPageHTML(t, rec, http.StatusOK, "public, max-age=60", false)
	wantNoIndex(t, rec, true)
	body := rec.Body.String()
	for _, bad := range []string{`"quoted"`, "<b>", "</title><"} {
		if strings.Contains(body, bad) {
			t.Errorf("raw %q in the page", bad)
		}
	}
	if scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1); len(scripts) != 1 || scripts[0] != `<script type="module" src="/assets/set.js">` {
		t.Errorf("scripts %q, want only the set page's entry", scripts)
	}
	for k, want := range map[string]string{
		"og:title":        evil,
		"og:type":         "music.playlist",
		"og:url":          baseURL + "/s/" + id,
		"og:site_name":    "Soundtime",
		"og:image":        baseURL + "/t/" + es[0].ID + "/cover",
		"og:image:width":  "600",
		"og:image:height": "500",
		"og:image:alt":    "Cover of " + evil + ` by <b>"A&B"</b>`,
		"og:description":  "3 tracks · 12:04",
		"twitter:card":    "summary",
	} {
		if got, ok := pageMeta(body, k); got != want || !ok {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// Without JavaScript: every track, in order, linking to its page, with its duration.
	links := regexp.MustCompile(`<a class="set-title" href="([^"]+)">([^<]*)</a>`).FindAllStringSubmatch(body, -1)
	if len(links) != 3 {
		t.Fatalf("links %q", links)
	}
	for i, e := range es {
		if links[i][1] != baseURL+"/t/"+e.ID {
			t.Errorf("link %d = %s", i, links[i][1])
		}
	}
	if links[1][2] != "Two" || !strings.Contains(links[0][2], "&lt;/title&gt;") {
		t.Errorf("titles %q", links)
	}
	if n := strings.Count(body, `<span class="set-duration">4:01</span>`); n != 3 {
		t.Errorf("%d durations of 4:01, want 3", n)
	}
	if n := strings.Count(body, `<img class="set-cover"`); n != 2 {
		t.Errorf("%d covers, want 2 (the second track has none)", n)
	}
	if strings.Contains(body, `http-equiv="refresh"`) {
		t.Error("a ready set's page refreshes itself")
	}
	if !strings.Contains(body, `data-id="`+id+`"`) {
		t.Error("no #app[data-id] for the app to take over")
	}
}

func TestSetPageNotReadyAndGone(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags[0])
	c := h.create(t, goodBody)
	pending := entry{c.ID, c.DeleteToken}
	id := h.makeSet(t, "Mixed", []entry{es[0], pending})["id"].(string)
	rec := h.do(t, "GET", "/s/"+id, "")
	wantPageHTML(t, rec, http.StatusOK, "no-store", false)
	if !strings.Contains(rec.Body.String(), `<span class="set-duration">processing</span>`) {
		t.Errorf("the pending track is not shown as processing: %s", rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `<noscript><meta http-equiv="refresh" content="5"></noscript>`) {
		t.Error("a set with a processing track does not refresh itself without JavaScript")
	}
	for _, p := range []string{"NoSuch00", "x", es[0].ID} {
		rec := h.do(t, "GET", "/s/"+p, "")
		wantPageHTML(t, rec, http.StatusNotFound, "no-store", false)
		wantNoIndex(t, rec, true)
		if !strings.Contains(rec.Body.String(), "Set not found") {
			t.Errorf("GET /s/%s: %s", p, rec.Body)
		}
	}
	h.clock.Advance(testConfig.Retention + time.Hour)
	if rec := h.do(t, "GET", "/s/"+id, ""); rec.Code != http.StatusNotFound {
		t.Errorf("the page of a set whose tracks expired = %d", rec.Code)
	}
}

// TestSetGzip: a large set goes gzipped to a client that accepts it, and says so; the same
// answer as plain; a client that does not, or a small set, gets it plain.
func TestSetGzip(t *testing.T) {
	h := newSetsHarness(t)
	var es []entry
	for range 50 {
		tr, c := h.readyCreated(t, goodBody, threeTags[0], true)
		es = append(es, entry{tr.ID, c.DeleteToken})
	}
	big := h.makeSet(t, "Big", es)["id"].(string)
	small := h.makeSet(t, "Small", es[:49])["id"].(string)
	plain := h.do(t, "GET", "/api/sets/"+big, "")
	if plain.Header().Get("Content-Encoding") != "" || !strings.Contains(plain.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("plain answer headers %v", plain.Header())
	}
	for _, ae := range []string{"gzip", "br, gzip;q=0.5", "deflate, GZIP"} {
		rec := h.do(t, "GET", "/api/sets/"+big, "", "Accept-Encoding", ae)
		if rec.Code != 200 || rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("Accept-Encoding %q: %d %v", ae, rec.Code, rec.Header())
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, plain.Body.Bytes()) {
			t.Fatalf("Accept-Encoding %q: gunzipped answer differs (%v)", ae, err)
		}
		if rec.Body.Len() >= plain.Body.Len()/2 {
			t.Errorf("gzip: %d bytes for %d", rec.Body.Len(), plain.Body.Len())
		}
	}
	for _, ae := range []string{"", "identity", "gzip;q=0", "br"} {
		if rec := h.do(t, "GET", "/api/sets/"+big, "", "Accept-Encoding", ae); rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", ae, rec.Header().Get("Content-Encoding"))
		}
	}
	if rec := h.do(t, "GET", "/api/sets/"+small, "", "Accept-Encoding", "gzip"); rec.Header().Get("Content-Encoding") != "" {
		t.Errorf("a set of 49 tracks went gzipped")
	}
}

// TestSetCreateRateLimited: making sets counts against the viewer's limit; a refused one writes
// nothing.
func TestSetCreateRateLimited(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags[0])
	tb := httpapi.NewTokenBucket(60, 1)
	tb.Now = h.clock.Now
	h.srv.Limit = tb
	h.makeSet(t, "First", es)
	rec := h.do(t, "POST", "/api/sets", setBody("Second", es))
	wantError(t, rec, http.StatusTooManyRequests, track.ERateLimited)
	if rec.Header().Get("Retry-After") == "" || h.sets.Sets() != 1 {
		t.Fatalf("Retry-After %q, %d sets", rec.Header().Get("Retry-After"), h.sets.Sets())
	}
}
