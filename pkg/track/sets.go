package track

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"
)

// A set is an album, a playlist or a whole library behind one link (/s/{id}): a title and tracks
// in play order. It owns none of its tracks: a set lists tracks whose delete tokens its maker
// showed, it never keeps a track alive, it loses each track the moment the track is gone, and it
// is removed with its last one. Set IDs are drawn like track IDs and share their namespace (the
// tracks table's key), so an ID names a track or a set, never both.

// EInvalidTitle: a set's title is missing, too long, not UTF-8 or holds control characters.
const EInvalidTitle = "invalid_title"

// Bounds of a set.
const (
	MaxSetTitleBytes = 200
	MaxSetTracks     = 1000
)

// ErrSetNotFound answers for a set that does not exist, or whose tracks are all gone.
var ErrSetNotFound = &Error{Code: ENotFound, Message: "no set with that ID"}

// Set is a stored set.
type Set struct {
	ID     string
	Title  string
	Tracks []string // track IDs in play order, each once
	// TokenHash is the hex SHA-256 of the set's delete token (HashToken); the token is never stored.
	TokenHash string
	CreatedAt time.Time
	// Version counts the set's writes: every change is conditional on the set being as read.
	Version int64
}

// SetStore keeps sets, and for each track the IDs of the sets that list it (the members index),
// so that a track's removal finds its sets without reading the table. Implementations return
// ErrNotFound, ErrIDTaken and ErrConflict as Store does; any other error is transient.
type SetStore interface {
	// CreateSet inserts s if no item (track or set) has its ID, else returns ErrIDTaken.
	CreateSet(ctx context.Context, s *Set) error
	// GetSet returns a set with a strongly consistent read, or ErrNotFound (also for an ID that
	// is a track's).
	GetSet(ctx context.Context, id string) (*Set, error)
	// ReplaceSet writes next over old if the stored set still has old's version, and sets
	// next.Version to old's plus one; else (changed or gone) it returns ErrConflict.
	ReplaceSet(ctx context.Context, old, next *Set) error
	// DeleteSet removes s if the stored set still has s's version; else ErrConflict.
	DeleteSet(ctx context.Context, s *Set) error
	// Join records that set lists each of tracks; Leave that it no longer does. Both are
	// idempotent, and neither looks at whether the set or the tracks exist.
	Join(ctx context.Context, set string, tracks []string) error
	Leave(ctx context.Context, set string, tracks []string) error
	// SetsOf returns the IDs of the sets that joined track and have not left it (some may be
	// gone since); Forget drops the track's entry whole, once the track is gone.
	SetsOf(ctx context.Context, track string) ([]string, error)
	Forget(ctx context.Context, track string) error
	// Tracks returns the tracks of ids that exist (strongly consistent; expired ones included),
	// by ID; IDs without an item are absent from the map.
	Tracks(ctx context.Context, ids []string) (map[string]*Track, error)
}

// SetEntry is one track of a set request: its ID and the delete token that proves the caller
// uploaded it.
type SetEntry struct {
	ID          string
	DeleteToken string
}

// SetRequest is the body of POST /api/sets and PUT /api/sets/{id}.
type SetRequest struct {
	Title  string
	Tracks []SetEntry
}

// ValidateSet checks a request's shape: a title of 1 to 200 bytes of UTF-8 without control or
// invisible characters (EInvalidTitle), 1 to 1,000 tracks, each listed once (EInvalidRequest).
// Whether the tracks exist and the tokens match is the service's to check.
func ValidateSet(r SetRequest) error {
	if err := validateText(EInvalidTitle, "title", r.Title, MaxSetTitleBytes); err != nil {
		return err
	}
	switch n := len(r.Tracks); {
	case n == 0:
		return Errorf(EInvalidRequest, "a set needs at least one track")
	case n > MaxSetTracks:
		return Errorf(EInvalidRequest, "a set holds at most %d tracks, not %d", MaxSetTracks, n)
	}
	seen := make(map[string]bool, len(r.Tracks))
	for i, e := range r.Tracks {
		if e.ID == "" {
			return Errorf(EInvalidRequest, "tracks[%d] has no id", i)
		}
		if seen[e.ID] {
			return Errorf(EInvalidRequest, "tracks[%d]: a track is listed once per set", i)
		}
		seen[e.ID] = true
	}
	return nil
}

