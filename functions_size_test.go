package soundtime_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// maxFunctionBytes is issue 17's ceiling on a function's binary (13 MB), as functions/lambda.mk
// builds it for Lambda.
const maxFunctionBytes = 13_000_000

// TestFunctionSize builds the two largest functions as Lambda gets them (functions/lambda.mk's
// line: linux/arm64, lambda.norpc, -trimpath, -ldflags='-s -w') and fails when one passes 13 MB.
// They are the two that link the pages' html/template (pages) or every route of the tracks
// (track): text/template's calls of methods by name keep every exported method of every type
// stored in an interface, so an S3 client in the pages function would add all of S3's
// operations (docs/benchmarks.md, "Cold start and binary size"). The others were 1.5 MB or more
// below the ceiling when this was written. go build's cache makes it seconds when warm.
func TestFunctionSize(t *testing.T) {
	dir := t.TempDir()
	for _, fn := range []string{"track", "pages"} {
		t.Run(fn, func(t *testing.T) {
			out := filepath.Join(dir, fn)
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
			cmd.Dir = filepath.Join("functions", fn)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, msg)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > maxFunctionBytes {
				t.Errorf("functions/%s is %d bytes for Lambda, above the %d of issue 17", fn, st.Size(), maxFunctionBytes)
			}
			t.Logf("functions/%s: %d bytes", fn, st.Size())
		})
	}
}
