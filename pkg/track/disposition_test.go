package track_test

import (
	"mime"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

func TestContentDisposition(t *testing.T) {
	tests := []struct {
		name     string
		filename string
		fallback string // the ASCII filename="…" expected, "" to check only its safety
	}{
		{name: "plain", filename: "song.mp3", fallback: "song.mp3"},
		{name: "spaces and parentheses", filename: "Song (live).mp3", fallback: "Song (live).mp3"},
		{name: "double quotes", filename: `My "best" song.mp3`, fallback: "My _best_ song.mp3"},
		{name: "quote at the end", filename: `song.mp3"`},
		{name: "semicolon", filename: "a; filename=evil.exe.mp3"},
		{name: "comma", filename: "a, b.mp3"},
		{name: "backslash", filename: `a\b\" c.mp3`},
		{name: "percent", filename: "100% live %41.mp3"},
		{name: "star and apostrophe", filename: "filename*=UTF-8''evil.exe"},
		{name: "CR LF", filename: "a\r\nSet-Cookie: x=1.mp3"},
		{name: "lone LF", filename: "a\nb.mp3"},
		{name: "tab", filename: "a\tb.mp3"},
		{name: "NUL and DEL", filename: "a\x00b\x7f.mp3"},
		{name: "umlaut", filename: "Grüße.mp3", fallback: "Gr__e.mp3"},
		{name: "emoji", filename: "🎵 tune 🎶.flac"},
		{name: "CJK with extension", filename: "日本語の歌.mp3"},
		{name: "all non-ASCII", filename: "日本語の歌", fallback: "download"},
		{name: "all umlauts", filename: "äöü", fallback: "download"},
		{name: "emoji only", filename: "🎵🎶", fallback: "download"},
		{name: "dots and non-ASCII", filename: "ü.ü", fallback: "download"},
		{name: "leading and trailing spaces", filename: "  song.mp3  ", fallback: "song.mp3"},
		{name: "RFC 8187 specials", filename: "!#$&+-.^_`|~.mp3", fallback: "!#$&+-.^_`|~.mp3"},
		{name: "tspecials", filename: "a()<>@:/[]?={} b.mp3"},
		{name: "1000 bytes", filename: strings.Repeat("ab\"ü;", 1000/6) + "xyzw.mp3"},
		{name: "1000 ASCII bytes", filename: strings.Repeat("a", 996) + ".mp3", fallback: strings.Repeat("a", 996) + ".mp3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := track.ContentDisposition(tt.filename)
			for i := 0; i < len(h); i++ {
				if c := h[i]; c < 0x20 || c >= 0x7f {
					t.Fatalf("header has byte %#x at %d; want printable ASCII only: %q", c, i, h)
				}
			}
			const prefix, middle = `attachment; filename="`, `"; filename*=UTF-8''`
			rest, ok := strings.CutPrefix(h, prefix)
			if !ok {
				t.Fatalf("header %q does not start with %q", h, prefix)
			}
			fallback, encoded, ok := strings.Cut(rest, middle)
			if !ok {
				t.Fatalf("header %q has no %q", h, middle)
			}
			if strings.ContainsAny(fallback, "\"\\\r\n;,%") {
				t.Errorf("fallback %q holds a character that breaks naive parsers", fallback)
			}
			if fallback == "" {
				t.Errorf("empty fallback in %q", h)
			}
			if tt.fallback != "" && fallback != tt.fallback {
				t.Errorf("fallback = %q, want %q", fallback, tt.fallback)
			}
			if strings.ContainsAny(encoded, "\"\\ ;,") {
				t.Errorf("filename* value %q is not a token", encoded)
			}
			disp, params, err := mime.ParseMediaType(h)
			if err != nil {
				t.Fatalf("mime.ParseMediaType(%q): %v", h, err)
			}
			if disp != "attachment" {
				t.Errorf("disposition = %q, want attachment", disp)
			}
			// The mime package decodes filename* into filename, over the fallback.
			if got := params["filename"]; got != tt.filename {
				t.Errorf("decoded filename = %q, want %q\nheader %q", got, tt.filename, h)
			}
			if len(params) != 1 {
				t.Errorf("params = %q, want only filename", params)
			}
		})
	}
}
