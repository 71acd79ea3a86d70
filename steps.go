package main

// External steps: the go and git commands wixgen runs in a project after
// (or, for upgrade --verify, before) writing it.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// stepError is a failed step after the files were written, such as
// `go mod tidy`. The project is complete on disk; the error says how to
// run the step again.
type stepError struct {
	Step   string // what was being done, e.g. "go mod tidy"
	Dir    string
	Output string // the command's last lines of output
	Err    error
}

func (e *stepError) Error() string {
	msg := fmt.Sprintf("%s failed: %v", e.Step, e.Err)
	if errors.Is(e.Err, context.Canceled) {
		msg = e.Step + " was interrupted"
	}
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	rerun := e.Step
	if e.Dir != "" && e.Dir != "." {
		rerun = "cd " + shellQuote(e.Dir) + " && " + e.Step
	}
	return msg + "\nthe files are written; run the step again with: " + rerun
}

func (e *stepError) Unwrap() error { return e.Err }

// tidy runs `go mod tidy` in dir, which resolves the project's
// dependencies and writes go.sum; it needs the Go module proxy (or a warm
// module cache).
func tidy(ctx context.Context, dir string) error {
	return runStep(ctx, dir, nil, "go", "mod", "tidy")
}

// gitInit makes dir a git repository with everything in one first commit.
func gitInit(ctx context.Context, dir, message string) error {
	for _, args := range [][]string{
		{"git", "init", "--quiet"},
		{"git", "add", "--all"},
		{"git", "commit", "--quiet", "--message", message},
	} {
		if err := runStep(ctx, dir, nil, args...); err != nil {
			return err
		}
	}
	return nil
}

// runStep runs one command in dir, with env added to wixgen's own
// environment; a failure is a *stepError with the end of its output.
func runStep(ctx context.Context, dir string, env []string, args ...string) error {
	out, err := command(ctx, dir, env, args...)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return &stepError{Step: strings.Join(args, " "), Dir: dir, Output: lastLines(out, 20), Err: err}
	}
	return nil
}

// command runs one command in dir and returns its output, stdout and
// stderr together.
func command(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	// On interruption, ask the command to stop as Ctrl-C would, and stop
	// waiting for its output if a child it started keeps the pipe open.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 3 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
