// Package config reads Soundtime's configuration from the environment, with the names and
// defaults of docs/api.md. Every function and the local runner parse it once, in main, through Load:
// a malformed value, or a missing one that has no default, fails at start with its name.
package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// Config is the whole configuration; each program uses the part it needs.
type Config struct {
	PublicBaseURL string // PUBLIC_BASE_URL, no trailing slash
	Track         track.Config
	MaxDuration   time.Duration // MAX_DURATION
	// SegmentSeconds is the HLS segment length (HLS_SEGMENT_SECONDS, 2 to 30).
	SegmentSeconds int

	TableName   string // TABLE_NAME
	MediaBucket string // MEDIA_BUCKET
	// ProcessQueueURL is the process queue (PROCESS_QUEUE_URL): S3 notifies it of uploads, the
	// sweep function sends it redrives, and the process function is fed from it. Set by the
	// template; the local runner makes its own.
	ProcessQueueURL string
	// ProcessConcurrency (PROCESS_CONCURRENCY) is the most process runs at once: the local
	// runner's bound, the template's ProcessConcurrency parameter (the queue's event source
	// MaximumConcurrency) in AWS.
	ProcessConcurrency int
	// FFmpegPath is the ffmpeg the process function runs (FFMPEG_PATH: the layer's
	// /opt/bin/ffmpeg in Lambda). The local runner finds the pinned build when it is empty.
	FFmpegPath string
	// LimitsTable (LIMITS_TABLE) counts upload starts per client across instances; empty
	// leaves only the per-instance limit.
	LimitsTable string
	// StatsTable (STATS_TABLE) keeps the counters of /api/stats; empty keeps none (and
	// /api/stats answers 404).
	StatsTable string
	// OriginSecret (ORIGIN_VERIFY_SECRET) is what CloudFront sends the API in X-Origin-Verify;
	// when set, requests without it are refused. Empty under make dev.
	OriginSecret string
	// MetricsNamespace (METRICS_NAMESPACE) is the CloudWatch namespace of the metrics the
	// functions log in Embedded Metric Format: Soundtime/<stack> in AWS (the template sets it),
	// Soundtime locally.
	MetricsNamespace string

	Federation Federation

	// The local runner only.
	Addr             string        // SOUNDTIME_ADDR
	DataDir          string        // SOUNDTIME_DATA_DIR
	SPADir           string        // SOUNDTIME_SPA_DIR: the built web app (spa/dist)
	TTLSweepInterval time.Duration // TTL_SWEEP_INTERVAL
	// SweepInterval is how often the runner re-drives lost uploads and dead runs (SWEEP_INTERVAL;
	// in AWS a schedule of the sweep function).
	SweepInterval time.Duration
}

// Federation is the ActivityPub part of the configuration.
type Federation struct {
	Enabled bool   // FEDERATION: false turns every federation route into 404 and announces nothing
	Handle  string // FEDERATION_HANDLE: the actor's user name
	// BlockedDomains (FEDERATION_BLOCKED_DOMAINS): follows from these domains and their
	// subdomains are refused, lower case.
	BlockedDomains []string
	// AllowIPs (FEDERATION_ALLOW_IPS, tests only): non-public addresses remote fetches may reach.
	AllowIPs []netip.Prefix
	// InsecureHTTP (FEDERATION_INSECURE_HTTP, tests only) allows http:// actors and inboxes.
	InsecureHTTP bool
	// RetryBase (FEDERATION_RETRY_BASE) is the first retry delay of a failed delivery.
	RetryBase time.Duration

	QueueURL       string // DELIVERY_QUEUE_URL: the delivery queue (set by the template)
	FollowersTable string // FOLLOWERS_TABLE (set by the template; "followers" locally)
	// KeyParameter (ACTOR_KEY_PARAMETER) names the SSM parameter that keeps the actor's key in
	// AWS; the local runner keeps it in a file of its data folder instead.
	KeyParameter string
}

// DefaultProcessConcurrency is PROCESS_CONCURRENCY's default, the template's ProcessConcurrency
// default too (template_functions_test.go keeps them equal).
const DefaultProcessConcurrency = 3

// maxSinglePut is the largest object S3 accepts in one PUT.
const maxSinglePut = 5 << 30

// Mode says where a program runs, which decides what may be defaulted.
type Mode int

const (
	// Lambda: the deployed functions. The origin, table and bucket come from the template and
	// have no default: a function wired wrong must fail at start, not sign URLs for localhost.
	Lambda Mode = iota
	// Local: `make dev` and the tests, where every value has a default.
	Local
)

