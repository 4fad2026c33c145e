package track

import (
	"context"
	"fmt"
)

// CardURL signs t's link-preview picture (CardKey) for MediaURLTTL; "" when t has none (it has
// cover art, is not ready, or was processed before cards existed).
func (s *Service) CardURL(ctx context.Context, t *Track) (string, error) {
	if t.Status != StatusReady || t.CardKey == "" {
		return "", nil
	}
	p, err := s.Blobs.PresignGet(ctx, t.CardKey, GetOptions{ContentType: "image/png"}, s.Config.MediaURLTTL)
	if err != nil {
		return "", fmt.Errorf("track: sign %s: %w", t.CardKey, err)
	}
	return p.URL, nil
}
