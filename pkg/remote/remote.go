// Package remote makes every request Soundtime sends to another server: fetches of actors and
// keys, and deliveries to inboxes. Those URLs come from strangers (a keyId, an actor's inbox), so
// the Client refuses to be pointed at anything but a public server over https:
//
//   - https only, unless Options.InsecureHTTP (FEDERATION_INSECURE_HTTP, for tests);
//   - never a loopback, private, link-local, unique-local, multicast, unspecified, shared
//     (100.64.0.0/10), documentation or otherwise non-public address, IPv4 or IPv6 (IPv4-mapped
//     included), unless it falls in Options.AllowIPs (FEDERATION_ALLOW_IPS, for tests). The check
//     is made when connecting, on the resolved address that is then dialled, so a name that
//     resolves to a public address when checked and a private one when used (DNS rebinding)
//     cannot pass; no proxy from the environment is used, since it would hide the address;
//   - at most MaxRedirects redirects, each held to the same rules;
//   - at most Options.MaxBytes (1 MiB) of response body: a longer body is an error, never
//     silently cut; and Options.Timeout (10 s) for a whole request, body included.
//
// These are the rules of the federation contract (docs/api.md, "Federation"). The package
// returns errors and never logs.
package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults and limits of the contract.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultMaxBytes = 1 << 20
	MaxRedirects    = 3
	// Accept is what GetJSON asks for: an ActivityStreams document, in either of the two media
	// types the ActivityPub specification names.
	Accept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// DefaultUserAgent is sent when Options.UserAgent is empty.
	DefaultUserAgent = "soundtime"
)

// The reasons a request is refused or fails, for errors.Is. The first three are permanent (the
// same URL will be refused again); ErrTimeout and transport errors are worth a retry.
var (
	// ErrForbiddenAddress: the host is, or resolves only to, an address that is not public and
	// not in Options.AllowIPs.
	ErrForbiddenAddress = errors.New("address not allowed")
	// ErrScheme: the URL (or a redirect) is not https, or not http with Options.InsecureHTTP.
	ErrScheme = errors.New("scheme not allowed")
	// ErrTooManyRedirects: more than MaxRedirects redirects.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrTooLarge: the response body is longer than Options.MaxBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrContentType: GetJSON got a response that is not ActivityStreams or JSON.
	ErrContentType = errors.New("response is not ActivityStreams or JSON")
	// ErrTimeout: the request, body included, took longer than Options.Timeout.
	ErrTimeout = errors.New("timed out")
)

// StatusError is GetJSON's error for a response other than 2xx, so the caller can tell a gone
// actor (410) from a missing one (404) or a server error.
type StatusError struct {
	Code int
	URL  string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("remote: GET %s: status %d", e.URL, e.Code)
}

// Resolver looks up a host's addresses; *net.Resolver is one. Tests give their own, so that a
// name can resolve to a chosen address.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configure a Client. The zero value is the production setting.
type Options struct {
	// InsecureHTTP allows http:// URLs (FEDERATION_INSECURE_HTTP; tests only).
	InsecureHTTP bool
	// AllowIPs are addresses that may be reached although not public (FEDERATION_ALLOW_IPS;
	// tests only). ParseAllowIPs reads the variable's form.
	AllowIPs []netip.Prefix
	// Timeout bounds a whole request, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes bounds a response body; 0 means DefaultMaxBytes.
	MaxBytes int64
	// UserAgent is sent with every request; "" means DefaultUserAgent.
	UserAgent string
	// Resolver resolves host names; nil means net.DefaultResolver.
	Resolver Resolver
	// TLSConfig, when not nil, is the TLS configuration (tests trust their server's certificate
	// through RootCAs). It is cloned; TLS 1.2 is the minimum whatever it says.
	TLSConfig *tls.Config
}

// SignFunc signs a request about to be sent, body being its body (nil for a GET). The caller
// passes one that signs with the actor's key through pkg/httpsig. It is called again for every
// redirect followed, with the new request, since a signature covers the request target and host.
type SignFunc func(req *http.Request, body []byte) error

// Client sends requests to other servers under the package's rules. It is safe for concurrent
// use and keeps connections alive between requests; make one and share it.
type Client struct {
	insecureHTTP bool
	allow        []netip.Prefix
	timeout      time.Duration
	maxBytes     int64
	userAgent    string
	resolver     Resolver
	dialer       *net.Dialer
	client       *http.Client
}

