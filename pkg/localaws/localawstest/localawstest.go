// Package localawstest starts the local AWS-compatible servers for a test. It is a package of its
// own so that the local runner, which imports localaws, does not link the testing package.
package localawstest

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/soundtime/soundtime/pkg/localaws"
)

// StartTest starts a stack in a temporary folder for one test (or TestMain's) and stops it when
// the test ends. A missing tool fails the test, never skips it: `make test` installs the tools.
func StartTest(t testing.TB, webhookURL string) *localaws.Stack {
	t.Helper()
	st, err := localaws.Start(context.Background(), localaws.Options{Dir: t.TempDir(), WebhookURL: webhookURL, Output: output()})
	if err != nil {
		t.Fatalf("start local AWS servers: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// output shows the servers' output with SOUNDTIME_TEST_VERBOSE=1, for debugging a failure.
func output() io.Writer {
	if os.Getenv("SOUNDTIME_TEST_VERBOSE") != "" {
		return os.Stderr
	}
	return nil
}
