package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/media/mediatest"
	"github.com/soundtime/soundtime/pkg/track"
)

// Multipart uploads through the HTTP API against the real stack: Versity stores the parts and
// sends its notification, the runner queues it, ffmpeg processes the file. Parts are 5 MiB,
// S3's (and Versity's) smallest but for the last, instead of production's 8 MiB: the minimum
// is lowered here only, through the configuration, never the environment.

const testPartSize = 5 << 20

// multipartStack is a runner that uploads files over 5 MiB in parts of 5 MiB; env adds to its
// environment.
func multipartStack(t *testing.T, env map[string]string) *testStack {
	t.Helper()
	vars := map[string]string{"MULTIPART_THRESHOLD": fmt.Sprint(testPartSize), "MAX_UPLOAD_BYTES": fmt.Sprint(64 << 20), "MAX_DURATION": "5m"}
	for k, v := range env {
		vars[k] = v
	}
	s, err := newStackTuned(t.TempDir(), vars, io.Discard, func(c *config.Config) { c.Track.MinPartSize = testPartSize })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// bigAudio is a real WAV of 61 seconds: 10.3 MiB, three parts (5 MiB, 5 MiB, 0.3 MiB).
func bigAudio(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(mediatest.Generate(t, mediatest.Dir(t), mediatest.Spec{Format: "wav", Seconds: 61}))
	if err != nil {
		t.Fatal(err)
	}
	if n := (len(b) + testPartSize - 1) / testPartSize; n != 3 {
		t.Fatalf("the test file is %d bytes, %d parts; want 3", len(b), n)
	}
	return b
}

func b64MD5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// mpClient is a browser's side of one multipart upload: the file, the track and its token.
type mpClient struct {
	client
	file      []byte
	id, token string
}

func (c client) startMultipart(file []byte, md5 string) mpClient {
	c.t.Helper()
	req := map[string]any{"filename": "DJ set.wav", "type": "audio/wav", "size": len(file)}
	if md5 != "" {
		req["md5"] = md5
	}
	r := c.postJSON("/api/tracks", req)
	if r.Status != http.StatusCreated {
		c.t.Fatalf("create = %d %s", r.Status, r.Body)
	}
	m := r.json(c.t)
	up := m["upload"].(map[string]any)
	if up["method"] != "MULTIPART" || up["partSize"] != float64(testPartSize) || up["partCount"] != float64(3) {
		c.t.Fatalf("upload = %v, want MULTIPART in 3 parts of 5 MiB", up)
	}
	return mpClient{client: c, file: file, id: m["id"].(string), token: m["deleteToken"].(string)}
}

func (u mpClient) auth() map[string]string {
	return map[string]string{"Authorization": "Bearer " + u.token, "Content-Type": "application/json"}
}

func (u mpClient) part(n int) []byte {
	return u.file[(n-1)*testPartSize : min(n*testPartSize, len(u.file))]
}

// sign asks for the URLs of parts and returns them by number.
func (u mpClient) sign(numbers ...int) map[int]map[string]any {
	u.t.Helper()
	var parts []map[string]any
	for _, n := range numbers {
		parts = append(parts, map[string]any{"number": n, "md5": b64MD5(u.part(n)), "size": len(u.part(n))})
	}
	r := u.call("POST", "/parts", map[string]any{"parts": parts})
	if r.Status != http.StatusOK {
		u.t.Fatalf("sign parts %v = %d %s", numbers, r.Status, r.Body)
	}
	out := map[int]map[string]any{}
	for _, p := range r.json(u.t)["parts"].([]any) {
		p := p.(map[string]any)
		out[int(p["number"].(float64))] = p
	}
	return out
}

func (u mpClient) call(method, path string, body any) response {
	u.t.Helper()
	var b []byte
	if body != nil {
		b = mustJSON(u.t, body)
	}
	return u.do(method, "/api/tracks/"+u.id+path, u.auth(), b)
}

// put sends body to a signed part URL with its headers, as the browser does.
func (u mpClient) put(p map[string]any, body []byte) response {
	u.t.Helper()
	headers := map[string]string{}
	for k, v := range p["headers"].(map[string]any) {
		headers[k] = v.(string)
	}
	return u.do(p["method"].(string), p["url"].(string), headers, body)
}

// listed returns GET …/parts's uploaded parts: number → ETag, and their sizes.
func (u mpClient) listed() (map[int]string, map[int]int64) {
	u.t.Helper()
	r := u.call("GET", "/parts", nil)
	if r.Status != http.StatusOK {
		u.t.Fatalf("GET parts = %d %s", r.Status, r.Body)
	}
	m := r.json(u.t)
	if m["partSize"] != float64(testPartSize) || m["partCount"] != float64(3) {
		u.t.Fatalf("GET parts = %v", m)
	}
	etags, sizes := map[int]string{}, map[int]int64{}
	for _, p := range m["uploaded"].([]any) {
		p := p.(map[string]any)
		n := int(p["number"].(float64))
		etags[n], sizes[n] = p["etag"].(string), int64(p["size"].(float64))
	}
	return etags, sizes
}

func (u mpClient) complete(etags map[int]string, md5 string) response {
	u.t.Helper()
	var parts []map[string]any
	for n := 1; n <= 3; n++ {
		parts = append(parts, map[string]any{"number": n, "etag": etags[n]})
	}
	body := map[string]any{"parts": parts}
	if md5 != "" {
		body["md5"] = md5
	}
	return u.call("POST", "/complete", body)
}

// sendAll signs and sends every part and returns their ETags.
func (u mpClient) sendAll() map[int]string {
	u.t.Helper()
	etags := map[int]string{}
	for n, p := range u.sign(1, 2, 3) {
		r := u.put(p, u.part(n))
		if r.Status != http.StatusOK {
			u.t.Fatalf("PUT part %d = %d %s", n, r.Status, r.Body)
		}
		etags[n] = r.Header.Get("ETag")
	}
	return etags
}

// inProgress returns the multipart uploads storage holds for track id.
func (s *testStack) inProgress(t *testing.T, id string) []string {
	t.Helper()
	out, err := s.stack.S3().ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{
		Bucket: &s.cfg.MediaBucket, Prefix: aws.String(track.UploadsPrefix + id + "/"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, u := range out.Uploads {
		ids = append(ids, aws.ToString(u.UploadId))
	}
	return ids
}

// noUploadsLeft waits (the stream is asynchronous) until storage holds no multipart upload of id.
func (s *testStack) noUploadsLeft(t *testing.T, id string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		left := s.inProgress(t, id)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("multipart uploads of %s left: %v", id, left)
		}
	}
}

func TestMultipart(t *testing.T) {
	s := multipartStack(t, nil)
	t.Run("upload", func(t *testing.T) { testMultipartUpload(t, s) })
	t.Run("wrong md5", func(t *testing.T) { testMultipartWrongMD5(t, s) })
	t.Run("delete aborts", func(t *testing.T) { testMultipartDeleteAborts(t, s) })
}

// testMultipartUpload is a large file's upload as the web app makes it, through the HTTP API
// against the real stack: parts in any order, one refused by storage for its MD5 and sent
// again, a resume from what storage lists, the completion, processing, the download
// byte-identical; then the completion and its event again, changing nothing.
func testMultipartUpload(t *testing.T, s *testStack) {
	file := bigAudio(t)
	u := s.client(t).startMultipart(file, "")
	if got := s.inProgress(t, u.id); len(got) != 1 {
		t.Fatalf("storage holds %d multipart uploads for the new track, want 1", len(got))
	}

	// Parts 2 and 3 first; part 3's bytes corrupted on the way: storage refuses them.
	urls := u.sign(3, 2)
	if r := u.put(urls[2], u.part(2)); r.Status != http.StatusOK || r.Header.Get("ETag") == "" {
		t.Fatalf("PUT part 2 = %d %s", r.Status, r.Body)
	}
	corrupted := slices.Clone(u.part(3))
	corrupted[100] ^= 0xff
	if r := u.put(urls[3], corrupted); r.Status != http.StatusBadRequest || !bytes.Contains(r.Body, []byte("BadDigest")) {
		t.Fatalf("PUT of part 3 with other bytes = %d %s, want 400 BadDigest", r.Status, r.Body)
	}
	// The tab closes here. Back later: storage holds part 2 only.
	etags, sizes := u.listed()
	if len(etags) != 1 || etags[2] == "" || sizes[2] != testPartSize {
		t.Fatalf("listed %v %v, want part 2 only", etags, sizes)
	}
	for n, p := range u.sign(1, 3) {
		r := u.put(p, u.part(n))
		if r.Status != http.StatusOK {
			t.Fatalf("PUT part %d = %d %s", n, r.Status, r.Body)
		}
	}
	etags, sizes = u.listed()
	if len(etags) != 3 || sizes[1] != testPartSize || sizes[3] != int64(len(file)-2*testPartSize) {
		t.Fatalf("listed %v %v, want all three parts", etags, sizes)
	}

	r := u.complete(etags, b64MD5(file))
	if r.Status != http.StatusAccepted {
		t.Fatalf("complete = %d %s", r.Status, r.Body)
	}
	if m := r.json(t); m["id"] != u.id || m["size"] != float64(len(file)) {
		t.Fatalf("complete answered %v", m)
	}
	info := u.waitStatusWithin(u.id, "ready", 60*time.Second)
	if info["size"] != float64(len(file)) || info["duration"].(float64) < 60 {
		t.Fatalf("ready track %v", info)
	}
	dl := u.do("GET", "/api/tracks/"+u.id+"/download", nil, nil)
	if dl.Status != http.StatusOK {
		t.Fatalf("download = %d %s", dl.Status, dl.Body)
	}
	if got := u.do("GET", dl.json(t)["url"].(string), nil, nil); got.Status != 200 || !bytes.Equal(got.Body, file) {
		t.Fatalf("the download is %d bytes (status %d), not the %d uploaded", len(got.Body), got.Status, len(file))
	}
	if left := s.inProgress(t, u.id); len(left) != 0 {
		t.Fatalf("multipart uploads left after completion: %v", left)
	}

	// A retry of the completion (its answer lost), and the storage's completion and its event
	// again, twice: nothing changes.
	ctx := context.Background()
	before, err := s.app.Store.Get(ctx, u.id)
	if err != nil {
		t.Fatal(err)
	}
	keysBefore := s.objectKeys(t, "")
	if r := u.complete(etags, b64MD5(file)); r.Status != http.StatusAccepted || r.json(t)["status"] != "ready" {
		t.Fatalf("complete again = %d %s, want 202 with the ready track", r.Status, r.Body)
	}
	var parts []types.CompletedPart
	for n := 1; n <= 3; n++ {
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: aws.String(etags[n])})
	}
	// Versity completes a completed upload again with success, and notifies again.
	_, cerr := s.stack.S3().CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.cfg.MediaBucket, Key: &before.OriginalKey, UploadId: &before.UploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	t.Logf("storage's second completion: %v", cerr)
	e := objectCreated(s.cfg.MediaBucket, before.OriginalKey)
	e.Records[0].EventName, e.Records[0].S3.Object.Size = "ObjectCreated:CompleteMultipartUpload", 0
	for range 2 {
		if err := s.proc.Handle(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	s.queueEmpty(t, s.processQueue.URL)
	after, err := s.app.Store.Get(ctx, u.id)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("the completion and its event again changed the track:\n%+v\n%+v", before, after)
	}
	if keysAfter := s.objectKeys(t, ""); !slices.Equal(keysBefore, keysAfter) {
		t.Fatalf("objects %v → %v", keysBefore, keysAfter)
	}
}

