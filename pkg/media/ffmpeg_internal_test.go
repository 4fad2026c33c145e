package media

import (
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

// TestParseAudio reads stream descriptions exactly as the pinned ffmpeg prints them for the
// supported formats (captured from its -loglevel info output).
func TestParseAudio(t *testing.T) {
	cases := []struct {
		name, log string
		want      track.Audio
	}{
		{"mp3 with cover", "Input #0, mp3, from 'in.mp3':\n  Duration: 00:01:00.03, start: 0.025056, bitrate: 192 kb/s\n    Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 192 kb/s\n    Stream #0:1: Video: mjpeg (Baseline), yuvj420p(pc, bt470bg/unknown/unknown), 500x500 [SAR 1:1 DAR 1:1], 90k tbr, 90k tbn, 90k tbc\n",
			track.Audio{Codec: "mp3", Bitrate: 192000, SampleRate: 44100, Channels: 2}},
		{"aiff", "Input #0, aiff, from 't.aiff':\n  Duration: 00:00:10.00, start: 0.000000, bitrate: 1422 kb/s\n    Stream #0:0: Audio: pcm_s16be, 44100 Hz, stereo, s16, 1411 kb/s\n",
			track.Audio{Codec: "pcm_s16be", Bitrate: 1411000, SampleRate: 44100, Channels: 2}},
		{"flac without stream bitrate", "Input #0, flac, from 't.flac':\n  Duration: 00:00:10.00, start: 0.000000, bitrate: 211 kb/s\n    Stream #0:0: Audio: flac, 44100 Hz, stereo, s16\n",
			track.Audio{Codec: "flac", Bitrate: 211000, SampleRate: 44100, Channels: 2}},
		{"24-bit flac", "Input #0, flac, from 't3.flac':\n  Duration: 00:00:10.00, start: 0.000000, bitrate: 1059 kb/s\n    Stream #0:0: Audio: flac, 96000 Hz, stereo, s32 (24 bit)\n",
			track.Audio{Codec: "flac", Bitrate: 1059000, SampleRate: 96000, Channels: 2}},
		{"m4a", "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 't.m4a':\n  Duration: 00:00:10.02, start: 0.000000, bitrate: 133 kb/s\n    Stream #0:0(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 129 kb/s (default)\n",
			track.Audio{Codec: "aac", Bitrate: 129000, SampleRate: 44100, Channels: 2}},
		{"opus", "Input #0, ogg, from 't.opus':\n  Duration: 00:00:10.01, start: 0.000000, bitrate: 130 kb/s\n    Stream #0:0: Audio: opus, 48000 Hz, stereo, fltp\n",
			track.Audio{Codec: "opus", Bitrate: 130000, SampleRate: 48000, Channels: 2}},
		{"wav has no start", "Input #0, wav, from 't.wav':\n  Duration: 00:00:10.00, bitrate: 1411 kb/s\n    Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 44100 Hz, stereo, s16, 1411 kb/s\n",
			track.Audio{Codec: "pcm_s16le", Bitrate: 1411000, SampleRate: 44100, Channels: 2}},
		{"mono and 5.1", "Input #0, wav, from 'x':\n  Duration: 00:00:10.00, bitrate: 705 kb/s\n    Stream #0:0: Audio: pcm_s16le, 22050 Hz, mono, s16, 352 kb/s\n",
			track.Audio{Codec: "pcm_s16le", Bitrate: 352000, SampleRate: 22050, Channels: 1}},
		{"surround", "Input #0, flac, from 'x':\n  Duration: 00:00:10.00, start: 0.000000, bitrate: 900 kb/s\n    Stream #0:0: Audio: flac, 48000 Hz, 5.1(side), s16\n",
			track.Audio{Codec: "flac", Bitrate: 900000, SampleRate: 48000, Channels: 6}},
		{"the output section is not the input", "Input #0, ogg, from 'x':\n  Duration: N/A\nOutput #0, ogg, to 'preview.ogg':\n    Stream #0:0: Audio: vorbis, 44100 Hz, stereo, fltp, 128 kb/s\n",
			track.Audio{}},
		{"garbage", "\x00\xff nonsense Audio: , Hz", track.Audio{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := parseAudio(c.log); got != c.want {
				t.Fatalf("parseAudio = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestStderrLogBounded(t *testing.T) {
	var s stderrLog
	line := []byte("[mp3 @ 0x1] Header missing\n")
	for i := 0; i < 100_000; i++ {
		s.Write(line)
	}
	if len(s.head()) > stderrHead || len(s.last) > stderrTail {
		t.Fatalf("stderr kept %d + %d bytes", len(s.head()), len(s.last))
	}
	if tail := s.tail(); tail == "" || len(tail) > stderrTail {
		t.Fatalf("tail = %d bytes", len(tail))
	}
}
