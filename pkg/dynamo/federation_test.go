package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

// TestPublicTracks: the outbox and NodeInfo read ready public tracks, newest first, page by
// page, from a sparse index: never a private, unready or expired track.
func TestPublicTracks(t *testing.T) {
	st := localawstest.StartTest(t, "")
	ctx := context.Background()
	if err := localaws.EnsureTracksTable(ctx, st.DynamoDB(), "tracks"); err != nil {
		t.Fatal(err)
	}
	s := dynamo.New(st.DynamoDB(), "tracks")
	now := time.Now().UTC().Truncate(time.Second)
	var want []string
	for i := range 7 {
		tr := tracktest.Sample(fmt.Sprintf("Pub%05d", i), now)
		tr.Status, tr.Public = track.StatusReady, true
		tr.UploadedAt, tr.ExpiresAt = now.Add(time.Duration(i)*time.Minute), now.Add(time.Hour)
		switch i {
		case 2:
			tr.Public = false // private
		case 4:
			tr.Status = track.StatusProcessing // not ready yet
		case 5:
			tr.ExpiresAt = now.Add(-time.Second) // expired, the TTL has not removed it yet
		default:
			want = append([]string{tr.ID}, want...)
		}
		if err := s.Create(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		tracks, next, err := s.Public(ctx, 2, cursor, now)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range tracks {
			got = append(got, tr.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("public tracks = %v, want %v (newest first)", got, want)
	}
	if n, err := s.CountPublic(ctx, now); err != nil || n != len(want) {
		t.Fatalf("CountPublic = %d, %v; want %d", n, err, len(want))
	}
	if _, _, err := s.Public(ctx, 2, "not-a-cursor", now); !errors.Is(err, track.ErrNotFound) {
		t.Fatalf("a forged cursor = %v, want ErrNotFound", err)
	}
}

func TestFollowers(t *testing.T) {
	st := localawstest.StartTest(t, "")
	ctx := context.Background()
	if err := localaws.EnsureFollowersTable(ctx, st.DynamoDB(), "followers"); err != nil {
		t.Fatal(err)
	}
	f := &dynamo.Followers{API: st.DynamoDB(), Table: "followers"}
	since := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	a := federation.Follower{Actor: "https://a.example/users/x", Inbox: "https://a.example/users/x/inbox", SharedInbox: "https://a.example/inbox", FollowID: "https://a.example/follows/1", Since: since}
	b := federation.Follower{Actor: "https://b.example/users/y", Inbox: "https://b.example/users/y/inbox", Since: since}
	for _, fl := range []federation.Follower{a, b, a} { // a follows twice
		if err := f.Put(ctx, fl); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []federation.Follower {
		var out []federation.Follower
		if err := f.List(ctx, func(fl federation.Follower) error { out = append(out, fl); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(out, func(x, y federation.Follower) int { return compare(x.Actor, y.Actor) })
		return out
	}
	if got := list(); !slices.Equal(got, []federation.Follower{a, b}) {
		t.Fatalf("followers = %+v, want a and b once each", got)
	}
	if n, err := f.Count(ctx); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
	if err := f.Remove(ctx, a.Actor); err != nil {
		t.Fatal(err)
	}
	if err := f.Remove(ctx, a.Actor); err != nil {
		t.Fatalf("removing a missing follower = %v, want nil", err)
	}
	if got := list(); !slices.Equal(got, []federation.Follower{b}) {
		t.Fatalf("after Remove = %+v", got)
	}
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
