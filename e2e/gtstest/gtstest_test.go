package gtstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/soundtime/soundtime/e2e/gtstest"
)

// TestServer starts GoToSocial, signs a user in, reads its empty home timeline, and exercises
// every client call on a second local user (following a local account needs no federation).
func TestServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	gts := gtstest.Start(t, gtstest.Options{})
	if gts.Token == "" || gts.AccountID == "" {
		t.Fatalf("signed in without a token or an account: %+v", gts)
	}
	home, err := gts.HomeTimeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(home) != 0 {
		t.Fatalf("a new user's home timeline holds %d statuses", len(home))
	}

	if _, err := gts.CreateUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	found, err := gts.SearchAccount(ctx, "@bob@"+gts.Host)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Username != "bob" {
		t.Fatalf("search found %+v", found)
	}
	bob := found[0]
	rel, err := gts.Follow(ctx, bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Following && !rel.Requested {
		t.Fatalf("after Follow: %+v", rel)
	}
	// GoToSocial's accounts are locked by default: the follow waits for bob's approval.
	if rel, err = gts.Relationship(ctx, bob.ID); err != nil || rel.ID != bob.ID || !(rel.Following || rel.Requested) {
		t.Fatalf("relationship after Follow: %+v, %v", rel, err)
	}
	if rel, err = gts.Unfollow(ctx, bob.ID); err != nil || rel.Following || rel.Requested {
		t.Fatalf("after Unfollow: %+v, %v", rel, err)
	}
	if rel, err = gts.Relationship(ctx, bob.ID); err != nil || rel.Following || rel.Requested {
		t.Fatalf("relationship after Unfollow: %+v, %v", rel, err)
	}
}
