package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SaveInstance implements Store. The merge rules live in one upsert, so
// concurrent and repeated deliveries of install events cannot interleave.
func (s *SQLite) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := checkID(rec.ID); err != nil {
		return err
	}
	if err := checkTime("InstalledAt", rec.InstalledAt); err != nil {
		return err
	}
	if err := checkTime("PlanUpdatedAt", rec.PlanUpdatedAt); err != nil {
		return err
	}
	// The zero time is the smallest stored value, so "earliest non-zero"
	// needs the two explicit cases before min().
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			installed_at = CASE
				WHEN instances.installed_at = '0001-01-01T00:00:00.000000000Z' THEN excluded.installed_at
				WHEN excluded.installed_at = '0001-01-01T00:00:00.000000000Z' THEN instances.installed_at
				ELSE min(instances.installed_at, excluded.installed_at)
			END,
			plan = CASE
				WHEN excluded.plan_updated_at > instances.plan_updated_at THEN excluded.plan
				ELSE instances.plan
			END,
			plan_updated_at = max(instances.plan_updated_at, excluded.plan_updated_at)`
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
	const q = `SELECT installed_at, plan, plan_updated_at FROM instances WHERE id = ?`
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
	if at.IsZero() {
		return fmt.Errorf("%w: plan operation time is zero", ErrInvalid)
	}
	if err := checkTime("plan operation time", at); err != nil {
		return err
	}
	const q = `INSERT INTO instances (id, installed_at, plan, plan_updated_at)
		VALUES (?, '0001-01-01T00:00:00.000000000Z', ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			plan = excluded.plan,
			plan_updated_at = excluded.plan_updated_at
		WHERE excluded.plan_updated_at > instances.plan_updated_at`
	if _, err := s.db.ExecContext(ctx, q, id, plan, formatTime(at)); err != nil {
		return ctxError(ctx, "set plan", err)
	}
	return nil
}

// DeleteInstance implements Store.
func (s *SQLite) DeleteInstance(ctx context.Context, id string) error {
	if err := checkID(id); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	defer tx.Rollback() // does nothing after Commit

	if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE instance_id = ?`, id); err != nil {
		return ctxError(ctx, "delete instance settings", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM instances WHERE id = ?`, id); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	if err := tx.Commit(); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	return nil
}
