package ffmpeglayer_test

// Offline checks that the ffmpeg pins cannot drift apart: pins.mk (read by the root Makefile for
// `make tools` and by this folder's Makefile for the Lambda layers) against package.json and
// package-lock.json (what `npm ci` installs for the tests), the README and the layer's notice.
// Nothing is downloaded; a built layer is inspected only if `make layer` left one.

import (
	"archive/zip"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const root = "../.."

// pins reads pins.mk's `NAME := value` lines.
func pins(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("pins.mk")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(FFMPEG_\w+)\s*:=\s*(\S+)\s*$`).FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = m[2]
	}
	for _, arch := range []string{"X86_64", "ARM64"} {
		for _, k := range []string{"FFMPEG_NPM_", "FFMPEG_NPM_VERSION_", "FFMPEG_NPM_INTEGRITY_", "FFMPEG_NPM_SHA256_"} {
			if out[k+arch] == "" {
				t.Fatalf("pins.mk: %s%s missing", k, arch)
			}
		}
	}
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestPinsAreWellFormed(t *testing.T) {
	p := pins(t)
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for arch, pkg := range map[string]string{"X86_64": "@ffmpeg-installer/linux-x64", "ARM64": "@ffmpeg-installer/linux-arm64"} {
		if got := p["FFMPEG_NPM_"+arch]; got != pkg {
			t.Errorf("FFMPEG_NPM_%s = %q, want %q", arch, got, pkg)
		}
		if v := p["FFMPEG_NPM_VERSION_"+arch]; !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
			t.Errorf("FFMPEG_NPM_VERSION_%s = %q, want an exact version", arch, v)
		}
		integrity := p["FFMPEG_NPM_INTEGRITY_"+arch]
		sum, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(integrity, "sha512-"))
		if !strings.HasPrefix(integrity, "sha512-") || err != nil || len(sum) != 64 {
			t.Errorf("FFMPEG_NPM_INTEGRITY_%s = %q, want sha512- and base64 of 64 bytes", arch, integrity)
		}
		if s := p["FFMPEG_NPM_SHA256_"+arch]; !hex64.MatchString(s) {
			t.Errorf("FFMPEG_NPM_SHA256_%s = %q, want 64 lower-case hex digits", arch, s)
		}
	}
}

// npm ci installs the x86_64 package for the tests; its lockfile integrity and the layer's pin
// are the same tarball.
func TestPinsMatchLockfile(t *testing.T) {
	p := pins(t)
	pkg, version, integrity := p["FFMPEG_NPM_X86_64"], p["FFMPEG_NPM_VERSION_X86_64"], p["FFMPEG_NPM_INTEGRITY_X86_64"]

	// An optional dependency: it runs on x86-64 Linux only, and npm ci elsewhere must skip it
	// rather than fail (and take dynalite down with it).
	var manifest struct {
		DevDependencies      map[string]string `json:"devDependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(root, "package.json"))), &manifest); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	if got := manifest.OptionalDependencies[pkg]; got != version {
		t.Errorf("package.json optionalDependencies[%q] = %q, want exactly %q (pins.mk)", pkg, got, version)
	}
	// npm refuses a package whose cpu field is not the machine's (EBADPLATFORM): the arm64 build
	// is fetched with npm pack by the layer Makefile, never installed.
	if arm := p["FFMPEG_NPM_ARM64"]; manifest.DevDependencies[arm] != "" || manifest.OptionalDependencies[arm] != "" {
		t.Errorf("package.json depends on %s: npm ci would fail on x86_64 machines", arm)
	}

	var lock struct {
		LockfileVersion int `json:"lockfileVersion"`
		Packages        map[string]struct {
			Version              string            `json:"version"`
			Integrity            string            `json:"integrity"`
			Optional             bool              `json:"optional"`
			OptionalDependencies map[string]string `json:"optionalDependencies"`
		} `json:"packages"`
	}
	if err := json.Unmarshal([]byte(readFile(t, filepath.Join(root, "package-lock.json"))), &lock); err != nil {
		t.Fatalf("package-lock.json: %v", err)
	}
	if lock.LockfileVersion < 2 {
		t.Fatalf("package-lock.json lockfileVersion %d: want 2 or 3 (a packages map)", lock.LockfileVersion)
	}
	if got := lock.Packages[""].OptionalDependencies[pkg]; got != version {
		t.Errorf("package-lock.json root optionalDependencies[%q] = %q, want %q: run npm install", pkg, got, version)
	}
	entry, ok := lock.Packages["node_modules/"+pkg]
	if !ok {
		t.Fatalf("package-lock.json has no node_modules/%s", pkg)
	}
	if entry.Version != version || entry.Integrity != integrity || !entry.Optional {
		t.Errorf("package-lock.json node_modules/%s = %s %s (optional %v), want %s %s (pins.mk), optional", pkg, entry.Version, entry.Integrity, entry.Optional, version, integrity)
	}
}

