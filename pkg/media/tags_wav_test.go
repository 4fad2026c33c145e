package media_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// riffChunk returns a RIFF chunk: its ID, the little-endian length of data, data, and a pad byte
// if the length is odd.
func riffChunk(id string, data []byte) []byte {
	b := append([]byte(id), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	b = append(b, data...)
	if len(data)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// wavFile returns a WAVE file of form ("RIFF", "RF64" or "BW64") holding chunks.
func wavFile(form string, chunks ...[]byte) []byte {
	body := append([]byte("WAVE"), bytes.Join(chunks, nil)...)
	size := uint32(len(body))
	if form != "RIFF" {
		size = 0xFFFFFFFF
	}
	return append(append([]byte(form), binary.LittleEndian.AppendUint32(nil, size)...), body...)
}

// infoList returns a LIST/INFO chunk of the subchunks id, value, id, value..., each value
// NUL-terminated as INFO strings are.
func infoList(pairs ...string) []byte {
	b := []byte("INFO")
	for i := 0; i < len(pairs); i += 2 {
		b = append(b, riffChunk(pairs[i], append([]byte(pairs[i+1]), 0))...)
	}
	return riffChunk("LIST", b)
}

// fmtChunk is the format chunk of 16-bit mono PCM at 44.1 kHz, and pcm a few samples of it.
var (
	fmtChunk = riffChunk("fmt ", []byte{1, 0, 1, 0, 0x44, 0xAC, 0, 0, 0x88, 0x58, 1, 0, 2, 0, 16, 0})
	pcm      = riffChunk("data", make([]byte, 64))
)

// id3Of returns the ID3v2 tag at the start of the file at path.
func id3Of(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 10 || string(b[:3]) != "ID3" {
		t.Fatalf("%s does not start with an ID3v2 tag", path)
	}
	n := 10 + int(b[6])<<21 | int(b[7])<<14 | int(b[8])<<7 | int(b[9])
	return b[:n]
}

// withChunk returns the WAVE file b with chunk inserted at offset at (or appended if at is
// past the end) and its RIFF size made right.
func withChunk(b []byte, at int, chunk []byte) []byte {
	at = min(at, len(b))
	out := append(append(append([]byte(nil), b[:at]...), chunk...), b[at:]...)
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out
}

// TestReadTagsWAVID3: a WAV made by ffmpeg with INFO tags, given an ID3 chunk holding the ID3v2
// tag ffmpeg wrote into an MP3 (ffmpeg's own WAV muxer here cannot write one). The ID3 fields
// win, INFO fills the fields ID3 lacks, and the ID3 cover is read.
func TestReadTagsWAVID3(t *testing.T) {
	dir := mediatest.Dir(t)
	wav, err := os.ReadFile(mediatest.Generate(t, dir, mediatest.Spec{Format: "wav", Tags: mediatest.Tags, Seconds: 0.2}))
	if err != nil {
		t.Fatal(err)
	}
	id3Tags := track.Tags{Title: "ID3 Title", Artist: "ID3 Artist", Year: 1999}
	tag := id3Of(t, mediatest.Generate(t, dir, mediatest.Spec{Format: "mp3", Tags: id3Tags, Cover: "jpeg", Seconds: 0.2}))
	_, cover := mediatest.Cover(t, dir, "jpeg")
	want := mediatest.Tags
	want.Title, want.Artist, want.Year = id3Tags.Title, id3Tags.Artist, id3Tags.Year
	noINFO := wavFile("RIFF", fmtChunk, pcm)

	tests := []struct {
		name string
		data []byte
		want track.Tags
	}{
		{"id3 chunk at the end", withChunk(wav, len(wav), riffChunk("id3 ", tag)), want},
		{"ID3 chunk at the end", withChunk(wav, len(wav), riffChunk("ID3 ", tag)), want},
		{"id3 chunk before the others", withChunk(wav, 12, riffChunk("id3 ", tag)), want},
		{"id3 chunk of odd length before INFO", withChunk(wav, 12, riffChunk("id3 ", append(tag, 0))), want},
		{"id3 chunk alone", withChunk(noINFO, len(noINFO), riffChunk("id3 ", tag)), id3Tags},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tags, pic, err := media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: "wav"})
			if err != nil {
				t.Fatalf("ReadTags: %v", err)
			}
			if tags != tt.want {
				t.Errorf("tags = %+v, want %+v", tags, tt.want)
			}
			if pic == nil || !bytes.Equal(pic.Data, cover) {
				t.Errorf("picture = %v, want the cover given to ffmpeg", pic)
			}
		})
	}
}

