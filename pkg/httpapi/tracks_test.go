package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

func TestCreateTrack(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, "POST", "/api/tracks", goodBody)
	if rec.Code != http.StatusCreated {
		t.Fatalf("status = %d, want 201 (body %s)", rec.Code, rec.Body)
	}
	m := decodeObject(t, rec)
	wantKeys(t, "body", m, "id", "url", "status", "upload", "deleteToken", "expiresAt")

	id, _ := m["id"].(string)
	if len(id) != 8 || !track.ValidID(id) {
		t.Errorf("id = %q, want 8 characters of [0-9A-Za-z]", id)
	}
	if got, want := m["url"], baseURL+"/t/"+id; got != want {
		t.Errorf("url = %v, want %q", got, want)
	}
	if m["status"] != "pending" {
		t.Errorf("status = %v, want pending", m["status"])
	}
	if got := parseTime(t, "expiresAt", m["expiresAt"]); !got.Equal(start.Add(testConfig.PendingTTL)) {
		t.Errorf("expiresAt = %v, want PENDING_TTL from now", got)
	}
	token, _ := m["deleteToken"].(string)
	if len(token) < 40 {
		t.Errorf("deleteToken = %q, want a long secret", token)
	}

	up, ok := m["upload"].(map[string]any)
	if !ok {
		t.Fatalf("upload = %v, want an object", m["upload"])
	}
	wantKeys(t, "upload", up, "method", "url", "expiresAt", "headers")
	if up["method"] != "PUT" {
		t.Errorf("upload.method = %v, want PUT", up["method"])
	}
	if u, _ := up["url"].(string); !strings.Contains(u, "uploads/"+id+"/") {
		t.Errorf("upload.url = %q, want a signed PUT of uploads/%s/…", u, id)
	}
	if got := parseTime(t, "upload.expiresAt", up["expiresAt"]); !got.Equal(start.Add(testConfig.UploadURLTTL)) {
		t.Errorf("upload.expiresAt = %v, want UPLOAD_URL_TTL from now", got)
	}
	headers, _ := up["headers"].(map[string]any)
	wantKeys(t, "upload.headers", headers, "Content-Type", "Content-MD5")
	if headers["Content-Type"] != "audio/mpeg" || headers["Content-MD5"] != emptyMD5 {
		t.Errorf("upload.headers = %v", headers)
	}

	if loc := rec.Header().Get("Location"); loc != "/api/tracks/"+id {
		t.Errorf("Location = %q, want /api/tracks/%s", loc, id)
	}
	if n := h.store.Len(); n != 1 {
		t.Fatalf("store holds %d items, want 1", n)
	}
	stored, err := h.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.DeleteTokenHash != track.HashToken(token) || stored.Filename != "Song (live).mp3" {
		t.Errorf("stored %+v", stored)
	}
}

func TestCreateTrackFlags(t *testing.T) {
	tests := []struct {
		name, flags          string
		downloadable, public bool
	}{
		{"defaults", "", true, false},
		{"stream-only", `,"downloadable":false`, false, false},
		{"public", `,"public":true`, true, true},
		{"null flags take defaults", `,"downloadable":null,"public":null`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.create(t, strings.TrimSuffix(goodBody, "}")+tt.flags+"}")
			rec := h.do(t, "GET", "/api/tracks/"+c.ID, "")
			m := decodeObject(t, rec)
			if m["downloadable"] != tt.downloadable || m["public"] != tt.public {
				t.Errorf("downloadable, public = %v, %v; want %v, %v", m["downloadable"], m["public"], tt.downloadable, tt.public)
			}
		})
	}
}

