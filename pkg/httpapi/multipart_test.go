package httpapi_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// The multipart calls over the in-memory fakes, with 1 MiB parts: a 2.5 MiB file is three
// parts, 1 MiB, 1 MiB and 0.5 MiB. The same calls against Versity are in cmd/soundtime.

const (
	mpThreshold = 1 << 20
	mpPartSize  = 1 << 20
)

// mpFile is the file the multipart tests upload: 2.5 MiB of a pattern.
var mpFile = bytes.Repeat([]byte("ID3 multipart test bytes "), (5<<19)/25+1)[:5<<19]

func b64md5(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func mpPart(n int) []byte {
	return mpFile[(n-1)*mpPartSize : min(n*mpPartSize, len(mpFile))]
}

func newMultipartHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t)
	h.svc.Config.MultipartThreshold = mpThreshold
	h.svc.Config.MinPartSize = mpPartSize
	return h
}

func mpBody(md5 string) string {
	b := fmt.Sprintf(`{"filename":"Set.mp3","type":"audio/mpeg","size":%d`, len(mpFile))
	if md5 != "" {
		b += `,"md5":"` + md5 + `"`
	}
	return b + "}"
}

// mpUpload is a multipart upload started through the API.
type mpUpload struct {
	ID, Token string
	Upload    map[string]any
}

func (h *harness) startMultipart(t *testing.T, md5 string) mpUpload {
	t.Helper()
	rec := h.do(t, "POST", "/api/tracks", mpBody(md5))
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /api/tracks = %d %s", rec.Code, rec.Body)
	}
	m := decodeObject(t, rec)
	up, _ := m["upload"].(map[string]any)
	id, _ := m["id"].(string)
	token, _ := m["deleteToken"].(string)
	return mpUpload{ID: id, Token: token, Upload: up}
}

func (h *harness) auth(t *testing.T, method, target, body, token string) *httptest.ResponseRecorder {
	t.Helper()
	return h.do(t, method, target, body, "Authorization", "Bearer "+token)
}

type partsAnswer struct {
	Parts []struct {
		Number    int               `json:"number"`
		Method    string            `json:"method"`
		URL       string            `json:"url"`
		Headers   map[string]string `json:"headers"`
		ExpiresAt string            `json:"expiresAt"`
	} `json:"parts"`
}

func partsBody(parts ...[3]any) string {
	var b strings.Builder
	b.WriteString(`{"parts":[`)
	for i, p := range parts {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"number":%v,"md5":%q,"size":%v}`, p[0], p[1], p[2])
	}
	b.WriteString("]}")
	return b.String()
}

// goodPart is the request of part n as the plan has it.
func goodPart(n int) [3]any { return [3]any{n, b64md5(mpPart(n)), len(mpPart(n))} }

// putParts uploads parts of u as a browser would PUT the signed URLs (into the fake bucket) and
// returns their ETags by number.
func (h *harness) putParts(t *testing.T, u mpUpload, numbers ...int) map[int]string {
	t.Helper()
	var reqs [][3]any
	for _, n := range numbers {
		reqs = append(reqs, goodPart(n))
	}
	rec := h.auth(t, "POST", "/api/tracks/"+u.ID+"/parts", partsBody(reqs...), u.Token)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST parts = %d %s", rec.Code, rec.Body)
	}
	var a partsAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
		t.Fatal(err)
	}
	etags := map[int]string{}
	for _, p := range a.Parts {
		q, err := url.Parse(p.URL)
		if err != nil {
			t.Fatal(err)
		}
		etag, err := h.blobs.PutPart(q.Query().Get("uploadId"), p.Number, mpPart(p.Number))
		if err != nil {
			t.Fatal(err)
		}
		etags[p.Number] = etag
	}
	return etags
}

func completeBody(md5 string, etags map[int]string, numbers ...int) string {
	var b strings.Builder
	b.WriteString(`{"parts":[`)
	for i, n := range numbers {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"number":%d,"etag":%q}`, n, etags[n])
	}
	b.WriteString("]")
	if md5 != "" {
		fmt.Fprintf(&b, `,"md5":%q`, md5)
	}
	b.WriteString("}")
	return b.String()
}

