package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// loadEvent reads testdata/name strictly: a field the SDK type does not know is a typo.
func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

func TestEventsUnmarshal(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d events in testdata, want at least 4", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			e := loadEvent(t, name)
			if e.Version != "2.0" {
				t.Errorf("version = %q, want 2.0", e.Version)
			}
			rc := e.RequestContext
			if rc.RequestID == "" || rc.HTTP.Method == "" || rc.HTTP.Path != e.RawPath || rc.DomainName == "" || rc.HTTP.SourceIP == "" {
				t.Errorf("requestContext incomplete: %+v", rc)
			}
			for k := range e.Headers {
				if k != strings.ToLower(k) {
					t.Errorf("header %q: API Gateway sends header names in lower case", k)
				}
				if k == "cookie" {
					t.Error("a cookie header: API Gateway moves cookies to the cookies field")
				}
			}
			if e.IsBase64Encoded {
				if _, err := base64.StdEncoding.DecodeString(e.Body); err != nil {
					t.Errorf("body is not base64: %v", err)
				}
			}
		})
	}
}

// echoed is what echo saw of the request.
type echoed struct {
	Method        string
	Path          string
	EscapedPath   string
	RawQuery      string
	RequestURI    string
	Query         map[string][]string
	Custom        string
	ContentType   string
	ContentLength int64
	Session       string
	Theme         string
	Body          string
	RequestID     string
	Host          string
	RemoteAddr    string
}

// echo answers with what it saw: audio bodies come back as they are, everything else as JSON.
func echo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("X-Echo-Method", r.Method)
	h.Add("Vary", "Accept")
	h.Add("Vary", "Cookie")
	http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1", Path: "/"})
	http.SetCookie(w, &http.Cookie{Name: "theme", Value: "dark", HttpOnly: true})
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "audio/") {
		h.Set("Content-Type", ct)
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
		return
	}
	e := echoed{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		RequestURI: r.RequestURI, Query: r.URL.Query(),
		Custom: r.Header.Get("X-Custom-Header"), ContentType: r.Header.Get("Content-Type"),
		ContentLength: r.ContentLength, Body: string(body),
		RequestID: r.Header.Get(apigw.RequestIDHeader), Host: r.Host, RemoteAddr: r.RemoteAddr,
	}
	if c, err := r.Cookie("session"); err == nil {
		e.Session = c.Value
	}
	if c, err := r.Cookie("theme"); err == nil {
		e.Theme = c.Value
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(e)
}

// serve runs e through apigw.Handler over echo and decodes the JSON answer.
func serve(t *testing.T, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, echoed) {
	t.Helper()
	res, err := apigw.Handler(http.HandlerFunc(echo))(context.Background(), e)
	if err != nil {
		t.Fatalf("Handler: %v", err)
	}
	if res.IsBase64Encoded {
		t.Fatalf("a JSON answer came back base64-encoded: %q", res.Body)
	}
	var got echoed
	if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
		t.Fatalf("body %q: %v", res.Body, err)
	}
	return res, got
}

const host = "k7x2m9q4ab.execute-api.us-east-1.amazonaws.com"

