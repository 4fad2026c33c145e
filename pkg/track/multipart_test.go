package track_test

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

const mib = 1 << 20

func TestPartPlan(t *testing.T) {
	tests := []struct {
		name          string
		size, minPart int64
		partSize      int64
		count         int
	}{
		{"one byte", 1, 0, 8 * mib, 1},
		{"just over the default threshold", 64*mib + 1, 0, 8 * mib, 9},
		{"exactly two parts", 16 * mib, 0, 8 * mib, 2},
		{"2 GiB, the default limit", 2 << 30, 0, 8 * mib, 256},
		{"the largest file in a thousand 8 MiB parts", 8000 * mib, 0, 8 * mib, 1000},
		{"one byte more: 9 MiB parts", 8000*mib + 1, 0, 9 * mib, 889},
		{"5 GiB, a single PUT's limit", 5 << 30, 0, 8 * mib, 640},
		{"5 TiB, S3's largest object", 5 << 40, 0, 5243 * mib, 1000},
		{"tests' 5 MiB parts", 10*mib + 300*1024, 5 * mib, 5 * mib, 3},
		{"a minimum that is not whole MiB is rounded up", 20 * mib, 5*mib + 1, 6 * mib, 4},
		{"a larger minimum", 64 * mib, 16 * mib, 16 * mib, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, count := track.PartPlan(tt.size, tt.minPart)
			if size != tt.partSize || count != tt.count {
				t.Fatalf("PartPlan(%d, %d) = %d × %d, want %d × %d", tt.size, tt.minPart, size, count, tt.partSize, tt.count)
			}
		})
	}
	// Whatever the size: whole MiB, at least the minimum, at most a thousand parts, and the
	// parts cover the file with only the last one short.
	r := mrand.New(mrand.NewPCG(1, 2))
	for range 10000 {
		total := 1 + r.Int64N(6<<40)
		minPart := []int64{0, 5 * mib, 8 * mib, 12 * mib}[r.IntN(4)]
		size, count := track.PartPlan(total, minPart)
		low := minPart
		if low == 0 {
			low = track.DefaultMinPartSize
		}
		if size%mib != 0 || size < low || count < 1 || count > track.MaxParts ||
			int64(count-1)*size >= total || int64(count)*size < total {
			t.Fatalf("PartPlan(%d, %d) = %d × %d", total, minPart, size, count)
		}
		// And the plan is the tightest: a MiB less would need more than a thousand parts
		// (or go under the minimum).
		if smaller := size - mib; smaller >= low && (total+smaller-1)/smaller <= track.MaxParts {
			t.Fatalf("PartPlan(%d, %d) = %d × %d, but %d MiB parts would do", total, minPart, size, count, smaller/mib)
		}
	}
}

func TestPartBytes(t *testing.T) {
	tr := &track.Track{Size: 10*mib + 7, PartSize: 5 * mib, PartCount: 3}
	for n, want := range map[int]int64{1: 5 * mib, 2: 5 * mib, 3: 7} {
		if got := tr.PartBytes(n); got != want {
			t.Errorf("PartBytes(%d) = %d, want %d", n, got, want)
		}
	}
}

// multipartFixture uploads files over 1 MiB in parts of 1 MiB.
func multipartFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.svc.Config.MultipartThreshold, f.svc.Config.MinPartSize = mib, mib
	return f
}

func bigRequest() track.UploadRequest {
	r := goodRequest()
	r.Size, r.MD5 = 3*mib+5, ""
	return r
}

func TestCreateMultipart(t *testing.T) {
	f := multipartFixture(t)
	c, err := f.svc.Create(context.Background(), bigRequest())
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Track
	if !tr.Multipart() || tr.PartSize != mib || tr.PartCount != 4 || tr.MD5 != "" {
		t.Fatalf("track %+v, want a multipart upload in 4 parts of 1 MiB, no MD5 yet", tr)
	}
	if c.Upload.URL != "" || c.Upload.Method != "" {
		t.Errorf("Upload = %+v, want none: the parts are signed one call at a time", c.Upload)
	}
	if got := f.blobs.InProgress(); len(got) != 1 || got[0] != tr.OriginalKey {
		t.Errorf("uploads in progress = %q, want the track's key", got)
	}
	if !tr.ExpiresAt.Equal(start.Add(testConfig.PendingTTL)) {
		t.Errorf("ExpiresAt = %v, want PENDING_TTL from now", tr.ExpiresAt)
	}
	if got := f.stored(t, tr.ID); got.UploadID != tr.UploadID {
		t.Errorf("stored upload ID %q, want %q", got.UploadID, tr.UploadID)
	}
	// An MD5 given at the start is kept; a malformed one refused.
	r := bigRequest()
	r.MD5 = emptyMD5
	if c, err := f.svc.Create(context.Background(), r); err != nil || c.Track.MD5 != emptyMD5 {
		t.Fatalf("Create with an md5 = %+v, %v", c, err)
	}
	r.MD5 = "abc"
	_, err = f.svc.Create(context.Background(), r)
	wantCode(t, err, track.EInvalidMD5)
	// Soundtime v1: one PUT whatever the size, with its MD5.
	r.MD5 = emptyMD5
	if c, err := f.svc.CreatePut(context.Background(), r); err != nil || c.Track.Multipart() || c.Upload.Method != "PUT" {
		t.Fatalf("CreatePut = %+v, %v; want one PUT", c, err)
	}
	r.MD5 = ""
	_, err = f.svc.CreatePut(context.Background(), r)
	wantCode(t, err, track.EInvalidMD5)
}

