package process

import (
	"crypto/md5"
	"encoding/base64"
	"hash"
)

// md5Behind hashes what is written to it on a goroutine of its own, a few blocks behind the
// writer: hashing a block overlaps reading the next one from storage and writing it to disk,
// so checking a multipart upload's MD5 costs a run little wall time (BenchmarkFetch). A write
// is copied in blocks of copyBuffer bytes, so the caller may reuse its buffer at once.
type md5Behind struct {
	h      hash.Hash
	blocks chan []byte
	free   chan []byte
	done   chan struct{}
}

// blocksBehind is how many blocks the hash may lag behind the writer.
const blocksBehind = 4

func newMD5Behind() *md5Behind {
	m := &md5Behind{h: md5.New(), blocks: make(chan []byte, blocksBehind), free: make(chan []byte, blocksBehind), done: make(chan struct{})}
	for range blocksBehind {
		m.free <- make([]byte, copyBuffer)
	}
	go func() {
		defer close(m.done)
		for b := range m.blocks {
			m.h.Write(b)
			m.free <- b[:cap(b)]
		}
	}()
	return m
}

// Write queues a copy of p for hashing; it never fails.
func (m *md5Behind) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		b := <-m.free
		n := copy(b, rest)
		m.blocks <- b[:n]
		rest = rest[n:]
	}
	return len(p), nil
}

// Base64 waits for the hash of everything written and returns it as Content-MD5 writes it.
// Nothing may be written after it; it must be called once, to end the goroutine.
func (m *md5Behind) Base64() string {
	close(m.blocks)
	<-m.done
	return base64.StdEncoding.EncodeToString(m.h.Sum(nil))
}
