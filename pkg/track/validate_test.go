package track_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

const maxBytes = 2 << 30 // MAX_UPLOAD_BYTES' default

// emptyMD5 is the Content-MD5 of the empty file; rawMD5 is a digest whose standard base64 holds
// both '+' and '/', so that the URL alphabet spells it differently.
const emptyMD5 = "1B2M2Y8AsgTpgAmY7PhCfg=="

var rawMD5 = []byte{0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06}

func ptr[T any](v T) *T { return &v }

// goodRequest returns a valid request; each case changes one thing.
func goodRequest() track.UploadRequest {
	return track.UploadRequest{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5}
}

func TestValidate(t *testing.T) {
	stdMD5 := base64.StdEncoding.EncodeToString(rawMD5)
	if !strings.ContainsAny(stdMD5, "+/") {
		t.Fatalf("test digest %q should exercise '+' and '/'", stdMD5)
	}
	tests := []struct {
		name   string
		change func(r *track.UploadRequest)
		code   string       // the error code expected, "" for success
		want   track.Upload // checked on success
	}{
		// Filenames.
		{name: "empty filename", change: func(r *track.UploadRequest) { r.Filename = "" }, code: track.EInvalidFilename},
		{name: "256-byte filename", change: func(r *track.UploadRequest) { r.Filename = strings.Repeat("a", 252) + ".mp3" }, code: track.EInvalidFilename},
		{name: "255-byte filename", change: func(r *track.UploadRequest) { r.Filename = strings.Repeat("a", 251) + ".mp3" },
			want: track.Upload{Filename: strings.Repeat("a", 251) + ".mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "255 bytes of multi-byte characters", change: func(r *track.UploadRequest) { r.Filename = strings.Repeat("ü", 125) + ".mp3" },
			want: track.Upload{Filename: strings.Repeat("ü", 125) + ".mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "invalid UTF-8", change: func(r *track.UploadRequest) { r.Filename = "song\xff.mp3" }, code: track.EInvalidFilename},
		{name: "truncated UTF-8 sequence", change: func(r *track.UploadRequest) { r.Filename = "song\xc3.mp3" }, code: track.EInvalidFilename},
		{name: "NUL", change: func(r *track.UploadRequest) { r.Filename = "song\x00.mp3" }, code: track.EInvalidFilename},
		{name: "newline", change: func(r *track.UploadRequest) { r.Filename = "song\n.mp3" }, code: track.EInvalidFilename},
		{name: "carriage return", change: func(r *track.UploadRequest) { r.Filename = "song\r.mp3" }, code: track.EInvalidFilename},
		{name: "tab", change: func(r *track.UploadRequest) { r.Filename = "song\t.mp3" }, code: track.EInvalidFilename},
		{name: "escape", change: func(r *track.UploadRequest) { r.Filename = "song\x1b[31m.mp3" }, code: track.EInvalidFilename},
		{name: "DEL", change: func(r *track.UploadRequest) { r.Filename = "song\x7f.mp3" }, code: track.EInvalidFilename},
		{name: "U+0085 next line", change: func(r *track.UploadRequest) { r.Filename = "song\u0085.mp3" }, code: track.EInvalidFilename},
		{name: "U+009F", change: func(r *track.UploadRequest) { r.Filename = "song\u009f.mp3" }, code: track.EInvalidFilename},
		{name: "U+2028 line separator", change: func(r *track.UploadRequest) { r.Filename = "song\u2028.mp3" }, code: track.EInvalidFilename},
		{name: "U+202E right-to-left override", change: func(r *track.UploadRequest) { r.Filename = "song\u202e3pm.exe" }, code: track.EInvalidFilename},
		{name: "U+200E left-to-right mark", change: func(r *track.UploadRequest) { r.Filename = "song\u200e.mp3" }, code: track.EInvalidFilename},
		{name: "U+200F right-to-left mark", change: func(r *track.UploadRequest) { r.Filename = "song\u200f.mp3" }, code: track.EInvalidFilename},
		{name: "U+202A left-to-right embedding", change: func(r *track.UploadRequest) { r.Filename = "\u202asong.mp3" }, code: track.EInvalidFilename},
		{name: "U+202B right-to-left embedding", change: func(r *track.UploadRequest) { r.Filename = "song\u202b.mp3" }, code: track.EInvalidFilename},
		{name: "U+202C pop directional formatting", change: func(r *track.UploadRequest) { r.Filename = "song.mp3\u202c" }, code: track.EInvalidFilename},
		{name: "U+202D left-to-right override", change: func(r *track.UploadRequest) { r.Filename = "song\u202d.mp3" }, code: track.EInvalidFilename},
		{name: "U+2066 left-to-right isolate", change: func(r *track.UploadRequest) { r.Filename = "song\u2066.mp3" }, code: track.EInvalidFilename},
		{name: "U+2067 right-to-left isolate", change: func(r *track.UploadRequest) { r.Filename = "song\u2067.mp3" }, code: track.EInvalidFilename},
		{name: "U+2068 first strong isolate", change: func(r *track.UploadRequest) { r.Filename = "song\u2068.mp3" }, code: track.EInvalidFilename},
		{name: "U+2069 pop directional isolate", change: func(r *track.UploadRequest) { r.Filename = "song\u2069.mp3" }, code: track.EInvalidFilename},
		{name: "U+200B zero-width space", change: func(r *track.UploadRequest) { r.Filename = "song\u200b.mp3" }, code: track.EInvalidFilename},
		{name: "U+FEFF zero-width no-break space", change: func(r *track.UploadRequest) { r.Filename = "\ufeffsong.mp3" }, code: track.EInvalidFilename},
		{name: "right-to-left text without controls", change: func(r *track.UploadRequest) { r.Filename = "שיר אהבה.mp3" },
			want: track.Upload{Filename: "שיר אהבה.mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "emoji with a zero-width joiner", change: func(r *track.UploadRequest) { r.Filename = "👩\u200d🎤 live.mp3" },
			want: track.Upload{Filename: "👩\u200d🎤 live.mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "non-ASCII without controls", change: func(r *track.UploadRequest) { r.Filename = "Ünïcødé 日本 🎵 \"q\"; a,b.mp3" },
			want: track.Upload{Filename: "Ünïcødé 日本 🎵 \"q\"; a,b.mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},

		// Types.
		{name: "missing type", change: func(r *track.UploadRequest) { r.Type = "" }, code: track.EUnsupportedType},
		{name: "blank type", change: func(r *track.UploadRequest) { r.Type = "  " }, code: track.EUnsupportedType},
		{name: "text/html", change: func(r *track.UploadRequest) { r.Type = "text/html" }, code: track.EUnsupportedType},
		{name: "audio/midi", change: func(r *track.UploadRequest) { r.Type = "audio/midi" }, code: track.EUnsupportedType},
		{name: "audio alone", change: func(r *track.UploadRequest) { r.Type = "audio" }, code: track.EUnsupportedType},
		{name: "allowed type as a parameter", change: func(r *track.UploadRequest) { r.Type = "text/html; x=audio/mpeg" }, code: track.EUnsupportedType},
		{name: "parameters dropped", change: func(r *track.UploadRequest) { r.Type = "audio/ogg; codecs=opus" },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/ogg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "malformed parameter dropped", change: func(r *track.UploadRequest) { r.Type = "audio/ogg; codecs" },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/ogg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "upper case", change: func(r *track.UploadRequest) { r.Type = "AUDIO/MPEG" },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true}},
		{name: "audio/x-flac", change: func(r *track.UploadRequest) { r.Type = "audio/x-flac" },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/x-flac", Size: 4812345, MD5: emptyMD5, Downloadable: true}},

		// Sizes.
		{name: "size 0", change: func(r *track.UploadRequest) { r.Size = 0 }, code: track.EInvalidSize},
		{name: "negative size", change: func(r *track.UploadRequest) { r.Size = -1 }, code: track.EInvalidSize},
		{name: "size 1", change: func(r *track.UploadRequest) { r.Size = 1 },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 1, MD5: emptyMD5, Downloadable: true}},
		{name: "size MaxBytes+1", change: func(r *track.UploadRequest) { r.Size = maxBytes + 1 }, code: track.ETooLarge},
		{name: "size exactly MaxBytes", change: func(r *track.UploadRequest) { r.Size = maxBytes },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: maxBytes, MD5: emptyMD5, Downloadable: true}},

		// MD5s.
		{name: "empty md5", change: func(r *track.UploadRequest) { r.MD5 = "" }, code: track.EInvalidMD5},
		{name: "md5 of padding only", change: func(r *track.UploadRequest) { r.MD5 = "==" }, code: track.EInvalidMD5},
		{name: "md5 not base64", change: func(r *track.UploadRequest) { r.MD5 = "not base64 at all!!!!!!" }, code: track.EInvalidMD5},
		{name: "md5 in hex", change: func(r *track.UploadRequest) { r.MD5 = "d41d8cd98f00b204e9800998ecf8427e" }, code: track.EInvalidMD5},
		{name: "md5 of 15 bytes", change: func(r *track.UploadRequest) { r.MD5 = base64.StdEncoding.EncodeToString(rawMD5[:15]) }, code: track.EInvalidMD5},
		{name: "md5 of 17 bytes", change: func(r *track.UploadRequest) { r.MD5 = base64.StdEncoding.EncodeToString(append(rawMD5[:16:16], 7)) }, code: track.EInvalidMD5},
		{name: "md5 std with + and /", change: func(r *track.UploadRequest) { r.MD5 = stdMD5 },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: stdMD5, Downloadable: true}},
		{name: "md5 URL-safe", change: func(r *track.UploadRequest) { r.MD5 = base64.URLEncoding.EncodeToString(rawMD5) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: stdMD5, Downloadable: true}},
		{name: "md5 URL-safe unpadded", change: func(r *track.UploadRequest) { r.MD5 = base64.RawURLEncoding.EncodeToString(rawMD5) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: stdMD5, Downloadable: true}},
		{name: "md5 std unpadded", change: func(r *track.UploadRequest) { r.MD5 = base64.RawStdEncoding.EncodeToString(rawMD5) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: stdMD5, Downloadable: true}},

		// Flags.
		{name: "defaults", change: func(r *track.UploadRequest) {},
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true, Public: false}},
		{name: "explicit false", change: func(r *track.UploadRequest) { r.Downloadable, r.Public = ptr(false), ptr(false) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: false, Public: false}},
		{name: "explicit true", change: func(r *track.UploadRequest) { r.Downloadable, r.Public = ptr(true), ptr(true) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: true, Public: true}},
		{name: "stream-only and public", change: func(r *track.UploadRequest) { r.Downloadable, r.Public = ptr(false), ptr(true) },
			want: track.Upload{Filename: "Song (live).mp3", Type: "audio/mpeg", Size: 4812345, MD5: emptyMD5, Downloadable: false, Public: true}},

		// The first bad field names the error.
		{name: "bad filename before bad type", change: func(r *track.UploadRequest) { r.Filename, r.Type = "", "text/html" }, code: track.EInvalidFilename},
		{name: "bad type before bad size", change: func(r *track.UploadRequest) { r.Type, r.Size = "text/html", 0 }, code: track.EUnsupportedType},
		{name: "bad size before bad md5", change: func(r *track.UploadRequest) { r.Size, r.MD5 = 0, "" }, code: track.EInvalidSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRequest()
			tt.change(&r)
			got, err := track.Validate(r, maxBytes)
			if tt.code != "" {
				if code := track.ErrorCode(err); code != tt.code {
					t.Fatalf("Validate error = %v (code %q), want code %q", err, code, tt.code)
				}
				if msg := track.ErrorMessage(err); msg == "" || msg == "internal error" {
					t.Errorf("message %q should tell the user what is wrong", msg)
				}
				if got != (track.Upload{}) {
					t.Errorf("Validate returned %+v with its error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate error = %v, want success", err)
			}
			if got != tt.want {
				t.Fatalf("Validate = %+v\nwant       %+v", got, tt.want)
			}
		})
	}
}

func TestValidateTooLargeMessageNamesTheLimit(t *testing.T) {
	r := goodRequest()
	r.Size = maxBytes + 1
	_, err := track.Validate(r, maxBytes)
	if msg := track.ErrorMessage(err); !strings.Contains(msg, "2 GiB") {
		t.Fatalf("message %q should name the 2 GiB limit", msg)
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1023, "1023 bytes"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{100 << 20, "100 MiB"},
		{2 << 30, "2 GiB"},
		{3 << 40, "3 TiB"},
		{5 << 50, "5120 TiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := track.FormatBytes(tt.n); got != tt.want {
				t.Fatalf("FormatBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}
