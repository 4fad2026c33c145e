//go:build unix

package push

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on path (made if absent) and returns its release. The lock
// goes with the process: one killed while holding it holds it no longer.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
