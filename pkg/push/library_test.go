package push_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/push"
	"github.com/soundtime/soundtime/pkg/track"
)

func TestMain(m *testing.M) {
	// TestManifestSurvivesKill runs this binary as a manifest writer, and kills it.
	if path := os.Getenv("PUSH_TEST_MANIFEST_WRITER"); path != "" {
		writeForever(path)
		return
	}
	os.Exit(mediatest.Run(m))
}

// copyTo copies src to dst, making dst's folder.
func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWalkKeepsAudioByContent walks a library of real audio in nested folders among files that
// are not audio, one of them named like an MP3, and audio named like anything but audio.
func TestWalkKeepsAudioByContent(t *testing.T) {
	gen := mediatest.Dir(t)
	lib := t.TempDir()
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "mp3", Tags: track.Tags{Title: "one"}}), filepath.Join(lib, "Artist", "Album", "01 One.mp3"))
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "flac"}), filepath.Join(lib, "Artist", "Album", "02 Two.flac"))
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "ogg"}), filepath.Join(lib, "Artist", "Other", "song.ogg"))
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "m4a"}), filepath.Join(lib, "Artist", "Other", "aac.m4a"))
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "wav"}), filepath.Join(lib, "Loose", "take.wav"))
	// Audio whatever its name says.
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "aiff"}), filepath.Join(lib, "Loose", "recording.txt"))
	cover, _ := mediatest.Cover(t, gen, "jpeg")
	copyTo(t, cover, filepath.Join(lib, "Artist", "Album", "cover.jpg"))
	write := func(rel, content string) {
		p := filepath.Join(lib, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Artist/Album/notes.txt", "liner notes\n")
	write("Artist/Album/fake.mp3", "this is text, not an MP3\n")
	write("Loose/playlist.m3u8", "#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
	write("Loose/empty.mp3", "")
	if err := syscall.Mkfifo(filepath.Join(lib, "Loose", "pipe.mp3"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(lib, "Artist"), filepath.Join(lib, "Loose", "link-to-artist")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(lib, "Loose", "take.wav"), filepath.Join(lib, "Loose", "take-link.wav")); err != nil {
		t.Fatal(err)
	}
	write("Loose/manifest.json", `{"version":1}`)

	files, skipped, err := push.Walk([]string{lib}, push.WalkOptions{
		Ignore: func(abs string) bool { return abs == filepath.Join(lib, "Loose", "manifest.json") },
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(lib, f.Path)
		got = append(got, rel+" "+f.Type)
	}
	want := []string{
		"Artist/Album/01 One.mp3 audio/mpeg",
		"Artist/Album/02 Two.flac audio/flac",
		"Artist/Other/aac.m4a audio/mp4",
		"Artist/Other/song.ogg audio/ogg",
		"Loose/recording.txt audio/aiff",
		"Loose/take-link.wav audio/wav",
		"Loose/take.wav audio/wav",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audio files, in order:\n got %q\nwant %q", got, want)
	}
	reasons := map[string]string{}
	for _, s := range skipped {
		rel, _ := filepath.Rel(lib, s.Path)
		reasons[rel] = s.Reason
		if s.Failed {
			t.Errorf("%s counted as failed: %s", rel, s.Reason)
		}
	}
	wantSkipped := map[string]string{
		"Artist/Album/cover.jpg": "not audio",
		"Artist/Album/notes.txt": "not audio",
		"Artist/Album/fake.mp3":  "not audio",
		"Loose/playlist.m3u8":    "not audio",
		"Loose/empty.mp3":        "empty",
		"Loose/pipe.mp3":         "not a regular file",
		"Loose/link-to-artist":   "a symbolic link to a folder (not followed)",
	}
	for rel, reason := range wantSkipped {
		if reasons[rel] != reason {
			t.Errorf("%s: reason %q, want %q", rel, reasons[rel], reason)
		}
	}
	if len(reasons) != len(wantSkipped) {
		t.Errorf("skipped %v, want exactly %v", reasons, wantSkipped)
	}
}

// TestWalkLimitsAndArguments: files above the server's limit are named and left out; files
// named as arguments are taken once however often they are named; a missing PATH is an error.
func TestWalkLimitsAndArguments(t *testing.T) {
	gen := mediatest.Dir(t)
	lib := t.TempDir()
	small := filepath.Join(lib, "small.mp3")
	big := filepath.Join(lib, "big.wav")
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "mp3", Seconds: 1}), small)
	copyTo(t, mediatest.Generate(t, gen, mediatest.Spec{Format: "wav", Seconds: 3}), big)
	fi, _ := os.Stat(small)

	files, skipped, err := push.Walk([]string{small, lib, small}, push.WalkOptions{MaxSize: fi.Size()})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != small {
		t.Errorf("files = %+v, want only %s once", files, small)
	}
	if len(skipped) != 1 || skipped[0].Path != big || !strings.HasPrefix(skipped[0].Reason, "larger than the server's limit of ") {
		t.Errorf("skipped = %+v, want %s as too large", skipped, big)
	}

	// A PATH that is a link to a folder is walked, and its files keep the name given.
	link := filepath.Join(t.TempDir(), "Music")
	if err := os.Symlink(lib, link); err != nil {
		t.Fatal(err)
	}
	files, _, err = push.Walk([]string{link}, push.WalkOptions{})
	if err != nil || len(files) != 2 || files[0].Path != filepath.Join(link, "big.wav") {
		t.Errorf("walk of a link to the library: %+v, %v", files, err)
	}

	if _, _, err := push.Walk([]string{filepath.Join(lib, "nope")}, push.WalkOptions{}); err == nil {
		t.Error("a missing PATH walked without an error")
	}

}
