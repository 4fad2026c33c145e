package federation_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/track"
)

var update = flag.Bool("update", false, "rewrite testdata/*.json from what the service serves now")

// hostileID is a public ready track whose title is a script.
const hostileID = "Kq3vT9xZ"

func hostileTrack() *track.Track {
	return &track.Track{
		ID: hostileID, Status: track.StatusReady, Public: true,
		Filename: "song.mp3", Type: "audio/mpeg", Size: 4812345,
		Tags:       &track.Tags{Title: "<script>alert(1)</script>", Artist: `Ann & "Bob" <b>`},
		CreatedAt:  time.Date(2026, 12, 1, 19, 58, 0, 0, time.UTC),
		UploadedAt: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC),
		ExpiresAt:  time.Date(2026, 12, 15, 20, 0, 0, 0, time.UTC),
	}
}

// The documents we serve and send, compared with testdata/*.json (go test ./pkg/federation
// -run TestGolden -update rewrites them; review the diff): every id absolute and on our host,
// and so every other URL of ours; Public in to and the followers in cc; a track titled
// <script>alert(1)</script> inert. The actor's key is ourKey, derived from a fixed seed.
func TestGolden(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.svc.Tracks = tracksOf(hostileTrack())

	served := func(t *testing.T, target, accept, contentType string) []byte {
		t.Helper()
		rec := e.get(target, "Accept", accept)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d: %s", target, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != contentType {
			t.Errorf("GET %s: Content-Type %q, want %q", target, ct, contentType)
		}
		return rec.Body.Bytes()
	}

	t.Run("webfinger", func(t *testing.T) {
		doc := served(t, "/.well-known/webfinger?resource=acct:tracks@"+host, "application/jrd+json", activitypub.JRDMediaType)
		golden(t, "webfinger.json", doc)
		ours(t, doc)
		if m := decodeMap(t, doc); m["subject"] != "acct:tracks@"+host {
			t.Errorf("subject = %v", m["subject"])
		}
	})
	t.Run("actor", func(t *testing.T) {
		doc := served(t, "/ap/actor", activitypub.LDMediaType, activitypub.MediaType)
		golden(t, "actor.json", doc)
		ours(t, doc)
		var a activitypub.Actor
		if err := json.Unmarshal(doc, &a); err != nil {
			t.Fatal(err)
		}
		if a.Type != "Service" || a.PreferredUsername != "tracks" || a.ManuallyApprovesFollowers || !a.Discoverable {
			t.Errorf("actor %+v", a)
		}
		if a.Endpoints == nil || a.Endpoints.SharedInbox != e.svc.InboxID() || a.Inbox != e.svc.InboxID() {
			t.Errorf("inbox %q, endpoints %+v: want both %q", a.Inbox, a.Endpoints, e.svc.InboxID())
		}
		if a.PublicKey == nil || a.PublicKey.ID != base+"/ap/actor#main-key" || a.PublicKey.Owner != a.ID {
			t.Fatalf("publicKey %+v", a.PublicKey)
		}
		pub, err := httpsig.ParsePublicKeyPEM(a.PublicKey.PublicKeyPem)
		if err != nil || !pub.Equal(&ourKey(t).PublicKey) || pub.N.BitLen() != 2048 {
			t.Errorf("publicKeyPem is not our RSA-2048 key: %v", err)
		}
		if strings.Contains(string(doc), "PRIVATE") {
			t.Error("the actor shows a private key")
		}
	})
	t.Run("nodeinfo discovery", func(t *testing.T) {
		doc := served(t, "/.well-known/nodeinfo", "application/json", "application/json")
		golden(t, "nodeinfo-discovery.json", doc)
		ours(t, doc)
	})
	t.Run("nodeinfo", func(t *testing.T) {
		doc := served(t, "/nodeinfo/2.1", "application/json", activitypub.NodeInfoMediaType21)
		golden(t, "nodeinfo.json", doc)
		ours(t, doc)
		var ni activitypub.NodeInfo
		if err := json.Unmarshal(doc, &ni); err != nil {
			t.Fatal(err)
		}
		if ni.Software.Name != "soundtime" || !slices.Equal(ni.Protocols, []string{"activitypub"}) ||
			ni.Usage.Users.Total != 1 || ni.Usage.LocalPosts != 1 || ni.OpenRegistrations {
			t.Errorf("nodeinfo %+v", ni)
		}
	})
	t.Run("note", func(t *testing.T) {
		doc := served(t, "/ap/tracks/"+hostileID, activitypub.MediaType, activitypub.MediaType)
		golden(t, "note.json", doc)
		ours(t, doc)
		note := decodeMap(t, doc)
		if note["id"] != e.svc.NoteID(hostileID) {
			t.Errorf("id = %v, want the URL it is served at", note["id"])
		}
		checkNote(t, note)
	})
	t.Run("create", func(t *testing.T) {
		servedCreate := served(t, "/ap/tracks/"+hostileID+"/activity", activitypub.MediaType, activitypub.MediaType)
		golden(t, "create.json", servedCreate)
		ours(t, servedCreate)
		c := decodeMap(t, servedCreate)
		if c["type"] != "Create" || c["actor"] != e.svc.ActorID() || c["id"] != e.svc.CreateID(hostileID) {
			t.Errorf("create type %v actor %v id %v", c["type"], c["actor"], c["id"])
		}
		audience(t, "create", c)
		note, _ := c["object"].(map[string]any)
		checkNote(t, note)
	})
	t.Run("create delivered", func(t *testing.T) {
		// The Create an announcement delivers is the one served, byte for byte.
		defer e.followers.add(federation.Follower{
			Actor: "https://mastodon.example/users/alice", Inbox: "https://mastodon.example/users/alice/inbox",
		})()
		e.queue.reset()
		servedCreate := served(t, "/ap/tracks/"+hostileID+"/activity", activitypub.MediaType, activitypub.MediaType)
		handleOne(t, &federation.Deliverer{Service: e.svc}, federation.Message{Kind: federation.KindAnnounce, Track: hostileID})
		msgs := e.queue.messages(t)
		if len(msgs) != 1 {
			t.Fatalf("announced %d messages", len(msgs))
		}
		if !bytes.Equal(msgs[0].Activity, servedCreate) {
			t.Errorf("delivered Create\n%s\ndiffers from the served one\n%s", msgs[0].Activity, servedCreate)
		}
	})
	t.Run("delete", func(t *testing.T) {
		defer e.followers.add(federation.Follower{
			Actor: "https://mastodon.example/users/alice", Inbox: "https://mastodon.example/users/alice/inbox",
		})()
		e.queue.reset()
		handleOne(t, &federation.Deliverer{Service: e.svc}, federation.Message{Kind: federation.KindWithdraw, Track: hostileID})
		msgs := e.queue.messages(t)
		if len(msgs) != 1 {
			t.Fatalf("withdrew with %d messages", len(msgs))
		}
		doc := []byte(msgs[0].Activity)
		golden(t, "delete.json", doc)
		ours(t, doc)
		d := decodeMap(t, doc)
		audience(t, "delete", d)
		tomb, _ := d["object"].(map[string]any)
		if d["type"] != "Delete" || d["actor"] != e.svc.ActorID() || tomb["type"] != "Tombstone" || tomb["id"] != e.svc.NoteID(hostileID) {
			t.Errorf("delete %s", doc)
		}
	})
	t.Run("accept", func(t *testing.T) {
		srv := e.newRemote("", false)
		a := srv.mastodonActor("alice", remoteKey(t, "alice"))
		follow := mastodonFollow(a, e.svc.ActorID())
		e.queue.reset()
		wantAccepted(t, e.do(e.mastodonPost(t, a, follow, signing{})))
		wantReply(t, e, "Accept", a.inbox, follow)
		doc := e.queue.messages(t)[0].Activity
		// The follower's server listens on a port of the moment, and the Accept's id is a hash
		// of the Follow's: both are replaced by stable stand-ins for the comparison.
		accepts := regexp.MustCompile(`#accepts/[0-9a-f]{16}"`)
		if !accepts.Match(doc) {
			t.Errorf("the Accept's id is not %s#accepts/<16 hex digits>: %s", e.svc.ActorID(), doc)
		}
		stable := bytes.ReplaceAll(doc, []byte(srv.base), []byte("https://mastodon.example"))
		stable = accepts.ReplaceAll(stable, []byte(`#accepts/0123456789abcdef"`))
		golden(t, "accept.json", stable)
		m := decodeMap(t, doc)
		if to, _ := m["to"].([]any); len(to) != 1 || to[0] != a.id {
			t.Errorf("to = %v, want the follower", m["to"])
		}
		// The Follow embedded and the recipient are the follower's, on its host.
		delete(m, "object")
		delete(m, "to")
		ours(t, mustJSON(t, m))
	})
}

