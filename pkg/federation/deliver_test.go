package federation_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	oracle "github.com/go-fed/httpsig"

	"github.com/soundtime/soundtime/pkg/activitypub"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/httpsig"
	"github.com/soundtime/soundtime/pkg/track"
)

// Followers on four servers: two share their server's shared inbox, one server has no shared
// inbox, two more share another, one is alone on a fourth.
var fanOutFollowers = []federation.Follower{
	{Actor: "https://one.example/users/a1", Inbox: "https://one.example/users/a1/inbox", SharedInbox: "https://one.example/inbox"},
	{Actor: "https://one.example/users/a2", Inbox: "https://one.example/users/a2/inbox", SharedInbox: "https://one.example/inbox"},
	{Actor: "https://two.example/users/a3", Inbox: "https://two.example/users/a3/inbox"},
	{Actor: "https://three.example/users/a4", Inbox: "https://three.example/users/a4/inbox", SharedInbox: "https://three.example/inbox"},
	{Actor: "https://three.example/users/a5", Inbox: "https://three.example/users/a5/inbox", SharedInbox: "https://three.example/inbox"},
	{Actor: "https://four.example/users/a6", Inbox: "https://four.example/users/a6/inbox", SharedInbox: "https://four.example/inbox"},
}

// fanOutInboxes are the delivery inboxes of fanOutFollowers: one per shared inbox.
var fanOutInboxes = []string{
	"https://four.example/inbox",
	"https://one.example/inbox",
	"https://three.example/inbox",
	"https://two.example/users/a3/inbox",
}

// deliverEnv is an env with a Deliverer over it.
func deliverEnv(t *testing.T, opt envOptions) (*env, *federation.Deliverer) {
	t.Helper()
	e := newEnv(t, opt)
	return e, &federation.Deliverer{Service: e.svc}
}

