package activitypub_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ap "github.com/soundtime/soundtime/pkg/activitypub"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// Sample values, as the federation service would fill them for a track on
// https://soundtime.example. The title is hostile on purpose.
const (
	base      = "https://soundtime.example"
	actorID   = base + "/ap/actor"
	followers = base + "/ap/followers"
	trackID   = "Kq3vT9xZ"
	noteID    = base + "/ap/tracks/" + trackID
	shareURL  = base + "/t/" + trackID
	title     = `<script>alert("x")</script> & Friends`
	artist    = "The <b>Bold</b>"
)

var published = ap.Time{Time: time.Date(2026, 12, 2, 1, 13, 34, 0, time.UTC)}

// content is the escaped HTML the service builds: the track named, the share link its only link.
var content = "<p>" + html.EscapeString(title+" — "+artist) + ` <a href="` + shareURL + `">` + shareURL + "</a></p>"

func note() *ap.Note {
	return &ap.Note{
		ID:           noteID,
		Type:         ap.TypeNote,
		AttributedTo: actorID,
		To:           []string{ap.Public},
		CC:           []string{followers},
		Published:    published,
		URL:          shareURL,
		Content:      content,
		ContentMap:   map[string]string{"en": content},
	}
}

func create() *ap.Create {
	return &ap.Create{
		Context:   ap.DefaultContext(),
		ID:        noteID + "/activity",
		Type:      ap.TypeCreate,
		Actor:     actorID,
		Published: published,
		To:        []string{ap.Public},
		CC:        []string{followers},
		Object:    note(),
	}
}