// New returns a Client for opts.
func New(opts Options) *Client {
	c := &Client{
		insecureHTTP: opts.InsecureHTTP,
		timeout:      opts.Timeout,
		maxBytes:     opts.MaxBytes,
		userAgent:    opts.UserAgent,
		resolver:     opts.Resolver,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBytes <= 0 {
		c.maxBytes = DefaultMaxBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.resolver == nil {
		c.resolver = net.DefaultResolver
	}
	for _, p := range opts.AllowIPs {
		c.allow = append(c.allow, normalize(p))
	}
	// Control sees the literal address the socket is about to connect to: the last word on it,
	// whatever resolved it.
	c.dialer = &net.Dialer{
		Timeout: c.timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !c.Allowed(ap.Addr()) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
			}
			return nil
		},
	}
	tlsConfig := &tls.Config{}
	if opts.TLSConfig != nil {
		tlsConfig = opts.TLSConfig.Clone()
	}
	if tlsConfig.MinVersion < tls.VersionTLS12 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would be dialled instead of the checked address
		DialContext:            c.dialContext,
		TLSClientConfig:        tlsConfig,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    c.timeout,
		ResponseHeaderTimeout:  c.timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	c.client = &http.Client{
		Transport:     guard{c: c, next: transport},
		CheckRedirect: c.checkRedirect,
		Timeout:       c.timeout,
	}
	return c
}

// HTTPClient returns the underlying *http.Client, which applies every rule of the package (scheme,
// addresses, redirects, the overall timeout) to every request it sends, but not the body cap,
// which is the reader's: wrap a body in io.LimitReader. GetJSON and Post are the usual ways in.
func (c *Client) HTTPClient() *http.Client { return c.client }

// Document is a fetched JSON document.
type Document struct {
	// URL is where the document was finally fetched from, after redirects: the caller compares
	// it with the document's id before trusting the document.
	URL string
	// ContentType is the response's media type, lowercase, without parameters.
	ContentType string
	Body        []byte
}

// GetJSON fetches an ActivityStreams document (an actor, a key) with Accept set to Accept, signed
// with sign when it is not nil (GoToSocial answers 401 to unsigned fetches). The response must be
// 2xx, of a JSON media type (application/activity+json, application/ld+json, application/json,
// application/jrd+json), and at most Options.MaxBytes long.
//
// Errors: *StatusError for another status; ErrContentType, ErrTooLarge, ErrForbiddenAddress,
// ErrScheme, ErrTooManyRedirects, ErrTimeout (errors.Is) for the rules; the SignFunc's error or
// a transport error otherwise.
func (c *Client) GetJSON(ctx context.Context, rawURL string, sign SignFunc) (*Document, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", Accept)
	resp, err := c.do(req, nil, sign)
	if err != nil {
		return nil, c.wrap(ctx, "GET", req.URL, err)
	}
	defer resp.Body.Close()
	final := resp.Request.URL.Redacted()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		c.drain(resp.Body)
		return nil, &StatusError{Code: resp.StatusCode, URL: final}
	}
	mediaType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !isJSONType(mediaType) {
		c.drain(resp.Body)
		return nil, fmt.Errorf("remote: GET %s: %w: %q", final, ErrContentType, resp.Header.Get("Content-Type"))
	}
	body, err := c.readAll(resp)
	if err == nil {
		// A body that ends as the deadline passes may be one the transport cut short when it
		// cancelled the request: the request did not finish in time either way.
		err = ctx.Err()
	}
	if err != nil {
		return nil, c.wrap(ctx, "GET", resp.Request.URL, err)
	}
	return &Document{URL: final, ContentType: mediaType, Body: body}, nil
}

// Post delivers body to an inbox with the given Content-Type, signed with sign when it is not
// nil, and returns the response's status code for the caller's retry policy: any status is a
// result, not an error. It follows 307 and 308 redirects (which keep the method and body) and
// returns the status of any other redirect as is, since following it would turn the delivery
// into a GET. The response body is read up to Options.MaxBytes and dropped.
//
// Errors (the status is then 0): ErrForbiddenAddress, ErrScheme, ErrTooManyRedirects (permanent),
// ErrTimeout, the SignFunc's error, or a transport error.
func (c *Client) Post(ctx context.Context, rawURL, contentType string, body []byte, sign SignFunc) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if body == nil {
		body = []byte{}
	}
	req, err := c.newRequest(ctx, http.MethodPost, rawURL, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := c.do(req, body, sign)
	if err != nil {
		return 0, c.wrap(ctx, "POST", req.URL, err)
	}
	defer resp.Body.Close()
	c.drain(resp.Body)
	return resp.StatusCode, nil
}

