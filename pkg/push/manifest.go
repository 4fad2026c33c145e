package push

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Manifest is the file where push remembers what it shared: per API origin, the tracks by
// content MD5 (id, link, delete token), the uploads begun and not finished (so a re-run resumes
// them), and the sets by title. It holds secrets (the delete tokens): it is written readable by
// its owner only.
//
// Every change is a read, modify and write under an exclusive lock on a file beside it, and the
// write is atomic (a temporary file in the same folder, synced, renamed over the old one), so a
// crash or Ctrl-C at any moment leaves the previous or the new state, never a torn one, and two
// pushes at once each keep their own entries.
type Manifest struct {
	Path string
	mu   sync.Mutex // serialises this process's updates; the lock file serialises processes
}

// State is the manifest's content.
type State struct {
	Version int                `json:"version"`
	Servers map[string]*Server `json:"servers"` // by API origin
}

// Server is what was shared with one API origin.
type Server struct {
	Tracks  map[string]*Entry  `json:"tracks,omitempty"`  // shared tracks, by content MD5 (hex)
	Uploads map[string]*Entry  `json:"uploads,omitempty"` // begun, not finished, by content MD5 (hex)
	Sets    map[string]*SetRec `json:"sets,omitempty"`    // by title
}

// Entry is a track push made, finished or not.
type Entry struct {
	ID           string    `json:"id"`
	URL          string    `json:"url"`
	DeleteToken  string    `json:"deleteToken"`
	Path         string    `json:"path"` // where the file was when it was pushed
	Size         int64     `json:"size"`
	Public       bool      `json:"public"`
	Downloadable bool      `json:"downloadable"`
	Time         time.Time `json:"time"` // when it was shared, or when its upload began

	// An unfinished upload: how its bytes go (apiclient.MethodPut or MethodMultipart).
	Method string `json:"method,omitempty"`
	// A single PUT: its presigned URL and headers, valid until PutExpiresAt.
	PutURL       string            `json:"putUrl,omitempty"`
	PutHeaders   map[string]string `json:"putHeaders,omitempty"`
	PutExpiresAt time.Time         `json:"putExpiresAt,omitzero"`
	// A multipart upload's plan.
	PartSize  int64 `json:"partSize,omitempty"`
	PartCount int   `json:"partCount,omitempty"`
}

// SetRec is a set push made.
type SetRec struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	DeleteToken string    `json:"deleteToken"`
	Title       string    `json:"title"`
	Tracks      []string  `json:"tracks"` // track IDs in play order
	Time        time.Time `json:"time"`
}

// isDarwin: macOS keeps such files under ~/Library, not ~/.local/state.
var isDarwin = runtime.GOOS == "darwin"

// manifestVersion is the format written; a later one is refused rather than rewritten.
const manifestVersion = 1

// DefaultManifestPath is $XDG_STATE_HOME/soundtime/manifest.json, or under ~/.local/state
// without it (the XDG default), or under the user's configuration folder where there is no home
// (os.UserConfigDir: ~/Library/Application Support on macOS, %AppData% on Windows). Never inside
// the music: a folder pushed from a read-only disk or shared with others stays untouched.
func DefaultManifestPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "soundtime", "manifest.json"), nil
	}
	if home := getenv("HOME"); filepath.IsAbs(home) && os.PathSeparator == '/' && !isDarwin {
		return filepath.Join(home, ".local", "state", "soundtime", "manifest.json"), nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no place for the manifest (set XDG_STATE_HOME, or pass --manifest): %w", err)
	}
	return filepath.Join(d, "soundtime", "manifest.json"), nil
}

// Load reads the manifest; a missing file is an empty state. A file that is not a manifest is
// an error, never overwritten: it may hold the only copy of delete tokens.
func (m *Manifest) Load() (*State, error) {
	b, err := os.ReadFile(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return &State{Version: manifestVersion, Servers: map[string]*Server{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("manifest %s is not valid JSON (%v): move it aside to start afresh", m.Path, err)
	}
	if s.Version != manifestVersion {
		return nil, fmt.Errorf("manifest %s has version %d; this soundtime reads version %d", m.Path, s.Version, manifestVersion)
	}
	if s.Servers == nil {
		s.Servers = map[string]*Server{}
	}
	return &s, nil
}

// Server returns the part of s for the API origin api, made if absent.
func (s *State) Server(api string) *Server {
	srv := s.Servers[api]
	if srv == nil {
		srv = &Server{}
		s.Servers[api] = srv
	}
	if srv.Tracks == nil {
		srv.Tracks = map[string]*Entry{}
	}
	if srv.Uploads == nil {
		srv.Uploads = map[string]*Entry{}
	}
	if srv.Sets == nil {
		srv.Sets = map[string]*SetRec{}
	}
	return srv
}

// Update applies change to the current state on disk and writes the result atomically, under
// the lock. It returns the state written. When change fails, nothing is written.
func (m *Manifest) Update(change func(*State) error) (*State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(m.Path), 0o700); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	unlock, err := lockFile(m.Path + ".lock")
	if err != nil {
		return nil, fmt.Errorf("manifest: lock: %w", err)
	}
	defer unlock()
	s, err := m.Load()
	if err != nil {
		return nil, err
	}
	if err := change(s); err != nil {
		return nil, err
	}
	for api, srv := range s.Servers {
		if len(srv.Tracks) == 0 && len(srv.Uploads) == 0 && len(srv.Sets) == 0 {
			delete(s.Servers, api)
		}
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return s, writeAtomic(m.Path, append(b, '\n'))
}

// writeAtomic replaces path with data: a temporary file in the same folder, synced, renamed over
// path, and the folder synced, so that the rename itself survives a power cut.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some systems cannot sync a folder
		d.Close()
	}
	return nil
}

// isManifestFile reports whether path is the manifest's own file, lock or temporary file.
func isManifestFile(manifest, path string) bool {
	base, name := filepath.Base(manifest), filepath.Base(path)
	if filepath.Dir(manifest) != filepath.Dir(path) {
		return false
	}
	return name == base || name == base+".lock" || strings.HasPrefix(name, "."+base+".tmp-")
}
