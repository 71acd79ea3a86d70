// Package storetest opens stores for tests.
package storetest

import (
	"context"
	"testing"

	"example.com/shop/internal/store"
)

// Open returns a fresh, empty in-memory store and closes it when the test
// ends. Stores from separate calls share nothing.
func Open(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{})
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
