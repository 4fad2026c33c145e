package apiclient

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// SetTrack names a track of a set with the token that proves its uploader made the set.
type SetTrack struct {
	ID          string `json:"id"`
	DeleteToken string `json:"deleteToken"`
}

// NewSet is the body of POST /api/sets and PUT /api/sets/{id}.
type NewSet struct {
	Title  string     `json:"title"`
	Tracks []SetTrack `json:"tracks"`
}

// CreatedSet is the answer to POST /api/sets.
type CreatedSet struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	DeleteToken string    `json:"deleteToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// Set is what GET /api/sets/{id} answers, tracks in play order.
type Set struct {
	ID     string  `json:"id"`
	URL    string  `json:"url"`
	Title  string  `json:"title"`
	Tracks []Track `json:"tracks"`
}

// MaxSetTracks is the most tracks a set holds.
const MaxSetTracks = 1000

// CreateSet makes a set of tracks, in play order.
func (c *Client) CreateSet(ctx context.Context, s NewSet) (CreatedSet, error) {
	var out CreatedSet
	err := c.call(ctx, http.MethodPost, "/api/sets", "", s, &out, http.StatusCreated)
	return out, err
}

// Set reads a set. A set that is gone is an *Error with Status 404.
func (c *Client) Set(ctx context.Context, id string) (Set, error) {
	var out Set
	err := c.call(ctx, http.MethodGet, "/api/sets/"+url.PathEscape(id), "", nil, &out, http.StatusOK)
	return out, err
}

// ReplaceSet replaces the title and tracks of set id with its token.
func (c *Client) ReplaceSet(ctx context.Context, id, token string, s NewSet) error {
	return c.call(ctx, http.MethodPut, "/api/sets/"+url.PathEscape(id), token, s, nil, 0) // 200 or 204: the contract names none
}

// DeleteSet removes set id (never its tracks) with its token.
func (c *Client) DeleteSet(ctx context.Context, id, token string) error {
	return c.call(ctx, http.MethodDelete, "/api/sets/"+url.PathEscape(id), token, nil, nil, 0)
}
