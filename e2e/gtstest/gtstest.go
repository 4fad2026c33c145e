// Package gtstest runs a real GoToSocial server for a test: the fediverse server of the federation
// end-to-end test. It starts the pinned build (`make gotosocial` puts it in .tools/bin) on a free
// loopback port with sqlite in a temporary folder, creates a user, signs it in through the OAuth
// flow a client app uses, and offers the few client API calls the test makes. A missing binary or
// a server that does not start fails the test; it never skips.
//
// It is a test-only package: it imports testing, starts no AWS emulation, and nothing deployed or
// run by `make dev` links it (unlike pkg/localaws). It lives beside e2e/gotosocial, the module
// that pins and builds the server.
package gtstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Module is the Go module whose build the server is, and whose web templates and assets it
// serves (from the module cache).
const Module = "github.com/superseriousbusiness/gotosocial"

// Options configure Start. The zero value is what most tests want.
type Options struct {
	// Username of the signed-in user (default "alice").
	Username string
	// Output receives the server's log as it runs (nil: kept in the server's folder and shown
	// when the test fails).
	Output io.Writer
}

// Server is a running GoToSocial with one signed-in user.
type Server struct {
	URL       string // http://localhost:PORT, the client API's base
	Host      string // localhost:PORT: its domain, the host part of its users' handles
	Username  string
	AccountID string
	Token     string // an OAuth access token with the scopes read, write and follow
	Dir       string // its config, database and log

	bin, config string
	http        *http.Client
	cmd         *exec.Cmd
	exited      chan struct{}
	stop        sync.Once
}

// Start runs GoToSocial until the test ends, with a user signed in. It takes about 5 s once the
// WebAssembly compilation cache (under .tools/cache) is warm, 25 s or more before.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Username == "" {
		opt.Username = "alice"
	}
	bin, root, err := findBinary()
	if err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	web, err := webDir(root)
	if err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	dir := t.TempDir()
	s := &Server{
		URL: "http://localhost:" + port, Host: "localhost:" + port, Username: opt.Username, Dir: dir,
		bin: bin, config: filepath.Join(dir, "config.yaml"), exited: make(chan struct{}),
	}
	if err := os.WriteFile(s.config, config(dir, port, web, time.Now()), 0o600); err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	logPath := filepath.Join(dir, "gotosocial.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	t.Cleanup(func() {
		s.Stop()
		logFile.Close()
		if t.Failed() && opt.Output == nil {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("GoToSocial's log (last 8 KiB):\n%s", tail(b, 8<<10))
			}
		}
	})
	var out io.Writer = logFile
	if opt.Output != nil {
		out = io.MultiWriter(logFile, opt.Output)
	}

	cache := filepath.Join(root, ".tools", "cache", "gotosocial-wazero")
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	s.cmd = exec.Command(bin, "--config-path", s.config, "server", "start")
	s.cmd.Stdout, s.cmd.Stderr = out, out
	// Compiling ffmpeg's WebAssembly takes about 20 s of the first start; later starts reuse it.
	s.cmd.Env = append(minimalEnv(), "GTS_WAZERO_COMPILATION_CACHE="+cache)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("gtstest: start %s: %v", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()

	jar, _ := cookiejar.New(nil)
	s.http = &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		// The OAuth flow reads the redirects it is sent; it follows none.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	if err := s.waitReady(ctx); err != nil {
		t.Fatalf("gtstest: GoToSocial did not start: %v", err)
	}
	t.Logf("gtstest: GoToSocial ready on %s after %v", s.URL, time.Since(start).Round(100*time.Millisecond))
	password, err := s.CreateUser(ctx, opt.Username)
	if err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	if err := s.signIn(ctx, opt.Username+"@example.org", password); err != nil {
		t.Fatalf("gtstest: sign in: %v", err)
	}
	var me Account
	if err := s.api(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, &me); err != nil {
		t.Fatalf("gtstest: %v", err)
	}
	s.AccountID = me.ID
	return s
}

