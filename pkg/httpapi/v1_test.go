package httpapi_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
)

// v1MD5 is the base64 of a digest that spells '+', '/' and '=': the characters a v1 client
// percent-encodes, or forgets to.
var v1MD5 = base64.StdEncoding.EncodeToString([]byte{0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe, 0, 1, 2, 3, 4, 5, 6})

func TestV1GetUploadURL(t *testing.T) {
	if !strings.ContainsAny(v1MD5, "+/") || !strings.HasSuffix(v1MD5, "=") {
		t.Fatalf("v1MD5 %q should hold '+', '/' and '='", v1MD5)
	}
	encoded := url.QueryEscape(v1MD5)
	query := "?filename=Song%20(live).mp3&type=audio/mpeg&size=123&md5="
	tests := []struct {
		name, target string
	}{
		{"percent-encoded md5", "/api/getuploadurl" + query + encoded},
		{"camel-case path", "/api/GetUploadURL" + query + encoded},
		{"upper-case path", "/API/GETUPLOADURL" + query + encoded},
		{"'+' sent unencoded", "/api/getUploadUrl" + query + strings.ReplaceAll(encoded, "%2B", "+")},
		{"'+', '/' and '=' all unencoded", "/api/getuploadurl" + query + v1MD5},
		{"filename with '+' for spaces", "/api/getuploadurl?filename=Song+(live).mp3&type=audio/mpeg&size=123&md5=" + encoded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, "GET", tt.target, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (%s)", rec.Code, rec.Body)
			}
			m := decodeObject(t, rec)
			wantKeys(t, "v1 upload", m, "id", "url")
			id, _ := m["id"].(string)
			if len(id) != 8 || !track.ValidID(id) {
				t.Errorf("id = %q", id)
			}
			stored, err := h.store.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("no item for %q: %v", id, err)
			}
			if stored.Filename != "Song (live).mp3" || stored.Type != "audio/mpeg" || stored.Size != 123 || stored.MD5 != v1MD5 {
				t.Errorf("stored %q %q %d %q, want Song (live).mp3 audio/mpeg 123 %q", stored.Filename, stored.Type, stored.Size, stored.MD5, v1MD5)
			}
			if !stored.Downloadable || stored.Public {
				t.Errorf("Downloadable, Public = %v, %v; want the defaults", stored.Downloadable, stored.Public)
			}
			u, _ := m["url"].(string)
			signed, err := url.Parse(u)
			if err != nil || signed.Path != "/"+stored.OriginalKey || signed.Query().Get("md5") != v1MD5 {
				t.Errorf("url = %q, want a PUT signed for %s with MD5 %s", u, stored.OriginalKey, v1MD5)
			}
			if n := h.store.Len(); n != 1 {
				t.Errorf("store holds %d items, want 1", n)
			}
		})
	}
}

func TestV1GetUploadURLRejects(t *testing.T) {
	full := url.Values{"filename": {"a.mp3"}, "type": {"audio/mpeg"}, "size": {"123"}, "md5": {v1MD5}}
	without := func(name string) string {
		q := url.Values{}
		for k, v := range full {
			if k != name {
				q[k] = v
			}
		}
		return q.Encode()
	}
	with := func(name, value string) string {
		q := url.Values{}
		for k, v := range full {
			q[k] = v
		}
		q.Set(name, value)
		return q.Encode()
	}
	tests := []struct {
		name, query string
	}{
		{"no parameters", ""},
		{"missing filename", without("filename")},
		{"missing type", without("type")},
		{"missing size", without("size")},
		{"missing md5", without("md5")},
		{"empty filename", with("filename", "")},
		{"filename with a newline", with("filename", "a\nb.mp3")},
		{"unsupported type", with("type", "text/html")},
		{"size not a number", with("size", "big")},
		{"size 1.5", with("size", "1.5")},
		{"size 0", with("size", "0")},
		{"too large (v1 knows 400 only)", with("size", "2147483649")},
		{"bad md5", with("md5", "abc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, "GET", "/api/getuploadurl?"+tt.query, "")
			wantV1Error(t, rec, http.StatusBadRequest, "")
			if n := h.store.Len(); n != 0 {
				t.Errorf("store holds %d items, want 0", n)
			}
		})
	}
}

func TestV1NotFound(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{
		"/api/gettrackinfo?id=Nope0000",
		"/api/GetTrackInfo?id=Nope0000",
		"/api/gettrackinfo?id=abc",
		"/api/gettrackinfo?id=..%2Fetc",
		"/api/gettrackinfo",
		"/api/getdownloadurl?id=Nope0000",
		"/api/getDownloadURL?id=Nope0000",
		"/api/getdownloadurl",
	} {
		t.Run(target, func(t *testing.T) {
			wantV1Error(t, h.do(t, "GET", target, ""), http.StatusNotFound, "File was not found")
		})
	}
}

