// Command wixgen generates a production-grade Go backend for a Wix app: it
// authenticates requests from the app's frontend, answers CORS for the
// app's origins, keeps each app instance's data apart, calls Wix's REST
// APIs and receives Wix webhooks, with its own tests, Dockerfile, Makefile
// and CI workflow.
//
// Usage:
//
//	wixgen new [DIR] [flags]     generate a project (asks for what is missing on a terminal)
//	wixgen options [--json]      list every option, its values and default
//	wixgen completion SHELL      print a shell completion script (bash, zsh or fish)
//
// Example:
//
//	wixgen new ./shop --name shop --app-id 1b2c3d4e-0000-4000-8000-000000000001 --yes
//
// Exit status: 0 on success, 1 when generation or a later step fails,
// 2 for usage errors (bad flags, bad option values, a non-empty directory).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