func TestMultipartUpload(t *testing.T) {
	h := newMultipartHarness(t)
	u := h.startMultipart(t, "")
	wantKeys(t, "upload", u.Upload, "method", "partSize", "partCount", "expiresAt")
	if u.Upload["method"] != "MULTIPART" || fmt.Sprint(u.Upload["partSize"]) != fmt.Sprint(mpPartSize) || fmt.Sprint(u.Upload["partCount"]) != "3" {
		t.Fatalf("upload = %v, want MULTIPART in 3 parts of %d", u.Upload, mpPartSize)
	}
	if got := parseTime(t, "upload.expiresAt", u.Upload["expiresAt"]); !got.Equal(start.Add(testConfig.PendingTTL)) {
		t.Errorf("upload.expiresAt = %v, want the pending deadline", got)
	}
	stored, err := h.store.Get(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.UploadID == "" || stored.MD5 != "" || stored.PartCount != 3 {
		t.Fatalf("stored %+v, want a multipart upload without an MD5", stored)
	}

	// Sign two parts, and look at the answer's shape.
	rec := h.auth(t, "POST", "/api/tracks/"+u.ID+"/parts", partsBody(goodPart(3), goodPart(1)), u.Token)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST parts = %d %s", rec.Code, rec.Body)
	}
	m := decodeObject(t, rec)
	wantKeys(t, "parts answer", m, "parts")
	list, _ := m["parts"].([]any)
	if len(list) != 2 {
		t.Fatalf("parts = %v, want 2", list)
	}
	for i, want := range []int{3, 1} {
		p, _ := list[i].(map[string]any)
		wantKeys(t, "part", p, "number", "method", "url", "headers", "expiresAt")
		if fmt.Sprint(p["number"]) != fmt.Sprint(want) || p["method"] != "PUT" {
			t.Errorf("part %d = %v, want number %d, PUT", i, p, want)
		}
		headers, _ := p["headers"].(map[string]any)
		wantKeys(t, "part headers", headers, "Content-MD5")
		if headers["Content-MD5"] != b64md5(mpPart(want)) {
			t.Errorf("part %d Content-MD5 = %v", want, headers["Content-MD5"])
		}
		if u, _ := p["url"].(string); !strings.Contains(u, "uploads/") || !strings.Contains(u, fmt.Sprintf("partNumber=%d", want)) || !strings.Contains(u, "size="+fmt.Sprint(len(mpPart(want)))) {
			t.Errorf("part %d url = %q, want the signed PUT of that part and size", want, u)
		}
		if got := parseTime(t, "part expiresAt", p["expiresAt"]); !got.After(start) {
			t.Errorf("part expiresAt = %v", got)
		}
	}

	etags := h.putParts(t, u, 1, 3)
	// Resume: what storage holds.
	rec = h.auth(t, "GET", "/api/tracks/"+u.ID+"/parts", "", u.Token)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET parts = %d %s", rec.Code, rec.Body)
	}
	m = decodeObject(t, rec)
	wantKeys(t, "parts listing", m, "partSize", "partCount", "uploaded")
	var listing struct {
		PartSize  int64 `json:"partSize"`
		PartCount int   `json:"partCount"`
		Uploaded  []struct {
			Number int    `json:"number"`
			ETag   string `json:"etag"`
			Size   int64  `json:"size"`
		} `json:"uploaded"`
	}
	json.Unmarshal(rec.Body.Bytes(), &listing)
	if listing.PartSize != mpPartSize || listing.PartCount != 3 || len(listing.Uploaded) != 2 ||
		listing.Uploaded[0].Number != 1 || listing.Uploaded[0].ETag != etags[1] || listing.Uploaded[0].Size != mpPartSize ||
		listing.Uploaded[1].Number != 3 || listing.Uploaded[1].Size != int64(len(mpPart(3))) {
		t.Fatalf("listing = %+v, want parts 1 and 3 with their ETags", listing)
	}

	// Completing without part 2 names it and changes nothing.
	wantError(t, h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", completeBody(b64md5(mpFile), etags, 1, 3), u.Token), http.StatusBadRequest, track.EInvalidParts)
	if rec := h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", completeBody(b64md5(mpFile), etags, 1, 3), u.Token); !strings.Contains(rec.Body.String(), "missing parts: 2") {
		t.Errorf("invalid_parts answer %s does not name part 2", rec.Body)
	}
	if got, _ := h.store.Get(context.Background(), u.ID); got.MD5 != "" {
		t.Errorf("a refused completion recorded md5 %q", got.MD5)
	}

	for n, e := range h.putParts(t, u, 2) {
		etags[n] = e
	}
	body := completeBody(b64md5(mpFile), etags, 3, 1, 2) // any order
	rec = h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", body, u.Token)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("complete = %d %s", rec.Code, rec.Body)
	}
	m = decodeObject(t, rec)
	if m["id"] != u.ID || m["status"] != "pending" || fmt.Sprint(m["size"]) != fmt.Sprint(len(mpFile)) {
		t.Errorf("complete answered %v, want the pending track", m)
	}
	stored, _ = h.store.Get(context.Background(), u.ID)
	if stored.MD5 != b64md5(mpFile) {
		t.Errorf("stored md5 = %q, want the one given at completion", stored.MD5)
	}
	if got := h.blobs.Data[stored.OriginalKey]; !bytes.Equal(got, mpFile) {
		t.Fatalf("the assembled object is %d bytes, not the file", len(got))
	}
	if got := h.blobs.InProgress(); len(got) != 0 {
		t.Errorf("uploads in progress after completion: %q", got)
	}

	// A retry after a lost answer succeeds and changes nothing, before and after the event.
	for _, when := range []string{"before the event", "after the event"} {
		if when == "after the event" {
			if _, err := h.svc.Arrive(context.Background(), stored.OriginalKey); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := h.store.Get(context.Background(), u.ID)
		rec = h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", body, u.Token)
		if rec.Code != http.StatusAccepted {
			t.Fatalf("complete again %s = %d %s", when, rec.Code, rec.Body)
		}
		after, _ := h.store.Get(context.Background(), u.ID)
		if after.Version != before.Version || after.Status != before.Status {
			t.Errorf("complete again %s changed the track: %+v → %+v", when, before, after)
		}
		if m := decodeObject(t, rec); m["status"] != string(before.Status) {
			t.Errorf("complete again %s answered status %v, want %s", when, m["status"], before.Status)
		}
	}
	// Once complete, there is nothing to sign or list.
	wantError(t, h.auth(t, "POST", "/api/tracks/"+u.ID+"/parts", partsBody(goodPart(1)), u.Token), http.StatusConflict, track.ENotPending)
	wantError(t, h.auth(t, "GET", "/api/tracks/"+u.ID+"/parts", "", u.Token), http.StatusConflict, track.ENotPending)
}

