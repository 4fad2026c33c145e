package media

import (
	"bytes"
	"encoding/binary"
	"image"
	_ "image/gif" // registered for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
)

// Picture is a cover image embedded in an upload, checked from its own bytes.
type Picture struct {
	MIMEType string // "image/jpeg", "image/png", "image/gif" or "image/webp"
	Ext      string // "jpg", "png", "gif" or "webp", without a dot
	Data     []byte
	Width    int
	Height   int
}

// picture checks data as a cover: its type from its magic bytes, never from what the tag says,
// and its dimensions from its header. It returns nil for anything it would not keep.
func picture(data []byte) *Picture {
	if len(data) == 0 || len(data) > MaxPictureSize {
		return nil
	}
	p := &Picture{Data: data}
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xD8, 0xFF}):
		p.MIMEType, p.Ext = "image/jpeg", "jpg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		p.MIMEType, p.Ext = "image/png", "png"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		p.MIMEType, p.Ext = "image/gif", "gif"
	case len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP":
		p.MIMEType, p.Ext = "image/webp", "webp"
	default:
		return nil
	}
	if p.Ext == "webp" {
		p.Width, p.Height = webpSize(data)
	} else if c, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil {
		p.Width, p.Height = c.Width, c.Height
	}
	if p.Width <= 0 || p.Height <= 0 || p.Width > MaxPictureSide || p.Height > MaxPictureSide {
		return nil
	}
	return p
}

// webpSize reads the canvas size of a WebP image from its first chunk (lossy "VP8 ", lossless
// "VP8L" or extended "VP8X"), or returns zeros. The standard library has no WebP decoder.
func webpSize(b []byte) (w, h int) {
	if len(b) < 30 {
		return 0, 0
	}
	chunk, data := string(b[12:16]), b[20:]
	switch chunk {
	case "VP8X": // flags and reserved (4), canvas width-1 and height-1 (24 bits LE each)
		w = 1 + (int(data[4]) | int(data[5])<<8 | int(data[6])<<16)
		h = 1 + (int(data[7]) | int(data[8])<<8 | int(data[9])<<16)
		return w, h
	case "VP8 ": // frame tag (3), start code 9d 01 2a, width and height (14 bits LE each)
		if data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
			return 0, 0
		}
		return int(binary.LittleEndian.Uint16(data[6:]) & 0x3FFF), int(binary.LittleEndian.Uint16(data[8:]) & 0x3FFF)
	case "VP8L": // signature 0x2f, then width-1 and height-1 (14 bits each)
		if data[0] != 0x2f {
			return 0, 0
		}
		v := binary.LittleEndian.Uint32(data[1:])
		return 1 + int(v&0x3FFF), 1 + int(v>>14&0x3FFF)
	}
	return 0, 0
}
