package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/soundtime/soundtime/pkg/apigw"
	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/httpapi"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	s3store "github.com/soundtime/soundtime/pkg/s3"
	"github.com/soundtime/soundtime/pkg/track"
)

// The handler benchmarks put what the API functions do per request beside the AWS calls they
// cannot avoid, in one process, against the same local servers, interleaved call by call so that
// both sides see the same machine:
//
//   - get: the track function's handler (apigw.NewHandler over the routes of functions/track,
//     whose Invoke lambda.Start calls as it is: the event's JSON in, the response's JSON out)
//     serving GET /api/tracks/{id} of a ready track with a cover, against a bare GetItem and the
//     three PresignGetObject calls of its cover, preview and waveform;
//   - create: the upload function's handler serving POST /api/tracks, against a bare
//     conditional PutItem of the same item and one PresignPutObject.
//
// The table is dynalite's own endpoint (not the transaction proxy, which would run in this
// process); presigning is local. Without STATS_TABLE and LIMITS_TABLE, so that a create is one
// PutItem as in the bare calls (with them it is a transaction with the counters and a count of
// the viewer's uploads). Each side's figures are per call: wall time (ns), CPU time of this
// process (getrusage: the garbage collector's workers included, the servers' not), bytes and
// objects allocated; "ratio" is handler over bare for wall time, "cpu-ratio" for CPU.
//
//	make bench-handlers
//	go test -run '^$' -bench Handlers -benchtime 2000x -count 6 -cpu 1,2 ./pkg/app/
func BenchmarkHandlers(b *testing.B) {
	env := newBenchEnv(b)
	b.Run("get", func(b *testing.B) {
		handler, bare := env.getPair(b)
		runPair(b, handler, bare, nil)
	})
	b.Run("create", func(b *testing.B) {
		handler, bare, prepare := env.createPair(b)
		runPair(b, handler, bare, prepare)
	})
}

// lambdaSessionToken stands for the session token of a Lambda role's credentials, which every
// URL the functions sign carries (about 1 kB).
var lambdaSessionToken = strings.Repeat("IQoJb3JpZ2luX2VjEJr", 53)

type benchEnv struct {
	cfg    config.Config
	app    *app.App
	ddb    *dynamodb.Client
	signer *s3.PresignClient
	// track is the ready track the reads read.
	track *track.Track
	// bareItems counts the items the bare creates have put: each run of the benchmark (-count,
	// -cpu) puts new ones into the same table.
	bareItems int
}

func newBenchEnv(b *testing.B) *benchEnv {
	ctx := context.Background()
	st := localawstest.StartTest(b, "")
	env := map[string]string{
		"PUBLIC_BASE_URL": "https://soundtime.example", "TABLE_NAME": "tracks", "MEDIA_BUCKET": "media",
		"ORIGIN_VERIFY_SECRET": benchOriginSecret, "FEDERATION": "true",
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, config.Lambda)
	if err != nil {
		b.Fatal(err)
	}
	ddb := dynamodb.NewFromConfig(st.AWSConfig(), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(st.DynaliteEndpoint)
	})
	if err := localaws.EnsureTracksTable(ctx, ddb, cfg.TableName); err != nil {
		b.Fatal(err)
	}
	if err := localaws.EnsureBucket(ctx, st.S3(), cfg.MediaBucket, cfg.PublicBaseURL); err != nil {
		b.Fatal(err)
	}
	// The presigning client has a Lambda role's credentials: what the functions sign with.
	awsCfg := st.AWSConfig()
	awsCfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("ASIAEXAMPLEEXAMPLE12", "secret", lambdaSessionToken))
	s3c := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(st.S3Endpoint)
		o.UsePathStyle = true
		s3store.Options(o)
	})
	a := app.New(cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)), s3c, ddb)

	// A ready track with a cover, a preview and a waveform, whose expiry is as far as a read
	// would slide it: reads write nothing (the slide is written at most once a day).
	now := time.Now().UTC().Truncate(time.Second)
	id := "Bench001"
	t := &track.Track{
		ID: id, Status: track.StatusReady, Filename: "Set at the Roundhouse (live).mp3", Type: "audio/mpeg",
		Size: 9_876_543, MD5: "1B2M2Y8AsgTpgAmY7PhCfg==", Downloadable: true, Public: true,
		CreatedAt: now.Add(-time.Hour), UploadedAt: now.Add(-time.Hour), ExpiresAt: now.Add(cfg.Track.Retention),
		OriginalKey: track.OriginalKey(id, "0b1c8f8e-3d2a-4f6b-9c1e-2a7d5e4f3b21"), DeleteTokenHash: track.HashToken("token"),
		Duration: 241.5, Audio: &track.Audio{Codec: "mp3", Bitrate: 320000, SampleRate: 44100, Channels: 2},
		Tags:     &track.Tags{Title: "Roundhouse", Artist: "Someone", Album: "Live", Year: 2026, Track: 3, Genre: "Electronic"},
		CoverKey: "derived/" + id + "/cover.jpg", CoverType: "image/jpeg", Theme: &track.Theme{Background: "#112233", Foreground: "#ffffff", Accent: "#ff8800"},
		PreviewKey: "derived/" + id + "/preview.ogg", PlaylistKey: "derived/" + id + "/stream.m3u8", WaveformKey: "derived/" + id + "/waveform.json",
	}
	if err := a.Store.Create(ctx, t); err != nil {
		b.Fatal(err)
	}
	return &benchEnv{cfg: cfg, app: a, ddb: ddb, signer: s3.NewPresignClient(s3c), track: t}
}

