package config_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/config"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsLocal(t *testing.T) {
	c, err := config.Load(env(nil), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"PublicBaseURL": "http://127.0.0.1:8080", "Addr": "127.0.0.1:8080", "DataDir": ".local",
		"Retention": 336 * time.Hour, "PendingTTL": 10 * time.Minute, "FailedTTL": 24 * time.Hour,
		"MaxUploadBytes": int64(2147483648), "MaxDuration": 4 * time.Hour,
		"UploadURLTTL": 10 * time.Minute, "MediaURLTTL": 30 * time.Minute, "TTLSweepInterval": 30 * time.Second,
		"SegmentSeconds": 10, "UploadMinSpeed": int64(125_000), "ProcessTimeout": 15 * time.Minute,
		"SweepInterval": time.Minute, "ProcessConcurrency": 3, "ProcessQueueURL": "",
		"MetricsNamespace": "Soundtime", "MultipartThreshold": int64(64 << 20),
	}
	got := map[string]any{
		"PublicBaseURL": c.PublicBaseURL, "Addr": c.Addr, "DataDir": c.DataDir,
		"Retention": c.Track.Retention, "PendingTTL": c.Track.PendingTTL, "FailedTTL": c.Track.FailedTTL,
		"MaxUploadBytes": c.Track.MaxUploadBytes, "MaxDuration": c.MaxDuration,
		"UploadURLTTL": c.Track.UploadURLTTL, "MediaURLTTL": c.Track.MediaURLTTL, "TTLSweepInterval": c.TTLSweepInterval,
		"SegmentSeconds": c.SegmentSeconds, "UploadMinSpeed": c.Track.UploadMinSpeed, "ProcessTimeout": c.Track.ProcessTimeout,
		"SweepInterval": c.SweepInterval, "ProcessConcurrency": c.ProcessConcurrency, "ProcessQueueURL": c.ProcessQueueURL,
		"MetricsNamespace": c.MetricsNamespace, "MultipartThreshold": c.Track.MultipartThreshold,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestOverrides(t *testing.T) {
	c, err := config.Load(env(map[string]string{
		"RETENTION": "30s", "PENDING_TTL": "8s", "FAILED_TTL": "10s", "TTL_SWEEP_INTERVAL": "1s",
		"SOUNDTIME_ADDR": "127.0.0.1:9999", "PUBLIC_BASE_URL": "https://sound.example/", "MAX_UPLOAD_BYTES": "1000",
		"METRICS_NAMESPACE": "Soundtime/soundtime-prod",
	}), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	if c.Track.Retention != 30*time.Second || c.Track.PendingTTL != 8*time.Second || c.Track.FailedTTL != 10*time.Second ||
		c.TTLSweepInterval != time.Second || c.Track.MaxUploadBytes != 1000 || c.MetricsNamespace != "Soundtime/soundtime-prod" {
		t.Fatalf("overrides not applied: %+v", c)
	}
	if c.PublicBaseURL != "https://sound.example" {
		t.Fatalf("PublicBaseURL = %q, want the trailing slash trimmed", c.PublicBaseURL)
	}
	// Without PUBLIC_BASE_URL the local origin follows the listen address.
	c, _ = config.Load(env(map[string]string{"SOUNDTIME_ADDR": "127.0.0.1:9999"}), config.Local)
	if c.PublicBaseURL != "http://127.0.0.1:9999" {
		t.Fatalf("PublicBaseURL = %q", c.PublicBaseURL)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		mode config.Mode
		want []string
	}{
		{"lambda needs origin, table, bucket", nil, config.Lambda, []string{"PUBLIC_BASE_URL", "TABLE_NAME", "MEDIA_BUCKET"}},
		{"bad duration", map[string]string{"RETENTION": "two weeks"}, config.Local, []string{"RETENTION"}},
		{"negative duration", map[string]string{"PENDING_TTL": "-1m"}, config.Local, []string{"PENDING_TTL"}},
		{"zero duration", map[string]string{"TTL_SWEEP_INTERVAL": "0s"}, config.Local, []string{"TTL_SWEEP_INTERVAL"}},
		{"bad bytes", map[string]string{"MAX_UPLOAD_BYTES": "2GB"}, config.Local, []string{"MAX_UPLOAD_BYTES"}},
		{"relative origin", map[string]string{"PUBLIC_BASE_URL": "soundtime.example"}, config.Local, []string{"PUBLIC_BASE_URL"}},
		{"ftp origin", map[string]string{"PUBLIC_BASE_URL": "ftp://x.example"}, config.Local, []string{"PUBLIC_BASE_URL"}},
		{"URL past SigV4's week", map[string]string{"MEDIA_URL_TTL": "200h"}, config.Local, []string{"MEDIA_URL_TTL"}},
		{"segment too short", map[string]string{"HLS_SEGMENT_SECONDS": "1"}, config.Local, []string{"HLS_SEGMENT_SECONDS"}},
		{"segment not a number", map[string]string{"HLS_SEGMENT_SECONDS": "ten"}, config.Local, []string{"HLS_SEGMENT_SECONDS"}},
		{"two at once", map[string]string{"FAILED_TTL": "x", "MAX_DURATION": "y"}, config.Local, []string{"FAILED_TTL", "MAX_DURATION"}},
		// An SQS event source's MaximumConcurrency is 2 to 1000; the runner keeps AWS's range.
		{"one run at a time", map[string]string{"PROCESS_CONCURRENCY": "1"}, config.Local, []string{"PROCESS_CONCURRENCY"}},
		{"too many runs", map[string]string{"PROCESS_CONCURRENCY": "1001"}, config.Local, []string{"PROCESS_CONCURRENCY"}},
		{"runs not a number", map[string]string{"PROCESS_CONCURRENCY": "many"}, config.Local, []string{"PROCESS_CONCURRENCY"}},
		// What is not uploaded in parts is one PUT, at most 5 GiB.
		{"threshold past a single PUT", map[string]string{"MULTIPART_THRESHOLD": "5368709121"}, config.Local, []string{"MULTIPART_THRESHOLD"}},
		{"threshold zero", map[string]string{"MULTIPART_THRESHOLD": "0"}, config.Local, []string{"MULTIPART_THRESHOLD"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := config.Load(env(c.env), c.mode)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, name := range c.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
		})
	}
	if _, err := config.Load(env(map[string]string{"PUBLIC_BASE_URL": "https://s.example", "TABLE_NAME": "t", "MEDIA_BUCKET": "b"}), config.Lambda); err != nil {
		t.Fatalf("a complete Lambda environment: %v", err)
	}
}

// TestContractNamesTheConfiguration: every name Load reads is in docs/api.md's configuration
// table, and every name there is read, so the contract and the code cannot drift apart.
func TestContractNamesTheConfiguration(t *testing.T) {
	raw, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(raw), "## Configuration")
	if !ok {
		t.Fatal("docs/api.md has no Configuration section")
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range regexp.MustCompile("`([A-Z0-9_]+)`").FindAllStringSubmatch(first, -1) {
			documented[m[1]] = true
		}
	}
	read := map[string]bool{}
	config.Load(func(k string) string { read[k] = true; return "" }, config.Local)
	for k := range read {
		if !documented[k] {
			t.Errorf("%s is read but not in docs/api.md", k)
		}
	}
	for k := range documented {
		if !read[k] {
			t.Errorf("docs/api.md names %s, which nothing reads", k)
		}
	}
}

func TestFederation(t *testing.T) {
	c, err := config.Load(env(nil), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Federation
	if !f.Enabled || f.Handle != "tracks" || f.RetryBase != time.Minute || f.InsecureHTTP || len(f.AllowIPs) != 0 || len(f.BlockedDomains) != 0 || f.FollowersTable != "followers" {
		t.Fatalf("defaults = %+v", f)
	}
	c, err = config.Load(env(map[string]string{
		"FEDERATION": "false", "FEDERATION_HANDLE": "music_1", "FEDERATION_BLOCKED_DOMAINS": " Spam.Example, ,evil.example ",
		"FEDERATION_ALLOW_IPS": "127.0.0.1/8,::1/128", "FEDERATION_INSECURE_HTTP": "true", "FEDERATION_RETRY_BASE": "2s",
	}), config.Local)
	if err != nil {
		t.Fatal(err)
	}
	f = c.Federation
	if f.Enabled || f.Handle != "music_1" || !f.InsecureHTTP || f.RetryBase != 2*time.Second ||
		strings.Join(f.BlockedDomains, ",") != "spam.example,evil.example" ||
		len(f.AllowIPs) != 2 || f.AllowIPs[0].String() != "127.0.0.0/8" {
		t.Fatalf("overrides = %+v", f)
	}
	for name, v := range map[string]string{
		"FEDERATION": "maybe", "FEDERATION_HANDLE": "a b", "FEDERATION_ALLOW_IPS": "localhost", "FEDERATION_RETRY_BASE": "-1s",
	} {
		if _, err := config.Load(env(map[string]string{name: v}), config.Local); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: error %v, want one naming it", name, v, err)
		}
	}
}
