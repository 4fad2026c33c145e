// Package apiclient is a small client of Soundtime's HTTP API (docs/api.md): starting uploads,
// sending bytes to the presigned URLs it hands out, multipart uploads, reading and deleting
// tracks, and sets. It makes one request a call and never retries: the caller decides what is
// worth another try (Error.Temporary and Temporary say what is).
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Client talks to one Soundtime origin.
type Client struct {
	// Base is the origin, such as "http://127.0.0.1:8080", without a trailing slash.
	Base string
	// HTTP sends the requests; nil means a client without an overall timeout (an upload of a
	// large part may take minutes), bounded by the context.
	HTTP *http.Client
	// UserAgent, when set, is sent with every request.
	UserAgent string
}

// New returns a client of the API at base.
func New(base string) *Client {
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 2 * time.Minute,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   32,
		},
	}}
}

// Error is an answer other than the expected one: the API's error body when it sent one.
type Error struct {
	Status     int           // HTTP status
	Code       string        // the API's error code, or "" when the body was not an API error
	Message    string        // the API's message, or a summary of the body
	RetryAfter time.Duration // from a Retry-After header, 0 without one
}

func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code)
	}
	if e.Message != "" {
		return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	}
	return fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
}

// Temporary reports whether the same request may succeed later: rate limited, or a server or
// gateway error.
func (e *Error) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// Temporary reports whether err is worth another try: a temporary API answer, or a failure of
// the connection (refused, reset, timed out, cut mid-body). A cancelled context is not.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Temporary()
	}
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded)
}

// IsCode reports whether err is an API error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// IsStatus reports whether err is an answer with HTTP status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// call sends a JSON request (body nil: none) with an optional bearer token and decodes a JSON
// answer of status want (0: any 2xx) into out (nil: discard it).
func (c *Client) call(ctx context.Context, method, path, token string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	// API answers are small JSON; anything bigger is not one.
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if res.StatusCode != want && (want != 0 || res.StatusCode/100 != 2) {
		return apiError(res, b)
	}
	if out == nil || len(b) == 0 && want == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// apiError makes an *Error of an unexpected answer, with the API's code and message when the
// body is an API error, and a short summary of it otherwise (an S3 XML error, a proxy's page).
func apiError(res *http.Response, body []byte) *Error {
	e := &Error{Status: res.StatusCode}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && s >= 0 {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &eb) == nil && eb.Error.Code != "" {
		e.Code, e.Message = eb.Error.Code, eb.Error.Message
		return e
	}
	e.Message = summary(body)
	return e
}

// summary is the start of a body on one line, for an error message: S3 says what went wrong
// in <Code> and <Message>.
func summary(body []byte) string {
	s := string(body)
	if i, j := strings.Index(s, "<Code>"), strings.Index(s, "</Code>"); i >= 0 && j > i {
		code := s[i+len("<Code>") : j]
		if k, l := strings.Index(s, "<Message>"), strings.Index(s, "</Message>"); k >= 0 && l > k {
			return code + ": " + s[k+len("<Message>"):l]
		}
		return code
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
