package httpsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signature is a request's signature that Parse has read and found to meet the policy. Only
// Verify says whether it is genuine: until then KeyID is a claim, good for nothing but finding
// the key to verify with.
type Signature struct {
	// KeyID is the keyId parameter as sent: the URL of the key (Mastodon's "<actor>#main-key",
	// GoToSocial's "<actor>/main-key").
	KeyID string
	// Algorithm is the algorithm parameter as sent, lowercase: "rsa-sha256" or "hs2019" (also
	// when the parameter was absent, as Mastodon reads it). Either way the signature is
	// RSASSA-PKCS1-v1_5 with SHA-256.
	Algorithm string
	// Headers is the signed list, lowercase, in the order signed.
	Headers []string
	// Date is the request's Date header.
	Date time.Time

	hash [sha256.Size]byte // SHA-256 of the signing string
	sig  []byte
}

// Parse reads the Signature header of a received request and checks everything that needs no
// key: the header's syntax and size, the algorithm, that the signed list covers
// (request-target), host, date and, when the request has a body, digest; that the Date is
// within MaxAge in the past and MaxSkew in the future of now; and that Digest: SHA-256=…
// matches body.
//
// body is the request body as the caller read it (the caller caps its size and has to read it
// before parsing anyway); the request has a body when body is not empty or the method is POST,
// so an empty POST must still sign its Digest, as Mastodon demands. host is r.Host, which Go's
// server sets from the Host header; a caller behind a proxy that rewrites Host sets r.Host to
// the public host first. (request-target) is built from r.Method and r.URL.
//
// Every error is an *Error wrapping ErrNoSignature, ErrMalformed, ErrUnsupportedAlgorithm,
// ErrUnsignedHeader, ErrDate or ErrDigest, with the keyId when it was readable.
func Parse(r *http.Request, body []byte, now time.Time) (*Signature, error) {
	values := r.Header.Values("Signature")
	switch {
	case len(values) == 0:
		return nil, fail(ErrNoSignature, "", "no Signature header")
	case len(values) > 1:
		return nil, fail(ErrMalformed, "", "%d Signature headers", len(values))
	case len(values[0]) > maxHeaderLen:
		return nil, fail(ErrMalformed, "", "Signature header of %d bytes", len(values[0]))
	}
	params, err := parseParams(values[0])
	if err != nil {
		return nil, fail(ErrMalformed, "", "%v", err)
	}

	keyID := params["keyId"]
	if keyID == "" {
		return nil, fail(ErrMalformed, "", "no keyId")
	}
	if len(keyID) > maxKeyIDLen {
		return nil, fail(ErrMalformed, "", "keyId of %d bytes", len(keyID))
	}
	s := &Signature{KeyID: keyID}

	// Mastodon reads a missing algorithm as hs2019, and hs2019 with an RSA key as RSA-SHA256.
	s.Algorithm = "hs2019"
	if a, ok := params["algorithm"]; ok {
		s.Algorithm = strings.ToLower(a)
	}
	if s.Algorithm != "rsa-sha256" && s.Algorithm != "hs2019" {
		return nil, fail(ErrUnsupportedAlgorithm, keyID, "algorithm %s", quote(s.Algorithm))
	}

	enc := params["signature"]
	if enc == "" {
		return nil, fail(ErrMalformed, keyID, "no signature")
	}
	if base64.StdEncoding.DecodedLen(len(enc)) > maxKeyBits/8+2 {
		return nil, fail(ErrMalformed, keyID, "signature of %d bytes", len(enc))
	}
	if s.sig, err = base64.StdEncoding.DecodeString(enc); err != nil {
		return nil, fail(ErrMalformed, keyID, "signature is not base64")
	}

	// The draft's default list is "date" alone, which the policy then refuses.
	list := "date"
	if h, ok := params["headers"]; ok {
		list = h
	}
	s.Headers = strings.Fields(strings.ToLower(list))
	if len(s.Headers) == 0 {
		return nil, fail(ErrMalformed, keyID, "empty headers list")
	}
	if len(s.Headers) > maxSignedHeaders {
		return nil, fail(ErrMalformed, keyID, "%d signed headers", len(s.Headers))
	}
	hasBody := len(body) > 0 || r.Method == http.MethodPost
	for _, h := range [...]string{requestTarget, hostHeader, dateHeader, digestHeader} {
		if h == digestHeader && !hasBody {
			continue
		}
		if !slices.Contains(s.Headers, h) {
			return nil, fail(ErrUnsignedHeader, keyID, "%s not signed", h)
		}
	}

	if err := checkDate(r, params, s, now); err != nil {
		err.KeyID = keyID
		return nil, err
	}
	if err := checkDigest(r, body, hasBody || slices.Contains(s.Headers, digestHeader)); err != nil {
		err.KeyID = keyID
		return nil, err
	}

	str, err := signingString(r, s.Headers, params)
	if err != nil {
		return nil, fail(ErrMalformed, keyID, "%v", err)
	}
	s.hash = sha256.Sum256([]byte(str))
	return s, nil
}

