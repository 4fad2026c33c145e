package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/track"
)

// wantMeta checks the page's meta tags against want ("" for a tag that must be absent).
func wantMeta(t *testing.T, body string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		got, ok := pageMeta(body, k)
		if v == "" && ok {
			t.Errorf("%s = %q, want no such tag", k, got)
		} else if got != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, ok, v)
		}
	}
}

// A link preview always has a picture with its size and a text alternative: the cover of a
// track with cover art, the card (drawn from the waveform) of one without.
func TestLinkPreviewImage(t *testing.T) {
	h := newPagesHarness(t)
	withCover := h.readyTrack(t, goodBody, pageTags, true)
	wantMeta(t, h.do(t, "GET", "/t/"+withCover.ID, "").Body.String(), map[string]string{
		"og:image":          baseURL + "/t/" + withCover.ID + "/cover",
		"og:image:width":    "600",
		"og:image:height":   "500",
		"og:image:alt":      "Cover of Song by Band",
		"twitter:image":     baseURL + "/t/" + withCover.ID + "/cover",
		"twitter:image:alt": "Cover of Song by Band",
	})
	plain := h.readyTrack(t, goodBody, track.Tags{Title: "Song", Artist: "Band"}, false)
	wantMeta(t, h.do(t, "GET", "/t/"+plain.ID, "").Body.String(), map[string]string{
		"og:image":          baseURL + "/t/" + plain.ID + "/card",
		"og:image:width":    "1200",
		"og:image:height":   "630",
		"og:image:alt":      "Waveform of Song by Band",
		"twitter:image":     baseURL + "/t/" + plain.ID + "/card",
		"twitter:image:alt": "Waveform of Song by Band",
	})
	// A cover whose size processing could not read (or a track from before sizes were kept):
	// the picture without a size, rather than a wrong one.
	unsized := h.readyTrack(t, goodBody, pageTags, true)
	tr, _ := h.store.Get(context.Background(), unsized.ID)
	next := *tr
	next.CoverWidth, next.CoverHeight = 0, 0
	if err := h.store.Replace(context.Background(), tr, &next); err != nil {
		t.Fatal(err)
	}
	wantMeta(t, h.do(t, "GET", "/t/"+unsized.ID, "").Body.String(), map[string]string{
		"og:image":        baseURL + "/t/" + unsized.ID + "/cover",
		"og:image:width":  "",
		"og:image:height": "",
		"og:image:alt":    "Cover of Song by Band",
	})
	m := decodeObject(t, h.do(t, "GET", "/oembed?url="+url.QueryEscape(baseURL+"/t/"+unsized.ID), ""))
	if _, ok := m["thumbnail_url"]; ok {
		t.Errorf("oEmbed offers a thumbnail of unknown size: %v", m)
	}
}

func TestLinkPreviewImageAltIsEscaped(t *testing.T) {
	const evil = `"><script>alert(1)</script><meta x="`
	h := newPagesHarness(t)
	for _, cover := range []bool{true, false} {
		tr := h.readyTrack(t, goodBody, track.Tags{Title: evil, Artist: `A&B "C"`}, cover)
		body := h.do(t, "GET", "/t/"+tr.ID, "").Body.String()
		if strings.Contains(body, "<script>alert") || strings.Contains(body, `<meta x=`) {
			t.Fatalf("cover %v: the title broke out of an attribute: %s", cover, body)
		}
		what := "Waveform of "
		if cover {
			what = "Cover of "
		}
		for _, k := range []string{"og:image:alt", "twitter:image:alt"} {
			if got, _ := pageMeta(body, k); got != what+evil+` by A&B "C"` {
				t.Errorf("cover %v: %s = %q", cover, k, got)
			}
		}
	}
}

