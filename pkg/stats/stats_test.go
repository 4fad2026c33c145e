package stats_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/stats"
	"github.com/soundtime/soundtime/pkg/track"
)

var at = time.Date(2026, 12, 2, 14, 37, 5, 0, time.UTC)

func withStatus(t track.Track, s track.Status) *track.Track {
	t.Status = s
	return &t
}

// A track's life, write by write: what each changes, and that the changes of a whole life sum to
// nothing in the gauges, in any order.
func TestTransition(t *testing.T) {
	pending := &track.Track{ID: "Ab3dEf9Z", Status: track.StatusPending, Size: 1000}
	processing := withStatus(*pending, track.StatusProcessing)
	leased := *processing
	leased.Attempts, leased.LeaseUntil = 1, at.Add(time.Minute)
	ready := withStatus(leased, track.StatusReady)
	ready.Duration, ready.ProcessSeconds, ready.DerivedBytes = 300, 6, 500
	refused := withStatus(*pending, track.StatusFailed)
	failed := withStatus(leased, track.StatusFailed)

	cases := []struct {
		name      string
		old, next *track.Track
		totals    stats.Totals
		hour      stats.Hour
	}{
		{"created", nil, pending, stats.Totals{Pending: 1}, stats.Hour{}},
		{"arrived", pending, processing, stats.Totals{Pending: -1, Processing: 1, BytesStored: 1000}, stats.Hour{Uploads: 1, BytesUploaded: 1000}},
		{"refused on arrival", pending, refused, stats.Totals{Pending: -1, Failed: 1}, stats.Hour{Uploads: 1, BytesUploaded: 1000, Failed: 1}},
		{"leased", processing, &leased, stats.Totals{}, stats.Hour{}},
		{"ready", &leased, ready, stats.Totals{Processing: -1, Ready: 1, BytesStored: 500},
			func() stats.Hour {
				h := stats.Hour{Ready: 1, AudioMillis: 300000, ProcessMillis: 6000}
				h.Histogram[stats.Bucket(6)] = 1
				return h
			}()},
		{"failed in processing", &leased, failed, stats.Totals{Processing: -1, Failed: 1, BytesStored: -1000}, stats.Hour{Failed: 1}},
		{"ready removed", ready, nil, stats.Totals{Ready: -1, BytesStored: -1500}, stats.Hour{}},
		{"pending expired", pending, nil, stats.Totals{Pending: -1}, stats.Hour{}},
		{"failed removed", failed, nil, stats.Totals{Failed: -1}, stats.Hour{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := stats.Transition(c.old, c.next, at)
			if got.Totals != c.totals {
				t.Errorf("totals %+v, want %+v", got.Totals, c.totals)
			}
			if got.Hour != c.hour {
				t.Errorf("hour %+v, want %+v", got.Hour, c.hour)
			}
			if got.IsZero() != (c.totals == stats.Totals{} && c.hour == stats.Hour{}) {
				t.Errorf("IsZero = %v", got.IsZero())
			}
		})
	}

	life := []stats.Change{
		stats.Transition(nil, pending, at), stats.Transition(pending, processing, at),
		stats.Transition(processing, &leased, at), stats.Transition(&leased, ready, at),
		stats.Transition(ready, nil, at),
	}
	for range 20 {
		rand.Shuffle(len(life), func(i, j int) { life[i], life[j] = life[j], life[i] })
		var sum stats.Totals
		for _, c := range life {
			sum = sum.Add(c.Totals)
		}
		if sum != (stats.Totals{}) {
			t.Fatalf("a whole life sums to %+v, want nothing", sum)
		}
	}
}

func TestBucket(t *testing.T) {
	for _, c := range []struct {
		seconds float64
		want    int
	}{{0, 0}, {0.25, 0}, {0.26, 1}, {0.5, 4}, {1, 8}, {1.01, 9}, {60, 32}, {1e9, stats.Buckets - 1}} {
		if got := stats.Bucket(c.seconds); got != c.want {
			t.Errorf("Bucket(%v) = %d, want %d", c.seconds, got, c.want)
		}
	}
}