// testMultipartWrongMD5: parts that storage took, each with its own MD5, but that are not the
// file announced (its MD5 differs): processing fails the track corrupt_upload and keeps no byte.
func testMultipartWrongMD5(t *testing.T, s *testStack) {
	file := bigAudio(t)
	u := s.client(t).startMultipart(file, b64MD5(append([]byte("another file"), file...)))
	if r := u.complete(u.sendAll(), ""); r.Status != http.StatusAccepted {
		t.Fatalf("complete = %d %s", r.Status, r.Body)
	}
	info := u.waitStatusWithin(u.id, "failed", 60*time.Second)
	if e, _ := info["error"].(map[string]any); e["code"] != track.ECorruptUpload {
		t.Fatalf("failed track %v, want %s", info, track.ECorruptUpload)
	}
	s.noObjects(t, u.id)
	if left := s.inProgress(t, u.id); len(left) != 0 {
		t.Fatalf("multipart uploads left: %v", left)
	}
}

// testMultipartDeleteAborts: deleting a track whose parts are half sent aborts its upload: no
// part stays in storage, and a part URL signed before answers NoSuchUpload.
func testMultipartDeleteAborts(t *testing.T, s *testStack) {
	u := s.client(t).startMultipart(bigAudio(t), "")
	urls := u.sign(1, 2)
	if r := u.put(urls[1], u.part(1)); r.Status != http.StatusOK {
		t.Fatalf("PUT part 1 = %d %s", r.Status, r.Body)
	}
	if r := u.do("DELETE", "/api/tracks/"+u.id, u.auth(), nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	s.noUploadsLeft(t, u.id)
	// Versity answers before it reads the body and closes the connection, so the client may see
	// the reset instead of the answer, even with Expect: 100-continue (it sends 100 Continue
	// itself). A stored part would have answered 200: a reset is a refusal too. Ask a few times
	// for the answer itself; if every try is reset, the checks below (nothing listed, no object,
	// the API's 404s) are what prove the abort.
	for try := 0; try < 5; try++ {
		req, err := http.NewRequest(http.MethodPut, urls[2]["url"].(string), bytes.NewReader(u.part(2)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-MD5", urls[2]["headers"].(map[string]any)["Content-MD5"].(string))
		req.Header.Set("Expect", "100-continue")
		patient := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: time.Minute}, Timeout: 2 * time.Minute}
		res, err := patient.Do(req)
		if err != nil {
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
				t.Fatalf("PUT of a part after the delete: %v", err)
			}
			t.Logf("PUT of a part after the delete, try %d: %v", try+1, err)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		resp, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || !bytes.Contains(resp, []byte("NoSuchUpload")) {
			t.Fatalf("PUT of a part after the delete = %d %s, want 404 NoSuchUpload", res.StatusCode, resp)
		}
		break
	}
	s.noUploadsLeft(t, u.id)
	for _, call := range []struct{ method, path string }{{"GET", "/parts"}, {"POST", "/complete"}} {
		if r := u.call(call.method, call.path, map[string]any{}); r.Status != http.StatusNotFound {
			t.Errorf("%s %s after the delete = %d %s, want 404", call.method, call.path, r.Status, r.Body)
		}
	}
	s.noObjects(t, u.id)
}

// TestMultipartPendingExpiry: an upload abandoned half way expires after PENDING_TTL without a
// call, and its multipart upload goes with it; each call had moved the deadline.
func TestMultipartPendingExpiry(t *testing.T) {
	const pending = 3 * time.Second
	// A fast network as far as the upload window goes: the deadline is PENDING_TTL alone.
	s := multipartStack(t, map[string]string{"PENDING_TTL": pending.String(), "TTL_SWEEP_INTERVAL": sweep.String(), "UPLOAD_MIN_SPEED": "1000000000000"})
	u := s.client(t).startMultipart(bigAudio(t), "")
	ctx := context.Background()
	created, err := s.app.Store.Get(ctx, u.id)
	if err != nil {
		t.Fatal(err)
	}
	// Calls keep it alive past the first deadline.
	for range 3 {
		time.Sleep(time.Second)
		u.listed()
	}
	if now, err := s.app.Store.Get(ctx, u.id); err != nil || !now.ExpiresAt.After(created.ExpiresAt) {
		t.Fatalf("after calls the track is %+v, %v; want its deadline moved past %v", now, err, created.ExpiresAt)
	}
	urls := u.sign(1)
	if r := u.put(urls[1], u.part(1)); r.Status != http.StatusOK {
		t.Fatalf("PUT part 1 = %d %s", r.Status, r.Body)
	}
	s.gone(t, u.id, pending+4*sweep+3*time.Second)
	s.noUploadsLeft(t, u.id)
	s.noObjects(t, u.id)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
