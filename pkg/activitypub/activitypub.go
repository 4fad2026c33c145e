// Package activitypub is the ActivityPub vocabulary Soundtime speaks, as plain Go structs for
// encoding/json: no JSON-LD processing, the way Mastodon and GoToSocial read one another in
// practice (compacted JSON with well-known keys).
//
// Two directions, two shapes:
//
//   - What we serve and send (Actor, Note, Tombstone, Create, Delete, Accept, Reject, Follow,
//     Undo, OrderedCollection, OrderedCollectionPage, JRD, NodeInfo) are structs that marshal to
//     exactly the JSON Mastodon expects. The federation service fills them; this package builds
//     nothing itself.
//   - What other servers send is read tolerantly (DecodeActivity, DecodeActor, FindKey): an
//     object may be an IRI or embedded, an actor a string or an object, an audience a string or
//     an array, a type a string or an array. It is also read defensively: the caller caps the
//     body's size, and these functions refuse JSON nested deeper than MaxDepth or with an array
//     longer than MaxArrayLen before decoding anything.
//
// encoding/json escapes <, > and & in strings (as \u003c, \u003e, \u0026); that is valid JSON
// every ActivityPub consumer reads back to the same text, and it keeps a hostile string inert
// should the JSON ever land in HTML.
package activitypub

// Well-known IRIs and media types.
const (
	// ActivityStreams is the ActivityStreams 2.0 JSON-LD context.
	ActivityStreams = "https://www.w3.org/ns/activitystreams"
	// SecurityV1 is the context that defines publicKey, owner and publicKeyPem.
	SecurityV1 = "https://w3id.org/security/v1"
	// Public is the special collection that addresses everyone.
	Public = "https://www.w3.org/ns/activitystreams#Public"

	// MediaType is what we serve ActivityStreams documents as.
	MediaType = "application/activity+json"
	// LDMediaType is the other media type ActivityPub names, accepted in Accept headers.
	LDMediaType = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	// JRDMediaType is WebFinger's.
	JRDMediaType = "application/jrd+json"

	// NodeInfoSchema21 is the rel of the NodeInfo 2.1 link in /.well-known/nodeinfo.
	NodeInfoSchema21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
	// NodeInfoMediaType21 is what a NodeInfo 2.1 document is served as.
	NodeInfoMediaType21 = `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"`
	// ProfilePageRel is WebFinger's rel for an account's HTML page.
	ProfilePageRel = "http://webfinger.net/rel/profile-page"
)

// Object and activity types.
const (
	TypeService               = "Service"
	TypePerson                = "Person"
	TypeApplication           = "Application"
	TypeGroup                 = "Group"
	TypeOrganization          = "Organization"
	TypeNote                  = "Note"
	TypeTombstone             = "Tombstone"
	TypeImage                 = "Image"
	TypeOrderedCollection     = "OrderedCollection"
	TypeOrderedCollectionPage = "OrderedCollectionPage"

	TypeCreate   = "Create"
	TypeUpdate   = "Update"
	TypeDelete   = "Delete"
	TypeFollow   = "Follow"
	TypeAccept   = "Accept"
	TypeReject   = "Reject"
	TypeUndo     = "Undo"
	TypeAnnounce = "Announce"
	TypeLike     = "Like"
	TypeBlock    = "Block"
	TypeMove     = "Move"
)

// activityTypes are the ActivityStreams 2.0 activity types, and the one extension (EmojiReact,
// from Pleroma and Misskey) that servers commonly post to inboxes. Everything else that arrives
// at an inbox is not an activity.
var activityTypes = map[string]bool{
	"Accept": true, "Add": true, "Announce": true, "Arrive": true, "Block": true, "Create": true,
	"Delete": true, "Dislike": true, "Flag": true, "Follow": true, "Ignore": true, "Invite": true,
	"Join": true, "Leave": true, "Like": true, "Listen": true, "Move": true, "Offer": true,
	"Question": true, "Reject": true, "Read": true, "Remove": true, "TentativeReject": true,
	"TentativeAccept": true, "Travel": true, "Undo": true, "Update": true, "View": true,
	"EmojiReact": true,
}

// IsActivityType reports whether t names an activity (Follow, Undo…), as opposed to an object
// (Note, Person…). Names are case-sensitive, as in JSON-LD.
func IsActivityType(t string) bool { return activityTypes[t] }

// IsActorType reports whether t names an actor.
func IsActorType(t string) bool {
	switch t {
	case TypeService, TypePerson, TypeApplication, TypeGroup, TypeOrganization:
		return true
	}
	return false
}

// DefaultContext returns the @context of a top-level document we serve or send: ActivityStreams,
// Security v1 (for publicKey), and the terms Mastodon defines beyond them, as Mastodon itself
// writes them. It returns a new value each time, so callers may not share one by accident.
func DefaultContext() []any {
	return []any{
		ActivityStreams,
		SecurityV1,
		map[string]any{
			"manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
			"sensitive":                 "as:sensitive",
			"toot":                      "http://joinmastodon.org/ns#",
			"discoverable":              "toot:discoverable",
		},
	}
}

// IsPublic reports whether iri addresses everyone: the Public collection in any of the three
// spellings servers use (the full IRI, "as:Public", "Public").
func IsPublic(iri string) bool {
	return iri == Public || iri == "as:Public" || iri == "Public"
}
