package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// unknownSize marks an element of unknown size in ebml's size argument.
const unknownSize = -1

// ebml returns an EBML element: its ID (marker bits included, as the specification writes
// them), its size as an 8-byte variable-length integer (or the unknown size), then data.
func ebml(id uint32, size int, data ...[]byte) []byte {
	body := bytes.Join(data, nil)
	b := binary.BigEndian.AppendUint32(nil, id)
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	switch size {
	case unknownSize:
		b = append(b, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF)
	default:
		if size < 0 {
			size = len(body)
		}
		b = append(b, 0x01)
		b = append(b, binary.BigEndian.AppendUint64(nil, uint64(size))[1:]...)
	}
	return append(b, body...)
}

// el returns an EBML element whose size is its data's.
func el(id uint32, data ...[]byte) []byte { return ebml(id, -2, data...) }

func ebmlUint(id uint32, v uint64) []byte { return el(id, binary.BigEndian.AppendUint64(nil, v)) }

var ebmlHead = el(0x1A45DFA3, el(0x4282, []byte("webm")))

// mkv returns a WebM file: the EBML header and a Segment of size size (-2: its data's) holding
// children.
func mkv(size int, children ...[]byte) []byte {
	return append(bytes.Clone(ebmlHead), ebml(0x18538067, size, children...)...)
}

// mkvTag returns a Tag of the SimpleTags name, value, name, value... with targets (nil: none).
func mkvTag(targets []byte, pairs ...string) []byte {
	parts := [][]byte{el(0x63C0, targets)}
	for i := 0; i < len(pairs); i += 2 {
		parts = append(parts, el(0x67C8, el(0x45A3, []byte(pairs[i])), el(0x4487, []byte(pairs[i+1]))))
	}
	return el(0x7373, parts...)
}

func mkvTags(tags ...[]byte) []byte { return el(0x1254C367, tags...) }
func mkvInfo(title string) []byte   { return el(0x1549A966, el(0x7BA9, []byte(title))) }
func level(v uint64) []byte         { return ebmlUint(0x68CA, v) }
func mkvCluster(size int) []byte {
	return ebml(0x1F43B675, size, ebmlUint(0xE7, 0), el(0xA3, make([]byte, 40)))
}
func seekTo(id uint32, pos uint64) []byte {
	return el(0x4DBB, el(0x53AB, binary.BigEndian.AppendUint32(nil, id)), ebmlUint(0x53AC, pos))
}

// seekHeadLen is the length of a SeekHead of n entries made by seekTo.
func seekHeadLen(n int) int { return len(el(0x114D9B74, bytes.Repeat(seekTo(0x1254C367, 0), n))) }