// The root Makefile checks the installed binary against the same pin and hands it to the tests.
func TestRootMakefileUsesPins(t *testing.T) {
	p := pins(t)
	mk := readFile(t, filepath.Join(root, "Makefile"))
	bin := "node_modules/" + p["FFMPEG_NPM_X86_64"] + "/ffmpeg"
	for _, want := range []string{
		"include layers/ffmpeg/pins.mk",
		"FFMPEG        := " + bin,
		"export FFMPEG_PATH   := $(CURDIR)/$(FFMPEG)",
		`"$(FFMPEG_NPM_SHA256_X86_64)"`,
		"chmod +x $(FFMPEG)",
	} {
		if !strings.Contains(mk, want) {
			t.Errorf("root Makefile lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^tools:.*\$\(FFMPEG_STAMP\)`).MatchString(mk) || !strings.Contains(mk, "FFMPEG_STAMP         := node_modules/.ffmpeg-verified") {
		t.Errorf("root Makefile: tools does not depend on node_modules/.ffmpeg-verified on x86-64 Linux")
	}
	if !regexp.MustCompile(`(?m)^layer:`).MatchString(mk) {
		t.Errorf("root Makefile has no layer target")
	}
	if !strings.Contains(readFile(t, "Makefile"), "include $(HERE)/pins.mk") {
		t.Errorf("layers/ffmpeg/Makefile does not include pins.mk")
	}
}

// What people read must name the binaries the build checks.
func TestDocsNamePins(t *testing.T) {
	p := pins(t)
	section := readFile(t, "README.md")
	notice := readFile(t, "NOTICE")
	for _, arch := range []string{"X86_64", "ARM64"} {
		spec := p["FFMPEG_NPM_"+arch] + "@" + p["FFMPEG_NPM_VERSION_"+arch]
		for _, want := range []string{spec, p["FFMPEG_NPM_SHA256_"+arch], p["FFMPEG_NPM_INTEGRITY_"+arch]} {
			if !strings.Contains(section, want) {
				t.Errorf("layers/ffmpeg/README.md lacks %s", want)
			}
		}
		if !strings.Contains(notice, spec) {
			t.Errorf("NOTICE lacks %s", spec)
		}
	}
	if lic := readFile(t, "COPYING"); !strings.Contains(lic[:200], "GNU GENERAL PUBLIC LICENSE") || !strings.Contains(lic[:200], "Version 3") {
		t.Errorf("COPYING is not the GPLv3 text")
	}
}

// A layer `make layer` built: Lambda unpacks it into /opt, so bin/ffmpeg must be there and
// executable, with the licence beside it.
func TestBuiltLayers(t *testing.T) {
	zips, _ := filepath.Glob(filepath.Join("build", "ffmpeg-*.zip"))
	if len(zips) == 0 {
		t.Fatal("no layer built: `make test` builds it first (make layer)")
	}
	for _, z := range zips {
		t.Run(filepath.Base(z), func(t *testing.T) {
			zr, err := zip.OpenReader(z)
			if err != nil {
				t.Fatal(err)
			}
			defer zr.Close()
			files := map[string]*zip.File{}
			for _, f := range zr.File {
				files[f.Name] = f
				if strings.HasPrefix(f.Name, "/") || strings.Contains(f.Name, "..") {
					t.Errorf("entry %q escapes the layer root", f.Name)
				}
			}
			bin := files["bin/ffmpeg"]
			if bin == nil {
				t.Fatal("no bin/ffmpeg")
			}
			if m := bin.Mode(); m.Perm() != 0o755 || !m.IsRegular() {
				t.Errorf("bin/ffmpeg mode %v, want -rwxr-xr-x", m)
			}
			for _, doc := range []string{"share/doc/ffmpeg/COPYING", "share/doc/ffmpeg/README", "share/doc/ffmpeg/BUILD-INFO"} {
				if files[doc] == nil {
					t.Errorf("no %s", doc)
				}
			}
		})
	}
}
