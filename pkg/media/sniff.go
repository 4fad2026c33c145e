package media

import (
	"bytes"
	"encoding/binary"
)

// Sniff recognises the container of an upload from its first bytes (up to SniffLen of them) and
// returns the ffmpeg demuxer to force and the decoders to allow for it. It looks at magic bytes
// and checks the headers behind them; it never looks at a name or a declared type. Anything it
// does not recognise (an HLS playlist, an ffconcat script, text, HTML, an image, an MP3 whose
// ID3v2 tag runs past head, truncated headers, nothing at all) is ErrNotAudio.
//
// Demuxer and decoder names are those of the pinned ffmpeg build (the 2018 static 4.1): "mov"
// and "matroska" are accepted as names of its "mov,mp4,m4a,3gp,3g2,mj2" and "matroska,webm"
// demuxers by -f and by -format_whitelist.
func Sniff(head []byte) (Format, error) {
	switch {
	case bytes.HasPrefix(head, []byte("fLaC")):
		return formatFLAC(), nil
	case bytes.HasPrefix(head, []byte("OggS")):
		return sniffOgg(head)
	case len(head) >= 12 && string(head[:4]) == "RIFF" && string(head[8:12]) == "WAVE",
		len(head) >= 16 && string(head[:4]) == "RF64" && string(head[8:16]) == "WAVEds64":
		return formatWAV(), nil
	case len(head) >= 12 && string(head[:4]) == "FORM" &&
		(string(head[8:12]) == "AIFF" || string(head[8:12]) == "AIFC"):
		return formatAIFF(), nil
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		return sniffMP4(head)
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return sniffEBML(head)
	case bytes.HasPrefix(head, []byte("ID3")):
		return sniffID3(head)
	}
	if isADTS(head, 0) {
		return formatAAC(), nil
	}
	if isMPEG(head, 0) {
		return formatMP3(), nil
	}
	return Format{}, ErrNotAudio
}

// The formats Sniff returns, made afresh each time so that no caller can change another's.

func formatMP3() Format {
	return Format{Name: "mp3", Demuxer: "mp3", Decoders: []string{"mp3float", "mp3"}}
}

func formatFLAC() Format {
	return Format{Name: "flac", Demuxer: "flac", Decoders: []string{"flac"}}
}

func formatWAV() Format {
	return Format{Name: "wav", Demuxer: "wav", Decoders: []string{
		"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "pcm_u8",
		"pcm_alaw", "pcm_mulaw", "adpcm_ms", "adpcm_ima_wav",
	}}
}

// formatAIFF allows pcm_s16le and pcm_f64be besides the big-endian integers: AIFF-C's "sowt"
// (what macOS writes) is little-endian 16-bit, and "fl64" is 64-bit float.
func formatAIFF() Format {
	return Format{Name: "aiff", Demuxer: "aiff", Decoders: []string{
		"pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_f32be", "pcm_f64be", "pcm_s8",
		"pcm_s16le", "pcm_alaw", "pcm_mulaw",
	}}
}

func formatMP4() Format {
	return Format{Name: "mp4", Demuxer: "mov", Decoders: []string{"aac", "aac_fixed", "alac", "mp3float", "mp3"}}
}

func formatWebM() Format {
	return Format{Name: "webm", Demuxer: "matroska", Decoders: []string{"opus", "libopus", "vorbis"}}
}

func formatAAC() Format {
	return Format{Name: "aac", Demuxer: "aac", Decoders: []string{"aac", "aac_fixed"}}
}