// handle hands records to the deliverer as one batch and returns the IDs it reports failed.
func handle(t *testing.T, d *federation.Deliverer, records ...events.SQSMessage) []string {
	t.Helper()
	resp, err := d.Handle(context.Background(), events.SQSEvent{Records: records})
	if err != nil {
		t.Fatalf("Handle: %v (a batch is never failed whole)", err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	return failed
}

// deliveries returns the inboxes of the messages queued, sorted, and fails unless every one is
// a deliver message of an activity of type wantType.
func deliveries(t *testing.T, e *env, wantType string) []string {
	t.Helper()
	var inboxes []string
	for _, m := range e.queue.messages(t) {
		if m.Kind != federation.KindDeliver {
			t.Errorf("queued a %q message, want deliver messages only", m.Kind)
		}
		if a := decodeMap(t, m.Activity); a["type"] != wantType {
			t.Errorf("queued a %v for %s, want a %s", a["type"], m.Inbox, wantType)
		}
		inboxes = append(inboxes, m.Inbox)
	}
	slices.Sort(inboxes)
	return inboxes
}

// An announcement of a live public ready track fans out into exactly one deliver message per
// delivery inbox, in one batch send: followers sharing a shared inbox get one between them.
// A track that is gone, private or not ready announces nothing, and is not retried.
func TestAnnounceFanOut(t *testing.T) {
	ready := hostileTrack()
	private := hostileTrack()
	private.ID, private.Public = "Private1", false
	processing := hostileTrack()
	processing.ID, processing.Status = "Process1", track.StatusProcessing

	e, d := deliverEnv(t, envOptions{})
	e.followers.add(fanOutFollowers...)
	e.svc.Tracks = tracksOf(ready, private, processing)
	served := e.get("/ap/tracks/" + hostileID + "/activity").Body.Bytes()

	if failed := handle(t, d, record(t, "m1", 1, federation.Message{Kind: federation.KindAnnounce, Track: hostileID})); len(failed) != 0 {
		t.Fatalf("failed %q", failed)
	}
	if got := deliveries(t, e, "Create"); !slices.Equal(got, fanOutInboxes) {
		t.Errorf("delivered to %q, want %q", got, fanOutInboxes)
	}
	for _, m := range e.queue.messages(t) {
		if string(m.Activity) != string(served) {
			t.Errorf("the Create for %s differs from the one served at /ap/tracks/%s/activity:\n%s", m.Inbox, hostileID, m.Activity)
		}
	}
	if e.queue.batches != 1 {
		t.Errorf("%d batch sends, want 1", e.queue.batches)
	}

	for _, id := range []string{"Gone0001", private.ID} {
		e.queue.reset()
		if failed := handle(t, d, record(t, "m2", 1, federation.Message{Kind: federation.KindAnnounce, Track: id})); len(failed) != 0 {
			t.Errorf("announcing %s: failed %q, want it dropped", id, failed)
		}
		if m := e.queue.messages(t); len(m) != 0 {
			t.Errorf("announcing %s queued %+v", id, m)
		}
	}
	// The announcement is queued just before its track is recorded ready: a track still
	// processing is asked again in two seconds, not dropped and not yet delivered.
	e.queue.reset()
	if failed := handle(t, d, record(t, "m3", 1, federation.Message{Kind: federation.KindAnnounce, Track: processing.ID})); !slices.Equal(failed, []string{"m3"}) {
		t.Errorf("announcing %s: failed %q, want it retried", processing.ID, failed)
	}
	if m := e.queue.messages(t); len(m) != 0 {
		t.Errorf("announcing %s queued %+v", processing.ID, m)
	}
	if got := e.queue.delayed(); len(got) != 1 || got[0].d != 2*time.Second {
		t.Errorf("announcing %s: delays %+v, want one of 2s", processing.ID, got)
	}
	if w := e.followers.writeLog(); len(w) != 0 {
		t.Errorf("followers written: %q", w)
	}
}

// A withdrawal fans out the Delete of the Note in the same way, whether or not the track is
// still readable (it is gone by then).
func TestWithdrawFanOut(t *testing.T) {
	e, d := deliverEnv(t, envOptions{})
	e.followers.add(fanOutFollowers...)
	if failed := handle(t, d, record(t, "m1", 1, federation.Message{Kind: federation.KindWithdraw, Track: "Gone0001"})); len(failed) != 0 {
		t.Fatalf("failed %q", failed)
	}
	if got := deliveries(t, e, "Delete"); !slices.Equal(got, fanOutInboxes) {
		t.Errorf("delivered to %q, want %q", got, fanOutInboxes)
	}
	for _, m := range e.queue.messages(t) {
		del := decodeMap(t, m.Activity)
		if obj, _ := del["object"].(map[string]any); obj["id"] != e.svc.NoteID("Gone0001") || obj["type"] != "Tombstone" {
			t.Errorf("Delete of %v", del["object"])
		}
	}
}

// What a retry may fix is retried: a fan-out whose followers table, tracks or queue failed is
// reported failed (and nothing of a failed list is sent). What no retry fixes is dropped.
func TestFanOutFailures(t *testing.T) {
	boom := errors.New("boom")
	announce := federation.Message{Kind: federation.KindAnnounce, Track: hostileID}
	for _, c := range []struct {
		name   string
		break_ func(e *env)
		msg    federation.Message
		body   string
		retry  bool
	}{
		{"tracks unreadable", func(e *env) {
			e.svc.Tracks = &fakeTracks{TrackFn: func(context.Context, string) (*track.Track, error) { return nil, boom }}
		}, announce, "", true},
		{"followers unreadable", func(e *env) {
			e.svc.Followers.(*fakeFollowers).ListFn = func(context.Context, func(federation.Follower) error) error { return boom }
		}, announce, "", true},
		{"followers fail half way", func(e *env) {
			f := e.svc.Followers.(*fakeFollowers)
			list := f.ListFn
			f.ListFn = func(ctx context.Context, fn func(federation.Follower) error) error {
				n := 0
				return list(ctx, func(fl federation.Follower) error {
					if n++; n == 3 {
						return boom
					}
					return fn(fl)
				})
			}
		}, announce, "", true},
		{"queue refuses", func(e *env) {
			e.svc.Queue.(*fakeQueue).SendBatchFn = func(context.Context, [][]byte) error { return boom }
		}, federation.Message{Kind: federation.KindWithdraw, Track: hostileID}, "", true},
		{"not JSON", func(*env) {}, federation.Message{}, "{", false},
		{"unknown kind", func(*env) {}, federation.Message{Kind: "explode", Track: hostileID}, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, d := deliverEnv(t, envOptions{})
			e.followers.add(fanOutFollowers...)
			e.svc.Tracks = tracksOf(hostileTrack())
			c.break_(e)
			r := record(t, "m1", 1, c.msg)
			if c.body != "" {
				r.Body = c.body
			}
			failed := handle(t, d, r)
			if retried := slices.Equal(failed, []string{"m1"}); retried != c.retry {
				t.Errorf("failed %q, want retried %v", failed, c.retry)
			}
			if m := e.queue.messages(t); len(m) != 0 {
				t.Errorf("queued %d messages", len(m))
			}
		})
	}
}

// post is a request an inbox received.
type post struct {
	r    *http.Request
	body []byte
}

// inboxServer is a fake inbox that records what it gets and answers what answer says.
type inboxServer struct {
	*httptest.Server
	mu     sync.Mutex
	posts  []post
	answer func(w http.ResponseWriter, r *http.Request)
}

func newInbox(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *inboxServer {
	t.Helper()
	s := &inboxServer{answer: answer}
	s.Server = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// newInboxOn is newInbox listening on addr ("127.0.0.2:0").
func newInboxOn(t *testing.T, addr string, answer func(w http.ResponseWriter, r *http.Request)) *inboxServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	s := &inboxServer{answer: answer}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.Listener.Close()
	s.Listener = l
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *inboxServer) serve(w http.ResponseWriter, r *http.Request) {
	body := readAll(r.Body)
	s.mu.Lock()
	s.posts = append(s.posts, post{r: r.Clone(context.Background()), body: body})
	s.mu.Unlock()
	s.answer(w, r)
}

func (s *inboxServer) received() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

func (s *inboxServer) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

func answer(status int) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }
}

