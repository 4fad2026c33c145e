package remote_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/remote"
)

// mapResolver resolves the names it knows to chosen addresses: the seam that lets a test give a
// name any address, public-looking or not.
type mapResolver map[string][]string

func (m mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ss, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// server is a test server on a chosen address that counts the requests it gets.
type server struct {
	*httptest.Server
	port string
	hits atomic.Int32
}

// startServer serves h on listenAddr ("127.0.0.2:0", "[::1]:0"), over TLS unless plain.
func startServer(t *testing.T, listenAddr string, plain bool, h http.HandlerFunc) *server {
	t.Helper()
	l, err := net.Listen("tcp", listenAddr)
	if err != nil {
		t.Fatalf("listen %s: %v", listenAddr, err)
	}
	return serve(t, l, plain, h)
}

func serve(t *testing.T, l net.Listener, plain bool, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.Listener.Close()
	s.Listener = l
	if plain {
		s.Start()
	} else {
		s.StartTLS()
	}
	t.Cleanup(s.Close)
	_, s.port, _ = net.SplitHostPort(l.Addr().String())
	return s
}

// trust returns a TLS configuration that trusts the test servers' certificate (every httptest
// server has the same one, for example.com, *.example.com, 127.0.0.1 and ::1).
func trust(t *testing.T) *tls.Config {
	t.Helper()
	s := httptest.NewTLSServer(http.NotFoundHandler())
	defer s.Close()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	return &tls.Config{RootCAs: pool}
}

func jsonHandler(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		io.WriteString(w, body)
	}
}

