package media

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// SampleRate is the rate of every output: the preview, the HLS stream and the PCM for peaks.
const SampleRate = 44100

// Errors of Transcode. ErrCorrupt and ErrTooLong are the file's fault and final; any other error
// (ffmpeg missing, disk full) is the system's and worth a retry.
var (
	// ErrCorrupt: ffmpeg could not decode the file, or decoded no audio from it.
	ErrCorrupt = errors.New("media: the file could not be decoded")
	// ErrTooLong: the track is longer than Job.MaxDuration.
	ErrTooLong = errors.New("media: the track is too long")
	// ErrTimeout: ffmpeg ran past Job.Timeout and was killed.
	ErrTimeout = errors.New("media: processing took too long")
)

// Job is one transcode: one ffmpeg process that decodes Input once and writes the preview, the
// HLS stream and PCM for the waveform.
type Job struct {
	FFmpeg string // the ffmpeg binary
	Input  string // a local file
	Format Format // sniffed from Input: forced on ffmpeg
	OutDir string // receives preview.ogg and hls/

	SegmentSeconds int           // HLS segment length
	MaxDuration    time.Duration // longer tracks fail with ErrTooLong
	Timeout        time.Duration // the whole run; ffmpeg's process group is killed after it

	// PCM receives signed 16-bit little-endian mono PCM at SampleRate while ffmpeg runs.
	PCM io.Writer

	// Segments, when set, is called while ffmpeg runs with the HLS segments it finished since
	// the last call, in order (an empty list when there are none: a tick to act on), every
	// SegmentPoll. A segment passed is whole on disk. It is never called again once Transcode
	// returns; an error from it stops ffmpeg and is Transcode's error.
	Segments    func(done []track.Segment) error
	SegmentPoll time.Duration
}

// Outputs are what a Job wrote.
type Outputs struct {
	Preview  string   // OutDir/preview.ogg
	Playlist string   // OutDir/hls/index.m3u8
	Segments []string // OutDir/hls/seg*.ts, in order
	// Entries are the segments with their durations, as ffmpeg's playlist names them.
	Entries []track.Segment
	Samples int64 // PCM samples written: the exact decoded duration × SampleRate
	Audio   track.Audio
}

// Duration returns the decoded duration in seconds.
func (o Outputs) Duration() float64 { return float64(o.Samples) / SampleRate }

// Args returns ffmpeg's arguments for j, one flag per line. Nothing is ever passed through a
// shell, and nothing in them comes from the file but the sniffed format's fixed names.
func (j Job) Args() []string {
	// Read one second past the limit, so that a track longer than the limit can be told apart
	// from one exactly as long.
	limit := strconv.FormatFloat((j.MaxDuration + time.Second).Seconds(), 'f', 3, 64)
	// -fs bounds each file output: 128 kb/s (16 kB/s) over the longest track, doubled for
	// container overhead. A decoder tricked into endless output stops there.
	maxBytes := strconv.FormatInt(int64(j.MaxDuration.Seconds()+1)*16_000*2+1<<20, 10)
	hls := filepath.Join(j.OutDir, "hls")
	return []string{
		"-nostdin",          // never read the terminal
		"-hide_banner",      // the build configuration is noise in error messages
		"-nostats",          // no progress lines on stderr
		"-loglevel", "info", // info prints the input's stream description, parsed for Audio
		// The input is one local file and the PCM goes to a pipe: no other protocol, so a
		// playlist or concat script can never reach the network or other files.
		"-protocol_whitelist", "file,pipe",
		// Only the demuxer that sniffing found, forced: ffmpeg never guesses from content, so
		// an HLS playlist named song.mp3 is read as MP3 (and fails), not followed.
		"-format_whitelist", j.Format.Demuxer,
		"-f", j.Format.Demuxer,
		// Only the audio decoders of that container: the attached cover's image decoder and
		// every exotic decoder stay out of reach.
		"-codec_whitelist", strings.Join(j.Format.Decoders, ","),
		"-t", limit, // stop reading past the limit whatever the header claims
		"-i", j.Input,
		// Decode once; fix format, rate and layout before splitting, else negotiation leaks
		// mono or 96 kHz into a branch. The waveform branch is mono 16-bit.
		"-filter_complex", "[0:a:0]aformat=sample_fmts=fltp:sample_rates=" + strconv.Itoa(SampleRate) +
			":channel_layouts=stereo,asplit=3[preview][hls][w];[w]aformat=sample_fmts=s16:channel_layouts=mono[peaks]",
		"-map_metadata", "-1", // the tags are in the table; derived files carry none
		// Output 1: the Ogg Vorbis preview Soundtime clients play.
		"-map", "[preview]",
		"-c:a", "libvorbis",
		"-b:a", "128k",
		"-fs", maxBytes,
		"-f", "ogg",
		filepath.Join(j.OutDir, "preview.ogg"),
		// Output 2: AAC in MPEG-TS segments for HLS. An EVENT playlist, which ffmpeg rewrites
		// after each segment it closes (a VOD one is written only at the end): what
		// Job.Segments watches to publish each segment as soon as it is whole.
		"-map", "[hls]",
		"-c:a", "aac",
		"-b:a", "128k",
		"-fs", maxBytes,
		"-f", "hls",
		"-hls_time", strconv.Itoa(j.SegmentSeconds),
		"-hls_playlist_type", "event",
		"-hls_segment_filename", filepath.Join(hls, "seg%05d.ts"),
		filepath.Join(hls, "index.m3u8"),
		// Output 3: raw PCM on stdout, folded into peaks while ffmpeg runs.
		"-map", "[peaks]",
		"-f", "s16le",
		"pipe:1",
	}
}

