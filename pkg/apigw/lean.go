package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"
)

// LambdaHandler serves API Gateway HTTP API (payload format 2.0) events with an http.Handler. It
// implements aws-lambda-go's lambda.Handler (Invoke), so lambda.Start hands it the event's bytes
// and sends back the bytes it returns: it decodes only the fields a request is built from and
// writes the response's JSON itself, where Handler goes through the SDK's event types and
// encoding/json (docs/design.md, "Handlers at the floor").
type LambdaHandler struct {
	h http.Handler
}

// NewHandler returns the Lambda handler that serves each event with h, as Handler does: an event
// that cannot be turned into a request is an error (API Gateway answers 500); a handler's errors
// are its responses.
func NewHandler(h http.Handler) *LambdaHandler { return &LambdaHandler{h: h} }

// MaxEvent is the largest event Invoke decodes: Lambda's limit on a synchronous invocation's
// payload, so a larger one did not come from API Gateway.
const MaxEvent = 6 << 20

// event is the part of an APIGatewayV2HTTPRequest that request reads, with the same JSON names
// (and so encoding/json's same case-insensitive matching of them).
type event struct {
	RawPath         string            `json:"rawPath"`
	RawQueryString  string            `json:"rawQueryString"`
	Cookies         []string          `json:"cookies"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
	RequestContext  struct {
		DomainName string `json:"domainName"`
		RequestID  string `json:"requestId"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
}

// Invoke serves the event in payload and returns the response's JSON. A payload that is not an
// event's JSON, or larger than MaxEvent, is an error.
func (l *LambdaHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	r, err := decode(ctx, payload)
	if err != nil {
		return nil, err
	}
	w := newResponseWriter()
	defer w.release()
	l.h.ServeHTTP(w, r)
	buf := outs.Get().(*[]byte)
	*buf = w.appendResponse((*buf)[:0])
	// The SDK sends the bytes after Invoke returns, so they are a copy: the buffer's growth is
	// what is reused.
	out := append([]byte(nil), *buf...)
	if cap(*buf) <= maxPooledBody {
		outs.Put(buf)
	}
	return out, nil
}

// decode builds the *http.Request that the event in payload describes.
func decode(ctx context.Context, payload []byte) (*http.Request, error) {
	if len(payload) > MaxEvent {
		return nil, fmt.Errorf("apigw: event of %d bytes, more than %d", len(payload), MaxEvent)
	}
	var e event
	if err := json.Unmarshal(payload, &e); err != nil {
		return nil, fmt.Errorf("apigw: decode event: %w", err)
	}
	return e.request(ctx)
}

// outs are the buffers responses' JSON is written into.
var outs = sync.Pool{New: func() any { return new([]byte) }}

// appendResponse appends the JSON of w's APIGatewayV2HTTPResponse (as encoding/json writes
// response(), but for the headers' order) to dst.
func (w *responseWriter) appendResponse(dst []byte) []byte {
	dst = append(dst, `{"statusCode":`...)
	dst = strconv.AppendInt(dst, int64(w.statusCode()), 10)
	dst = append(dst, `,"headers":{`...)
	cookies := 0
	w.headers(func(k, v string) {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendString(dst, v)
	}, func(string) { cookies++ })
	dst = append(dst, `},"multiValueHeaders":null,"body":`...)
	if w.binary() {
		b := w.body.Bytes()
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, b)
		dst = append(dst, `","isBase64Encoded":true`...)
	} else {
		dst = appendString(dst, w.body.Bytes())
	}
	if cookies == 0 {
		return append(dst, `,"cookies":null}`...)
	}
	dst = append(dst, `,"cookies":[`...)
	w.headers(func(string, string) {}, func(c string) {
		if dst[len(dst)-1] != '[' {
			dst = append(dst, ',')
		}
		dst = appendString(dst, c)
	})
	return append(dst, "]}"...)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes it without HTML
// escaping (the SDK's setting): invalid UTF-8 becomes U+FFFD, and U+2028 and U+2029 are escaped.
func appendString[T string | []byte](dst []byte, s T) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		// At most four bytes are converted, on the stack.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