func TestCreateTrackRejects(t *testing.T) {
	// field replaces one field of a good body with raw JSON, or drops it when raw is "".
	field := func(name, raw string) string {
		m := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(goodBody), &m); err != nil {
			panic(err)
		}
		if raw == "" {
			delete(m, name)
		} else {
			m[name] = json.RawMessage(raw)
		}
		b, err := json.Marshal(m)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	tests := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"malformed JSON", `{"filename":`, 400, track.EInvalidRequest},
		{"not JSON", `filename=a.mp3`, 400, track.EInvalidRequest},
		{"unquoted keys", `{filename: "a.mp3"}`, 400, track.EInvalidRequest},
		{"empty body", ``, 400, track.EInvalidRequest},
		{"whitespace body", "  \n", 400, track.EInvalidRequest},
		{"null", `null`, 400, track.EInvalidRequest},
		{"empty object", `{}`, 400, track.EInvalidRequest},
		{"array", `[]`, 400, track.EInvalidRequest},
		{"array of the object", `[` + goodBody + `]`, 400, track.EInvalidRequest},
		{"string", `"` + goodBody + `"`, 400, track.EInvalidRequest},
		{"number", `42`, 400, track.EInvalidRequest},
		{"two objects", goodBody + goodBody, 400, track.EInvalidRequest},
		{"two objects on two lines", goodBody + "\n" + goodBody, 400, track.EInvalidRequest},
		{"trailing garbage", goodBody + ` x`, 400, track.EInvalidRequest},
		{"trailing bracket", goodBody + `]`, 400, track.EInvalidRequest},
		{"trailing brace", goodBody + `}`, 400, track.EInvalidRequest},
		{"larger than 64 KiB", `{"filename":"` + strings.Repeat("a", 64<<10) + `"}`, 400, track.EInvalidRequest},

		{"missing filename", field("filename", ""), 400, track.EInvalidRequest},
		{"missing type", field("type", ""), 400, track.EInvalidRequest},
		{"missing size", field("size", ""), 400, track.EInvalidRequest},
		{"missing md5", field("md5", ""), 400, track.EInvalidRequest},
		{"null filename", field("filename", "null"), 400, track.EInvalidRequest},

		{"filename a number", field("filename", "5"), 400, track.EInvalidRequest},
		{"type a boolean", field("type", "true"), 400, track.EInvalidRequest},
		{"type an array", field("type", `["audio/mpeg"]`), 400, track.EInvalidRequest},
		{"size a word", field("size", `"big"`), 400, track.EInvalidRequest},
		{"size a string of digits", field("size", `"4812345"`), 400, track.EInvalidRequest},
		{"size an object", field("size", `{}`), 400, track.EInvalidRequest},
		{"md5 a number", field("md5", "123"), 400, track.EInvalidRequest},
		{"downloadable a string", field("downloadable", `"yes"`), 400, track.EInvalidRequest},
		{"public a number", field("public", "1"), 400, track.EInvalidRequest},

		{"size 1.5", field("size", "1.5"), 400, track.EInvalidSize},
		{"size 0", field("size", "0"), 400, track.EInvalidSize},
		{"size -1", field("size", "-1"), 400, track.EInvalidSize},
		{"size beyond int64", field("size", "99999999999999999999"), 400, track.EInvalidSize},
		{"size MAX_UPLOAD_BYTES+1", field("size", "2147483649"), 413, track.ETooLarge},
		{"empty filename", field("filename", `""`), 400, track.EInvalidFilename},
		{"filename with a newline", field("filename", `"a\nb.mp3"`), 400, track.EInvalidFilename},
		{"filename with U+0085", field("filename", `"a\u0085b.mp3"`), 400, track.EInvalidFilename},
		{"filename of 256 bytes", field("filename", `"`+strings.Repeat("a", 256)+`"`), 400, track.EInvalidFilename},
		{"empty type", field("type", `""`), 400, track.EUnsupportedType},
		{"text/html", field("type", `"text/html"`), 400, track.EUnsupportedType},
		{"audio/midi", field("type", `"audio/midi"`), 400, track.EUnsupportedType},
		{"empty md5", field("md5", `""`), 400, track.EInvalidMD5},
		{"md5 in hex", field("md5", `"d41d8cd98f00b204e9800998ecf8427e"`), 400, track.EInvalidMD5},
		{"md5 of 15 bytes", field("md5", `"AAAAAAAAAAAAAAAAAAAA"`), 400, track.EInvalidMD5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, "POST", "/api/tracks", tt.body)
			wantError(t, rec, tt.status, tt.code)
			if n := h.store.Len(); n != 0 {
				t.Errorf("store holds %d items after a refused request, want 0", n)
			}
		})
	}
}

// unreadBody fails the test if anything reads it: a refused Content-Type is refused before the
// body is read.
type unreadBody struct{ t *testing.T }

func (b unreadBody) Read([]byte) (int, error) {
	b.t.Error("the body was read")
	return 0, io.EOF
}

// TestCreateTrackContentType: only a body declared as JSON starts an upload. A cross-site HTML
// form can send only text/plain, urlencoded or multipart bodies, so it cannot create tracks.
func TestCreateTrackContentType(t *testing.T) {
	for _, ct := range []string{"", "text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonp", "application/json-patch+json", "text/json", "application/json;;"} {
		t.Run("refused "+ct, func(t *testing.T) {
			h := newHarness(t)
			req := httptest.NewRequest("POST", "/api/tracks", unreadBody{t})
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, req)
			wantError(t, rec, http.StatusUnsupportedMediaType, httpapi.EUnsupportedMediaType)
			if n := h.store.Len(); n != 0 {
				t.Errorf("store holds %d items after a refused request, want 0", n)
			}
		})
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		t.Run("accepted "+ct, func(t *testing.T) {
			h := newHarness(t)
			if rec := h.do(t, "POST", "/api/tracks", goodBody, "Content-Type", ct); rec.Code != http.StatusCreated {
				t.Errorf("status = %d, want 201 (%s)", rec.Code, rec.Body)
			}
		})
	}
}