func TestRequest(t *testing.T) {
	tests := []struct {
		file string
		want echoed
	}{
		{"post-json.json", echoed{
			Method: "POST", Path: "/api/tracks", EscapedPath: "/api/tracks", RawQuery: "",
			RequestURI: "/api/tracks", Query: map[string][]string{},
			ContentType: "application/json", ContentLength: 98,
			Session: "s%3Aabc123", Theme: "light",
			Body:      `{"filename":"Song (live).mp3","type":"audio/mpeg","size":4812345,"md5":"1B2M2Y8AsgTpgAmY7PhCfg=="}`,
			RequestID: "Bv3kXhV0IAMEVgQ=", Host: host, RemoteAddr: "203.0.113.42",
		}},
		{"get-query.json", echoed{
			Method: "GET", Path: "/echo/café live", EscapedPath: "/echo/caf%C3%A9%20live",
			RawQuery:   "filename=Song%20%28live%29.mp3&md5=%2B%2F8%3D&tag=a&tag=b&q=%E6%97%A5%E6%9C%AC&plus=a+b",
			RequestURI: "/echo/caf%C3%A9%20live?filename=Song%20%28live%29.mp3&md5=%2B%2F8%3D&tag=a&tag=b&q=%E6%97%A5%E6%9C%AC&plus=a+b",
			Query: map[string][]string{
				"filename": {"Song (live).mp3"}, "md5": {"+/8="}, "tag": {"a", "b"}, "q": {"日本"}, "plus": {"a b"},
			},
			Custom:  "value one,value two",
			Session: "s%3Aabc123", Theme: "light",
			RequestID: "Bv3qTj1SoAMEb8Q=", Host: host, RemoteAddr: "192.0.2.10",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, got := serve(t, loadEvent(t, tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("the handler saw\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestResponse(t *testing.T) {
	res, _ := serve(t, loadEvent(t, "post-json.json"))
	if res.StatusCode != http.StatusAccepted {
		t.Errorf("status = %d, want 202", res.StatusCode)
	}
	wantHeaders := map[string]string{
		"Content-Type":  "application/json",
		"X-Echo-Method": "POST",
		"Vary":          "Accept, Cookie",
	}
	if !reflect.DeepEqual(res.Headers, wantHeaders) {
		t.Errorf("headers = %v, want %v", res.Headers, wantHeaders)
	}
	if want := []string{"seen=1; Path=/", "theme=dark; HttpOnly"}; !slices.Equal(res.Cookies, want) {
		t.Errorf("cookies = %q, want %q", res.Cookies, want)
	}
	if res.MultiValueHeaders != nil {
		t.Errorf("multiValueHeaders = %v; payload 2.0 has none", res.MultiValueHeaders)
	}
}

func TestBinaryBodies(t *testing.T) {
	e := loadEvent(t, "post-binary.json")
	want, err := base64.StdEncoding.DecodeString(e.Body)
	if err != nil {
		t.Fatal(err)
	}
	res, err := apigw.Handler(http.HandlerFunc(echo))(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated || res.Headers["Content-Type"] != "audio/mpeg" {
		t.Errorf("status, type = %d, %q; want 201 audio/mpeg", res.StatusCode, res.Headers["Content-Type"])
	}
	if !res.IsBase64Encoded {
		t.Fatalf("audio came back as text: %q", res.Body)
	}
	got, err := base64.StdEncoding.DecodeString(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("round trip = %x, want %x", got, want)
	}
}

func TestResponseBodies(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		body    string // as the response carries it
		base64  bool
	}{
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, 200, "", false},
		{"204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, 204, "", false},
		{"first status wins", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(404)
			w.WriteHeader(200)
			w.Write([]byte("x"))
		}, 404, "eA==", true},
		{"write implies 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte("héllo"))
			w.WriteHeader(500)
		}, 200, "héllo", false},
		{"JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write([]byte(`{"ok":true}`))
		}, 200, `{"ok":true}`, false},
		{"HLS playlist", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
			w.Write([]byte("#EXTM3U\n"))
		}, 200, "#EXTM3U\n", false},
		{"HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<p>ü</p>"))
		}, 200, "<p>ü</p>", false},
		{"text that is not UTF-8", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte{0xff, 0xfe})
		}, 200, "//4=", true},
		{"audio", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "audio/mpeg")
			w.Write([]byte{0xff, 0xfb, 0x90, 0x64})
		}, 200, "//uQZA==", true},
		{"audio that happens to be ASCII", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "audio/ogg")
			w.Write([]byte("OggS"))
		}, 200, "T2dnUw==", true},
	}
	e := loadEvent(t, "get-query.json")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := apigw.Handler(tt.handler)(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.status || res.Body != tt.body || res.IsBase64Encoded != tt.base64 {
				t.Errorf("response = %d %q base64 %v, want %d %q base64 %v", res.StatusCode, res.Body, res.IsBase64Encoded, tt.status, tt.body, tt.base64)
			}
		})
	}
}

func TestRequestEdges(t *testing.T) {
	t.Run("bad base64 body", func(t *testing.T) {
		e := loadEvent(t, "post-binary.json")
		e.Body = "not base64!"
		called := false
		_, err := apigw.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))(context.Background(), e)
		if err == nil || called {
			t.Errorf("err = %v, called = %v; want an error before the handler", err, called)
		}
	})
	t.Run("no rawPath", func(t *testing.T) {
		e := loadEvent(t, "post-json.json")
		e.RawPath = ""
		if _, got := serve(t, e); got.Path != "/api/tracks" {
			t.Errorf("path = %q, want requestContext.http.path", got.Path)
		}
	})
	t.Run("no host header", func(t *testing.T) {
		e := loadEvent(t, "post-json.json")
		delete(e.Headers, "host")
		if _, got := serve(t, e); got.Host != host {
			t.Errorf("host = %q, want the domain name", got.Host)
		}
	})
	t.Run("no request ID", func(t *testing.T) {
		e := loadEvent(t, "post-json.json")
		e.RequestContext.RequestID = ""
		if _, got := serve(t, e); got.RequestID != "" {
			t.Errorf("request ID = %q, want none", got.RequestID)
		}
	})
	t.Run("the event's request ID wins over a client's header", func(t *testing.T) {
		e := loadEvent(t, "post-json.json")
		e.Headers["x-request-id"] = "forged"
		if _, got := serve(t, e); got.RequestID != "Bv3kXhV0IAMEVgQ=" {
			t.Errorf("request ID = %q, want the event's", got.RequestID)
		}
	})
}

