// Command soundtime is Soundtime on one machine. `soundtime dev` (what `make dev` runs, and
// the default) runs the whole service: the local S3 and DynamoDB servers, the API and pages on
// one origin, and the event-driven functions in the background, with the same handler code as in
// Lambda; it is never deployed. `soundtime push` shares a music library with a server and
// `soundtime rm` deletes what it shared (pkg/push).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/soundtime/soundtime/pkg/config"
	"github.com/soundtime/soundtime/pkg/push"
)

const usage = `usage: soundtime [dev | push | rm | help] ...

  soundtime dev                run the whole service on this machine (what make dev runs; the default)
  soundtime push [flags] PATH  share the audio files under PATH and print their links
  soundtime rm ID|PATH         delete a track or set that push shared

soundtime push -h and soundtime rm -h say more.
`

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is the program with its arguments; it returns the exit status.
func run(args []string) int {
	cmd := "dev"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "dev":
		if len(args) > 0 {
			fmt.Fprintf(os.Stderr, "soundtime dev takes no arguments (its settings are environment variables: see docs/api.md)\n\n%s", usage)
			return 2
		}
		return dev()
	case "push", "rm":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		// A second Ctrl-C stops at once; the first lets the manifest be written.
		context.AfterFunc(ctx, stop)
		if cmd == "rm" {
			return push.RemoveMain(ctx, args, os.Getenv, os.Stdout, os.Stderr)
		}
		return push.Main(ctx, args, os.Getenv, os.Stdout, os.Stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(os.Stdout, usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "soundtime: unknown command %q\n\n%s", cmd, usage)
	return 2
}

// dev runs the local stack until Ctrl-C.
func dev() int {
	log := slog.New(logHandler(os.Stdout))
	cfg, err := config.Load(os.Getenv, config.Local)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soundtime:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "\n  Soundtime is running on %s  (Ctrl-C stops it)\n\n", cfg.PublicBaseURL)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "soundtime: stopping")
	r.Close()
	return 0
}

// logHandler is slog's text handler when out is a terminal (a developer reading `make dev`),
// with the metrics' EMF directive left out, and JSON lines, as in Lambda, when it is not (a file,
// a pipe, the end-to-end tests).
func logHandler(out *os.File) slog.Handler {
	if fi, err := out.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.NewTextHandler(out, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == "_aws" {
				return slog.Attr{}
			}
			return a
		}})
	}
	return slog.NewJSONHandler(out, nil)
}
