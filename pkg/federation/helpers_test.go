package federation_test

import (
	"bytes"
	"cmp"
	"context"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	oracle "github.com/go-fed/httpsig"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/remote"
)

// base is PUBLIC_BASE_URL of the tests, and host the HOST of @tracks@HOST.
const (
	base = "https://soundtime.example"
	host = "soundtime.example"
)

// now is the clock of every test: the service's, and the Date of every request the fakes sign.
var now = time.Date(2026, 12, 2, 1, 13, 34, 0, time.UTC)

var (
	ourKeyOnce sync.Once
	ourKeyVal  *rsa.PrivateKey
	ourKeyErr  error
)

// ourKey is the actor key of every test: RSA-2048 derived from a fixed seed (deriveKey), so the
// golden actor's publicKeyPem never changes. It is a test key, no deployment's: a deployment
// makes its own at first start (federation.LoadKey) and keeps it secret.
func ourKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	ourKeyOnce.Do(func() { ourKeyVal, ourKeyErr = deriveKey([32]byte{'s', 'o', 'u', 'n', 'd', 't', 'i', 'm', 'e'}) })
	if ourKeyErr != nil {
		t.Fatal(ourKeyErr)
	}
	return ourKeyVal
}

// deriveKey makes an RSA-2048 key from seed alone: two 1024-bit primes, each the first probable
// prime drawn from a ChaCha8 stream (whose output Go specifies), with e = 65537. Since Go 1.26
// rsa.GenerateKey ignores the reader it is given, so it cannot make the same key twice.
func deriveKey(seed [32]byte) (*rsa.PrivateKey, error) {
	r := rand.NewChaCha8(seed)
	one, e := big.NewInt(1), big.NewInt(65537)
	prime := func() *big.Int {
		buf := make([]byte, 128)
		for {
			r.Read(buf)
			buf[0] |= 0xc0 // the top two bits: the product has exactly 2048 bits
			buf[len(buf)-1] |= 1
			p := new(big.Int).SetBytes(buf)
			pm1 := new(big.Int).Sub(p, one)
			if p.ProbablyPrime(20) && new(big.Int).GCD(nil, nil, e, pm1).Cmp(one) == 0 {
				return p
			}
		}
	}
	p, q := prime(), prime()
	if p.Cmp(q) == 0 {
		return nil, errors.New("deriveKey: p = q")
	}
	phi := new(big.Int).Mul(new(big.Int).Sub(p, one), new(big.Int).Sub(q, one))
	k := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: 65537},
		D:         new(big.Int).ModInverse(e, phi),
		Primes:    []*big.Int{p, q},
	}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}

var (
	remoteKeysMu sync.Mutex
	remoteKeys   = map[string]*rsa.PrivateKey{}
)

// remoteKey returns the key named name (of a fake remote actor), made on first use.
func remoteKey(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	remoteKeysMu.Lock()
	defer remoteKeysMu.Unlock()
	if k, ok := remoteKeys[name]; ok {
		return k
	}
	k, err := rsa.GenerateKey(crand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	remoteKeys[name] = k
	return k
}

// syncBuffer collects log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mapResolver resolves the names it knows to chosen addresses (pkg/remote's resolver seam).
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

var (
	trustOnce sync.Once
	trustPool *x509.CertPool
)

// trust returns a TLS configuration that trusts httptest's certificate, which every httptest
// TLS server shares (example.com, *.example.com, 127.0.0.1, ::1).
func trust() *tls.Config {
	trustOnce.Do(func() {
		s := httptest.NewTLSServer(http.NotFoundHandler())
		defer s.Close()
		trustPool = x509.NewCertPool()
		trustPool.AddCert(s.Certificate())
	})
	return &tls.Config{RootCAs: trustPool}
}

// envOptions change the environment newEnv builds.
type envOptions struct {
	base     string      // PUBLIC_BASE_URL; "" is base
	blocked  []string    // FEDERATION_BLOCKED_DOMAINS
	allow    string      // FEDERATION_ALLOW_IPS; "" is the loopback ranges, "-" none
	insecure bool        // FEDERATION_INSECURE_HTTP
	resolver mapResolver // nil: the system's
	timeout  time.Duration
}

// env is a federation service over in-memory fakes and a real pkg/remote client allowed to
// reach loopback, behind the HTTP routes as the federation function mounts them.
type env struct {
	t         *testing.T
	svc       *federation.Service
	handler   http.Handler
	followers *memFollowers
	queue     *recQueue
	logs      *syncBuffer
	// skew moves the service's clock past now (the signed requests keep Date: now).
	skew atomic.Int64
}

// advance moves the service's clock d further.
func (e *env) advance(d time.Duration) { e.skew.Add(int64(d)) }

func newEnv(t *testing.T, opt envOptions) *env {
	t.Helper()
	if opt.base == "" {
		opt.base = base
	}
	switch opt.allow {
	case "":
		opt.allow = "127.0.0.0/8, ::1/128"
	case "-":
		opt.allow = ""
	}
	allow, err := remote.ParseAllowIPs(opt.allow)
	if err != nil {
		t.Fatal(err)
	}
	ro := remote.Options{TLSConfig: trust(), AllowIPs: allow, InsecureHTTP: opt.insecure, Timeout: opt.timeout, UserAgent: "soundtime-test"}
	if opt.resolver != nil {
		ro.Resolver = opt.resolver
	}
	e := &env{t: t, followers: newMemFollowers(), queue: &recQueue{}, logs: &syncBuffer{}}
	log := slog.New(slog.NewJSONHandler(e.logs, nil))
	e.svc = federation.New(federation.Config{
		BaseURL: opt.base, Handle: "tracks", BlockedDomains: opt.blocked, RetryBase: time.Second,
	}, tracksOf(), e.followers.fake(), e.queue.fake(), remote.New(ro), ourKey(t), log)
	e.svc.Now = func() time.Time { return now.Add(time.Duration(e.skew.Load())) }
	srv := &httpapi.Server{BaseURL: opt.base, Log: log}
	e.handler = srv.Handler(httpapi.Federation(e.svc))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("service log:\n%s", e.logs)
		}
	})
	return e
}