// deliverMsg is a deliver message of the hostile track's Create to inbox (the track is made
// readable for that).
func deliverMsg(t *testing.T, e *env, inbox string) federation.Message {
	t.Helper()
	e.svc.Tracks = tracksOf(hostileTrack())
	return federation.Message{Kind: federation.KindDeliver, Inbox: inbox, Activity: e.get("/ap/tracks/" + hostileID + "/activity").Body.Bytes()}
}

// A delivery is a POST of the activity as it was queued, Content-Type application/activity+json,
// signed as Mastodon signs; our own verifier (pkg/httpsig) and an independent one (go-fed/httpsig)
// both accept it with our actor's public key, and refuse it with another key.
func TestDeliverSigned(t *testing.T) {
	e, d := deliverEnv(t, envOptions{})
	inbox := newInbox(t, answer(http.StatusAccepted))
	m := deliverMsg(t, e, inbox.URL+"/inbox")
	if failed := handle(t, d, record(t, "m1", 1, m)); len(failed) != 0 {
		t.Fatalf("failed %q", failed)
	}
	if dl := e.queue.delayed(); len(dl) != 0 {
		t.Errorf("delayed %+v", dl)
	}
	got := inbox.received()
	if len(got) != 1 {
		t.Fatalf("the inbox got %d requests", len(got))
	}
	r, body := got[0].r, got[0].body
	if r.Method != http.MethodPost || r.URL.Path != "/inbox" {
		t.Errorf("%s %s", r.Method, r.URL)
	}
	if ct := r.Header.Get("Content-Type"); ct != activitypub.MediaType {
		t.Errorf("Content-Type = %q, want %q", ct, activitypub.MediaType)
	}
	if string(body) != string(m.Activity) {
		t.Errorf("body\n%s\nwant the queued activity\n%s", body, m.Activity)
	}
	if date := r.Header.Get("Date"); date != now.Format(http.TimeFormat) {
		t.Errorf("Date = %q, want now %q", date, now.Format(http.TimeFormat))
	}

	pub := &e.svc.Key.PublicKey
	other := &remoteKey(t, "mallory").PublicKey
	sig, err := httpsig.Parse(r, body, now)
	if err != nil {
		t.Fatalf("pkg/httpsig refuses our delivery: %v", err)
	}
	if sig.KeyID != base+"/ap/actor#main-key" || sig.Algorithm != "rsa-sha256" ||
		!slices.Equal(sig.Headers, []string{"(request-target)", "host", "date", "digest", "content-type"}) {
		t.Errorf("keyId %q algorithm %q headers %q", sig.KeyID, sig.Algorithm, sig.Headers)
	}
	if err := sig.Verify(pub); err != nil {
		t.Errorf("pkg/httpsig: %v", err)
	}
	if err := sig.Verify(other); err == nil {
		t.Error("pkg/httpsig accepted another key")
	}
	v, err := oracle.NewVerifier(r)
	if err != nil {
		t.Fatalf("go-fed/httpsig: %v", err)
	}
	if v.KeyId() != base+"/ap/actor#main-key" {
		t.Errorf("go-fed/httpsig keyId %q", v.KeyId())
	}
	if err := v.Verify(pub, oracle.RSA_SHA256); err != nil {
		t.Errorf("go-fed/httpsig refuses our delivery: %v", err)
	}
	if err := v.Verify(other, oracle.RSA_SHA256); err == nil {
		t.Error("go-fed/httpsig accepted another key: its check proves nothing")
	}
}

