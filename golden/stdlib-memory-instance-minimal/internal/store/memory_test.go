package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// These tests cover what only the memory store has. The behaviour every
// Store shares is in store_test.go.

func mustOpenMemory(t *testing.T) *Memory {
	t.Helper()
	m, err := Open(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpen(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	m, err := Open(t.Context(), Config{DatabaseURL: "ignored", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !strings.Contains(logs.String(), "in-memory store") {
		t.Errorf("Open did not log that data is not persisted; logs: %q", logs.String())
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Open(ctx, Config{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open with a cancelled context: err = %v, want context.Canceled", err)
	}
}

func TestMemoryStoresAreSeparate(t *testing.T) {
	t.Parallel()
	a, b := mustOpenMemory(t), mustOpenMemory(t)
	if _, err := a.PutSettings(t.Context(), "inst", json.RawMessage(`{}`), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Settings(t.Context(), "inst"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second store sees the first one's data: err = %v", err)
	}
}

func TestMemoryClosed(t *testing.T) {
	t.Parallel()
	m := mustOpenMemory(t)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := m.PutSettings(ctx, "inst", json.RawMessage(`{}`), 0, time.Time{}); err == nil {
		t.Error("PutSettings after Close succeeded")
	}
	if _, err := m.Settings(ctx, "inst"); err == nil {
		t.Error("Settings after Close succeeded")
	}
	if err := m.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
