package media

import (
	"errors"
	"io"

	"github.com/dhowden/tag"
)

// maxMP4Reads caps the reads dhowden/tag makes of an MP4 file. Each atom header costs it two,
// so this bounds the depth of its recursion into nested atoms; real files have a few dozen.
const maxMP4Reads = 16384

// readMP4 reads the tags of an MP4 (M4A) file with dhowden/tag behind caps on bytes and reads.
// No allocation there is larger than what it reads, so caps on reading bound it. It walks every
// atom to the end of the file, so a cap reached is the end of the walk, not an error: the atoms
// read before it are whole.
func readMP4(r io.ReadSeeker) (tag.Metadata, error) {
	m, err := tag.ReadAtoms(&capped{r: r, bytes: MaxMetadataSize, reads: maxMP4Reads})
	if errors.Is(err, ErrMetadataTooLarge) {
		err = nil
	}
	return m, err
}