// The answer of the inbox decides: 2xx done; 4xx final but 408 and 429; anything else (5xx,
// a redirect a POST cannot follow) retried, reported as a batch item failure after its
// visibility was set to the backoff of its attempt.
func TestDeliverStatuses(t *testing.T) {
	for _, c := range []struct {
		status int
		retry  bool
	}{
		{200, false}, {201, false}, {202, false}, {204, false},
		{400, false}, {401, false}, {403, false}, {404, false}, {405, false}, {422, false},
		{408, true}, {429, true},
		{500, true}, {501, true}, {502, true}, {503, true}, {504, true},
		{302, true}, // not followed: it would turn the delivery into a GET
	} {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			e, d := deliverEnv(t, envOptions{})
			e.followers.add(fanOutFollowers...)
			inbox := newInbox(t, func(w http.ResponseWriter, r *http.Request) {
				if c.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(c.status)
			})
			failed := handle(t, d, record(t, "m1", 3, deliverMsg(t, e, inbox.URL+"/inbox")))
			if n := len(inbox.received()); n != 1 {
				t.Errorf("the inbox got %d requests", n)
			}
			wantRetry(t, e, failed, c.retry, 3, 4*time.Second)
			if w := e.followers.writeLog(); len(w) != 0 {
				t.Errorf("followers written: %q", w)
			}
		})
	}
}

// wantRetry checks the outcome of one record "m1" received for the receives-th time: retried
// (failed, its visibility set to wait, by its receipt handle) or done.
func wantRetry(t *testing.T, e *env, failed []string, retry bool, receives int, wait time.Duration) {
	t.Helper()
	delays := e.queue.delayed()
	if !retry {
		if len(failed) != 0 || len(delays) != 0 {
			t.Errorf("failed %q, delays %+v: want done", failed, delays)
		}
		return
	}
	if !slices.Equal(failed, []string{"m1"}) {
		t.Errorf("failed %q, want m1 retried", failed)
	}
	if len(delays) != 1 || delays[0] != (delay{"receipt-m1", wait}) {
		t.Errorf("after receive %d, delays %+v, want m1's visibility set to %s", receives, delays, wait)
	}
}

// An inbox that does not answer in time, or at all, is retried.
func TestDeliverUnanswered(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		e, d := deliverEnv(t, envOptions{timeout: 200 * time.Millisecond})
		release := make(chan struct{})
		inbox := newInbox(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
		defer close(release)
		start := time.Now()
		failed := handle(t, d, record(t, "m1", 1, deliverMsg(t, e, inbox.URL+"/inbox")))
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the delivery took %s: the timeout did not hold", took)
		}
		wantRetry(t, e, failed, true, 1, time.Second)
	})
	t.Run("connection refused", func(t *testing.T) {
		e, d := deliverEnv(t, envOptions{})
		inbox := newInbox(t, answer(202))
		url := inbox.URL + "/inbox"
		inbox.Close()
		wantRetry(t, e, handle(t, d, record(t, "m1", 2, deliverMsg(t, e, url))), true, 2, 2*time.Second)
	})
}

