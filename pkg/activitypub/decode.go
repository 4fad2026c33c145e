package activitypub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
)

// Bounds on what the decoders accept, checked on the raw bytes before any decoding. A real
// activity nests a few levels (Undo{Follow}, Create{Note{replies{first}}}) and lists tens of
// recipients or tags.
const (
	MaxDepth    = 32
	MaxArrayLen = 1024
)

// Errors of the decoders; the caller answers 400 to both.
var (
	// ErrMalformed: not JSON, not a JSON object, or beyond MaxDepth or MaxArrayLen.
	ErrMalformed = errors.New("activitypub: malformed JSON")
	// ErrNotActivity: a JSON object that is not an activity (no activity type, or no actor
	// that is an absolute http(s) IRI), or for DecodeActor not an actor.
	ErrNotActivity = errors.New("activitypub: not an activity")
	// ErrNoKey: FindKey found no key with the id asked for.
	ErrNoKey = errors.New("activitypub: no such key in the document")
)

// Ref is a reference to an object as other servers write one: its IRI, or the object embedded
// (then ID and Type are read from it and Raw keeps it whole). An array is read as its first
// element. Marshalled, a Ref writes Raw when it has one and the IRI otherwise, so a received
// activity can be embedded again as it came.
type Ref struct {
	ID   string
	Type string
	// Raw is the embedded object as received; nil when the reference was an IRI.
	Raw json.RawMessage
}

// IsZero reports an absent reference (for omitzero).
func (r Ref) IsZero() bool { return r.ID == "" && len(r.Raw) == 0 }

// Embedded reports whether the object was embedded rather than given by IRI.
func (r Ref) Embedded() bool { return len(r.Raw) > 0 }

// MarshalJSON writes the embedded object, or the IRI.
func (r Ref) MarshalJSON() ([]byte, error) {
	if len(r.Raw) > 0 {
		return r.Raw, nil
	}
	return json.Marshal(r.ID)
}

