// Package storetest opens stores for tests.
package storetest

import (
	"testing"

	"example.com/shop/internal/store"
)

// Open returns a fresh, empty in-memory store and closes it when the test
// ends. Stores from separate calls share nothing.
func Open(t testing.TB) store.Store {
	t.Helper()
	st := store.NewMemory()
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("storetest: close memory store: %v", err)
		}
	})
	return st
}
