package localaws_test

import (
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/localaws"
)

// TestActorKeyMadeOnce: many processes starting at once make one key between them, kept in a
// file only the owner reads, and the same key comes back after a restart.
func TestActorKeyMadeOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "actor-key.pem")
	s := localaws.FileSecret{Path: path}
	ctx := context.Background()
	keys := make([]*rsa.PrivateKey, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := federation.LoadKey(ctx, s)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for i, k := range keys {
		if k == nil || !k.Equal(keys[0]) {
			t.Fatalf("caller %d got another key", i)
		}
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	again, err := federation.LoadKey(ctx, s)
	if err != nil || !again.Equal(keys[0]) {
		t.Fatalf("after a restart: %v, same=%v", err, again != nil && again.Equal(keys[0]))
	}
	if err := s.Create(ctx, "other"); err != federation.ErrSecretExists {
		t.Fatalf("a second Create = %v, want ErrSecretExists", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
}
