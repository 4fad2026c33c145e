package process_test

import (
	"bytes"
	"context"
	"image/png"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/card"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

func (f *fixture) object(t *testing.T, key string) ([]byte, track.ObjectInfo) {
	t.Helper()
	body, info, err := f.blobs.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	return b, info
}

// A track without cover art gets a card: a 1200×630 PNG drawn from its waveform, stored next
// to the other outputs, recorded on the item, the same after a repeated event, and gone with
// the track's other objects.
func TestTrackWithoutCoverGetsACard(t *testing.T) {
	f := newFixture(t)
	data, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "mp3", Seconds: 5}))
	if err != nil {
		t.Fatal(err)
	}
	tr := f.createWith(t, data, "audio/mpeg")
	e := event(t, "media", tr.OriginalKey, "ObjectCreated:Put")
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Get(context.Background(), tr.ID)
	if got.Status != track.StatusReady || got.CardKey != track.CardKey(tr.ID) || got.CoverKey != "" || got.CoverWidth != 0 {
		t.Fatalf("after processing: %+v", got)
	}
	first, info := f.object(t, got.CardKey)
	if info.ContentType != "image/png" {
		t.Errorf("card stored as %q", info.ContentType)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(first))
	if err != nil || cfg.Width != card.Width || cfg.Height != card.Height {
		t.Fatalf("card: %+v, %v", cfg, err)
	}

	f.now = f.now.Add(time.Hour)
	if err := f.h.Handle(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	again, _ := f.store.Get(context.Background(), tr.ID)
	second, _ := f.object(t, got.CardKey)
	if !reflect.DeepEqual(got, again) || !bytes.Equal(first, second) {
		t.Fatal("a duplicate event changed the track or its card")
	}

	if _, err := track.Purge(context.Background(), f.blobs, tr.ID); err != nil {
		t.Fatal(err)
	}
	if keys := f.blobs.Keys("derived/" + tr.ID + "/"); len(keys) != 0 {
		t.Fatalf("left after the purge: %v", keys)
	}
}