func TestMultipartMD5AtCreate(t *testing.T) {
	h := newMultipartHarness(t)
	u := h.startMultipart(t, b64md5(mpFile))
	etags := h.putParts(t, u, 1, 2, 3)
	other := b64md5([]byte("another file"))
	// A different MD5 at completion means the file changed: refused, nothing written.
	wantError(t, h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", completeBody(other, etags, 1, 2, 3), u.Token), http.StatusBadRequest, track.EInvalidMD5)
	if len(h.blobs.InProgress()) != 1 {
		t.Fatal("a refused completion completed the upload")
	}
	// None at completion: the one given at the start holds.
	if rec := h.auth(t, "POST", "/api/tracks/"+u.ID+"/complete", completeBody("", etags, 1, 2, 3), u.Token); rec.Code != http.StatusAccepted {
		t.Fatalf("complete = %d %s", rec.Code, rec.Body)
	}
	if got, _ := h.store.Get(context.Background(), u.ID); got.MD5 != b64md5(mpFile) {
		t.Errorf("md5 = %q", got.MD5)
	}
}

func TestMultipartRejects(t *testing.T) {
	h := newMultipartHarness(t)
	u := h.startMultipart(t, "")
	other := h.startMultipart(t, "")
	single := h.create(t, `{"filename":"a.mp3","type":"audio/mpeg","size":1000,"md5":"`+emptyMD5+`"}`)
	parts := "/api/tracks/" + u.ID + "/parts"
	complete := "/api/tracks/" + u.ID + "/complete"
	etags := h.putParts(t, u, 1, 2, 3)
	whole := b64md5(mpFile)
	before, _ := h.store.Get(context.Background(), u.ID)

	tests := []struct {
		name           string
		method, target string
		body, auth     string
		status         int
		code           string
	}{
		{"sign without a token", "POST", parts, partsBody(goodPart(1)), "", 403, track.EForbidden},
		{"sign with another upload's token", "POST", parts, partsBody(goodPart(1)), "Bearer " + other.Token, 403, track.EForbidden},
		{"list without a token", "GET", parts, "", "", 403, track.EForbidden},
		{"complete with a wrong token", "POST", complete, completeBody(whole, etags, 1, 2, 3), "Bearer x" + u.Token, 403, track.EForbidden},
		{"unknown track", "POST", "/api/tracks/Nope0000/parts", partsBody(goodPart(1)), "Bearer " + u.Token, 404, track.ENotFound},
		{"part 0", "POST", parts, partsBody([3]any{0, b64md5(mpPart(1)), mpPartSize}), "Bearer " + u.Token, 400, track.EInvalidPart},
		{"part past the plan", "POST", parts, partsBody([3]any{4, b64md5(mpPart(1)), mpPartSize}), "Bearer " + u.Token, 400, track.EInvalidPart},
		{"a part of the wrong size", "POST", parts, partsBody([3]any{1, b64md5(mpPart(1)), mpPartSize - 1}), "Bearer " + u.Token, 400, track.EInvalidPart},
		{"the last part at full size", "POST", parts, partsBody([3]any{3, b64md5(mpPart(3)), mpPartSize}), "Bearer " + u.Token, 400, track.EInvalidPart},
		{"a part asked twice", "POST", parts, partsBody(goodPart(1), goodPart(1)), "Bearer " + u.Token, 400, track.EInvalidPart},
		{"a bad md5 among good parts", "POST", parts, partsBody(goodPart(1), [3]any{2, "nope", mpPartSize}), "Bearer " + u.Token, 400, track.EInvalidMD5},
		{"no parts", "POST", parts, `{"parts":[]}`, "Bearer " + u.Token, 400, track.EInvalidRequest},
		{"101 parts", "POST", parts, partsBody(func() [][3]any {
			var ps [][3]any
			for range 101 {
				ps = append(ps, goodPart(1))
			}
			return ps
		}()...), "Bearer " + u.Token, 400, track.EInvalidRequest},
		{"not JSON", "POST", parts, `parts=1`, "Bearer " + u.Token, 400, track.EInvalidRequest},
		{"a number as a string", "POST", parts, `{"parts":[{"number":"1","md5":"x","size":1}]}`, "Bearer " + u.Token, 400, track.EInvalidRequest},
		{"sign parts of a single PUT", "POST", "/api/tracks/" + single.ID + "/parts", partsBody(goodPart(1)), "Bearer " + single.DeleteToken, 400, track.EInvalidRequest},
		{"list parts of a single PUT", "GET", "/api/tracks/" + single.ID + "/parts", "", "Bearer " + single.DeleteToken, 400, track.EInvalidRequest},
		{"complete a single PUT", "POST", "/api/tracks/" + single.ID + "/complete", completeBody(whole, etags, 1), "Bearer " + single.DeleteToken, 400, track.EInvalidRequest},
		{"complete without a part", "POST", complete, completeBody(whole, etags, 1, 3), "Bearer " + u.Token, 400, track.EInvalidParts},
		{"complete with a part twice", "POST", complete, completeBody(whole, etags, 1, 2, 2, 3), "Bearer " + u.Token, 400, track.EInvalidParts},
		{"complete with a part past the plan", "POST", complete, completeBody(whole, map[int]string{1: etags[1], 2: etags[2], 3: etags[3], 4: etags[3]}, 1, 2, 3, 4), "Bearer " + u.Token, 400, track.EInvalidParts},
		{"complete with an empty etag", "POST", complete, completeBody(whole, map[int]string{1: etags[1], 2: "", 3: etags[3]}, 1, 2, 3), "Bearer " + u.Token, 400, track.EInvalidParts},
		{"complete with an etag storage does not hold", "POST", complete, completeBody(whole, map[int]string{1: etags[1], 2: etags[1], 3: etags[3]}, 1, 2, 3), "Bearer " + u.Token, 400, track.EInvalidParts},
		{"complete without any md5", "POST", complete, completeBody("", etags, 1, 2, 3), "Bearer " + u.Token, 400, track.EInvalidMD5},
		{"complete with a malformed md5", "POST", complete, completeBody("abc", etags, 1, 2, 3), "Bearer " + u.Token, 400, track.EInvalidMD5},
		{"complete as a form", "POST", complete, "x", "Bearer " + u.Token, 400, track.EInvalidRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec = h.do(t, tt.method, tt.target, tt.body)
			if tt.auth != "" {
				rec = h.do(t, tt.method, tt.target, tt.body, "Authorization", tt.auth)
			}
			wantError(t, rec, tt.status, tt.code)
		})
	}
	t.Run("refusals change nothing", func(t *testing.T) {
		after, _ := h.store.Get(context.Background(), u.ID)
		if after.Version != before.Version || !after.ExpiresAt.Equal(before.ExpiresAt) || after.MD5 != "" {
			t.Errorf("track changed: %+v → %+v", before, after)
		}
		if got := h.blobs.InProgress(); len(got) != 2 {
			t.Errorf("uploads in progress = %q, want both still there", got)
		}
	})
	t.Run("not JSON is 415", func(t *testing.T) {
		for _, target := range []string{parts, complete} {
			wantError(t, h.do(t, "POST", target, "{}", "Content-Type", "text/plain", "Authorization", "Bearer "+u.Token), http.StatusUnsupportedMediaType, "unsupported_media_type")
		}
	})
	t.Run("other methods are 405", func(t *testing.T) {
		wantError(t, h.auth(t, "DELETE", parts, "", u.Token), http.StatusMethodNotAllowed, "method_not_allowed")
		wantError(t, h.auth(t, "GET", complete, "", u.Token), http.StatusMethodNotAllowed, "method_not_allowed")
	})
	t.Run("an aborted upload is not pending", func(t *testing.T) {
		tr, _ := h.store.Get(context.Background(), other.ID)
		if err := h.blobs.AbortMultipart(context.Background(), tr.OriginalKey, tr.UploadID); err != nil {
			t.Fatal(err)
		}
		wantError(t, h.auth(t, "GET", "/api/tracks/"+other.ID+"/parts", "", other.Token), http.StatusConflict, track.ENotPending)
		wantError(t, h.auth(t, "POST", "/api/tracks/"+other.ID+"/complete", completeBody(whole, etags, 1, 2, 3), other.Token), http.StatusConflict, track.ENotPending)
	})
}

