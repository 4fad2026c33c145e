// Package apigw adapts API Gateway HTTP API (payload format 2.0) events to a net/http Handler, so
// that the functions run the very handlers the local runner serves.
package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// RequestIDHeader is set on the request from the event's request ID, for the handler's logs.
const RequestIDHeader = "X-Request-Id"

// Handler returns a Lambda handler that serves each event with h. An event that cannot be turned
// into a request is an error (API Gateway answers 500); a handler's errors are its responses.
// The functions start NewHandler, which does the same without the SDK's event types; this one is
// the reference its tests compare it with.
func Handler(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		r, err := Request(ctx, e)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		w := newResponseWriter()
		defer w.release()
		h.ServeHTTP(w, r)
		return w.response(), nil
	}
}

// Request builds the *http.Request that e describes.
func Request(ctx context.Context, e events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	var l event
	l.RawPath, l.RawQueryString, l.Cookies, l.Headers = e.RawPath, e.RawQueryString, e.Cookies, e.Headers
	l.Body, l.IsBase64Encoded = e.Body, e.IsBase64Encoded
	rc := &l.RequestContext
	rc.DomainName, rc.RequestID = e.RequestContext.DomainName, e.RequestContext.RequestID
	rc.HTTP.Method, rc.HTTP.Path, rc.HTTP.SourceIP = e.RequestContext.HTTP.Method, e.RequestContext.HTTP.Path, e.RequestContext.HTTP.SourceIP
	return l.request(ctx)
}

// request builds the *http.Request that e describes.
func (e *event) request(ctx context.Context) (*http.Request, error) {
	body := []byte(e.Body)
	if e.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(e.Body); err != nil {
			return nil, fmt.Errorf("apigw: decode body: %w", err)
		}
	}
	path := e.RawPath
	if path == "" {
		path = e.RequestContext.HTTP.Path
	}
	host := e.RequestContext.DomainName
	if h := e.Headers["host"]; h != "" {
		host = h
	}
	// HTTP APIs deliver rawPath already percent-decoded (a client's /a%2Fb arrives as /a/b), so
	// it is the decoded path: decoding it again would turn "100%25" into a broken escape.
	u := &url.URL{Scheme: "https", Host: host, Path: path, RawQuery: e.RawQueryString}
	method := e.RequestContext.HTTP.Method
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("apigw: build request: %w", err)
	}
	for k, v := range e.Headers {
		// API Gateway joins repeated headers with commas, which is also what HTTP allows.
		r.Header.Set(k, v)
	}
	if len(e.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(e.Cookies, "; "))
	}
	r.Host = host
	r.ContentLength = int64(len(body))
	r.RemoteAddr = e.RequestContext.HTTP.SourceIP
	r.RequestURI = u.RequestURI()
	if e.RequestContext.RequestID != "" {
		r.Header.Set(RequestIDHeader, e.RequestContext.RequestID)
	}
	return r, nil
}

type responseWriter struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

// bodies are the buffers responses are written into: the event's body is a string, which copies
// the bytes anyway, so the buffer (and its growth to the body's size) is reused. A buffer that
// grew past maxPooledBody is left to the collector.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 256 << 10

func newResponseWriter() *responseWriter {
	return &responseWriter{header: http.Header{}, body: bodies.Get().(*bytes.Buffer)}
}

// release returns the body's buffer: the response, built by then, holds a copy.
func (w *responseWriter) release() {
	if w.body.Cap() <= maxPooledBody {
		w.body.Reset()
		bodies.Put(w.body)
	}
	w.body = nil
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

func (w *responseWriter) response() events.APIGatewayV2HTTPResponse {
	res := events.APIGatewayV2HTTPResponse{StatusCode: w.statusCode(), Headers: make(map[string]string, len(w.header))}
	w.headers(func(k, v string) { res.Headers[k] = v }, func(c string) { res.Cookies = append(res.Cookies, c) })
	if w.binary() {
		res.Body = base64.StdEncoding.EncodeToString(w.body.Bytes())
		res.IsBase64Encoded = true
	} else {
		res.Body = w.body.String()
	}
	return res
}

func (w *responseWriter) statusCode() int {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.status
}

// headers calls header for each header of the response, repeated values joined by commas,
// and cookie for each Set-Cookie value: API Gateway takes those from the response's cookies.
func (w *responseWriter) headers(header func(k, v string), cookie func(c string)) {
	for k, vs := range w.header {
		switch {
		case http.CanonicalHeaderKey(k) == "Set-Cookie":
			for _, c := range vs {
				cookie(c)
			}
		case len(vs) == 1:
			header(k, vs[0])
		default:
			header(k, strings.Join(vs, ", "))
		}
	}
}

// binary reports whether the body goes base64-encoded: the event's body is a JSON string,
// which holds UTF-8 text only.
func (w *responseWriter) binary() bool {
	return w.body.Len() > 0 && (!textual(w.header.Get("Content-Type")) || !utf8.Valid(w.body.Bytes()))
}

func textual(ct string) bool {
	ct = strings.ToLower(ct)
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") ||
		strings.Contains(ct, "xml") || strings.Contains(ct, "javascript") || strings.Contains(ct, "mpegurl")
}