// A link copied while the track is processing unfurls with the file name as its title and the
// card link as its picture: the page itself is never cached, the placeholder at the card link
// only for a minute, and the same link shows the real card once the track is ready.
func TestProcessingLinkPreview(t *testing.T) {
	h := newPagesHarness(t)
	c := h.create(t, goodBody)
	h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
	rec := h.do(t, "GET", "/t/"+c.ID, "")
	wantPageHTML(t, rec, http.StatusOK, "no-store", false)
	cardLink := baseURL + "/t/" + c.ID + "/card"
	wantMeta(t, rec.Body.String(), map[string]string{
		"og:title":        "Song (live).mp3",
		"og:image":        cardLink,
		"og:image:width":  "1200",
		"og:image:height": "630",
		"og:image:alt":    "Waveform of Song (live).mp3",
		"twitter:image":   cardLink,
	})
	m := decodeObject(t, h.do(t, "GET", "/oembed?url="+url.QueryEscape(baseURL+"/t/"+c.ID), ""))
	if m["title"] != "Song (live).mp3" || m["thumbnail_url"] != cardLink || m["thumbnail_width"] != json.Number("1200") || m["thumbnail_height"] != json.Number("630") {
		t.Errorf("oEmbed while processing: %v", m)
	}

	img := h.do(t, "GET", "/t/"+c.ID+"/card", "")
	wantPlaceholder(t, img)

	// Ready: the same link now leads to the track's own card, signed afresh.
	tr, _ := h.store.Get(context.Background(), c.ID)
	tr, err := h.svc.Begin(context.Background(), tr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Finish(context.Background(), tr, track.Processing{Duration: 3, Card: true}); err != nil {
		t.Fatal(err)
	}
	rec = h.do(t, "GET", "/t/"+c.ID+"/card", "")
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusFound || !strings.HasPrefix(loc, "mem://bucket/"+track.CardKey(c.ID)+"?") {
		t.Fatalf("card of a ready track = %d, Location %q", rec.Code, loc)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control = %q", cc)
	}
	wantPageHTML(t, h.do(t, "GET", "/t/"+c.ID, ""), http.StatusOK, "public, max-age=60", false)
}

func wantPlaceholder(t *testing.T, rec interface {
	Result() *http.Response
}) {
	t.Helper()
	res := rec.Result()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" ||
		res.Header.Get("Cache-Control") != "public, max-age=60" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("placeholder: %d %v", res.StatusCode, res.Header)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil || cfg.Width != 1200 || cfg.Height != 630 {
		t.Fatalf("placeholder PNG: %+v %v", cfg, err)
	}
}

// The card link: the cover for a track with one, the placeholder for a track whose card is not
// there (failed, or ready from before cards), 404 for a track that is gone; never a slide of the
// expiry.
func TestCardLink(t *testing.T) {
	h := newPagesHarness(t)
	withCover := h.readyTrack(t, goodBody, pageTags, true)
	before, _ := h.store.Get(context.Background(), withCover.ID)
	h.clock.Advance(48 * time.Hour)
	rec := h.do(t, "GET", "/t/"+withCover.ID+"/card", "")
	if loc := rec.Header().Get("Location"); rec.Code != http.StatusFound || !strings.HasPrefix(loc, "mem://bucket/"+withCover.CoverKey+"?") {
		t.Fatalf("card of a track with a cover = %d, Location %q", rec.Code, loc)
	}
	if after, _ := h.store.Get(context.Background(), withCover.ID); !after.ExpiresAt.Equal(before.ExpiresAt) {
		t.Error("fetching the card slid the expiry")
	}

	old := h.readyTrack(t, goodBody, pageTags, false)
	tr, _ := h.store.Get(context.Background(), old.ID)
	next := *tr
	next.CardKey = ""
	if err := h.store.Replace(context.Background(), tr, &next); err != nil {
		t.Fatal(err)
	}
	wantPlaceholder(t, h.do(t, "GET", "/t/"+old.ID+"/card", ""))

	wantError(t, h.do(t, "GET", "/t/AAAAAAAA/card", ""), http.StatusNotFound, track.ENotFound)
	wantError(t, h.do(t, "GET", "/t/a.b/card", ""), http.StatusNotFound, track.ENotFound)
	h.clock.Advance(testConfig.Retention + time.Hour)
	wantError(t, h.do(t, "GET", "/t/"+old.ID+"/card", ""), http.StatusNotFound, track.ENotFound)
}

// oEmbed honours maxwidth and maxheight (oEmbed 1.0 §2.2): the 480×166 strip narrows to
// maxwidth, never below 200 px, and never gets shorter than 166 px: a limit it cannot meet is
// 501. The thumbnail is offered only when it fits. Bad values are 400 and read nothing.
func TestOEmbedMaxSize(t *testing.T) {
	h := newPagesHarness(t)
	withCover := h.readyTrack(t, goodBody, pageTags, true) // cover 600×500
	plain := h.readyTrack(t, goodBody, pageTags, false)    // card 1200×630
	cases := []struct {
		name, query           string
		status                int
		width, height         int
		coverThumb, cardThumb bool
	}{
		{"no limits", "", 200, 480, 166, true, true},
		{"roomy", "&maxwidth=2000&maxheight=2000", 200, 480, 166, true, true},
		{"exactly the strip", "&maxwidth=480&maxheight=166", 200, 480, 166, false, false},
		{"narrower", "&maxwidth=300", 200, 300, 166, false, false},
		{"narrowest", "&maxwidth=200", 200, 200, 166, false, false},
		{"wide enough for the cover only", "&maxwidth=640&maxheight=600", 200, 480, 166, true, false},
		{"wide enough for the card", "&maxwidth=1200&maxheight=630", 200, 480, 166, true, true},
		{"height only", "&maxheight=500", 200, 480, 166, true, false},
		{"too narrow", "&maxwidth=199", 501, 0, 0, false, false},
		{"too short", "&maxheight=165", 501, 0, 0, false, false},
		{"height 1", "&maxwidth=480&maxheight=1", 501, 0, 0, false, false},
		{"zero", "&maxwidth=0", 400, 0, 0, false, false},
		{"negative", "&maxwidth=-480", 400, 0, 0, false, false},
		{"negative height", "&maxheight=-1", 400, 0, 0, false, false},
		{"not a number", "&maxwidth=wide", 400, 0, 0, false, false},
		{"fraction", "&maxheight=166.5", 400, 0, 0, false, false},
		{"empty", "&maxwidth=", 400, 0, 0, false, false},
		{"overflow", "&maxwidth=99999999999999999999999", 400, 0, 0, false, false},
		{"twice", "&maxwidth=300&maxwidth=400", 400, 0, 0, false, false},
		{"plus sign", "&maxwidth=%2B300", 400, 0, 0, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, tr := range []*track.Track{withCover, plain} {
				rec := h.do(t, "GET", "/oembed?format=json&url="+url.QueryEscape(baseURL+"/t/"+tr.ID)+c.query, "")
				switch c.status {
				case 400:
					wantError(t, rec, http.StatusBadRequest, track.EInvalidRequest)
					continue
				case 501:
					wantError(t, rec, http.StatusNotImplemented, httpapi.ENotImplemented)
					continue
				}
				m := decodeObject(t, rec)
				if rec.Code != 200 || m["width"] != json.Number(itoa(c.width)) || m["height"] != json.Number(itoa(c.height)) {
					t.Fatalf("%d %v, want %d×%d", rec.Code, m, c.width, c.height)
				}
				iframe, _ := m["html"].(string)
				if w, _ := pageAttr(iframe, "<iframe", "width"); w != itoa(c.width) {
					t.Errorf("iframe width %q, want %d", w, c.width)
				}
				if hh, _ := pageAttr(iframe, "<iframe", "height"); hh != itoa(c.height) {
					t.Errorf("iframe height %q, want %d", hh, c.height)
				}
				want := c.cardThumb
				if tr == withCover {
					want = c.coverThumb
				}
				_, got := m["thumbnail_url"]
				_, gotW := m["thumbnail_width"]
				_, gotH := m["thumbnail_height"]
				if got != want || gotW != want || gotH != want {
					t.Errorf("cover %v: thumbnail present %v/%v/%v, want %v: %v", tr == withCover, got, gotW, gotH, want, m)
				}
			}
		})
	}
	// A bad size for a track that does not exist is still the bad size: nothing is read.
	wantError(t, h.do(t, "GET", "/oembed?maxwidth=x&url="+url.QueryEscape(baseURL+"/t/AAAAAAAA"), ""), http.StatusBadRequest, track.EInvalidRequest)
}

func itoa(n int) string { return strconv.Itoa(n) }

// A set's preview picture is the first cover among its tracks, else its first track's card.
func TestSetPageLinkPreviewImage(t *testing.T) {
	h := newSetsHarness(t)
	es := h.tracks(t, threeTags...) // the second track has no cover
	id := h.makeSet(t, "No covers", es[1:2])["id"].(string)
	wantMeta(t, h.do(t, "GET", "/s/"+id, "").Body.String(), map[string]string{
		"og:image":          baseURL + "/t/" + es[1].ID + "/card",
		"og:image:width":    "1200",
		"og:image:height":   "630",
		"og:image:alt":      "Waveform of " + threeTags[1].Title + " by " + threeTags[1].Artist,
		"twitter:image":     baseURL + "/t/" + es[1].ID + "/card",
		"twitter:image:alt": "Waveform of " + threeTags[1].Title + " by " + threeTags[1].Artist,
	})
	id = h.makeSet(t, "Second has the cover", []entry{es[1], es[2]})["id"].(string)
	wantMeta(t, h.do(t, "GET", "/s/"+id, "").Body.String(), map[string]string{
		"og:image":       baseURL + "/t/" + es[2].ID + "/cover",
		"og:image:width": "600",
	})
}