// UnmarshalJSON reads an IRI, an object (its id and type), or an array (its first element).
// Anything else (a number, an object whose id is not a string) reads as an empty Ref rather
// than failing the whole activity; the caller finds the reference missing.
func (r *Ref) UnmarshalJSON(b []byte) error {
	*r = Ref{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		return json.Unmarshal(b, &r.ID)
	case '{':
		var head struct {
			ID   json.RawMessage `json:"id"`
			Type json.RawMessage `json:"type"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return err
		}
		r.ID = firstString(head.ID)
		r.Type = firstString(head.Type)
		r.Raw = append(json.RawMessage(nil), b...)
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		if len(items) > 0 {
			return r.UnmarshalJSON(items[0])
		}
	}
	return nil
}

// Audience is a to or cc list. Servers write one recipient as a bare string (GoToSocial) or a
// list; an embedded object counts by its id. It is always written as a list.
type Audience []string

// UnmarshalJSON reads a string, an object, or a list of either; null and other values read as
// an empty list.
func (a *Audience) UnmarshalJSON(b []byte) error {
	*a = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] != '[' {
		if id := refID(b); id != "" {
			*a = Audience{id}
		}
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	for _, it := range items {
		if id := refID(it); id != "" {
			*a = append(*a, id)
		}
	}
	return nil
}

// Contains reports whether iri is in the audience.
func (a Audience) Contains(iri string) bool {
	for _, x := range a {
		if x == iri {
			return true
		}
	}
	return false
}

// Public reports whether the audience includes the Public collection in any spelling.
func (a Audience) Public() bool {
	for _, x := range a {
		if IsPublic(x) {
			return true
		}
	}
	return false
}

// Activity is an activity another server sent, as DecodeActivity reads it. Marshalled, it writes
// what it read (id, type, actor, object, target, to, cc), which is how the Follow goes back
// embedded in an Accept.
type Activity struct {
	ID     string   `json:"id,omitempty"`
	Type   string   `json:"type"`
	Actor  Ref      `json:"actor,omitzero"`
	Object Ref      `json:"object,omitzero"`
	Target Ref      `json:"target,omitzero"`
	To     Audience `json:"to,omitempty"`
	CC     Audience `json:"cc,omitempty"`
}

// UnmarshalJSON reads an activity tolerantly: a type given as a list is read as its first
// string, an id that is not a string as none.
func (a *Activity) UnmarshalJSON(b []byte) error {
	var w struct {
		ID     json.RawMessage `json:"id"`
		Type   json.RawMessage `json:"type"`
		Actor  Ref             `json:"actor"`
		Object Ref             `json:"object"`
		Target Ref             `json:"target"`
		To     Audience        `json:"to"`
		CC     Audience        `json:"cc"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Activity{
		ID: firstString(w.ID), Type: firstString(w.Type),
		Actor: w.Actor, Object: w.Object, Target: w.Target, To: w.To, CC: w.CC,
	}
	return nil
}

// Is reports whether the activity has type t.
func (a *Activity) Is(t string) bool { return a.Type == t }

// DecodeActivity reads an activity posted to an inbox. body is the raw body, already capped in
// size by the caller. The result has an activity type (IsActivityType) and an actor whose IRI
// is an absolute http(s) URL; its id may be empty (a transient activity), which a caller that
// needs one (a Follow, to accept it) checks.
//
// Errors: ErrMalformed (not a JSON object, too deep, an array too long) and ErrNotActivity,
// wrapped with what was wrong.
func DecodeActivity(body []byte) (*Activity, error) {
	if err := checkShape(body); err != nil {
		return nil, err
	}
	var a Activity
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if !IsActivityType(a.Type) {
		return nil, fmt.Errorf("%w: type %.64q", ErrNotActivity, a.Type)
	}
	if !isAbsoluteHTTP(a.Actor.ID) {
		return nil, fmt.Errorf("%w: actor %.200q", ErrNotActivity, a.Actor.ID)
	}
	return &a, nil
}

// DecodeActor reads another server's actor document (or the minimal actor GoToSocial serves at
// a keyId). It is tolerant where servers differ: url, icon, endpoints and publicKey may be
// objects, IRIs or lists (the first key is kept; FindKey picks one by id), and a field of an
// unexpected type reads as empty. The result has an actor type and an absolute http(s) id.
//
// Errors: ErrMalformed, and ErrNotActivity for a JSON object that is not an actor.
func DecodeActor(body []byte) (*Actor, error) {
	if err := checkShape(body); err != nil {
		return nil, err
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(body, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	a := &Actor{
		ID:                firstString(f["id"]),
		Type:              firstString(f["type"]),
		PreferredUsername: firstString(f["preferredUsername"]),
		Name:              firstString(f["name"]),
		Summary:           firstString(f["summary"]),
		URL:               linkHref(f["url"]),
		Inbox:             refID(f["inbox"]),
		Outbox:            refID(f["outbox"]),
		Followers:         refID(f["followers"]),
		Following:         refID(f["following"]),
	}
	_ = json.Unmarshal(f["manuallyApprovesFollowers"], &a.ManuallyApprovesFollowers)
	_ = json.Unmarshal(f["discoverable"], &a.Discoverable)
	_ = a.Published.UnmarshalJSON(f["published"])
	var ep map[string]json.RawMessage
	if json.Unmarshal(f["endpoints"], &ep) == nil {
		if shared := refID(ep["sharedInbox"]); shared != "" {
			a.Endpoints = &Endpoints{SharedInbox: shared}
		}
	}
	if icon := linkHref(f["icon"]); icon != "" {
		a.Icon = &Image{Type: TypeImage, URL: icon}
	}
	if keys := publicKeys(f["publicKey"]); len(keys) > 0 {
		a.PublicKey = &keys[0]
	}
	if !IsActorType(a.Type) {
		return nil, fmt.Errorf("%w: type %.64q is not an actor", ErrNotActivity, a.Type)
	}
	if !isAbsoluteHTTP(a.ID) {
		return nil, fmt.Errorf("%w: actor id %.200q", ErrNotActivity, a.ID)
	}
	return a, nil
}

// FindKey finds the key keyID in a document fetched from keyID: an actor whose publicKey (an
// object or a list) has that id (Mastodon's "<actor>#main-key" serves the actor; GoToSocial's
// "<actor>/main-key" a minimal actor), or a bare key document. A key without an owner inside an
// actor belongs to that actor. The caller still checks that the owner is the activity's actor
// and parses PublicKeyPem.
//
// Errors: ErrMalformed, or ErrNoKey when no key has that id or it has no PEM.
func FindKey(body []byte, keyID string) (PublicKey, error) {
	if err := checkShape(body); err != nil {
		return PublicKey{}, err
	}
	var f map[string]json.RawMessage
	if err := json.Unmarshal(body, &f); err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	docID := firstString(f["id"])
	candidates := publicKeys(f["publicKey"])
	if pem := firstString(f["publicKeyPem"]); pem != "" {
		candidates = append(candidates, PublicKey{ID: docID, Owner: refID(f["owner"]), PublicKeyPem: pem})
	}
	for _, k := range candidates {
		if k.ID != keyID || k.PublicKeyPem == "" {
			continue
		}
		if k.Owner == "" && docID != keyID {
			k.Owner = docID
		}
		return k, nil
	}
	return PublicKey{}, fmt.Errorf("%w: %.200q", ErrNoKey, keyID)
}

// ObjectID returns the IRI a value stands for: a string itself; the id of a Ref, an *Activity,
// one of this package's object types, a decoded JSON object (map[string]any) or raw JSON; the
// first element's for a list. It returns "" for anything else.
func ObjectID(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case Ref:
		return x.ID
	case *Ref:
		if x != nil {
			return x.ID
		}
	case Activity:
		return x.ID
	case *Activity:
		if x != nil {
			return x.ID
		}
	case identified:
		if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return ""
		}
		return x.iri()
	case map[string]any:
		return ObjectID(x["id"])
	case []any:
		if len(x) > 0 {
			return ObjectID(x[0])
		}
	case json.RawMessage:
		return refID(x)
	case []byte:
		return refID(x)
	}
	return ""
}

// identified is implemented by the object types (and pointers to them), for ObjectID.
type identified interface{ iri() string }

func (a Actor) iri() string                 { return a.ID }
func (n Note) iri() string                  { return n.ID }
func (t Tombstone) iri() string             { return t.ID }
func (c Create) iri() string                { return c.ID }
func (d Delete) iri() string                { return d.ID }
func (a Accept) iri() string                { return a.ID }
func (r Reject) iri() string                { return r.ID }
func (f Follow) iri() string                { return f.ID }
func (u Undo) iri() string                  { return u.ID }
func (c OrderedCollection) iri() string     { return c.ID }
func (p OrderedCollectionPage) iri() string { return p.ID }

// checkShape refuses JSON nested deeper than MaxDepth or with an array of more than
// MaxArrayLen elements, in one pass over the bytes and before any allocation that depends on
// them. It does not validate the JSON; json.Unmarshal does that next.
func checkShape(b []byte) error {
	// items counts the elements of each open array (commas plus one); objects count nothing.
	type level struct {
		array bool
		items int
	}
	var stack []level
	inString, escaped := false, false
	for _, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			if len(stack) == MaxDepth {
				return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, MaxDepth)
			}
			stack = append(stack, level{array: c == '[', items: 1})
		case ']', '}':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1].array {
				stack[n-1].items++
				if stack[n-1].items > MaxArrayLen {
					return fmt.Errorf("%w: an array longer than %d", ErrMalformed, MaxArrayLen)
				}
			}
		}
	}
	return nil
}

