package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/soundtime/soundtime/pkg/httpapi"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// lambdaSessionToken stands for the session token of a Lambda role's credentials, which every
// signed URL carries (X-Amz-Security-Token): about a thousand characters.
var lambdaSessionToken = strings.Repeat("IQoJb3JpZ2luX2VjEJr", 53)

// setBench is the set routes over the in-memory table and the real S3 signer (no request is
// made: presigning is local), with n ready tracks that have a cover, a preview and a waveform,
// all in one set. It returns the handler, the set's ID and the tracks' IDs.
func setBench(b *testing.B, n int) (http.Handler, string, []string) {
	b.Helper()
	ctx := context.Background()
	client := awss3.New(awss3.Options{
		Region:      "eu-west-1",
		Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("ASIAEXAMPLEEXAMPLE12", "secret", lambdaSessionToken)),
	}, s3store.Options)
	store := tracktest.NewMemStore()
	svc := track.NewService(store, s3store.New(client, "soundtime-prod-media-123456789012-eu-west-1"), testConfig)
	sets := &track.Sets{Store: tracktest.NewMemSets(store), Tracks: svc}
	srv := &httpapi.Server{Tracks: svc, Sets: sets, BaseURL: baseURL, Log: slog.New(slog.NewJSONHandler(discard{}, nil))}
	now := time.Now()
	req := track.SetRequest{Title: "A whole library"}
	var ids []string
	for i := range n {
		id := fmt.Sprintf("Bench%03d", i)
		t := tracktest.Sample(id, now)
		t.Status, t.ExpiresAt, t.UploadedAt, t.Duration = track.StatusReady, now.Add(testConfig.Retention), now, 241.37
		t.Audio = &track.Audio{Codec: "mp3", Bitrate: 320000, SampleRate: 44100, Channels: 2}
		t.Tags = &track.Tags{Title: "Song " + id, Artist: "Band", Album: "Live", Year: 2019, Track: i + 1}
		t.CoverKey, t.CoverType = track.CoverKey(id, "jpg"), "image/jpeg"
		t.PreviewKey, t.PlaylistKey, t.WaveformKey = track.PreviewKey(id), track.PlaylistKey(id), track.WaveformKey(id)
		if err := store.Create(ctx, t); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
		req.Tracks = append(req.Tracks, track.SetEntry{ID: id, DeleteToken: "token-" + id})
	}
	c, err := sets.Create(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	return srv.Handler(httpapi.Tracks, httpapi.Sets), c.Set.ID, ids
}

// BenchmarkSetGet reads a set of n tracks in one request (plain, and gzipped as a client that
// accepts it gets it), against the baseline of reading the same tracks one GET /api/tracks/{id}
// each, in the same process; B/response is the size of the set's answer with signed URLs as a
// Lambda role makes them (a Lambda function answers API Gateway with at most 6 MB).
func BenchmarkSetGet(b *testing.B) {
	for _, n := range []int{100, 1000} {
		h, id, ids := setBench(b, n)
		b.Run(fmt.Sprintf("set/tracks=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/sets/"+id, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status = %d: %.200s", rec.Code, rec.Body)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "B/response")
		})
		b.Run(fmt.Sprintf("set-gzip/tracks=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest("GET", "/api/sets/"+id, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
					b.Fatalf("status = %d, %v", rec.Code, rec.Header())
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "B/response")
		})
		b.Run(fmt.Sprintf("each/tracks=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range ids {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/tracks/"+t, nil))
					if rec.Code != http.StatusOK {
						b.Fatalf("status = %d: %.200s", rec.Code, rec.Body)
					}
				}
			}
		})
	}
}
