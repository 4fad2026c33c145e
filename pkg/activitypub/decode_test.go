package activitypub_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	ap "github.com/soundtime/soundtime/pkg/activitypub"
)

// Activities as Mastodon and GoToSocial send them (testdata/incoming/README.md says where each
// comes from) read as the inbox needs them.
func TestDecodeRealActivities(t *testing.T) {
	const gtsAlice = "http://localhost:18080/users/alice"
	const mastoAlice = "https://mastodon.example/users/alice"
	cases := []struct {
		file       string
		typ, id    string
		actor      string
		object     string
		objectType string // of an embedded object; "" for an IRI
		to, cc     []string
	}{
		{file: "mastodon-follow.json", typ: "Follow", id: "https://mastodon.example/2b9ea5a0-4f4e-4e2e-9d3b-4a8f5f3c0b1e", actor: mastoAlice, object: "https://soundtime.example/ap/actor"},
		{file: "mastodon-undo-follow.json", typ: "Undo", id: "https://mastodon.example/users/alice#follows/3046/undo", actor: mastoAlice, object: "https://mastodon.example/2b9ea5a0-4f4e-4e2e-9d3b-4a8f5f3c0b1e", objectType: "Follow"},
		{file: "mastodon-delete-actor.json", typ: "Delete", id: "https://mastodon.example/users/alice#delete", actor: mastoAlice, object: mastoAlice, to: []string{ap.Public}},
		{file: "mastodon-accept-follow.json", typ: "Accept", id: "https://mastodon.example/users/bob#accepts/follows/42", actor: "https://mastodon.example/users/bob", object: "https://soundtime.example/ap/follows/1", objectType: "Follow"},
		{file: "gotosocial-follow.json", typ: "Follow", id: gtsAlice + "/follow/01P20BJCMTD6310QZ1Z82KRMZP", actor: gtsAlice, object: "https://127.0.0.1:8443/users/bob", to: []string{"https://127.0.0.1:8443/users/bob"}},
		{file: "gotosocial-undo-follow.json", typ: "Undo", id: "http://localhost:18080/01C3WWH16594JK8C82A5MZFXB8", actor: gtsAlice, object: gtsAlice + "/follow/01P20BJCMTD6310QZ1Z82KRMZP", objectType: "Follow", to: []string{"https://127.0.0.1:8443/users/bob"}},
		{file: "gotosocial-delete-actor.json", typ: "Delete", id: "http://localhost:18080/01JDQ3T8Q4V7S0K9B2M1C5H6XZ", actor: gtsAlice, object: gtsAlice, to: []string{gtsAlice + "/followers"}, cc: []string{ap.Public}},
		{file: "gotosocial-accept-follow.json", typ: "Accept", id: "http://localhost:18080/01JDQ3VB0K3W9ZT1R8P7N6M5QA", actor: gtsAlice, object: "https://soundtime.example/ap/follows/1", objectType: "Follow", to: []string{"https://soundtime.example/ap/actor"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			a, err := ap.DecodeActivity(mustRead(t, "testdata/incoming/"+c.file))
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != c.typ || !a.Is(c.typ) || a.ID != c.id || a.Actor.ID != c.actor || a.Object.ID != c.object {
				t.Errorf("read type %q id %q actor %q object %q", a.Type, a.ID, a.Actor.ID, a.Object.ID)
			}
			if a.Object.Embedded() != (c.objectType != "") || a.Object.Type != c.objectType {
				t.Errorf("object embedded %v type %q, want type %q", a.Object.Embedded(), a.Object.Type, c.objectType)
			}
			if !slices.Equal(a.To, c.to) && (len(a.To) != 0 || len(c.to) != 0) {
				t.Errorf("to %v, want %v", a.To, c.to)
			}
			if !slices.Equal(a.CC, c.cc) && (len(a.CC) != 0 || len(c.cc) != 0) {
				t.Errorf("cc %v, want %v", a.CC, c.cc)
			}
		})
	}
}

