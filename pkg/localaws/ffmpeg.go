package localaws

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// FFmpeg returns the ffmpeg the local stack and the tests run: FFMPEG_PATH if set, else the pinned
// static build that `make tools` installs under node_modules (found from the working directory
// upwards), else ffmpeg on PATH. Deployed functions are given theirs (the layer's) in FFMPEG_PATH.
func FFmpeg() (string, error) {
	if p := os.Getenv("FFMPEG_PATH"); p != "" {
		return p, nil
	}
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, "node_modules", "@ffmpeg-installer", "linux-x64", "ffmpeg")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("ffmpeg")
	if err != nil {
		return "", errors.New("localaws: no ffmpeg: set FFMPEG_PATH or run `make tools`")
	}
	return p, nil
}
