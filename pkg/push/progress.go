package push

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/soundtime/soundtime/pkg/track"
)

// display shows what push does: a bar per file under way and one for the whole push on a
// terminal (bars), plain lines otherwise (lines). Both take the links (stdout) and the messages
// (stderr) through themselves, so that nothing prints across a bar being drawn.
type display interface {
	// begin announces the upload of f, of which done bytes are already stored, and returns its
	// meter.
	begin(f File, done int64) meter
	// settled counts a file that needed no upload, or failed, toward the whole.
	settled(size int64)
	link(format string, args ...any)
	message(format string, args ...any)
	// close draws the last frame, complete or, when interrupted, as it stands; nothing is
	// shown after it.
	close(interrupted bool)
}

// meter follows one file's upload. add may be negative: the bytes of a failed attempt are
// taken back before the next one. finish counts the file as done (shared or failed); abandon
// removes its bar without counting it (interrupted).
type meter interface {
	add(n int64)
	finish(ok bool)
	abandon()
}

// lines is the display for logs and pipes: a line when a file starts, and for large files a
// line at each quarter.
type lines struct {
	out, err io.Writer
	mu       sync.Mutex
}

func (l *lines) begin(f File, done int64) meter {
	if done > 0 {
		l.message("resuming %s (%s of %s already sent)", f.Path, track.FormatBytes(done), track.FormatBytes(f.Size))
	} else {
		l.message("uploading %s (%s)", f.Path, track.FormatBytes(f.Size))
	}
	m := &lineMeter{l: l, path: f.Path, size: f.Size, quiet: f.Size < quarterLinesFrom}
	m.sent.Store(done)
	m.quarter.Store(int32(done * 4 / f.Size))
	return m
}

func (l *lines) settled(int64) {}

func (l *lines) link(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.out, format+"\n", args...)
}

func (l *lines) message(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.err, format+"\n", args...)
}

func (l *lines) close(bool) {}

// quarterLinesFrom is the size from which a file's upload is told in quarters: smaller ones
// take a moment.
const quarterLinesFrom = 64 << 20

type lineMeter struct {
	l       *lines
	path    string
	size    int64
	quiet   bool
	sent    atomic.Int64
	quarter atomic.Int32
}

func (m *lineMeter) add(n int64) {
	s := m.sent.Add(n)
	if m.quiet || n <= 0 {
		return
	}
	q := int32(s * 4 / m.size)
	if old := m.quarter.Load(); q > old && q < 4 && m.quarter.CompareAndSwap(old, q) {
		m.l.message("%s: %d%% sent", m.path, q*25)
	}
}

func (m *lineMeter) finish(bool) {}

func (m *lineMeter) abandon() {}

// bars is the display for a terminal: mpb's bars on stderr, messages above them, links above
// them too when stdout is the same terminal.
type bars struct {
	p        *mpb.Progress
	total    *mpb.Bar
	out      io.Writer // links: the terminal through p, or stdout elsewhere
	files    int
	finished atomic.Int64
	bytes    int64        // the whole push's bytes
	sum      atomic.Int64 // of which sent or settled
}

// addTotal moves the whole push's bar; it completes at close only, whatever the sums say.
func (b *bars) addTotal(n int64) {
	b.total.SetCurrent(min(b.sum.Add(n), b.bytes-1))
}

// newBars draws on stderr for files audio files of total bytes; linksToTerminal says stdout is
// the terminal too.
func newBars(stdout, stderr io.Writer, linksToTerminal bool, files int, total int64) *bars {
	b := &bars{files: files, bytes: max(total, 1)}
	b.p = mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(32))
	b.out = stdout
	if linksToTerminal {
		b.out = b.p
	}
	b.total = b.p.AddBar(b.bytes, mpb.BarPriority(1<<30),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("%d/%d files", b.finished.Load(), b.files)
		}, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace), decor.Percentage(decor.WCSyncSpace)))
	return b
}

func (b *bars) begin(f File, done int64) meter {
	bar := b.p.AddBar(f.Size, mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(shorten(f.Path, 32), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace), decor.Percentage(decor.WCSyncSpace)))
	bar.SetCurrent(done)
	b.addTotal(done)
	return &barMeter{b: b, bar: bar, size: f.Size, sent: done}
}

func (b *bars) settled(size int64) {
	b.finished.Add(1)
	b.addTotal(size)
}

func (b *bars) link(format string, args ...any) { fmt.Fprintf(b.out, format+"\n", args...) }

func (b *bars) message(format string, args ...any) { fmt.Fprintf(b.p, format+"\n", args...) }

func (b *bars) close(interrupted bool) {
	if interrupted {
		b.total.Abort(false)
	} else {
		b.total.SetTotal(-1, true)
	}
	b.p.Wait()
}

type barMeter struct {
	b    *bars
	bar  *mpb.Bar
	size int64
	mu   sync.Mutex
	sent int64
}

func (m *barMeter) add(n int64) {
	m.mu.Lock()
	m.sent += n
	sent := m.sent
	m.mu.Unlock()
	if sent < m.size { // the bar completes at finish, once storage said yes
		m.bar.SetCurrent(sent)
	}
	m.b.addTotal(n)
}

func (m *barMeter) finish(ok bool) {
	m.mu.Lock()
	rest := m.size - m.sent
	m.sent = m.size
	m.mu.Unlock()
	m.b.addTotal(rest)
	m.b.finished.Add(1)
	if ok {
		m.bar.SetCurrent(m.size)
	} else {
		m.bar.Abort(true)
	}
}

func (m *barMeter) abandon() { m.bar.Abort(true) }

// shorten keeps the end of a path, the part that tells files apart, within n characters.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}