// TestReadRoutesCORS: the player reads a track and its playlist from any origin, a sandboxed
// frame's "null" included, without credentials; nothing that writes is open to other origins.
func TestReadRoutesCORS(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	open := []string{
		"/api/tracks/" + c.ID,
		"/api/tracks/AAAAAAAA",                 // errors too, so the player can tell "gone"
		"/api/tracks/" + c.ID + "/stream.m3u8", // 409 not_ready
		"/api/tracks/AAAAAAAA/stream.m3u8",
	}
	for _, target := range open {
		for _, origin := range []string{"null", "https://blog.example"} {
			t.Run("GET "+target+" from "+origin, func(t *testing.T) {
				rec := h.do(t, "GET", target, "", "Origin", origin)
				if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "*" {
					t.Errorf("%d answer: Access-Control-Allow-Origin = %q, want *", rec.Code, got)
				}
				if got := rec.Header().Get("Access-Control-Allow-Credentials"); got != "" {
					t.Errorf("Access-Control-Allow-Credentials = %q, want none", got)
				}
			})
		}
	}
	closed := []struct{ method, target string }{
		{"POST", "/api/tracks"},
		{"DELETE", "/api/tracks/" + c.ID},
		{"OPTIONS", "/api/tracks/" + c.ID},
		{"OPTIONS", "/api/tracks"},
		{"GET", "/api/config"},
		{"GET", "/api/getuploadurl?filename=a.mp3&type=audio/mpeg&size=3&md5=" + url.QueryEscape(emptyMD5)},
	}
	for _, tt := range closed {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			rec := h.do(t, tt.method, tt.target, "", "Origin", "null", "Access-Control-Request-Method", "DELETE")
			if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("%d answer: Access-Control-Allow-Origin = %q, want none", rec.Code, got)
			}
		})
	}
}

func TestCreateTrackErrorsDoNotEchoTheBody(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, "POST", "/api/tracks", `{"filename": "<script>alert(1)</script>", "size": [}`)
	wantError(t, rec, 400, track.EInvalidRequest)
	if strings.Contains(rec.Body.String(), "script") {
		t.Errorf("the error echoes the request: %s", rec.Body)
	}
}

func TestGetTrack(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)

	t.Run("pending", func(t *testing.T) {
		rec := h.do(t, "GET", "/api/tracks/"+c.ID, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200 (%s)", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		// Nothing is known yet of the audio: no duration, tags, links or upload time.
		wantKeys(t, "pending track", m, "id", "url", "status", "filename", "type", "size",
			"createdAt", "expiresAt", "downloadable", "public")
		want := map[string]any{
			"id": c.ID, "url": baseURL + "/t/" + c.ID, "status": "pending",
			"filename": "Song (live).mp3", "type": "audio/mpeg", "size": json.Number("4812345"),
			"downloadable": true, "public": false,
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s = %#v, want %#v", k, m[k], v)
			}
		}
		if got := parseTime(t, "createdAt", m["createdAt"]); !got.Equal(start) {
			t.Errorf("createdAt = %v, want %v", got, start)
		}
		if got := parseTime(t, "expiresAt", m["expiresAt"]); !got.Equal(start.Add(testConfig.PendingTTL)) {
			t.Errorf("expiresAt = %v", got)
		}
	})

	t.Run("processing", func(t *testing.T) {
		h.clock.Advance(time.Minute)
		h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
		m := decodeObject(t, h.do(t, "GET", "/api/tracks/"+c.ID, ""))
		if m["status"] != "processing" {
			t.Errorf("status = %v, want processing", m["status"])
		}
		if got := parseTime(t, "uploadedAt", m["uploadedAt"]); !got.Equal(start.Add(time.Minute)) {
			t.Errorf("uploadedAt = %v", got)
		}
		for _, k := range []string{"duration", "audio", "tags", "cover", "preview", "stream", "waveform", "error"} {
			if _, ok := m[k]; ok {
				t.Errorf("processing track has %q: %v", k, m[k])
			}
		}
	})

	for _, target := range []string{"Nope0000", "abc", "..%2Fetc", "%2e%2e", "abc-defg", "ab%00cdef", strings.Repeat("a", 33), "%C3%A4%C3%B6%C3%BC%C3%A4%C3%B6%C3%BC"} {
		t.Run("not found "+target, func(t *testing.T) {
			wantError(t, h.do(t, "GET", "/api/tracks/"+target, ""), http.StatusNotFound, track.ENotFound)
		})
	}
	t.Run("expired", func(t *testing.T) {
		h := newHarness(t)
		c := h.create(t, goodBody)
		h.clock.Advance(testConfig.PendingTTL)
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID, ""), http.StatusNotFound, track.ENotFound)
		if n := h.store.Len(); n != 1 {
			t.Errorf("store holds %d items: an expired read must not delete (the table's TTL does)", n)
		}
	})
}