// Sets applies the rules of sets through a SetStore, reading and signing tracks through Tracks
// (whose clock, randomness and configuration it shares).
type Sets struct {
	Store  SetStore
	Tracks *Service
}

// SetView is a set as listeners see it: its live tracks in order, and when the last of them
// expires unless someone listens.
type SetView struct {
	Set       *Set
	Tracks    []*Track
	ExpiresAt time.Time
}

// SetCreated answers a new set.
type SetCreated struct {
	SetView
	DeleteToken string // shown once; only its hash is stored
}

// maxSetConflicts bounds the retries of a set write that lost to another writer (a replace, the
// removal of a gone track): each retry reads the set again, so only a storm of writers to one
// set exhausts it.
const maxSetConflicts = 10

// Create validates r, checks that every track exists and that every token is its track's, and
// stores a new set. On a validation error nothing has been written.
//
// A track can go while the set is being made. The members index is written first, so a removal
// after that finds the set (once it exists); a removal before it is seen by the re-read of the
// tracks after the set is stored, which drops what went. Either way no set keeps a gone track.
func (s *Sets) Create(ctx context.Context, r SetRequest) (*SetCreated, error) {
	if err := s.owned(ctx, r); err != nil {
		return nil, err
	}
	token, err := s.Tracks.randomToken()
	if err != nil {
		return nil, err
	}
	ids := entryIDs(r.Tracks)
	now := s.Tracks.Now().UTC().Truncate(time.Second)
	for attempt := 0; attempt < maxIDAttempts; attempt++ {
		id, err := NewID(s.Tracks.Rand)
		if err != nil {
			return nil, err
		}
		set := &Set{ID: id, Title: r.Title, Tracks: ids, TokenHash: HashToken(token), CreatedAt: now}
		if err := s.Store.Join(ctx, id, ids); err != nil {
			return nil, fmt.Errorf("track: index set %s: %w", id, err)
		}
		switch err := s.Store.CreateSet(ctx, set); {
		case errors.Is(err, ErrIDTaken):
			// The entries just written name another item's ID. They stay: taking them back
			// could drop entries of a set that has that ID and lists the same tracks, whereas
			// an entry naming a set that does not list its track (or a track) makes a removal
			// change nothing there.
			continue
		case err != nil:
			return nil, fmt.Errorf("track: create set %s: %w", id, err)
		}
		v, err := s.settle(ctx, set)
		if err != nil {
			return nil, err
		}
		return &SetCreated{SetView: *v, DeleteToken: token}, nil
	}
	return nil, fmt.Errorf("track: no free set ID after %d attempts", maxIDAttempts)
}

// Get returns a set with its live tracks in order. It does not count as a listen: reading a set
// never slides its tracks' expiry. A set whose tracks are all gone is ErrSetNotFound.
func (s *Sets) Get(ctx context.Context, id string) (*SetView, error) {
	set, err := s.getSet(ctx, id)
	if err != nil {
		return nil, err
	}
	tracks, err := s.Store.Tracks(ctx, set.Tracks)
	if err != nil {
		return nil, fmt.Errorf("track: read tracks of set %s: %w", id, err)
	}
	v := s.view(set, tracks)
	if len(v.Tracks) == 0 {
		return nil, ErrSetNotFound
	}
	return v, nil
}

