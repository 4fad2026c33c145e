package localaws

import (
	"strings"
	"testing"
)

func TestWarningsDropsFauxqsRequestLog(t *testing.T) {
	var out strings.Builder
	w := &warnings{out: &out}
	in := `{"level":30,"msg":"incoming request"}` + "\n" +
		`{"level":30,"msg":"request completed"}` + "\n" +
		`{"level":50,"msg":"NOT NULL constraint failed"}` + "\n" +
		"node: bad option\n" +
		`{"level":40,"msg":"slow"}`
	// Written in pieces that split lines, as a pipe may deliver them.
	for _, piece := range []string{in[:7], in[7:60], in[60:], "\n"} {
		if _, err := w.Write([]byte(piece)); err != nil {
			t.Fatal(err)
		}
	}
	want := `{"level":50,"msg":"NOT NULL constraint failed"}` + "\n" + "node: bad option\n" + `{"level":40,"msg":"slow"}` + "\n"
	if out.String() != want {
		t.Fatalf("passed on\n%s\nwant\n%s", out.String(), want)
	}
}