func TestGetFailedTrack(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	tr, _ := h.store.Get(context.Background(), c.ID)
	h.blobs.Add(tr.OriginalKey, track.ObjectInfo{Size: 1, ContentType: "audio/mpeg"})
	if _, err := h.svc.Arrive(context.Background(), tr.OriginalKey); err != nil {
		t.Fatal(err)
	}
	m := decodeObject(t, h.do(t, "GET", "/api/tracks/"+c.ID, ""))
	if m["status"] != "failed" {
		t.Fatalf("status = %v, want failed", m["status"])
	}
	e, _ := m["error"].(map[string]any)
	wantKeys(t, "error", e, "code", "message")
	if e["code"] != track.EUploadMismatch || e["message"] == "" {
		t.Errorf("error = %v, want upload_mismatch with a message", e)
	}
	wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download", ""), http.StatusConflict, track.ETrackFailed)
}

// TestGetReadyTrack checks a ready track against docs/api.md's example: everything processing found
// is shown, and each derived file is linked.
func TestGetReadyTrack(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
	ready, _ := h.store.Get(context.Background(), c.ID)
	prev := *ready
	ready.Status = track.StatusReady
	ready.Duration = 241.37
	ready.Audio = &track.Audio{Codec: "mp3", Bitrate: 320000, SampleRate: 44100, Channels: 2}
	ready.Tags = &track.Tags{Title: "Song", Artist: "Band", Album: "Live", Year: 2019, Track: 3, Genre: "Rock"}
	ready.CoverKey, ready.CoverType = "derived/"+c.ID+"/cover.jpg", "image/jpeg"
	ready.PreviewKey = "derived/" + c.ID + "/preview.ogg"
	ready.PlaylistKey = "derived/" + c.ID + "/hls/index.m3u8"
	ready.WaveformKey = "derived/" + c.ID + "/waveform.json"
	if err := h.store.Replace(context.Background(), &prev, ready); err != nil {
		t.Fatal(err)
	}

	m := decodeObject(t, h.do(t, "GET", "/api/tracks/"+c.ID, ""))
	if m["status"] != "ready" || m["duration"] != json.Number("241.37") {
		t.Errorf("status, duration = %v, %v", m["status"], m["duration"])
	}
	audio, _ := m["audio"].(map[string]any)
	if audio["codec"] != "mp3" || audio["bitrate"] != json.Number("320000") || audio["sampleRate"] != json.Number("44100") || audio["channels"] != json.Number("2") {
		t.Errorf("audio = %v", m["audio"])
	}
	tags, _ := m["tags"].(map[string]any)
	wantKeys(t, "tags", tags, "title", "artist", "album", "year", "track", "genre")
	if tags["artist"] != "Band" || tags["year"] != json.Number("2019") {
		t.Errorf("tags = %v", tags)
	}
	links := map[string]string{
		"cover":    ready.CoverKey,
		"preview":  ready.PreviewKey,
		"waveform": ready.WaveformKey,
	}
	for k, key := range links {
		if s, _ := m[k].(string); !strings.Contains(s, key) {
			t.Errorf("%s = %v, want a signed URL of %s", k, m[k], key)
		}
	}
	if got, want := m["stream"], baseURL+"/api/tracks/"+c.ID+"/stream.m3u8"; got != want {
		t.Errorf("stream = %v, want %q", got, want)
	}
}

