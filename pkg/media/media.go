// Package media turns an uploaded audio file into what listeners get: it sniffs the container
// from its magic bytes, reads tags and cover art, runs one hardened ffmpeg process that decodes
// once into an Ogg Vorbis preview, AAC HLS segments and raw PCM, and folds the PCM into waveform
// peaks while ffmpeg runs. Uploaded files are hostile: nothing here trusts a name, a declared
// type or a header it has not checked.
package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Format is a container sniffed from a file's first bytes.
type Format struct {
	Name     string   // "mp3", "flac", "ogg", "opus", "wav", "aiff", "mp4", "webm", "aac"
	Demuxer  string   // the ffmpeg demuxer forced with -f, and the only one on -format_whitelist
	Decoders []string // the ffmpeg decoders allowed by -codec_whitelist
}

// ErrNotAudio: the bytes are not in any supported audio container.
var ErrNotAudio = errors.New("media: not a supported audio file")

// SniffLen is how many leading bytes Sniff wants (fewer are fine for short files). It covers an
// ID3v2 tag of up to 1 MiB before the first MPEG frame, which is where covers make MP3s start late.
const SniffLen = 1<<20 + 64<<10

// SniffFile sniffs the size-byte file r. Unlike Sniff on a fixed-size head, it finds the audio
// after an ID3v2 tag of any size: MP3s with large embedded covers begin their first frame
// megabytes into the file.
func SniffFile(r io.ReaderAt, size int64) (Format, error) {
	head := make([]byte, min(size, SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return Format{}, fmt.Errorf("media: read head: %w", err)
	}
	f, err := Sniff(head)
	if err == nil || !bytes.HasPrefix(head, []byte("ID3")) {
		return f, err
	}
	var off int64
	var h [10]byte
	for tags := 0; tags < 4; tags++ {
		if _, err := r.ReadAt(h[:], off); err != nil || string(h[:3]) != "ID3" {
			break
		}
		// The checks of Sniff: versions 2 to 4, a syncsafe size.
		if h[3] < 2 || h[3] > 4 || h[4] == 0xFF || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
			return Format{}, ErrNotAudio
		}
		off += 10 + int64(h[6])<<21 | int64(h[7])<<14 | int64(h[8])<<7 | int64(h[9])
		if h[3] == 4 && h[5]&0x10 != 0 {
			off += 10 // ID3v2.4 footer
		}
	}
	if off+10 <= int64(len(head)) || off >= size {
		return Format{}, ErrNotAudio // Sniff saw past the tags already, or nothing follows them
	}
	window := make([]byte, 64<<10)
	n, err := r.ReadAt(window, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return Format{}, fmt.Errorf("media: read after the ID3 tag: %w", err)
	}
	return Sniff(bytes.TrimLeft(window[:n], "\x00"))
}
