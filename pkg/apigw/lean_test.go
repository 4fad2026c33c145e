package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/apigw"
)

var _ lambda.Handler = apigw.NewHandler(nil)

// leanEvents are API Gateway v2 payloads as the SDK's type would carry them and beyond: the
// testdata events (real ones) and variations on their fields.
func leanEvents(t testing.TB) map[string][]byte {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	const rc = `"requestContext":{"accountId":"123456789012","apiId":"k7x2m9q4ab","domainName":"k7x2m9q4ab.execute-api.us-east-1.amazonaws.com","domainPrefix":"k7x2m9q4ab","http":{"method":"%M","path":"%P","protocol":"HTTP/1.1","sourceIp":"198.51.100.7","userAgent":"curl/8.11.1"},"requestId":"Bv4QJgKxoAMEbWw=","routeKey":"$default","stage":"$default","time":"23/Nov/2025:09:19:32 +0000","timeEpoch":1763889572881}`
	ctx := func(method, path string) string {
		return strings.NewReplacer("%M", method, "%P", path).Replace(rc)
	}
	for name, e := range map[string]string{
		"base64 body":                 `{"version":"2.0","routeKey":"$default","rawPath":"/echo/up","rawQueryString":"","headers":{"content-type":"audio/mpeg","host":"example.com"},` + ctx("PUT", "/echo/up") + `,"body":"AAECA/7/","isBase64Encoded":true}`,
		"bad base64":                  `{"version":"2.0","rawPath":"/echo","headers":{},` + ctx("POST", "/echo") + `,"body":"not base64!","isBase64Encoded":true}`,
		"cookies":                     `{"version":"2.0","rawPath":"/echo","cookies":["session=s%3Aabc","theme=dark","x=\"q\""],"headers":{"host":"example.com"},` + ctx("GET", "/echo") + `}`,
		"multi-value headers joined":  `{"version":"2.0","rawPath":"/echo","headers":{"accept":"text/html, application/json;q=0.9","x-custom-header":"a,b, c","x-forwarded-for":"203.0.113.7, 130.176.0.1"},` + ctx("GET", "/echo") + `}`,
		"query with escapes":          `{"version":"2.0","rawPath":"/echo","rawQueryString":"q=a%20b%26c&x=%E2%9C%93&empty=&flag&plus=a+b","queryStringParameters":{"q":"a b&c"},"headers":{"host":"example.com"},` + ctx("GET", "/echo") + `}`,
		"unicode path":                `{"version":"2.0","rawPath":"/tracks/caf\u00e9/\u6f22\u5b57 \ud83c\udfb5","headers":{"host":"example.com"},` + ctx("GET", "/tracks/café") + `}`,
		"escaped path chars":          `{"version":"2.0","rawPath":"/a/100%/b?c#d","headers":{},` + ctx("GET", "/a") + `}`,
		"no rawPath":                  `{"version":"2.0","headers":{},` + ctx("DELETE", "/from/context") + `}`,
		"no host header":              `{"version":"2.0","rawPath":"/echo","headers":{"accept":"*/*"},` + ctx("GET", "/echo") + `}`,
		"text body with escapes":      `{"version":"2.0","rawPath":"/echo","headers":{"content-type":"application/json"},` + ctx("POST", "/echo") + `,"body":"{\"a\":\"\\u2028\\n\\t\\\"\u00e9\"}"}`,
		"names in other case":         `{"VERSION":"2.0","RawPath":"/echo","HEADERS":{"Host":"example.com","host":"h.example"},"requestcontext":{"HTTP":{"Method":"PATCH","sourceIP":"192.0.2.1"},"RequestId":"r1"},"Body":"x","isbase64encoded":false}`,
		"duplicate keys":              `{"rawPath":"/first","rawPath":"/echo","headers":{"a":"1","a":"2"},` + ctx("GET", "/echo") + `}`,
		"nulls":                       `{"rawPath":null,"headers":null,"cookies":null,"body":null,"requestContext":{"http":{"method":"GET","path":"/n"}}}`,
		"bad method":                  `{"rawPath":"/echo","headers":{},` + ctx("GE T", "/echo") + `}`,
		"control char in header":      `{"rawPath":"/echo","headers":{"x-custom-header":"a\u0001b"},` + ctx("GET", "/echo") + `}`,
		"wrong type for a read field": `{"rawPath":5,` + ctx("GET", "/echo") + `}`,
		"malformed":                   `{"rawPath":"/echo",`,
		"not an object":               `["rawPath"]`,
		"empty":                       ``,
	} {
		out[name] = []byte(e)
	}
	return out
}

