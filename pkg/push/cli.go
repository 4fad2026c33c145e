package push

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/soundtime/soundtime/pkg/apiclient"
)

// DefaultAPI is the API a push goes to without --api or SOUNDTIME_API: `make dev`'s.
const DefaultAPI = "http://127.0.0.1:8080"

// maxJobs bounds -j: more parallel uploads only share the same uplink.
const maxJobs = 32

const pushUsage = `usage: soundtime push [--api URL] [--public] [--stream-only] [--set TITLE] [-j N] [--manifest FILE] PATH...

Shares the audio files under each PATH (folders are walked; files are recognised as audio by
their content, not their name) and prints a link per file. What was shared is remembered in the
manifest: running it again uploads only what is new, and finishes what an interruption cut short.

  --api URL          the Soundtime server (default $SOUNDTIME_API, else ` + DefaultAPI + `)
  --public           announce the tracks on the fediverse
  --stream-only      listeners can play the tracks but not download the files
  --set TITLE        put the tracks, in folder order, in a set: one link for all of them
  -j N               files uploaded at once (default 4, at most 32)
  --manifest FILE    where shared tracks are remembered (default ` + "$XDG_STATE_HOME/soundtime/manifest.json" + `)

Exit status: 0 when every audio file is shared, 1 when any failed, 2 for bad usage, 130 when
interrupted.
`

const rmUsage = `usage: soundtime rm [--api URL] [--manifest FILE] ID|PATH...

Deletes tracks (or sets) that soundtime push shared, with the delete tokens its manifest kept.
A PATH is looked up by its content; an ID is a track's or a set's.

  --api URL          the Soundtime server (default $SOUNDTIME_API, else ` + DefaultAPI + `)
  --manifest FILE    the manifest push wrote (default ` + "$XDG_STATE_HOME/soundtime/manifest.json" + `)
`

// common is what push and rm share: the server and the manifest.
type common struct {
	api, manifest string
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	def := getenv("SOUNDTIME_API")
	if def == "" {
		def = DefaultAPI
	}
	fs.StringVar(&c.api, "api", def, "")
	fs.StringVar(&c.manifest, "manifest", "", "")
}

// resolve checks the API URL and finds the manifest.
func (c *common) resolve(getenv func(string) string) (*apiclient.Client, *Manifest, error) {
	u, err := url.Parse(c.api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, nil, fmt.Errorf("--api %q: want an http:// or https:// origin such as %s", c.api, DefaultAPI)
	}
	path := c.manifest
	if path == "" {
		if path, err = DefaultManifestPath(getenv); err != nil {
			return nil, nil, err
		}
	}
	client := apiclient.New(strings.TrimRight(u.String(), "/"))
	client.UserAgent = "soundtime-push"
	return client, &Manifest{Path: path}, nil
}

// parse parses args with flags anywhere among the operands (`push ~/Music --public` works as
// `push --public ~/Music`); "--" ends the flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return operands, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(operands, rest...), nil
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
}

func newFlagSet(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	return fs
}

// Main is `soundtime push ARGS`: it returns the exit status. ctx is cancelled by Ctrl-C.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("push", pushUsage, stderr)
	var c common
	c.register(fs, getenv)
	public := fs.Bool("public", false, "")
	streamOnly := fs.Bool("stream-only", false, "")
	set := fs.String("set", "", "")
	jobs := fs.Int("j", 4, "")
	paths, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "soundtime push: "+format+"\n\n", a...)
		fmt.Fprint(stderr, pushUsage)
		return 2
	}
	switch {
	case len(paths) == 0:
		return bad("name at least one PATH (a folder or a file)")
	case *jobs < 1 || *jobs > maxJobs:
		return bad("-j %d: want 1 to %d", *jobs, maxJobs)
	}
	setGiven := false
	fs.Visit(func(f *flag.Flag) { setGiven = setGiven || f.Name == "set" })
	if setGiven {
		if err := validTitle(*set); err != nil {
			return bad("--set: %v", err)
		}
	}
	client, manifest, err := c.resolve(getenv)
	if err != nil {
		return bad("%v", err)
	}
	rep, err := Run(ctx, Options{
		Client: client, Manifest: manifest, Paths: paths,
		Public: *public, StreamOnly: *streamOnly, SetTitle: *set, Jobs: *jobs,
		Stdout: stdout, Stderr: stderr,
		Bars: isTerminal(stderr), LinksToTerminal: isTerminal(stdout),
	})
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "soundtime push: interrupted")
			return 130
		}
		fmt.Fprintln(stderr, "soundtime push:", err)
		return 1
	}
	return rep.ExitCode()
}

// validTitle checks a set title as the API does: 1 to 200 bytes of UTF-8 without control
// characters.
func validTitle(t string) error {
	switch {
	case t == "":
		return errors.New("the title is empty")
	case len(t) > 200:
		return fmt.Errorf("the title is %d bytes; at most 200", len(t))
	case !utf8.ValidString(t):
		return errors.New("the title is not valid UTF-8")
	}
	for _, r := range t {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return errors.New("the title holds control characters")
		}
	}
	return nil
}

// RemoveMain is `soundtime rm ARGS`: it returns the exit status.
func RemoveMain(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := newFlagSet("rm", rmUsage, stderr)
	var c common
	c.register(fs, getenv)
	targets, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(targets) == 0 {
		fmt.Fprint(stderr, "soundtime rm: name an ID or a PATH\n\n"+rmUsage)
		return 2
	}
	client, manifest, err := c.resolve(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "soundtime rm: %v\n\n%s", err, rmUsage)
		return 2
	}
	status := 0
	for _, t := range targets {
		msg, err := Remove(ctx, client, manifest, t)
		if err != nil {
			fmt.Fprintf(stderr, "soundtime rm: %s: %v\n", t, err)
			status = 1
			continue
		}
		fmt.Fprintln(stdout, msg)
	}
	return status
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
