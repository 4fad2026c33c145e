package tracktest_test

import (
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func TestMemStore(t *testing.T) {
	tracktest.TestStore(t, func(t *testing.T) track.Store { return tracktest.NewMemStore() })
}

func TestMemBlobs(t *testing.T) {
	tracktest.TestBlobs(t, func(t *testing.T) track.Blobs { return tracktest.NewMemBlobs() }, tracktest.BlobsOptions{})
}
