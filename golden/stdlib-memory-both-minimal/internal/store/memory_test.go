package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// These tests cover what only the memory store has. The behaviour every
// Store shares is in store_test.go.

func TestOpen(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	st, err := Open(t.Context(), "ignored", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.(*Memory); !ok {
		t.Errorf("Open returned %T, want *Memory", st)
	}
	if !strings.Contains(logs.String(), "in-memory store") {
		t.Errorf("Open did not log that data is not persisted; logs: %q", logs.String())
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Open(ctx, "", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestMemoryStoresAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := NewMemory(), NewMemory()
	if _, err := a.PutSettings(t.Context(), "inst", json.RawMessage(`{}`), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settings(t.Context(), "inst"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second store sees the first one's data: err = %v", err)
	}
}

func TestMemoryClosed(t *testing.T) {
	t.Parallel()
	m := NewMemory()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := m.PutSettings(ctx, "inst", json.RawMessage(`{}`), 0); err == nil {
		t.Error("PutSettings after Close succeeded")
	}
	if _, err := m.Settings(ctx, "inst"); err == nil {
		t.Error("Settings after Close succeeded")
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
