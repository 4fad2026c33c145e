package push_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/push"
)

const api = "http://127.0.0.1:8080"

func addTrack(m *push.Manifest, key, id string) error {
	_, err := m.Update(func(s *push.State) error {
		s.Server(api).Tracks[key] = &push.Entry{ID: id, URL: api + "/t/" + id, DeleteToken: "tok-" + id, Size: 1}
		return nil
	})
	return err
}

func TestManifestRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "soundtime")
	m := &push.Manifest{Path: filepath.Join(dir, "manifest.json")}
	s, err := m.Load()
	if err != nil || len(s.Servers) != 0 {
		t.Fatalf("a missing manifest loads as %+v, %v; want an empty state", s, err)
	}
	started := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if _, err := m.Update(func(s *push.State) error {
		srv := s.Server(api)
		srv.Tracks["00ff"] = &push.Entry{ID: "Ab3dEf9Z", URL: api + "/t/Ab3dEf9Z", DeleteToken: "secret", Path: "/music/a.mp3", Size: 42, Downloadable: true, Time: started}
		srv.Uploads["11ee"] = &push.Entry{ID: "Zz9yXx8W", DeleteToken: "other", Method: "MULTIPART", PartSize: 8 << 20, PartCount: 3, Time: started}
		srv.Sets["Album"] = &push.SetRec{ID: "Ss1tTt2u", URL: api + "/s/Ss1tTt2u", DeleteToken: "set", Title: "Album", Tracks: []string{"Ab3dEf9Z"}, Time: started}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := (&push.Manifest{Path: m.Path}).Load()
	if err != nil {
		t.Fatal(err)
	}
	srv := got.Servers[api]
	if e := srv.Tracks["00ff"]; e == nil || e.ID != "Ab3dEf9Z" || e.DeleteToken != "secret" || e.Path != "/music/a.mp3" || e.Size != 42 || !e.Downloadable || !e.Time.Equal(started) {
		t.Errorf("track = %+v", e)
	}
	if u := srv.Uploads["11ee"]; u == nil || u.Method != "MULTIPART" || u.PartSize != 8<<20 || u.PartCount != 3 {
		t.Errorf("upload = %+v", u)
	}
	if st := srv.Sets["Album"]; st == nil || st.ID != "Ss1tTt2u" || len(st.Tracks) != 1 {
		t.Errorf("set = %+v", st)
	}
	// The delete tokens are secrets: the file and its folder are the owner's only.
	for path, want := range map[string]os.FileMode{m.Path: 0o600, dir: 0o700} {
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode().Perm(), err, want)
		}
	}
	// Nothing but the manifest and its lock is left in the folder.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("folder holds %v, want the manifest and its lock", entries)
	}

	// A change that fails writes nothing.
	before, _ := os.ReadFile(m.Path)
	if _, err := m.Update(func(s *push.State) error {
		delete(s.Server(api).Tracks, "00ff")
		return errors.New("no")
	}); err == nil {
		t.Fatal("a failed change reported success")
	}
	if after, _ := os.ReadFile(m.Path); !bytes.Equal(before, after) {
		t.Error("a failed change was written")
	}
}

// TestManifestRefusesWhatItCannotRead: a manifest that is not JSON, or of another version, is
// an error and is never overwritten (it may hold the only copy of the delete tokens).
func TestManifestRefusesWhatItCannotRead(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":      "{\"version\": 1, \"servers\": {",
		"other version": `{"version": 2, "servers": {}}`,
	} {
		t.Run(name, func(t *testing.T) {
			m := &push.Manifest{Path: filepath.Join(t.TempDir(), "manifest.json")}
			if err := os.WriteFile(m.Path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := m.Load(); err == nil {
				t.Error("loaded")
			}
			if err := addTrack(m, "00", "Ab3dEf9Z"); err == nil {
				t.Error("updated")
			}
			if b, _ := os.ReadFile(m.Path); string(b) != content {
				t.Errorf("the manifest was rewritten: %s", b)
			}
		})
	}
}

// TestManifestConcurrentUpdates: updates at once, through separate opens of the same file as
// two processes would make, all land.
func TestManifestConcurrentUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- addTrack(&push.Manifest{Path: path}, fmt.Sprintf("%032x", i), fmt.Sprintf("id%06d", i))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	s, err := (&push.Manifest{Path: path}).Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(s.Servers[api].Tracks); n != 40 {
		t.Fatalf("%d of 40 entries kept", n)
	}
}

// writeForever adds an entry after another to the manifest at path until killed.
func writeForever(path string) {
	m := &push.Manifest{Path: path}
	for i := 0; ; i++ {
		if err := addTrack(m, fmt.Sprintf("%032x", i), strconv.Itoa(i)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// TestManifestSurvivesKill kills a process writing the manifest as fast as it can, again and
// again: each time the manifest reads whole, holding every entry written before, with nothing
// lost and no torn file.
func TestManifestSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	kept := 0
	for round := range 8 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "PUSH_TEST_MANIFEST_WRITER="+path)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// However the test ends, the writer does not outlive it.
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		// Let it write for a while; the kill lands wherever the writer is.
		deadline := time.Now().Add(10 * time.Second)
		for {
			s, err := (&push.Manifest{Path: path}).Load()
			if err == nil && s.Servers[api] != nil && len(s.Servers[api].Tracks) > kept+20 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Duration(round+1) * time.Millisecond)
		}
		cmd.Process.Kill()
		cmd.Wait() // the cleanup's second Kill and Wait then do nothing
		if stderr.Len() > 0 {
			t.Fatalf("writer: %s", stderr.Bytes())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var s push.State
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("round %d: torn manifest: %v", round, err)
		}
		if s.Servers[api] == nil {
			t.Fatalf("round %d: no entries", round)
		}
		n := len(s.Servers[api].Tracks)
		if n <= kept {
			t.Fatalf("round %d: %d entries after %d before: the writer wrote nothing or lost some", round, n, kept)
		}
		// The writer restarts from entry 0, so the entries are 0..n-1 with none missing.
		for i := range n {
			if s.Servers[api].Tracks[fmt.Sprintf("%032x", i)] == nil {
				t.Fatalf("round %d: entry %d of %d missing", round, i, n)
			}
		}
		kept = n
	}
}

func TestDefaultManifestPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	p, err := push.DefaultManifestPath(env(map[string]string{"XDG_STATE_HOME": "/state", "HOME": "/home/u"}))
	if err != nil || p != "/state/soundtime/manifest.json" {
		t.Errorf("with XDG_STATE_HOME: %q, %v", p, err)
	}
	p, err = push.DefaultManifestPath(env(map[string]string{"XDG_STATE_HOME": "relative", "HOME": "/home/u"}))
	if err != nil || p != "/home/u/.local/state/soundtime/manifest.json" {
		t.Errorf("with HOME (a relative XDG_STATE_HOME is ignored, as the XDG spec says): %q, %v", p, err)
	}
}
