package push

import "fmt"

// Part is one part of a multipart upload: bytes [Offset, Offset+Size) of the file.
type Part struct {
	Number int // from 1
	Offset int64
	Size   int64
}

// maxParts is S3's most parts an upload may have.
const maxParts = 10000

// PlanParts cuts a file of size bytes into the server's plan: partCount parts of partSize bytes,
// the last one shorter. A plan that does not fit the file (a server answering for another size,
// or nonsense) is an error, so no byte goes to the wrong part.
func PlanParts(size, partSize int64, partCount int) ([]Part, error) {
	switch {
	case size <= 0:
		return nil, fmt.Errorf("multipart plan: a file of %d bytes", size)
	case partSize <= 0 || partCount <= 0 || partCount > maxParts:
		return nil, fmt.Errorf("multipart plan: %d parts of %d bytes", partCount, partSize)
	case int64(partCount) != (size+partSize-1)/partSize:
		return nil, fmt.Errorf("multipart plan: %d parts of %d bytes do not make a file of %d bytes", partCount, partSize, size)
	}
	parts := make([]Part, partCount)
	for i := range parts {
		off := int64(i) * partSize
		parts[i] = Part{Number: i + 1, Offset: off, Size: min(partSize, size-off)}
	}
	return parts, nil
}
