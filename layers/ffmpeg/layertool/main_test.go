package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestSRI(t *testing.T) {
	f := filepath.Join(t.TempDir(), "abc")
	if err := os.WriteFile(f, []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{"sri", f}, &out); err != nil {
		t.Fatal(err)
	}
	// SHA-512("abc") from FIPS 180-2, in base64.
	want := "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
	if got := strings.TrimSpace(out.String()); got != want {
		t.Errorf("sri = %s, want %s", got, want)
	}
}

func TestCheck(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	good := hex.EncodeToString(sum[:])
	other := map[string]string{"amd64": "arm64", "arm64": "x86_64"}[runtime.GOARCH]
	if other == "" || runtime.GOOS != "linux" {
		t.Fatalf("the layer tool's checks run on linux/amd64 or linux/arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	scriptSum := sha256.Sum256([]byte("#!/bin/sh\n"))
	for _, c := range []struct {
		name, arch, sha, file, err string
	}{
		{"wrong checksum", other, strings.Repeat("0", 64), exe, "not the expected ffmpeg build"},
		{"wrong architecture", other, good, exe, "built for"},
		{"not ELF", other, hex.EncodeToString(scriptSum[:]), notELF, "not an ELF"},
		{"bad arch name", "amd64", good, exe, "want arm64 or x86_64"},
		{"upper-case checksum", other, strings.ToUpper(good), exe, "lower-case hex"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := run([]string{"check", "-arch", c.arch, "-sha256", c.sha, c.file}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want one containing %q", err, c.err)
			}
		})
	}
}

func TestZip(t *testing.T) {
	dir := t.TempDir()
	tree := filepath.Join(dir, "layer")
	for path, mode := range map[string]os.FileMode{"bin/ffmpeg": 0o775, "share/doc/ffmpeg/COPYING": 0o600} {
		p := filepath.Join(tree, path)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(path), mode); err != nil {
			t.Fatal(err)
		}
	}
	a, b := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	for _, out := range []string{a, b} {
		if err := run([]string{"zip", out, tree}, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
	}
	ra, _ := os.ReadFile(a)
	rb, _ := os.ReadFile(b)
	if !bytes.Equal(ra, rb) {
		t.Errorf("two zips of one tree differ")
	}
	zr, err := zip.OpenReader(a)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []string
	for _, f := range zr.File {
		got = append(got, f.Name+" "+f.Mode().String())
	}
	want := []string{
		"bin/ drwxr-xr-x",
		"bin/ffmpeg -rwxr-xr-x",
		"share/ drwxr-xr-x",
		"share/doc/ drwxr-xr-x",
		"share/doc/ffmpeg/ drwxr-xr-x",
		"share/doc/ffmpeg/COPYING -rw-r--r--",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	if err := os.Symlink("/proc/self/environ", filepath.Join(tree, "bin", "link")); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"zip", a, tree}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "only regular files") {
		t.Errorf("zip with a symlink: err = %v, want a refusal", err)
	}
}

func TestSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"size", "-max", "100", dir}, &bytes.Buffer{}); err != nil {
		t.Errorf("100 bytes under a 100-byte limit: %v", err)
	}
	if err := run([]string{"size", "-max", "99", dir}, &bytes.Buffer{}); err == nil {
		t.Errorf("100 bytes under a 99-byte limit: no error")
	}
}
