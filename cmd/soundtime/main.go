// Command soundtime runs the whole service on one machine (`make dev`): the local S3 and
// DynamoDB servers, the API and pages on one origin, and the event-driven functions in the
// background, with the same handler code as in Lambda. It is never deployed.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/soundtime/soundtime/pkg/config"
)

func main() {
	log := slog.New(logHandler(os.Stdout))
	cfg, err := config.Load(os.Getenv, config.Local)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := Start(ctx, cfg, log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soundtime:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "\n  Soundtime is running on %s  (Ctrl-C stops it)\n\n", cfg.PublicBaseURL)
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "soundtime: stopping")
	r.Close()
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