// TestCreateMultipartNeverOutlivesTheUpload: the bucket aborts an incomplete upload a day after
// it began, so its track never stays pending longer, however slow the promised speed.
func TestCreateMultipartNeverOutlivesTheUpload(t *testing.T) {
	f := multipartFixture(t)
	f.svc.Config.UploadMinSpeed = 1000 // 2 GiB at 1 kB/s: weeks
	r := bigRequest()
	r.Size = 2 << 30
	c, err := f.svc.Create(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(track.MultipartLifetime); !c.Track.ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt = %v, want a day after the start, %v", c.Track.ExpiresAt, want)
	}
	// Calls near the end slide it no further than that.
	f.clock.Set(start.Add(track.MultipartLifetime - 2*time.Minute))
	tr, _, err := f.svc.Parts(context.Background(), c.Track.ID, c.DeleteToken)
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(track.MultipartLifetime); !tr.ExpiresAt.Equal(want) || !f.stored(t, tr.ID).ExpiresAt.Equal(want) {
		t.Fatalf("ExpiresAt after a late call = %v, want at most %v", tr.ExpiresAt, want)
	}
}

// TestCreateMultipartFailuresLeaveNoUpload: a multipart upload begun for an ID whose item could
// not be written is aborted, whatever the reason.
func TestCreateMultipartFailuresLeaveNoUpload(t *testing.T) {
	t.Run("table fails", func(t *testing.T) {
		f := multipartFixture(t)
		f.store.CreateHook = func(*track.Track) error { return errors.New("throttled") }
		if _, err := f.svc.Create(context.Background(), bigRequest()); err == nil {
			t.Fatal("Create succeeded")
		}
		if got := f.blobs.InProgress(); len(got) != 0 || f.store.Len() != 0 {
			t.Fatalf("left %q in progress and %d items", got, f.store.Len())
		}
	})
	t.Run("ID taken", func(t *testing.T) {
		f := multipartFixture(t)
		calls := 0
		f.store.CreateHook = func(*track.Track) error {
			if calls++; calls == 1 {
				return track.ErrIDTaken
			}
			return nil
		}
		c, err := f.svc.Create(context.Background(), bigRequest())
		if err != nil {
			t.Fatal(err)
		}
		if got := f.blobs.InProgress(); len(got) != 1 || got[0] != c.Track.OriginalKey || !strings.HasPrefix(got[0], "uploads/"+c.Track.ID+"/") {
			t.Fatalf("in progress %q, want only the upload of %s", got, c.Track.ID)
		}
	})
}

func TestSignParts(t *testing.T) {
	f := multipartFixture(t)
	f.svc.Config.UploadMinSpeed = 1000
	c, err := f.svc.Create(context.Background(), bigRequest())
	if err != nil {
		t.Fatal(err)
	}
	_, signed, err := f.svc.SignParts(context.Background(), c.Track.ID, c.DeleteToken, []track.PartRequest{
		{Number: 4, MD5: "1B2M2Y8AsgTpgAmY7PhCfg", Size: 5}, // unpadded: normalised
		{Number: 1, MD5: emptyMD5, Size: mib},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		number int
		size   int64
	}{{4, 5}, {1, mib}} {
		p := signed[i]
		if p.Number != want.number || p.Method != "PUT" || p.Headers["Content-MD5"] != emptyMD5 || len(p.Headers) != 1 {
			t.Errorf("part %d = %+v", i, p)
		}
		u, _ := url.Parse(p.URL)
		if q := u.Query(); q.Get("uploadId") != c.Track.UploadID || q.Get("partNumber") != fmt.Sprint(want.number) || q.Get("size") != fmt.Sprint(want.size) || q.Get("md5") != emptyMD5 {
			t.Errorf("part %d URL %q does not bind its upload, number, size and MD5", want.number, p.URL)
		}
		// Its URL lives UPLOAD_URL_TTL + the part's time at UPLOAD_MIN_SPEED.
		urlTTL, _ := f.svc.Config.UploadWindow(want.size)
		if !p.ExpiresAt.Equal(start.Add(urlTTL)) {
			t.Errorf("part %d expires %v, want %v", want.number, p.ExpiresAt, start.Add(urlTTL))
		}
	}
}