// config is GoToSocial's configuration for a test: sqlite and local storage in dir, loopback only,
// outgoing requests allowed to loopback and to test certificates (the federation test's peer is
// a local TLS server), no rate limits, and the daily background jobs pushed a year away.
func config(dir, port, web string, now time.Time) []byte {
	// The jobs cannot be turned off: an interval of 0 makes their scheduler loop for ever
	// (internal/cleaner/cleaner.go). Their first run is at "from" plus "every", so one minute
	// ago plus a year.
	from := now.Add(-time.Minute).Format("15:04")
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) } // YAML accepts JSON strings
	return []byte(strings.Join([]string{
		`log-level: "info"`,
		`application-name: "gtstest"`,
		`host: ` + q("localhost:"+port),
		`protocol: "http"`,
		`bind-address: "127.0.0.1"`,
		`port: ` + port,
		`db-type: "sqlite"`,
		`db-address: ` + q(filepath.Join(dir, "sqlite.db")),
		`storage-backend: "local"`,
		`storage-local-base-path: ` + q(filepath.Join(dir, "storage")),
		`web-template-base-dir: ` + q(filepath.Join(web, "template")+"/"),
		`web-asset-base-dir: ` + q(filepath.Join(web, "assets")+"/"),
		`letsencrypt-enabled: false`,
		`accounts-registration-open: false`,
		`media-ffmpeg-pool-size: 1`,
		`media-cleanup-from: ` + q(from),
		`media-cleanup-every: "8760h"`,
		`instance-subscriptions-process-from: ` + q(from),
		`instance-subscriptions-process-every: "8760h"`,
		`advanced-rate-limit-requests: 0`,
		`advanced-throttling-multiplier: 0`,
		`http-client:`,
		`  timeout: "10s"`,
		`  allow-ips: ["127.0.0.0/8", "::1/128"]`,
		`  block-ips: []`,
		`  tls-insecure-skip-verify: true`,
		``,
	}, "\n"))
}

// findBinary returns GOTOSOCIAL_BIN, else .tools/bin/gotosocial at the module root (found from
// the working directory upwards), and the root.
func findBinary() (bin, root string, err error) {
	root, err = moduleRoot()
	if err != nil {
		return "", "", err
	}
	bin = os.Getenv("GOTOSOCIAL_BIN")
	if bin == "" {
		bin = filepath.Join(root, ".tools", "bin", "gotosocial")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", "", fmt.Errorf("GoToSocial not found at %s: run `make gotosocial` (5 to 10 minutes, once)", bin)
	}
	return bin, root, nil
}

// webDir returns GOTOSOCIAL_WEB_DIR, else the web/ folder of the pinned module in the module
// cache, as `go mod download -json` in the wrapper module reports it (downloading it if the
// cache lacks it; after `make gotosocial` it is there).
func webDir(root string) (string, error) {
	if d := os.Getenv("GOTOSOCIAL_WEB_DIR"); d != "" {
		return d, nil
	}
	cmd := exec.Command("go", "mod", "download", "-json", Module)
	cmd.Dir = filepath.Join(root, "e2e", "gotosocial")
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find GoToSocial's web files: go mod download: %v: %s", err, stderr.Bytes())
	}
	var m struct{ Dir, Error string }
	if err := json.Unmarshal(out, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("find GoToSocial's web files: go mod download said %s %s", out, m.Error)
	}
	web := filepath.Join(m.Dir, "web")
	if _, err := os.Stat(filepath.Join(web, "template")); err != nil {
		return "", fmt.Errorf("find GoToSocial's web files: %w", err)
	}
	return web, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module github.com/soundtime/soundtime\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Soundtime go.mod above the working directory")
		}
		dir = parent
	}
}