func TestV1GetTrackInfo(t *testing.T) {
	h := newHarness(t)
	c := h.create(t, goodBody)

	t.Run("pending", func(t *testing.T) {
		rec := h.do(t, "GET", "/api/gettrackinfo?id="+c.ID, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		// Not uploaded yet: no uploadDate.
		wantKeys(t, "v1 info", m, "filename", "fileType", "size")
	})

	h.upload(t, c.ID, track.ObjectInfo{Size: 4812345, ContentType: "audio/mpeg"})
	t.Run("uploaded", func(t *testing.T) {
		rec := h.do(t, "GET", "/api/getTrackInfo?id="+c.ID, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		wantKeys(t, "v1 info", m, "filename", "fileType", "size", "uploadDate")
		if m["filename"] != "Song (live).mp3" || m["fileType"] != "audio/mpeg" {
			t.Errorf("filename, fileType = %v, %v", m["filename"], m["fileType"])
		}
		// v1 clients read size as a string.
		if m["size"] != "4812345" {
			t.Errorf("size = %#v, want the string \"4812345\"", m["size"])
		}
		if got := parseTime(t, "uploadDate", m["uploadDate"]); !got.Equal(start) {
			t.Errorf("uploadDate = %v, want %v", got, start)
		}
	})

	t.Run("download URL", func(t *testing.T) {
		// Not before processing has shown the file is audio (v1 clients know 400 and 404).
		wantV1Error(t, h.do(t, "GET", "/api/getdownloadurl?id="+c.ID, ""), http.StatusBadRequest, "")
		up, _ := h.store.Get(context.Background(), c.ID)
		run, err := h.svc.Begin(context.Background(), up)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Finish(context.Background(), run, track.Processing{Duration: 1}); err != nil {
			t.Fatal(err)
		}
		rec := h.do(t, "GET", "/api/getdownloadurl?id="+c.ID, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("status = %d (%s)", rec.Code, rec.Body)
		}
		m := decodeObject(t, rec)
		wantKeys(t, "v1 download", m, "url")
		u, _ := m["url"].(string)
		signed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := signed.Query().Get("response-content-disposition"), track.ContentDisposition("Song (live).mp3"); got != want {
			t.Errorf("disposition = %q, want %q", got, want)
		}
	})
}

// TestV1DownloadErrors: docs/api.md gives v1 clients two error statuses, 400 and 404 (v1.go says so
// too: "v1 clients know 400 and 404 only"), so a stream-only or pending track is a 400 there.
func TestV1DownloadErrors(t *testing.T) {
	h := newHarness(t)
	stream := h.create(t, strings.TrimSuffix(goodBody, "}")+`,"downloadable":false}`)
	pending := h.create(t, goodBody)
	tests := []struct{ name, id string }{
		{"stream-only", stream.ID},
		{"pending", pending.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantV1Error(t, h.do(t, "GET", "/api/getdownloadurl?id="+tt.id, ""), http.StatusBadRequest, "")
		})
	}
}

// TestV1RawQuery: v1 clients send the type unencoded, with its parameters after a ';', which
// url.ParseQuery drops together with the whole pair. The target is the raw request line.
func TestV1RawQuery(t *testing.T) {
	encoded := url.QueryEscape(v1MD5)
	tests := []struct {
		name, query, filename, typ string
	}{
		{"type with codecs, unencoded", "filename=a.opus&type=audio/ogg;codecs=opus&size=123&md5=" + encoded, "a.opus", "audio/ogg"},
		{"type with a space before the parameter", "filename=a.opus&type=audio/ogg;+codecs=opus&size=123&md5=" + encoded, "a.opus", "audio/ogg"},
		{"';' in the file name", "filename=a;b.mp3&type=audio/mpeg&size=123&md5=" + encoded, "a;b.mp3", "audio/mpeg"},
		{"percent-encoded '+' and '&' in the file name", "filename=A%2BB%20%26%20C.mp3&type=audio%2Fmpeg&size=123&md5=" + v1MD5, "A+B & C.mp3", "audio/mpeg"},
		{"empty pairs", "&filename=a.mp3&&type=audio/mpeg&size=123&md5=" + encoded + "&", "a.mp3", "audio/mpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			rec := h.do(t, "GET", "/api/getuploadurl?"+tt.query, "")
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (%s)", rec.Code, rec.Body)
			}
			id, _ := decodeObject(t, rec)["id"].(string)
			stored, err := h.store.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("no item for %q: %v", id, err)
			}
			if stored.Filename != tt.filename || stored.Type != tt.typ || stored.MD5 != v1MD5 {
				t.Errorf("stored %q %q %q, want %q %q %q", stored.Filename, stored.Type, stored.MD5, tt.filename, tt.typ, v1MD5)
			}
		})
	}
	t.Run("malformed escape", func(t *testing.T) {
		h := newHarness(t)
		wantV1Error(t, h.do(t, "GET", "/api/getuploadurl?filename=100%.mp3&type=audio/mpeg&size=123&md5="+encoded, ""), http.StatusBadRequest, "")
		if n := h.store.Len(); n != 0 {
			t.Errorf("store holds %d items, want 0", n)
		}
	})
}

// TestV1WrongMethod: v1 routes answer every error, a wrong method included, in v1's shape.
func TestV1WrongMethod(t *testing.T) {
	h := newHarness(t)
	for _, target := range []string{"/api/getuploadurl", "/api/GetUploadURL", "/api/gettrackinfo?id=Abcdef12", "/api/getdownloadurl?id=Abcdef12"} {
		for _, method := range []string{"POST", "PUT", "DELETE"} {
			t.Run(method+" "+target, func(t *testing.T) {
				rec := h.do(t, method, target, "")
				wantV1Error(t, rec, http.StatusMethodNotAllowed, method+" is not allowed here")
				if got := rec.Header().Get("Allow"); got != "GET" {
					t.Errorf("Allow = %q, want GET", got)
				}
			})
		}
	}
	if n := h.store.Len(); n != 0 {
		t.Errorf("store holds %d items, want 0", n)
	}
}