// The backoff is FEDERATION_RETRY_BASE × 2^(attempt−1), the attempt read from the record's
// ApproximateReceiveCount, capped at 12 hours.
func TestDeliverBackoff(t *testing.T) {
	inbox := newInbox(t, answer(503))
	for _, c := range []struct {
		receives string
		wait     time.Duration
	}{
		{"1", time.Second},
		{"2", 2 * time.Second},
		{"3", 4 * time.Second},
		{"10", 512 * time.Second},
		{"16", 32768 * time.Second},
		{"17", 12 * time.Hour},
		{"14000", 12 * time.Hour},
		{"", time.Second},     // no count: a first attempt
		{"many", time.Second}, // an unreadable one too
		{"0", time.Second},    // and one below 1
		{"-5", time.Second},
	} {
		t.Run(c.receives, func(t *testing.T) {
			e, d := deliverEnv(t, envOptions{})
			r := record(t, "m1", 1, deliverMsg(t, e, inbox.URL+"/inbox"))
			r.Attributes["ApproximateReceiveCount"] = c.receives
			wantRetry(t, e, handle(t, d, r), true, 0, c.wait)
		})
	}
}

// A 410 from an inbox removes every follower delivered there (by its shared inbox or its own)
// and is not retried.
func TestDeliverGone(t *testing.T) {
	e, d := deliverEnv(t, envOptions{})
	inbox := newInbox(t, answer(http.StatusGone))
	shared := inbox.URL + "/inbox"
	e.followers.add(fanOutFollowers...)
	e.followers.add(
		federation.Follower{Actor: inbox.URL + "/users/g1", Inbox: inbox.URL + "/users/g1/inbox", SharedInbox: shared},
		federation.Follower{Actor: inbox.URL + "/users/g2", Inbox: inbox.URL + "/users/g2/inbox", SharedInbox: shared},
		federation.Follower{Actor: inbox.URL + "/users/g3", Inbox: shared}, // no shared inbox, its own is that URL
		federation.Follower{Actor: inbox.URL + "/users/kept", Inbox: inbox.URL + "/users/kept/inbox"},
	)
	wantRetry(t, e, handle(t, d, record(t, "m1", 1, deliverMsg(t, e, shared))), false, 1, 0)
	var left []string
	for _, f := range e.followers.all() {
		left = append(left, f.Actor)
	}
	want := []string{
		"https://four.example/users/a6", "https://one.example/users/a1", "https://one.example/users/a2",
		"https://three.example/users/a4", "https://three.example/users/a5", "https://two.example/users/a3",
		inbox.URL + "/users/kept",
	}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("followers left %q, want %q", left, want)
	}
}

// One batch, three outcomes: only the delivery to retry is reported failed.
func TestDeliverBatch(t *testing.T) {
	e, d := deliverEnv(t, envOptions{})
	ok, down, refused := newInbox(t, answer(202)), newInbox(t, answer(500)), newInbox(t, answer(404))
	failed := handle(t, d,
		record(t, "ok", 1, deliverMsg(t, e, ok.URL+"/inbox")),
		record(t, "down", 1, deliverMsg(t, e, down.URL+"/inbox")),
		record(t, "refused", 1, deliverMsg(t, e, refused.URL+"/inbox")),
	)
	if !slices.Equal(failed, []string{"down"}) {
		t.Errorf("failed %q, want [down]", failed)
	}
	if dl := e.queue.delayed(); len(dl) != 1 || dl[0].receipt != "receipt-down" {
		t.Errorf("delays %+v", dl)
	}
}

