package tracktest_test

import (
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func TestMemStore(t *testing.T) {
	tracktest.TestStore(t, func(t *testing.T) track.Store { return tracktest.NewMemStore() })
}
