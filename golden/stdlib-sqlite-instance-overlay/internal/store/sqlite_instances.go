package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The instances table holds tombstones too: rows of removed instances, with
// removed_at set and installed_at and plan_updated_at zero (see
// migrations/0001_init.sql). Every statement below keeps that encoding: an
// applied install or plan change writes a time after removed_at, and an
// applied removal clears the times at or before it. Times are compared as
// text, which sorts them in time order, and the zero time sorts first.

// SaveInstance implements Store. The merge rules live in one upsert, so
// concurrent and repeated deliveries of install events cannot interleave.
func (s *SQLite) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := checkID(rec.ID); err != nil {
		return err
	}
	if err := checkEventTime("InstalledAt", rec.InstalledAt); err != nil {
		return err
	}
	if err := checkTime("PlanUpdatedAt", rec.PlanUpdatedAt); err != nil {
		return err
	}
	// The WHERE clause refuses an install at or before the last removal.
	// A tombstone's installed_at is the zero time, which the install time
	// replaces; otherwise the earliest installation time stays.
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES (?, ?, ?, ?, '0001-01-01T00:00:00.000000000Z')
		ON CONFLICT (id) DO UPDATE SET
			installed_at = CASE
				WHEN instances.installed_at = '0001-01-01T00:00:00.000000000Z' THEN excluded.installed_at
				ELSE min(instances.installed_at, excluded.installed_at)
			END,
			plan = CASE
				WHEN excluded.plan_updated_at > max(instances.plan_updated_at, instances.removed_at) THEN excluded.plan
				ELSE instances.plan
			END,
			plan_updated_at = CASE
				WHEN excluded.plan_updated_at > max(instances.plan_updated_at, instances.removed_at) THEN excluded.plan_updated_at
				ELSE instances.plan_updated_at
			END
		WHERE excluded.installed_at > instances.removed_at`
	_, err := s.db.ExecContext(ctx, q, rec.ID, formatTime(rec.InstalledAt), rec.Plan, formatTime(rec.PlanUpdatedAt))
	if err != nil {
		return ctxError(ctx, "save instance", err)
	}
	return nil
}

// Instance implements Store.
func (s *SQLite) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	// A tombstone is not returned.
	const q = `SELECT installed_at, plan, plan_updated_at FROM instances
		WHERE id = ? AND NOT (
			removed_at <> '0001-01-01T00:00:00.000000000Z'
			AND installed_at = '0001-01-01T00:00:00.000000000Z'
			AND plan_updated_at = '0001-01-01T00:00:00.000000000Z'
		)`
	var installedAt, planUpdatedAt string
	rec := InstanceRecord{ID: id}
	err := s.db.QueryRowContext(ctx, q, id).Scan(&installedAt, &rec.Plan, &planUpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return InstanceRecord{}, ErrNotFound
	}
	if err != nil {
		return InstanceRecord{}, ctxError(ctx, "get instance", err)
	}
	if rec.InstalledAt, err = parseTime(installedAt); err != nil {
		return InstanceRecord{}, fmt.Errorf("store: get instance: %w", err)
	}
	if rec.PlanUpdatedAt, err = parseTime(planUpdatedAt); err != nil {
		return InstanceRecord{}, fmt.Errorf("store: get instance: %w", err)
	}
	return rec, nil
}

// SetPlan implements Store.
func (s *SQLite) SetPlan(ctx context.Context, id, plan string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("plan operation time", at); err != nil {
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

// DeleteInstance implements Store. The tombstone upsert reports whether the
// removal applies, and the settings are deleted in the same transaction only
// when it does.
func (s *SQLite) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("removal time", at); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	defer tx.Rollback() // does nothing after Commit

	// The WHERE clause refuses a removal before the installation time; the
	// zero time of an unknown installation sorts before every removal.
	// RETURNING yields a row only when the row was inserted or updated.
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES (?, '0001-01-01T00:00:00.000000000Z', '', '0001-01-01T00:00:00.000000000Z', ?)
		ON CONFLICT (id) DO UPDATE SET
			installed_at = '0001-01-01T00:00:00.000000000Z',
			removed_at = max(instances.removed_at, excluded.removed_at),
			plan = CASE
				WHEN instances.plan_updated_at > max(instances.removed_at, excluded.removed_at) THEN instances.plan
				ELSE ''
			END,
			plan_updated_at = CASE
				WHEN instances.plan_updated_at > max(instances.removed_at, excluded.removed_at) THEN instances.plan_updated_at
				ELSE '0001-01-01T00:00:00.000000000Z'
			END
		WHERE instances.installed_at <= excluded.removed_at
		RETURNING 1`
	var applied int
	err = tx.QueryRowContext(ctx, q, id, formatTime(at)).Scan(&applied)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the removal of an earlier installation: stale
	}
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE instance_id = ?`, id); err != nil {
		return ctxError(ctx, "delete instance settings", err)
	}
	if err := tx.Commit(); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	return nil
}
