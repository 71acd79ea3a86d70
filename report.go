package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/wixgen/wixgen/generator"
)

// report is how one command (new, upgrade, diff) tells what it did:
// progress and hints on stderr (nothing with --quiet or --json), its
// outcome as text, or as one JSON object on stdout with --json.
type report struct {
	out      io.Writer // results (stdout)
	progress io.Writer // progress and hints (stderr); io.Discard when quiet or JSON
	json     bool
	quiet    bool
	res      *result // the part of the JSON result every command has
}

func newReport(c *cli.Context, stderr io.Writer, res *result) *report {
	r := &report{out: c.App.Writer, progress: stderr, json: c.Bool("json"), quiet: c.Bool("quiet"), res: res}
	if r.json || r.quiet {
		r.progress = io.Discard
	}
	return r
}

// result is what every command's --json output holds; each command's
// result type embeds it and adds its own fields.
type result struct {
	OK       bool               `json:"ok"`
	Error    string             `json:"error,omitempty"`
	ExitCode int                `json:"exitCode"`
	Dir      string             `json:"dir,omitempty"`
	DryRun   bool               `json:"dryRun,omitempty"`
	Answers  *generator.Answers `json:"answers,omitempty"`
	Steps    []stepResult       `json:"steps,omitempty"`
}

type stepResult struct {
	Step   string `json:"step"`
	Status string `json:"status"`          // ok, failed or skipped
	Error  string `json:"error,omitempty"` // with the end of a failed command's output
}

// finish ends the command: with --json it prints full (the command's
// result, which embeds r.res) with the outcome of err, and returns an
// error that only sets the exit status. ok says whether err still counts
// as success in the JSON (a dry run that found changes).
func (r *report) finish(err error, ok bool, full any) error {
	if !r.json {
		return err
	}
	r.res.OK = err == nil || ok
	r.res.ExitCode = exitCode(err)
	if err != nil && !ok {
		r.res.Error = message(err)
	}
	if encErr := writeJSON(r.out, full); encErr != nil {
		return encErr
	}
	if err != nil {
		return reportedError{err}
	}
	return nil
}

// skip records a step that did not run.
func (r *report) skip(name string) {
	r.res.Steps = append(r.res.Steps, stepResult{Step: name, Status: "skipped"})
}

// step runs a long step, saying when it starts, every ten seconds while
// it runs, and when it ends, and records its outcome.
func (r *report) step(ctx context.Context, name string, f func(context.Context) error) error {
	start := time.Now()
	fmt.Fprintf(r.progress, "Running %s ...\n", name)
	done := make(chan error, 1)
	go func() { done <- f(ctx) }()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				r.res.Steps = append(r.res.Steps, stepResult{Step: name, Status: "failed", Error: err.Error()})
				return err
			}
			r.res.Steps = append(r.res.Steps, stepResult{Step: name, Status: "ok"})
			fmt.Fprintf(r.progress, "Ran %s in %.1fs\n", name, time.Since(start).Seconds())
			return nil
		case <-tick.C:
			fmt.Fprintf(r.progress, "  still running %s (%.0fs)\n", name, time.Since(start).Seconds())
		}
	}
}
