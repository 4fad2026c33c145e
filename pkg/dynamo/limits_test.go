package dynamo_test

import (
	"context"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/dynamo"
	"github.com/soundtime/soundtime/pkg/localaws"
	"github.com/soundtime/soundtime/pkg/localaws/localawstest"
)

// TestLimiterHoldsAcrossInstances: two limiters on one table (two warm instances of the upload
// function) share one client's budget, on a real DynamoDB API server.
func TestLimiterHoldsAcrossInstances(t *testing.T) {
	st := localawstest.StartTest(t, "")
	c := st.DynamoDB()
	ctx := context.Background()
	if err := localaws.EnsureLimitsTable(ctx, c, "limits"); err != nil {
		t.Fatal(err)
	}
	if err := localaws.EnsureLimitsTable(ctx, c, "limits"); err != nil {
		t.Fatalf("EnsureLimitsTable is not idempotent: %v", err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 30, 0, time.UTC)
	a, b := dynamo.NewLimiter(c, "limits", 5), dynamo.NewLimiter(c, "limits", 5)
	a.Now, b.Now = func() time.Time { return now }, func() time.Time { return now }
	allowed := 0
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		ok, wait, err := l.Allow(ctx, "198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			allowed++
		} else if wait != 30*time.Second {
			t.Errorf("refusal %d: retry after %v, want the 30 s to the next minute", i, wait)
		}
	}
	if allowed != 5 {
		t.Fatalf("allowed %d of 8 across two instances, want 5", allowed)
	}
	if ok, _, _ := a.Allow(ctx, "203.0.113.9"); !ok {
		t.Fatal("another client shares the first one's count")
	}
	now = now.Add(time.Minute)
	if ok, _, _ := b.Allow(ctx, "198.51.100.7"); !ok {
		t.Fatal("refused in the next minute")
	}
}
