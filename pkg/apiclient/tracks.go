package apiclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewTrack is the body of POST /api/tracks.
type NewTrack struct {
	Filename     string `json:"filename"`
	Type         string `json:"type"`
	Size         int64  `json:"size"`
	MD5          string `json:"md5,omitempty"` // base64 of the raw 16 bytes
	Downloadable bool   `json:"downloadable"`
	Public       bool   `json:"public"`
}

// Upload says how to send a new track's bytes.
type Upload struct {
	// Method is "PUT" (one presigned PUT to URL with Headers) or "MULTIPART" (parts of PartSize
	// bytes, PartCount of them, through the parts calls).
	Method    string            `json:"method"`
	URL       string            `json:"url,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	PartSize  int64             `json:"partSize,omitempty"`
	PartCount int               `json:"partCount,omitempty"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// The upload methods of Upload.Method.
const (
	MethodPut       = "PUT"
	MethodMultipart = "MULTIPART"
)

// Created is the answer to POST /api/tracks.
type Created struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"` // the share link
	Status      string    `json:"status"`
	Upload      Upload    `json:"upload"`
	DeleteToken string    `json:"deleteToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// Track is what GET /api/tracks/{id} answers, in the parts a client acts on.
type Track struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Status   string `json:"status"` // pending, processing, ready or failed
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// The track statuses of Track.Status.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Config is what GET /api/config answers: the server's limits.
type Config struct {
	MaxUploadBytes     int64    `json:"maxUploadBytes"`
	MaxDurationSeconds float64  `json:"maxDurationSeconds"`
	Types              []string `json:"types"`
}

// Config reads the server's limits.
func (c *Client) Config(ctx context.Context) (Config, error) {
	var cfg Config
	err := c.call(ctx, http.MethodGet, "/api/config", "", nil, &cfg, http.StatusOK)
	return cfg, err
}

// CreateTrack starts an upload.
func (c *Client) CreateTrack(ctx context.Context, t NewTrack) (Created, error) {
	var out Created
	err := c.call(ctx, http.MethodPost, "/api/tracks", "", t, &out, http.StatusCreated)
	if err == nil && (out.ID == "" || out.DeleteToken == "") {
		err = fmt.Errorf("POST /api/tracks: the answer has no id or deleteToken")
	}
	return out, err
}

// Track reads a track as a listener sees it. An unknown, expired or deleted track is an *Error
// with Status 404.
func (c *Client) Track(ctx context.Context, id string) (Track, error) {
	var t Track
	err := c.call(ctx, http.MethodGet, "/api/tracks/"+url.PathEscape(id), "", nil, &t, http.StatusOK)
	return t, err
}

// DeleteTrack deletes a track with its delete token.
func (c *Client) DeleteTrack(ctx context.Context, id, token string) error {
	return c.call(ctx, http.MethodDelete, "/api/tracks/"+url.PathEscape(id), token, nil, nil, http.StatusNoContent)
}

// Put sends size bytes of body to a presigned URL with exactly headers, as the upload and part
// URLs require, and returns the ETag storage answered. Storage refuses any other length, type or
// MD5 with an *Error.
func (c *Client) Put(ctx context.Context, rawURL string, headers map[string]string, body io.Reader, size int64) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, rawURL, body)
	if err != nil {
		return "", err
	}
	req.ContentLength = size
	if size == 0 {
		req.Body = http.NoBody
	}
	for k, v := range headers {
		// Content-Length is the request's own field; the transport writes it.
		if !strings.EqualFold(k, "Content-Length") {
			req.Header.Set(k, v)
		}
	}
	res, err := c.httpClient().Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", apiError(res, b)
	}
	return res.Header.Get("ETag"), nil
}
