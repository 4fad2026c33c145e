package media

import "syscall"

// procAttr puts ffmpeg in a process group of its own, killed as one on a timeout, and kills it
// if the process that started it dies first (a crashed or killed runner must not leave a
// transcode running).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
