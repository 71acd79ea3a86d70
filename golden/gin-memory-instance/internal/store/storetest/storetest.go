// Package storetest opens stores for tests.
package storetest

import (
	"context"
	"testing"

	"example.com/shop/internal/store"
)

// Open returns a fresh, empty in-memory store and closes it when the test
// ends. Stores from separate calls share nothing.
// edits change the store's Config.
func Open(t testing.TB, edits ...func(*store.Config)) store.Store {
	t.Helper()
	cfg := store.Config{}
	for _, edit := range edits {
		edit(&cfg)
	}
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("storetest: open memory store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("storetest: close memory store: %v", err)
		}
	})
	return st
}