// handleOne hands m to the deliverer as a one-record SQS batch and wants it handled.
func handleOne(t *testing.T, d *federation.Deliverer, m federation.Message) {
	t.Helper()
	resp, err := d.Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{record(t, "m1", 1, m)}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("Handle = %+v, %v", resp, err)
	}
}

// record is an SQS record of m, received for the receives-th time.
func record(t testing.TB, id string, receives int, m federation.Message) events.SQSMessage {
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "receipt-" + id, Body: string(mustJSON(t, m)),
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)},
	}
}

// checkNote checks the Note of hostileTrack: its audience, its link, and its content, which
// names the track escaped, has the share link as its only link, and no markup but p, strong
// and that link.
func checkNote(t *testing.T, note map[string]any) {
	t.Helper()
	share := base + "/t/" + hostileID
	audience(t, "note", note)
	if note["type"] != "Note" || note["url"] != share || note["attributedTo"] != base+"/ap/actor" || note["sensitive"] != false {
		t.Errorf("note type %v url %v attributedTo %v sensitive %v", note["type"], note["url"], note["attributedTo"], note["sensitive"])
	}
	if _, ok := note["attachment"]; ok {
		t.Error("the Note has an attachment: it would get no link card")
	}
	content, _ := note["content"].(string)
	if cm, _ := note["contentMap"].(map[string]any); cm["en"] != content {
		t.Errorf("contentMap = %v, want en: the content", note["contentMap"])
	}
	if strings.Contains(content, "<script") || !strings.Contains(content, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the title is not escaped: %s", content)
	}
	if !strings.Contains(content, "Ann &amp; &#34;Bob&#34; &lt;b&gt;") {
		t.Errorf("the artist is not escaped: %s", content)
	}
	tags := regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`).FindAllStringSubmatch(content, -1)
	links := 0
	for _, tag := range tags {
		switch {
		case tag[2] == "a" && tag[1] == "":
			links++
			if tag[3] != ` href="`+share+`"` {
				t.Errorf("link %s, want the share link alone", tag[0])
			}
		case tag[2] == "p" || tag[2] == "strong" || tag[2] == "a":
			if tag[3] != "" {
				t.Errorf("markup %s has attributes", tag[0])
			}
		default:
			t.Errorf("markup %s in the content", tag[0])
		}
	}
	if links != 1 {
		t.Errorf("%d links in the content, want the share link only: %s", links, content)
	}
}

// audience wants Public in to and our followers in cc, and nobody else.
func audience(t *testing.T, what string, doc map[string]any) {
	t.Helper()
	to, _ := doc["to"].([]any)
	cc, _ := doc["cc"].([]any)
	if len(to) != 1 || to[0] != activitypub.Public {
		t.Errorf("%s to = %v, want [Public]", what, doc["to"])
	}
	if len(cc) != 1 || cc[0] != base+"/ap/followers" {
		t.Errorf("%s cc = %v, want [our followers]", what, doc["cc"])
	}
}

// ours walks a document: every id must be an absolute https URL on our host, and so must every
// other URL in it but the vocabulary's (@context, a link's rel, the Public collection).
func ours(t *testing.T, doc []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "@context" || k == "rel" {
					continue
				}
				if k == "id" {
					if s, ok := c.(string); !ok || !onOurHost(s) {
						t.Errorf("%s.id = %v, want an absolute URL on %s", path, c, host)
					}
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range x {
				walk(path+"[]", c)
			}
		case string:
			if (strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://")) && x != activitypub.Public && !onOurHost(x) {
				t.Errorf("%s = %q is not on our host", path, x)
			}
		}
	}
	walk("$", v)
}

func onOurHost(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Scheme == "https" && u.Host == host && u.User == nil
}

// golden compares doc, indented, with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, doc []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, doc, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", name, err, doc)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./pkg/federation -run TestGolden -update writes it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		got, wantLines := strings.Split(buf.String(), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(got), len(wantLines)); i++ {
			g, w := "", ""
			if i < len(got) {
				g = got[i]
			}
			if i < len(wantLines) {
				w = wantLines[i]
			}
			if g != w {
				t.Errorf("%s differs from %s at line %d:\n got: %s\nwant: %s\n(go test ./pkg/federation -run TestGolden -update rewrites it)", name, path, i+1, g, w)
				return
			}
		}
	}
}
