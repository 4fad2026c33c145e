package track_test

import (
	"context"
	"errors"
	"io"
	mrand "math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

var testConfig = track.Config{
	Retention:      336 * time.Hour,
	PendingTTL:     10 * time.Minute,
	FailedTTL:      24 * time.Hour,
	MaxUploadBytes: maxBytes,
	UploadURLTTL:   10 * time.Minute,
	MediaURLTTL:    30 * time.Minute,
	ProcessTimeout: 15 * time.Minute,
}

type fixture struct {
	svc   *track.Service
	store *tracktest.MemStore
	blobs *tracktest.MemBlobs
	clock *tracktest.Clock
}

// start is a whole second, as the table keeps times.
var start = time.Date(2025, 11, 23, 9, 12, 45, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := tracktest.NewClock(start)
	store, blobs := tracktest.NewMemStore(), tracktest.NewMemBlobs()
	blobs.Now = c.Now
	svc := &track.Service{
		Store: store, Blobs: blobs, Config: testConfig,
		Now: c.Now, Rand: mrand.NewChaCha8([32]byte{byte(len(t.Name())), 't', 'e', 's', 't'}),
	}
	return &fixture{svc: svc, store: store, blobs: blobs, clock: c}
}

// create starts an upload of goodRequest changed by change.
func (f *fixture) create(t *testing.T, change func(r *track.UploadRequest)) *track.Created {
	t.Helper()
	r := goodRequest()
	if change != nil {
		change(&r)
	}
	c, err := f.svc.Create(context.Background(), r)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return c
}

// stored returns the item as the table holds it.
func (f *fixture) stored(t *testing.T, id string) *track.Track {
	t.Helper()
	got, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("store.Get(%s): %v", id, err)
	}
	return got
}

