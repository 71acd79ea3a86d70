package generator

// This file holds the write transaction, the engine's only writes. Every
// write goes through an os.Root opened on the project (or on the staging
// directory of a new one), so no path and no symbolic link can lead a
// write outside it.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

const (
	fileMode = 0o644
	dirMode  = 0o755
)

// Write writes p into dir, with the pristine copies of its scaffolded
// files under BaseDir (see [Project.BaseFiles]), so that, on any failure
// or cancellation of ctx, the file system is as it was: a new directory is
// built beside dir and renamed into place; an existing directory receives
// every file through a staging area, and files it replaced are restored if
// writing fails. The manifest is written last, so a directory without one
// never looks like a finished project. Whether dir may receive a project
// at all is the caller's decision.
func Write(ctx context.Context, dir string, p *Project) error {
	files := append(slices.Clip(p.Files), p.BaseFiles()...)
	_, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeNew(ctx, dir, files)
	case err != nil:
		return fmt.Errorf("write project: %w", err)
	}
	return apply(ctx, dir, files, nil)
}

// writeNew builds the project in a hidden sibling of dir and renames it.
func writeNew(ctx context.Context, dir string, files []File) (err error) {
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
	root, err := os.OpenRoot(staging)
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	err = writeFiles(ctx, root, ".", files)
	root.Close()
	if err != nil {
		return err
	}
	if err := os.Rename(staging, dir); err != nil {
		return fmt.Errorf("move project into place: %w", err)
	}
	return nil
}

// apply writes files into the existing directory dir and deletes the
// files removes names, as one change: files are staged inside dir first,
// replaced and deleted files are moved aside, and on any failure or
// cancellation every move is undone, so dir is as it was. Directories
// left empty by deletions are removed. The manifest, when among files,
// is moved into place last.
func apply(ctx context.Context, dir string, files []File, removes []string) (err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open project: %w", err)
	}
	defer root.Close()
	staging, err := os.MkdirTemp(dir, ".wixgen-staging-*")
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	name := filepath.Base(staging)
	defer root.RemoveAll(name)
	fresh, backup := name+"/new", name+"/old"
	if err := writeFiles(ctx, root, fresh, files); err != nil {
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
	hasManifest := false
	for _, f := range files {
		if f.Path == ManifestFile {
			hasManifest = true
			continue
		}
		if err := commitFile(ctx, root, fresh, backup, f.Path, &undo); err != nil {
			return err
		}
	}
	for _, rel := range removes {
		if err := removeFile(ctx, root, backup, rel, &undo); err != nil {
			return err
		}
	}
	if err := pruneDirs(root, removes, &undo); err != nil {
		return err
	}
	if hasManifest {
		return commitFile(ctx, root, fresh, backup, ManifestFile, &undo)
	}
	return nil
}

// native turns slash-separated path elements into one path for root's
// methods.
func native(elem ...string) string { return filepath.FromSlash(path.Join(elem...)) }

// removeFile moves the file rel out of the project into backup, recording
// how to put it back. A file that is already gone is fine.
func removeFile(ctx context.Context, root *os.Root, backup, rel string, undo *[]func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dest, saved := native(rel), native(backup, rel)
	info, err := root.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("delete %s: it is a link, directory or special file, not the file wixgen wrote", rel)
	}
	if err := root.MkdirAll(filepath.Dir(saved), dirMode); err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	if err := root.Rename(dest, saved); err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	*undo = append(*undo, func() { root.Rename(saved, dest) })
	return nil
}

// pruneDirs removes the directories that deleting removes left empty,
// deepest first, recording how to make them again.
func pruneDirs(root *os.Root, removes []string, undo *[]func()) error {
	seen := make(map[string]bool)
	var dirs []string
	for _, rel := range removes {
		for d := path.Dir(rel); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	// Deeper directories first: a parent may become empty only after its
	// children went.
	slices.SortFunc(dirs, func(a, b string) int { return strings.Count(b, "/") - strings.Count(a, "/") })
	for _, d := range dirs {
		if !emptyDir(root, native(d)) {
			continue // gone already, or still in use
		}
		if err := root.Remove(native(d)); err != nil {
			return fmt.Errorf("remove empty directory %s: %w", d, err)
		}
		*undo = append(*undo, func() { root.Mkdir(native(d), dirMode) })
	}
	return nil
}

// emptyDir reports whether name is a directory with nothing in it.
func emptyDir(root *os.Root, name string) bool {
	if info, err := root.Lstat(name); err != nil || !info.IsDir() {
		return false
	}
	f, err := root.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	entries, err := f.ReadDir(1)
	return err != nil && len(entries) == 0
}

// commitFile moves one staged file into the project, first moving aside
// any file it replaces, and records how to undo both moves.
func commitFile(ctx context.Context, root *os.Root, fresh, backup, rel string, undo *[]func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dest, staged, saved := native(rel), native(fresh, rel), native(backup, rel)
	if err := mkdirAllUndo(root, path.Dir(rel), undo); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if info, err := root.Lstat(dest); err == nil {
		if !info.Mode().IsRegular() {
			return fmt.Errorf("write %s: a link, directory or special file is in the way", rel)
		}
		// The new content keeps the file's permissions: a script the user
		// made executable stays executable.
		if perm := info.Mode().Perm(); perm != fileMode {
			if err := root.Chmod(staged, perm); err != nil {
				return fmt.Errorf("write %s: %w", rel, err)
			}
		}
		if err := root.MkdirAll(filepath.Dir(saved), dirMode); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		if err := root.Rename(dest, saved); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		*undo = append(*undo, func() { root.Rename(saved, dest) })
	}
	if err := root.Rename(staged, dest); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	*undo = append(*undo, func() { root.Remove(dest) })
	return nil
}

// mkdirAllUndo creates the directory dir (slash-separated, relative to
// root) and its missing parents, recording their removal.
func mkdirAllUndo(root *os.Root, dir string, undo *[]func()) error {
	if dir == "." {
		return nil
	}
	if info, err := root.Stat(native(dir)); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if err := mkdirAllUndo(root, path.Dir(dir), undo); err != nil {
		return err
	}
	if err := root.Mkdir(native(dir), dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	*undo = append(*undo, func() { root.Remove(native(dir)) })
	return nil
}

// writeFiles writes files below the directory prefix of root, checking
// ctx between files.
func writeFiles(ctx context.Context, root *os.Root, prefix string, files []File) error {
	made := make(map[string]bool)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		dest := native(prefix, f.Path)
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("write %s: the path leads outside the project", f.Path)
		}
		if dir := filepath.Dir(dest); !made[dir] {
			if err := root.MkdirAll(dir, dirMode); err != nil {
				return fmt.Errorf("write %s: %w", f.Path, err)
			}
			made[dir] = true
		}
		if err := root.WriteFile(dest, f.Data, fileMode); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}
