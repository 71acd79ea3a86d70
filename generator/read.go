package generator

// This file holds the planner's reads of a project, through an os.Root
// opened on it, so no path in a manifest and no link can make it read
// outside the project.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
)

// readFiles reads the files rels of the project in root that exist,
// keyed by path; a missing file is absent from the map. It does not read
// a symbolic link (the file, or one of its directories, even one that
// stays inside the project: wixgen leaves the user's links alone), nor
// anything that is not a regular file: those paths are in others, with
// what stands there.
func readFiles(root *os.Root, rels []string) (files map[string][]byte, others map[string]string, err error) {
	files = make(map[string][]byte, len(rels))
	others = make(map[string]string)
	for _, rel := range rels {
		link, err := linkAmong(root, rel)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", rel, err)
		}
		if link != "" {
			others[rel] = "it is in " + link + ", a symbolic link"
			continue
		}
		info, err := root.Lstat(native(rel))
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
		data, err := root.ReadFile(native(rel))
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", rel, err)
		}
		files[rel] = data
	}
	return files, others, nil
}

// linkAmong returns the first directory of rel that is a symbolic link,
// or "".
func linkAmong(root *os.Root, rel string) (string, error) {
	p := ""
	for _, part := range strings.Split(path.Dir(rel), "/") {
		if part == "." {
			continue
		}
		p = path.Join(p, part)
		info, err := root.Lstat(native(p))
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			return p, nil
		}
	}
	return "", nil
}

// listBaseCopies returns the paths (below BaseDir, slash-separated) of
// every regular file under BaseDir, sorted.
func listBaseCopies(root *os.Root) ([]string, error) {
	var out []string
	err := fs.WalkDir(root.FS(), BaseDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == BaseDir {
			return fs.SkipAll
		}
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, strings.TrimPrefix(p, BaseDir+"/"))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", BaseDir, err)
	}
	return out, nil
}

// freeName returns rel+suffix, or rel+suffix+".N" with the smallest N ≥ 1,
// whichever names nothing in the project yet and is not in taken.
func freeName(root *os.Root, rel, suffix string, taken map[string]bool) string {
	name := rel + suffix
	for n := 1; ; n++ {
		if _, err := root.Lstat(native(name)); errors.Is(err, fs.ErrNotExist) && !taken[name] {
			return name
		}
		name = fmt.Sprintf("%s%s.%d", rel, suffix, n)
	}
}
