// Package treetest reads directory trees for tests that compare them.
package treetest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Read reads every regular file under dir into a map keyed by
// slash-separated relative path. Links and special files are skipped.
func Read(dir string) (map[string][]byte, error) {
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