// setStatus moves a pending track to status with the given expiry, as processing would.
func (f *fixture) setStatus(t *testing.T, c *track.Created, status track.Status, expires time.Time) *track.Track {
	t.Helper()
	old := f.stored(t, c.Track.ID)
	next := *old
	next.Status = status
	next.UploadedAt = f.clock.Now().Truncate(time.Second)
	next.ExpiresAt = expires
	if err := f.store.Replace(context.Background(), old, &next); err != nil {
		t.Fatalf("store.Replace: %v", err)
	}
	return &next
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := track.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	c := f.create(t, nil)

	tr := c.Track
	if !track.ValidID(tr.ID) || len(tr.ID) != track.IDLength {
		t.Errorf("ID = %q, want %d characters of the alphabet", tr.ID, track.IDLength)
	}
	if tr.Status != track.StatusPending {
		t.Errorf("Status = %q, want pending", tr.Status)
	}
	if tr.Filename != "Song (live).mp3" || tr.Type != "audio/mpeg" || tr.Size != 4812345 || tr.MD5 != emptyMD5 {
		t.Errorf("announced file not kept: %+v", tr)
	}
	if !tr.Downloadable || tr.Public {
		t.Errorf("Downloadable, Public = %v, %v; want the defaults true, false", tr.Downloadable, tr.Public)
	}
	if !tr.CreatedAt.Equal(start) || !tr.ExpiresAt.Equal(start.Add(testConfig.PendingTTL)) {
		t.Errorf("CreatedAt, ExpiresAt = %v, %v; want %v and PENDING_TTL later", tr.CreatedAt, tr.ExpiresAt, start)
	}
	if !tr.UploadedAt.IsZero() {
		t.Errorf("UploadedAt = %v, want zero before the upload", tr.UploadedAt)
	}
	if id, ok := track.IDFromKey(tr.OriginalKey); !ok || id != tr.ID || !strings.HasPrefix(tr.OriginalKey, "uploads/"+tr.ID+"/") {
		t.Errorf("OriginalKey = %q, want uploads/%s/…", tr.OriginalKey, tr.ID)
	}

	if len(c.DeleteToken) < 40 {
		t.Errorf("DeleteToken = %q, want at least 256 bits", c.DeleteToken)
	}
	if tr.DeleteTokenHash != track.HashToken(c.DeleteToken) {
		t.Errorf("DeleteTokenHash = %q, want the hash of the token", tr.DeleteTokenHash)
	}

	up := c.Upload
	if up.Method != "PUT" {
		t.Errorf("upload method = %q, want PUT", up.Method)
	}
	wantHeaders := map[string]string{"Content-Type": "audio/mpeg", "Content-MD5": emptyMD5}
	if !reflect.DeepEqual(up.Headers, wantHeaders) {
		t.Errorf("upload headers = %v, want %v", up.Headers, wantHeaders)
	}
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Path != "/"+tr.OriginalKey {
		t.Errorf("upload URL %q is not signed for %q", up.URL, tr.OriginalKey)
	}
	if q := u.Query(); q.Get("size") != "4812345" || q.Get("type") != "audio/mpeg" || q.Get("md5") != emptyMD5 {
		t.Errorf("upload URL %q does not bind size, type and MD5", up.URL)
	}
	if !up.ExpiresAt.Equal(start.Add(testConfig.UploadURLTTL)) {
		t.Errorf("upload ExpiresAt = %v, want UPLOAD_URL_TTL from now", up.ExpiresAt)
	}

	if n := f.store.Len(); n != 1 {
		t.Fatalf("store holds %d items, want 1", n)
	}
	got := f.stored(t, tr.ID)
	if !reflect.DeepEqual(got, tr) {
		t.Errorf("stored %+v\nreturned %+v", got, tr)
	}
	if strings.Contains(got.DeleteTokenHash, c.DeleteToken) {
		t.Error("the token itself is stored")
	}

	// A second upload gets its own ID, token and key.
	c2 := f.create(t, func(r *track.UploadRequest) { r.Downloadable, r.Public = ptr(false), ptr(true) })
	if c2.Track.ID == tr.ID || c2.DeleteToken == c.DeleteToken || c2.Track.OriginalKey == tr.OriginalKey {
		t.Errorf("second Create reused ID, token or key: %+v", c2)
	}
	if c2.Track.Downloadable || !c2.Track.Public {
		t.Errorf("flags not kept: %+v", c2.Track)
	}
	if n := f.store.Len(); n != 2 {
		t.Errorf("store holds %d items, want 2", n)
	}
}

func TestCreateRejectsBadRequestsWithoutWriting(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *track.UploadRequest)
		code   string
	}{
		{"empty filename", func(r *track.UploadRequest) { r.Filename = "" }, track.EInvalidFilename},
		{"control character", func(r *track.UploadRequest) { r.Filename = "a\nb.mp3" }, track.EInvalidFilename},
		{"type", func(r *track.UploadRequest) { r.Type = "text/html" }, track.EUnsupportedType},
		{"size", func(r *track.UploadRequest) { r.Size = 0 }, track.EInvalidSize},
		{"too large", func(r *track.UploadRequest) { r.Size = maxBytes + 1 }, track.ETooLarge},
		{"md5", func(r *track.UploadRequest) { r.MD5 = "abc" }, track.EInvalidMD5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := goodRequest()
			tt.change(&r)
			c, err := f.svc.Create(context.Background(), r)
			wantCode(t, err, tt.code)
			if c != nil {
				t.Errorf("Create returned %+v with its error", c)
			}
			if n := f.store.Len(); n != 0 {
				t.Errorf("store holds %d items after a refused request, want 0", n)
			}
		})
	}
}

// failingBlobs cannot sign uploads.
type failingBlobs struct{ track.Blobs }

func (failingBlobs) PresignPut(context.Context, string, string, int64, string, time.Duration) (track.Presigned, error) {
	return track.Presigned{}, errors.New("no credentials")
}