// Transcode runs j. The error is ErrCorrupt, ErrTooLong or ErrTimeout (wrapped with the tail of
// ffmpeg's stderr) for a file at fault, or another error for a system failure.
func Transcode(ctx context.Context, j Job) (Outputs, error) {
	if err := os.MkdirAll(filepath.Join(j.OutDir, "hls"), 0o700); err != nil {
		return Outputs{}, fmt.Errorf("media: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, j.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, j.FFmpeg, j.Args()...)
	// An empty environment: in Lambda the credentials live in the environment. GCONV_PATH keeps
	// the static glibc from loading the host's iconv modules, which crash some static builds.
	cmd.Env = []string{"GCONV_PATH=/nonexistent"}
	cmd.Dir = j.OutDir
	cmd.SysProcAttr = procAttr()
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stderr := &stderrLog{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Outputs{}, fmt.Errorf("media: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return Outputs{}, fmt.Errorf("media: start ffmpeg: %w", err)
	}
	var (
		watchErr  error
		stopWatch = func() {}
	)
	if j.Segments != nil {
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			if watchErr = watchSegments(filepath.Join(j.OutDir, "hls", "index.m3u8"), j.SegmentPoll, stop, j.Segments); watchErr != nil {
				cmd.Cancel()
			}
		}()
		stopWatch = func() { close(stop); <-done }
	}
	counter := &countingWriter{w: j.PCM}
	_, copyErr := io.CopyBuffer(counter, stdout, make([]byte, 256<<10))
	if copyErr != nil {
		// The PCM consumer failed: stop ffmpeg rather than let it block on a full pipe.
		cmd.Cancel()
	}
	waitErr := cmd.Wait()
	stopWatch()
	out := Outputs{
		Preview:  filepath.Join(j.OutDir, "preview.ogg"),
		Playlist: filepath.Join(j.OutDir, "hls", "index.m3u8"),
		Samples:  counter.n / 2,
		Audio:    parseAudio(stderr.head()),
	}
	switch {
	case watchErr != nil:
		return out, fmt.Errorf("media: publish segments: %w", watchErr)
	case ctx.Err() == context.DeadlineExceeded:
		return out, fmt.Errorf("%w after %v: %s", ErrTimeout, j.Timeout, stderr.tail())
	case copyErr != nil:
		return out, fmt.Errorf("media: consume PCM: %w", copyErr)
	case waitErr != nil:
		var exit *exec.ExitError
		if errors.As(waitErr, &exit) && ctx.Err() == nil {
			return out, fmt.Errorf("%w: ffmpeg %v: %s", ErrCorrupt, exit, stderr.tail())
		}
		return out, fmt.Errorf("media: ffmpeg: %w", waitErr)
	case out.Samples == 0:
		return out, fmt.Errorf("%w: no audio decoded: %s", ErrCorrupt, stderr.tail())
	case time.Duration(float64(out.Samples)/SampleRate*float64(time.Second)) > j.MaxDuration:
		return out, fmt.Errorf("%w: longer than %v", ErrTooLong, j.MaxDuration)
	}
	segs, err := filepath.Glob(filepath.Join(j.OutDir, "hls", "seg*.ts"))
	if err != nil || len(segs) == 0 {
		return out, fmt.Errorf("%w: no HLS segments written: %s", ErrCorrupt, stderr.tail())
	}
	out.Segments = segs
	playlist, err := os.ReadFile(out.Playlist)
	if err != nil {
		return out, fmt.Errorf("media: %w", err)
	}
	if out.Entries = track.ParseSegments(playlist); len(out.Entries) != len(segs) {
		return out, fmt.Errorf("%w: the playlist names %d segments of %d written", ErrCorrupt, len(out.Entries), len(segs))
	}
	return out, nil
}

// watchSegments reads ffmpeg's playlist every poll until stop is closed and passes fn the
// segments it names that it did not name before. The playlist is read, not the directory: a
// segment file exists from its first byte, but ffmpeg names it only once it is closed.
func watchSegments(playlist string, poll time.Duration, stop <-chan struct{}, fn func([]track.Segment) error) error {
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	seen := 0
	for {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		var fresh []track.Segment
		if b, err := os.ReadFile(playlist); err == nil {
			// A read that caught a rewrite sees fewer entries: they come back at the next.
			if segs := track.ParseSegments(b); len(segs) > seen {
				fresh = segs[seen:]
				seen = len(segs)
			}
		}
		if err := fn(fresh); err != nil {
			return err
		}
	}
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// stderrLog keeps the first 16 KiB of ffmpeg's stderr (the input description) and the last
// 4 KiB (the error), whatever a hostile file makes it print.
type stderrLog struct {
	mu    sync.Mutex
	first bytes.Buffer
	last  []byte
}

const (
	stderrHead = 16 << 10
	stderrTail = 4 << 10
)

func (s *stderrLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := stderrHead - s.first.Len(); room > 0 {
		s.first.Write(p[:min(room, len(p))])
	}
	s.last = append(s.last, p...)
	if len(s.last) > stderrTail {
		s.last = append(s.last[:0], s.last[len(s.last)-stderrTail:]...)
	}
	return len(p), nil
}

func (s *stderrLog) head() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first.String()
}

// tail returns the last lines of stderr without the noise every run prints, on one line.
func (s *stderrLog) tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(s.last))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.Contains(l, "not on whitelist") && strings.Contains(l, "mjpeg") ||
			strings.Contains(l, "Cannot use rename on non file protocol") {
			continue
		}
		lines = append(lines, l)
	}
	if len(lines) > 5 {
		lines = lines[len(lines)-5:]
	}
	return strings.ToValidUTF8(strings.Join(lines, " | "), "?")
}