// minimalEnv passes GoToSocial what it needs to run and nothing else, as localaws does its
// servers.
func minimalEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "LANG", "TZ"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitReady polls /readyz until it answers 200, the process exits, or ctx ends.
func (s *Server) waitReady(ctx context.Context) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/readyz", nil)
		if res, err := s.http.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("the process exited (%v)", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("/readyz: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// CreateUser makes a local user with GoToSocial's admin CLI, which marks it confirmed and
// approved already (cmd/gotosocial/action/admin/account: EmailVerified and PreApproved), and
// returns its password. Its email is USERNAME@example.org.
func (s *Server) CreateUser(ctx context.Context, username string) (password string, err error) {
	var raw [24]byte
	rand.Read(raw[:])
	// Random, and well above GoToSocial's password entropy minimum.
	password = base64.RawURLEncoding.EncodeToString(raw[:]) + "-Aa1!"
	cmd := exec.CommandContext(ctx, s.bin, "--config-path", s.config, "admin", "account", "create",
		"--username", username, "--email", username+"@example.org", "--password", password)
	cmd.Env = minimalEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("admin account create %s: %v: %s", username, err, tail(out, 2<<10))
	}
	return password, nil
}

// redirectURI is registered with the app and never contacted: the flow reads the code from the
// Location header that points at it.
const redirectURI = "http://localhost/callback"

const scopes = "read write follow"

// signIn runs the authorization-code flow a client app runs, as a browser would: register an
// app, open /oauth/authorize (which sends an unsigned-in session to the sign-in form), sign in
// with email and password, approve, and exchange the code for a token. The session cookie lives
// 120 s (internal/middleware/session.go), ample for these requests.
func (s *Server) signIn(ctx context.Context, email, password string) error {
	var app struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	body, _ := json.Marshal(map[string]string{"client_name": "gtstest", "redirect_uris": redirectURI, "scopes": scopes, "website": "http://localhost"})
	if err := s.do(ctx, http.MethodPost, "/api/v1/apps", "application/json", bytes.NewReader(body), http.StatusOK, &app); err != nil {
		return err
	}

	authorize := "/oauth/authorize?" + url.Values{
		"client_id": {app.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {scopes},
	}.Encode()
	if loc, err := s.redirect(ctx, http.MethodGet, authorize, nil); err != nil {
		return err
	} else if !strings.HasSuffix(loc.Path, "/auth/sign_in") {
		return fmt.Errorf("GET /oauth/authorize sent to %s, want the sign-in form", loc)
	}
	// The form's field is called username and takes the email (internal/api/auth/signin.go).
	form := url.Values{"username": {email}, "password": {password}}
	if loc, err := s.redirect(ctx, http.MethodPost, "/auth/sign_in", form); err != nil {
		return err
	} else if !strings.HasSuffix(loc.Path, "/oauth/authorize") {
		return fmt.Errorf("POST /auth/sign_in sent to %s, want /oauth/authorize (wrong password?)", loc)
	}
	// Approve: the values come from the session.
	loc, err := s.redirect(ctx, http.MethodPost, "/oauth/authorize", url.Values{})
	if err != nil {
		return err
	}
	code := loc.Query().Get("code")
	if code == "" || !strings.HasPrefix(loc.String(), redirectURI) {
		return fmt.Errorf("POST /oauth/authorize sent to %s, want %s?code=…", loc, redirectURI)
	}

	var token struct {
		AccessToken string `json:"access_token"`
	}
	form = url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {redirectURI}, "scope": {scopes},
	}
	if err := s.do(ctx, http.MethodPost, "/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), http.StatusOK, &token); err != nil {
		return err
	}
	if token.AccessToken == "" {
		return errors.New("POST /oauth/token gave no access_token")
	}
	s.Token = token.AccessToken
	return nil
}

// redirect makes a browser-like request (Accept: text/html, the session cookie, form fields if
// any) and returns where the answer redirects to.
func (s *Server) redirect(ctx context.Context, method, path string, form url.Values) (*url.URL, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if res.StatusCode < 300 || res.StatusCode > 399 {
		return nil, fmt.Errorf("%s %s: %s, want a redirect: %s", method, strings.SplitN(path, "?", 2)[0], res.Status, b)
	}
	return res.Location()
}

// do makes a request and decodes a JSON answer with status want into out.
func (s *Server) do(ctx context.Context, method, path, contentType string, body io.Reader, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if s.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.Token)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("gotosocial: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("gotosocial: %s %s: %w", method, path, err)
	}
	if res.StatusCode != want {
		return &StatusError{Method: method, Path: path, Status: res.StatusCode, Body: string(tail(b, 2<<10))}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("gotosocial: %s %s: decode: %w", method, path, err)
	}
	return nil
}

