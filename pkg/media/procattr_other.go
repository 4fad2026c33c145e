//go:build !linux

package media

import "syscall"

// procAttr puts ffmpeg in a process group of its own, killed as one on a timeout. Only Linux can
// also tie its life to its parent's.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