var (
	reDuration = regexp.MustCompile(`Duration: [0-9:.]+,(?: start: [-0-9.]+,)? bitrate: (\d+) kb/s`)
	reStream   = regexp.MustCompile(`Stream #0:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: Audio: ([A-Za-z0-9_]+)[^,\n]*, (\d+) Hz, ([^,\n]+),[^\n]*?(?:, (\d+) kb/s)?(?: \([^)]*\))*\s*$`)
	reChannels = regexp.MustCompile(`^(\d+) channels`)
)

// parseAudio reads the first audio stream of input #0 from ffmpeg's info log, such as
//
//	Duration: 00:04:01.37, start: 0.025056, bitrate: 320 kb/s
//	  Stream #0:0: Audio: mp3, 44100 Hz, stereo, fltp, 320 kb/s
//
// Unknown parts stay zero: the description is informative, never trusted for limits.
func parseAudio(log string) track.Audio {
	var a track.Audio
	input := log
	if i := strings.Index(log, "Input #0"); i >= 0 {
		input = log[i:]
	}
	if i := strings.Index(input, "Output #0"); i >= 0 {
		input = input[:i]
	}
	for _, line := range strings.Split(input, "\n") {
		if m := reDuration.FindStringSubmatch(line); m != nil && a.Bitrate == 0 {
			a.Bitrate, _ = strconv.Atoi(m[1])
			a.Bitrate *= 1000
		}
		m := reStream.FindStringSubmatch(strings.TrimRight(line, "\r"))
		if m == nil || a.Codec != "" {
			continue
		}
		a.Codec = m[1]
		a.SampleRate, _ = strconv.Atoi(m[2])
		switch layout := strings.TrimSpace(m[3]); {
		case layout == "mono":
			a.Channels = 1
		case layout == "stereo":
			a.Channels = 2
		case reChannels.MatchString(layout):
			a.Channels, _ = strconv.Atoi(reChannels.FindStringSubmatch(layout)[1])
		default:
			a.Channels = channelsOf(layout)
		}
		if m[4] != "" {
			a.Bitrate, _ = strconv.Atoi(m[4])
			a.Bitrate *= 1000
		}
	}
	return a
}

// channelsOf counts the channels of an ffmpeg layout name such as 5.1 or 7.1(wide).
func channelsOf(layout string) int {
	if i := strings.IndexByte(layout, '('); i >= 0 {
		layout = layout[:i]
	}
	whole, frac, ok := strings.Cut(layout, ".")
	w, err1 := strconv.Atoi(whole)
	f, err2 := strconv.Atoi(frac)
	if !ok || err1 != nil || err2 != nil {
		return 0
	}
	return w + f
}
