package activitypub

import (
	"encoding/json"
	"time"
)

// Time is a timestamp as ActivityPub servers write it: RFC 3339 in UTC, to the second
// ("2026-12-02T01:13:34Z"). Reading, it accepts any RFC 3339 time (fractions, offsets) and
// leaves anything else zero rather than failing the whole document.
type Time struct{ time.Time }

// MarshalJSON writes the UTC time to the second.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05Z"))
}

// UnmarshalJSON reads an RFC 3339 string; anything else leaves t zero.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		*t = Time{}
		return nil
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		*t = Time{}
		return nil
	}
	*t = Time{parsed}
	return nil
}

// Actor is an actor document: ours (a Service), or another server's as DecodeActor reads it.
type Actor struct {
	Context           any        `json:"@context,omitempty"`
	ID                string     `json:"id"`
	Type              string     `json:"type"`
	PreferredUsername string     `json:"preferredUsername,omitempty"`
	Name              string     `json:"name,omitempty"`
	Summary           string     `json:"summary,omitempty"`
	URL               string     `json:"url,omitempty"`
	Inbox             string     `json:"inbox,omitempty"`
	Outbox            string     `json:"outbox,omitempty"`
	Followers         string     `json:"followers,omitempty"`
	Following         string     `json:"following,omitempty"`
	Endpoints         *Endpoints `json:"endpoints,omitempty"`
	Icon              *Image     `json:"icon,omitempty"`
	// ManuallyApprovesFollowers and Discoverable are always written, false included: Mastodon
	// reads a missing one as unknown.
	ManuallyApprovesFollowers bool       `json:"manuallyApprovesFollowers"`
	Discoverable              bool       `json:"discoverable"`
	Published                 Time       `json:"published,omitzero"`
	PublicKey                 *PublicKey `json:"publicKey,omitempty"`
}

// Endpoints holds an actor's sharedInbox: one inbox for every actor of a server, so a server
// gets one delivery however many of its users follow us.
type Endpoints struct {
	SharedInbox string `json:"sharedInbox,omitempty"`
}

// PublicKey is an actor's key (Security v1): the key that verifies its HTTP signatures.
type PublicKey struct {
	ID           string `json:"id"`
	Owner        string `json:"owner"`
	PublicKeyPem string `json:"publicKeyPem"`
}

// Image is an actor's icon.
type Image struct {
	Type      string `json:"type"`
	MediaType string `json:"mediaType,omitempty"`
	URL       string `json:"url"`
}

// Note is the post that announces a track.
type Note struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	AttributedTo string `json:"attributedTo"`
	// To and CC are always written: Public in To and the followers collection in CC is what
	// makes the post public and lands it in followers' home timelines.
	To         []string          `json:"to"`
	CC         []string          `json:"cc"`
	Published  Time              `json:"published,omitzero"`
	URL        string            `json:"url,omitempty"`
	Summary    string            `json:"summary,omitempty"`
	Content    string            `json:"content"`
	ContentMap map[string]string `json:"contentMap,omitempty"`
	// Sensitive is always written, false included, as Mastodon writes it.
	Sensitive bool `json:"sensitive"`
}

