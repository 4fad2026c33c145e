package federation

import (
	"fmt"
	"testing"
	"time"
)

// The key cache is bounded: past its size the least recently used key goes first, and a key is
// trusted for keyCacheTTL only. (An internal test: the bound is not visible through the inbox
// short of fetching more than a thousand keys.)
func TestKeyCacheBounded(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 1, 13, 34, 0, time.UTC)
	c := newKeyCache(3)
	key := func(i int) *remoteKey { return &remoteKey{owner: fmt.Sprint("owner", i), fetched: t0} }
	has := func(id string) bool { _, ok := c.get(id, t0); return ok }

	for i := range 3 {
		c.put(fmt.Sprint("k", i), key(i))
	}
	has("k0") // k0 is now the most recently used; k1 the least
	c.put("k3", key(3))
	if c.len() != 3 {
		t.Fatalf("len = %d, want the bound, 3", c.len())
	}
	if has("k1") || !has("k0") || !has("k2") || !has("k3") {
		t.Error("the least recently used key was not the one dropped")
	}
	c.put("k3", key(33)) // replacing does not grow it
	if got, _ := c.get("k3", t0); c.len() != 3 || got.owner != "owner33" {
		t.Errorf("after replacing k3: len %d, owner %s", c.len(), got.owner)
	}
	if _, ok := c.get("k0", t0.Add(keyCacheTTL+time.Second)); ok || c.len() != 2 {
		t.Errorf("a key older than %s is still trusted (len %d)", keyCacheTTL, c.len())
	}

	s := New(Config{}, nil, nil, nil, nil, nil, nil)
	if s.keys == nil || s.keys.max != keyCacheSize {
		t.Errorf("New makes no cache of %d keys", keyCacheSize)
	}
}