// Replace replaces the title and tracks of set id, whose delete token is token, with r's, under
// the same rules as Create. The set keeps its ID, token and creation time.
func (s *Sets) Replace(ctx context.Context, id, token string, r SetRequest) (*SetView, error) {
	old, err := s.authorised(ctx, id, token)
	if err != nil {
		return nil, err
	}
	if err := s.owned(ctx, r); err != nil {
		return nil, err
	}
	ids := entryIDs(r.Tracks)
	if err := s.Store.Join(ctx, id, ids); err != nil {
		return nil, fmt.Errorf("track: index set %s: %w", id, err)
	}
	var next *Set
	for attempt := 0; ; attempt++ {
		next = &Set{ID: id, Title: r.Title, Tracks: ids, TokenHash: old.TokenHash, CreatedAt: old.CreatedAt}
		err := s.Store.ReplaceSet(ctx, old, next)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) || attempt == maxSetConflicts {
			return nil, fmt.Errorf("track: replace set %s: %w", id, err)
		}
		// A gone track was dropped meanwhile, or the set went with its last one.
		if old, err = s.getSet(ctx, id); err != nil {
			return nil, err
		}
	}
	if dropped := without(old.Tracks, ids); len(dropped) > 0 {
		if err := s.Store.Leave(ctx, id, dropped); err != nil {
			return nil, fmt.Errorf("track: unindex set %s: %w", id, err)
		}
	}
	return s.settle(ctx, next)
}

// Delete removes set id, whose delete token is token. Its tracks stay.
func (s *Sets) Delete(ctx context.Context, id, token string) error {
	set, err := s.authorised(ctx, id, token)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err := s.Store.DeleteSet(ctx, set)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) || attempt == maxSetConflicts {
			return fmt.Errorf("track: delete set %s: %w", id, err)
		}
		switch set, err = s.getSet(ctx, id); {
		case errors.Is(err, ErrNotFound):
			return nil // its last track went meanwhile, and the set with it
		case err != nil:
			return err
		}
	}
	// Entries left behind (a failure here) name a set that is gone: harmless, and dropped with
	// their tracks.
	if err := s.Store.Leave(ctx, id, set.Tracks); err != nil {
		return fmt.Errorf("track: unindex set %s: %w", id, err)
	}
	return nil
}

// Unlist drops the track id, which is gone, from every set that lists it, and removes a set that
// it leaves empty. It is what a track's removal from the table triggers (the stream's REMOVE
// record, as the expire function gets it). It is idempotent: a repeated or late call finds
// nothing to drop and changes nothing.
func (s *Sets) Unlist(ctx context.Context, id string) error {
	sets, err := s.Store.SetsOf(ctx, id)
	if err != nil {
		return fmt.Errorf("track: sets of %s: %w", id, err)
	}
	for _, set := range sets {
		if err := s.drop(ctx, set, []string{id}); err != nil {
			return err
		}
	}
	if err := s.Store.Forget(ctx, id); err != nil {
		return fmt.Errorf("track: unindex %s: %w", id, err)
	}
	return nil
}

// drop removes gone tracks from set id, and the set when none remain. A set that is gone, or
// that lists none of them, is left alone.
func (s *Sets) drop(ctx context.Context, id string, gone []string) error {
	for attempt := 0; ; attempt++ {
		set, err := s.Store.GetSet(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound):
			return nil
		case err != nil:
			return fmt.Errorf("track: read set %s: %w", id, err)
		}
		kept := without(set.Tracks, gone)
		if len(kept) == len(set.Tracks) {
			return nil
		}
		if len(kept) == 0 {
			err = s.Store.DeleteSet(ctx, set)
		} else {
			next := *set
			next.Tracks = kept
			err = s.Store.ReplaceSet(ctx, set, &next)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrConflict) || attempt == maxSetConflicts {
			return fmt.Errorf("track: drop %v from set %s: %w", gone, id, err)
		}
	}
}