// Tombstone stands for a deleted object: the object of the Delete that withdraws a Note.
type Tombstone struct {
	Context    any    `json:"@context,omitempty"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	FormerType string `json:"formerType,omitempty"`
	Deleted    Time   `json:"deleted,omitzero"`
}

// Create announces a Note.
type Create struct {
	Context   any      `json:"@context,omitempty"`
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Actor     string   `json:"actor"`
	Published Time     `json:"published,omitzero"`
	To        []string `json:"to"`
	CC        []string `json:"cc"`
	Object    *Note    `json:"object"`
}

// Delete withdraws an object. Object is an IRI (string) or an embedded value (a *Tombstone).
type Delete struct {
	Context   any      `json:"@context,omitempty"`
	ID        string   `json:"id"`
	Type      string   `json:"type"`
	Actor     string   `json:"actor"`
	Published Time     `json:"published,omitzero"`
	To        []string `json:"to,omitempty"`
	CC        []string `json:"cc,omitempty"`
	Object    any      `json:"object"`
}

// Accept accepts a Follow. Object is the Follow embedded whole (the *Activity DecodeActivity
// read, or a *Follow): Mastodon ignores an Accept whose object it cannot match to the Follow
// it sent.
type Accept struct {
	Context any      `json:"@context,omitempty"`
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Actor   string   `json:"actor"`
	To      []string `json:"to,omitempty"`
	Object  any      `json:"object"`
}

// Reject refuses a Follow; Object as for Accept.
type Reject struct {
	Context any      `json:"@context,omitempty"`
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Actor   string   `json:"actor"`
	To      []string `json:"to,omitempty"`
	Object  any      `json:"object"`
}

// Follow asks to follow Object, an actor's IRI. Soundtime receives Follows; the struct is what
// tests and fake servers send.
type Follow struct {
	Context any      `json:"@context,omitempty"`
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Actor   string   `json:"actor"`
	Object  string   `json:"object"`
	To      []string `json:"to,omitempty"`
}

// Undo withdraws an earlier activity (a Follow), given embedded or by IRI.
type Undo struct {
	Context any      `json:"@context,omitempty"`
	ID      string   `json:"id"`
	Type    string   `json:"type"`
	Actor   string   `json:"actor"`
	To      []string `json:"to,omitempty"`
	Object  any      `json:"object"`
}

// OrderedCollection is the outbox, followers and following collections. First (and Last) is
// the IRI of a page or an embedded *OrderedCollectionPage; OrderedItems, when not nil, lists
// the items in place (an empty, non-nil slice writes "orderedItems": []).
type OrderedCollection struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	TotalItems   int    `json:"totalItems"`
	First        any    `json:"first,omitempty"`
	Last         any    `json:"last,omitempty"`
	OrderedItems []any  `json:"orderedItems,omitzero"`
}

// OrderedCollectionPage is one page of a collection. OrderedItems is always written, [] when
// empty.
type OrderedCollectionPage struct {
	Context      any    `json:"@context,omitempty"`
	ID           string `json:"id"`
	Type         string `json:"type"`
	PartOf       string `json:"partOf"`
	TotalItems   int    `json:"totalItems"`
	Next         string `json:"next,omitempty"`
	Prev         string `json:"prev,omitempty"`
	OrderedItems Items  `json:"orderedItems"`
}

// Items is a list that is written [] rather than null when empty.
type Items []any

// MarshalJSON writes nil as [].
func (it Items) MarshalJSON() ([]byte, error) {
	if it == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]any(it))
}

// JRD is a WebFinger answer (RFC 7033).
type JRD struct {
	Subject string   `json:"subject"`
	Aliases []string `json:"aliases,omitempty"`
	Links   []Link   `json:"links"`
}

// Link is a link of a JRD or of the NodeInfo discovery document.
type Link struct {
	Rel      string `json:"rel"`
	Type     string `json:"type,omitempty"`
	Href     string `json:"href,omitempty"`
	Template string `json:"template,omitempty"`
}

// NodeInfoDiscovery is /.well-known/nodeinfo: links to the NodeInfo documents by schema.
type NodeInfoDiscovery struct {
	Links []Link `json:"links"`
}

// NodeInfo is a NodeInfo 2.1 document. Its schema requires every field, the empty lists and
// metadata object included; MarshalJSON writes nil ones as [] and {}.
type NodeInfo struct {
	Version           string           `json:"version"`
	Software          NodeInfoSoftware `json:"software"`
	Protocols         []string         `json:"protocols"`
	Services          NodeInfoServices `json:"services"`
	OpenRegistrations bool             `json:"openRegistrations"`
	Usage             NodeInfoUsage    `json:"usage"`
	Metadata          map[string]any   `json:"metadata"`
}

// NodeInfoSoftware names the server software; Name must match ^[a-z0-9-]+$.
type NodeInfoSoftware struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository,omitempty"`
	Homepage   string `json:"homepage,omitempty"`
}

// NodeInfoServices lists third-party services the server talks to; none for Soundtime.
type NodeInfoServices struct {
	Inbound  []string `json:"inbound"`
	Outbound []string `json:"outbound"`
}

// NodeInfoUsage is the server's usage statistics.
type NodeInfoUsage struct {
	Users      NodeInfoUsers `json:"users"`
	LocalPosts int           `json:"localPosts"`
}

// NodeInfoUsers counts users.
type NodeInfoUsers struct {
	Total          int `json:"total"`
	ActiveHalfyear int `json:"activeHalfyear"`
	ActiveMonth    int `json:"activeMonth"`
}

// MarshalJSON writes n with the empty lists and metadata the schema requires.
func (n NodeInfo) MarshalJSON() ([]byte, error) {
	type plain NodeInfo // without this method
	if n.Protocols == nil {
		n.Protocols = []string{}
	}
	if n.Services.Inbound == nil {
		n.Services.Inbound = []string{}
	}
	if n.Services.Outbound == nil {
		n.Services.Outbound = []string{}
	}
	if n.Metadata == nil {
		n.Metadata = map[string]any{}
	}
	return json.Marshal(plain(n))
}
