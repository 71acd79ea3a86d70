package store

import (
	"cmp"
	"context"
	"encoding/json"
	"time"
)

// install is what Memory keeps for one instance: its record and the time of
// the latest removal applied (zero when never removed).
type install struct {
	rec       InstanceRecord
	removedAt time.Time
	plan      Plan // its Cycle, AutoRenew and expiry; rec has the rest
	site      json.RawMessage
	siteAt    time.Time
}

// removed reports whether the instance is removed: nothing was recorded
// after its latest removal.
func (e install) removed() bool {
	return !e.rec.InstalledAt.After(e.removedAt) && !e.rec.PlanUpdatedAt.After(e.removedAt)
}

// removedSince reports whether a removal at removedAt refuses a write made
// with a credential issued at issuedAt; zero times mean "never removed" and
// "do not check".
func removedSince(removedAt, issuedAt time.Time) bool {
	return !removedAt.IsZero() && !issuedAt.IsZero() && !removedAt.Before(storedTime(issuedAt))
}

// SaveInstance implements Installs.
func (m *Memory) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := cmp.Or(checkID(rec.ID), checkEventTime("InstalledAt", rec.InstalledAt),
		checkTime("PlanUpdatedAt", rec.PlanUpdatedAt), checkText("plan", rec.Plan)); err != nil {
		return err
	}
	rec.InstalledAt, rec.PlanUpdatedAt = storedTime(rec.InstalledAt), storedTime(rec.PlanUpdatedAt)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "save instance"); err != nil {
		return err
	}
	e, ok := m.installs[rec.ID]
	if ok {
		if !rec.InstalledAt.After(e.removedAt) {
			return nil // installed at or before a removal already applied
		}
		if e.rec.InstalledAt.After(rec.InstalledAt) {
			rec.InstalledAt = e.rec.InstalledAt
		}
		if !rec.PlanUpdatedAt.After(e.rec.PlanUpdatedAt) || !rec.PlanUpdatedAt.After(e.removedAt) {
			rec.Plan, rec.PlanUpdatedAt = e.rec.Plan, e.rec.PlanUpdatedAt
		}
	}
	e.rec = rec
	m.installs[rec.ID] = e
	return nil
}

// Instance implements Installs.
func (m *Memory) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get instance"); err != nil {
		return InstanceRecord{}, err
	}
	e := m.installs[id]
	if e.removed() {
		return InstanceRecord{}, ErrNotFound
	}
	return e.rec, nil
}

// DeleteInstance implements Installs.
func (m *Memory) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := cmp.Or(checkID(id), checkEventTime("removal time", at)); err != nil {
		return err
	}
	at = storedTime(at)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "delete instance"); err != nil {
		return err
	}
	e, ok := m.installs[id]
	if !ok {
		e.rec.ID = id
	}
	if at.After(e.removedAt) {
		e.removedAt = at
	}
	if !e.rec.PlanUpdatedAt.After(e.removedAt) {
		e.rec.Plan, e.rec.PlanUpdatedAt = "", time.Time{}
	}
	current := !e.rec.InstalledAt.After(at) // not the removal of an earlier installation
	if current {
		e.rec.InstalledAt = time.Time{}
	}
	m.installs[id] = e
	if current {
		if m.retention == 0 {
			m.purgeSite(id)
		}
	}
	return nil
}

// RemovedAt implements Installs.
func (m *Memory) RemovedAt(ctx context.Context, id string) (time.Time, error) {
	if err := checkID(id); err != nil {
		return time.Time{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get removal time"); err != nil {
		return time.Time{}, err
	}
	return m.installs[id].removedAt, nil
}