func TestCreateFailuresWriteNothing(t *testing.T) {
	boom := errors.New("entropy source gone")
	tests := []struct {
		name  string
		setup func(f *fixture)
	}{
		{"random source fails", func(f *fixture) { f.svc.Rand = iotest.ErrReader(boom) }},
		{"random source runs dry", func(f *fixture) { f.svc.Rand = io.LimitReader(f.svc.Rand, 40) }},
		{"signing fails", func(f *fixture) { f.svc.Blobs = failingBlobs{f.blobs} }},
		{"table fails", func(f *fixture) {
			f.store.CreateHook = func(*track.Track) error { return errors.New("throttled") }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			c, err := f.svc.Create(context.Background(), goodRequest())
			if err == nil {
				t.Fatalf("Create = %+v, want an error", c)
			}
			wantCode(t, err, track.EInternal)
			if msg := track.ErrorMessage(err); msg != "internal error" {
				t.Errorf("message %q leaks the cause", msg)
			}
			if n := f.store.Len(); n != 0 {
				t.Errorf("store holds %d items, want 0", n)
			}
		})
	}
}

func TestCreateRetriesTakenIDs(t *testing.T) {
	f := newFixture(t)
	var tried []string
	f.store.CreateHook = func(tr *track.Track) error {
		tried = append(tried, tr.ID)
		if len(tried) <= 2 {
			return track.ErrIDTaken
		}
		return nil
	}
	c := f.create(t, nil)
	if len(tried) != 3 {
		t.Fatalf("Create tried %d IDs (%q), want 3", len(tried), tried)
	}
	if c.Track.ID != tried[2] {
		t.Errorf("Create returned ID %q, want the third one tried, %q", c.Track.ID, tried[2])
	}
	if c.Track.ID == tried[0] || c.Track.ID == tried[1] {
		t.Errorf("Create kept a taken ID: %q after %q", c.Track.ID, tried[:2])
	}
	if tried[0] == tried[1] {
		t.Errorf("Create tried the same ID twice: %q", tried)
	}
	// The upload and its key belong to the ID that won, not to a taken one.
	if !strings.HasPrefix(c.Track.OriginalKey, "uploads/"+c.Track.ID+"/") || !strings.Contains(c.Upload.URL, c.Track.OriginalKey) {
		t.Errorf("key %q / upload URL %q do not belong to %q", c.Track.OriginalKey, c.Upload.URL, c.Track.ID)
	}
	if n := f.store.Len(); n != 1 {
		t.Errorf("store holds %d items, want 1", n)
	}
	f.stored(t, c.Track.ID)
}

func TestCreateGivesUpWhenIDsAreAlwaysTaken(t *testing.T) {
	f := newFixture(t)
	calls := 0
	f.store.CreateHook = func(*track.Track) error {
		calls++
		return track.ErrIDTaken
	}
	c, err := f.svc.Create(context.Background(), goodRequest())
	if err == nil {
		t.Fatalf("Create = %+v, want an error", c)
	}
	wantCode(t, err, track.EInternal)
	if calls < 2 || calls > 10 {
		t.Errorf("Create tried %d times, want a small bound of retries", calls)
	}
	if n := f.store.Len(); n != 0 {
		t.Errorf("store holds %d items, want 0", n)
	}
}

// untouchable is a Store that fails the test when used.
type untouchable struct{ t *testing.T }

func (u untouchable) Create(context.Context, *track.Track) error {
	u.t.Error("Store.Create called")
	return nil
}

func (u untouchable) Get(_ context.Context, id string) (*track.Track, error) {
	u.t.Errorf("Store.Get(%q) called", id)
	return nil, track.ErrNotFound
}

func (u untouchable) Replace(context.Context, *track.Track, *track.Track) error {
	u.t.Error("Store.Replace called")
	return nil
}

func (u untouchable) Touch(context.Context, string, time.Time, time.Time) error {
	u.t.Error("Store.Touch called")
	return nil
}

func (u untouchable) Extend(context.Context, string, time.Time) error {
	u.t.Error("Store.Extend called")
	return nil
}

func (u untouchable) Delete(context.Context, string, string) (*track.Track, error) {
	u.t.Error("Store.Delete called")
	return nil, nil
}

