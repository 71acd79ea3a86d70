// Package storetest opens stores for tests.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"example.com/shop/internal/store"
)

// Open opens a fresh SQLite store in a file under t.TempDir(), with all
// migrations applied, and closes it when the test ends. Stores from separate
// calls share nothing.
func Open(t testing.TB) store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: path})
	if err != nil {
		t.Fatalf("storetest: open SQLite store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("storetest: close SQLite store: %v", err)
		}
	})
	return st
}