// sniffID3 skips the ID3v2 tags at the start of head and recognises what follows: FLAC, ADTS
// AAC or an MPEG audio frame. Taggers sometimes pad beyond the declared size with zeros; those
// are skipped too.
func sniffID3(head []byte) (Format, error) {
	off := 0
	for tags := 0; tags < 4 && len(head)-off >= 10 && string(head[off:off+3]) == "ID3"; tags++ {
		h := head[off : off+10]
		// Version 2–4, revision not 0xFF, and a syncsafe size (high bit of each byte clear).
		if h[3] < 2 || h[3] > 4 || h[4] == 0xFF || (h[6]|h[7]|h[8]|h[9])&0x80 != 0 {
			return Format{}, ErrNotAudio
		}
		size := int(h[6])<<21 | int(h[7])<<14 | int(h[8])<<7 | int(h[9])
		off += 10 + size
		if h[3] == 4 && h[5]&0x10 != 0 { // ID3v2.4 footer present
			off += 10
		}
	}
	if off >= len(head) {
		return Format{}, ErrNotAudio
	}
	for off < len(head) && head[off] == 0 {
		off++
	}
	switch {
	case bytes.HasPrefix(head[off:], []byte("fLaC")):
		return formatFLAC(), nil
	case isADTS(head, off):
		return formatAAC(), nil
	case isMPEG(head, off):
		return formatMP3(), nil
	}
	return Format{}, ErrNotAudio
}

// mpegFrameLen returns the length of the MPEG audio Layer III frame whose header starts at
// head[off], or 0 if there is no valid one: 11 sync bits, a version and layer that are not
// reserved, Layer III (the only layer the mp3 decoders decode), a bitrate index that is neither
// free format (0) nor bad (15), and a sample rate index that is not reserved (3).
func mpegFrameLen(head []byte, off int) int {
	if off < 0 || len(head)-off < 4 {
		return 0
	}
	h := head[off : off+4]
	if h[0] != 0xFF || h[1]&0xE0 != 0xE0 {
		return 0
	}
	version := h[1] >> 3 & 3 // 0: MPEG 2.5, 1: reserved, 2: MPEG 2, 3: MPEG 1
	layer := h[1] >> 1 & 3   // 1: Layer III
	bitrateIndex := h[2] >> 4
	rateIndex := h[2] >> 2 & 3
	padding := int(h[2] >> 1 & 1)
	if version == 1 || layer != 1 || bitrateIndex == 0 || bitrateIndex == 15 || rateIndex == 3 {
		return 0
	}
	var kbps, rate int
	if version == 3 {
		kbps = [...]int{0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}[bitrateIndex]
		rate = [...]int{44100, 48000, 32000}[rateIndex]
		return 144*kbps*1000/rate + padding
	}
	kbps = [...]int{0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}[bitrateIndex]
	rate = [...]int{22050, 24000, 16000}[rateIndex]
	if version == 0 {
		rate /= 2
	}
	return 72*kbps*1000/rate + padding
}

// isMPEG reports whether a Layer III frame header starts at head[off] and, when head holds the
// start of the next frame, whether another one follows it.
func isMPEG(head []byte, off int) bool {
	n := mpegFrameLen(head, off)
	if n == 0 {
		return false
	}
	if len(head)-(off+n) < 4 {
		return true
	}
	return mpegFrameLen(head, off+n) != 0
}

// adtsFrameLen returns the length of the ADTS AAC frame whose header starts at head[off], or 0
// if there is no valid one: 12 sync bits, layer 0, a sample rate index below 13 and a frame
// length that holds at least the header.
func adtsFrameLen(head []byte, off int) int {
	if off < 0 || len(head)-off < 7 {
		return 0
	}
	h := head[off : off+7]
	if h[0] != 0xFF || h[1]&0xF6 != 0xF0 {
		return 0
	}
	if h[2]>>2&0xF >= 13 {
		return 0
	}
	n := int(h[3]&3)<<11 | int(h[4])<<3 | int(h[5]>>5)
	headerLen := 7
	if h[1]&1 == 0 { // CRC present
		headerLen = 9
	}
	if n < headerLen {
		return 0
	}
	return n
}

// isADTS reports whether an ADTS header starts at head[off] and, when head holds the start of
// the next frame, whether another one follows it.
func isADTS(head []byte, off int) bool {
	n := adtsFrameLen(head, off)
	if n == 0 {
		return false
	}
	if len(head)-(off+n) < 7 {
		return true
	}
	return adtsFrameLen(head, off+n) != 0
}

