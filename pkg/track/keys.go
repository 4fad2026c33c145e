package track

import "strings"

// Prefixes of the media bucket. Every object of a track lives under one of them followed by its ID
// and a slash, so a track's objects are found from its ID alone, and an object's track from its key.
const (
	UploadsPrefix = "uploads/"
	DerivedPrefix = "derived/"
)

// OriginalKey returns the key of an original upload.
func OriginalKey(id, unique string) string { return UploadsPrefix + id + "/" + unique }

// IDFromKey returns the track ID of an object key under UploadsPrefix or DerivedPrefix, and false
// for any other key.
func IDFromKey(key string) (string, bool) {
	var rest string
	switch {
	case strings.HasPrefix(key, UploadsPrefix):
		rest = key[len(UploadsPrefix):]
	case strings.HasPrefix(key, DerivedPrefix):
		rest = key[len(DerivedPrefix):]
	default:
		return "", false
	}
	id, tail, ok := strings.Cut(rest, "/")
	if !ok || tail == "" || !ValidID(id) {
		return "", false
	}
	return id, true
}

// Keys of a track's derived objects. They are deterministic, so that processing the same upload
// twice writes the same objects, never new ones.
func PreviewKey(id string) string  { return DerivedPrefix + id + "/preview.ogg" }
func WaveformKey(id string) string { return DerivedPrefix + id + "/waveform.json" }
func PlaylistKey(id string) string { return DerivedPrefix + id + "/hls/index.m3u8" }
func SegmentKey(id, name string) string {
	return DerivedPrefix + id + "/hls/" + name
}
func CoverKey(id, ext string) string { return DerivedPrefix + id + "/cover." + ext }

// CardKey is the link-preview picture of a track without cover art (pkg/card).
func CardKey(id string) string { return DerivedPrefix + id + "/card.png" }