// Load reads the configuration through getenv (os.Getenv in main, a map in tests).
func Load(getenv func(string) string, mode Mode) (Config, error) {
	p := parser{getenv: getenv}
	var c Config
	local := mode == Local
	c.Addr = p.str("SOUNDTIME_ADDR", "127.0.0.1:8080", true) // the runner only
	c.PublicBaseURL = strings.TrimRight(p.str("PUBLIC_BASE_URL", "http://"+c.Addr, local), "/")
	c.TableName = p.str("TABLE_NAME", "tracks", local)
	c.MediaBucket = p.str("MEDIA_BUCKET", "soundtime-media", local)
	c.ProcessQueueURL = p.str("PROCESS_QUEUE_URL", "", true)
	c.ProcessConcurrency = int(p.bytes("PROCESS_CONCURRENCY", DefaultProcessConcurrency))
	if c.ProcessConcurrency < 2 || c.ProcessConcurrency > 1000 {
		p.fail("PROCESS_CONCURRENCY", strconv.Itoa(c.ProcessConcurrency), "a whole number from 2 to 1000 (an SQS event source's MaximumConcurrency)")
	}
	c.FFmpegPath = p.str("FFMPEG_PATH", "", true)
	c.LimitsTable = p.str("LIMITS_TABLE", limitsOr(local, "limits"), true)
	c.StatsTable = p.str("STATS_TABLE", limitsOr(local, "stats"), true)
	c.OriginSecret = p.str("ORIGIN_VERIFY_SECRET", "", true)
	c.MetricsNamespace = p.str("METRICS_NAMESPACE", "Soundtime", true)
	c.Federation = Federation{
		Enabled:        p.boolean("FEDERATION", true),
		Handle:         p.str("FEDERATION_HANDLE", "tracks", true),
		BlockedDomains: p.list("FEDERATION_BLOCKED_DOMAINS"),
		AllowIPs:       p.prefixes("FEDERATION_ALLOW_IPS"),
		InsecureHTTP:   p.boolean("FEDERATION_INSECURE_HTTP", false),
		RetryBase:      p.duration("FEDERATION_RETRY_BASE", time.Minute),
		QueueURL:       p.str("DELIVERY_QUEUE_URL", "", true),
		FollowersTable: p.str("FOLLOWERS_TABLE", limitsOr(local, "followers"), true),
		KeyParameter:   p.str("ACTOR_KEY_PARAMETER", "", true),
	}
	if h := c.Federation.Handle; !validHandle(h) {
		p.fail("FEDERATION_HANDLE", h, "1 to 30 letters, digits or underscores")
	}
	c.DataDir = p.str("SOUNDTIME_DATA_DIR", ".local", true) // the runner only
	c.SPADir = p.str("SOUNDTIME_SPA_DIR", "spa/dist", true) // the runner only
	c.Track = track.Config{
		Retention:      p.duration("RETENTION", 336*time.Hour),
		PendingTTL:     p.duration("PENDING_TTL", 10*time.Minute),
		FailedTTL:      p.duration("FAILED_TTL", 24*time.Hour),
		MaxUploadBytes: p.bytes("MAX_UPLOAD_BYTES", 2<<30),
		UploadURLTTL:   p.duration("UPLOAD_URL_TTL", 10*time.Minute),
		MediaURLTTL:    p.duration("MEDIA_URL_TTL", 30*time.Minute),
		UploadMinSpeed: p.bytes("UPLOAD_MIN_SPEED", 125_000),
		ProcessTimeout: p.duration("PROCESS_TIMEOUT", 15*time.Minute),
		// Larger files go up in parts, several at once, resumable.
		MultipartThreshold: p.bytes("MULTIPART_THRESHOLD", 64<<20),
	}
	// What is not uploaded in parts is one PUT, which S3 refuses above 5 GiB.
	if c.Track.MultipartThreshold > maxSinglePut {
		p.fail("MULTIPART_THRESHOLD", strconv.FormatInt(c.Track.MultipartThreshold, 10), "at most 5368709120 (5 GiB, the largest single PUT)")
	}
	c.MaxDuration = p.duration("MAX_DURATION", 4*time.Hour)
	c.SegmentSeconds = int(p.bytes("HLS_SEGMENT_SECONDS", 10))
	if c.SegmentSeconds < 2 || c.SegmentSeconds > 30 {
		p.fail("HLS_SEGMENT_SECONDS", strconv.Itoa(c.SegmentSeconds), "a whole number of seconds from 2 to 30")
	}
	c.TTLSweepInterval = p.duration("TTL_SWEEP_INTERVAL", 30*time.Second)
	c.SweepInterval = p.duration("SWEEP_INTERVAL", time.Minute)
	if u, err := url.Parse(c.PublicBaseURL); c.PublicBaseURL != "" && (err != nil || u.Scheme == "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
		p.fail("PUBLIC_BASE_URL", c.PublicBaseURL, "an absolute http(s) URL")
	}
	// Presigned URLs signed with SigV4 live at most 7 days.
	for name, d := range map[string]time.Duration{"UPLOAD_URL_TTL": c.Track.UploadURLTTL, "MEDIA_URL_TTL": c.Track.MediaURLTTL} {
		if d > 7*24*time.Hour {
			p.fail(name, d.String(), "at most 168h (the SigV4 limit for presigned URLs)")
		}
	}
	return c, errors.Join(p.errs...)
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) fail(name, value, want string) {
	p.errs = append(p.errs, fmt.Errorf("config: %s=%q: want %s", name, value, want))
}

func (p *parser) str(name, def string, defaulted bool) string {
	v := strings.TrimSpace(p.getenv(name))
	if v != "" {
		return v
	}
	if !defaulted {
		p.errs = append(p.errs, fmt.Errorf("config: %s is required", name))
		return ""
	}
	return def
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.fail(name, v, "a positive Go duration such as 336h or 30s")
		return def
	}
	return d
}

func (p *parser) bytes(name string, def int64) int64 {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		p.fail(name, v, "a positive whole number")
		return def
	}
	return n
}

// limitsOr returns name for the local runner, whose tables have fixed names, and "" in AWS,
// where the template names them.
func limitsOr(local bool, name string) string {
	if local {
		return name
	}
	return ""
}

func (p *parser) boolean(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(name, v, "true or false")
		return def
	}
	return b
}

// list reads comma-separated values, lower-cased, empty entries dropped.
func (p *parser) list(name string) []string {
	var out []string
	for _, v := range strings.Split(p.getenv(name), ",") {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range p.list(name) {
		pre, err := netip.ParsePrefix(v)
		if err != nil {
			p.fail(name, v, "comma-separated CIDRs such as 127.0.0.0/8,::1/128")
			continue
		}
		out = append(out, pre.Masked())
	}
	return out
}

// validHandle: the user part of @handle@host, as Mastodon and GoToSocial accept it.
func validHandle(h string) bool {
	if h == "" || len(h) > 30 {
		return false
	}
	for _, r := range h {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}