const benchOriginSecret = "origin-secret-of-the-benchmark"

// call is one request of a side; it fails the benchmark on a wrong answer.
type call func(b *testing.B, i int)

// apiEvent is an API Gateway HTTP API (payload 2.0) event as CloudFront forwards it.
func apiEvent(method, path, body, viewer string) []byte {
	e := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "$default", RawPath: path,
		Headers: map[string]string{
			"accept": "application/json", "accept-encoding": "gzip, br", "host": "abc123.execute-api.us-east-1.amazonaws.com",
			"user-agent": "Amazon CloudFront", "via": "2.0 0123456789abcdef.cloudfront.net (CloudFront)",
			"x-amzn-trace-id":   "Root=1-67891233-abcdef012345678912345678",
			"x-forwarded-for":   viewer + ", 130.176.0.1",
			"x-forwarded-port":  "443",
			"x-forwarded-proto": "https",
			"x-viewer-address":  viewer,
			"x-origin-verify":   benchOriginSecret,
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012", APIID: "abc123", DomainName: "abc123.execute-api.us-east-1.amazonaws.com",
			DomainPrefix: "abc123", RequestID: "JKJaXmPLvHcESHA=", RouteKey: "$default", Stage: "$default",
			Time: "02/Dec/2026:16:00:00 +0000", TimeEpoch: 1796227200000,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "130.176.0.1", UserAgent: "Amazon CloudFront",
			},
		},
		Body: body,
	}
	if body != "" {
		e.Headers["content-type"] = "application/json"
		e.Headers["content-length"] = fmt.Sprint(len(body))
	}
	p, err := json.Marshal(e)
	if err != nil {
		panic(err)
	}
	return p
}

func (env *benchEnv) getPair(b *testing.B) (handler, bare call) {
	h := lambda.NewHandler(apigw.NewHandler(env.app.API().Handler(httpapi.Tracks)))
	payload := apiEvent("GET", "/api/tracks/"+env.track.ID, "", "203.0.113.7")
	ctx := context.Background()
	handler = func(b *testing.B, _ int) {
		out, err := h.Invoke(ctx, payload)
		if err != nil || !bytes.Contains(out, []byte(`"statusCode":200`)) || !bytes.Contains(out, []byte(`waveform.json`)) {
			b.Fatalf("GET: %v %.300s", err, out)
		}
	}
	t, ttl := env.track, env.cfg.Track.MediaURLTTL
	table, key := env.cfg.TableName, map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: t.ID}}
	objects := []struct{ key, typ string }{{t.CoverKey, t.CoverType}, {t.PreviewKey, "audio/ogg"}, {t.WaveformKey, "application/json"}}
	bare = func(b *testing.B, _ int) {
		out, err := env.ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil || len(out.Item) == 0 {
			b.Fatalf("GetItem: %v", err)
		}
		for _, o := range objects {
			if _, err := env.signer.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &env.cfg.MediaBucket, Key: &o.key, ResponseContentType: &o.typ}, s3.WithPresignExpires(ttl)); err != nil {
				b.Fatal(err)
			}
		}
	}
	return handler, bare
}

// viewers is how many viewer addresses the creates rotate through: each stays far below the
// per-viewer limit of upload starts, as many visitors would.
const viewers = 4096