// A batch is never started past what the invocation has left: with less than a delivery's time
// before the deadline, the records still to do are handed back at once (visible again, delay 0)
// and reported, untried, so that the invocation never dies at its timeout mid-batch.
func TestDeliverStopsBeforeTheDeadline(t *testing.T) {
	e, d := deliverEnv(t, envOptions{})
	first, second := newInbox(t, answer(202)), newInbox(t, answer(202))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := d.Handle(ctx, events.SQSEvent{Records: []events.SQSMessage{
		record(t, "first", 1, deliverMsg(t, e, first.URL+"/inbox")),
		record(t, "second", 1, deliverMsg(t, e, second.URL+"/inbox")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if !slices.Equal(failed, []string{"first", "second"}) {
		t.Errorf("failed %q, want both handed back", failed)
	}
	if n := len(first.received()) + len(second.received()); n != 0 {
		t.Errorf("%d deliveries started with 5 s left", n)
	}
	if dl := e.queue.delayed(); len(dl) != 2 || dl[0].d != 0 || dl[1].d != 0 {
		t.Errorf("delays %+v, want both records visible again at once", dl)
	}
	// With time enough, the same batch is delivered.
	if failed := handle(t, d, record(t, "first", 2, deliverMsg(t, e, first.URL+"/inbox"))); len(failed) != 0 {
		t.Errorf("failed %q", failed)
	}
	if n := len(first.received()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

// An inbox on an allowed ("public") host that redirects the delivery to 127.0.0.1, which is not
// allowed, is refused before anything reaches 127.0.0.1, whether the redirect names the address
// or a name that resolves to it; and the refusal is final, not retried. A 302 is not followed
// at all (a POST would become a GET).
func TestDeliverRedirectToLoopbackRefused(t *testing.T) {
	internal := newInbox(t, answer(202))
	for _, c := range []struct {
		name   string
		status int
		target string
		retry  bool
	}{
		{"307 to 127.0.0.1", http.StatusTemporaryRedirect, "https://127.0.0.1:" + internal.port() + "/inbox", false},
		{"308 to a name of 127.0.0.1", http.StatusPermanentRedirect, "https://internal.example.com:" + internal.port() + "/inbox", false},
		{"307 to [::ffff:127.0.0.1]", http.StatusTemporaryRedirect, "https://[::ffff:127.0.0.1]:" + internal.port() + "/inbox", false},
		{"302 to 127.0.0.1", http.StatusFound, "https://127.0.0.1:" + internal.port() + "/inbox", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			public := newInboxOn(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, c.target, c.status)
			})
			e, d := deliverEnv(t, envOptions{
				allow:    "127.0.0.2/32", // the "public" host's address, and no other
				resolver: mapResolver{"public.example.com": {"127.0.0.2"}, "internal.example.com": {"127.0.0.1"}},
			})
			inbox := "https://public.example.com:" + public.port() + "/inbox"
			failed := handle(t, d, record(t, "m1", 1, deliverMsg(t, e, inbox)))
			if n := len(public.received()); n != 1 {
				t.Errorf("the public inbox got %d requests, want 1", n)
			}
			if n := len(internal.received()); n != 0 {
				t.Errorf("127.0.0.1 got %d requests", n)
			}
			wantRetry(t, e, failed, c.retry, 1, time.Second)
		})
	}
	t.Run("inbox on 127.0.0.1 itself", func(t *testing.T) {
		e, d := deliverEnv(t, envOptions{allow: "-"})
		wantRetry(t, e, handle(t, d, record(t, "m1", 1, deliverMsg(t, e, internal.URL+"/inbox"))), false, 1, 0)
		if n := len(internal.received()); n != 0 {
			t.Errorf("127.0.0.1 got %d requests", n)
		}
	})
	t.Run("inbox over http", func(t *testing.T) {
		e, d := deliverEnv(t, envOptions{})
		wantRetry(t, e, handle(t, d, record(t, "m1", 1, deliverMsg(t, e, "http://127.0.0.1:"+internal.port()+"/inbox"))), false, 1, 0)
	})
}

// Backoff doubles from the base and stops at 12 hours; with the template's base of one minute,
// the waits between the DeliveryAttempts tries add up to about two days.
func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{time.Second, 0, time.Second},
		{time.Second, 1, time.Second},
		{time.Second, 2, 2 * time.Second},
		{time.Second, 3, 4 * time.Second},
		{time.Second, 16, 32768 * time.Second},
		{time.Second, 17, 12 * time.Hour},
		{time.Minute, 1, time.Minute},
		{time.Minute, 5, 16 * time.Minute},
		{time.Minute, 10, 512 * time.Minute},
		{time.Minute, 11, 12 * time.Hour},
		{time.Minute, 14, 12 * time.Hour},
		{time.Minute, 1 << 30, 12 * time.Hour},
		{13 * time.Hour, 1, 12 * time.Hour},
		{0, 5, 0},
	} {
		if got := federation.Backoff(c.base, c.attempt); got != c.want {
			t.Errorf("Backoff(%s, %d) = %s, want %s", c.base, c.attempt, got, c.want)
		}
	}
	var total time.Duration
	for attempt := 1; attempt < federation.DeliveryAttempts; attempt++ {
		total += federation.Backoff(time.Minute, attempt)
	}
	if total < 36*time.Hour || total > 72*time.Hour {
		t.Errorf("the waits add up to %s, want about two days", total)
	}
}