// do serves one request.
func (e *env) do(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, r)
	return rec
}

// get serves GET target with headers in name, value pairs.
func (e *env) get(target string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Host = e.svc.Host()
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return e.do(r)
}

// untouched fails unless nothing was written to the followers table or sent to the queue.
func (e *env) untouched(t *testing.T) {
	t.Helper()
	if w := e.followers.writeLog(); len(w) != 0 {
		t.Errorf("followers written: %q", w)
	}
	if m := e.queue.messages(t); len(m) != 0 {
		t.Errorf("queued: %+v", m)
	}
}

// fakeRemote is another fediverse server: an httptest server on 127.0.0.1 serving the documents
// a test gives it, recording every request, and answering 401 to unsigned GETs of the documents
// marked signed (authorized fetch, as GoToSocial and Mastodon in secure mode do).
type fakeRemote struct {
	t      *testing.T
	srv    *httptest.Server
	base   string // scheme://host:port, as its IRIs name it
	keyID  string // the keyId our signed GETs must carry
	ourPub *rsa.PublicKey

	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	seen   []string // "GET /path"
}

// newRemote starts a fake server, over TLS unless plain; its IRIs name host (with the port)
// when host is not "", else 127.0.0.1.
func (e *env) newRemote(hostname string, plain bool) *fakeRemote {
	e.t.Helper()
	f := &fakeRemote{t: e.t, keyID: e.svc.KeyID(), ourPub: &e.svc.Key.PublicKey, routes: map[string]http.HandlerFunc{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, r.Method+" "+r.URL.RequestURI())
		route := f.routes[r.URL.Path]
		f.mu.Unlock()
		if route == nil {
			http.NotFound(w, r)
			return
		}
		route(w, r)
	})
	if plain {
		f.srv = httptest.NewServer(h)
	} else {
		f.srv = httptest.NewTLSServer(h)
	}
	e.t.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	if hostname != "" {
		u, _ := url.Parse(f.srv.URL)
		u.Host = net.JoinHostPort(hostname, u.Port())
		f.base = u.String()
	}
	return f
}

func (f *fakeRemote) handle(path string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[path] = h
}

// requests returns the requests the server got so far.
func (f *fakeRemote) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.seen)
}

// serveJSON serves doc() at path as application/activity+json; signed requires our signature.
func (f *fakeRemote) serveJSON(path string, signed bool, doc func() any) {
	f.handle(path, func(w http.ResponseWriter, r *http.Request) {
		if signed {
			if err := f.signedByUs(r); err != nil {
				f.t.Logf("fake %s: GET %s refused: %v", f.base, path, err)
				http.Error(w, "signature required", http.StatusUnauthorized)
				return
			}
		}
		w.Header().Set("Content-Type", activitypub.MediaType)
		json.NewEncoder(w).Encode(doc())
	})
}

// signedByUs checks a GET as a strict server would: signed with our key, under our keyId,
// covering (request-target), host and date, within the Date window.
func (f *fakeRemote) signedByUs(r *http.Request) error {
	sig, err := httpsig.Parse(r, nil, now)
	if err != nil {
		return err
	}
	if sig.KeyID != f.keyID {
		return errors.New("keyId " + sig.KeyID)
	}
	return sig.Verify(f.ourPub)
}

// remoteActor is an account on a fakeRemote.
type remoteActor struct {
	id, inbox, sharedInbox, keyID string

	mu  sync.Mutex
	key *rsa.PrivateKey
}

func (a *remoteActor) signingKey() *rsa.PrivateKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.key
}

// rotate makes the actor's documents serve k from now on.
func (a *remoteActor) rotate(k *rsa.PrivateKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.key = k
}

func (a *remoteActor) publicKey() map[string]any {
	pemText, err := httpsig.MarshalPublicKeyPEM(&a.signingKey().PublicKey)
	if err != nil {
		panic(err)
	}
	return map[string]any{"id": a.keyID, "owner": a.id, "publicKeyPem": pemText}
}

