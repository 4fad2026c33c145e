package federation_test

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/track"
)

// errUnexpected is what a fake answers for a call the test did not provide for.
var errUnexpected = errors.New("fake: unexpected call")

// fakeTracks is federation.Tracks with a function field per method. Federation only reads
// tracks: there is no method through which anything it is sent could change one.
type fakeTracks struct {
	TrackFn       func(ctx context.Context, id string) (*track.Track, error)
	PublicFn      func(ctx context.Context, limit int, cursor string) ([]*track.Track, string, error)
	CountPublicFn func(ctx context.Context) (int, error)
}

func (f *fakeTracks) Track(ctx context.Context, id string) (*track.Track, error) {
	if f.TrackFn == nil {
		return nil, errUnexpected
	}
	return f.TrackFn(ctx, id)
}

func (f *fakeTracks) Public(ctx context.Context, limit int, cursor string) ([]*track.Track, string, error) {
	if f.PublicFn == nil {
		return nil, "", errUnexpected
	}
	return f.PublicFn(ctx, limit, cursor)
}

func (f *fakeTracks) CountPublic(ctx context.Context) (int, error) {
	if f.CountPublicFn == nil {
		return 0, errUnexpected
	}
	return f.CountPublicFn(ctx)
}

// tracksOf is a fakeTracks that knows the tracks given (a copy of each is returned); every other
// ID is track.ErrNotFound. It counts the public ones as the table's public index would.
func tracksOf(ts ...*track.Track) *fakeTracks {
	byID := map[string]track.Track{}
	for _, t := range ts {
		byID[t.ID] = *t
	}
	return &fakeTracks{
		TrackFn: func(_ context.Context, id string) (*track.Track, error) {
			t, ok := byID[id]
			if !ok {
				return nil, track.ErrNotFound
			}
			return &t, nil
		},
		CountPublicFn: func(context.Context) (int, error) {
			n := 0
			for _, t := range byID {
				if t.Public && t.Status == track.StatusReady {
					n++
				}
			}
			return n, nil
		},
	}
}

// fakeFollowers is federation.Followers with a function field per method.
type fakeFollowers struct {
	PutFn    func(ctx context.Context, f federation.Follower) error
	RemoveFn func(ctx context.Context, actor string) error
	ListFn   func(ctx context.Context, fn func(federation.Follower) error) error
	CountFn  func(ctx context.Context) (int, error)
}

func (f *fakeFollowers) Put(ctx context.Context, fl federation.Follower) error {
	if f.PutFn == nil {
		return errUnexpected
	}
	return f.PutFn(ctx, fl)
}

func (f *fakeFollowers) Remove(ctx context.Context, actor string) error {
	if f.RemoveFn == nil {
		return errUnexpected
	}
	return f.RemoveFn(ctx, actor)
}

func (f *fakeFollowers) List(ctx context.Context, fn func(federation.Follower) error) error {
	if f.ListFn == nil {
		return errUnexpected
	}
	return f.ListFn(ctx, fn)
}

func (f *fakeFollowers) Count(ctx context.Context) (int, error) {
	if f.CountFn == nil {
		return 0, errUnexpected
	}
	return f.CountFn(ctx)
}

// memFollowers is a followers table in memory, keyed by actor as the real one is, that records
// every write made to it.
type memFollowers struct {
	mu     sync.Mutex
	m      map[string]federation.Follower
	writes []string // "put ACTOR", "remove ACTOR", in order
}

func newMemFollowers(fs ...federation.Follower) *memFollowers {
	m := &memFollowers{m: map[string]federation.Follower{}}
	for _, f := range fs {
		m.m[f.Actor] = f
	}
	return m
}

// add stores fs without recording writes, and returns a function that removes them again.
func (m *memFollowers) add(fs ...federation.Follower) (undo func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range fs {
		m.m[f.Actor] = f
	}
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, f := range fs {
			delete(m.m, f.Actor)
		}
	}
}

// fake returns the fakeFollowers over m, whose fields a test may replace.
func (m *memFollowers) fake() *fakeFollowers {
	return &fakeFollowers{
		PutFn: func(_ context.Context, f federation.Follower) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			m.m[f.Actor] = f
			m.writes = append(m.writes, "put "+f.Actor)
			return nil
		},
		RemoveFn: func(_ context.Context, actor string) error {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.m, actor)
			m.writes = append(m.writes, "remove "+actor)
			return nil
		},
		ListFn: func(_ context.Context, fn func(federation.Follower) error) error {
			for _, f := range m.all() {
				if err := fn(f); err != nil {
					return err
				}
			}
			return nil
		},
		CountFn: func(context.Context) (int, error) {
			m.mu.Lock()
			defer m.mu.Unlock()
			return len(m.m), nil
		},
	}
}

// all returns the followers sorted by actor.
func (m *memFollowers) all() []federation.Follower {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]federation.Follower, 0, len(m.m))
	for _, f := range m.m {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b federation.Follower) int { return cmp.Compare(a.Actor, b.Actor) })
	return out
}

func (m *memFollowers) get(actor string) (federation.Follower, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.m[actor]
	return f, ok
}

func (m *memFollowers) writeLog() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.writes)
}

// fakeQueue is federation.Queue with a function field per method.
type fakeQueue struct {
	SendFn      func(ctx context.Context, body []byte) error
	SendBatchFn func(ctx context.Context, bodies [][]byte) error
	DelayFn     func(ctx context.Context, receiptHandle string, d time.Duration) error
}

func (q *fakeQueue) Send(ctx context.Context, body []byte) error {
	if q.SendFn == nil {
		return errUnexpected
	}
	return q.SendFn(ctx, body)
}

func (q *fakeQueue) SendBatch(ctx context.Context, bodies [][]byte) error {
	if q.SendBatchFn == nil {
		return errUnexpected
	}
	return q.SendBatchFn(ctx, bodies)
}

func (q *fakeQueue) Delay(ctx context.Context, receiptHandle string, d time.Duration) error {
	if q.DelayFn == nil {
		return errUnexpected
	}
	return q.DelayFn(ctx, receiptHandle, d)
}

// recQueue records what is sent to the queue and every delay asked for.
type recQueue struct {
	mu      sync.Mutex
	sent    [][]byte // every message, from Send and SendBatch alike
	batches int      // SendBatch calls
	delays  []delay
}

type delay struct {
	receipt string
	d       time.Duration
}

// fake returns the fakeQueue over q, whose fields a test may replace.
func (q *recQueue) fake() *fakeQueue {
	return &fakeQueue{
		SendFn: func(_ context.Context, body []byte) error {
			q.mu.Lock()
			defer q.mu.Unlock()
			q.sent = append(q.sent, slices.Clone(body))
			return nil
		},
		SendBatchFn: func(_ context.Context, bodies [][]byte) error {
			q.mu.Lock()
			defer q.mu.Unlock()
			q.batches++
			for _, b := range bodies {
				q.sent = append(q.sent, slices.Clone(b))
			}
			return nil
		},
		DelayFn: func(_ context.Context, receipt string, d time.Duration) error {
			q.mu.Lock()
			defer q.mu.Unlock()
			q.delays = append(q.delays, delay{receipt, d})
			return nil
		},
	}
}

// messages decodes every message sent.
func (q *recQueue) messages(t testing.TB) []federation.Message {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]federation.Message, 0, len(q.sent))
	for _, b := range q.sent {
		var m federation.Message
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("queued message %s: %v", b, err)
		}
		out = append(out, m)
	}
	return out
}

func (q *recQueue) delayed() []delay {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.delays)
}

func (q *recQueue) reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent, q.batches, q.delays = nil, 0, nil
}
