package track

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Segment is one finished HLS segment: its bare file name (seg00000.ts, the name processing
// writes and the playlist names) and its duration in seconds.
type Segment struct {
	Name     string
	Duration float64
}

// SegmentName is the name of the i-th segment (from 0), as ffmpeg writes it with seg%05d.ts.
func SegmentName(i int) string { return fmt.Sprintf("seg%05d.ts", i) }

// ParseSegments returns the segments an HLS playlist names, in order, stopping at the first
// entry that is not whole. ffmpeg rewrites its playlist in place after each segment it closes,
// so a read can catch it half written: only an entry whose #EXTINF and name lines both end in a
// newline, whose name is the next one in sequence and whose duration is a positive number counts.
// A segment that is named this way is complete on disk: ffmpeg names it only once it is closed.
func ParseSegments(playlist []byte) []Segment {
	var segs []Segment
	duration := -1.0
	for {
		i := bytes.IndexByte(playlist, '\n')
		if i < 0 {
			return segs // the rest is a line still being written
		}
		line := strings.TrimSpace(string(playlist[:i]))
		playlist = playlist[i+1:]
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(line, "#EXTINF:"), ",")
			d, err := strconv.ParseFloat(v, 64)
			if err != nil || !(d > 0) || math.IsInf(d, 0) {
				return segs
			}
			duration = d
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			if duration < 0 || line != SegmentName(len(segs)) {
				return segs
			}
			segs = append(segs, Segment{Name: line, Duration: duration})
			duration = -1
		}
	}
}

// FormatPlaylist writes the playlist of segs that processing stores: while the track is
// processing an EVENT playlist without #EXT-X-ENDLIST, which players reload and which only ever
// grows; once done (ended) the VOD playlist with #EXT-X-ENDLIST. Both have the same header and
// the same entries for the same segments, so a player that loaded the EVENT one sees the VOD one
// as the same list, ended. target is the configured segment length; it is raised to the longest
// segment, rounded, as RFC 8216 requires (ffmpeg cuts at the first audio frame past it, so a
// segment is never more than a frame longer).
func FormatPlaylist(segs []Segment, target int, ended bool) []byte {
	for _, s := range segs {
		target = max(target, int(math.Round(s.Duration)))
	}
	var b bytes.Buffer
	b.Grow(120 + len(segs)*34)
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:")
	b.WriteString(strconv.Itoa(target))
	b.WriteString("\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:")
	if ended {
		b.WriteString("VOD\n")
	} else {
		b.WriteString("EVENT\n")
	}
	for _, s := range segs {
		b.WriteString("#EXTINF:")
		b.WriteString(strconv.FormatFloat(s.Duration, 'f', 6, 64))
		b.WriteString(",\n")
		b.WriteString(s.Name)
		b.WriteByte('\n')
	}
	if ended {
		b.WriteString("#EXT-X-ENDLIST\n")
	}
	return b.Bytes()
}
