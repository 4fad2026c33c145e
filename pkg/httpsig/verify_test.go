package httpsig_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpsig"
)

// verify runs both steps as the inbox does: Parse, then Verify with the sender's public key.
func verify(r *http.Request, body []byte, pub *rsa.PublicKey, now time.Time) (*httpsig.Signature, error) {
	s, err := httpsig.Parse(r, body, now)
	if err != nil {
		return nil, err
	}
	return s, s.Verify(pub)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func TestVerifyAccepts(t *testing.T) {
	a, _ := testKeys(t)
	cases := []struct {
		name string
		req  signedReq
		alg  string
	}{
		{name: "Mastodon POST, rsa-sha256, five headers", req: signedReq{body: inboxBody}, alg: "rsa-sha256"},
		{name: "Mastodon GET with a query", req: signedReq{method: "GET", target: "/ap/tracks/abc?page=2&x=%2F"}, alg: "rsa-sha256"},
		{name: "hs2019 label (GoToSocial)", req: signedReq{body: inboxBody, algorithm: "hs2019", headers: "(request-target) host date digest"}, alg: "hs2019"},
		{name: "no algorithm parameter reads as hs2019", req: signedReq{body: inboxBody, algorithm: "-"}, alg: "hs2019"},
		{name: "algorithm in capitals", req: signedReq{body: inboxBody, algorithm: "RSA-SHA256"}, alg: "rsa-sha256"},
		{name: "header names in capitals", req: signedReq{body: inboxBody, headers: "(Request-Target) Host Date Digest"}, alg: "rsa-sha256"},
		{name: "host with a port", req: signedReq{body: inboxBody, host: "127.0.0.1:8443"}, alg: "rsa-sha256"},
		{name: "Date exactly 12 h old", req: signedReq{body: inboxBody, date: now.Add(-httpsig.MaxAge)}, alg: "rsa-sha256"},
		{name: "Date exactly 1 h ahead", req: signedReq{body: inboxBody, date: now.Add(httpsig.MaxSkew)}, alg: "rsa-sha256"},
		{name: "several digests, SHA-256 among them", req: signedReq{body: []byte("{}"), digest: "SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==, sha-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="}, alg: "rsa-sha256"},
		{name: "unknown parameters ignored", req: signedReq{body: inboxBody, extra: `,foo="bar",created=` + unix(now)}, alg: "rsa-sha256"},
		{name: "unsigned extra headers ignored", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Set("User-Agent", "changed") }}, alg: "rsa-sha256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.req.build(t)
			s, err := verify(r, body, &a.PublicKey, now)
			if err != nil {
				t.Fatalf("refused: %v\nSignature: %s", err, r.Header.Get("Signature"))
			}
			if s.KeyID != testKeyID || s.Algorithm != c.alg {
				t.Errorf("KeyID %q Algorithm %q, want %q %q", s.KeyID, s.Algorithm, testKeyID, c.alg)
			}
			if want := c.req.date; !want.IsZero() && !s.Date.Equal(want) {
				t.Errorf("Date %v, want %v", s.Date, want)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	a, b := testKeys(t)
	sum := sha256.Sum256([]byte("other body"))
	otherDigest := "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
	setSig := func(v string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Signature", v) }
	}
	cases := []struct {
		name string
		req  signedReq
		// key verifies; nil means key A, the signer's.
		key  *rsa.PublicKey
		want error
	}{
		// No or malformed Signature header.
		{name: "unsigned", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Del("Signature") }}, want: httpsig.ErrNoSignature},
		{name: "two Signature headers", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Add("Signature", r.Header.Get("Signature")) }}, want: httpsig.ErrMalformed},
		{name: "header over 8 KiB", req: signedReq{body: inboxBody, keyID: "https://x.example/" + strings.Repeat("a", 9000)}, want: httpsig.ErrMalformed},
		{name: "keyId over 2 KiB", req: signedReq{body: inboxBody, keyID: "https://x.example/" + strings.Repeat("a", 3000)}, want: httpsig.ErrMalformed},
		{name: "not parameters", req: signedReq{body: inboxBody, after: setSig("hello world")}, want: httpsig.ErrMalformed},
		{name: "empty", req: signedReq{body: inboxBody, after: setSig(" ")}, want: httpsig.ErrMalformed},
		{name: "unterminated quote", req: signedReq{body: inboxBody, after: setSig(`keyId="https://x.example/k,signature="AAAA`)}, want: httpsig.ErrMalformed},
		{name: "dangling backslash", req: signedReq{body: inboxBody, after: setSig(`keyId="k\`)}, want: httpsig.ErrMalformed},
		{name: "repeated keyId", req: signedReq{body: inboxBody, extra: `,keyId="https://evil.example/k"`}, want: httpsig.ErrMalformed},
		{name: "no keyId", req: signedReq{body: inboxBody, after: setSig(`algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAAA"`)}, want: httpsig.ErrMalformed},
		{name: "no signature", req: signedReq{body: inboxBody, after: setSig(`keyId="https://x.example/k",headers="(request-target) host date digest"`)}, want: httpsig.ErrMalformed},
		{name: "signature not base64", req: signedReq{body: inboxBody, after: setSig(`keyId="https://x.example/k",headers="(request-target) host date digest",signature="!!!"`)}, want: httpsig.ErrMalformed},
		{name: "control character", req: signedReq{body: inboxBody, after: setSig("keyId=\"https://x.example/\x01k\",signature=\"AAAA\"")}, want: httpsig.ErrMalformed},
		{name: "text after a value", req: signedReq{body: inboxBody, after: setSig(`keyId="k" junk,signature="AAAA"`)}, want: httpsig.ErrMalformed},
		{name: "too many parameters", req: signedReq{body: inboxBody, extra: `,a="b",p1=1,p2=2,p3=3,p4=4,p5=5,p6=6,p7=7,p8=8,p9=9,p10=10,p11=11,p12=12`}, want: httpsig.ErrMalformed},
		{name: "too many signed headers", req: signedReq{body: inboxBody, headers: "(request-target) host date digest" + strings.Repeat(" content-type", 40)}, want: httpsig.ErrMalformed},
		{name: "signed header absent from the request", req: signedReq{body: inboxBody, headers: "(request-target) host date digest x-missing"}, want: httpsig.ErrMalformed},
		{name: "(created) signed without its parameter", req: signedReq{body: inboxBody, headers: "(request-target) host date digest (created)"}, want: httpsig.ErrMalformed},

		// Algorithms other than RSA-SHA256.
		{name: "hmac-sha256", req: signedReq{body: inboxBody, algorithm: "hmac-sha256"}, want: httpsig.ErrUnsupportedAlgorithm},
		{name: "ed25519", req: signedReq{body: inboxBody, algorithm: "ed25519"}, want: httpsig.ErrUnsupportedAlgorithm},
		{name: "rsa-sha512", req: signedReq{body: inboxBody, algorithm: "rsa-sha512"}, want: httpsig.ErrUnsupportedAlgorithm},
		{name: "rsa-sha1", req: signedReq{body: inboxBody, algorithm: "rsa-sha1"}, want: httpsig.ErrUnsupportedAlgorithm},

		// Required headers left out of the signed list.
		{name: "(request-target) not signed", req: signedReq{body: inboxBody, headers: "host date digest content-type"}, want: httpsig.ErrUnsignedHeader},
		{name: "host not signed", req: signedReq{body: inboxBody, headers: "(request-target) date digest content-type"}, want: httpsig.ErrUnsignedHeader},
		{name: "date not signed", req: signedReq{body: inboxBody, headers: "(request-target) host digest content-type"}, want: httpsig.ErrUnsignedHeader},
		{name: "digest not signed with a body", req: signedReq{body: inboxBody, headers: "(request-target) host date content-type"}, want: httpsig.ErrUnsignedHeader},
		{name: "digest not signed on an empty POST", req: signedReq{method: "POST", headers: "(request-target) host date"}, want: httpsig.ErrUnsignedHeader},
		{name: "no headers parameter (date alone)", req: signedReq{body: inboxBody, headers: "date", after: func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), `headers="date",`, "", 1))
		}}, want: httpsig.ErrUnsignedHeader},

		// Digest.
		{name: "body changed after signing", req: signedReq{body: inboxBody, digest: otherDigest}, want: httpsig.ErrDigest},
		{name: "digest signed, Digest header absent", req: signedReq{body: inboxBody, headers: "(request-target) host date digest", digest: "-"}, want: httpsig.ErrDigest},
		{name: "no SHA-256 digest", req: signedReq{body: []byte("{}"), digest: "SHA-512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="}, want: httpsig.ErrDigest},
		{name: "digest not base64", req: signedReq{body: inboxBody, digest: "SHA-256=***"}, want: httpsig.ErrDigest},
		{name: "digest of the wrong size", req: signedReq{body: inboxBody, digest: "SHA-256=AAAA"}, want: httpsig.ErrDigest},

		// Date window.
		{name: "Date 12 h 1 s old", req: signedReq{body: inboxBody, date: now.Add(-httpsig.MaxAge - time.Second)}, want: httpsig.ErrDate},
		{name: "Date 30 days old", req: signedReq{body: inboxBody, date: now.AddDate(0, 0, -30)}, want: httpsig.ErrDate},
		{name: "Date 1 h 1 s ahead", req: signedReq{body: inboxBody, date: now.Add(httpsig.MaxSkew + time.Second)}, want: httpsig.ErrDate},
		{name: "Date unparseable", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Set("Date", "yesterday") }}, want: httpsig.ErrDate},
		{name: "two Date headers", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Add("Date", r.Header.Get("Date")) }}, want: httpsig.ErrDate},
		{name: "expires passed", req: signedReq{body: inboxBody, extra: ",expires=" + unix(now.Add(-time.Minute))}, want: httpsig.ErrDate},
		{name: "created 2 h ahead", req: signedReq{body: inboxBody, extra: ",created=" + unix(now.Add(2*time.Hour))}, want: httpsig.ErrDate},

		// Signatures that do not verify.
		{name: "signature bytes changed", req: signedReq{body: inboxBody, after: func(r *http.Request) {
			s := r.Header.Get("Signature")
			i := strings.Index(s, `signature="`) + len(`signature="`)
			c := byte('A')
			if s[i] == 'A' {
				c = 'B'
			}
			r.Header.Set("Signature", s[:i]+string(c)+s[i+1:])
		}}, want: httpsig.ErrBadSignature},
		{name: "another key", req: signedReq{body: inboxBody}, key: &b.PublicKey, want: httpsig.ErrBadSignature},
		{name: "signed by another key", req: signedReq{body: inboxBody, key: b}, want: httpsig.ErrBadSignature},
		{name: "host changed", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Host = "evil.example" }}, want: httpsig.ErrBadSignature},
		{name: "path changed", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.URL.Path = "/ap/other" }}, want: httpsig.ErrBadSignature},
		{name: "query added", req: signedReq{method: "GET", target: "/ap/actor", after: func(r *http.Request) { r.URL.RawQuery = "x=1" }}, want: httpsig.ErrBadSignature},
		{name: "method changed", req: signedReq{method: "GET", target: "/ap/actor", after: func(r *http.Request) { r.Method = "DELETE" }}, want: httpsig.ErrBadSignature},
		{name: "content-type changed", req: signedReq{body: inboxBody, after: func(r *http.Request) { r.Header.Set("Content-Type", "text/html") }}, want: httpsig.ErrBadSignature},
		{name: "Date changed within the window", req: signedReq{body: inboxBody, after: func(r *http.Request) {
			r.Header.Set("Date", now.Add(-time.Minute).Format(http.TimeFormat))
		}}, want: httpsig.ErrBadSignature},
		{name: "body and Digest replaced together", req: signedReq{body: inboxBody, after: func(r *http.Request) {
			r.Header.Set("Digest", otherDigest)
		}}, want: httpsig.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.req.build(t)
			if c.name == "body and Digest replaced together" {
				body = []byte("other body")
			}
			key := c.key
			if key == nil {
				key = &a.PublicKey
			}
			_, err := verify(r, body, key, now)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var e *httpsig.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *httpsig.Error", err)
			}
			if strings.ContainsAny(err.Error(), "\n\r\x01") || len(err.Error()) > 400 {
				t.Errorf("error message is not a safe log line: %q", err.Error())
			}
		})
	}
}

