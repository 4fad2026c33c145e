package push

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/soundtime/soundtime/pkg/apiclient"
)

// Remove deletes what target names, with the token the manifest kept, and drops it from the
// manifest: target is a file (its track is found by content MD5, whatever its name or place
// now) or the ID of a track or set. It returns what it did, for the user.
func Remove(ctx context.Context, c *apiclient.Client, m *Manifest, target string) (string, error) {
	state, err := m.Load()
	if err != nil {
		return "", err
	}
	srv := state.Server(c.Base)
	if fi, err := os.Stat(target); err == nil {
		if fi.IsDir() {
			return "", errors.New("a folder: name the files, or the IDs, to delete")
		}
		sum, err := hashFile(ctx, target)
		if err != nil {
			return "", err
		}
		key := hex.EncodeToString(sum[:])
		e := srv.Tracks[key]
		if e == nil {
			e = srv.Uploads[key]
		}
		if e == nil {
			return "", fmt.Errorf("no track with this content was shared to %s from here (manifest %s)", c.Base, m.Path)
		}
		return removeTrack(ctx, c, m, key, e)
	}
	for _, key := range sortedKeys(srv.Tracks) {
		if e := srv.Tracks[key]; e.ID == target {
			return removeTrack(ctx, c, m, key, e)
		}
	}
	for _, key := range sortedKeys(srv.Uploads) {
		if e := srv.Uploads[key]; e.ID == target {
			return removeTrack(ctx, c, m, key, e)
		}
	}
	for _, title := range sortedKeys(srv.Sets) {
		if s := srv.Sets[title]; s.ID == target {
			return removeSet(ctx, c, m, s)
		}
	}
	return "", fmt.Errorf("neither a file nor the ID of a track or set shared to %s from here (manifest %s)", c.Base, m.Path)
}

func removeTrack(ctx context.Context, c *apiclient.Client, m *Manifest, key string, e *Entry) (string, error) {
	err := c.DeleteTrack(ctx, e.ID, e.DeleteToken)
	gone := apiclient.IsStatus(err, 404)
	if err != nil && !gone {
		return "", fmt.Errorf("delete track %s: %w", e.ID, err)
	}
	if _, err := m.Update(func(s *State) error {
		srv := s.Server(c.Base)
		if t := srv.Tracks[key]; t != nil && t.ID == e.ID {
			delete(srv.Tracks, key)
		}
		if t := srv.Uploads[key]; t != nil && t.ID == e.ID {
			delete(srv.Uploads, key)
		}
		return nil
	}); err != nil {
		return "", err
	}
	if gone {
		return fmt.Sprintf("track %s (%s) was already gone; forgotten", e.ID, e.Path), nil
	}
	return fmt.Sprintf("deleted track %s (%s)", e.ID, e.Path), nil
}

func removeSet(ctx context.Context, c *apiclient.Client, m *Manifest, rec *SetRec) (string, error) {
	err := c.DeleteSet(ctx, rec.ID, rec.DeleteToken)
	gone := apiclient.IsStatus(err, 404)
	if err != nil && !gone {
		return "", fmt.Errorf("delete set %s: %w", rec.ID, err)
	}
	if _, err := m.Update(func(s *State) error {
		srv := s.Server(c.Base)
		if r := srv.Sets[rec.Title]; r != nil && r.ID == rec.ID {
			delete(srv.Sets, rec.Title)
		}
		return nil
	}); err != nil {
		return "", err
	}
	if gone {
		return fmt.Sprintf("set %s (%q) was already gone; forgotten", rec.ID, rec.Title), nil
	}
	return fmt.Sprintf("deleted set %s (%q); its tracks stay", rec.ID, rec.Title), nil
}
