package main

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// tokened is an uploaded track with its delete token.
type tokened struct{ id, token string }

// uploadTagged uploads a generated MP3 with a title through the API and returns its ID and token.
func uploadTagged(t *testing.T, c client, title string, seconds float64) tokened {
	t.Helper()
	path := mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: seconds, Tags: track.Tags{Title: title, Artist: "Set Band"}})
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(body)
	b64 := base64.StdEncoding.EncodeToString(sum[:])
	id, url, token := createWithToken(c, body, b64)
	putOriginal(c, url, body, b64)
	return tokened{id, token}
}

func setRequest(title string, ts ...tokened) map[string]any {
	var tracks []map[string]string
	for _, t := range ts {
		tracks = append(tracks, map[string]string{"id": t.id, "deleteToken": t.token})
	}
	return map[string]any{"title": title, "tracks": tracks}
}

func setTrackIDs(t *testing.T, m map[string]any) []string {
	t.Helper()
	var ids []string
	for _, e := range m["tracks"].([]any) {
		ids = append(ids, e.(map[string]any)["id"].(string))
	}
	return ids
}

// TestSetsOnTheLocalStack: a set of three real uploads, through the runner's API, on dynalite and
// Versity: made while the tracks still process, read in order, replaced, shown as a page, deleted.
func TestSetsOnTheLocalStack(t *testing.T) {
	c := shared.client(t)
	a, b, d := uploadTagged(t, c, "First", 3), uploadTagged(t, c, "Second", 4), uploadTagged(t, c, "Third", 5)

	r := c.postJSON("/api/sets", setRequest("Live <at> the Hall", d, a, b))
	if r.Status != http.StatusCreated {
		t.Fatalf("POST /api/sets = %d %s", r.Status, r.Body)
	}
	made := r.json(t)
	id, token := made["id"].(string), made["deleteToken"].(string)
	if made["url"] != shared.cfg.PublicBaseURL+"/s/"+id {
		t.Fatalf("created %v", made)
	}
	for _, tr := range []tokened{a, b, d} {
		c.waitDone(tr.id)
	}
	got := c.do("GET", "/api/sets/"+id, nil, nil).json(t)
	if ids := setTrackIDs(t, got); !slices.Equal(ids, []string{d.id, a.id, b.id}) || got["title"] != "Live <at> the Hall" {
		t.Fatalf("set %v", got)
	}
	for _, e := range got["tracks"].([]any) {
		m := e.(map[string]any)
		// Each track's signed media work as its own GET would hand them out.
		for _, k := range []string{"preview", "waveform"} {
			if rr := c.do("GET", m[k].(string), nil, nil); rr.Status != 200 {
				t.Fatalf("%s of %s = %d", k, m["id"], rr.Status)
			}
		}
		if m["status"] != "ready" || m["stream"] != shared.cfg.PublicBaseURL+"/api/tracks/"+m["id"].(string)+"/stream.m3u8" {
			t.Fatalf("track %v", m)
		}
	}

	page := c.do("GET", "/s/"+id, nil, nil)
	if page.Status != 200 || page.Header.Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("page = %d %v", page.Status, page.Header)
	}
	html := string(page.Body)
	for _, want := range []string{"Live &lt;at&gt; the Hall", "/t/" + a.id, "/t/" + b.id, "/t/" + d.id, ">First<", ">Third<", `src="/assets/set.js"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Index(html, "/t/"+d.id) > strings.Index(html, "/t/"+a.id) {
		t.Error("the page lists the tracks out of order")
	}

	auth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	rr := c.do("PUT", "/api/sets/"+id, auth, []byte(fmt.Sprintf(`{"title":"Encore","tracks":[{"id":%q,"deleteToken":%q}]}`, b.id, b.token)))
	if rr.Status != 200 || rr.json(t)["title"] != "Encore" || !slices.Equal(setTrackIDs(t, rr.json(t)), []string{b.id}) {
		t.Fatalf("PUT = %d %s", rr.Status, rr.Body)
	}
	if rr := c.do("DELETE", "/api/sets/"+id, map[string]string{"Authorization": "Bearer " + a.token}, nil); rr.Status != 403 {
		t.Fatalf("DELETE with a track's token = %d", rr.Status)
	}
	if rr := c.do("DELETE", "/api/sets/"+id, auth, nil); rr.Status != 204 {
		t.Fatalf("DELETE = %d %s", rr.Status, rr.Body)
	}
	if rr := c.do("GET", "/api/sets/"+id, nil, nil); rr.Status != 404 || rr.errorCode(t) != "not_found" {
		t.Fatalf("GET after DELETE = %d %s", rr.Status, rr.Body)
	}
	if rr := c.do("GET", "/s/"+id, nil, nil); rr.Status != 404 {
		t.Fatalf("page after DELETE = %d", rr.Status)
	}
	for _, tr := range []tokened{a, b, d} {
		if rr := c.do("GET", "/api/tracks/"+tr.id, nil, nil); rr.Status != 200 {
			t.Fatalf("deleting the set took %s: %d", tr.id, rr.Status)
		}
	}
}

// TestSetGoesWithItsLastTrack: deleting a set's tracks one by one drops each from the set through
// the stream (the unlist consumer), and the set goes with the last. Every REMOVE record is then
// delivered twice more, as the stream may: nothing changes.
func TestSetGoesWithItsLastTrack(t *testing.T) {
	c := shared.client(t)
	ctx := context.Background()
	a, b := uploadTagged(t, c, "Alpha", 2), uploadTagged(t, c, "Beta", 2)
	made := c.postJSON("/api/sets", setRequest("Two", a, b)).json(t)
	id := made["id"].(string)
	store := shared.app.Sets.Store
	unlist := shared.app.Unlister()

	remove := func(tr tokened) events.DynamoDBEventRecord {
		t.Helper()
		old, err := shared.app.Store.Get(ctx, tr.id)
		if err != nil {
			t.Fatal(err)
		}
		if r := c.do("DELETE", "/api/tracks/"+tr.id, map[string]string{"Authorization": "Bearer " + tr.token}, nil); r.Status != 204 {
			t.Fatalf("DELETE %s = %d", tr.id, r.Status)
		}
		item, err := dynamo.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := localaws.RemoveRecord(item, localaws.RecordOptions{Table: shared.cfg.TableName, Region: localaws.Region, SequenceNumber: "9" + tr.id, At: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	redeliver := func(rec events.DynamoDBEventRecord) {
		t.Helper()
		for range 2 {
			resp, err := unlist.Handle(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
			if err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("redelivery: %+v %v", resp, err)
			}
		}
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting until %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	recA := remove(a)
	waitFor("the set lost "+a.id, func() bool {
		s, err := store.GetSet(ctx, id)
		return err == nil && slices.Equal(s.Tracks, []string{b.id})
	})
	before, _ := store.GetSet(ctx, id)
	redeliver(recA)
	if after, err := store.GetSet(ctx, id); err != nil || after.Version != before.Version || !slices.Equal(after.Tracks, []string{b.id}) {
		t.Fatalf("a repeated removal changed the set: %+v → %+v (%v)", before, after, err)
	}
	if r := c.do("GET", "/api/sets/"+id, nil, nil); r.Status != 200 || !slices.Equal(setTrackIDs(t, r.json(t)), []string{b.id}) {
		t.Fatalf("GET = %d %s", r.Status, r.Body)
	}

	recB := remove(b)
	waitFor("the set is gone", func() bool {
		_, err := store.GetSet(ctx, id)
		return errors.Is(err, track.ErrNotFound)
	})
	redeliver(recB)
	redeliver(recA)
	if _, err := store.GetSet(ctx, id); !errors.Is(err, track.ErrNotFound) {
		t.Fatalf("the set came back: %v", err)
	}
	for _, tr := range []tokened{a, b} {
		if sets, err := store.SetsOf(ctx, tr.id); err != nil || len(sets) != 0 {
			t.Fatalf("members of %s left: %v %v", tr.id, sets, err)
		}
	}
	if r := c.do("GET", "/api/sets/"+id, nil, nil); r.Status != 404 {
		t.Fatalf("GET of a set without tracks = %d", r.Status)
	}
}

// TestSetExpiresWithItsTracks: the TTL's removal of the last track takes the set along.
func TestSetExpiresWithItsTracks(t *testing.T) {
	s := expiryStack(t)
	c := s.client(t)
	ctx := context.Background()
	a := uploadTagged(t, c, "Short", 2)
	c.waitDone(a.id)
	made := c.postJSON("/api/sets", setRequest("Short-lived", a)).json(t)
	id := made["id"].(string)
	if _, err := s.app.Sets.Store.GetSet(ctx, id); err != nil {
		t.Fatal(err)
	}
	s.gone(t, a.id, retention+2*sweep+2*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.app.Sets.Store.GetSet(ctx, id)
		if errors.Is(err, track.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the set outlived its expired track: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