func TestMultipartSlidesThePendingDeadline(t *testing.T) {
	h := newMultipartHarness(t)
	u := h.startMultipart(t, "")
	expiry := func() time.Time {
		tr, err := h.store.Get(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return tr.ExpiresAt
	}
	created := expiry()
	// A call soon after the start moves the deadline by less than a tenth of PENDING_TTL: no write.
	h.clock.Advance(30 * time.Second)
	h.putParts(t, u, 1)
	if got := expiry(); !got.Equal(created) {
		t.Errorf("deadline after a call 30 s in = %v, want %v unchanged", got, created)
	}
	for _, call := range []struct {
		name string
		do   func()
	}{
		{"sign", func() { h.putParts(t, u, 2) }},
		{"list", func() {
			if rec := h.auth(t, "GET", "/api/tracks/"+u.ID+"/parts", "", u.Token); rec.Code != 200 {
				t.Fatalf("GET parts = %d %s", rec.Code, rec.Body)
			}
		}},
	} {
		now := h.clock.Advance(8 * time.Minute)
		call.do()
		if got, want := expiry(), now.Add(testConfig.PendingTTL); !got.Equal(want) {
			t.Errorf("deadline after %s = %v, want now + PENDING_TTL = %v", call.name, got, want)
		}
	}
	// Without calls, the track expires like any pending upload.
	h.clock.Advance(testConfig.PendingTTL)
	wantError(t, h.auth(t, "GET", "/api/tracks/"+u.ID+"/parts", "", u.Token), http.StatusNotFound, track.ENotFound)
}

func TestMultipartOnlyOverTheThreshold(t *testing.T) {
	h := newMultipartHarness(t)
	t.Run("at the threshold: one PUT, md5 required", func(t *testing.T) {
		body := fmt.Sprintf(`{"filename":"a.mp3","type":"audio/mpeg","size":%d}`, mpThreshold)
		wantError(t, h.do(t, "POST", "/api/tracks", body), http.StatusBadRequest, track.EInvalidRequest)
		c := h.create(t, fmt.Sprintf(`{"filename":"a.mp3","type":"audio/mpeg","size":%d,"md5":%q}`, mpThreshold, emptyMD5))
		if c.Upload.Method != "PUT" || c.Upload.URL == "" {
			t.Errorf("upload = %+v, want one PUT", c.Upload)
		}
	})
	t.Run("over it: a malformed md5 is still refused", func(t *testing.T) {
		wantError(t, h.do(t, "POST", "/api/tracks", mpBody("abc")), http.StatusBadRequest, track.EInvalidMD5)
	})
	t.Run("v1 clients always get one PUT", func(t *testing.T) {
		rec := h.do(t, "GET", fmt.Sprintf("/api/getuploadurl?filename=big.mp3&type=audio/mpeg&size=%d&md5=%s", len(mpFile), url.QueryEscape(b64md5(mpFile))), "")
		if rec.Code != http.StatusOK {
			t.Fatalf("getuploadurl = %d %s", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		if u, _ := m["url"].(string); !strings.Contains(u, "uploads/") || strings.Contains(u, "uploadId") {
			t.Errorf("url = %q, want a single PUT", u)
		}
	})
	t.Run("the page is told the threshold", func(t *testing.T) {
		m := decodeObject(t, h.do(t, "GET", "/api/config", ""))
		if fmt.Sprint(m["multipartThreshold"]) != fmt.Sprint(mpThreshold) {
			t.Errorf("multipartThreshold = %v, want %d", m["multipartThreshold"], mpThreshold)
		}
	})
}
