package tracktest_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func TestMemStore(t *testing.T) {
	tracktest.TestStore(t, func(t *testing.T) track.Store { return tracktest.NewMemStore() })
}

func TestMemBlobs(t *testing.T) {
	var last *tracktest.MemBlobs
	tracktest.TestBlobs(t, func(t *testing.T) track.Blobs {
		last = tracktest.NewMemBlobs()
		return last
	}, tracktest.BlobsOptions{SendPart: func(p track.Presigned, body []byte) (string, error) {
		// The fake's part URLs carry what they were signed for.
		u, err := url.Parse(p.URL)
		if err != nil {
			return "", err
		}
		n, err := strconv.Atoi(u.Query().Get("partNumber"))
		if err != nil {
			return "", err
		}
		return last.PutPart(u.Query().Get("uploadId"), n, body)
	}})
}
