package httpsig_test

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	oracle "github.com/go-fed/httpsig"

	"github.com/soundtime/soundtime/pkg/httpsig"
)

// Our signatures, sent through a real server, verify with three verifiers that share no code
// with Sign: the go-fed/httpsig library, the checker of Mastodon's rules, and (for good measure)
// our own Parse and Verify. Each of the first two is shown to be able to fail.
func TestSignVerifiedByOracleAndMastodonRules(t *testing.T) {
	a, b := testKeys(t)
	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
	}{
		{name: "signed GET of an actor", method: "GET", path: "/users/alice"},
		{name: "signed GET with a query", method: "GET", path: "/.well-known/webfinger?resource=acct%3Aalice%40example.com%3A8443"},
		{name: "delivery POST", method: "POST", path: "/inbox", body: inboxBody},
		{name: "empty POST", method: "POST", path: "/inbox", body: []byte{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://placeholder"+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			signedAt := time.Now()
			got := roundTrip(t, req, func(req *http.Request) {
				if c.body != nil {
					req.Header.Set("Content-Type", "application/activity+json")
				}
				if err := httpsig.Sign(req, "https://soundtime.example/ap/actor#main-key", a, nil, c.body, signedAt); err != nil {
					t.Fatal(err)
				}
			})
			if !bytes.Equal(got.body, c.body) {
				t.Fatalf("server read %d bytes, want the %d signed", len(got.body), len(c.body))
			}

			v, err := oracle.NewVerifier(got.r)
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			if v.KeyId() != "https://soundtime.example/ap/actor#main-key" {
				t.Errorf("oracle KeyId %q", v.KeyId())
			}
			if err := v.Verify(&a.PublicKey, oracle.RSA_SHA256); err != nil {
				t.Errorf("oracle: %v\nSignature: %s", err, got.r.Header.Get("Signature"))
			}
			if err := v.Verify(&b.PublicKey, oracle.RSA_SHA256); err == nil {
				t.Error("oracle accepted another key: the oracle check proves nothing")
			}

			checkAt := time.Now()
			if err := checkMastodonRules(got.r, got.body, &a.PublicKey, checkAt); err != nil {
				t.Errorf("Mastodon rules: %v", err)
			}
			if err := checkMastodonRules(got.r, got.body, &b.PublicKey, checkAt); err == nil {
				t.Error("Mastodon checker accepted another key")
			}

			if _, err := verify(got.r, got.body, &a.PublicKey, checkAt); err != nil {
				t.Errorf("Parse/Verify: %v", err)
			}
		})
	}
}

// The checker of Mastodon's rules refuses each thing it checks; otherwise its passing above
// would mean nothing.
func TestMastodonCheckerCanFail(t *testing.T) {
	a, _ := testKeys(t)
	cases := map[string]signedReq{
		"hs2019 label":        {body: inboxBody, algorithm: "hs2019"},
		"digest not signed":   {body: inboxBody, headers: "(request-target) host date content-type"},
		"host not signed":     {body: inboxBody, headers: "(request-target) date digest content-type"},
		"wrong Digest":        {body: inboxBody, digest: "SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="},
		"Date 13 h old":       {body: inboxBody, date: now.Add(-13 * time.Hour)},
		"Date 1 s ahead":      {body: inboxBody, date: now.Add(time.Second)},
		"request-target lies": {body: inboxBody, after: func(r *http.Request) { r.RequestURI = "/other" }},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			r, body := s.build(t)
			if err := checkMastodonRules(r, body, &a.PublicKey, now); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	r, body := signedReq{body: inboxBody}.build(t)
	if err := checkMastodonRules(r, body, &a.PublicKey, now); err != nil {
		t.Fatalf("a correct request refused: %v", err)
	}
}

// gotosocialSign signs as GoToSocial v0.18.3 does (REPORT §3.1: internal/transport/signing.go
// and internal/httpclient/transport.go): its fork of go-fed/httpsig with RSA_SHA256 and a
// SHA-256 Digest, which writes algorithm="hs2019"; Host and Date headers set on the request
// before signing; GET signs "(request-target) host date", POST adds digest.
func gotosocialSign(t *testing.T, req *http.Request, key *rsa.PrivateKey, keyID string, body []byte, at time.Time) {
	t.Helper()
	headers := []string{oracle.RequestTarget, "host", "date"}
	if body != nil {
		headers = append(headers, "digest")
	}
	signer, _, err := oracle.NewSigner([]oracle.Algorithm{oracle.RSA_SHA256}, oracle.DigestSha256, headers, oracle.Signature, 0)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Host", req.URL.Host)
	req.Header.Set("Date", at.UTC().Format(http.TimeFormat))
	if err := signer.SignRequest(key, keyID, req, body); err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Body, req.ContentLength = nopCloser(body), int64(len(body))
	}
}