// settle finishes a write of set: it reads the tracks again and drops those whose items went
// while the set was being written (whose removal may have looked for the set before it listed
// them), and returns the set as listeners now see it.
func (s *Sets) settle(ctx context.Context, set *Set) (*SetView, error) {
	now, err := s.Store.Tracks(ctx, set.Tracks)
	if err != nil {
		return nil, fmt.Errorf("track: read tracks of set %s: %w", set.ID, err)
	}
	var gone []string
	for _, id := range set.Tracks {
		if _, ok := now[id]; !ok {
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		if err := s.drop(ctx, set.ID, gone); err != nil {
			return nil, err
		}
		for _, id := range gone {
			// The track is gone: its entry in the index has nothing left to do.
			if err := s.Store.Forget(ctx, id); err != nil {
				return nil, fmt.Errorf("track: unindex %s: %w", id, err)
			}
		}
		if set, err = s.Store.GetSet(ctx, set.ID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, Errorf(ENotFound, "the tracks of this set were deleted or expired meanwhile")
			}
			return nil, err
		}
	}
	v := s.view(set, now)
	if len(v.Tracks) == 0 {
		return nil, Errorf(ENotFound, "the tracks of this set were deleted or expired meanwhile")
	}
	return v, nil
}

// owned validates r and checks its tracks: ErrNotFound naming the first track that does not
// exist (or is past its life), then EForbidden, naming none, if any token is not its track's.
func (s *Sets) owned(ctx context.Context, r SetRequest) error {
	if err := ValidateSet(r); err != nil {
		return err
	}
	ids := entryIDs(r.Tracks)
	for _, id := range ids {
		if !ValidID(id) {
			return Errorf(ENotFound, "no track with the ID %q", truncate(id, MaxIDLength))
		}
	}
	tracks, err := s.Store.Tracks(ctx, ids)
	if err != nil {
		return fmt.Errorf("track: read tracks: %w", err)
	}
	now := s.Tracks.Now()
	for _, id := range ids {
		if t, ok := tracks[id]; !ok || t.Expired(now) {
			return Errorf(ENotFound, "no track with the ID %s", id)
		}
	}
	for _, e := range r.Tracks {
		if !tokenMatches(e.DeleteToken, tracks[e.ID].DeleteTokenHash) {
			return Errorf(EForbidden, "every track needs its own valid delete token")
		}
	}
	return nil
}

// authorised returns the set id if it exists, has a live track and token is its delete token.
func (s *Sets) authorised(ctx context.Context, id, token string) (*Set, error) {
	v, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !tokenMatches(token, v.Set.TokenHash) {
		return nil, Errorf(EForbidden, "a valid delete token for this set is required")
	}
	return v.Set, nil
}

func (s *Sets) getSet(ctx context.Context, id string) (*Set, error) {
	if !ValidID(id) {
		return nil, ErrSetNotFound
	}
	set, err := s.Store.GetSet(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrSetNotFound
	}
	return set, err
}

// view is set with the tracks of tracks that are live now, in order.
func (s *Sets) view(set *Set, tracks map[string]*Track) *SetView {
	now := s.Tracks.Now()
	v := &SetView{Set: set}
	for _, id := range set.Tracks {
		t, ok := tracks[id]
		if !ok || t.Expired(now) {
			continue
		}
		v.Tracks = append(v.Tracks, t)
		if t.ExpiresAt.After(v.ExpiresAt) {
			v.ExpiresAt = t.ExpiresAt
		}
	}
	return v
}

// tokenMatches compares a presented token with a stored hash in constant time; an empty token
// never matches.
func tokenMatches(token, hash string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(HashToken(token)), []byte(hash)) == 1
}

func entryIDs(es []SetEntry) []string {
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ID
	}
	return ids
}

// without returns ids less those in drop, in order.
func without(ids, drop []string) []string {
	skip := make(map[string]bool, len(drop))
	for _, id := range drop {
		skip[id] = true
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return skip[id] })
}
