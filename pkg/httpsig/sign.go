package httpsig

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The header lists Mastodon signs, used by Sign when given none: a request with a body signs its
// Digest and Content-Type too.
var (
	getHeaders  = []string{requestTarget, hostHeader, dateHeader}
	postHeaders = []string{requestTarget, hostHeader, dateHeader, digestHeader, "content-type"}
)

// Sign signs req as Mastodon signs, for sending:
//
//	Signature: keyId="<keyID>",algorithm="rsa-sha256",headers="<headers>",signature="<base64>"
//
// It sets req.Host to the URL's host (port included), so that the host signed is the host sent;
// sets Date to now in RFC 7231 form (whole seconds, so never ahead of now); and, when body is not
// nil, sets Digest: SHA-256=<base64 of the body's SHA-256> and makes body the request's body
// (req.Body, req.GetBody for redirects and retries, req.ContentLength), so the bytes sent are the
// bytes digested. With a nil body it removes any Digest left from an earlier signing, so a
// request re-signed after a redirect to GET carries none.
//
// headers lists what is signed, lowercase; nil means Mastodon's lists: "(request-target) host
// date" without a body, "(request-target) host date digest content-type" with one. Every listed
// header must be on the request (Content-Type is the caller's to set) or Sign fails. Signing
// again (a redirect, a retry) replaces Date, Digest and Signature.
//
// Sign fails, and leaves the request unsigned, for a nil key, a keyID that a quoted string
// cannot carry as is, a URL without a host or with a non-ASCII one (Go's transport would send
// its punycode form, which the signature would not cover), digest listed without a body, and a
// listed header that is missing.
func Sign(req *http.Request, keyID string, key *rsa.PrivateKey, headers []string, body []byte, now time.Time) error {
	if key == nil {
		return errors.New("httpsig: sign: no key")
	}
	if keyID == "" || len(keyID) > maxKeyIDLen || strings.ContainsAny(keyID, "\"\\") || hasCtl(keyID) {
		return fmt.Errorf("httpsig: sign: unusable keyId %s", quote(keyID))
	}
	if req.URL == nil || req.URL.Host == "" {
		return errors.New("httpsig: sign: request URL has no host")
	}
	for i := 0; i < len(req.URL.Host); i++ {
		if req.URL.Host[i] >= 0x80 || isCtl(req.URL.Host[i]) {
			return fmt.Errorf("httpsig: sign: host %s is not ASCII", quote(req.URL.Host))
		}
	}
	if headers == nil {
		headers = getHeaders
		if body != nil {
			headers = postHeaders
		}
	}
	list := make([]string, len(headers))
	for i, h := range headers {
		list[i] = strings.ToLower(strings.TrimSpace(h))
		if list[i] == "" || strings.ContainsAny(list[i], " \"") {
			return fmt.Errorf("httpsig: sign: bad header name %s", quote(h))
		}
		if list[i] == digestHeader && body == nil {
			return errors.New("httpsig: sign: digest listed without a body")
		}
		if list[i] == created || list[i] == expires {
			return fmt.Errorf("httpsig: sign: %s is not supported when signing", list[i])
		}
	}

	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Host = req.URL.Host
	req.Header.Set("Date", now.UTC().Format(http.TimeFormat))
	if body != nil {
		sum := sha256.Sum256(body)
		req.Header.Set("Digest", "SHA-256="+base64.StdEncoding.EncodeToString(sum[:]))
		setBody(req, body)
	} else {
		req.Header.Del("Digest")
	}
	req.Header.Del("Signature")

	s, err := signingString(req, list, nil)
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	hash := sha256.Sum256([]byte(s))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, hash[:])
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	req.Header.Set("Signature", `keyId="`+keyID+`",algorithm="rsa-sha256",headers="`+
		strings.Join(list, " ")+`",signature="`+base64.StdEncoding.EncodeToString(sig)+`"`)
	return nil
}

func setBody(req *http.Request, body []byte) {
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
		req.GetBody = func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

func hasCtl(s string) bool {
	for i := 0; i < len(s); i++ {
		if isCtl(s[i]) {
			return true
		}
	}
	return false
}