// TestDecodedRawPath: HTTP APIs hand rawPath over already percent-decoded (testdata/README.md
// has the evidence), so the adapter must not decode it again: a path that holds a literal '%'
// must reach the handler as it is, neither fail nor be decoded a second time.
func TestDecodedRawPath(t *testing.T) {
	tests := []struct {
		name    string
		event   func(t *testing.T) events.APIGatewayV2HTTPRequest
		client  string // what the client sent, for the record
		path    string // what the handler must see
		escaped string
	}{
		{"literal percent", func(t *testing.T) events.APIGatewayV2HTTPRequest { return loadEvent(t, "get-percent.json") },
			"/echo/100%25%20live", "/echo/100% live", "/echo/100%25%20live"},
		{"percent before hex digits", func(t *testing.T) events.APIGatewayV2HTTPRequest {
			e := loadEvent(t, "get-percent.json")
			e.RawPath, e.RequestContext.HTTP.Path = "/echo/a%41", "/echo/a%41"
			return e
		}, "/echo/a%2541", "/echo/a%41", "/echo/a%2541"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := apigw.Handler(http.HandlerFunc(echo))(context.Background(), tt.event(t))
			if err != nil {
				t.Fatalf("client %s: Handler error %v (API Gateway answers a bare 500)", tt.client, err)
			}
			var got echoed
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil {
				t.Fatal(err)
			}
			if got.Path != tt.path || got.EscapedPath != tt.escaped {
				t.Errorf("client %s: handler saw %q (%q), want %q (%q)", tt.client, got.Path, got.EscapedPath, tt.path, tt.escaped)
			}
		})
	}
}

// TestHTTPAPI runs the real server behind the adapter, as the functions do.
func TestHTTPAPI(t *testing.T) {
	now := time.Date(2025, 11, 23, 9, 12, 45, 0, time.UTC)
	store := tracktest.NewMemStore()
	svc := track.NewService(store, tracktest.NewMemBlobs(), track.Config{
		Retention: 336 * time.Hour, PendingTTL: 10 * time.Minute, FailedTTL: 24 * time.Hour,
		MaxUploadBytes: 2 << 30, UploadURLTTL: 10 * time.Minute, MediaURLTTL: 30 * time.Minute, ProcessTimeout: 15 * time.Minute,
	})
	svc.Now = func() time.Time { return now }
	srv := &httpapi.Server{Tracks: svc, BaseURL: "https://soundtime.example", Log: slog.New(slog.DiscardHandler)}
	handle := apigw.Handler(srv.Handler(httpapi.Uploads, httpapi.Tracks, httpapi.Downloads))
	ctx := context.Background()

	e := loadEvent(t, "post-json.json")
	res, err := handle(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d, want 201: %s", res.StatusCode, res.Body)
	}
	if res.IsBase64Encoded {
		t.Errorf("JSON came back base64-encoded")
	}
	if got := res.Headers[httpapi.RequestIDHeader]; got != e.RequestContext.RequestID {
		t.Errorf("X-Request-Id = %q, want the event's %q", got, e.RequestContext.RequestID)
	}
	if !strings.HasPrefix(res.Headers["Content-Type"], "application/json") {
		t.Errorf("Content-Type = %q", res.Headers["Content-Type"])
	}
	var c struct {
		ID, URL, Status string
	}
	if err := json.Unmarshal([]byte(res.Body), &c); err != nil {
		t.Fatal(err)
	}
	if !track.ValidID(c.ID) || c.URL != "https://soundtime.example/t/"+c.ID || c.Status != "pending" {
		t.Errorf("created %+v", c)
	}
	if res.Headers["Location"] != "/api/tracks/"+c.ID || store.Len() != 1 {
		t.Errorf("Location %q, %d items", res.Headers["Location"], store.Len())
	}

	// The same track read back through a GET event.
	get := loadEvent(t, "get-query.json")
	get.RawPath, get.RequestContext.HTTP.Path, get.RawQueryString = "/api/tracks/"+c.ID, "/api/tracks/"+c.ID, ""
	res, err = handle(ctx, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"filename":"Song (live).mp3"`) {
		t.Errorf("GET = %d %s", res.StatusCode, res.Body)
	}

	// A v1 client, on a mixed-case path, through the gateway.
	get.RawPath = "/api/GetTrackInfo"
	get.RawQueryString = "id=" + c.ID
	res, err = handle(ctx, get)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"size":"4812345"`) {
		t.Errorf("v1 GET = %d %s", res.StatusCode, res.Body)
	}
}
