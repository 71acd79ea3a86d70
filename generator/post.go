package generator

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

// StepError is a failed step after the files were written, such as
// `go mod tidy`. The project is complete on disk; the error says how to
// run the step again.
type StepError struct {
	Step   string // what was being done, e.g. "go mod tidy"
	Dir    string
	Output string // the command's last lines of output
	Err    error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("%s failed: %v", e.Step, e.Err)
	if errors.Is(e.Err, context.Canceled) {
		msg = e.Step + " was interrupted"
	}
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	rerun := e.Step
	if e.Dir != "" && e.Dir != "." {
		rerun = "cd " + e.Dir + " && " + e.Step
	}
	return msg + "\nthe files are written; run the step again with: " + rerun
}

func (e *StepError) Unwrap() error { return e.Err }

// Tidy runs `go mod tidy` in dir, which resolves the project's
// dependencies and writes go.sum; it needs the Go module proxy (or a warm
// module cache).
func Tidy(ctx context.Context, dir string) error {
	return runStep(ctx, dir, "go", "mod", "tidy")
}

// GitInit makes dir a git repository with everything in one first commit.
func GitInit(ctx context.Context, dir, message string) error {
	for _, args := range [][]string{
		{"git", "init", "--quiet"},
		{"git", "add", "--all"},
		{"git", "commit", "--quiet", "--message", message},
	} {
		if err := runStep(ctx, dir, args...); err != nil {
			return err
		}
	}
	return nil
}

func runStep(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	// On interruption, ask the command to stop as Ctrl-C would, and stop
	// waiting for its output if a child it started keeps the pipe open.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 3 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return &StepError{Step: strings.Join(args, " "), Dir: dir, Output: lastLines(out.String(), 20), Err: err}
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
