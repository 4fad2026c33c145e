package push_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a hand-written stand-in for the API and storage of docs/api.md, for unit tests of
// push's logic: it checks what storage checks (length, Content-MD5, bearer tokens, every part
// at completion, the whole file's MD5) and counts the requests. The end-to-end tests in
// cmd/soundtime run push against the real local stack.
type fakeAPI struct {
	t         *testing.T
	srv       *httptest.Server
	threshold int64 // files larger than this go in parts
	partSize  int64

	mu     sync.Mutex
	next   int
	tracks map[string]*fakeTrack
	sets   map[string]*fakeSet
	calls  map[string]int // "POST /api/tracks", "PUT part 3", …
	// failPart, when set, may fail a part PUT before storing it: a status to answer (0: go on,
	// -1: cut the connection).
	failPart func(number, try int) int
	// failCreate, when set, may answer POST /api/tracks with a status first.
	failCreate func(try int) int
}

type fakeTrack struct {
	id, token, md5, status string
	size                   int64
	multipart              bool
	body                   []byte
	parts                  map[int][]byte
	partCount              int
}

type fakeSet struct {
	id, token, title string
	tracks           []string
}

func newFakeAPI(t *testing.T, threshold, partSize int64) *fakeAPI {
	f := &fakeAPI{t: t, threshold: threshold, partSize: partSize, tracks: map[string]*fakeTrack{}, sets: map[string]*fakeSet{}, calls: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[call]
}

func (f *fakeAPI) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "0") // the tests wait no second
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":"fake says %s"}}`, code, code)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	body, _ := io.ReadAll(r.Body)
	authorized := func(tok string) bool { return r.Header.Get("Authorization") == "Bearer "+tok }
	trackOf := func(id string) *fakeTrack {
		t := f.tracks[id]
		if t == nil {
			f.fail(w, 404, "not_found")
		}
		return t
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/config":
		reply(w, 200, map[string]any{"maxUploadBytes": 1 << 30})

	case r.Method == "POST" && r.URL.Path == "/api/tracks":
		f.calls["POST /api/tracks"]++
		if f.failCreate != nil {
			if s := f.failCreate(f.calls["POST /api/tracks"]); s != 0 {
				f.fail(w, s, "rate_limited")
				return
			}
		}
		var req struct {
			Filename, Type, MD5 string
			Size                int64
		}
		if json.Unmarshal(body, &req) != nil || req.Filename == "" || req.Size <= 0 || req.MD5 == "" || !strings.HasPrefix(req.Type, "audio/") {
			f.fail(w, 400, "invalid_request")
			return
		}
		f.next++
		id := fmt.Sprintf("Tr%06d", f.next)
		t := &fakeTrack{id: id, token: "tok" + id, md5: req.MD5, size: req.Size, status: "pending", parts: map[int][]byte{}}
		f.tracks[id] = t
		up := map[string]any{"method": "PUT", "url": f.srv.URL + "/store/" + id, "expiresAt": "2099-01-01T00:00:00Z",
			"headers": map[string]string{"Content-Type": req.Type, "Content-MD5": req.MD5}}
		if req.Size > f.threshold {
			t.multipart = true
			t.partCount = int((req.Size + f.partSize - 1) / f.partSize)
			up = map[string]any{"method": "MULTIPART", "partSize": f.partSize, "partCount": t.partCount, "expiresAt": "2099-01-01T00:00:00Z"}
		}
		reply(w, 201, map[string]any{"id": id, "url": f.srv.URL + "/t/" + id, "status": "pending", "upload": up, "deleteToken": t.token})

	case r.Method == "PUT" && len(path) == 2 && path[0] == "store":
		t := trackOf(path[1])
		if t == nil {
			return
		}
		f.calls["PUT whole"]++
		if int64(len(body)) != t.size || r.Header.Get("Content-MD5") != t.md5 || md5b64(body) != t.md5 {
			f.fail(w, 400, "BadDigest")
			return
		}
		t.body, t.status = body, "processing"
		w.WriteHeader(200)

	case len(path) == 4 && path[0] == "api" && path[1] == "tracks" && path[3] == "parts":
		t := trackOf(path[2])
		if t == nil {
			return
		}
		if !authorized(t.token) {
			f.fail(w, 403, "forbidden")
			return
		}
		if r.Method == "GET" {
			f.calls["GET parts"]++
			var up []map[string]any
			for n, b := range t.parts {
				s := md5.Sum(b)
				up = append(up, map[string]any{"number": n, "etag": `"` + hex.EncodeToString(s[:]) + `"`, "size": len(b)})
			}
			reply(w, 200, map[string]any{"partSize": f.partSize, "partCount": t.partCount, "uploaded": up})
			return
		}
		if t.status != "pending" {
			f.fail(w, 409, "not_pending")
			return
		}
		var req struct {
			Parts []struct {
				Number int
				MD5    string
				Size   int64
			}
		}
		json.Unmarshal(body, &req)
		var out []map[string]any
		for _, p := range req.Parts {
			out = append(out, map[string]any{"number": p.Number, "method": "PUT",
				"url":     fmt.Sprintf("%s/store/%s/%d?size=%d", f.srv.URL, t.id, p.Number, p.Size),
				"headers": map[string]string{"Content-MD5": p.MD5}})
		}
		reply(w, 200, map[string]any{"parts": out})

	case r.Method == "PUT" && len(path) == 3 && path[0] == "store":
		t := trackOf(path[1])
		if t == nil {
			return
		}
		n, _ := strconv.Atoi(path[2])
		f.calls[fmt.Sprintf("PUT part %d", n)]++
		if f.failPart != nil {
			switch s := f.failPart(n, f.calls[fmt.Sprintf("PUT part %d", n)]); {
			case s < 0: // the connection is cut before any answer
				conn, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					conn.Close()
				}
				return
			case s > 0:
				w.WriteHeader(s)
				return
			}
		}
		if strconv.Itoa(len(body)) != r.URL.Query().Get("size") || md5b64(body) != r.Header.Get("Content-MD5") {
			f.fail(w, 400, "BadDigest")
			return
		}
		t.parts[n] = body
		s := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(s[:])+`"`)
		w.WriteHeader(200)

	case r.Method == "POST" && len(path) == 4 && path[3] == "complete":
		t := trackOf(path[2])
		if t == nil {
			return
		}
		f.calls["POST complete"]++
		if !authorized(t.token) {
			f.fail(w, 403, "forbidden")
			return
		}
		var req struct {
			Parts []struct {
				Number int
				ETag   string
			}
			MD5 string
		}
		json.Unmarshal(body, &req)
		var whole []byte
		for i, p := range req.Parts {
			b, ok := t.parts[p.Number]
			s := md5.Sum(b)
			if !ok || p.Number != i+1 || p.ETag != `"`+hex.EncodeToString(s[:])+`"` {
				f.fail(w, 400, "invalid_parts")
				return
			}
			whole = append(whole, b...)
		}
		if len(req.Parts) != t.partCount || md5b64(whole) != req.MD5 || req.MD5 != t.md5 {
			f.fail(w, 400, "invalid_parts")
			return
		}
		t.body, t.status = whole, "processing"
		reply(w, 202, map[string]any{"id": t.id, "status": t.status})

	case r.Method == "GET" && len(path) == 3 && path[1] == "tracks":
		f.calls["GET track"]++
		if t := trackOf(path[2]); t != nil {
			reply(w, 200, map[string]any{"id": t.id, "url": f.srv.URL + "/t/" + t.id, "status": t.status})
		}

	case r.Method == "DELETE" && len(path) == 3 && path[1] == "tracks":
		f.calls["DELETE track"]++
		if t := trackOf(path[2]); t != nil {
			if !authorized(t.token) {
				f.fail(w, 403, "forbidden")
				return
			}
			delete(f.tracks, t.id)
			w.WriteHeader(204)
		}

	case r.URL.Path == "/api/sets" && r.Method == "POST", len(path) == 3 && path[1] == "sets" && r.Method == "PUT":
		f.calls[r.Method+" set"]++
		var req struct {
			Title  string
			Tracks []struct{ ID, DeleteToken string }
		}
		json.Unmarshal(body, &req)
		var ids []string
		for _, tr := range req.Tracks {
			t := f.tracks[tr.ID]
			if t == nil || t.token != tr.DeleteToken {
				f.fail(w, 403, "forbidden")
				return
			}
			ids = append(ids, tr.ID)
		}
		if r.Method == "PUT" {
			s := f.sets[path[2]]
			if s == nil || !authorized(s.token) {
				f.fail(w, 404, "not_found")
				return
			}
			s.title, s.tracks = req.Title, ids
			w.WriteHeader(204)
			return
		}
		f.next++
		id := fmt.Sprintf("St%06d", f.next)
		f.sets[id] = &fakeSet{id: id, token: "tok" + id, title: req.Title, tracks: ids}
		reply(w, 201, map[string]any{"id": id, "url": f.srv.URL + "/s/" + id, "deleteToken": "tok" + id})

	case r.Method == "DELETE" && len(path) == 3 && path[1] == "sets":
		f.calls["DELETE set"]++
		if s := f.sets[path[2]]; s != nil && authorized(s.token) {
			delete(f.sets, s.id)
			w.WriteHeader(204)
			return
		}
		f.fail(w, 404, "not_found")

	case r.Method == "GET" && len(path) == 3 && path[1] == "sets":
		f.calls["GET set"]++
		if s := f.sets[path[2]]; s != nil {
			reply(w, 200, map[string]any{"id": s.id, "title": s.title})
			return
		}
		f.fail(w, 404, "not_found")

	default:
		f.fail(w, 404, "not_found")
	}
}

// stored returns the bytes storage holds for track id.
func (f *fakeAPI) stored(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t := f.tracks[id]; t != nil {
		return bytes.Clone(t.body)
	}
	return nil
}
