// Command wixgen generates a production-grade Go backend for a Wix app: it
// authenticates requests from the app's frontend, answers CORS for the
// app's origins, keeps each app instance's data apart, calls Wix's REST
// APIs and receives Wix webhooks, with its own tests, Dockerfile, Makefile
// and CI workflow.
//
// Usage:
//
//	wixgen new [DIR] [flags]     generate a project (asks for what is missing on a terminal)
//	wixgen upgrade [DIR]         bring a generated project up to this wixgen, merging into your edits
//	wixgen diff [DIR]            show what upgrade would change, as unified diffs
//	wixgen options [--json]      list every option, its values and default
//	wixgen completion SHELL      print a shell completion script (bash, zsh or fish)
//
// Example:
//
//	wixgen new ./shop --name shop --app-id 1b2c3d4e-0000-4000-8000-000000000001 --yes
//
// Exit status: 0 on success, 1 when generation or a later step fails or an
// upgrade leaves conflicts, 2 for usage errors (bad flags, bad option
// values, a non-empty directory), 130 when interrupted. diff and
// upgrade --dry-run exit as diff(1): 0 nothing would change, 1 something
// would, 2 trouble.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	os.Exit(wixgen())
}

// wixgen runs the command line of this process and returns its exit status.
func wixgen() int {
	// wixgen lives for a fraction of a second and allocates a few tens of
	// megabytes: collecting garbage before exit is wasted work. Let the heap
	// grow up to a limit instead, unless the user tunes the collector.
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(-1)
		debug.SetMemoryLimit(512 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
}
