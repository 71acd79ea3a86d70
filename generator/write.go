package generator

// This file holds every file-system call of the engine.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const (
	fileMode = 0o644
	dirMode  = 0o755
)

// TargetError says why a directory cannot receive a new project. The CLI
// reports it as a usage error: the user chose the directory.
type TargetError struct {
	Dir    string
	Reason string
}

func (e *TargetError) Error() string { return fmt.Sprintf("%s: %s", e.Dir, e.Reason) }

// CheckTarget reports whether dir may receive a new project: it must not
// exist, or be an empty directory, or force must be set. A directory that
// already holds a generated project is refused even with force: writing a
// project with other options over it would leave the old option's files
// behind, in a tree that no longer builds.
func CheckTarget(dir string, force bool) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check target: %w", err)
	}
	if !info.IsDir() {
		return &TargetError{Dir: dir, Reason: "exists and is not a directory; choose another path"}
	}
	if _, err := os.Lstat(filepath.Join(dir, ManifestFile)); err == nil {
		return &TargetError{Dir: dir, Reason: fmt.Sprintf("already holds a wixgen project (%s); "+
			"generate into a new directory (even --force does not write a project over another)", ManifestFile)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("check target: %w", err)
	}
	if len(entries) == 0 || force {
		return nil
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(3, len(entries))] {
		names = append(names, e.Name())
	}
	held := strings.Join(names, ", ")
	if len(entries) > 3 {
		held += fmt.Sprintf(" and %d more", len(entries)-3)
	}
	return &TargetError{Dir: dir, Reason: fmt.Sprintf(
		"directory is not empty (it holds %s); choose a new directory, or pass --force to write into it", held)}
}

// Write writes p into dir so that, on any failure or cancellation of ctx,
// the file system is as it was: a new directory is built beside dir and
// renamed into place; an existing directory receives every file through a
// staging area, and files it replaced are restored if writing fails. The
// manifest is written last, so a directory without one never looks like a
// finished project.
func Write(ctx context.Context, dir string, p *Project) error {
	for _, f := range p.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("write %s: path is outside the project", f.Path)
		}
	}
	_, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeNew(ctx, dir, p)
	case err != nil:
		return fmt.Errorf("write project: %w", err)
	default:
		return writeInto(ctx, dir, p)
	}
}

// writeNew builds the project in a hidden sibling of dir and renames it.
func writeNew(ctx context.Context, dir string, p *Project) (err error) {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return fmt.Errorf("create parent directory: %w", err)
	}
	staging, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".wixgen-*")
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(staging)
		}
	}()
	if err := os.Chmod(staging, dirMode); err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	if err := writeFiles(ctx, staging, p); err != nil {
		return err
	}
	if err := os.Rename(staging, dir); err != nil {
		return fmt.Errorf("move project into place: %w", err)
	}
	return nil
}

// writeInto writes the project into an existing directory through a
// staging area inside it, keeping replaced files until the end.
func writeInto(ctx context.Context, dir string, p *Project) (err error) {
	staging, err := os.MkdirTemp(dir, ".wixgen-staging-*")
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer os.RemoveAll(staging)
	fresh, backup := filepath.Join(staging, "new"), filepath.Join(staging, "old")
	if err := writeFiles(ctx, fresh, p); err != nil {
		return err
	}

	var undo []func() // run in reverse order when committing fails
	defer func() {
		if err != nil {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
		}
	}()
	for _, f := range p.Files { // sorted, so the manifest is not last yet
		if f.Path != ManifestFile {
			if err := commitFile(ctx, dir, fresh, backup, f.Path, &undo); err != nil {
				return err
			}
		}
	}
	return commitFile(ctx, dir, fresh, backup, ManifestFile, &undo)
}

// commitFile moves one staged file into dir, first moving aside any file
// it replaces, and records how to undo both moves.
func commitFile(ctx context.Context, dir, fresh, backup, rel string, undo *[]func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dest := filepath.Join(dir, filepath.FromSlash(rel))
	if err := checkNoLinks(dir, rel); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := mkdirAllUndo(filepath.Dir(dest), undo); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if info, err := os.Lstat(dest); err == nil {
		if !info.Mode().IsRegular() {
			return fmt.Errorf("write %s: a directory or special file is in the way", rel)
		}
		saved := filepath.Join(backup, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(saved), dirMode); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		if err := os.Rename(dest, saved); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		*undo = append(*undo, func() { os.Rename(saved, dest) })
	}
	if err := os.Rename(filepath.Join(fresh, filepath.FromSlash(rel)), dest); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	*undo = append(*undo, func() { os.Remove(dest) })
	return nil
}

// checkNoLinks refuses a symbolic link among the directories between dir
// and the file rel: writing through it could write outside the project.
func checkNoLinks(dir, rel string) error {
	p := dir
	for _, part := range strings.Split(path.Dir(rel), "/") {
		if part == "." {
			continue
		}
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // created by this write, so not a link
		}
		if err != nil {
			return err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s is a symbolic link, and wixgen does not write through links, which may lead outside the project", p)
		}
	}
	return nil
}

// mkdirAllUndo creates dir and its missing parents, recording their
// removal.
func mkdirAllUndo(dir string, undo *[]func()) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := mkdirAllUndo(filepath.Dir(dir), undo); err != nil {
		return err
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	*undo = append(*undo, func() { os.Remove(dir) })
	return nil
}

// writeFiles writes every file of p under root, checking ctx between files.
func writeFiles(ctx context.Context, root string, p *Project) error {
	made := make(map[string]bool)
	for _, f := range p.Files {
		if err := ctx.Err(); err != nil {
			return err
		}
		dest := filepath.Join(root, filepath.FromSlash(f.Path))
		if dir := filepath.Dir(dest); !made[dir] {
			if err := os.MkdirAll(dir, dirMode); err != nil {
				return fmt.Errorf("write %s: %w", f.Path, err)
			}
			made[dir] = true
		}
		if err := os.WriteFile(dest, f.Data, fileMode); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}

// ReadTree reads every regular file under dir into a map keyed by
// slash-separated relative path. Tests and diffs use it to compare trees.
func ReadTree(dir string) (map[string][]byte, error) {
	tree := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return tree, nil
}
