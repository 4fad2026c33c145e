package stats

import (
	"math"
	"time"
)

// HoursShown is the length of the hourly series, and HoursSummed of the "last 24 hours".
const (
	HoursShown  = 48
	HoursSummed = 24
)

// Snapshot is the answer of GET /api/stats (docs/api.md, "Operations"): aggregates only, no IDs,
// names or addresses.
type Snapshot struct {
	Tracks      TrackCounts `json:"tracks"`
	BytesStored int64       `json:"bytesStored"`
	Followers   int64       `json:"followers"`
	Last24h     Window      `json:"last24h"`
	// Hourly is the last HoursShown hours, oldest first, the current (partial) hour last.
	Hourly []HourPoint `json:"hourly"`
}

// TrackCounts are the tracks by status.
type TrackCounts struct {
	Pending    int64 `json:"pending"`
	Processing int64 `json:"processing"`
	Ready      int64 `json:"ready"`
	Failed     int64 `json:"failed"`
}

// Window sums the last HoursSummed hours, the current one included.
type Window struct {
	Uploads       int64 `json:"uploads"`
	Plays         int64 `json:"plays"`
	Downloads     int64 `json:"downloads"`
	BytesUploaded int64 `json:"bytesUploaded"`
	Failed        int64 `json:"failed"`
	Processing    Speed `json:"processing"`
}

// Speed is how fast tracks were processed: seconds per track at the median and the 99th
// percentile, and seconds of audio per second of processing. All nil when nothing was.
type Speed struct {
	P50            *float64 `json:"p50"`
	P99            *float64 `json:"p99"`
	RealtimeFactor *float64 `json:"realtimeFactor"`
}

// HourPoint is one hour of the series.
type HourPoint struct {
	Hour    time.Time `json:"hour"`
	Uploads int64     `json:"uploads"`
	Plays   int64     `json:"plays"`
}

// Hours returns the starts of the HoursShown hours of the series at now, oldest first.
func Hours(now time.Time) []time.Time {
	last := HourOf(now)
	out := make([]time.Time, HoursShown)
	for i := range out {
		out[i] = last.Add(-time.Duration(HoursShown-1-i) * time.Hour)
	}
	return out
}

// Summarize builds the snapshot at now from the totals and the hours stored (any order; hours
// outside the series are ignored, missing ones count as nothing happened).
func Summarize(now time.Time, t Totals, hours []Hour) Snapshot {
	byStart := make(map[time.Time]Hour, len(hours))
	for _, h := range hours {
		start := HourOf(h.Start)
		byStart[start] = byStart[start].Add(h)
	}
	s := Snapshot{
		// A gauge below zero would mean a removal counted before its creation: impossible when
		// both are counted in their writes' transactions, but never shown.
		Tracks: TrackCounts{
			Pending: max(t.Pending, 0), Processing: max(t.Processing, 0),
			Ready: max(t.Ready, 0), Failed: max(t.Failed, 0),
		},
		BytesStored: max(t.BytesStored, 0),
		Followers:   max(t.Followers, 0),
		Hourly:      make([]HourPoint, 0, HoursShown),
	}
	var window Hour
	starts := Hours(now)
	for i, start := range starts {
		h := byStart[start]
		s.Hourly = append(s.Hourly, HourPoint{Hour: start, Uploads: h.Uploads, Plays: h.Plays})
		if i >= len(starts)-HoursSummed {
			window = window.Add(h)
		}
	}
	s.Last24h = Window{
		Uploads: window.Uploads, Plays: window.Plays, Downloads: window.Downloads,
		BytesUploaded: window.BytesUploaded, Failed: window.Failed,
	}
	if p50, ok := quantile(window.Histogram, 0.50); ok {
		p99, _ := quantile(window.Histogram, 0.99)
		s.Last24h.Processing.P50, s.Last24h.Processing.P99 = round2(p50), round2(p99)
	}
	if window.ProcessMillis > 0 {
		s.Last24h.Processing.RealtimeFactor = round2(float64(window.AudioMillis) / float64(window.ProcessMillis))
	}
	return s
}

// round2 rounds to two decimals: the histogram's quantiles are good to 9%, and the answer need
// not carry float noise.
func round2(v float64) *float64 {
	r := math.Round(v*100) / 100
	return &r
}