// firstString reads a JSON string, or the first string of a list; "" for anything else.
func firstString(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) == nil {
			return s
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(b, &items) == nil {
			for _, it := range items {
				if s := firstString(it); s != "" {
					return s
				}
			}
		}
	}
	return ""
}

// refID reads a reference: an IRI, an object's id, or the first element of a list.
func refID(b []byte) string {
	var r Ref
	if len(bytes.TrimSpace(b)) == 0 || r.UnmarshalJSON(b) != nil {
		return ""
	}
	return r.ID
}

// linkHref reads a url or icon: an IRI, a Link's href, an Image's url, or the first of a list.
func linkHref(b json.RawMessage) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		return firstString(b)
	case '{':
		var o map[string]json.RawMessage
		if json.Unmarshal(b, &o) != nil {
			return ""
		}
		if h := firstString(o["href"]); h != "" {
			return h
		}
		return linkHref(o["url"])
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(b, &items) == nil && len(items) > 0 {
			return linkHref(items[0])
		}
	}
	return ""
}

// publicKeys reads a publicKey property: one key object or a list of them.
func publicKeys(b json.RawMessage) []PublicKey {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var raws []json.RawMessage
	if b[0] == '[' {
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
	} else {
		raws = []json.RawMessage{b}
	}
	var keys []PublicKey
	for _, r := range raws {
		var f map[string]json.RawMessage
		if json.Unmarshal(r, &f) != nil {
			continue
		}
		keys = append(keys, PublicKey{
			ID:           firstString(f["id"]),
			Owner:        refID(f["owner"]),
			PublicKeyPem: firstString(f["publicKeyPem"]),
		})
	}
	return keys
}

func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && u.User == nil
}
