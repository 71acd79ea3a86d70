//go:build !unix && !windows

package main

import "os"

// tryLock does nothing where the system has no advisory file locks.
func tryLock(*os.File) error { return nil }