// document is the actor as Mastodon and GoToSocial serve one.
func (a *remoteActor) document() any {
	name := a.id[strings.LastIndexByte(a.id, '/')+1:]
	return map[string]any{
		"@context":          []any{activitypub.ActivityStreams, activitypub.SecurityV1},
		"id":                a.id,
		"type":              "Person",
		"preferredUsername": name,
		"inbox":             a.inbox,
		"outbox":            a.id + "/outbox",
		"followers":         a.id + "/followers",
		"following":         a.id + "/following",
		"endpoints":         map[string]any{"sharedInbox": a.sharedInbox},
		"publicKey":         a.publicKey(),
	}
}

// mastodonActor serves a Mastodon account: its key is "<actor>#main-key", so the key's document
// is the actor itself, with its inbox and the server's shared inbox.
func (f *fakeRemote) mastodonActor(name string, key *rsa.PrivateKey) *remoteActor {
	id := f.base + "/users/" + name
	a := &remoteActor{id: id, inbox: id + "/inbox", sharedInbox: f.base + "/inbox", keyID: id + "#main-key", key: key}
	f.serveJSON("/users/"+name, true, a.document)
	return a
}

// gtsActor serves a GoToSocial account: its key is "<actor>/main-key", served unsigned as a
// minimal actor with no inbox, and the actor (with its inbox and shared inbox) is at another
// URL that answers signed GETs only.
func (f *fakeRemote) gtsActor(name string, key *rsa.PrivateKey) *remoteActor {
	id := f.base + "/users/" + name
	a := &remoteActor{id: id, inbox: id + "/inbox", sharedInbox: f.base + "/inbox", keyID: id + "/main-key", key: key}
	f.serveJSON("/users/"+name+"/main-key", false, func() any {
		return map[string]any{
			"@context":          []any{activitypub.ActivityStreams, activitypub.SecurityV1},
			"id":                id,
			"type":              "Person",
			"preferredUsername": name,
			"publicKey":         a.publicKey(),
		}
	})
	f.serveJSON("/users/"+name, true, a.document)
	return a
}

// signing describes how a fake signs a POST to our inbox.
type signing struct {
	target  string    // the URL signed for; "": our inbox
	date    time.Time // zero: now
	headers []string  // nil: the sender's usual list
	keyID   string    // "": the actor's
	key     *rsa.PrivateKey
}

// mastodonPost is a POST of body to our inbox as Mastodon sends one: rsa-sha256 over
// "(request-target) host date digest content-type", Content-Type application/activity+json.
// It is returned as Go's server hands it to a handler.
func (e *env) mastodonPost(t *testing.T, a *remoteActor, body []byte, s signing) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, cmp.Or(s.target, e.svc.InboxID()), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", activitypub.MediaType)
	if err := httpsig.Sign(req, cmp.Or(s.keyID, a.keyID), cmp.Or(s.key, a.signingKey()), s.headers, body, cmp.Or(s.date, now)); err != nil {
		t.Fatal(err)
	}
	return received(req, body)
}

// gtsPost is a POST of body to our inbox as GoToSocial v0.18.3 sends one (REPORT §3.1): its
// go-fed/httpsig fork with RSA-SHA256 labelled algorithm="hs2019" over "(request-target) host
// date digest", Content-Type application/ld+json with the ActivityStreams profile. go-fed's
// signer is the independent oracle here: it shares no code with pkg/httpsig.
func (e *env) gtsPost(t *testing.T, a *remoteActor, body []byte, s signing) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, cmp.Or(s.target, e.svc.InboxID()), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	headers := s.headers
	if headers == nil {
		headers = []string{oracle.RequestTarget, "host", "date", "digest"}
	}
	signer, _, err := oracle.NewSigner([]oracle.Algorithm{oracle.RSA_SHA256}, oracle.DigestSha256, headers, oracle.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", activitypub.LDMediaType)
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", cmp.Or(s.date, now).UTC().Format(http.TimeFormat))
	if err := signer.SignRequest(cmp.Or(s.key, a.signingKey()), cmp.Or(s.keyID, a.keyID), req, body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Signature"), `algorithm="hs2019"`) {
		t.Fatalf("not signed as GoToSocial signs: %s", req.Header.Get("Signature"))
	}
	return received(req, body)
}

// received turns a request built for sending into the request Go's server would hand a handler:
// the Host header moved to r.Host, the body readable.
func received(out *http.Request, body []byte) *http.Request {
	in := httptest.NewRequest(out.Method, out.URL.RequestURI(), bytes.NewReader(body))
	in.Host = out.Host
	if in.Host == "" {
		in.Host = out.URL.Host
	}
	for k, v := range out.Header {
		if k != "Host" {
			in.Header[k] = slices.Clone(v)
		}
	}
	return in
}

// mustJSON marshals v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeMap decodes a JSON object.
func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		t.Fatalf("not a JSON object: %v\n%s", err, b)
	}
	return m
}

// readAll reads a body, for servers.
func readAll(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}
