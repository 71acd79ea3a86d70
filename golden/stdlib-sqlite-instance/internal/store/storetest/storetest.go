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
// edits change the store's Config.
func Open(t testing.TB, edits ...func(*store.Config)) store.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	cfg := store.Config{DatabaseURL: path}
	for _, edit := range edits {
		edit(&cfg)
	}
	st, err := store.Open(context.Background(), cfg)
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