func TestGoToSocialStyleAccepted(t *testing.T) {
	a, _ := testKeys(t)
	const keyID = "https://gts.example/users/alice/main-key"
	follow := []byte(`{"@context":"https://www.w3.org/ns/activitystreams","actor":"https://gts.example/users/alice","id":"https://gts.example/users/alice/follow/01P20BJCMTD6310QZ1Z82KRMZP","object":"https://soundtime.example/ap/actor","to":"https://soundtime.example/ap/actor","type":"Follow"}`)
	cases := []struct {
		name, method, path string
		body               []byte
	}{
		{name: "Follow POST", method: "POST", path: "/ap/inbox", body: follow},
		{name: "actor GET", method: "GET", path: "/ap/actor"},
		{name: "GET with a query", method: "GET", path: "/ap/outbox?page=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest(c.method, "http://placeholder"+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now()
			got := roundTrip(t, req, func(req *http.Request) {
				if c.body != nil {
					req.Header.Set("Content-Type", `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`)
				}
				gotosocialSign(t, req, a, keyID, c.body, at)
			})
			if !strings.Contains(got.r.Header.Get("Signature"), `algorithm="hs2019"`) {
				t.Fatalf("not an hs2019 signature: %s", got.r.Header.Get("Signature"))
			}
			s, err := verify(got.r, got.body, &a.PublicKey, time.Now())
			if err != nil {
				t.Fatalf("refused: %v\nSignature: %s", err, got.r.Header.Get("Signature"))
			}
			if s.KeyID != keyID || s.Algorithm != "hs2019" {
				t.Errorf("KeyID %q Algorithm %q", s.KeyID, s.Algorithm)
			}
		})
	}
}

// Requests a real GoToSocial v0.18.3 sent, replayed byte for byte (testdata/README.md), verify
// with its account's public key at the time they were sent, and only then.
func TestRealGoToSocialRequests(t *testing.T) {
	pemText := mustRead(t, "testdata/gotosocial-alice.pem")
	key, err := httpsig.ParsePublicKeyPEM(pemText)
	if err != nil {
		t.Fatal(err)
	}
	const keyID = "http://localhost:18080/users/alice/main-key"
	for _, name := range []string{"gotosocial-follow-post.http", "gotosocial-undo-post.http", "gotosocial-actor-get.http", "gotosocial-webfinger-get.http"} {
		t.Run(name, func(t *testing.T) {
			r, body := readFixture(t, name)
			sent, err := http.ParseTime(r.Header.Get("Date"))
			if err != nil {
				t.Fatal(err)
			}
			s, err := verify(r, body, key, sent.Add(time.Second))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if s.KeyID != keyID || s.Algorithm != "hs2019" {
				t.Errorf("KeyID %q Algorithm %q", s.KeyID, s.Algorithm)
			}
			if _, err := verify(r, body, key, sent.Add(13*time.Hour)); !errors.Is(err, httpsig.ErrDate) {
				t.Errorf("13 h later: got %v, want ErrDate", err)
			}
			if len(body) > 0 {
				tampered := bytes.Replace(body, []byte("alice"), []byte("mallory"), 1)
				if _, err := verify(r, tampered, key, sent); !errors.Is(err, httpsig.ErrDigest) {
					t.Errorf("tampered body: got %v, want ErrDigest", err)
				}
			}
			r.Host = "127.0.0.1:8444"
			if _, err := verify(r, body, key, sent); !errors.Is(err, httpsig.ErrBadSignature) {
				t.Errorf("other host: got %v, want ErrBadSignature", err)
			}
		})
	}
}