// TestReadTagsWebM reads hand-made WebM files, hostile ones among them: every one gives the tags
// it holds before any damage, or none, and no error.
func TestReadTagsWebM(t *testing.T) {
	full := mkvTag(nil, "TITLE", "Title", "ARTIST", "Artist", "ALBUM", "Album", "GENRE", "Genre",
		"DATE_RELEASED", "2024-05-06", "PART_NUMBER", "3")
	fullTags := track.Tags{Title: "Title", Artist: "Artist", Album: "Album", Genre: "Genre", Year: 2024, Track: 3}

	// Tags after the clusters, found through the SeekHead; positions count from the Segment's data.
	afterClusters := func(segSize, clusterSize int) []byte {
		info := mkvInfo("Info title")
		cluster := mkvCluster(clusterSize)
		pos := seekHeadLen(1) + len(info) + 2*len(cluster)
		return mkv(segSize, el(0x114D9B74, seekTo(0x1254C367, uint64(pos))), info, cluster, cluster, mkvTags(full))
	}
	seekTwice := func() []byte {
		pos := seekHeadLen(2)
		return mkv(-2, el(0x114D9B74, seekTo(0x1254C367, uint64(pos)), seekTo(0x1254C367, uint64(pos))), mkvTags(full), mkvCluster(-2))
	}
	// A first SeekHead pointing at a second at the end, which points back at the Tags before it,
	// at the first and at itself.
	chained := func(withTags bool) []byte {
		info := mkvInfo("Info title")
		cluster := mkvCluster(unknownSize)
		tags := mkvTags(full)
		if !withTags {
			tags = el(0xEC, make([]byte, len(tags)-9)) // a Void of the same length
		}
		posTags := seekHeadLen(1) + len(info) + 2*len(cluster)
		posSH2 := posTags + len(tags)
		return mkv(unknownSize, el(0x114D9B74, seekTo(0x114D9B74, uint64(posSH2))), info, cluster, cluster, tags,
			el(0x114D9B74, seekTo(0x1254C367, uint64(posTags)), seekTo(0x114D9B74, 0), seekTo(0x114D9B74, uint64(posSH2))))
	}
	var voids [][]byte
	for range 2000 {
		voids = append(voids, el(0xEC))
	}
	// A SeekHead pointing at itself, before the Segment, past the end, and at a Cluster.
	selfish := mkv(-2, el(0x114D9B74, seekTo(0x1254C367, 0), seekTo(0x1254C367, 1<<63), seekTo(0x1254C367, 1<<40),
		seekTo(0x1254C367, uint64(seekHeadLen(4)))), mkvCluster(-2), mkvInfo("Only the info"))
	truncated := mkv(-2, mkvTags(mkvTag(nil, "TITLE", "Kept", "ARTIST", "Cut off here")))
	truncated = truncated[:len(truncated)-5]

	tests := []struct {
		name string
		data []byte
		want track.Tags
	}{
		{"tags before the clusters", mkv(-2, mkvInfo("Info title"), mkvTags(full), mkvCluster(-2)), fullTags},
		{"tags after clusters of unknown size, segment of unknown size", afterClusters(unknownSize, unknownSize), fullTags},
		{"tags after clusters of known size", afterClusters(-2, -2), fullTags},
		{"a SeekHead listing the same Tags twice", seekTwice(), fullTags},
		{"a second SeekHead at the end, pointing back at the Tags", chained(true), fullTags},
		{"SeekHeads pointing at each other and themselves", chained(false), track.Tags{Title: "Info title"}},
		{"tags after the clusters, no SeekHead", mkv(-2, mkvInfo("Info title"), mkvCluster(-2), mkvTags(full)), track.Tags{Title: "Info title"}},
		{"Info Title alone", mkv(-2, mkvInfo("Info title")), track.Tags{Title: "Info title"}},
		{"a TITLE tag beats the Info Title", mkv(-2, mkvInfo("Info title"), mkvTags(mkvTag(nil, "TITLE", "Tag title"))), track.Tags{Title: "Tag title"}},
		{"track and album levels", mkv(-2, mkvTags(
			mkvTag(level(50), "TITLE", "The Album", "ARTIST", "Album Artist", "DATE_RELEASED", "2020"),
			mkvTag(level(30), "TITLE", "The Song", "ARTIST", "The Singer", "PART_NUMBER", "7"))),
			track.Tags{Title: "The Song", Artist: "The Singer", Album: "The Album", Year: 2020, Track: 7}},
		{"a stream's tags below untargeted ones", mkv(-2, mkvTags(
			mkvTag(ebmlUint(0x63C5, 1234), "TITLE", "Stream title", "ENCODER", "Lavc"),
			mkvTag(nil, "TITLE", "Song"))), track.Tags{Title: "Song"}},
		{"a stream's tags when alone", mkv(-2, mkvTags(mkvTag(ebmlUint(0x63C5, 1234), "ARTIST", "Someone"))), track.Tags{Artist: "Someone"}},
		{"a chapter's tags ignored", mkv(-2, mkvTags(mkvTag(ebmlUint(0x63C4, 99), "TITLE", "Chapter one"))), track.Tags{}},
		{"Latin-1 and NULs", mkv(-2, mkvTags(mkvTag(nil, "TITLE", "Caf\xe9\x00\x00", "ARTIST", " Bj\xf6rk "))), track.Tags{Title: "Café", Artist: "Björk"}},
		{"bidi override dropped", mkv(-2, mkvTags(mkvTag(nil, "TITLE", "song\u202e3pm.exe"))), track.Tags{Title: "song3pm.exe"}},
		{"Tags cut short", truncated, track.Tags{Title: "Kept", Artist: "Cut off"}},
		{"Tags of 2^56 bytes in a short file", mkv(unknownSize, ebml(0x1254C367, 1<<56-2, mkvTag(nil, "TITLE", "Kept"))), track.Tags{Title: "Kept"}},
		{"a skipped element of 2^56 bytes first", mkv(-2, ebml(0xEC, 1<<56-2), mkvTags(full)), track.Tags{}},
		{"Tags of unknown size end the walk", mkv(-2, ebml(0x1254C367, unknownSize, full)), track.Tags{}},
		{"2000 elements before the Tags", mkv(-2, append(voids, mkvTags(full))...), track.Tags{}},
		{"a SeekHead pointing at itself, backwards, past the end and at a Cluster", selfish, track.Tags{}},
		{"Segment Info after the clusters ignored", mkv(-2, mkvCluster(-2), mkvInfo("Late")), track.Tags{}},
		{"no Segment", bytes.Clone(ebmlHead), track.Tags{}},
		{"not EBML", []byte("RIFF\x04\x00\x00\x00WAVE"), track.Tags{}},
		{"EBML header of unknown size", append([]byte{0x1A, 0x45, 0xDF, 0xA3, 0xFF}, mkvTags(full)...), track.Tags{}},
		{"an ID of 5 bytes", append(bytes.Clone(ebmlHead), 0x08, 0, 0, 0, 0, 0x80), track.Tags{}},
		{"empty", nil, track.Tags{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tags track.Tags
			var pic *media.Picture
			var err error
			n := allocated(func() {
				tags, pic, err = media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: "webm"})
			})
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags != tt.want || pic != nil {
				t.Errorf("ReadTags = %+v, %v; want %+v and no picture", tags, pic, tt.want)
			}
			if n > 4<<20 {
				t.Errorf("allocated %d bytes for a %d-byte file", n, len(tt.data))
			}
		})
	}
}

