package store

import (
	"context"
	"time"
)

// instanceEntry is what Memory keeps for one instance: its record and the
// time of the latest removal applied (zero when never removed).
type instanceEntry struct {
	rec       InstanceRecord
	removedAt time.Time
}

// tombstone reports whether the entry stands for a removed instance: it was
// removed and nothing of a later installation has been recorded since.
// (Every applied install or plan change sets a non-zero time, and every
// applied removal clears the times at or before it.)
func (e instanceEntry) tombstone() bool {
	return !e.removedAt.IsZero() && e.rec.InstalledAt.IsZero() && e.rec.PlanUpdatedAt.IsZero()
}

// SaveInstance implements Store.
func (m *Memory) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := checkID(rec.ID); err != nil {
		return err
	}
	if err := checkEventTime("InstalledAt", rec.InstalledAt); err != nil {
		return err
	}
	if err := checkTime("PlanUpdatedAt", rec.PlanUpdatedAt); err != nil {
		return err
	}
	rec.InstalledAt = rec.InstalledAt.UTC()
	rec.PlanUpdatedAt = rec.PlanUpdatedAt.UTC()

	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "save instance"); err != nil {
		return err
	}
	e, ok := m.instances[rec.ID]
	if !ok {
		m.instances[rec.ID] = instanceEntry{rec: rec}
		return nil
	}
	if !rec.InstalledAt.After(e.removedAt) {
		return nil // installed at or before a removal already applied: stale
	}
	// Keep the earliest known installation time (a tombstone has none).
	if !e.rec.InstalledAt.IsZero() && e.rec.InstalledAt.Before(rec.InstalledAt) {
		rec.InstalledAt = e.rec.InstalledAt
	}
	// Only a newer plan event, of this installation, replaces the stored plan.
	if !rec.PlanUpdatedAt.After(e.rec.PlanUpdatedAt) || !rec.PlanUpdatedAt.After(e.removedAt) {
		rec.Plan, rec.PlanUpdatedAt = e.rec.Plan, e.rec.PlanUpdatedAt
	}
	e.rec = rec
	m.instances[rec.ID] = e
	return nil
}

// Instance implements Store.
func (m *Memory) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get instance"); err != nil {
		return InstanceRecord{}, err
	}
	e, ok := m.instances[id]
	if !ok || e.tombstone() {
		return InstanceRecord{}, ErrNotFound
	}
	return e.rec, nil
}

// SetPlan implements Store.
func (m *Memory) SetPlan(ctx context.Context, id, plan string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("plan operation time", at); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "set plan"); err != nil {
		return err
	}
	e, ok := m.instances[id]
	if !ok {
		e = instanceEntry{rec: InstanceRecord{ID: id}}
	}
	if !at.After(e.rec.PlanUpdatedAt) || !at.After(e.removedAt) {
		return nil // an older or repeated event, or one of a removed installation
	}
	e.rec.Plan, e.rec.PlanUpdatedAt = plan, at.UTC()
	m.instances[id] = e
	return nil
}

// DeleteInstance implements Store.
func (m *Memory) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("removal time", at); err != nil {
		return err
	}
	at = at.UTC()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "delete instance"); err != nil {
		return err
	}
	e, ok := m.instances[id]
	if !ok {
		e = instanceEntry{rec: InstanceRecord{ID: id}}
	}
	if e.rec.InstalledAt.After(at) {
		return nil // the removal of an earlier installation: stale
	}
	if at.After(e.removedAt) {
		e.removedAt = at
	}
	e.rec.InstalledAt = time.Time{}
	if !e.rec.PlanUpdatedAt.After(e.removedAt) {
		e.rec.Plan, e.rec.PlanUpdatedAt = "", time.Time{}
	}
	m.instances[id] = e
	delete(m.settings, id)
	return nil
}