func (u untouchable) Due(context.Context, track.Status, time.Time) ([]string, error) {
	u.t.Error("Store.Due called")
	return nil, nil
}

func TestMalformedIDsNeverReachTheStore(t *testing.T) {
	f := newFixture(t)
	f.svc.Store = untouchable{t}
	ctx := context.Background()
	for _, id := range []string{"", "abc", "abcde", "../etc", "abc/def", "abcdef%00", "ÄÖÜäöü", strings.Repeat("a", 33), "abc-defg"} {
		t.Run(id, func(t *testing.T) {
			if _, err := f.svc.Get(ctx, id); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Get = %v, want ErrNotFound", err)
			}
			if _, err := f.svc.Listen(ctx, id); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Listen = %v, want ErrNotFound", err)
			}
			if _, _, err := f.svc.Download(ctx, id); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Download = %v, want ErrNotFound", err)
			}
			if _, err := f.svc.Delete(ctx, id, "token"); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Delete = %v, want ErrNotFound", err)
			}
			if _, _, err := f.svc.SignParts(ctx, id, "token", []track.PartRequest{{Number: 1}}); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("SignParts = %v, want ErrNotFound", err)
			}
			if _, _, err := f.svc.Parts(ctx, id, "token"); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Parts = %v, want ErrNotFound", err)
			}
			if _, err := f.svc.Complete(ctx, id, "token", nil, ""); !errors.Is(err, track.ErrNotFound) {
				t.Errorf("Complete = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestGet(t *testing.T) {
	ctx := context.Background()
	t.Run("live", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		got, err := f.svc.Get(ctx, c.Track.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.Track) {
			t.Errorf("Get = %+v\nwant %+v", got, c.Track)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.svc.Get(ctx, "Nope0000"); !errors.Is(err, track.ErrNotFound) {
			t.Fatalf("Get = %v, want ErrNotFound", err)
		}
	})
	t.Run("a second before expiry", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		f.clock.Advance(testConfig.PendingTTL - time.Second)
		if _, err := f.svc.Get(ctx, c.Track.ID); err != nil {
			t.Fatalf("Get = %v, want the track", err)
		}
	})
	for _, after := range []time.Duration{0, time.Nanosecond, time.Hour} {
		t.Run("expired by "+after.String(), func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			f.clock.Advance(testConfig.PendingTTL + after)
			if _, err := f.svc.Get(ctx, c.Track.ID); !errors.Is(err, track.ErrNotFound) {
				t.Fatalf("Get = %v, want ErrNotFound", err)
			}
			// The item still exists: the table's TTL deletes it late.
			f.stored(t, c.Track.ID)
		})
	}
}

