// Command layertool is the ffmpeg layer build's helper (see ../Makefile). It uses only the
// standard library, so the Makefile can build it with `go build main.go` even where there is no
// go.mod, as in the scratch copy `sam build` makes of layers/ffmpeg.
//
//	layertool sri FILE                          print FILE's npm integrity string (sha512-…)
//	layertool check -arch ARCH -sha256 HEX FILE  FILE must have that SHA-256 and be a static
//	                                            64-bit little-endian Linux ELF for ARCH
//	                                            (arm64 or x86_64, Lambda's names)
//	layertool size -max BYTES DIR               fail if the regular files under DIR add up to more
//	layertool zip OUT DIR                       write DIR's tree to OUT as a reproducible zip:
//	                                            sorted, fixed times, modes 0755 or 0644 kept
package main

import (
	"archive/zip"
	"compress/flate"
	"crypto/sha256"
	"crypto/sha512"
	"debug/elf"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// zipTime is every entry's modification time: zips of the same tree are byte-identical.
var zipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// machines maps Lambda's architecture names to ELF machines.
var machines = map[string]elf.Machine{"arm64": elf.EM_AARCH64, "x86_64": elf.EM_X86_64}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "layertool:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: layertool sri|check|size|zip …")
	}
	fl := flag.NewFlagSet(args[0], flag.ContinueOnError)
	arch := fl.String("arch", "", "arm64 or x86_64")
	want := fl.String("sha256", "", "expected SHA-256, hex")
	max := fl.Int64("max", 0, "largest total size in bytes")
	if err := fl.Parse(args[1:]); err != nil {
		return err
	}
	rest := fl.Args()
	switch {
	case args[0] == "sri" && len(rest) == 1:
		s, err := sri(rest[0])
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(out, s)
		return err
	case args[0] == "check" && len(rest) == 1:
		if err := check(rest[0], *arch, *want); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "%s: sha256 %s, static %s ELF\n", rest[0], *want, *arch)
		return err
	case args[0] == "size" && len(rest) == 1 && *max > 0:
		n, err := treeSize(rest[0])
		if err != nil {
			return err
		}
		if n > *max {
			return fmt.Errorf("%s holds %d bytes, more than the %d allowed (Lambda allows 250 MB unzipped for a function and all its layers)", rest[0], n, *max)
		}
		_, err = fmt.Fprintf(out, "%s: %d bytes unzipped (limit %d)\n", rest[0], n, *max)
		return err
	case args[0] == "zip" && len(rest) == 2:
		return writeZip(rest[0], rest[1])
	}
	return fmt.Errorf("bad arguments: %q", args)
}

func sri(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha512-" + base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// check verifies the checksum first: nothing else of an unverified file is worth parsing.
func check(path, arch, want string) error {
	machine, ok := machines[arch]
	if !ok {
		return fmt.Errorf("-arch %q: want arm64 or x86_64", arch)
	}
	if len(want) != 64 || strings.ToLower(want) != want {
		return fmt.Errorf("-sha256 %q: want 64 lower-case hex digits", want)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%s: SHA-256 %s, want %s: not the expected ffmpeg build", path, got, want)
	}
	e, err := elf.NewFile(f)
	if err != nil {
		return fmt.Errorf("%s: not an ELF executable: %v", path, err)
	}
	switch {
	case e.Class != elf.ELFCLASS64 || e.Data != elf.ELFDATA2LSB:
		return fmt.Errorf("%s: %v %v, want a 64-bit little-endian ELF", path, e.Class, e.Data)
	case e.Machine != machine:
		return fmt.Errorf("%s: built for %v, want %v (%s)", path, e.Machine, machine, arch)
	case e.OSABI != elf.ELFOSABI_NONE && e.OSABI != elf.ELFOSABI_LINUX:
		return fmt.Errorf("%s: OS ABI %v, want Linux", path, e.OSABI)
	case e.Type != elf.ET_EXEC && e.Type != elf.ET_DYN:
		return fmt.Errorf("%s: ELF type %v, want an executable", path, e.Type)
	}
	for _, p := range e.Progs {
		if p.Type == elf.PT_INTERP {
			// Lambda's provided.al2023 has glibc but none of ffmpeg's codec libraries.
			return fmt.Errorf("%s: dynamically linked (has an interpreter): the layer needs a static build", path)
		}
	}
	return nil
}

func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}

// writeZip stores dir's tree with paths relative to dir, as Lambda unpacks a layer into /opt.
// Only directories and regular files are allowed: a symlink could point out of /opt.
func writeZip(out, dir string) error {
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	zw := zip.NewWriter(f)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: filepath.ToSlash(rel), Modified: zipTime}
		switch {
		case d.IsDir():
			hdr.Name += "/"
			hdr.SetMode(fs.ModeDir | 0o755)
			_, err = zw.CreateHeader(hdr)
			return err
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: only regular files and directories go into a layer", path)
		}
		mode := fs.FileMode(0o644)
		if info.Mode()&0o111 != 0 {
			mode = 0o755
		}
		hdr.SetMode(mode)
		hdr.Method = zip.Deflate
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, out)
}
