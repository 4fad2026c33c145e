package httpsig_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpsig"
)

func nopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The exact form Mastodon sends, which is what the contract promises for deliveries.
func TestSignPOSTForm(t *testing.T) {
	a, _ := testKeys(t)
	at := time.Date(2026, 12, 2, 1, 13, 34, 999_000_000, time.UTC) // sub-second: Date must round down
	req, err := http.NewRequest("POST", "https://mastodon.example:8443/users/bob/inbox", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "stale.example" // Sign must replace it with the URL's host
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, "https://soundtime.example/ap/actor#main-key", a, nil, inboxBody, at); err != nil {
		t.Fatal(err)
	}

	sig := req.Header.Get("Signature")
	for _, want := range []string{
		`keyId="https://soundtime.example/ap/actor#main-key",`,
		`algorithm="rsa-sha256",`,
		`headers="(request-target) host date digest content-type",`,
		`signature="`,
	} {
		if !strings.Contains(sig, want) {
			t.Errorf("Signature %s lacks %s", sig, want)
		}
	}
	if !strings.HasPrefix(sig, `keyId="`) {
		t.Errorf("Signature %s does not start with keyId", sig)
	}
	if req.Host != "mastodon.example:8443" {
		t.Errorf("Host %q, want the URL's host with its port", req.Host)
	}
	if got, want := req.Header.Get("Date"), "Wed, 02 Dec 2026 01:13:34 GMT"; got != want {
		t.Errorf("Date %q, want %q", got, want)
	}
	sum := sha256.Sum256(inboxBody)
	if got, want := req.Header.Get("Digest"), "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("Digest %q, want %q", got, want)
	}
	if req.ContentLength != int64(len(inboxBody)) {
		t.Errorf("ContentLength %d", req.ContentLength)
	}
	for i, open := range []func() (io.ReadCloser, error){func() (io.ReadCloser, error) { return req.Body, nil }, req.GetBody, req.GetBody} {
		rc, err := open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		if !bytes.Equal(b, inboxBody) {
			t.Errorf("body read %d: %d bytes, want the signed body", i, len(b))
		}
	}
}

func TestSignGETForm(t *testing.T) {
	a, _ := testKeys(t)
	req, err := http.NewRequest("GET", "https://gts.example/users/alice?x=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Digest", "SHA-256=stale") // left from an earlier signing: must go
	if err := httpsig.Sign(req, "https://soundtime.example/ap/actor#main-key", a, nil, nil, now); err != nil {
		t.Fatal(err)
	}
	if sig := req.Header.Get("Signature"); !strings.Contains(sig, `headers="(request-target) host date",`) {
		t.Errorf("Signature %s", sig)
	}
	if d := req.Header.Get("Digest"); d != "" {
		t.Errorf("a GET carries Digest %q", d)
	}
}

// Date is never ahead of the clock it was given, whatever the sub-second part.
func TestSignDateNeverAhead(t *testing.T) {
	a, _ := testKeys(t)
	for _, ns := range []int{0, 1, 499_999_999, 500_000_000, 999_999_999} {
		at := now.Add(time.Duration(ns))
		req, _ := http.NewRequest("GET", "https://x.example/", nil)
		if err := httpsig.Sign(req, "https://k.example/k", a, nil, nil, at); err != nil {
			t.Fatal(err)
		}
		d, err := time.Parse(http.TimeFormat, req.Header.Get("Date"))
		if err != nil {
			t.Fatal(err)
		}
		if d.After(at) || at.Sub(d) >= time.Second {
			t.Errorf("clock %v: Date %v", at, d)
		}
	}
}

// Signing again (a retry, a redirect) replaces Date, Digest and Signature rather than adding.
func TestSignAgainReplaces(t *testing.T) {
	a, _ := testKeys(t)
	req, _ := http.NewRequest("POST", "https://x.example/inbox", nil)
	req.Header.Set("Content-Type", "application/activity+json")
	if err := httpsig.Sign(req, "https://k.example/k", a, nil, inboxBody, now); err != nil {
		t.Fatal(err)
	}
	if err := httpsig.Sign(req, "https://k.example/k", a, nil, []byte("{}"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Date", "Digest", "Signature"} {
		if n := len(req.Header.Values(h)); n != 1 {
			t.Errorf("%d %s headers", n, h)
		}
	}
	r, body := serverSide(t, req)
	if _, err := verify(r, body, &a.PublicKey, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// serverSide turns a client request into the request a server sees, without a network.
func serverSide(t *testing.T, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return readRaw(t, buf.Bytes())
}

func TestSignRefuses(t *testing.T) {
	a, _ := testKeys(t)
	cases := []struct {
		name    string
		url     string
		keyID   string
		headers []string
		body    []byte
		noKey   bool
	}{
		{name: "no key", url: "https://x.example/", keyID: "https://k.example/k", noKey: true},
		{name: "empty keyId", url: "https://x.example/"},
		{name: "keyId with a quote", url: "https://x.example/", keyID: `https://k.example/"k`},
		{name: "keyId with a newline", url: "https://x.example/", keyID: "https://k.example/\nk"},
		{name: "no host", url: "/relative", keyID: "https://k.example/k"},
		{name: "non-ASCII host", url: "https://bücher.example/", keyID: "https://k.example/k"},
		{name: "digest without a body", url: "https://x.example/", keyID: "https://k.example/k", headers: []string{"(request-target)", "host", "date", "digest"}},
		{name: "content-type listed but not set", url: "https://x.example/", keyID: "https://k.example/k", body: []byte("{}")},
		{name: "header name with a space", url: "https://x.example/", keyID: "https://k.example/k", headers: []string{"(request-target)", "host date"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			key := a
			if c.noKey {
				key = nil
			}
			if err := httpsig.Sign(req, c.keyID, key, c.headers, c.body, now); err == nil {
				t.Fatalf("signed: %s", req.Header.Get("Signature"))
			}
			if req.Header.Get("Signature") != "" {
				t.Error("a refused request carries a Signature")
			}
		})
	}
}

func TestPublicKeyPEM(t *testing.T) {
	a, _ := testKeys(t)
	text, err := httpsig.MarshalPublicKeyPEM(&a.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("not a PKIX PEM block: %q", text)
	}
	back, err := httpsig.ParsePublicKeyPEM(text)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(&a.PublicKey) {
		t.Error("round trip changed the key")
	}

	pkcs1 := pkcs1PEM(&a.PublicKey)
	if k, err := httpsig.ParsePublicKeyPEM(pkcs1); err != nil || !k.Equal(&a.PublicKey) {
		t.Errorf("PKCS #1 form: %v", err)
	}

	for name, c := range map[string]struct {
		text string
		want error
	}{
		"not PEM":       {"hello", httpsig.ErrMalformed},
		"bad DER":       {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", httpsig.ErrMalformed},
		"private key":   {"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", httpsig.ErrUnsupportedAlgorithm},
		"Ed25519 key":   {ed25519PEM(t), httpsig.ErrUnsupportedAlgorithm},
		"1024-bit key":  {smallKeyPEM(t), httpsig.ErrUnsupportedAlgorithm},
		"over 16 KiB":   {strings.Repeat("A", 17<<10), httpsig.ErrMalformed},
		"empty":         {"", httpsig.ErrMalformed},
		"a certificate": {"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", httpsig.ErrUnsupportedAlgorithm},
	} {
		if _, err := httpsig.ParsePublicKeyPEM(c.text); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
	if _, err := httpsig.MarshalPublicKeyPEM(nil); err == nil {
		t.Error("nil key marshalled")
	}
}
