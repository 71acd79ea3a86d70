package main

// upgrade --verify: build, vet and test the upgraded project in a
// scratch copy before writing anything.

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/wixgen/wixgen/generator"
)

// verifySteps are the commands --verify runs in the upgraded copy, in
// order, as the project's CI would.
var verifySteps = [][]string{
	{"go", "mod", "tidy"},
	{"go", "build", "./..."},
	{"go", "vet", "./..."},
	{"go", "test", "./..."},
}

// verifyError is a --verify step that failed: nothing was written.
type verifyError struct {
	Step   string
	Output string
	Err    error
}

func (e *verifyError) Error() string {
	msg := fmt.Sprintf("verify: %s failed in a scratch copy of the upgraded project (%v); nothing was written", e.Step, e.Err)
	if e.Output != "" {
		msg += "\n" + e.Output
	}
	return msg + "\nfix the cause (a --set that leaves your code behind, a dependency), or upgrade without --verify and fix it in the tree"
}

func (e *verifyError) Unwrap() error { return e.Err }

// verifyUpgrade copies the project in plan.Dir to a scratch directory,
// applies plan there, and runs verifySteps in it, reporting each.
func verifyUpgrade(ctx context.Context, r *report, plan *generator.UpgradePlan) error {
	scratch, err := os.MkdirTemp("", "wixgen-verify-")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(scratch)
	copyDir := filepath.Join(scratch, filepath.Base(absPath(plan.Dir)))
	if err := copyProject(plan.Dir, copyDir); err != nil {
		return fmt.Errorf("verify: copy the project: %w", err)
	}
	inCopy := *plan
	inCopy.Dir = copyDir
	if err := generator.ApplyUpgrade(ctx, &inCopy); err != nil {
		return fmt.Errorf("verify: apply the upgrade to the copy: %w", err)
	}
	if err := anchorReplaces(copyDir, absPath(plan.Dir)); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	fmt.Fprintf(r.progress, "Verifying the upgrade in a scratch copy (%s):\n", copyDir)
	for _, args := range verifySteps {
		name := "verify: " + strings.Join(args, " ")
		err := r.step(ctx, name, func(ctx context.Context) error {
			out, err := command(ctx, copyDir, nil, args...)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return &verifyError{Step: strings.Join(args, " "), Output: lastLines(out, 40), Err: err}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func absPath(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// anchorReplaces rewrites the copy's replace directives that name a
// directory relative to the project (replace x => ../x) to name it from
// the project's real place, so the copy builds as the project does.
func anchorReplaces(copyDir, projectDir string) error {
	path := filepath.Join(copyDir, generator.GoModFile)
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return nil // go build says what is wrong with it
	}
	changed := false
	for _, r := range f.Replace {
		if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) && !filepath.IsAbs(r.New.Path) {
			abs := filepath.Join(projectDir, filepath.FromSlash(r.New.Path))
			if err := f.AddReplace(r.Old.Path, r.Old.Version, abs, ""); err != nil {
				return err
			}
			changed = true
		}
	}
	if !changed {
		return nil
	}
	out, err := f.Format()
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}

// copyProject copies the project in src to dst: files with their modes,
// links as links; not .git, node_modules, the upgrade lock or an
// upgrade's staging directory.
func copyProject(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name, to := d.Name(), filepath.Join(dst, rel)
		switch {
		case rel != "." && d.IsDir() && (name == ".git" || name == "node_modules" || strings.HasPrefix(name, ".wixgen-staging-")):
			return filepath.SkipDir
		case name == lockFile:
			return nil
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}
