package tracktest

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/soundtime/soundtime/pkg/track"
)

// MemSets is a track.SetStore in maps beside a MemStore, whose IDs it shares: a set cannot take a
// track's ID, and (through the MemStore's CreateHook, which NewMemSets chains) a track cannot
// take a set's.
type MemSets struct {
	Store *MemStore

	mu      sync.Mutex
	sets    map[string]track.Set
	members map[string]map[string]bool // track → sets

	// JoinHook, when set, runs before Join does anything: tests remove a track at that moment.
	JoinHook func(set string, tracks []string)
	// WriteHook, when set, can fail ReplaceSet and DeleteSet before they look at the map.
	WriteHook func(s *track.Set) error
}

// NewMemSets returns an empty SetStore sharing tracks' IDs.
func NewMemSets(tracks *MemStore) *MemSets {
	m := &MemSets{Store: tracks, sets: map[string]track.Set{}, members: map[string]map[string]bool{}}
	prev := tracks.CreateHook
	tracks.CreateHook = func(t *track.Track) error {
		if prev != nil {
			if err := prev(t); err != nil {
				return err
			}
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if _, ok := m.sets[t.ID]; ok {
			return track.ErrIDTaken
		}
		return nil
	}
	return m
}

var _ track.SetStore = (*MemSets)(nil)

func cloneSet(s *track.Set) track.Set {
	c := *s
	c.Tracks = slices.Clone(s.Tracks)
	c.CreatedAt = c.CreatedAt.Truncate(time.Second).UTC()
	return c
}

func (m *MemSets) CreateSet(ctx context.Context, s *track.Set) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.Store.Get(ctx, s.ID); err == nil {
		return track.ErrIDTaken
	}
	if _, ok := m.sets[s.ID]; ok {
		return track.ErrIDTaken
	}
	s.Version = 0
	m.sets[s.ID] = cloneSet(s)
	return nil
}

func (m *MemSets) GetSet(_ context.Context, id string) (*track.Set, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sets[id]
	if !ok {
		return nil, track.ErrNotFound
	}
	c := cloneSet(&s)
	return &c, nil
}

func (m *MemSets) ReplaceSet(_ context.Context, old, next *track.Set) error {
	if m.WriteHook != nil {
		if err := m.WriteHook(next); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sets[old.ID]
	if !ok || s.Version != old.Version {
		return track.ErrConflict
	}
	next.Version = old.Version + 1
	m.sets[next.ID] = cloneSet(next)
	return nil
}

func (m *MemSets) DeleteSet(_ context.Context, s *track.Set) error {
	if m.WriteHook != nil {
		if err := m.WriteHook(s); err != nil {
			return err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, ok := m.sets[s.ID]
	if !ok || stored.Version != s.Version {
		return track.ErrConflict
	}
	delete(m.sets, s.ID)
	return nil
}

func (m *MemSets) Join(_ context.Context, set string, tracks []string) error {
	if m.JoinHook != nil {
		m.JoinHook(set, tracks)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range tracks {
		if m.members[id] == nil {
			m.members[id] = map[string]bool{}
		}
		m.members[id][set] = true
	}
	return nil
}

func (m *MemSets) Leave(_ context.Context, set string, tracks []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range tracks {
		delete(m.members[id], set)
	}
	return nil
}

func (m *MemSets) SetsOf(_ context.Context, id string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for s := range m.members[id] {
		out = append(out, s)
	}
	sort.Strings(out)
	return out, nil
}

func (m *MemSets) Forget(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.members, id)
	return nil
}

func (m *MemSets) Tracks(ctx context.Context, ids []string) (map[string]*track.Track, error) {
	out := make(map[string]*track.Track, len(ids))
	for _, id := range ids {
		if t, err := m.Store.Get(ctx, id); err == nil {
			out[id] = t
		}
	}
	return out, nil
}

// Sets returns the number of stored sets.
func (m *MemSets) Sets() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sets)
}
