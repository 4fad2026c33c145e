package httpapi

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/card"
	"github.com/soundtime/soundtime/pkg/track"
)

// linkImage is the picture of a link preview: og:image, twitter:image and oEmbed's thumbnail.
// URL is a stable link of ours (it never expires, so a card built hours later still has its
// picture); Width and Height are 0 when unknown (a cover Go could not read).
type linkImage struct {
	URL           template.URL
	Width, Height int
	Alt           string
}

// linkImageOf is the cover when t has one, else its card: the waveform drawn by processing, and
// until then (or for a track processed before cards existed) the placeholder served at the same
// link. A crawler that reads the page while the track is processing keeps the card link, which
// shows the real card, or the cover, once the track is ready.
func (s *Server) linkImageOf(t *track.Track, m track.MediaURLs) linkImage {
	title := displayTitle(t)
	by := ""
	if t.Tags != nil && t.Tags.Artist != "" {
		by = " by " + t.Tags.Artist
	}
	if m.Cover != "" {
		return linkImage{URL: template.URL(s.coverURL(t.ID)), Width: t.CoverWidth, Height: t.CoverHeight, Alt: "Cover of " + title + by}
	}
	return linkImage{URL: template.URL(s.cardURL(t.ID)), Width: card.Width, Height: card.Height, Alt: "Waveform of " + title + by}
}

// cardURL is a track's card at a link that does not expire.
func (s *Server) cardURL(id string) string { return s.BaseURL + "/t/" + id + "/card" }

// placeholderMaxAge is how long the placeholder may be kept: a processing track has its card
// within minutes, and whoever keeps the picture should fetch it again soon.
const placeholderMaxAge = time.Minute

// placeholder is the card of a track whose own card is not there (yet): the middle line
// alone, in the app's colours, at the card's size. Drawn once, on first use.
var placeholder = sync.OnceValues(func() ([]byte, error) { return card.Draw(nil, 1, card.Default) })

// cardImage answers GET /t/{id}/card: a redirect to a fresh signed URL of the card of a ready
// track without cover art, or of the cover of one with cover art; otherwise (pending,
// processing, failed, or ready from before cards) the placeholder itself, marked short-lived.
// Like the pages it reads without sliding the expiry.
func (s *Server) cardImage(w http.ResponseWriter, r *http.Request) {
	t, m, err := s.peek(r, r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	target := m.Cover
	if target == "" {
		if target, err = s.Tracks.CardURL(r.Context(), t); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if target != "" {
		maxAge := min(5*time.Minute, s.Tracks.Config.MediaURLTTL/2)
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())))
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	png, err := placeholder()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(len(png)))
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(placeholderMaxAge.Seconds())))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(png)
	}
}

// MinPlayerWidth is the narrowest player oEmbed offers: below it the strip has no room for the
// title beside the cover and the controls.
const MinPlayerWidth = 200

// oembedSize is the player's size within the consumer's maxwidth and maxheight (oEmbed 1.0
// §2.2): the 480×166 strip, narrower when maxwidth asks. The strip is 166 px high and cannot
// shrink, so a maxheight under 166 (or a maxwidth under MinPlayerWidth) cannot be honoured:
// fits is false, and the answer is 501 rather than a player larger than allowed. A value that
// is not a positive decimal integer is an invalid request. maxW and maxH are 0 when not given.
func oembedSize(q url.Values) (w, h, maxW, maxH int, fits bool, err error) {
	parse := func(name string) (int, error) {
		if !q.Has(name) {
			return 0, nil
		}
		s := q.Get(name)
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 || len(q[name]) > 1 || strings.Trim(s, "0123456789") != "" {
			return 0, track.Errorf(track.EInvalidRequest, "%s must be one positive whole number of pixels", name)
		}
		return v, nil
	}
	if maxW, err = parse("maxwidth"); err != nil {
		return
	}
	if maxH, err = parse("maxheight"); err != nil {
		return
	}
	w, h = PlayerWidth, PlayerHeight
	if maxW > 0 {
		w = min(w, maxW)
	}
	fits = w >= MinPlayerWidth && (maxH == 0 || maxH >= h)
	return w, h, maxW, maxH, fits, nil
}

// within reports whether a picture of w×h fits in maxW×maxH (0: no limit). A picture of unknown
// size fits nothing: oEmbed's thumbnail must come with its size.
func within(w, h, maxW, maxH int) bool {
	return w > 0 && h > 0 && (maxW == 0 || w <= maxW) && (maxH == 0 || h <= maxH)
}
