package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Memory is a Store kept in process memory: everything is lost when the
// process exits, so it suits trying the app out and tests, not production.
// Documents are copied on the way in and out, so no caller can change
// stored data through a slice.
type Memory struct {
	mu        sync.RWMutex
	closed    bool
	settings  map[string]Settings
	installs  map[string]install   // removed instances included
	events    map[string]time.Time // claimed event keys, until when
	retention time.Duration        // Config.RemovedRetention
}

var _ Store = (*Memory)(nil)

// Open returns a new, empty in-memory store.
func Open(ctx context.Context, cfg Config) (*Memory, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx, "open", err)
	}
	log := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	log.InfoContext(ctx, "store: using the in-memory store; data is lost when the process exits")
	return &Memory{
		settings:  make(map[string]Settings),
		installs:  make(map[string]install),
		events:    make(map[string]time.Time),
		retention: cfg.RemovedRetention,
	}, nil
}

// usable reports why operation op cannot run: ctx is done or the store is
// closed. Callers hold m.mu.
func (m *Memory) usable(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return ctxError(ctx, op, err)
	}
	if m.closed {
		return fmt.Errorf("store: %s: store is closed", op)
	}
	return nil
}

// Settings implements Store.
func (m *Memory) Settings(ctx context.Context, instanceID string) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get settings"); err != nil {
		return Settings{}, err
	}
	st, ok := m.settings[instanceID]
	if !ok {
		return Settings{}, ErrNotFound
	}
	st.Doc = bytes.Clone(st.Doc)
	return st, nil
}

// PutSettings implements Store.
func (m *Memory) PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64, issuedAt time.Time) (Settings, error) {
	if err := checkPut(instanceID, doc, ifVersion, issuedAt); err != nil {
		return Settings{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "put settings"); err != nil {
		return Settings{}, err
	}
	if removedSince(m.installs[instanceID].removedAt, issuedAt) {
		return Settings{}, ErrRemoved
	}
	cur, ok := m.settings[instanceID]
	if ifVersion != 0 && (!ok || cur.Version != ifVersion) {
		return Settings{}, ErrConflict
	}
	st := Settings{Doc: bytes.Clone(doc), Version: cur.Version + 1, UpdatedAt: storedTime(time.Now())}
	m.settings[instanceID] = st
	st.Doc = bytes.Clone(doc)
	return st, nil
}

// Ping implements Store: a memory store can always write until it is closed.
func (m *Memory) Ping(ctx context.Context) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.usable(ctx, "ping")
}

// Close implements Store. Afterwards every method returns an error; the data
// is released.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.settings = nil
	m.installs = nil
	m.events = nil
	return nil
}
