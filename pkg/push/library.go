package push

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/soundtime/soundtime/pkg/media"
	"github.com/soundtime/soundtime/pkg/track"
)

// File is an audio file of the library: a regular file whose first bytes are a container
// pkg/media recognises.
type File struct {
	Path string // as found: a PATH argument, or joined under one
	Size int64
	Type string // the MIME type sent to the API, from the sniffed container
}

// Skipped is a file the walk left out, and why. Failed marks a file that is there but could
// not be read: push counts it as failed, not as merely skipped.
type Skipped struct {
	Path   string
	Reason string
	Failed bool
}

// WalkOptions bounds what Walk keeps.
type WalkOptions struct {
	// MaxSize is the server's largest accepted file (MAX_UPLOAD_BYTES); 0 means no limit.
	MaxSize int64
	// Ignore, given an absolute path, leaves it out without a word: the manifest and its lock,
	// should they lie under a PATH.
	Ignore func(abs string) bool
	// Workers sniff files at once; 0 means 4.
	Workers int
}

// mimeByFormat maps a sniffed container (media.Format.Name) to the MIME type the API is told.
var mimeByFormat = map[string]string{
	"mp3":  "audio/mpeg",
	"flac": "audio/flac",
	"ogg":  "audio/ogg",
	"opus": "audio/ogg",
	"wav":  "audio/wav",
	"aiff": "audio/aiff",
	"mp4":  "audio/mp4",
	"webm": "audio/webm",
	"aac":  "audio/aac",
}

// Walk finds the audio files under paths, in order: each PATH in turn, a folder's entries in
// lexical order (so an album's numbered tracks keep their order). Audio is recognised by its
// content alone, as the server recognises it; a name or extension counts for nothing. Every
// other file is in skipped with its reason. Symbolic links to files are followed, links to
// folders inside a PATH are not (a loop, or a whole disk, is one link away); a PATH itself may
// be one. A PATH that does not exist is an error.
func Walk(paths []string, opt WalkOptions) (files []File, skipped []Skipped, err error) {
	type candidate struct {
		path string
		size int64
	}
	var cands []candidate
	seen := map[string]bool{}
	skip := func(path, reason string) { skipped = append(skipped, Skipped{Path: path, Reason: reason}) }
	visit := func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			skipped = append(skipped, Skipped{Path: path, Reason: "cannot read: " + errorText(err), Failed: true})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		abs, _ := filepath.Abs(path)
		if (opt.Ignore != nil && opt.Ignore(abs)) || seen[abs] {
			return nil
		}
		seen[abs] = true
		if d.IsDir() {
			return nil
		}
		fi, err := os.Stat(path) // follows a symbolic link
		switch {
		case err != nil:
			skipped = append(skipped, Skipped{Path: path, Reason: "cannot read: " + errorText(err), Failed: true})
		case fi.IsDir():
			skip(path, "a symbolic link to a folder (not followed)")
		case !fi.Mode().IsRegular():
			// A FIFO would block the open; a device is no music.
			skip(path, "not a regular file")
		case fi.Size() == 0:
			skip(path, "empty")
		default:
			cands = append(cands, candidate{path, fi.Size()})
		}
		return nil
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", p, errorOnly(err))
		}
		if !fi.IsDir() {
			// A file named on the command line, a symbolic link included.
			if err := visit(p, fs.FileInfoToDirEntry(fi), nil); err != nil {
				return nil, nil, err
			}
			continue
		}
		// A PATH that is a symbolic link to a folder (~/Music on another disk) is walked: the
		// trailing separator makes WalkDir follow it, as a shell's "Music/" does.
		root := p
		if !strings.HasSuffix(root, string(filepath.Separator)) {
			root += string(filepath.Separator)
		}
		if err := filepath.WalkDir(root, visit); err != nil {
			return nil, nil, err
		}
	}

	// Sniff the candidates a few at once, keeping their order.
	types := make([]string, len(cands))
	reasons := make([]string, len(cands))
	failed := make([]bool, len(cands))
	workers := opt.Workers
	if workers <= 0 {
		workers = 4
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, c := range cands {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			types[i], reasons[i], failed[i] = sniffPath(c.path, c.size)
		}()
	}
	wg.Wait()
	for i, c := range cands {
		switch {
		case reasons[i] != "":
			skipped = append(skipped, Skipped{Path: c.path, Reason: reasons[i], Failed: failed[i]})
		case opt.MaxSize > 0 && c.size > opt.MaxSize:
			skip(c.path, fmt.Sprintf("larger than the server's limit of %s", track.FormatBytes(opt.MaxSize)))
		default:
			files = append(files, File{Path: c.path, Size: c.size, Type: types[i]})
		}
	}
	return files, skipped, nil
}

// sniffPath returns the MIME type of the audio file at path, or why it is left out.
func sniffPath(path string, size int64) (mime, reason string, failed bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", "cannot read: " + errorText(err), true
	}
	defer f.Close()
	format, err := media.SniffFile(f, size)
	switch {
	case errors.Is(err, media.ErrNotAudio):
		return "", "not audio", false
	case err != nil:
		return "", "cannot read: " + errorText(err), true
	}
	if t, ok := mimeByFormat[format.Name]; ok {
		return t, "", false
	}
	return "", "audio in a container the API has no type for (" + format.Name + ")", false
}

// errorText is err's message without the path that the caller names anyway.
func errorText(err error) string { return errorOnly(err).Error() }

func errorOnly(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