// receivedFollow is a Follow as DecodeActivity reads it from Mastodon.
func receivedFollow(t *testing.T) *ap.Activity {
	t.Helper()
	a, err := ap.DecodeActivity(mustRead(t, "testdata/incoming/mastodon-follow.json"))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type goldenCase struct {
	name  string
	value any
	// remoteIDs are ids that belong to another server (an embedded Follow's); every other id
	// must be on our host.
	remoteIDs []string
	// publicNote: the document is a Note or carries Notes, which must be addressed to Public
	// with the followers in cc.
	publicNote bool
}

func goldenCases(t *testing.T) []goldenCase {
	follow := receivedFollow(t)
	withContext := func(n *ap.Note) *ap.Note { n.Context = ap.DefaultContext(); return n }
	return []goldenCase{
		{name: "webfinger", value: ap.JRD{
			Subject: "acct:tracks@soundtime.example",
			Aliases: []string{actorID},
			Links: []ap.Link{
				{Rel: "self", Type: ap.MediaType, Href: actorID},
				{Rel: ap.ProfilePageRel, Type: "text/html", Href: base + "/"},
			},
		}},
		{name: "nodeinfo-discovery", value: ap.NodeInfoDiscovery{Links: []ap.Link{{Rel: ap.NodeInfoSchema21, Href: base + "/nodeinfo/2.1"}}}},
		{name: "nodeinfo", value: ap.NodeInfo{
			Version:           "2.1",
			Software:          ap.NodeInfoSoftware{Name: "soundtime", Version: "0.12.0"},
			Protocols:         []string{"activitypub"},
			OpenRegistrations: false,
			Usage:             ap.NodeInfoUsage{Users: ap.NodeInfoUsers{Total: 1, ActiveHalfyear: 1, ActiveMonth: 1}, LocalPosts: 42},
		}},
		{name: "actor", value: ap.Actor{
			Context:                   ap.DefaultContext(),
			ID:                        actorID,
			Type:                      ap.TypeService,
			PreferredUsername:         "tracks",
			Name:                      "Soundtime tracks",
			Summary:                   "<p>New public tracks on soundtime.example.</p>",
			URL:                       base + "/",
			Inbox:                     base + "/ap/inbox",
			Outbox:                    base + "/ap/outbox",
			Followers:                 followers,
			Following:                 base + "/ap/following",
			Endpoints:                 &ap.Endpoints{SharedInbox: base + "/ap/inbox"},
			Icon:                      &ap.Image{Type: ap.TypeImage, MediaType: "image/png", URL: base + "/icon.png"},
			ManuallyApprovesFollowers: false,
			Discoverable:              true,
			PublicKey: &ap.PublicKey{
				ID:           actorID + "#main-key",
				Owner:        actorID,
				PublicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsampleonly\n-----END PUBLIC KEY-----\n",
			},
		}},
		{name: "note", value: withContext(note()), publicNote: true},
		{name: "create", value: create(), publicNote: true},
		{name: "tombstone", value: ap.Tombstone{Context: ap.DefaultContext(), ID: noteID, Type: ap.TypeTombstone, FormerType: ap.TypeNote, Deleted: published}},
		{name: "delete", value: ap.Delete{
			Context: ap.DefaultContext(),
			ID:      noteID + "#delete",
			Type:    ap.TypeDelete,
			Actor:   actorID,
			To:      []string{ap.Public},
			CC:      []string{followers},
			Object:  &ap.Tombstone{ID: noteID, Type: ap.TypeTombstone},
		}},
		{name: "accept", value: ap.Accept{
			Context: ap.DefaultContext(),
			ID:      actorID + "#accepts/follows/1",
			Type:    ap.TypeAccept,
			Actor:   actorID,
			To:      []string{follow.Actor.ID},
			Object:  follow,
		}, remoteIDs: []string{follow.ID}},
		{name: "reject", value: ap.Reject{
			Context: ap.DefaultContext(),
			ID:      actorID + "#rejects/follows/1",
			Type:    ap.TypeReject,
			Actor:   actorID,
			To:      []string{follow.Actor.ID},
			Object:  follow,
		}, remoteIDs: []string{follow.ID}},
		{name: "follow", value: ap.Follow{
			Context: ap.ActivityStreams,
			ID:      base + "/ap/follows/1",
			Type:    ap.TypeFollow,
			Actor:   actorID,
			Object:  "https://mastodon.example/users/bob",
		}},
		{name: "undo", value: ap.Undo{
			Context: ap.ActivityStreams,
			ID:      base + "/ap/follows/1#undo",
			Type:    ap.TypeUndo,
			Actor:   actorID,
			Object:  &ap.Follow{ID: base + "/ap/follows/1", Type: ap.TypeFollow, Actor: actorID, Object: "https://mastodon.example/users/bob"},
		}},
		{name: "outbox", value: ap.OrderedCollection{
			Context:    ap.DefaultContext(),
			ID:         base + "/ap/outbox",
			Type:       ap.TypeOrderedCollection,
			TotalItems: 1,
			First:      base + "/ap/outbox?page=1",
		}},
		{name: "outbox-page", value: ap.OrderedCollectionPage{
			Context:      ap.DefaultContext(),
			ID:           base + "/ap/outbox?page=1",
			Type:         ap.TypeOrderedCollectionPage,
			PartOf:       base + "/ap/outbox",
			TotalItems:   1,
			OrderedItems: ap.Items{func() *ap.Create { c := create(); c.Context = nil; return c }()},
		}, publicNote: true},
		{name: "outbox-page-empty", value: ap.OrderedCollectionPage{
			Context:    ap.DefaultContext(),
			ID:         base + "/ap/outbox?page=2",
			Type:       ap.TypeOrderedCollectionPage,
			PartOf:     base + "/ap/outbox",
			TotalItems: 1,
			Prev:       base + "/ap/outbox?page=1",
		}},
		{name: "followers", value: ap.OrderedCollection{
			Context:    ap.DefaultContext(),
			ID:         followers,
			Type:       ap.TypeOrderedCollection,
			TotalItems: 1000,
		}},
		{name: "following", value: ap.OrderedCollection{
			Context:      ap.DefaultContext(),
			ID:           base + "/ap/following",
			Type:         ap.TypeOrderedCollection,
			TotalItems:   0,
			OrderedItems: []any{},
		}},
	}
}

// Each document marshals to its golden file byte for byte (go test -update rewrites them), and
// the golden files keep the contract's promises.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			compact, err := json.Marshal(c.value)
			if err != nil {
				t.Fatal(err)
			}
			var indented bytes.Buffer
			if err := json.Indent(&indented, compact, "", "  "); err != nil {
				t.Fatal(err)
			}
			indented.WriteByte('\n')
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.WriteFile(path, indented.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if !bytes.Equal(indented.Bytes(), want) {
				t.Fatalf("%s differs from the output:\n%s", path, indented.Bytes())
			}

			var doc any
			if err := json.Unmarshal(compact, &doc); err != nil {
				t.Fatal(err)
			}
			checkIRIs(t, doc, c.remoteIDs)
			if c.publicNote {
				checkPublicNotes(t, doc)
			}
			// encoding/json writes no raw <, > or &: a hostile title cannot become markup even if
			// the JSON is pasted into HTML.
			if i := bytes.IndexAny(compact, "<>&"); i >= 0 {
				t.Errorf("raw %q at %d in %s", compact[i], i, compact)
			}
		})
	}
}