func TestListenSlidesReadyTracks(t *testing.T) {
	ctx := context.Background()
	step := testConfig.Retention / 14 // a day

	f := newFixture(t)
	c := f.create(t, nil)
	expires := start.Add(testConfig.Retention)
	f.setStatus(t, c, track.StatusReady, expires)
	id := c.Track.ID

	// Read at once, and just before a slide would gain Retention/14: no write.
	for _, d := range []time.Duration{0, step - time.Second} {
		f.clock.Set(start.Add(d))
		got, err := f.svc.Listen(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ExpiresAt.Equal(expires) {
			t.Errorf("at +%v: ExpiresAt = %v, want unchanged %v", d, got.ExpiresAt, expires)
		}
		if s := f.stored(t, id); !s.ExpiresAt.Equal(expires) {
			t.Errorf("at +%v: stored ExpiresAt = %v, want unchanged %v", d, s.ExpiresAt, expires)
		}
	}

	// More than Retention/14 later: the expiry becomes now + Retention, in the table too.
	now := f.clock.Advance(2 * time.Second) // start + step + 1s
	got, err := f.svc.Listen(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := now.Add(testConfig.Retention)
	if !got.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want now+Retention %v", got.ExpiresAt, want)
	}
	if s := f.stored(t, id); !s.ExpiresAt.Equal(want) {
		t.Errorf("stored ExpiresAt = %v, want %v", s.ExpiresAt, want)
	}

	// Get never slides.
	f.clock.Advance(3 * step)
	if got, err := f.svc.Get(ctx, id); err != nil || !got.ExpiresAt.Equal(want) {
		t.Errorf("Get = %v, %v; want ExpiresAt unchanged at %v", got, err, want)
	}
	if s := f.stored(t, id); !s.ExpiresAt.Equal(want) {
		t.Errorf("Get slid the stored expiry to %v", s.ExpiresAt)
	}
}

func TestListenNeverSlidesUnreadyTracks(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		status  track.Status
		expires time.Duration // from start
		read    time.Duration // from start
	}{
		{track.StatusPending, testConfig.PendingTTL, 5 * time.Minute},
		{track.StatusProcessing, testConfig.Retention, 3 * 24 * time.Hour},
		{track.StatusFailed, testConfig.FailedTTL, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			if tt.status != track.StatusPending {
				f.setStatus(t, c, tt.status, start.Add(tt.expires))
			}
			f.clock.Advance(tt.read)
			got, err := f.svc.Listen(ctx, c.Track.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := start.Add(tt.expires)
			if got.Status != tt.status || !got.ExpiresAt.Equal(want) {
				t.Errorf("Listen = %s until %v, want %s until %v", got.Status, got.ExpiresAt, tt.status, want)
			}
			if s := f.stored(t, c.Track.ID); !s.ExpiresAt.Equal(want) {
				t.Errorf("stored ExpiresAt = %v, want unchanged %v", s.ExpiresAt, want)
			}
		})
	}
}

