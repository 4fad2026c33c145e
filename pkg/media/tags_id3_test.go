package media_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
)

// id3 returns an ID3v2.3 tag holding frames (each made by frame) followed by an MPEG frame
// header, so that it sniffs as MP3.
func id3(frames ...[]byte) []byte {
	body := bytes.Join(frames, nil)
	n := len(body)
	b := []byte{'I', 'D', '3', 3, 0, 0, byte(n >> 21 & 0x7F), byte(n >> 14 & 0x7F), byte(n >> 7 & 0x7F), byte(n & 0x7F)}
	b = append(b, body...)
	return append(b, 0xFF, 0xFB, 0x90, 0x00)
}

// frame returns an ID3v2.3 frame.
func frame(id string, data []byte) []byte {
	b := []byte(id)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, 0, 0)
	return append(b, data...)
}

// text returns a UTF-8 (encoding 3) text frame: ID3v2.3 does not define it, but taggers write
// it, so a reader must cope with whatever bytes come in it.
func text(id, s string) []byte { return frame(id, append([]byte{3}, s...)) }

// apic returns a front-cover APIC frame claiming mime for data.
func apic(mime string, data []byte) []byte {
	b := append([]byte{0}, mime...)
	b = append(b, 0, 3)
	b = append(b, "cover"...)
	b = append(b, 0)
	return frame("APIC", append(b, data...))
}

// TestReadTagsUnsynchronised: an ID3v2 tag with unsynchronisation has FF 00 read as FF.
func TestReadTagsUnsynchronised(t *testing.T) {
	// TIT2 in ISO-8859-1: "ÿ" is FF, written FF 00 under unsynchronisation.
	body := []byte("TIT2\x00\x00\x00\x03\x00\x00\x00\xff\x00\xff\x00")
	body = append(body, "TPE1\x00\x00\x00\x02\x00\x00\x00A"...)
	b := []byte{'I', 'D', '3', 3, 0, 0x80, 0, 0, 0, byte(len(body))}
	b = append(b, body...)
	tags, _, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "mp3"})
	if err != nil || tags.Title != "ÿÿ" || tags.Artist != "A" {
		t.Fatalf("ReadTags = %+v, %v; want title ÿÿ, artist A", tags, err)
	}
}