// eventsRequest is the reference path: the SDK's event type decoded as lambda.Start decodes it,
// and apigw.Request. trailing reports data after the event's JSON, which a json.Decoder leaves
// unread.
func eventsRequest(payload []byte) (r *http.Request, trailing bool, err error) {
	var e events.APIGatewayV2HTTPRequest
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&e); err != nil {
		return nil, false, err
	}
	trailing = len(bytes.TrimLeft(payload[dec.InputOffset():], " \t\r\n")) > 0
	r, err = apigw.Request(context.Background(), e)
	if err == nil {
		// Header names that differ only in case (API Gateway lowercases them all) are set in the
		// map's order, in either path: which value wins is left out of the comparison.
		seen := map[string]int{}
		for k := range e.Headers {
			seen[http.CanonicalHeaderKey(k)]++
		}
		for k, n := range seen {
			if n > 1 {
				r.Header[k] = []string{"(any)"}
			}
		}
	}
	return r, trailing, err
}

// sameRequest compares what a handler can see of two requests.
func sameRequest(t *testing.T, want, got *http.Request) {
	t.Helper()
	wb, err := io.ReadAll(want.Body)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := io.ReadAll(got.Body)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		Method, URL, Host, RemoteAddr, RequestURI string
		Header                                    http.Header
		ContentLength                             int64
		Body                                      []byte
	}
	w := seen{want.Method, want.URL.String(), want.Host, want.RemoteAddr, want.RequestURI, want.Header, want.ContentLength, wb}
	g := seen{got.Method, got.URL.String(), got.Host, got.RemoteAddr, got.RequestURI, got.Header, got.ContentLength, gb}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("lean request differs:\n got %+v\nwant %+v", g, w)
	}
}

// checkAgree fails unless the lean decode builds the request the events path builds, or refuses
// what it refuses. The lean decode reads fewer fields, so it may accept an event whose other
// fields have the wrong type (the events path refuses it); the other way round only when data
// follows the event's JSON (lambda.Start's decoder stops at the end of the first value).
func checkAgree(t *testing.T, payload []byte) (accepted bool) {
	t.Helper()
	want, trailing, wantErr := eventsRequest(payload)
	got, err := apigw.Decode(context.Background(), payload)
	switch {
	case wantErr == nil && err != nil && trailing:
		return false
	case wantErr == nil && err != nil:
		t.Fatalf("lean decode refused what the events path accepts: %v", err)
	case err != nil:
		return false
	case wantErr != nil:
		return true
	}
	for k, v := range want.Header {
		if len(v) == 1 && v[0] == "(any)" {
			got.Header[k] = v
		}
	}
	sameRequest(t, want, got)
	return true
}

func TestLeanDecode(t *testing.T) {
	for name, payload := range leanEvents(t) {
		t.Run(name, func(t *testing.T) {
			accepted := checkAgree(t, payload)
			_, _, wantErr := eventsRequest(payload)
			// Which table entries are refusals is part of the table's meaning.
			refused := map[string]bool{"bad base64": true, "bad method": true, "wrong type for a read field": true, "malformed": true, "not an object": true, "empty": true}
			if name == "trailing data" {
				// Refused by the lean decode only.
				if accepted {
					t.Error("lean decode accepted data after the event")
				}
				return
			}
			if accepted == refused[name] || (wantErr != nil) != refused[name] {
				t.Errorf("accepted = %v (events path error %v), want refused %v", accepted, wantErr, refused[name])
			}
		})
	}
}