// attached returns an AttachedFile of name and MIME type holding data.
func attached(name, mime string, data []byte) []byte {
	return el(0x61A7, el(0x466E, []byte(name)), el(0x4660, []byte(mime)), el(0x465C, data), ebmlUint(0x46AE, 1))
}

func attachments(files ...[]byte) []byte { return el(0x1941A469, files...) }

// TestReadTagsWebMCover: the cover is the attachment named cover.*, else the first image, and
// only if its bytes are an image.
func TestReadTagsWebMCover(t *testing.T) {
	jpg := encoded(t, func(w io.Writer, m image.Image) error { return jpeg.Encode(w, m, nil) }, 30, 20)
	pngData := encoded(t, png.Encode, 31, 21)
	font := attached("font.ttf", "application/x-truetype-font", []byte("\x00\x01\x00\x00 not an image"))
	afterClusters := func() []byte {
		cluster := mkvCluster(unknownSize)
		pos := seekHeadLen(1) + len(cluster)
		return mkv(unknownSize, el(0x114D9B74, el(0x4DBB, el(0x53AB, []byte{0x19, 0x41, 0xA4, 0x69}), ebmlUint(0x53AC, uint64(pos)))),
			cluster, attachments(attached("cover.png", "image/png", pngData)))
	}
	big := attached("cover.jpg", "image/jpeg", append(bytes.Clone(jpg), make([]byte, media.MaxPictureSize+2<<20)...))
	tests := []struct {
		name string
		data []byte
		want []byte // nil: no picture
		tags track.Tags
	}{
		{"cover.jpg after a font", mkv(-2, attachments(font, attached("cover.jpg", "image/jpeg", jpg))), jpg, track.Tags{}},
		{"cover.* beats an earlier small_cover.*", mkv(-2, attachments(attached("small_cover.png", "image/png", pngData), attached("Cover.JPG", "image/jpeg", jpg))), jpg, track.Tags{}},
		{"any image when none is cover.*", mkv(-2, attachments(font, attached("back.png", "image/png", pngData))), pngData, track.Tags{}},
		{"the type from the bytes, not the MIME type", mkv(-2, attachments(attached("cover.jpg", "image/jpeg", pngData))), pngData, track.Tags{}},
		{"an image MIME type on other bytes", mkv(-2, attachments(attached("cover.jpg", "image/jpeg", []byte("not an image")))), nil, track.Tags{}},
		{"no image", mkv(-2, attachments(font)), nil, track.Tags{}},
		{"attachments after the clusters, through the SeekHead", afterClusters(), pngData, track.Tags{}},
		{"attachments too large skipped, tags after them read", mkv(-2, attachments(big), mkvTags(mkvTag(nil, "TITLE", "Kept"))), nil, track.Tags{Title: "Kept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, pic, err := media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: "webm"})
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags != tt.tags {
				t.Errorf("tags = %+v, want %+v", tags, tt.tags)
			}
			switch {
			case tt.want == nil && pic != nil:
				t.Errorf("picture of %d bytes, want none", len(pic.Data))
			case tt.want != nil && (pic == nil || !bytes.Equal(pic.Data, tt.want)):
				t.Errorf("picture = %v, want the %d bytes attached", pic, len(tt.want))
			}
		})
	}
}

// TestReadTagsWebMTooLarge: Tags larger than MaxMetadataSize are ErrMetadataTooLarge.
func TestReadTagsWebMTooLarge(t *testing.T) {
	big := mkv(-2, mkvTags(mkvTag(nil, "TITLE", "x"), el(0xEC, make([]byte, media.MaxMetadataSize))))
	_, _, err := media.ReadTags(bytes.NewReader(big), media.Format{Name: "webm"})
	if !errors.Is(err, media.ErrMetadataTooLarge) {
		t.Fatalf("ReadTags error = %v, want ErrMetadataTooLarge", err)
	}
}

// FuzzWebMTags feeds ReadTags mutations of WebM and Matroska files made by ffmpeg and by hand.
// Without -fuzz, go test runs it on the seeds alone.
func FuzzWebMTags(f *testing.F) {
	dir := mediatest.Dir(f)
	for _, spec := range []mediatest.Spec{
		{Format: "webm", Tags: mediatest.Tags, Seconds: 0.05},
		{Format: "mka", Tags: mediatest.Tags, Cover: "jpeg", Seconds: 0.05},
	} {
		b, err := os.ReadFile(mediatest.Generate(f, dir, spec))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	tag := mkvTags(mkvTag(level(50), "TITLE", "Album"), mkvTag(level(30), "TITLE", "Song", "ARTIST", "Caf\xe9"))
	f.Add(mkv(unknownSize, el(0x114D9B74, seekTo(0x1254C367, uint64(seekHeadLen(1)+len(mkvCluster(unknownSize))))),
		mkvCluster(unknownSize), tag))
	f.Add(mkv(-2, mkvInfo("Info"), tag))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, pic, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "webm"})
		if err == nil {
			checkTags(t, tags, pic)
		} else if strings.Contains(err.Error(), "panic") {
			t.Fatal(err) // ReadTags recovers, but its readers must not panic
		}
	})
}