func TestDownloadTrack(t *testing.T) {
	t.Run("stream-only", func(t *testing.T) {
		h := newHarness(t)
		c := h.create(t, strings.TrimSuffix(goodBody, "}")+`,"downloadable":false}`)
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download", ""), http.StatusForbidden, track.ENotDownloadable)
		h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download", ""), http.StatusForbidden, track.ENotDownloadable)
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download?redirect=1", ""), http.StatusForbidden, track.ENotDownloadable)
	})
	t.Run("pending", func(t *testing.T) {
		h := newHarness(t)
		c := h.create(t, goodBody)
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download", ""), http.StatusConflict, track.ENotReady)
	})
	t.Run("unknown", func(t *testing.T) {
		h := newHarness(t)
		wantError(t, h.do(t, "GET", "/api/tracks/Nope0000/download", ""), http.StatusNotFound, track.ENotFound)
		wantError(t, h.do(t, "GET", "/api/tracks/abc/download?redirect=1", ""), http.StatusNotFound, track.ENotFound)
	})
	t.Run("processing", func(t *testing.T) {
		h := newHarness(t)
		c := h.create(t, goodBody)
		h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
		// A file is offered only once processing has shown it is audio.
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download", ""), http.StatusConflict, track.ENotReady)
		wantError(t, h.do(t, "GET", "/api/tracks/"+c.ID+"/download?redirect=1", ""), http.StatusConflict, track.ENotReady)
	})
	t.Run("ready", func(t *testing.T) {
		h := newHarness(t)
		name := `Grüße "live"; 100%.mp3`
		body, _ := json.Marshal(map[string]any{"filename": name, "type": "audio/mpeg", "size": 4812345, "md5": emptyMD5})
		h.clock.Advance(time.Minute)
		c := h.readyTrack(t, string(body), track.Tags{}, false)

		rec := h.do(t, "GET", "/api/tracks/"+c.ID+"/download", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200 (%s)", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		wantKeys(t, "download", m, "url", "filename", "expiresAt")
		if m["filename"] != name {
			t.Errorf("filename = %v, want %q", m["filename"], name)
		}
		if got := parseTime(t, "expiresAt", m["expiresAt"]); !got.Equal(h.clock.Now().Add(testConfig.MediaURLTTL)) {
			t.Errorf("expiresAt = %v, want MEDIA_URL_TTL from now", got)
		}
		signed, _ := m["url"].(string)
		u, err := url.Parse(signed)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := u.Query().Get("response-content-disposition"), track.ContentDisposition(name); got != want {
			t.Errorf("signed disposition = %q, want %q", got, want)
		}

		for _, q := range []string{"?redirect=1", "?redirect=true"} {
			rec := h.do(t, "GET", "/api/tracks/"+c.ID+"/download"+q, "")
			if rec.Code != http.StatusFound {
				t.Errorf("%s: status = %d, want 302", q, rec.Code)
			}
			if loc := rec.Header().Get("Location"); loc != signed {
				t.Errorf("%s: Location = %q, want %q", q, loc, signed)
			}
		}
		if rec := h.do(t, "GET", "/api/tracks/"+c.ID+"/download?redirect=0", ""); rec.Code != http.StatusOK {
			t.Errorf("redirect=0: status = %d, want 200", rec.Code)
		}
	})
}

func TestDeleteTrack(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	other := h.create(t, goodBody)
	target := "/api/tracks/" + c.ID
	for _, auth := range []string{"", "Bearer", "Bearer ", "Bearer wrong", "Bearer " + other.DeleteToken, "Basic " + c.DeleteToken, c.DeleteToken, "Bearer " + c.DeleteToken + "x"} {
		t.Run("forbidden "+auth, func(t *testing.T) {
			var rec = h.do(t, "DELETE", target, "")
			if auth != "" {
				rec = h.do(t, "DELETE", target, "", "Authorization", auth)
			}
			wantError(t, rec, http.StatusForbidden, track.EForbidden)
			if rec := h.do(t, "GET", target, ""); rec.Code != http.StatusOK {
				t.Errorf("GET after a refused DELETE = %d, want 200", rec.Code)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		wantError(t, h.do(t, "DELETE", "/api/tracks/Nope0000", "", "Authorization", "Bearer "+c.DeleteToken), http.StatusNotFound, track.ENotFound)
	})
	t.Run("right token", func(t *testing.T) {
		rec := h.do(t, "DELETE", target, "", "Authorization", "bearer "+c.DeleteToken)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("status = %d, want 204 (%s)", rec.Code, rec.Body)
		}
		if rec.Body.Len() != 0 {
			t.Errorf("204 with a body: %q", rec.Body)
		}
		wantError(t, h.do(t, "GET", target, ""), http.StatusNotFound, track.ENotFound)
		wantError(t, h.do(t, "DELETE", target, "", "Authorization", "Bearer "+c.DeleteToken), http.StatusNotFound, track.ENotFound)
		if n := h.store.Len(); n != 1 {
			t.Errorf("store holds %d items, want only the other track", n)
		}
	})
}