// api makes a client API call with the user's token.
func (s *Server) api(ctx context.Context, method, path string, form url.Values, out any) error {
	if form == nil {
		return s.do(ctx, method, path, "", nil, http.StatusOK, out)
	}
	return s.do(ctx, method, path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), http.StatusOK, out)
}

// StatusError is a client API answer with an unexpected status.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("gotosocial: %s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Account is the part of a Mastodon API account the tests read.
type Account struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Acct     string `json:"acct"` // user@domain for a remote account, user for a local one
	URL      string `json:"url"`
	URI      string `json:"uri"` // the ActivityPub id (GoToSocial's addition)
}

// Status is the part of a Mastodon API status the tests read.
type Status struct {
	ID         string  `json:"id"`
	URI        string  `json:"uri"` // the ActivityPub id
	URL        string  `json:"url"`
	Content    string  `json:"content"` // HTML
	Visibility string  `json:"visibility"`
	Account    Account `json:"account"`
	Card       *struct {
		URL   string `json:"url"`
		Title string `json:"title"`
		Type  string `json:"type"`
	} `json:"card"`
}

// Relationship is the user's relationship with another account.
type Relationship struct {
	ID         string `json:"id"`
	Following  bool   `json:"following"`
	Requested  bool   `json:"requested"` // a follow sent and not yet accepted
	FollowedBy bool   `json:"followed_by"`
}

// SearchAccount looks query up (@user@host, or an actor URL), resolving it over federation when
// the server does not know it yet, and returns the accounts found (none is not an error).
func (s *Server) SearchAccount(ctx context.Context, query string) ([]Account, error) {
	var out struct {
		Accounts []Account `json:"accounts"`
	}
	q := url.Values{"q": {query}, "resolve": {"true"}, "type": {"accounts"}}
	if err := s.api(ctx, http.MethodGet, "/api/v2/search?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Accounts, nil
}

// Follow follows the account id: a remote one is Requested until its server accepts.
func (s *Server) Follow(ctx context.Context, id string) (Relationship, error) {
	var r Relationship
	err := s.api(ctx, http.MethodPost, "/api/v1/accounts/"+url.PathEscape(id)+"/follow", url.Values{"reblogs": {"true"}}, &r)
	return r, err
}

// Unfollow stops following the account id (a remote one is sent an Undo of the Follow).
func (s *Server) Unfollow(ctx context.Context, id string) (Relationship, error) {
	var r Relationship
	err := s.api(ctx, http.MethodPost, "/api/v1/accounts/"+url.PathEscape(id)+"/unfollow", url.Values{}, &r)
	return r, err
}

// Relationship returns the user's relationship with the account id.
func (s *Server) Relationship(ctx context.Context, id string) (Relationship, error) {
	var rs []Relationship
	if err := s.api(ctx, http.MethodGet, "/api/v1/accounts/relationships?"+url.Values{"id[]": {id}}.Encode(), nil, &rs); err != nil {
		return Relationship{}, err
	}
	if len(rs) != 1 {
		return Relationship{}, fmt.Errorf("gotosocial: %d relationships for one account", len(rs))
	}
	return rs[0], nil
}

// HomeTimeline returns the newest statuses of the user's home timeline (at most 40).
func (s *Server) HomeTimeline(ctx context.Context) ([]Status, error) {
	var st []Status
	err := s.api(ctx, http.MethodGet, "/api/v1/timelines/home?limit=40", nil, &st)
	return st, err
}

// Stop stops the server: SIGTERM to its process group, SIGKILL after ten seconds. The test's
// cleanup calls it; calling it earlier is safe.
func (s *Server) Stop() {
	s.stop.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.exited
		}
	})
}
