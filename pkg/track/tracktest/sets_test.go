package tracktest_test

import (
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func TestMemSets(t *testing.T) {
	tracktest.TestSetStore(t, func(t *testing.T) (track.Store, track.SetStore) {
		tracks := tracktest.NewMemStore()
		return tracks, tracktest.NewMemSets(tracks)
	})
}