// iriKeys are the properties whose values are IRIs.
var iriKeys = map[string]bool{
	"id": true, "actor": true, "attributedTo": true, "inbox": true, "outbox": true,
	"followers": true, "following": true, "sharedInbox": true, "owner": true, "partOf": true,
	"first": true, "last": true, "next": true, "prev": true, "href": true, "url": true,
	"object": true, "to": true, "cc": true,
}

// checkIRIs walks a document: every IRI is absolute https (Public aside), and every id is on our
// host unless listed as remote.
func checkIRIs(t *testing.T, v any, remoteIDs []string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if iriKeys[k] {
				for _, s := range strs(val) {
					u, err := url.Parse(s)
					if err != nil || u.Scheme != "https" || u.Host == "" {
						t.Errorf("%s %q is not an absolute https IRI", k, s)
					}
					if k == "id" && u != nil && u.Host != "soundtime.example" && !slices.Contains(remoteIDs, s) {
						t.Errorf("id %q is not on our host", s)
					}
				}
			}
			checkIRIs(t, val, remoteIDs)
		}
	case []any:
		for _, it := range x {
			checkIRIs(t, it, remoteIDs)
		}
	}
}

// strs returns the string values of a property (a string, or the strings of a list).
func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, it := range x {
			if s, ok := it.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// checkPublicNotes finds every Note and Create in a document and checks its addressing, and that
// the hostile title survived as escaped text.
func checkPublicNotes(t *testing.T, v any) {
	t.Helper()
	found := 0
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["type"] == "Note" || x["type"] == "Create" {
				found++
				if got := strs(x["to"]); !slices.Equal(got, []string{ap.Public}) {
					t.Errorf("%s to %v, want [Public]", x["type"], got)
				}
				if got := strs(x["cc"]); !slices.Equal(got, []string{followers}) {
					t.Errorf("%s cc %v, want [followers]", x["type"], got)
				}
			}
			if x["type"] == "Note" {
				c, _ := x["content"].(string)
				if strings.Contains(c, "<script") || strings.Contains(c, "<b>") {
					t.Errorf("content carries markup from the title: %q", c)
				}
				if !strings.Contains(c, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Friends") {
					t.Errorf("content lost the escaped title: %q", c)
				}
				if strings.Count(c, "<a ") != 1 || !strings.Contains(c, `href="`+shareURL+`"`) {
					t.Errorf("content's only link is not the share link: %q", c)
				}
				if x["sensitive"] != false {
					t.Errorf("sensitive %v", x["sensitive"])
				}
				if _, ok := x["attachment"]; ok {
					t.Error("a Note with an attachment gets no link card")
				}
			}
			for _, val := range x {
				walk(val)
			}
		case []any:
			for _, it := range x {
				walk(it)
			}
		}
	}
	walk(v)
	if found == 0 {
		t.Error("no Note or Create found")
	}
}

// Our own activities read back through the tolerant decoder as what they are.
func TestOurActivitiesDecode(t *testing.T) {
	for _, c := range goldenCases(t) {
		b, err := json.Marshal(c.value)
		if err != nil {
			t.Fatal(err)
		}
		var head struct{ Type string }
		if err := json.Unmarshal(b, &head); err != nil {
			t.Fatal(err)
		}
		if !ap.IsActivityType(head.Type) {
			continue
		}
		a, err := ap.DecodeActivity(b)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if a.Type != head.Type || a.Actor.ID != actorID || a.ID != ap.ObjectID(c.value) || a.Object.ID == "" {
			t.Errorf("%s: read %+v", c.name, a)
		}
	}
}