func mustAllow(t *testing.T, s string) []netip.Prefix {
	t.Helper()
	p, err := remote.ParseAllowIPs(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRefusesNonPublicAddresses(t *testing.T) {
	v4 := startServer(t, "127.0.0.1:0", false, jsonHandler(`{"id":"x"}`))
	v6 := startServer(t, "[::1]:0", false, jsonHandler(`{"id":"x"}`))
	resolver := mapResolver{
		"loopback.example.com": {"127.0.0.1"},
		"v6.example.com":       {"::1"},
		"metadata.example.com": {"169.254.169.254"},
		"private.example.com":  {"10.0.0.1", "192.168.1.1"},
		"ula.example.com":      {"fd00::1"},
		"mapped.example.com":   {"::ffff:127.0.0.1"},
		"cgnat.example.com":    {"100.64.0.1"},
	}
	urls := []string{
		"https://127.0.0.1:" + v4.port + "/actor",
		"https://[::1]:" + v6.port + "/actor",
		"https://[::ffff:127.0.0.1]:" + v4.port + "/actor",
		"https://10.0.0.1/actor",
		"https://192.168.1.1/actor",
		"https://169.254.169.254/latest/meta-data/",
		"https://[fd00::1]/actor",
		"https://0.0.0.0:" + v4.port + "/actor",
		"https://loopback.example.com:" + v4.port + "/actor",
		"https://v6.example.com:" + v6.port + "/actor",
		"https://mapped.example.com:" + v4.port + "/actor",
		"https://metadata.example.com/latest/meta-data/",
		"https://private.example.com/actor",
		"https://ula.example.com/actor",
		"https://cgnat.example.com/actor",
	}
	c := remote.New(remote.Options{TLSConfig: trust(t), Resolver: resolver})
	for _, u := range urls {
		if _, err := c.GetJSON(context.Background(), u, nil); !errors.Is(err, remote.ErrForbiddenAddress) {
			t.Errorf("GET %s: got %v, want ErrForbiddenAddress", u, err)
		}
		if status, err := c.Post(context.Background(), u, "application/activity+json", []byte("{}"), nil); !errors.Is(err, remote.ErrForbiddenAddress) || status != 0 {
			t.Errorf("POST %s: got %d, %v, want ErrForbiddenAddress", u, status, err)
		}
		if resp, err := c.HTTPClient().Get(u); !errors.Is(err, remote.ErrForbiddenAddress) {
			if resp != nil {
				resp.Body.Close()
			}
			t.Errorf("HTTPClient GET %s: got %v, want ErrForbiddenAddress", u, err)
		}
	}
	if n := v4.hits.Load() + v6.hits.Load(); n != 0 {
		t.Errorf("the loopback servers got %d requests", n)
	}

	// The same addresses are reachable once allowed.
	allowed := remote.New(remote.Options{TLSConfig: trust(t), Resolver: resolver, AllowIPs: mustAllow(t, "127.0.0.1/32,::1/128")})
	for _, u := range []string{
		"https://127.0.0.1:" + v4.port + "/actor",
		"https://[::1]:" + v6.port + "/actor",
		"https://[::ffff:127.0.0.1]:" + v4.port + "/actor",
		"https://loopback.example.com:" + v4.port + "/actor",
		"https://v6.example.com:" + v6.port + "/actor",
		"https://mapped.example.com:" + v4.port + "/actor",
	} {
		doc, err := allowed.GetJSON(context.Background(), u, nil)
		if err != nil {
			t.Errorf("allowed GET %s: %v", u, err)
			continue
		}
		if string(doc.Body) != `{"id":"x"}` {
			t.Errorf("allowed GET %s: body %q", u, doc.Body)
		}
	}
	if v4.hits.Load() == 0 || v6.hits.Load() == 0 {
		t.Errorf("allowed requests did not arrive: v4 %d, v6 %d", v4.hits.Load(), v6.hits.Load())
	}
}

// listenPair listens on 127.0.0.1 and 127.0.0.2 on one port, so that a name resolving to both
// can reach either.
func listenPair(t *testing.T) (private, public net.Listener) {
	t.Helper()
	for range 20 {
		pub, err := net.Listen("tcp", "127.0.0.2:0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(pub.Addr().String())
		priv, err := net.Listen("tcp", "127.0.0.1:"+port)
		if err == nil {
			return priv, pub
		}
		pub.Close()
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return nil, nil
}

// Among the resolved addresses, the ones not allowed are never dialled, whatever their order:
// the address checked is the address connected to.
func TestDialsOnlyCheckedAddresses(t *testing.T) {
	privL, pubL := listenPair(t)
	priv := serve(t, privL, false, jsonHandler(`"private"`))
	pub := serve(t, pubL, false, jsonHandler(`"public"`))
	c := remote.New(remote.Options{
		TLSConfig: trust(t),
		AllowIPs:  mustAllow(t, "127.0.0.2"),
		Resolver: mapResolver{
			"mixed.example.com":   {"127.0.0.1", "127.0.0.2"},
			"private.example.com": {"127.0.0.1"},
		},
	})
	doc, err := c.GetJSON(context.Background(), "https://mixed.example.com:"+pub.port+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc.Body) != `"public"` {
		t.Errorf("answered by %s", doc.Body)
	}
	if _, err := c.GetJSON(context.Background(), "https://private.example.com:"+pub.port+"/", nil); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("private only: got %v", err)
	}
	if n := priv.hits.Load(); n != 0 {
		t.Errorf("the private address got %d requests", n)
	}
}

// rebindingResolver answers the first lookup with one address and every later one with another,
// as a hostile DNS server would after a check.
type rebindingResolver struct {
	mu           sync.Mutex
	calls        int
	first, later string
}

func (r *rebindingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == 1 {
		return []netip.Addr{netip.MustParseAddr(r.first)}, nil
	}
	return []netip.Addr{netip.MustParseAddr(r.later)}, nil
}

// Every new connection checks the address resolved for it: a name that turns private after a
// first, allowed, lookup is refused on the next connection.
func TestDNSRebindingRefused(t *testing.T) {
	privL, pubL := listenPair(t)
	priv := serve(t, privL, false, jsonHandler(`"private"`))
	pub := serve(t, pubL, false, jsonHandler(`"public"`))
	c := remote.New(remote.Options{
		TLSConfig: trust(t),
		AllowIPs:  mustAllow(t, "127.0.0.2"),
		Resolver:  &rebindingResolver{first: "127.0.0.2", later: "127.0.0.1"},
	})
	u := "https://rebind.example.com:" + pub.port + "/"
	if _, err := c.GetJSON(context.Background(), u, nil); err != nil {
		t.Fatal(err)
	}
	c.HTTPClient().CloseIdleConnections()
	if _, err := c.GetJSON(context.Background(), u, nil); !errors.Is(err, remote.ErrForbiddenAddress) {
		t.Errorf("after rebinding: got %v", err)
	}
	if n := priv.hits.Load(); n != 0 {
		t.Errorf("the private address got %d requests", n)
	}
}

func TestRedirects(t *testing.T) {
	internal := startServer(t, "127.0.0.1:0", false, jsonHandler(`{"secret":true}`))
	plain := startServer(t, "127.0.0.2:0", true, jsonHandler(`{"plain":true}`))
	var pub *server
	pub = startServer(t, "127.0.0.2:0", false, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/to-ip":
			http.Redirect(w, r, "https://127.0.0.1:"+internal.port+"/secret", http.StatusFound)
		case r.URL.Path == "/to-name":
			http.Redirect(w, r, "https://internal.example.com:"+internal.port+"/secret", http.StatusMovedPermanently)
		case r.URL.Path == "/to-http":
			http.Redirect(w, r, "http://public.example.com:"+plain.port+"/plain", http.StatusFound)
		case strings.HasPrefix(r.URL.Path, "/hop/"):
			n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/hop/"))
			if n == 0 {
				jsonHandler(`{"arrived":true}`)(w, r)
				return
			}
			http.Redirect(w, r, fmt.Sprintf("https://public.example.com:%s/hop/%d", pub.port, n-1), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	opts := remote.Options{
		TLSConfig: trust(t),
		AllowIPs:  mustAllow(t, "127.0.0.2"),
		Resolver: mapResolver{
			"public.example.com":   {"127.0.0.2"},
			"internal.example.com": {"127.0.0.1"},
		},
	}
	c := remote.New(opts)
	base := "https://public.example.com:" + pub.port

	for _, path := range []string{"/to-ip", "/to-name"} {
		if _, err := c.GetJSON(context.Background(), base+path, nil); !errors.Is(err, remote.ErrForbiddenAddress) {
			t.Errorf("%s: got %v, want ErrForbiddenAddress", path, err)
		}
		if _, err := c.Post(context.Background(), base+path, "application/activity+json", []byte("{}"), nil); err != nil {
			// A 302 of a POST is not followed: the status is the result.
			t.Errorf("POST %s: %v", path, err)
		}
	}
	if n := internal.hits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}

	doc, err := c.GetJSON(context.Background(), base+"/hop/3", nil)
	if err != nil {
		t.Fatalf("3 redirects: %v", err)
	}
	if want := base + "/hop/0"; doc.URL != want {
		t.Errorf("final URL %s, want %s", doc.URL, want)
	}
	if _, err := c.GetJSON(context.Background(), base+"/hop/4", nil); !errors.Is(err, remote.ErrTooManyRedirects) {
		t.Errorf("4 redirects: got %v, want ErrTooManyRedirects", err)
	}

	if _, err := c.GetJSON(context.Background(), base+"/to-http", nil); !errors.Is(err, remote.ErrScheme) {
		t.Errorf("redirect to http: got %v, want ErrScheme", err)
	}
	if n := plain.hits.Load(); n != 0 {
		t.Errorf("the http server got %d requests", n)
	}
	opts.InsecureHTTP = true
	if _, err := remote.New(opts).GetJSON(context.Background(), base+"/to-http", nil); err != nil {
		t.Errorf("redirect to http with InsecureHTTP: %v", err)
	}
}

func TestSchemes(t *testing.T) {
	plain := startServer(t, "127.0.0.1:0", true, jsonHandler(`{}`))
	opts := remote.Options{AllowIPs: mustAllow(t, "127.0.0.1")}
	u := "http://127.0.0.1:" + plain.port + "/actor"
	c := remote.New(opts)
	if _, err := c.GetJSON(context.Background(), u, nil); !errors.Is(err, remote.ErrScheme) {
		t.Errorf("GET http: got %v, want ErrScheme", err)
	}
	if _, err := c.Post(context.Background(), u, "application/activity+json", nil, nil); !errors.Is(err, remote.ErrScheme) {
		t.Errorf("POST http: got %v, want ErrScheme", err)
	}
	if resp, err := c.HTTPClient().Get(u); !errors.Is(err, remote.ErrScheme) {
		if resp != nil {
			resp.Body.Close()
		}
		t.Errorf("HTTPClient GET http: got %v, want ErrScheme", err)
	}
	if n := plain.hits.Load(); n != 0 {
		t.Errorf("the http server got %d requests", n)
	}
	for _, bad := range []string{"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://x.example/", "//x.example/", "https:///nohost"} {
		if _, err := c.GetJSON(context.Background(), bad, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}

	opts.InsecureHTTP = true
	insecure := remote.New(opts)
	if _, err := insecure.GetJSON(context.Background(), u, nil); err != nil {
		t.Errorf("GET http with InsecureHTTP: %v", err)
	}
	if _, err := insecure.GetJSON(context.Background(), "ftp://127.0.0.1/x", nil); !errors.Is(err, remote.ErrScheme) {
		t.Errorf("ftp with InsecureHTTP: got %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	big := bytes.Repeat([]byte("a"), remote.DefaultMaxBytes+1)
	s := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/activity+json")
		switch r.URL.Path {
		case "/exact":
			w.Write(big[:remote.DefaultMaxBytes])
		case "/over":
			w.Header().Set("Content-Length", strconv.Itoa(len(big)))
			w.Write(big)
		case "/over-chunked":
			// No Content-Length: the limit must hold while reading.
			w.Write(big[:1000])
			w.(http.Flusher).Flush()
			w.Write(big[1000:])
		}
	})
	c := remote.New(remote.Options{TLSConfig: trust(t), AllowIPs: mustAllow(t, "127.0.0.1")})
	base := "https://127.0.0.1:" + s.port
	doc, err := c.GetJSON(context.Background(), base+"/exact", nil)
	if err != nil {
		t.Fatalf("1 MiB: %v", err)
	}
	if len(doc.Body) != remote.DefaultMaxBytes {
		t.Errorf("1 MiB: read %d bytes", len(doc.Body))
	}
	for _, path := range []string{"/over", "/over-chunked"} {
		doc, err := c.GetJSON(context.Background(), base+path, nil)
		if !errors.Is(err, remote.ErrTooLarge) {
			t.Errorf("%s: got %v, want ErrTooLarge", path, err)
		}
		if doc != nil {
			t.Errorf("%s: a document came back with the error", path)
		}
	}
	// A delivery's answer is not ours to read: a long one does not fail the delivery.
	if status, err := c.Post(context.Background(), base+"/over", "application/activity+json", []byte("{}"), nil); err != nil || status != 200 {
		t.Errorf("POST with a long answer: %d, %v", status, err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	s := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall-body" {
			w.Header().Set("Content-Type", "application/activity+json")
			io.WriteString(w, `{"id":`)
			w.(http.Flusher).Flush()
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close, which waits for handlers
	c := remote.New(remote.Options{TLSConfig: trust(t), AllowIPs: mustAllow(t, "127.0.0.1"), Timeout: 100 * time.Millisecond})
	base := "https://127.0.0.1:" + s.port
	for _, path := range []string{"/stall-headers", "/stall-body"} {
		if doc, err := c.GetJSON(context.Background(), base+path, nil); !errors.Is(err, remote.ErrTimeout) {
			t.Errorf("GET %s: got %v, want ErrTimeout (%+v)", path, err, doc)
		}
	}
	if _, err := c.Post(context.Background(), base+"/stall-headers", "application/activity+json", []byte("{}"), nil); !errors.Is(err, remote.ErrTimeout) {
		t.Errorf("POST: got %v, want ErrTimeout", err)
	}
	// A caller's own cancellation is not a timeout of ours.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetJSON(ctx, base+"/stall-headers", nil); err == nil || errors.Is(err, remote.ErrTimeout) {
		t.Errorf("cancelled: got %v", err)
	}
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

func testKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key
}

const keyID = "https://soundtime.example/ap/actor#main-key"

// signer is the SignFunc a caller passes: pkg/httpsig with the actor's key. It records the URLs
// it signed.
type signer struct {
	key    *rsa.PrivateKey
	mu     sync.Mutex
	signed []string
}

func (s *signer) sign(req *http.Request, body []byte) error {
	s.mu.Lock()
	s.signed = append(s.signed, req.URL.Path)
	s.mu.Unlock()
	return httpsig.Sign(req, keyID, s.key, nil, body, time.Now())
}

// verifySigned answers 401 unless the request carries a valid signature by key (as GoToSocial's
// authorized fetch does).
func verifySigned(key *rsa.PrivateKey, r *http.Request, body []byte) error {
	s, err := httpsig.Parse(r, body, time.Now())
	if err != nil {
		return err
	}
	if s.KeyID != keyID {
		return fmt.Errorf("keyId %s", s.KeyID)
	}
	return s.Verify(&key.PublicKey)
}

func TestGetJSON(t *testing.T) {
	k := testKey(t)
	var (
		mu      sync.Mutex
		headers http.Header
	)
	s := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		headers = r.Header.Clone()
		mu.Unlock()
		switch {
		case r.URL.Path == "/redirect":
			http.Redirect(w, r, "/users/alice", http.StatusFound)
			return
		case strings.HasPrefix(r.URL.Path, "/status/"):
			code, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
			w.WriteHeader(code)
			return
		case r.URL.Path == "/type":
			w.Header().Set("Content-Type", r.URL.Query().Get("t"))
			io.WriteString(w, `{}`)
			return
		}
		if err := verifySigned(k, r, nil); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		jsonHandler(`{"id":"https://example.com/users/alice"}`)(w, r)
	})
	c := remote.New(remote.Options{TLSConfig: trust(t), AllowIPs: mustAllow(t, "127.0.0.1"), UserAgent: "soundtime/test (+https://soundtime.example/)"})
	base := "https://127.0.0.1:" + s.port

	sg := &signer{key: k}
	doc, err := c.GetJSON(context.Background(), base+"/users/alice", sg.sign)
	if err != nil {
		t.Fatal(err)
	}
	if string(doc.Body) != `{"id":"https://example.com/users/alice"}` || doc.ContentType != "application/activity+json" || doc.URL != base+"/users/alice" {
		t.Errorf("got %+v", doc)
	}
	mu.Lock()
	if got := headers.Get("Accept"); got != `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"` {
		t.Errorf("Accept %q", got)
	}
	if got := headers.Get("User-Agent"); got != "soundtime/test (+https://soundtime.example/)" {
		t.Errorf("User-Agent %q", got)
	}
	mu.Unlock()

	// Unsigned, the server refuses: the signature above is what let it through.
	var se *remote.StatusError
	if _, err := c.GetJSON(context.Background(), base+"/users/alice", nil); !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Errorf("unsigned: got %v, want a 401 StatusError", err)
	}

	// A redirect is signed again for its new target.
	sg = &signer{key: k}
	doc, err = c.GetJSON(context.Background(), base+"/redirect", sg.sign)
	if err != nil {
		t.Fatalf("redirected: %v", err)
	}
	if doc.URL != base+"/users/alice" {
		t.Errorf("final URL %s", doc.URL)
	}
	if got := strings.Join(sg.signed, " "); got != "/redirect /users/alice" {
		t.Errorf("signed %s, want each hop", got)
	}

	for _, code := range []int{404, 410, 500} {
		_, err := c.GetJSON(context.Background(), fmt.Sprintf("%s/status/%d", base, code), nil)
		if !errors.As(err, &se) || se.Code != code {
			t.Errorf("status %d: got %v", code, err)
		}
	}

	for ct, ok := range map[string]bool{
		"application/activity+json":                                            true,
		"application/activity+json; charset=utf-8":                             true,
		`application/ld+json; profile="https://www.w3.org/ns/activitystreams"`: true,
		"application/json":                                                     true,
		"Application/JSON":                                                     true,
		"application/jrd+json":                                                 true,
		"text/html":                                                            false,
		"text/plain":                                                           false,
		"":                                                                     false,
		"application/activity+json; =":                                         false,
	} {
		_, err := c.GetJSON(context.Background(), base+"/type?t="+url.QueryEscape(ct), nil)
		if ok && err != nil {
			t.Errorf("Content-Type %q refused: %v", ct, err)
		}
		if !ok && !errors.Is(err, remote.ErrContentType) {
			t.Errorf("Content-Type %q: got %v, want ErrContentType", ct, err)
		}
	}

	failing := func(*http.Request, []byte) error { return errors.New("no key") }
	before := s.hits.Load()
	if _, err := c.GetJSON(context.Background(), base+"/users/alice", failing); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Errorf("failing signer: got %v", err)
	}
	if s.hits.Load() != before {
		t.Error("a request whose signing failed was sent")
	}
}

func TestPost(t *testing.T) {
	k := testKey(t)
	var inboxHits atomic.Int32
	s := startServer(t, "127.0.0.1:0", false, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/inbox":
			inboxHits.Add(1)
			if r.Header.Get("Content-Type") != "application/activity+json" {
				http.Error(w, "content type", http.StatusUnsupportedMediaType)
				return
			}
			if string(body) != `{"type":"Create"}` {
				http.Error(w, "body", http.StatusBadRequest)
				return
			}
			if err := verifySigned(k, r, body); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			w.WriteHeader(http.StatusAccepted)
		case "/moved-temporarily":
			w.Header().Set("Location", "/inbox")
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "/found":
			w.Header().Set("Location", "/inbox")
			w.WriteHeader(http.StatusFound)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/busy":
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
	c := remote.New(remote.Options{TLSConfig: trust(t), AllowIPs: mustAllow(t, "127.0.0.1")})
	base := "https://127.0.0.1:" + s.port
	body := []byte(`{"type":"Create"}`)

	cases := []struct {
		path       string
		status     int
		inboxHits  int32
		signedPath string
	}{
		{path: "/inbox", status: 202, inboxHits: 1, signedPath: "/inbox"},
		{path: "/moved-temporarily", status: 202, inboxHits: 1, signedPath: "/moved-temporarily /inbox"},
		{path: "/found", status: 302, inboxHits: 0, signedPath: "/found"},
		{path: "/gone", status: 410, signedPath: "/gone"},
		{path: "/busy", status: 429, signedPath: "/busy"},
		{path: "/error", status: 500, signedPath: "/error"},
	}
	for _, c2 := range cases {
		t.Run(c2.path, func(t *testing.T) {
			before := inboxHits.Load()
			sg := &signer{key: k}
			status, err := c.Post(context.Background(), base+c2.path, "application/activity+json", body, sg.sign)
			if err != nil {
				t.Fatal(err)
			}
			if status != c2.status {
				t.Errorf("status %d, want %d", status, c2.status)
			}
			if got := inboxHits.Load() - before; got != c2.inboxHits {
				t.Errorf("inbox reached %d times, want %d", got, c2.inboxHits)
			}
			if got := strings.Join(sg.signed, " "); got != c2.signedPath {
				t.Errorf("signed %s, want %s", got, c2.signedPath)
			}
		})
	}

	// Unsigned, the inbox answers 401: the signature is what made the 202.
	if status, err := c.Post(context.Background(), base+"/inbox", "application/activity+json", body, nil); err != nil || status != 401 {
		t.Errorf("unsigned: %d, %v", status, err)
	}
}