// The quantiles read from the hourly histograms are within 9% of the exact ones, and the
// realtime factor is the audio's total over the processing's.
func TestSummarizeSpeed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var times []float64
	var hours []stats.Hour
	for i := range 24 {
		h := stats.Hour{Start: stats.HourOf(at).Add(-time.Duration(i) * time.Hour)}
		for range 40 {
			s := math.Exp(rng.NormFloat64()*0.8 + 2) // log-normal around 7 s
			times = append(times, s)
			h.Ready++
			h.ProcessMillis += int64(s * 1000)
			h.AudioMillis += int64(s * 1000 * 50)
			h.Histogram[stats.Bucket(s)]++
		}
		hours = append(hours, h)
	}
	// An hour outside the window changes nothing.
	old := stats.Hour{Start: stats.HourOf(at).Add(-30 * time.Hour), Ready: 1000, ProcessMillis: 1, AudioMillis: 1e9}
	old.Histogram[stats.Buckets-1] = 1000
	s := stats.Summarize(at, stats.Totals{}, append(hours, old))
	sort.Float64s(times)
	exact := func(q float64) float64 { return times[int(math.Ceil(q*float64(len(times))))-1] }
	p := s.Last24h.Processing
	if p.P50 == nil || p.P99 == nil || p.RealtimeFactor == nil {
		t.Fatalf("speed %+v", p)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", *p.P50, exact(0.5)}, {"p99", *p.P99, exact(0.99)}} {
		if math.Abs(c.got-c.want)/c.want > 0.09 {
			t.Errorf("%s = %v, exact %v: more than 9%% off", c.name, c.got, c.want)
		}
	}
	if math.Abs(*p.RealtimeFactor-50) > 0.01 {
		t.Errorf("realtime factor %v, want 50", *p.RealtimeFactor)
	}
}

func TestSummarize(t *testing.T) {
	current := stats.HourOf(at)
	hours := []stats.Hour{
		{Start: current, Uploads: 2, Plays: 5, Downloads: 1, BytesUploaded: 300, Failed: 1},
		{Start: current.Add(-23 * time.Hour), Uploads: 1, Plays: 1},   // in the last 24 hours
		{Start: current.Add(-24 * time.Hour), Uploads: 7, Plays: 7},   // in the series, not the 24 hours
		{Start: current.Add(-48 * time.Hour), Uploads: 100, Plays: 9}, // outside both
		{Start: current.Add(time.Hour), Uploads: 100},                 // a clock ahead: ignored
	}
	s := stats.Summarize(at, stats.Totals{Pending: 1, Ready: 3, Failed: -1, BytesStored: 42, Followers: 2}, hours)
	if len(s.Hourly) != stats.HoursShown {
		t.Fatalf("%d hours, want %d", len(s.Hourly), stats.HoursShown)
	}
	if first, last := s.Hourly[0].Hour, s.Hourly[len(s.Hourly)-1].Hour; !last.Equal(current) || !first.Equal(current.Add(-47*time.Hour)) {
		t.Errorf("series from %v to %v", first, last)
	}
	if !slices.IsSortedFunc(s.Hourly, func(a, b stats.HourPoint) int { return a.Hour.Compare(b.Hour) }) {
		t.Error("series not oldest first")
	}
	var uploads int64
	for _, h := range s.Hourly {
		uploads += h.Uploads
	}
	if uploads != 10 {
		t.Errorf("series holds %d uploads, want 10", uploads)
	}
	w := s.Last24h
	if w.Uploads != 3 || w.Plays != 6 || w.Downloads != 1 || w.BytesUploaded != 300 || w.Failed != 1 {
		t.Errorf("last 24 h %+v", w)
	}
	if w.Processing.P50 != nil || w.Processing.P99 != nil || w.Processing.RealtimeFactor != nil {
		t.Errorf("speed %+v with nothing processed, want nulls", w.Processing)
	}
	if s.Tracks != (stats.TrackCounts{Pending: 1, Ready: 3}) || s.BytesStored != 42 || s.Followers != 2 {
		t.Errorf("gauges %+v %d %d", s.Tracks, s.BytesStored, s.Followers)
	}

	// The JSON is the contract's, and nothing else: no ID, name or address has a field.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if got := strings.Join(keys, ","); got != "bytesStored,followers,hourly,last24h,tracks" {
		t.Errorf("top-level fields %s", got)
	}
	for _, want := range []string{`"tracks":{"pending":1,"processing":0,"ready":3,"failed":0}`, `"processing":{"p50":null,"p99":null,"realtimeFactor":null}`, `"hour":"` + current.Format(time.RFC3339) + `","uploads":2,"plays":5}]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}
