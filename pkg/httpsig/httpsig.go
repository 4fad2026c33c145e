// Package httpsig signs and verifies HTTP requests with the Signatures of
// draft-cavage-http-signatures-12, in the one profile the fediverse uses: RSA keys, SHA-256,
// PKCS #1 v1.5, a Signature header and a Digest header for the body.
//
// Signing produces exactly what Mastodon sends (algorithm="rsa-sha256", a Date never ahead of
// now), because that is the form every server accepts: Castopod refuses "hs2019" and any Date in
// the future, and the common Go libraries hard-code "hs2019".
//
// Verifying accepts what Mastodon accepts ("rsa-sha256", and "hs2019" with an RSA key, which is
// how GoToSocial labels RSA-SHA256) and enforces the policy of the federation contract
// (docs/api.md, "Federation"): the signature covers (request-target), host, date and, with a
// body, digest; the Digest matches the body; the Date is at most 12 hours old and at most 1 hour
// ahead. Verification is two steps, Parse then (*Signature).Verify, so that a caller can check
// everything that needs no key before it fetches the key named by KeyID, and can verify again
// with a re-fetched key when a cached one fails.
//
// The package is the standard library only. It never logs: every rejection is an *Error whose
// Reason is one of the sentinel errors below, for the caller to answer 401 and log.
package httpsig

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The reasons a request is refused. Every error Parse and Verify return is an *Error that wraps
// exactly one of them, so errors.Is(err, ErrDigest) and the like tell them apart.
var (
	// ErrNoSignature: the request has no Signature header.
	ErrNoSignature = errors.New("request is not signed")
	// ErrMalformed: the Signature header cannot be parsed, is too large, lacks keyId or
	// signature, repeats a parameter, is sent more than once, or names a header the request
	// does not carry.
	ErrMalformed = errors.New("malformed signature")
	// ErrUnsupportedAlgorithm: algorithm is not "rsa-sha256" or "hs2019", or the key is not an
	// RSA key of a supported size.
	ErrUnsupportedAlgorithm = errors.New("unsupported signature algorithm")
	// ErrUnsignedHeader: a header the policy requires is not in the signed list.
	ErrUnsignedHeader = errors.New("required header not signed")
	// ErrDigest: a body without a Digest, a Digest without SHA-256, or one that does not match
	// the body.
	ErrDigest = errors.New("bad digest")
	// ErrDate: no Date, an unparseable one, or one outside the accepted window (see MaxAge and
	// MaxSkew); also an expired (expires) parameter.
	ErrDate = errors.New("date out of window")
	// ErrBadSignature: the signature does not verify with the key.
	ErrBadSignature = errors.New("signature does not verify")
)

// The accepted window for the Date header, as Mastodon accepts it: a request signed up to MaxAge
// ago or up to MaxSkew in the future (a sender's clock running fast) is accepted.
const (
	MaxAge  = 12 * time.Hour
	MaxSkew = time.Hour
)

// Bounds on what Parse reads, so that a hostile header costs little to refuse.
const (
	// maxHeaderLen caps the Signature header. A 4096-bit RSA signature is 684 base64 bytes and a
	// keyId is a URL; 8 KiB leaves room for both many times over.
	maxHeaderLen = 8 << 10
	maxParams    = 16
	// maxSignedHeaders caps the entries of headers="…".
	maxSignedHeaders = 32
	maxKeyIDLen      = 2048
	// RSA key sizes accepted for verifying: below 2048 bits is weak, above 8192 only makes a
	// verification expensive for the receiver.
	minKeyBits = 2048
	maxKeyBits = 8192
)

// Error is a refused request: Reason is one of the sentinel errors of this package, KeyID the
// signature's keyId when it could be read (for the log line), and Detail says what exactly was
// wrong. Detail may quote at most a short, sanitised part of the request, so the whole error is
// safe to log; it is not meant for the response body, which should just say 401.
type Error struct {
	Reason error
	KeyID  string
	Detail string
}

func (e *Error) Error() string {
	s := "httpsig: " + e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	if e.KeyID != "" {
		s += " (keyId " + quote(e.KeyID) + ")"
	}
	return s
}

// Unwrap returns the Reason, so that errors.Is matches the sentinels.
func (e *Error) Unwrap() error { return e.Reason }

func fail(reason error, keyID, format string, args ...any) *Error {
	return &Error{Reason: reason, KeyID: keyID, Detail: fmt.Sprintf(format, args...)}
}

// quote shortens s for an error message and quotes it with Go escapes, so that nothing a sender
// chose can forge a log line.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