func TestLeanRefusesHugeEvents(t *testing.T) {
	body := strings.Repeat("A", apigw.MaxEvent)
	payload := []byte(`{"rawPath":"/echo","headers":{},"requestContext":{"http":{"method":"POST"}},"body":"` + body + `"}`)
	called := false
	h := apigw.NewHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	if out, err := h.Invoke(context.Background(), payload); err == nil || out != nil || called {
		t.Fatalf("Invoke of %d bytes: %v, %d bytes out, handler called %v", len(payload), err, len(out), called)
	}
	// Just under the limit, it is served.
	payload = []byte(`{"rawPath":"/echo","headers":{},"requestContext":{"http":{"method":"POST"}},"body":"` + body[:apigw.MaxEvent-200] + `"}`)
	if _, err := h.Invoke(context.Background(), payload); err != nil || !called {
		t.Fatalf("Invoke of %d bytes: %v, handler called %v", len(payload), err, called)
	}
}

// TestLeanResponse serves each table event through both entry points, over handlers that write
// every kind of response, and compares the responses as API Gateway reads them.
func TestLeanResponse(t *testing.T) {
	handlers := map[string]http.Handler{
		"echo":  http.HandlerFunc(echo),
		"empty": http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
		"odd strings": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["X-Odd"] = []string{"tab\there", "quote\" back\\slash", "\u2028\u2029 <&>", "bad \xff utf-8", "ctl \x00\x1f\x7f"}
			w.Header()["X-Empty"] = nil
			w.Header()["set-cookie"] = []string{"lower=1"}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("line\nnext \"q\" \u2028 é 🎵 <b>"))
		}),
		"invalid utf-8 text": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("caf\xe9"))
		}),
		"binary": http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write([]byte{0x89, 'P', 'N', 'G', 0, 1, 2, 0xff})
		}),
	}
	for hname, h := range handlers {
		for ename, payload := range leanEvents(t) {
			var e events.APIGatewayV2HTTPRequest
			if json.Unmarshal(payload, &e) != nil {
				continue
			}
			t.Run(hname+"/"+ename, func(t *testing.T) {
				want, wantErr := apigw.Handler(h)(context.Background(), e)
				out, err := apigw.NewHandler(h).Invoke(context.Background(), payload)
				if (err != nil) != (wantErr != nil) {
					t.Fatalf("Invoke: %v, Handler: %v", err, wantErr)
				}
				if err != nil {
					return
				}
				if !json.Valid(out) {
					t.Fatalf("Invoke returned invalid JSON: %s", out)
				}
				wantJSON, err := json.Marshal(want)
				if err != nil {
					t.Fatal(err)
				}
				var w, g map[string]any
				if err := json.Unmarshal(wantJSON, &w); err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(out, &g); err != nil {
					t.Fatal(err)
				}
				// Cookies from several keys come in the map's order.
				for _, m := range []map[string]any{w, g} {
					if c, ok := m["cookies"].([]any); ok {
						slices.SortFunc(c, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
					}
				}
				if !reflect.DeepEqual(w, g) {
					t.Errorf("responses differ:\n got %s\nwant %s", out, wantJSON)
				}
			})
		}
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x01\b\f\n\r\t\x1f\x7f", "é 漢字 🎵", "\u2028\u2029", "<&>", "bad \xff\xfe", "trunc \xe2\x80", "\xed\xa0\x80 surrogate", "end\xc3"} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := apigw.AppendString(nil, s); string(got) != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("AppendString(%q) = %s, want %s", s, got, want.String())
		}
	}
}

func FuzzLeanDecode(f *testing.F) {
	for _, payload := range leanEvents(f) {
		f.Add(payload)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkAgree(t, payload)
	})
}
