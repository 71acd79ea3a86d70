package main

// The guards of an upgrade: it writes only what git could give back,
// and never two at once in one project.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
)

// dirtyFiles returns those of paths (relative to dir, slash-separated)
// that have uncommitted changes: staged or not, or untracked. It returns
// nothing when dir is not inside a git work tree, or git is not
// installed: there is then nothing to compare with.
func dirtyFiles(ctx context.Context, dir string, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, nil
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--is-inside-work-tree", "--show-prefix").Output()
	if err != nil {
		return nil, nil // not a git repository (or not a work tree of one)
	}
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) == 0 || lines[0] != "true" {
		return nil, nil
	}
	prefix := ""
	if len(lines) > 1 {
		prefix = lines[1] // the project's path in the repository, ending in /
	}
	args := []string{"-C", dir, "--literal-pathspecs", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--"}
	cmd := exec.CommandContext(ctx, "git", append(args, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git status in %s: %v\n%s", dir, err, stderr.String())
	}
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	var dirty []string
	// Each entry is "XY path", NUL-terminated; a rename or copy is
	// followed by its source path. Paths are the repository's.
	entries := strings.Split(string(out), "\x00")
	for i := 0; i < len(entries); i++ {
		e := entries[i]
		if len(e) < 4 {
			continue
		}
		if e[0] == 'R' || e[0] == 'C' {
			i++ // the source of the rename or copy
		}
		if p, ok := strings.CutPrefix(e[3:], prefix); ok && want[p] {
			dirty = append(dirty, p)
		}
	}
	slices.Sort(dirty)
	return slices.Compact(dirty), nil
}

// dirtyError refuses an upgrade that would write files with uncommitted
// changes: the upgrade's own changes could not be told from them, nor
// undone with git.
type dirtyError struct{ paths []string }

func (e dirtyError) Error() string {
	return fmt.Sprintf("nothing was written: the upgrade would write %s, which %s uncommitted changes; "+
		"commit or stash them first, so that git can show and undo what the upgrade changes, or pass --allow-dirty",
		strings.Join(e.paths, ", "), map[bool]string{true: "has", false: "have"}[len(e.paths) == 1])
}

// lockedError is an upgrade refused because another one runs in the
// same project.
type lockedError struct{ dir, holder string }

func (e lockedError) Error() string {
	msg := "another wixgen upgrade is running in " + e.dir
	if e.holder != "" {
		msg += " (" + e.holder + ")"
	}
	return msg + "; nothing was written: wait for it to finish, then run upgrade again"
}

var errLocked = errors.New("locked")
