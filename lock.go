package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// lockFile is the file an upgrade holds locked in the project while it
// runs; it is removed when the upgrade ends.
const lockFile = ".wixgen-upgrade.lock"

// lockProject takes the project's upgrade lock, or returns a lockedError
// when another process holds it. The lock is the operating system's
// (flock, LockFileEx), so a killed upgrade never leaves the project
// locked. unlock releases it and removes the file.
func lockProject(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFile)
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := tryLock(f); err != nil {
			holder, _ := os.ReadFile(path)
			f.Close()
			if errors.Is(err, errLocked) {
				return nil, lockedError{dir: displayDir(dir), holder: strings.TrimSpace(string(holder))}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder before us may have removed the file between our open
		// and our lock: then the lock is on a file nobody else will open.
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		f.Truncate(0)
		fmt.Fprintf(f, "process %d\n", os.Getpid())
		return func() {
			os.Remove(path)
			f.Close() // closing releases the lock
		}, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps being replaced", path)
}