// TestReadTagsWAV reads hand-made WAVE files, hostile ones among them: every one gives the tags
// it holds before any damage, or none, and no error unless ID3 is all there is and it is broken.
func TestReadTagsWAV(t *testing.T) {
	info := infoList("INAM", "Title", "IART", "Artist", "IPRD", "Album", "IGNR", "Genre", "ICRD", "2024-05-06", "IPRT", "3/12")
	full := track.Tags{Title: "Title", Artist: "Artist", Album: "Album", Genre: "Genre", Year: 2024, Track: 3}
	ds64 := riffChunk("ds64", binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(make([]byte, 0, 28), 1000), 64))
	bigData := append([]byte("data\xff\xff\xff\xff"), make([]byte, 64)...)
	lyingList := append([]byte("LIST\xf0\xff\xff\xffINFO"), riffChunk("INAM", []byte("Kept\x00"))...)
	var many [][]byte
	for range 2000 {
		many = append(many, riffChunk("junk", nil))
	}
	tests := []struct {
		name    string
		data    []byte
		want    track.Tags
		wantErr bool
	}{
		{"INFO before data", wavFile("RIFF", fmtChunk, info, pcm), full, false},
		{"INFO after data", wavFile("RIFF", fmtChunk, pcm, info), full, false},
		{"INFO after an odd chunk", wavFile("RIFF", fmtChunk, riffChunk("odd ", []byte{1, 2, 3}), pcm, info), full, false},
		{"RF64, INFO after data sized by ds64", wavFile("RF64", ds64, fmtChunk, bigData, info), full, false},
		{"BW64, INFO after data sized by ds64", wavFile("BW64", ds64, fmtChunk, bigData, info), full, false},
		{"RIFF, data of 4 GiB: INFO past it unreachable", wavFile("RIFF", fmtChunk, bigData, info), track.Tags{}, false},
		{"first INFO wins", wavFile("RIFF", infoList("INAM", "One"), infoList("INAM", "Two")), track.Tags{Title: "One"}, false},
		{"other LIST types skipped", wavFile("RIFF", riffChunk("LIST", []byte("adtlINAM\x04\x00\x00\x00Nope")), infoList("INAM", "Yes")), track.Tags{Title: "Yes"}, false},
		{"Latin-1", wavFile("RIFF", infoList("INAM", "Caf\xe9 \xfc", "IART", "Bj\xf6rk")), track.Tags{Title: "Café ü", Artist: "Björk"}, false},
		{"UTF-8 kept", wavFile("RIFF", infoList("INAM", "Café ü", "IART", "Björk")), track.Tags{Title: "Café ü", Artist: "Björk"}, false},
		{"NUL padding and spaces trimmed", wavFile("RIFF", infoList("INAM", " Title \x00\x00\x00garbage")), track.Tags{Title: "Title"}, false},
		{"control characters and bidi overrides", wavFile("RIFF", infoList("INAM", "song\u202e3pm.exe\r\n")), track.Tags{Title: "song3pm.exe"}, false},
		{"numbers out of range", wavFile("RIFF", infoList("ICRD", "123456", "IPRT", "-1")), track.Tags{}, false},
		{"subchunk past the end of INFO", wavFile("RIFF", riffChunk("LIST", []byte("INFOINAM\x04\x00\x00\x00KeptIART\xff\xff\x00\x00Cut"))), track.Tags{Title: "Kept", Artist: "Cut"}, false},
		{"LIST of 4 GiB, file cut short", append(wavFile("RIFF", fmtChunk), lyingList...), track.Tags{Title: "Kept"}, false},
		{"chunk header cut short", append(wavFile("RIFF", info), "LI"...), full, false},
		{"2000 chunks before INFO", wavFile("RIFF", append(many, info)...), track.Tags{}, false},
		{"INFO after a broken ID3 chunk", wavFile("RIFF", riffChunk("id3 ", []byte("ID3\x03\x00\x00\x00\x00\x00\x10garbage")), info), full, false},
		{"ID3 chunk of 4 GiB", wavFile("RIFF", []byte("id3 \xff\xff\xff\xffID3\x03\x00\x00\x7f\x7f\x7f\x7f")), track.Tags{}, true},
		{"ID3 chunk shorter than an ID3 header, INFO after", wavFile("RIFF", riffChunk("id3 ", []byte("ID3\x03")), info), full, false},
		{"ID3 chunk shorter than an ID3 header", wavFile("RIFF", riffChunk("id3 ", []byte("ID3\x03")), pcm), track.Tags{}, false},
		{"ID3 chunk not ID3", wavFile("RIFF", riffChunk("id3 ", []byte("nothing"))), track.Tags{}, false},
		{"not WAVE", append([]byte("RIFF\x04\x00\x00\x00AVI "), info...), track.Tags{}, false},
		{"header only", []byte("RIFF\x04\x00\x00\x00WAVE"), track.Tags{}, false},
		{"empty", nil, track.Tags{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tags track.Tags
			var pic *media.Picture
			var err error
			n := allocated(func() {
				tags, pic, err = media.ReadTags(bytes.NewReader(tt.data), media.Format{Name: "wav"})
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("ReadTags error = %v, want an error: %v", err, tt.wantErr)
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

// TestReadTagsWAVTooLarge: an INFO chunk far past MaxMetadataSize into the file is not reached;
// one ID3 chunk larger than it is ErrMetadataTooLarge, as for an MP3.
func TestReadTagsWAVTooLarge(t *testing.T) {
	big := riffChunk("id3 ", append([]byte("ID3\x03\x00\x00\x7f\x7f\x7f\x7f"), make([]byte, media.MaxMetadataSize)...))
	_, _, err := media.ReadTags(bytes.NewReader(wavFile("RIFF", big)), media.Format{Name: "wav"})
	if !errors.Is(err, media.ErrMetadataTooLarge) {
		t.Fatalf("ReadTags error = %v, want ErrMetadataTooLarge", err)
	}
}

// FuzzWAVTags feeds ReadTags mutations of WAVE files made by ffmpeg and by hand. Without -fuzz,
// go test runs it on the seeds alone.
func FuzzWAVTags(f *testing.F) {
	dir := mediatest.Dir(f)
	for _, format := range []string{"wav", "rf64"} {
		b, err := os.ReadFile(mediatest.Generate(f, dir, mediatest.Spec{Format: format, Tags: mediatest.Tags, Seconds: 0.05}))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(wavFile("RIFF", fmtChunk, infoList("INAM", "Title", "IART", "Caf\xe9"), pcm,
		riffChunk("id3 ", id3(text("TIT2", "ID3 title"), text("TYER", "2024")))))
	f.Add(wavFile("BW64", riffChunk("ds64", make([]byte, 28)), fmtChunk, pcm, infoList("INAM", "T")))
	f.Fuzz(func(t *testing.T, b []byte) {
		tags, pic, err := media.ReadTags(bytes.NewReader(b), media.Format{Name: "wav"})
		if err == nil {
			checkTags(t, tags, pic)
		} else if strings.Contains(err.Error(), "panic") {
			t.Fatal(err) // ReadTags recovers, but its readers must not panic
		}
	})
}