// The keyId is in the error for the log line, once it could be read.
func TestErrorCarriesKeyID(t *testing.T) {
	r, body := signedReq{body: inboxBody, date: now.Add(-24 * time.Hour)}.build(t)
	_, err := httpsig.Parse(r, body, now)
	var e *httpsig.Error
	if !errors.As(err, &e) || e.KeyID != testKeyID || !errors.Is(err, httpsig.ErrDate) {
		t.Fatalf("got %#v", err)
	}
}

// A cached key that fails can be replaced: the same parsed Signature verifies with a fresh key.
func TestVerifyAgainWithAnotherKey(t *testing.T) {
	a, b := testKeys(t)
	r, body := signedReq{body: inboxBody}.build(t)
	s, err := httpsig.Parse(r, body, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(&b.PublicKey); !errors.Is(err, httpsig.ErrBadSignature) {
		t.Fatalf("stale key: got %v", err)
	}
	if err := s.Verify(&a.PublicKey); err != nil {
		t.Fatalf("fresh key: %v", err)
	}
}

func TestVerifyRefusesWeakOrMissingKeys(t *testing.T) {
	r, body := signedReq{body: inboxBody}.build(t)
	s, err := httpsig.Parse(r, body, now)
	if err != nil {
		t.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]*rsa.PublicKey{"nil": nil, "empty": {}, "1024 bits": &small.PublicKey} {
		if err := s.Verify(key); !errors.Is(err, httpsig.ErrUnsupportedAlgorithm) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// GET requests need no Digest; a Digest a GET carries without signing it is ignored, since
// Mastodon only checks a signed one.
func TestVerifyGETWithoutDigest(t *testing.T) {
	a, _ := testKeys(t)
	r, _ := signedReq{method: "GET", target: "/ap/actor", after: func(r *http.Request) { r.Header.Set("Digest", "SHA-256=junk") }}.build(t)
	if _, err := verify(r, nil, &a.PublicKey, now); err != nil {
		t.Fatal(err)
	}
}

// FuzzParse: no Signature header makes Parse panic or return anything but an *Error.
func FuzzParse(f *testing.F) {
	f.Add(`keyId="https://x.example/k",algorithm="hs2019",headers="(request-target) host date",signature="AAAA"`)
	f.Add(`keyId="a\"b",signature="\\"`)
	f.Add(`keyId=k,signature=AAAA,created=1,expires=2,headers="(created) (expires)"`)
	f.Add(`,,,=`)
	base, body := signedReq{body: []byte("{}")}.build(f)
	a, _ := testKeys(f)
	f.Fuzz(func(t *testing.T, sig string) {
		r := base.Clone(context.Background())
		r.Header.Set("Signature", sig)
		s, err := httpsig.Parse(r, body, now)
		if err != nil {
			var e *httpsig.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *httpsig.Error", err)
			}
			return
		}
		_ = s.Verify(&a.PublicKey)
	})
}
