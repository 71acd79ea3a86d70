package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"time"
)

// Plan implements Billing.
func (m *Memory) Plan(ctx context.Context, id string) (Plan, error) {
	if err := checkID(id); err != nil {
		return Plan{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get plan"); err != nil {
		return Plan{}, err
	}
	e := m.installs[id]
	if !e.rec.PlanUpdatedAt.After(e.removedAt) {
		return Plan{}, ErrNotFound
	}
	p := e.plan
	p.Name, p.UpdatedAt = e.rec.Plan, e.rec.PlanUpdatedAt
	if !p.ExpiryUpdatedAt.After(e.removedAt) {
		p.ExpiresAt, p.ExpiryUpdatedAt = time.Time{}, time.Time{}
	}
	return p, nil
}

// SetPlan implements Billing.
func (m *Memory) SetPlan(ctx context.Context, id string, p Plan) error {
	if err := checkPlan(id, p); err != nil {
		return err
	}
	p.UpdatedAt, p.ExpiresAt, p.ExpiryUpdatedAt = storedTime(p.UpdatedAt), storedTime(p.ExpiresAt), storedTime(p.ExpiryUpdatedAt)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "set plan"); err != nil {
		return err
	}
	e, ok := m.installs[id]
	if !ok {
		e.rec.ID = id
	}
	if p.UpdatedAt.After(e.rec.PlanUpdatedAt) && p.UpdatedAt.After(e.removedAt) {
		e.rec.Plan, e.rec.PlanUpdatedAt = p.Name, p.UpdatedAt
		e.plan.Cycle, e.plan.AutoRenew = p.Cycle, p.AutoRenew
	}
	if p.ExpiryUpdatedAt.After(e.plan.ExpiryUpdatedAt) && p.ExpiryUpdatedAt.After(e.removedAt) {
		e.plan.ExpiresAt, e.plan.ExpiryUpdatedAt = p.ExpiresAt, p.ExpiryUpdatedAt
	}
	m.installs[id] = e
	return nil
}

// SetSite implements Billing.
func (m *Memory) SetSite(ctx context.Context, id string, site json.RawMessage, at time.Time) error {
	if err := checkSite(id, site, at); err != nil {
		return err
	}
	at = storedTime(at)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "set site"); err != nil {
		return err
	}
	e, ok := m.installs[id]
	if ok && at.After(e.siteAt) && at.After(e.removedAt) {
		e.site, e.siteAt = bytes.Clone(site), at
		m.installs[id] = e
	}
	return nil
}

// Site implements Billing.
func (m *Memory) Site(ctx context.Context, id string) (json.RawMessage, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.usable(ctx, "get site"); err != nil {
		return nil, err
	}
	e := m.installs[id]
	if e.site == nil || !e.siteAt.After(e.removedAt) {
		return nil, ErrNotFound
	}
	return bytes.Clone(e.site), nil
}

// CopySettings implements Billing.
func (m *Memory) CopySettings(ctx context.Context, from, id string) (bool, error) {
	if err := cmp.Or(checkID(from), checkID(id)); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "copy settings"); err != nil {
		return false, err
	}
	src, ok := m.settings[from]
	if _, taken := m.settings[id]; !ok || taken || m.isRemoved(from) || m.isRemoved(id) {
		return false, nil
	}
	m.settings[id] = Settings{Doc: bytes.Clone(src.Doc), Version: 1, UpdatedAt: storedTime(time.Now())}
	return true, nil
}

// isRemoved reports whether a removal of id is recorded and nothing since.
// Callers hold m.mu.
func (m *Memory) isRemoved(id string) bool {
	e, ok := m.installs[id]
	return ok && !e.removedAt.IsZero() && e.removed()
}

// ClaimEvent implements Billing.
func (m *Memory) ClaimEvent(ctx context.Context, key string, now, until time.Time) (bool, error) {
	if err := checkEventKey(key, now, until); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "claim event"); err != nil {
		return false, err
	}
	if m.events[key].After(now) {
		return false, nil
	}
	m.events[key] = until
	return true, nil
}

// RememberEvent implements Billing.
func (m *Memory) RememberEvent(ctx context.Context, key string, until time.Time) error {
	if err := checkEventKey(key, until); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "remember event"); err != nil {
		return err
	}
	m.events[key] = until
	return nil
}

// Purge implements Billing.
func (m *Memory) Purge(ctx context.Context, now time.Time) (int, error) {
	if err := checkTime("now", now); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.usable(ctx, "purge"); err != nil {
		return 0, err
	}
	n := 0
	for id, e := range m.installs {
		if m.isRemoved(id) && !e.removedAt.After(now.Add(-m.retention)) {
			if _, ok := m.settings[id]; ok {
				n++
			}
			m.purgeSite(id)
		}
	}
	for key, until := range m.events {
		if !until.After(now) {
			delete(m.events, key)
		}
	}
	return n, nil
}

// purgeSite deletes the settings and site details of id. Callers hold
// m.mu for writing.
func (m *Memory) purgeSite(id string) {
	delete(m.settings, id)
	if e, ok := m.installs[id]; ok {
		e.site, e.siteAt = nil, time.Time{}
		m.installs[id] = e
	}
}
