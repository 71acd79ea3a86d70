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
	"slices"
	"strings"
	"syscall"
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

// Write writes p into dir, with the pristine copies of its scaffolded
// files under BaseDir (see [Project.BaseFiles]), so that, on any failure
// or cancellation of ctx, the file system is as it was: a new directory is
// built beside dir and renamed into place; an existing directory receives
// every file through a staging area, and files it replaced are restored if
// writing fails. The manifest is written last, so a directory without one
// never looks like a finished project.
func Write(ctx context.Context, dir string, p *Project) error {
	files := append(slices.Clip(p.Files), p.BaseFiles()...)
	if err := checkLocal(files, nil); err != nil {
		return err
	}
	_, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeNew(ctx, dir, files)
	case err != nil:
		return fmt.Errorf("write project: %w", err)
	default:
		return apply(ctx, dir, files, nil)
	}
}

// checkLocal refuses a path that leads outside the project.
func checkLocal(files []File, removes []string) error {
	for _, f := range files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return fmt.Errorf("write %s: path is outside the project", f.Path)
		}
	}
	for _, rel := range removes {
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			return fmt.Errorf("delete %s: path is outside the project", rel)
		}
	}
	return nil
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
	if err := writeFiles(ctx, staging, files); err != nil {
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
	staging, err := os.MkdirTemp(dir, ".wixgen-staging-*")
	if err != nil {
		return fmt.Errorf("create staging directory: %w", err)
	}
	defer os.RemoveAll(staging)
	fresh, backup := filepath.Join(staging, "new"), filepath.Join(staging, "old")
	if err := writeFiles(ctx, fresh, files); err != nil {
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
		if err := commitFile(ctx, dir, fresh, backup, f.Path, &undo); err != nil {
			return err
		}
	}
	for _, rel := range removes {
		if err := removeFile(ctx, dir, backup, rel, &undo); err != nil {
			return err
		}
	}
	if err := pruneDirs(dir, removes, &undo); err != nil {
		return err
	}
	if hasManifest {
		return commitFile(ctx, dir, fresh, backup, ManifestFile, &undo)
	}
	return nil
}

// removeFile moves the file rel out of dir into backup, recording how to
// put it back. A file that is already gone is fine.
func removeFile(ctx context.Context, dir, backup, rel string, undo *[]func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkNoLinks(dir, rel); err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	dest := filepath.Join(dir, filepath.FromSlash(rel))
	info, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("delete %s: it is a directory or special file, not the file wixgen wrote", rel)
	}
	saved := filepath.Join(backup, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(saved), dirMode); err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	if err := os.Rename(dest, saved); err != nil {
		return fmt.Errorf("delete %s: %w", rel, err)
	}
	*undo = append(*undo, func() { os.Rename(saved, dest) })
	return nil
}

// pruneDirs removes the directories that deleting removes left empty,
// deepest first, recording how to make them again.
func pruneDirs(dir string, removes []string, undo *[]func()) error {
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
		full := filepath.Join(dir, filepath.FromSlash(d))
		entries, err := os.ReadDir(full)
		if err != nil || len(entries) > 0 {
			continue // gone already, or still in use
		}
		if err := os.Remove(full); err != nil {
			return fmt.Errorf("remove empty directory %s: %w", d, err)
		}
		*undo = append(*undo, func() { os.Mkdir(full, dirMode) })
	}
	return nil
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
		// The new content keeps the file's permissions: a script the user
		// made executable stays executable.
		if perm := info.Mode().Perm(); perm != fileMode {
			if err := os.Chmod(filepath.Join(fresh, filepath.FromSlash(rel)), perm); err != nil {
				return fmt.Errorf("write %s: %w", rel, err)
			}
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

// linkError is a symbolic link among the directories of a path.
type linkError struct{ path, rel string }

func (e *linkError) Error() string {
	return fmt.Sprintf("%s is a symbolic link, and wixgen does not write through links, which may lead outside the project", e.path)
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
			rel, _ := filepath.Rel(dir, p)
			return &linkError{path: p, rel: filepath.ToSlash(rel)}
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

// writeFiles writes files under root, checking ctx between files.
func writeFiles(ctx context.Context, root string, files []File) error {
	made := make(map[string]bool)
	for _, f := range files {
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

// ReadManifest reads and parses the manifest of the project in dir. A
// directory without one is a *TargetError: upgrade and diff work only on
// projects wixgen made.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, &TargetError{Dir: dir, Reason: "no such directory; give the directory of a project made by wixgen new"}
		}
		if root := projectAbove(dir); root != "" {
			return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("holds no %s: it is inside the project %s; give that directory, or run wixgen from there", ManifestFile, root)}
		}
		return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("holds no %s, so it is not a project made by wixgen new (or the manifest was deleted; restore it from version control)", ManifestFile)}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	m, err := ParseManifest(data)
	var newer *NewerManifestError
	if errors.As(err, &newer) {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (restore it from version control: upgrade relies on what it records)", dir, err)
	}
	return m, nil
}

// projectAbove returns the nearest directory above dir that holds a
// manifest, or "".
func projectAbove(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := filepath.Dir(abs); d != abs; abs, d = d, filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ManifestFile)); err == nil {
			return d
		}
	}
	return ""
}

// readFiles reads the files rels of the project in dir that exist, keyed
// by path; a missing file is absent from the map. It does not read
// through a symbolic link (to the file or among its directories), nor
// anything that is not a regular file: those paths are in others, with
// what stands there.
func readFiles(dir string, rels []string) (files map[string][]byte, others map[string]string, err error) {
	files = make(map[string][]byte, len(rels))
	others = make(map[string]string)
	for _, rel := range rels {
		if err := checkNoLinks(dir, rel); err != nil {
			var le *linkError
			if !errors.As(err, &le) {
				return nil, nil, fmt.Errorf("read %s: %w", rel, err)
			}
			others[rel] = "it is in " + le.rel + ", a symbolic link"
			continue
		}
		full := filepath.Join(dir, filepath.FromSlash(rel))
		info, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", rel, err)
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			others[rel] = "it is a symbolic link"
			continue
		case info.IsDir():
			others[rel] = "it is a directory"
			continue
		case !info.Mode().IsRegular():
			others[rel] = "it is a special file"
			continue
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", rel, err)
		}
		files[rel] = data
	}
	return files, others, nil
}

// freeName returns rel+suffix, or rel+suffix+".N" with the smallest N ≥ 1,
// whichever names nothing in dir yet and is not in taken.
func freeName(dir, rel, suffix string, taken map[string]bool) string {
	name := rel + suffix
	for n := 1; ; n++ {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); errors.Is(err, fs.ErrNotExist) && !taken[name] {
			return name
		}
		name = fmt.Sprintf("%s%s.%d", rel, suffix, n)
	}
}
