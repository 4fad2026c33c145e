package track

import (
	"context"
	"fmt"
)

// Purge deletes every object of track id: its original and everything derived from it. It is
// idempotent: purging a purged track deletes nothing and succeeds.
func Purge(ctx context.Context, blobs Blobs, id string) (int, error) {
	if !ValidID(id) {
		return 0, fmt.Errorf("track: purge: %q is not a track ID", id)
	}
	total := 0
	for _, prefix := range []string{UploadsPrefix, DerivedPrefix} {
		n, err := blobs.DeletePrefix(ctx, prefix+id+"/")
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
