// Package stats is what GET /api/stats reports and how each thing that happens changes it. The
// counters are kept as things happen, never by scanning the table: every write that moves a
// track (pkg/dynamo) adds its Change to the counters in the same transaction, so an event
// delivered twice, whose second write is refused by the track's version condition, never counts
// twice. The package imports no AWS package: pkg/dynamo stores the counters, pkg/httpapi serves
// the Snapshot.
package stats

import (
	"math"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Totals are the gauges: what exists now.
type Totals struct {
	Pending, Processing, Ready, Failed int64
	BytesStored                        int64
	Followers                          int64
}

// Add returns t plus d.
func (t Totals) Add(d Totals) Totals {
	return Totals{
		Pending: t.Pending + d.Pending, Processing: t.Processing + d.Processing,
		Ready: t.Ready + d.Ready, Failed: t.Failed + d.Failed,
		BytesStored: t.BytesStored + d.BytesStored, Followers: t.Followers + d.Followers,
	}
}

// Sub returns t minus d.
func (t Totals) Sub(d Totals) Totals {
	return t.Add(Totals{-d.Pending, -d.Processing, -d.Ready, -d.Failed, -d.BytesStored, -d.Followers})
}

// Hour is what happened in one clock hour (UTC), the unit of the hourly series and of the last
// 24 hours' sums.
type Hour struct {
	Start         time.Time // the hour, truncated; ignored in a Change
	Uploads       int64     // originals that arrived (accepted or refused)
	BytesUploaded int64
	Plays         int64 // stream.m3u8 requests of ready tracks
	Downloads     int64
	Failed        int64 // tracks that failed
	Ready         int64 // tracks that became ready
	// ProcessMillis and AudioMillis sum, over the tracks that became ready, the processing runs'
	// wall time and the audio's duration: their ratio is the realtime factor.
	ProcessMillis int64
	AudioMillis   int64
	// Histogram counts the tracks that became ready by their processing time (see Bucket).
	Histogram [Buckets]int64
}

// Add returns h plus d, keeping h's Start.
func (h Hour) Add(d Hour) Hour {
	h.Uploads += d.Uploads
	h.BytesUploaded += d.BytesUploaded
	h.Plays += d.Plays
	h.Downloads += d.Downloads
	h.Failed += d.Failed
	h.Ready += d.Ready
	h.ProcessMillis += d.ProcessMillis
	h.AudioMillis += d.AudioMillis
	for i, n := range d.Histogram {
		h.Histogram[i] += n
	}
	return h
}

// Change is what one event adds to the counters: to the totals, and to the hour of At.
type Change struct {
	Totals Totals
	At     time.Time
	Hour   Hour
}

// IsZero reports whether c changes nothing: a write that does not move a track between
// statuses (a lease taken or given back, an expiry slid) costs no counter write.
func (c Change) IsZero() bool { return c.Totals == (Totals{}) && c.Hour == (Hour{}) }

// HourOf is the start of the hour of at, in UTC.
func HourOf(at time.Time) time.Time { return at.UTC().Truncate(time.Hour) }

// state is what one track contributes to the gauges.
func state(t *track.Track) Totals {
	if t == nil {
		return Totals{}
	}
	s := Totals{BytesStored: t.StoredBytes()}
	switch t.Status {
	case track.StatusPending:
		s.Pending = 1
	case track.StatusProcessing:
		s.Processing = 1
	case track.StatusReady:
		s.Ready = 1
	case track.StatusFailed:
		s.Failed = 1
	}
	return s
}

// Transition is the Change of a track written as next where it was old, at at: nil old for a
// track created, nil next for one removed (deleted, or expired and removed by the TTL). The
// gauges move by the difference of the two states, so the changes of a track's life sum to
// nothing once it is gone, whatever order they are applied in.
func Transition(old, next *track.Track, at time.Time) Change {
	c := Change{Totals: state(next).Sub(state(old)), At: at}
	if old == nil || next == nil || old.Status == next.Status {
		return c
	}
	if old.Status == track.StatusPending {
		// The original arrived: processing took it, or it was refused on arrival.
		c.Hour.Uploads, c.Hour.BytesUploaded = 1, next.Size
	}
	switch next.Status {
	case track.StatusFailed:
		c.Hour.Failed = 1
	case track.StatusReady:
		c.Hour.Ready = 1
		c.Hour.AudioMillis = millis(next.Duration)
		if next.ProcessSeconds > 0 {
			c.Hour.ProcessMillis = millis(next.ProcessSeconds)
			c.Hour.Histogram[Bucket(next.ProcessSeconds)] = 1
		}
	}
	return c
}

// Played is the Change of one play at at; Downloaded of one download.
func Played(at time.Time) Change     { return Change{At: at, Hour: Hour{Plays: 1}} }
func Downloaded(at time.Time) Change { return Change{At: at, Hour: Hour{Downloads: 1}} }

// Followed is the Change of a follower gained (+1) or lost (-1).
func Followed(at time.Time, delta int64) Change {
	return Change{At: at, Totals: Totals{Followers: delta}}
}

func millis(seconds float64) int64 { return int64(math.Round(seconds * 1000)) }

// Buckets is the number of buckets of the processing-time histogram.
const Buckets = 64

// bucketBase is the upper bound of the first bucket; each next bound is 2^(1/4) times larger,
// so a quantile read from the histogram is within 9% of the truth (the bucket's geometric
// middle), and 64 buckets reach about four hours.
const bucketBase = 0.25

// Bucket is the histogram bucket of a processing time in seconds: the first whose upper bound
// is at least seconds, the last for anything longer.
func Bucket(seconds float64) int {
	if seconds <= bucketBase {
		return 0
	}
	i := int(math.Ceil(4 * math.Log2(seconds/bucketBase)))
	return min(i, Buckets-1)
}

// upper is bucket i's upper bound in seconds.
func upper(i int) float64 { return bucketBase * math.Pow(2, float64(i)/4) }

// quantile is the q-quantile (0 < q ≤ 1) of the histogram h: the geometric middle of the bucket
// where the count reaches q of the total. ok is false for an empty histogram.
func quantile(h [Buckets]int64, q float64) (float64, bool) {
	var total int64
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0, false
	}
	rank := int64(math.Ceil(q * float64(total)))
	var seen int64
	for i, n := range h {
		seen += n
		if seen >= rank {
			if i == 0 {
				return upper(0) / math.Sqrt2, true
			}
			return math.Sqrt(upper(i-1) * upper(i)), true
		}
	}
	return upper(Buckets - 1), true
}
