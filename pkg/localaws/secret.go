package localaws

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/soundtime/soundtime/pkg/federation"
)

// FileSecret keeps a secret in a file only its owner can read, as the local runner keeps the
// actor's key in its data folder where AWS keeps it in Parameter Store. Creating it is
// race-free: the file is created exclusively under a temporary name, written, then linked into
// place, which fails if someone else linked theirs first.
type FileSecret struct{ Path string }

var _ federation.Secrets = FileSecret{}

// Get implements federation.Secrets.
func (f FileSecret) Get(context.Context) (string, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", federation.ErrNoSecret
	}
	if err != nil {
		return "", fmt.Errorf("localaws: read %s: %w", f.Path, err)
	}
	return string(b), nil
}

// Create implements federation.Secrets.
func (f FileSecret) Create(_ context.Context, value string) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".secret-*")
	if err != nil {
		return fmt.Errorf("localaws: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("localaws: %w", err)
	}
	if _, err := tmp.WriteString(value); err != nil {
		tmp.Close()
		return fmt.Errorf("localaws: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("localaws: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("localaws: %w", err)
	}
	if err := os.Link(tmp.Name(), f.Path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return federation.ErrSecretExists
		}
		return fmt.Errorf("localaws: store %s: %w", f.Path, err)
	}
	return nil
}