// sniffOgg recognises the codec from the first packet of the first Ogg page.
func sniffOgg(head []byte) (Format, error) {
	// 27 bytes of page header: capture pattern, version 0, flags (beginning of stream set), …,
	// the segment count; then the segment table, then the packet data.
	if len(head) < 27 || head[4] != 0 || head[5]&0x02 == 0 {
		return Format{}, ErrNotAudio
	}
	segments := int(head[26])
	if len(head) < 27+segments || segments == 0 {
		return Format{}, ErrNotAudio
	}
	packet := head[27+segments:]
	switch {
	case bytes.HasPrefix(packet, []byte("\x01vorbis")):
		return Format{Name: "ogg", Demuxer: "ogg", Decoders: []string{"vorbis"}}, nil
	case bytes.HasPrefix(packet, []byte("OpusHead")):
		return Format{Name: "opus", Demuxer: "ogg", Decoders: []string{"opus", "libopus"}}, nil
	case bytes.HasPrefix(packet, []byte("\x7fFLAC")):
		return Format{Name: "ogg", Demuxer: "ogg", Decoders: []string{"flac"}}, nil
	}
	return Format{}, ErrNotAudio
}

// mp4Brands are the ftyp brands of files that may hold audio ffmpeg's mov demuxer reads. "3gp"
// stands for every 3GPP brand ("3gp4", "3gp5", …). QuickTime ("qt  ") and protected iTunes
// ("M4P ") files are not among them.
var mp4Brands = []string{"M4A ", "M4B ", "mp41", "mp42", "isom", "dash", "iso2", "iso3", "iso4", "iso5", "iso6", "3gp"}

func mp4Brand(b []byte) bool {
	for _, brand := range mp4Brands {
		if bytes.HasPrefix(b, []byte(brand)) {
			return true
		}
	}
	return false
}

// sniffMP4 accepts an ftyp box whose major brand, or one of whose compatible brands, is an audio
// brand; a QuickTime major brand is refused whatever the compatible brands say.
func sniffMP4(head []byte) (Format, error) {
	size := int(binary.BigEndian.Uint32(head))
	if size < 16 || size > 4096 || size%4 != 0 {
		return Format{}, ErrNotAudio
	}
	major := head[8:12]
	if string(major) == "qt  " {
		return Format{}, ErrNotAudio
	}
	if mp4Brand(major) {
		return formatMP4(), nil
	}
	for off := 16; off+4 <= size && off+4 <= len(head); off += 4 {
		if mp4Brand(head[off : off+4]) {
			return formatMP4(), nil
		}
	}
	return Format{}, ErrNotAudio
}

// sniffEBML walks the elements of the EBML header for a DocType of "webm" or "matroska".
func sniffEBML(head []byte) (Format, error) {
	off := 4
	size, n := ebmlVint(head[off:], true)
	if n == 0 || size > 4096 {
		return Format{}, ErrNotAudio
	}
	off += n
	end := off + int(size)
	if end > len(head) {
		return Format{}, ErrNotAudio
	}
	for off < end {
		id, n := ebmlID(head[off:end])
		if n == 0 {
			return Format{}, ErrNotAudio
		}
		off += n
		size, n := ebmlVint(head[off:end], true)
		if n == 0 || size > uint64(end-off-n) {
			return Format{}, ErrNotAudio
		}
		off += n
		if id == 0x4282 { // DocType
			switch string(bytes.TrimRight(head[off:off+int(size)], "\x00")) {
			case "webm", "matroska":
				return formatWebM(), nil
			}
			return Format{}, ErrNotAudio
		}
		off += int(size)
	}
	return Format{}, ErrNotAudio
}

// ebmlVint decodes the variable-length integer at the start of b and returns it with its length,
// or a length of 0 if b does not start with one. With mask, the length marker bit is cleared
// (a size); without, it is kept (an element ID).
func ebmlVint(b []byte, mask bool) (uint64, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for b[0]&(0x80>>(n-1)) == 0 {
		n++
	}
	if n > len(b) {
		return 0, 0
	}
	v := uint64(b[0])
	if mask {
		v &= 0xFF >> n
	}
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
	}
	return v, n
}

// ebmlID decodes an element ID: at most 4 bytes, marker bit kept.
func ebmlID(b []byte) (uint64, int) {
	id, n := ebmlVint(b, false)
	if n > 4 {
		return 0, 0
	}
	return id, n
}
