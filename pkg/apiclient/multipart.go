package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// PartSpec asks for the URL of one part: its number (from 1), the base64 MD5 of its bytes and
// its length, both of which the URL's signature binds.
type PartSpec struct {
	Number int    `json:"number"`
	MD5    string `json:"md5"`
	Size   int64  `json:"size"`
}

// PartURL is a presigned UploadPart request.
type PartURL struct {
	Number    int               `json:"number"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt time.Time         `json:"expiresAt"`
}

// StoredPart is a part storage already holds.
type StoredPart struct {
	Number int    `json:"number"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// Parts is what GET /api/tracks/{id}/parts answers: the plan and what is already stored.
type Parts struct {
	PartSize  int64        `json:"partSize"`
	PartCount int          `json:"partCount"`
	Uploaded  []StoredPart `json:"uploaded"`
}

// CompletedPart names a part of the finished upload.
type CompletedPart struct {
	Number int    `json:"number"`
	ETag   string `json:"etag"`
}

// MaxPartsPerCall is the most parts one PresignParts call may ask for.
const MaxPartsPerCall = 100

// PresignParts asks for the upload URLs of parts (1 to MaxPartsPerCall of them) of the
// multipart track id. Each call moves the track's pending deadline on.
func (c *Client) PresignParts(ctx context.Context, id, token string, parts []PartSpec) ([]PartURL, error) {
	var out struct {
		Parts []PartURL `json:"parts"`
	}
	err := c.call(ctx, http.MethodPost, "/api/tracks/"+url.PathEscape(id)+"/parts", token,
		map[string]any{"parts": parts}, &out, http.StatusOK)
	return out.Parts, err
}

// Parts says what storage holds of the multipart track id: the point to resume from.
func (c *Client) Parts(ctx context.Context, id, token string) (Parts, error) {
	var out Parts
	err := c.call(ctx, http.MethodGet, "/api/tracks/"+url.PathEscape(id)+"/parts", token, nil, &out, http.StatusOK)
	return out, err
}

// Complete finishes the multipart track id from all its parts; md5 is the base64 MD5 of the
// whole file, which processing checks.
func (c *Client) Complete(ctx context.Context, id, token string, parts []CompletedPart, md5 string) (Track, error) {
	var out Track
	err := c.call(ctx, http.MethodPost, "/api/tracks/"+url.PathEscape(id)+"/complete", token,
		map[string]any{"parts": parts, "md5": md5}, &out, http.StatusAccepted)
	return out, err
}