// newRequest checks the URL before anything is sent, so a refused URL costs no lookup.
func (c *Client) newRequest(ctx context.Context, method, rawURL string, body []byte) (*http.Request, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("remote: %s %.200q: %w", method, rawURL, err)
	}
	if err := c.checkURL(u); err != nil {
		return nil, fmt.Errorf("remote: %s %s: %w", method, u.Redacted(), err)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("remote: %s %s: %w", method, u.Redacted(), err)
	}
	if body != nil {
		setBody(req, body)
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// do signs and sends req. It uses a copy of the client whose redirect check also re-signs each
// hop, since the SignFunc belongs to this one request.
func (c *Client) do(req *http.Request, body []byte, sign SignFunc) (*http.Response, error) {
	if sign != nil {
		if err := sign(req, body); err != nil {
			return nil, fmt.Errorf("sign: %w", err)
		}
	}
	hc := *c.client
	hc.Timeout = 0 // the caller's context carries the deadline, body included
	method := req.Method
	hc.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if next.Method != method {
			return http.ErrUseLastResponse
		}
		if err := c.checkRedirect(next, via); err != nil {
			return err
		}
		if sign != nil {
			next.Header.Del("Signature")
			if err := sign(next, body); err != nil {
				return fmt.Errorf("sign: %w", err)
			}
		}
		return nil
	}
	return hc.Do(req)
}

// checkRedirect holds every redirect to MaxRedirects and the scheme rule (which guard checks
// again); the dialer checks the address of the new host when it connects.
func (c *Client) checkRedirect(next *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, MaxRedirects)
	}
	return c.checkURL(next.URL)
}

// guard checks the URL of every request the transport is given, the first as well as each
// redirect, so that HTTPClient is held to the scheme rule too.
type guard struct {
	c    *Client
	next *http.Transport
}

func (g guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.c.checkURL(req.URL); err != nil {
		if req.Body != nil {
			req.Body.Close() // a RoundTripper closes the body, even on error
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the transport.
func (g guard) CloseIdleConnections() { g.next.CloseIdleConnections() }

func (c *Client) checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.insecureHTTP:
	default:
		return fmt.Errorf("%w: %q", ErrScheme, u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: no host", ErrForbiddenAddress)
	}
	if ip, err := netip.ParseAddr(host); err == nil && !c.Allowed(ip) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ip)
	}
	return nil
}

// dialContext resolves the host itself, drops every address that is not allowed, and dials the
// remaining ones by address, so the address checked is the address connected to.
func (c *Client) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = c.resolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("lookup %s: no addresses", host)
		}
	}
	var dialErr, refused error
	for _, ip := range ips {
		ip = ip.Unmap()
		if !c.Allowed(ip) {
			if refused == nil {
				refused = fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, host, ip)
			}
			continue
		}
		conn, err := c.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if dialErr == nil {
			dialErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return nil, refused
}

// Allowed reports whether the Client may connect to ip: a public address (IsPublic) or one in
// Options.AllowIPs.
func (c *Client) Allowed(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	for _, p := range c.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return IsPublic(ip)
}

// readAll reads a response body up to maxBytes; one byte more is ErrTooLarge.
func (c *Client) readAll(resp *http.Response) ([]byte, error) {
	if resp.ContentLength > c.maxBytes {
		return nil, fmt.Errorf("%w: %d bytes declared, at most %d", ErrTooLarge, resp.ContentLength, c.maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > c.maxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.maxBytes)
	}
	return body, nil
}

// drain reads what is left of a body we do not want, up to maxBytes, so that the connection can
// serve the next request.
func (c *Client) drain(body io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, c.maxBytes))
}

// wrap names the request in an error and marks a timeout as ErrTimeout: the deadline of ctx
// (ours, or the caller's if sooner) passed, or the transport timed out.
func (c *Client) wrap(ctx context.Context, method string, u *url.URL, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout() && !errors.Is(ctx.Err(), context.Canceled)) {
		return fmt.Errorf("remote: %s %s: %w after %s: %w", method, u.Redacted(), ErrTimeout, c.timeout, err)
	}
	return fmt.Errorf("remote: %s %s: %w", method, u.Redacted(), err)
}

func isJSONType(mediaType string) bool {
	switch strings.ToLower(mediaType) {
	case "application/activity+json", "application/ld+json", "application/json", "application/jrd+json":
		return true
	}
	return false
}

func setBody(req *http.Request, body []byte) {
	req.ContentLength = int64(len(body))
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if len(body) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
	}
}