// Verify checks the signature with key, an RSA public key of 2048 to 8192 bits (the key named by
// KeyID, whose owner the caller then compares with the activity's actor). It may be called again
// with another key, for a key fetched anew when a cached one fails. It returns nil, or an *Error
// wrapping ErrBadSignature or, for a missing or unsupported key, ErrUnsupportedAlgorithm.
func (s *Signature) Verify(key *rsa.PublicKey) error {
	if key == nil || key.N == nil {
		return fail(ErrUnsupportedAlgorithm, s.KeyID, "no RSA key")
	}
	if bits := key.N.BitLen(); bits < minKeyBits || bits > maxKeyBits {
		return fail(ErrUnsupportedAlgorithm, s.KeyID, "RSA key of %d bits", bits)
	}
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, s.hash[:], s.sig); err != nil {
		return fail(ErrBadSignature, s.KeyID, "")
	}
	return nil
}

// checkDate enforces the window on the Date header, and on the created and expires parameters
// when a sender adds them.
func checkDate(r *http.Request, params map[string]string, s *Signature, now time.Time) *Error {
	dates := r.Header.Values("Date")
	if len(dates) != 1 {
		return fail(ErrDate, "", "%d Date headers", len(dates))
	}
	t, err := http.ParseTime(dates[0])
	if err != nil {
		return fail(ErrDate, "", "unparseable Date %s", quote(dates[0]))
	}
	if age := now.Sub(t); age > MaxAge {
		return fail(ErrDate, "", "Date %s is %s old", quote(dates[0]), age.Round(time.Second))
	} else if -age > MaxSkew {
		return fail(ErrDate, "", "Date %s is %s ahead", quote(dates[0]), (-age).Round(time.Second))
	}
	s.Date = t
	for _, p := range [...]string{"created", "expires"} {
		v, ok := params[p]
		if !ok {
			continue
		}
		sec, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fail(ErrDate, "", "%s is not a number", p)
		}
		at := time.Unix(sec, 0)
		if p == "created" && at.Sub(now) > MaxSkew {
			return fail(ErrDate, "", "created is %s ahead", at.Sub(now).Round(time.Second))
		}
		if p == "expires" && now.After(at) {
			return fail(ErrDate, "", "signature expired %s ago", now.Sub(at).Round(time.Second))
		}
	}
	return nil
}

// checkDigest compares the Digest header with the body when it must (the request has a body, or
// the sender signed a Digest). A header may list several digests ("SHA-256=…,SHA-512=…"); the
// SHA-256 one must be there and match, as Mastodon demands. (That a body's digest is signed is
// the caller's check.)
func checkDigest(r *http.Request, body []byte, must bool) *Error {
	if !must {
		return nil
	}
	values := r.Header.Values("Digest")
	if len(values) == 0 {
		return fail(ErrDigest, "", "no Digest header")
	}
	if len(values) > 1 {
		return fail(ErrDigest, "", "%d Digest headers", len(values))
	}
	var want []byte
	for entry := range strings.SplitSeq(values[0], ",") {
		alg, val, ok := strings.Cut(strings.TrimSpace(entry), "=")
		if !ok || !strings.EqualFold(alg, "SHA-256") {
			continue
		}
		d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(val))
		if err != nil || len(d) != sha256.Size {
			return fail(ErrDigest, "", "SHA-256 digest is not 32 bytes of base64")
		}
		want = d
		break
	}
	if want == nil {
		return fail(ErrDigest, "", "no SHA-256 digest in %s", quote(values[0]))
	}
	got := sha256.Sum256(body)
	if subtle.ConstantTimeCompare(got[:], want) != 1 {
		return fail(ErrDigest, "", "SHA-256 digest does not match the body")
	}
	return nil
}
