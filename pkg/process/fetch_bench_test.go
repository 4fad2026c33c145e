package process

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/soundtime/soundtime/pkg/track"
	"github.com/soundtime/soundtime/pkg/track/tracktest"
)

func randomBytes(n int, seed byte) []byte {
	data := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(data)
	return data
}

// TestMD5Behind: the hash of what was written, whatever the sizes of the writes, and the
// caller's buffer reusable as soon as a write returns.
func TestMD5Behind(t *testing.T) {
	data := randomBytes(3*copyBuffer+17, 1)
	for _, chunk := range []int{1, 1000, copyBuffer - 1, copyBuffer, copyBuffer + 1, len(data)} {
		t.Run(fmt.Sprint(chunk), func(t *testing.T) {
			m := newMD5Behind()
			buf := make([]byte, chunk)
			for rest := data; len(rest) > 0; {
				n := copy(buf, rest)
				if w, err := m.Write(buf[:n]); w != n || err != nil {
					t.Fatalf("Write = %d, %v", w, err)
				}
				for i := range buf {
					buf[i] = 0xff // reused at once, as io.CopyBuffer reuses its buffer
				}
				rest = rest[n:]
			}
			sum := md5.Sum(data)
			if got, want := m.Base64(), base64.StdEncoding.EncodeToString(sum[:]); got != want {
				t.Fatalf("Base64 = %s, want %s", got, want)
			}
		})
	}
	if got := newMD5Behind().Base64(); got != "1B2M2Y8AsgTpgAmY7PhCfg==" {
		t.Errorf("MD5 of nothing = %s", got)
	}
}

// BenchmarkFetch copies a 64 MiB original to disk as processing does: a single PUT's (S3
// checked its MD5, nothing to hash: the baseline) and a multipart upload's, hashed on the way
// by md5Behind; "multipart-inline" hashes in the copying goroutine instead, for comparison.
// The ratios to "put" are what checking the whole file's MD5 costs a run
// (go test -run '^$' -bench Fetch -count 5 ./pkg/process/).
func BenchmarkFetch(b *testing.B) {
	const size = 64 << 20
	data := randomBytes(size, 2)
	sum := md5.Sum(data)
	blobs := tracktest.NewMemBlobs()
	blobs.PutBytes("uploads/Bench0aa/original", "audio/flac", data)
	h := &Handler{Blobs: blobs}
	tr := func(uploadID string) *track.Track {
		return &track.Track{ID: "Bench0aa", Size: size, OriginalKey: "uploads/Bench0aa/original",
			MD5: base64.StdEncoding.EncodeToString(sum[:]), UploadID: uploadID}
	}
	for _, bc := range []struct{ name, uploadID string }{{"put", ""}, {"multipart", "upload"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				dir := b.TempDir()
				if _, err := h.fetch(context.Background(), tr(bc.uploadID), dir); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
			}
		})
	}
	b.Run("multipart-inline", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			dir := b.TempDir()
			f, err := os.Create(filepath.Join(dir, "original"))
			if err != nil {
				b.Fatal(err)
			}
			m := md5.New()
			if _, err := io.CopyBuffer(io.MultiWriter(f, m), io.LimitReader(bytes.NewReader(data), size+1), make([]byte, copyBuffer)); err != nil {
				b.Fatal(err)
			}
			f.Close()
			if !bytes.Equal(m.Sum(nil), sum[:]) {
				b.Fatal("wrong sum")
			}
			os.RemoveAll(dir)
		}
	})
}
