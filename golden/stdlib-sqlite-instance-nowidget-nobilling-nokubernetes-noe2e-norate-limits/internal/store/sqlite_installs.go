package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"
)

// The instances table holds removed instances too: removed_at set, the
// other times zero. Each rule is one upsert, so deliveries cannot
// interleave, and keeps the latest time of its kind, so any order ends the
// same; what is at or before removed_at is not the instance's.

// SaveInstance implements Installs.
func (s *SQLite) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := cmp.Or(checkID(rec.ID), checkEventTime("InstalledAt", rec.InstalledAt),
		checkTime("PlanUpdatedAt", rec.PlanUpdatedAt), checkText("plan", rec.Plan)); err != nil {
		return err
	}
	// The WHERE refuses an install at or before the last removal.
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES (?, ?, ?, ?, '0001-01-01T00:00:00.000000000Z')
		ON CONFLICT (id) DO UPDATE SET
			installed_at = max(instances.installed_at, excluded.installed_at),
			plan = iif(excluded.plan_updated_at > max(instances.plan_updated_at, instances.removed_at),
				excluded.plan, instances.plan),
			plan_updated_at = iif(excluded.plan_updated_at > max(instances.plan_updated_at, instances.removed_at),
				excluded.plan_updated_at, instances.plan_updated_at)
		WHERE excluded.installed_at > instances.removed_at`
	_, err := s.db.ExecContext(ctx, q, rec.ID, formatTime(rec.InstalledAt), rec.Plan, formatTime(rec.PlanUpdatedAt))
	if err != nil {
		return ctxError(ctx, "save instance", err)
	}
	return nil
}

// Instance implements Installs.
func (s *SQLite) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	// A removed instance has nothing recorded after its removal.
	const q = `SELECT installed_at, plan, plan_updated_at FROM instances
		WHERE id = ? AND max(installed_at, plan_updated_at) > removed_at`
	var installedAt, planUpdatedAt string
	rec := InstanceRecord{ID: id}
	err := s.db.QueryRowContext(ctx, q, id).Scan(&installedAt, &rec.Plan, &planUpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return InstanceRecord{}, ErrNotFound
	}
	if err != nil {
		return InstanceRecord{}, ctxError(ctx, "get instance", err)
	}
	if rec.InstalledAt, err = parseTime(installedAt); err == nil {
		rec.PlanUpdatedAt, err = parseTime(planUpdatedAt)
	}
	return rec, err
}

// SetPlan implements Installs.
func (s *SQLite) SetPlan(ctx context.Context, id, plan string, at time.Time) error {
	if err := cmp.Or(checkID(id), checkEventTime("plan time", at), checkText("plan", plan)); err != nil {
		return err
	}
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES (?, '0001-01-01T00:00:00.000000000Z', ?, ?, '0001-01-01T00:00:00.000000000Z')
		ON CONFLICT (id) DO UPDATE SET
			plan = excluded.plan,
			plan_updated_at = excluded.plan_updated_at
		WHERE excluded.plan_updated_at > max(instances.plan_updated_at, instances.removed_at)`
	if _, err := s.db.ExecContext(ctx, q, id, plan, formatTime(at)); err != nil {
		return ctxError(ctx, "set plan", err)
	}
	return nil
}

// DeleteInstance implements Installs. The upsert records the removal, and
// the settings are deleted in the same transaction when it removed the
// current installation.
func (s *SQLite) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := cmp.Or(checkID(id), checkEventTime("removal time", at)); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	defer tx.Rollback() // does nothing after Commit

	// An installation after the removal stays; an unknown instance is
	// recorded as removed.
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES (?1, '0001-01-01T00:00:00.000000000Z', '', '0001-01-01T00:00:00.000000000Z', ?2)
		ON CONFLICT (id) DO UPDATE SET
			removed_at = max(instances.removed_at, excluded.removed_at),
			installed_at = iif(instances.installed_at > excluded.removed_at,
				instances.installed_at, '0001-01-01T00:00:00.000000000Z'),
			plan = iif(instances.plan_updated_at > max(instances.removed_at, excluded.removed_at),
				instances.plan, ''),
			plan_updated_at = iif(instances.plan_updated_at > max(instances.removed_at, excluded.removed_at),
				instances.plan_updated_at, '0001-01-01T00:00:00.000000000Z')`
	var installedAt string
	_, err = tx.ExecContext(ctx, q, id, formatTime(at))
	if err == nil {
		err = tx.QueryRowContext(ctx, `SELECT installed_at FROM instances WHERE id = ?`, id).Scan(&installedAt)
	}
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	if installedAt == zeroTime { // not the removal of an earlier installation
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE instance_id = ?`, id); err != nil {
			return ctxError(ctx, "delete instance settings", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	return nil
}

// RemovedAt implements Installs.
func (s *SQLite) RemovedAt(ctx context.Context, id string) (time.Time, error) {
	if err := checkID(id); err != nil {
		return time.Time{}, err
	}
	var removedAt string
	err := s.db.QueryRowContext(ctx, `SELECT removed_at FROM instances WHERE id = ?`, id).Scan(&removedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, ctxError(ctx, "get removal time", err)
	}
	return parseTime(removedAt)
}