// createPair returns the two sides of a create and prepare, which makes the bare side's items
// before call i (outside the timing).
func (env *benchEnv) createPair(b *testing.B) (handler, bare call, prepare func(i int)) {
	h := lambda.NewHandler(apigw.NewHandler(env.app.API().Handler(httpapi.Uploads)))
	const body = `{"filename":"Set at the Roundhouse (live).mp3","type":"audio/mpeg","size":9876543,"md5":"1B2M2Y8AsgTpgAmY7PhCfg==","downloadable":true,"public":true}`
	payloads := make([][]byte, viewers)
	for i := range payloads {
		payloads[i] = apiEvent("POST", "/api/tracks", body, fmt.Sprintf("198.51.%d.%d", i/256, i%256))
	}
	ctx := context.Background()
	handler = func(b *testing.B, i int) {
		out, err := h.Invoke(ctx, payloads[i%viewers])
		if err != nil || !bytes.Contains(out, []byte(`"statusCode":201`)) {
			b.Fatalf("POST: %v %.300s", err, out)
		}
	}
	// The bare side puts the item the handler puts (marshalled here, outside the timing: that
	// is the handler's work) under a fresh ID each time.
	now := time.Now().UTC().Truncate(time.Second)
	pending := &track.Track{
		ID: "Bare0000", Status: track.StatusPending, Filename: "Set at the Roundhouse (live).mp3", Type: "audio/mpeg",
		Size: 9_876_543, MD5: "1B2M2Y8AsgTpgAmY7PhCfg==", Downloadable: true, Public: true,
		CreatedAt: now, ExpiresAt: now.Add(env.cfg.Track.PendingTTL), SweepAt: now.Add(time.Minute),
		OriginalKey: track.OriginalKey("Bare0000", "0b1c8f8e-3d2a-4f6b-9c1e-2a7d5e4f3b21"), DeleteTokenHash: track.HashToken("token"),
	}
	item, err := dynamo.Marshal(pending)
	if err != nil {
		b.Fatal(err)
	}
	const batch = 1024
	items := make([]map[string]types.AttributeValue, batch)
	keys := make([]string, batch)
	prepare = func(i int) {
		if i%batch != 0 {
			return
		}
		for j := range items {
			id := fmt.Sprintf("B%09d", env.bareItems)
			env.bareItems++
			it := make(map[string]types.AttributeValue, len(item))
			for k, v := range item {
				it[k] = v
			}
			it["id"] = &types.AttributeValueMemberS{Value: id}
			items[j], keys[j] = it, track.OriginalKey(id, "0b1c8f8e-3d2a-4f6b-9c1e-2a7d5e4f3b21")
		}
	}
	table, cond := env.cfg.TableName, "attribute_not_exists(id)"
	typ, size, md5 := pending.Type, pending.Size, pending.MD5
	urlTTL, _ := env.cfg.Track.UploadWindow(size)
	bare = func(b *testing.B, i int) {
		j := i % batch
		if _, err := env.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: items[j], ConditionExpression: &cond}); err != nil {
			b.Fatalf("PutItem: %v", err)
		}
		if _, err := env.signer.PresignPutObject(ctx, &s3.PutObjectInput{
			Bucket: &env.cfg.MediaBucket, Key: &keys[j], ContentType: &typ, ContentLength: &size, ContentMD5: &md5,
		}, s3.WithPresignExpires(urlTTL)); err != nil {
			b.Fatal(err)
		}
	}
	return handler, bare, prepare
}

// side accumulates one side's costs over the calls measured.
type side struct {
	calls          int
	wall, cpu      time.Duration
	bytes, objects uint64
}

// measure runs c once and adds what it cost. The memory statistics are read outside the timed
// part; reading them stops the world, which the wall and CPU times then do not include.
func (s *side) measure(b *testing.B, c call, i int, ms *runtime.MemStats) {
	runtime.ReadMemStats(ms)
	bytes0, objects0 := ms.TotalAlloc, ms.Mallocs
	cpu0 := cpuTime()
	start := time.Now()
	c(b, i)
	s.wall += time.Since(start)
	s.cpu += cpuTime() - cpu0
	runtime.ReadMemStats(ms)
	s.bytes += ms.TotalAlloc - bytes0
	s.objects += ms.Mallocs - objects0
	s.calls++
}

func (s *side) report(b *testing.B, name string) {
	n := float64(s.calls)
	b.ReportMetric(float64(s.wall.Nanoseconds())/n, name+"-ns/op")
	b.ReportMetric(float64(s.cpu.Nanoseconds())/n, name+"-cpu-ns/op")
	b.ReportMetric(float64(s.bytes)/n, name+"-B/op")
	b.ReportMetric(float64(s.objects)/n, name+"-allocs/op")
}

// runPair alternates the two sides call by call, the first call of each side left out (it
// dials the connection and fills the caches), and reports both and their ratios. prepare, when
// set, runs before each pair, outside the measurements.
func runPair(b *testing.B, handler, bare call, prepare func(i int)) {
	if prepare == nil {
		prepare = func(int) {}
	}
	prepare(0)
	handler(b, 0)
	bare(b, 0)
	var h, s side
	var ms runtime.MemStats
	i := 1
	for b.Loop() {
		prepare(i)
		if i%2 == 0 {
			h.measure(b, handler, i, &ms)
			s.measure(b, bare, i, &ms)
		} else {
			s.measure(b, bare, i, &ms)
			h.measure(b, handler, i, &ms)
		}
		i++
	}
	h.report(b, "handler")
	s.report(b, "bare")
	b.ReportMetric(float64(h.wall)/float64(s.wall), "ratio")
	b.ReportMetric(float64(h.cpu)/float64(s.cpu), "cpu-ratio")
}

// cpuTime is the CPU time this process has used, user and system, all threads.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