// The Follow inside an Undo is the Follow that was sent: the inbox matches it by id, actor and
// object.
func TestUndoCarriesTheFollow(t *testing.T) {
	for _, pair := range [][2]string{
		{"mastodon-follow.json", "mastodon-undo-follow.json"},
		{"gotosocial-follow.json", "gotosocial-undo-follow.json"},
	} {
		follow, err := ap.DecodeActivity(mustRead(t, "testdata/incoming/"+pair[0]))
		if err != nil {
			t.Fatal(err)
		}
		undo, err := ap.DecodeActivity(mustRead(t, "testdata/incoming/"+pair[1]))
		if err != nil {
			t.Fatal(err)
		}
		inner, err := ap.DecodeActivity(undo.Object.Raw)
		if err != nil {
			t.Fatalf("%s: embedded Follow: %v", pair[1], err)
		}
		if !inner.Is(ap.TypeFollow) || inner.ID != follow.ID || inner.Actor.ID != follow.Actor.ID || inner.Object.ID != follow.Object.ID {
			t.Errorf("%s: embedded %+v, sent %+v", pair[1], inner, follow)
		}
	}
}

// An Accept embeds the received Follow with what Mastodon and GoToSocial match on.
func TestAcceptEmbedsTheFollow(t *testing.T) {
	follow, err := ap.DecodeActivity(mustRead(t, "testdata/incoming/gotosocial-follow.json"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ap.Accept{ID: "https://soundtime.example/ap/actor#accepts/follows/2", Type: ap.TypeAccept, Actor: "https://soundtime.example/ap/actor", Object: follow})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Object map[string]any `json:"object"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"id": follow.ID, "type": "Follow", "actor": follow.Actor.ID, "object": follow.Object.ID} {
		if got.Object[k] != want {
			t.Errorf("embedded Follow %s = %v, want %v (%s)", k, got.Object[k], want, b)
		}
	}
}

// Shapes servers differ on all read the same.
func TestDecodeTolerant(t *testing.T) {
	cases := map[string]string{
		"actor as an object":  `{"type":"Follow","id":"https://x.example/f","actor":{"id":"https://x.example/u","type":"Person","inbox":"https://x.example/u/inbox"},"object":"https://soundtime.example/ap/actor"}`,
		"actor as a list":     `{"type":"Follow","id":"https://x.example/f","actor":["https://x.example/u","https://x.example/v"],"object":"https://soundtime.example/ap/actor"}`,
		"object as a list":    `{"type":"Follow","id":"https://x.example/f","actor":"https://x.example/u","object":["https://soundtime.example/ap/actor"]}`,
		"type as a list":      `{"type":["Follow"],"id":"https://x.example/f","actor":"https://x.example/u","object":"https://soundtime.example/ap/actor"}`,
		"to as a string":      `{"type":"Follow","id":"https://x.example/f","actor":"https://x.example/u","object":"https://soundtime.example/ap/actor","to":"https://soundtime.example/ap/actor"}`,
		"to with objects":     `{"type":"Follow","id":"https://x.example/f","actor":"https://x.example/u","object":"https://soundtime.example/ap/actor","to":[{"id":"https://soundtime.example/ap/actor"},42,null]}`,
		"cc null, extra keys": `{"type":"Follow","id":"https://x.example/f","actor":"https://x.example/u","object":"https://soundtime.example/ap/actor","cc":null,"_misskey_quote":{"a":[1,2]},"signature":{"type":"RsaSignature2017"}}`,
		"object with no id":   `{"type":"Follow","id":"https://x.example/f","actor":"https://x.example/u","object":{"type":"Person","id":"https://soundtime.example/ap/actor","name":7}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			a, err := ap.DecodeActivity([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if a.Type != "Follow" || a.ID != "https://x.example/f" || a.Actor.ID != "https://x.example/u" || a.Object.ID != "https://soundtime.example/ap/actor" {
				t.Errorf("read %+v", a)
			}
			if strings.Contains(name, "to ") && !slices.Equal(a.To, ap.Audience{"https://soundtime.example/ap/actor"}) {
				t.Errorf("to %v", a.To)
			}
		})
	}
	a, err := ap.DecodeActivity([]byte(`{"type":"Create","id":5,"actor":"https://x.example/u","to":["as:Public"],"cc":"https://x.example/u/followers"}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "" || !a.To.Public() || !a.CC.Contains("https://x.example/u/followers") || !a.Object.IsZero() {
		t.Errorf("read %+v", a)
	}
}

func TestDecodeRefuses(t *testing.T) {
	deep := strings.Repeat(`{"a":`, ap.MaxDepth+1) + `1` + strings.Repeat(`}`, ap.MaxDepth+1)
	deepArrays := `{"type":"Follow","actor":"https://x.example/u","object":` + strings.Repeat("[", ap.MaxDepth) + strings.Repeat("]", ap.MaxDepth) + `}`
	long := `{"type":"Create","actor":"https://x.example/u","to":[` + strings.TrimSuffix(strings.Repeat(`"https://x.example/a",`, ap.MaxArrayLen+1), ",") + `]}`
	longNested := `{"type":"Create","actor":"https://x.example/u","object":{"tag":[` + strings.TrimSuffix(strings.Repeat(`{},`, ap.MaxArrayLen+1), ",") + `]}}`
	cases := []struct {
		name, body string
		want       error
	}{
		{"nested too deep", deep, ap.ErrMalformed},
		{"arrays nested too deep", deepArrays, ap.ErrMalformed},
		{"array too long", long, ap.ErrMalformed},
		{"nested array too long", longNested, ap.ErrMalformed},
		{"not JSON", `{"type":"Follow",`, ap.ErrMalformed},
		{"empty", ``, ap.ErrMalformed},
		{"a list", `[{"type":"Follow","actor":"https://x.example/u"}]`, ap.ErrMalformed},
		{"a string", `"Follow"`, ap.ErrMalformed},
		{"a number", `42`, ap.ErrMalformed},
		{"null", `null`, ap.ErrNotActivity},
		{"no type", `{"actor":"https://x.example/u","object":"https://soundtime.example/ap/actor"}`, ap.ErrNotActivity},
		{"an object type", `{"type":"Note","id":"https://x.example/n","attributedTo":"https://x.example/u","actor":"https://x.example/u"}`, ap.ErrNotActivity},
		{"lowercase type", `{"type":"follow","actor":"https://x.example/u"}`, ap.ErrNotActivity},
		{"no actor", `{"type":"Follow","object":"https://soundtime.example/ap/actor"}`, ap.ErrNotActivity},
		{"relative actor", `{"type":"Follow","actor":"/users/u"}`, ap.ErrNotActivity},
		{"javascript actor", `{"type":"Follow","actor":"javascript:alert(1)"}`, ap.ErrNotActivity},
		{"actor with credentials", `{"type":"Follow","actor":"https://user:pw@x.example/u"}`, ap.ErrNotActivity},
		{"actor a number", `{"type":"Follow","actor":42}`, ap.ErrNotActivity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ap.DecodeActivity([]byte(c.body))
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, %v; want %v", a, err, c.want)
			}
		})
	}
	// Just inside the bounds is fine.
	okDepth := `{"type":"Follow","actor":"https://x.example/u","object":` + strings.Repeat("[", ap.MaxDepth-1) + strings.Repeat("]", ap.MaxDepth-1) + `}`
	okLong := `{"type":"Create","actor":"https://x.example/u","to":[` + strings.TrimSuffix(strings.Repeat(`"https://x.example/a",`, ap.MaxArrayLen), ",") + `],"content":"[[[[,,,,{{{{\"]]]]"}`
	for name, body := range map[string]string{"depth": okDepth, "length": okLong} {
		if _, err := ap.DecodeActivity([]byte(body)); err != nil {
			t.Errorf("at the %s bound: %v", name, err)
		}
	}
}

func TestDecodeActor(t *testing.T) {
	cases := []struct {
		file                                  string
		id, typ, username, inbox, shared, url string
		keyID, owner                          string
		manual, discoverable                  bool
	}{
		{file: "mastodon-actor.json", id: "https://mastodon.example/users/alice", typ: "Person", username: "alice",
			inbox: "https://mastodon.example/users/alice/inbox", shared: "https://mastodon.example/inbox", url: "https://mastodon.example/@alice",
			keyID: "https://mastodon.example/users/alice#main-key", owner: "https://mastodon.example/users/alice", discoverable: true},
		{file: "gotosocial-actor.json", id: "http://localhost:8080/users/1happyturtle", typ: "Person", username: "1happyturtle",
			inbox: "http://localhost:8080/users/1happyturtle/inbox", url: "http://localhost:8080/@1happyturtle",
			keyID: "http://localhost:8080/users/1happyturtle#main-key", owner: "http://localhost:8080/users/1happyturtle", manual: true},
		{file: "gotosocial-main-key.json", id: "http://localhost:18080/users/alice", typ: "Person", username: "alice",
			keyID: "http://localhost:18080/users/alice/main-key", owner: "http://localhost:18080/users/alice"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			a, err := ap.DecodeActor(mustRead(t, "testdata/incoming/"+c.file))
			if err != nil {
				t.Fatal(err)
			}
			shared := ""
			if a.Endpoints != nil {
				shared = a.Endpoints.SharedInbox
			}
			if a.ID != c.id || a.Type != c.typ || a.PreferredUsername != c.username || a.Inbox != c.inbox || shared != c.shared || a.URL != c.url {
				t.Errorf("read %+v (shared inbox %q)", a, shared)
			}
			if a.ManuallyApprovesFollowers != c.manual || a.Discoverable != c.discoverable {
				t.Errorf("manual %v discoverable %v", a.ManuallyApprovesFollowers, a.Discoverable)
			}
			if a.PublicKey == nil || a.PublicKey.ID != c.keyID || a.PublicKey.Owner != c.owner || !strings.HasPrefix(a.PublicKey.PublicKeyPem, "-----BEGIN PUBLIC KEY-----\n") {
				t.Errorf("key %+v", a.PublicKey)
			}
		})
	}

	tolerant := `{"id":"https://x.example/u","type":["Person"],"url":[{"type":"Link","href":"https://x.example/@u","mediaType":"text/html"}],"icon":[{"type":"Image","url":"https://x.example/a.png"}],"name":{"en":"U"},"discoverable":"yes","publicKey":[{"id":"https://x.example/u#k1","owner":"https://x.example/u","publicKeyPem":"A"},{"id":"https://x.example/u#k2","publicKeyPem":"B"}],"endpoints":"https://x.example/endpoints","inbox":{"id":"https://x.example/u/inbox"}}`
	a, err := ap.DecodeActor([]byte(tolerant))
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != "Person" || a.URL != "https://x.example/@u" || a.Icon == nil || a.Icon.URL != "https://x.example/a.png" || a.Name != "" || a.Discoverable || a.Endpoints != nil || a.Inbox != "https://x.example/u/inbox" || a.PublicKey.ID != "https://x.example/u#k1" {
		t.Errorf("read %+v", a)
	}

	for name, body := range map[string]string{
		"an activity":    `{"id":"https://x.example/f","type":"Follow","actor":"https://x.example/u"}`,
		"no id":          `{"type":"Person","inbox":"https://x.example/u/inbox"}`,
		"relative id":    `{"id":"/u","type":"Person"}`,
		"not JSON":       `<html>`,
		"nested too far": `{"id":"https://x.example/u","type":"Person","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
	} {
		if _, err := ap.DecodeActor([]byte(body)); !errors.Is(err, ap.ErrNotActivity) && !errors.Is(err, ap.ErrMalformed) {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestFindKey(t *testing.T) {
	cases := []struct {
		name, file, body, keyID, owner string
	}{
		{name: "Mastodon: the actor, key by fragment", file: "mastodon-actor.json", keyID: "https://mastodon.example/users/alice#main-key", owner: "https://mastodon.example/users/alice"},
		{name: "GoToSocial: the minimal actor at /main-key", file: "gotosocial-main-key.json", keyID: "http://localhost:18080/users/alice/main-key", owner: "http://localhost:18080/users/alice"},
		{name: "one of several keys", body: `{"id":"https://x.example/u","type":"Person","publicKey":[{"id":"https://x.example/u#k1","owner":"https://x.example/u","publicKeyPem":"A"},{"id":"https://x.example/u#k2","owner":"https://x.example/u","publicKeyPem":"B"}]}`, keyID: "https://x.example/u#k2", owner: "https://x.example/u"},
		{name: "a key without an owner belongs to its actor", body: `{"id":"https://x.example/u","type":"Person","publicKey":{"id":"https://x.example/u#k","publicKeyPem":"A"}}`, keyID: "https://x.example/u#k", owner: "https://x.example/u"},
		{name: "a bare key document", body: `{"id":"https://x.example/keys/1","type":"Key","owner":"https://x.example/u","publicKeyPem":"A"}`, keyID: "https://x.example/keys/1", owner: "https://x.example/u"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := []byte(c.body)
			if c.file != "" {
				body = mustRead(t, "testdata/incoming/"+c.file)
			}
			k, err := ap.FindKey(body, c.keyID)
			if err != nil {
				t.Fatal(err)
			}
			if k.ID != c.keyID || k.Owner != c.owner || k.PublicKeyPem == "" {
				t.Errorf("found %+v", k)
			}
		})
	}
	for name, c := range map[string]struct{ body, keyID string }{
		"another key id":      {`{"id":"https://x.example/u","type":"Person","publicKey":{"id":"https://x.example/u#k","publicKeyPem":"A"}}`, "https://x.example/u#other"},
		"a key without a PEM": {`{"id":"https://x.example/u","type":"Person","publicKey":{"id":"https://x.example/u#k"}}`, "https://x.example/u#k"},
		"no key at all":       {`{"id":"https://x.example/u","type":"Person"}`, "https://x.example/u#k"},
	} {
		if _, err := ap.FindKey([]byte(c.body), c.keyID); !errors.Is(err, ap.ErrNoKey) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if _, err := ap.FindKey([]byte(`[`), "x"); !errors.Is(err, ap.ErrMalformed) {
		t.Errorf("not JSON: got %v", err)
	}
}

func TestObjectID(t *testing.T) {
	var nilNote *ap.Note
	cases := []struct {
		v    any
		want string
	}{
		{"https://x.example/a", "https://x.example/a"},
		{ap.Ref{ID: "https://x.example/r"}, "https://x.example/r"},
		{&ap.Ref{ID: "https://x.example/r"}, "https://x.example/r"},
		{&ap.Activity{ID: "https://x.example/act"}, "https://x.example/act"},
		{ap.Note{ID: "https://x.example/n"}, "https://x.example/n"},
		{&ap.Tombstone{ID: "https://x.example/t"}, "https://x.example/t"},
		{&ap.Follow{ID: "https://x.example/f"}, "https://x.example/f"},
		{map[string]any{"id": "https://x.example/m"}, "https://x.example/m"},
		{[]any{map[string]any{"id": "https://x.example/first"}, "https://x.example/second"}, "https://x.example/first"},
		{json.RawMessage(`{"id":"https://x.example/raw","type":"Note"}`), "https://x.example/raw"},
		{[]byte(`"https://x.example/bytes"`), "https://x.example/bytes"},
		{nil, ""},
		{nilNote, ""},
		{42, ""},
		{map[string]any{"id": 42}, ""},
		{[]any{}, ""},
	}
	for _, c := range cases {
		if got := ap.ObjectID(c.v); got != c.want {
			t.Errorf("ObjectID(%#v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestTypes(t *testing.T) {
	for _, typ := range []string{"Follow", "Undo", "Accept", "Reject", "Create", "Delete", "Update", "Announce", "Like", "EmojiReact"} {
		if !ap.IsActivityType(typ) {
			t.Errorf("%s is not an activity", typ)
		}
	}
	for _, typ := range []string{"Note", "Person", "Service", "Tombstone", "OrderedCollection", "", "follow"} {
		if ap.IsActivityType(typ) {
			t.Errorf("%s is an activity", typ)
		}
	}
	for _, s := range []string{ap.Public, "as:Public", "Public"} {
		if !ap.IsPublic(s) {
			t.Errorf("%s is not Public", s)
		}
	}
	if ap.IsPublic("https://x.example/followers") {
		t.Error("followers are Public")
	}
}

func TestTime(t *testing.T) {
	var v struct{ T ap.Time }
	for in, want := range map[string]string{
		`{"T":"2026-12-02T01:13:34Z"}`:          "2026-12-02T01:13:34Z",
		`{"T":"2026-12-02T02:13:34.123+01:00"}`: "2026-12-02T01:13:34Z",
		`{"T":"yesterday"}`:                     "",
		`{"T":42}`:                              "",
	} {
		if err := json.Unmarshal([]byte(in), &v); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := ""
		if !v.T.IsZero() {
			b, _ := json.Marshal(v.T)
			got = strings.Trim(string(b), `"`)
		}
		if got != want {
			t.Errorf("%s read as %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeActivity: no input makes the decoders panic, and whatever DecodeActivity accepts
// marshals again (as it must to be embedded in an Accept).
func FuzzDecodeActivity(f *testing.F) {
	for _, name := range []string{"mastodon-follow.json", "mastodon-undo-follow.json", "gotosocial-undo-follow.json", "mastodon-delete-actor.json"} {
		b, err := os.ReadFile("testdata/incoming/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":["Follow"],"actor":[{"id":"https://x.example/u"}],"object":[[["x"]]]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ap.DecodeActor(b)
		_, _ = ap.FindKey(b, "https://x.example/u#k")
		a, err := ap.DecodeActivity(b)
		if err != nil {
			return
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("accepted %q but cannot marshal it: %v", b, err)
		}
	})
}
