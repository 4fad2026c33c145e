package process

import (
	"bytes"
	"fmt"
	"image"

	"github.com/soundtime/soundtime/pkg/card"
	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/track"
)

// cardPut draws the link-preview picture of a track without cover art from its waveform, in the
// app's own colours (a track without a cover has no theme of its own), to be stored at CardKey.
// The drawing is deterministic, so a repeated run writes the same bytes under the same key.
func cardPut(id string, w media.Waveform) (put, error) {
	png, err := card.Draw(w.Data, w.Channels, card.Default)
	if err != nil {
		return put{}, fmt.Errorf("process: card: %w", err)
	}
	return put{key: track.CardKey(id), data: png, typ: "image/png"}, nil
}

// coverSize reads the cover's size from its header (the decoders theme registers: JPEG, PNG,
// GIF), 0×0 for a picture Go cannot read. It decodes no pixel.
func coverSize(data []byte) (width, height int) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return 0, 0
	}
	return cfg.Width, cfg.Height
}