func TestDownload(t *testing.T) {
	ctx := context.Background()
	t.Run("stream-only", func(t *testing.T) {
		for _, status := range []track.Status{track.StatusPending, track.StatusProcessing, track.StatusReady} {
			t.Run(string(status), func(t *testing.T) {
				f := newFixture(t)
				c := f.create(t, func(r *track.UploadRequest) { r.Downloadable = ptr(false) })
				if status != track.StatusPending {
					f.setStatus(t, c, status, start.Add(time.Hour))
				}
				_, p, err := f.svc.Download(ctx, c.Track.ID)
				wantCode(t, err, track.ENotDownloadable)
				if p.URL != "" {
					t.Errorf("signed %q for a stream-only track", p.URL)
				}
			})
		}
	})
	// A file is offered only once processing has shown it is audio: the service must not
	// host whatever bytes someone uploads.
	for _, status := range []track.Status{track.StatusPending, track.StatusProcessing} {
		t.Run(string(status), func(t *testing.T) {
			f := newFixture(t)
			c := f.create(t, nil)
			if status != track.StatusPending {
				f.setStatus(t, c, status, start.Add(time.Hour))
			}
			_, p, err := f.svc.Download(ctx, c.Track.ID)
			wantCode(t, err, track.ENotReady)
			if p.URL != "" {
				t.Errorf("signed %q for a %s track", p.URL, status)
			}
		})
	}
	t.Run("failed", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		f.setStatus(t, c, track.StatusFailed, start.Add(time.Hour))
		_, _, err := f.svc.Download(ctx, c.Track.ID)
		wantCode(t, err, track.ETrackFailed)
	})
	t.Run("unknown", func(t *testing.T) {
		f := newFixture(t)
		_, _, err := f.svc.Download(ctx, "Nope0000")
		wantCode(t, err, track.ENotFound)
	})

	names := []string{"Song (live).mp3", `My "best"; song, 100%.mp3`, "Grüße 🎵.flac", "日本語"}
	for _, status := range []track.Status{track.StatusReady} {
		for _, name := range names {
			t.Run(string(status)+" "+name, func(t *testing.T) {
				f := newFixture(t)
				c := f.create(t, func(r *track.UploadRequest) { r.Filename, r.Type = name, "audio/ogg; codecs=vorbis" })
				f.setStatus(t, c, status, start.Add(testConfig.Retention))
				tr, p, err := f.svc.Download(ctx, c.Track.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Filename != name {
					t.Errorf("track filename = %q, want %q", tr.Filename, name)
				}
				u, err := url.Parse(p.URL)
				if err != nil {
					t.Fatal(err)
				}
				if u.Path != "/"+c.Track.OriginalKey {
					t.Errorf("signed %q, want the original %q", u.Path, c.Track.OriginalKey)
				}
				q := u.Query()
				if got, want := q.Get("response-content-disposition"), track.ContentDisposition(name); got != want {
					t.Errorf("disposition = %q, want %q", got, want)
				}
				if got := q.Get("response-content-type"); got != "audio/ogg" {
					t.Errorf("content type = %q, want audio/ogg", got)
				}
				// Whatever Content-Encoding or Cache-Control the uploader's PUT stored with the
				// bytes, listeners get the bytes as they are.
				if got := q.Get("response-content-encoding"); got != "identity" {
					t.Errorf("content encoding = %q, want identity", got)
				}
				if got := q.Get("response-cache-control"); !strings.HasPrefix(got, "private") {
					t.Errorf("cache control = %q, want private", got)
				}
				if p.Method != "GET" || !p.ExpiresAt.Equal(start.Add(testConfig.MediaURLTTL)) {
					t.Errorf("signed %s until %v, want GET until MEDIA_URL_TTL from now", p.Method, p.ExpiresAt)
				}
			})
		}
	}

	t.Run("a download is a listen", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		f.setStatus(t, c, track.StatusReady, start.Add(testConfig.Retention))
		now := f.clock.Advance(3 * 24 * time.Hour)
		if _, _, err := f.svc.Download(ctx, c.Track.ID); err != nil {
			t.Fatal(err)
		}
		if s := f.stored(t, c.Track.ID); !s.ExpiresAt.Equal(now.Add(testConfig.Retention)) {
			t.Errorf("stored ExpiresAt = %v, want slid to %v", s.ExpiresAt, now.Add(testConfig.Retention))
		}
	})
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong or missing token", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		other := f.create(t, nil)
		for _, token := range []string{"", "wrong", " " + c.DeleteToken, c.DeleteToken + "x", strings.ToUpper(c.DeleteToken), other.DeleteToken, c.Track.DeleteTokenHash} {
			old, err := f.svc.Delete(ctx, c.Track.ID, token)
			wantCode(t, err, track.EForbidden)
			if old != nil {
				t.Errorf("Delete with token %q returned %+v", token, old)
			}
		}
		f.stored(t, c.Track.ID)
		if n := f.store.Len(); n != 2 {
			t.Errorf("store holds %d items, want 2", n)
		}
	})
	t.Run("right token", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		old, err := f.svc.Delete(ctx, c.Track.ID, c.DeleteToken)
		if err != nil {
			t.Fatal(err)
		}
		if old == nil || old.ID != c.Track.ID || old.OriginalKey != c.Track.OriginalKey {
			t.Errorf("Delete returned %+v, want the deleted track", old)
		}
		if n := f.store.Len(); n != 0 {
			t.Errorf("store holds %d items, want 0", n)
		}
		if _, err := f.svc.Get(ctx, c.Track.ID); !errors.Is(err, track.ErrNotFound) {
			t.Errorf("Get after Delete = %v, want ErrNotFound", err)
		}
		_, err = f.svc.Delete(ctx, c.Track.ID, c.DeleteToken)
		wantCode(t, err, track.ENotFound)
	})
	t.Run("unknown", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Delete(ctx, "Nope0000", "token")
		wantCode(t, err, track.ENotFound)
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		c := f.create(t, nil)
		f.clock.Advance(testConfig.PendingTTL)
		_, err := f.svc.Delete(ctx, c.Track.ID, c.DeleteToken)
		wantCode(t, err, track.ENotFound)
	})
}
