package httpapi_test

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

// trackErrorCodes returns every E… string constant declared in pkg/track, so that a code added
// there without a row here fails the test below.
func trackErrorCodes(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../track/*.go")
	if err != nil {
		t.Fatal(err)
	}
	isCode := regexp.MustCompile(`^E[A-Z]`)
	codes := map[string]string{}
	fset := token.NewFileSet()
	for _, fname := range files {
		if strings.HasSuffix(fname, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, fname, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if !isCode.MatchString(n.Name) || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					codes[n.Name] = v
				}
			}
		}
	}
	if len(codes) < 10 {
		t.Fatalf("found only %d error codes in pkg/track: %v", len(codes), codes)
	}
	return codes
}

func TestStatusFor(t *testing.T) {
	tests := []struct {
		code   string
		status int
	}{
		{track.EInvalidRequest, 400},
		{track.EInvalidFilename, 400},
		{track.EUnsupportedType, 400},
		{track.EInvalidSize, 400},
		{track.EInvalidMD5, 400},
		{track.ETooLarge, 413},
		{track.ERateLimited, 429},
		{track.ENotFound, 404},
		{track.EForbidden, 403},
		{track.ENotDownloadable, 403},
		{track.ENotReady, 409},
		{track.ETrackFailed, 409},
		{track.EInvalidPart, 400},
		{track.EInvalidParts, 400},
		{track.ENotPending, 409},
		{track.EInternal, 500},
		{track.EInvalidTitle, 400},
		{httpapi.EMethodNotAllowed, 405},
		// Processing failures are carried inside a failed track's body, never as the error of a
		// request: should one ever surface as one, it is a server error.
		{track.EUploadMismatch, 500},
		{track.ENotAudio, 500},
		{track.ECorrupt, 500},
		{track.ETooLong, 500},
		{track.EProcessingFailed, 500},
		{track.ECorruptUpload, 500},
		// Codes nobody mapped fail loudly instead of passing as success.
		{"no_such_code", 500},
		{"", 500},
		{"NOT_FOUND", 500},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.code] = true
		t.Run(tt.code, func(t *testing.T) {
			if got := httpapi.StatusFor(tt.code); got != tt.status {
				t.Fatalf("StatusFor(%q) = %d, want %d", tt.code, got, tt.status)
			}
		})
	}
	for name, code := range trackErrorCodes(t) {
		if !covered[code] {
			t.Errorf("track.%s (%q) has no row in this table", name, code)
		}
	}
}

// panicStore is a Store whose every call panics, as a nil map or a bad type assertion would.
type panicStore struct{}

const panicText = "secret panic text: table password hunter2"

func (panicStore) Create(context.Context, *track.Track) error { panic(panicText) }
func (panicStore) Get(context.Context, string) (*track.Track, error) {
	panic(panicText)
}
func (panicStore) Replace(context.Context, *track.Track, *track.Track) error { panic(panicText) }
func (panicStore) Touch(context.Context, string, time.Time, time.Time) error { panic(panicText) }
func (panicStore) Extend(context.Context, string, time.Time) error           { panic(panicText) }
func (panicStore) Delete(context.Context, string, string) (*track.Track, error) {
	panic(panicText)
}

func (panicStore) Due(context.Context, track.Status, time.Time) ([]string, error) {
	panic(panicText)
}

func TestPanicIsAnInternalError(t *testing.T) {
	requests := []struct{ method, target, body string }{
		{"POST", "/api/tracks", goodBody},
		{"GET", "/api/tracks/Abcdef12", ""},
		{"DELETE", "/api/tracks/Abcdef12", ""},
		{"GET", "/api/tracks/Abcdef12/download", ""},
		{"GET", "/api/gettrackinfo?id=Abcdef12", ""},
	}
	for _, r := range requests {
		t.Run(r.method+" "+r.target, func(t *testing.T) {
			h := newHarness(t)
			h.svc.Store = panicStore{}
			rec := h.do(t, r.method, r.target, r.body, "Authorization", "Bearer x")
			if rec.Code != http.StatusInternalServerError {
				t.Errorf("status = %d, want 500", rec.Code)
			}
			const want = `{"error":{"code":"internal","message":"internal error"}}`
			if got := strings.TrimSpace(rec.Body.String()); got != want {
				t.Errorf("body = %s, want %s", got, want)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "goroutine") {
				t.Errorf("body leaks the panic: %s", rec.Body)
			}
			for k, vs := range rec.Header() {
				if strings.Contains(strings.Join(vs, " "), "hunter2") {
					t.Errorf("header %s leaks the panic", k)
				}
			}
			if rec.Header().Get(httpapi.RequestIDHeader) == "" {
				t.Error("no request ID on a 500")
			}
			// The cause goes to the log, once, at the edge.
			if logs := h.logs.String(); !strings.Contains(logs, "hunter2") {
				t.Errorf("the panic was not logged: %s", logs)
			}
		})
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	const cause = "dynamo: ProvisionedThroughputExceeded on table soundtime-prod"
	t.Run("current API", func(t *testing.T) {
		h := newHarness(t)
		h.store.CreateHook = func(*track.Track) error { return errors.New(cause) }
		rec := h.do(t, "POST", "/api/tracks", goodBody)
		wantError(t, rec, http.StatusInternalServerError, track.EInternal)
		if strings.Contains(rec.Body.String(), "Provisioned") || !strings.Contains(rec.Body.String(), `"internal error"`) {
			t.Errorf("body = %s, want only \"internal error\"", rec.Body)
		}
		if n := strings.Count(h.logs.String(), "ProvisionedThroughputExceeded"); n != 1 {
			t.Errorf("the cause is logged %d times, want once:\n%s", n, h.logs)
		}
	})
	t.Run("v1", func(t *testing.T) {
		h := newHarness(t)
		h.store.CreateHook = func(*track.Track) error { return errors.New(cause) }
		rec := h.do(t, "GET", "/api/getuploadurl?filename=a.mp3&type=audio/mpeg&size=1&md5="+emptyMD5, "")
		wantV1Error(t, rec, http.StatusInternalServerError, "internal error")
	})
}

func TestRequestID(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	requests := []struct {
		name, method, target, body string
		status                     int
	}{
		{"201", "POST", "/api/tracks", goodBody, 201},
		{"200", "GET", "/api/tracks/" + c.ID, "", 200},
		{"400", "POST", "/api/tracks", "{", 400},
		{"404", "GET", "/api/tracks/Nope0000", "", 404},
		{"404 route", "GET", "/api/xyz", "", 404},
		{"405", "PUT", "/api/tracks/" + c.ID, "", 405},
		{"409", "GET", "/api/tracks/" + c.ID + "/download", "", 409},
		{"403", "DELETE", "/api/tracks/" + c.ID, "", 403},
		{"v1 404", "GET", "/api/gettrackinfo?id=Nope0000", "", 404},
		{"healthz", "GET", "/healthz", "", 200},
	}
	seen := map[string]bool{}
	hexID := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, r := range requests {
		t.Run(r.name, func(t *testing.T) {
			rec := h.do(t, r.method, r.target, r.body)
			if rec.Code != r.status {
				t.Errorf("status = %d, want %d", rec.Code, r.status)
			}
			id := rec.Header().Get("X-Request-Id")
			if !hexID.MatchString(id) {
				t.Errorf("X-Request-Id = %q, want 16 hex digits", id)
			}
			if seen[id] {
				t.Errorf("X-Request-Id %q repeated", id)
			}
			seen[id] = true
		})
	}
	t.Run("kept from the proxy", func(t *testing.T) {
		rec := h.do(t, "GET", "/api/tracks/"+c.ID, "", "X-Request-Id", "Bv3kXhV0IAMEVgQ=")
		if got := rec.Header().Get("X-Request-Id"); got != "Bv3kXhV0IAMEVgQ=" {
			t.Errorf("X-Request-Id = %q, want the proxy's", got)
		}
		if !strings.Contains(h.logs.String(), `"requestId":"Bv3kXhV0IAMEVgQ="`) {
			t.Errorf("the access log does not carry the request ID:\n%s", h.logs)
		}
	})
	t.Run("too long from the proxy", func(t *testing.T) {
		long := strings.Repeat("a", 129)
		rec := h.do(t, "GET", "/api/tracks/"+c.ID, "", "X-Request-Id", long)
		if got := rec.Header().Get("X-Request-Id"); !hexID.MatchString(got) {
			t.Errorf("X-Request-Id = %q, want a fresh one", got)
		}
	})
}

func TestRoutes(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)
	t.Run("405 with Allow", func(t *testing.T) {
		tests := []struct {
			method, target string
			allow          []string
		}{
			{"PUT", "/api/tracks/" + c.ID, []string{"DELETE", "GET"}},
			{"PATCH", "/api/tracks/" + c.ID, []string{"DELETE", "GET"}},
			{"POST", "/api/tracks/" + c.ID, []string{"DELETE", "GET"}},
			{"GET", "/api/tracks", []string{"POST"}},
			{"DELETE", "/api/tracks", []string{"POST"}},
			{"POST", "/api/tracks/" + c.ID + "/download", []string{"GET"}},
		}
		for _, tt := range tests {
			t.Run(tt.method+" "+tt.target, func(t *testing.T) {
				rec := h.do(t, tt.method, tt.target, "")
				wantError(t, rec, http.StatusMethodNotAllowed, httpapi.EMethodNotAllowed)
				var allow []string
				for _, m := range strings.Split(rec.Header().Get("Allow"), ",") {
					allow = append(allow, strings.TrimSpace(m))
				}
				slices.Sort(allow)
				got := strings.Join(allow, ",")
				if want := strings.Join(tt.allow, ","); got != want {
					t.Errorf("Allow = %q, want %q", rec.Header().Get("Allow"), want)
				}
			})
		}
	})
	t.Run("unknown endpoints", func(t *testing.T) {
		for _, target := range []string{"/api/xyz", "/api/", "/api/tracks/", "/api/tracks/" + c.ID + "/nope", "/api/tracks/a/b/c", "/api/getnothing"} {
			t.Run(target, func(t *testing.T) {
				wantError(t, h.do(t, "GET", target, ""), http.StatusNotFound, track.ENotFound)
			})
		}
	})
	t.Run("HEAD is GET without a body", func(t *testing.T) {
		rec := h.do(t, "HEAD", "/api/tracks/"+c.ID, "")
		if rec.Code != http.StatusOK {
			t.Errorf("HEAD = %d, want 200", rec.Code)
		}
	})
	if n := h.store.Len(); n != 1 {
		t.Errorf("store holds %d items, want 1", n)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t)
	rec := h.do(t, "GET", "/healthz", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"ok":true}` {
		t.Errorf("healthy: %d %s", rec.Code, rec.Body)
	}
	h.srv.Health = func(context.Context) error { return errors.New("table unreachable") }
	rec = h.do(t, "GET", "/healthz", "")
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "unreachable") {
		t.Errorf("unhealthy: %d %s, want 503 without the cause", rec.Code, rec.Body)
	}
}

var _ track.Store = panicStore{}
