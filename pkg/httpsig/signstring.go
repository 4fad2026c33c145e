package httpsig

import (
	"errors"
	"net/http"
	"strings"
)

// The pseudo-headers of the draft, and the header names the policy cares about, lowercase as they
// appear in headers="…".
const (
	requestTarget = "(request-target)"
	created       = "(created)"
	expires       = "(expires)"
	hostHeader    = "host"
	dateHeader    = "date"
	digestHeader  = "digest"
)

// signingString builds the string that is signed (draft-cavage-http-signatures-12 §2.3): one
// line per listed header, "name: value", joined by "\n". params holds the created and expires
// parameters when the list names them.
//
// host is r.Host, because Go's server moves the Host header out of r.Header into r.Host; a
// request built for sending has its host there too once Sign has set it. (request-target) is the
// lowercase method, a space, and the path with its query, as the request line carries them.
// Several values of one header are joined with ", ", each trimmed.
func signingString(r *http.Request, headers []string, params map[string]string) (string, error) {
	var b strings.Builder
	b.Grow(256)
	for i, h := range headers {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(h)
		b.WriteString(": ")
		switch h {
		case requestTarget:
			b.WriteString(strings.ToLower(r.Method))
			b.WriteByte(' ')
			b.WriteString(r.URL.RequestURI())
		case created, expires:
			v := params[h[1:len(h)-1]]
			if v == "" {
				return "", errors.New(h + " signed without its parameter")
			}
			b.WriteString(v)
		case hostHeader:
			host := requestHost(r)
			if host == "" {
				return "", errors.New("signed header " + quote(h) + " not in the request")
			}
			b.WriteString(host)
		default:
			vs := r.Header.Values(h)
			if len(vs) == 0 {
				return "", errors.New("signed header " + quote(h) + " not in the request")
			}
			for j, v := range vs {
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(strings.TrimSpace(v))
			}
		}
	}
	return b.String(), nil
}

// requestHost is the host a request was (or will be) sent to: r.Host, which the server fills from
// the Host header and Sign sets for a client request, then a Host header left in r.Header (some
// adapters keep it there), then the URL's host.
func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if h := r.Header.Get("Host"); h != "" {
		return h
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}
