package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// The instances table holds tombstones too: rows of removed instances, with
// removed_at set and installed_at and plan_updated_at zero (see
// migrations/0001_init.sql). Every statement below keeps that encoding: an
// applied install or plan change writes a time after removed_at, and an
// applied removal clears the times at or before it. Times are compared as
// text in the "C" collation, which sorts them in time order, and the zero
// time sorts first.
//
// Each rule is one INSERT ... ON CONFLICT DO UPDATE, which PostgreSQL runs
// atomically: it locks the row, and evaluates the WHERE clause against the
// row as the previous writer left it, so concurrent deliveries of events,
// in one process or across replicas, apply in some order and never
// interleave.

// SaveInstance implements Store.
func (p *Postgres) SaveInstance(ctx context.Context, rec InstanceRecord) error {
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
	const q = `INSERT INTO instances AS i (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES ($1, $2, $3, $4, '0001-01-01T00:00:00.000000000Z')
		ON CONFLICT (id) DO UPDATE SET
			installed_at = CASE
				WHEN i.installed_at = '0001-01-01T00:00:00.000000000Z' THEN excluded.installed_at
				ELSE least(i.installed_at, excluded.installed_at)
			END,
			plan = CASE
				WHEN excluded.plan_updated_at > greatest(i.plan_updated_at, i.removed_at) THEN excluded.plan
				ELSE i.plan
			END,
			plan_updated_at = CASE
				WHEN excluded.plan_updated_at > greatest(i.plan_updated_at, i.removed_at) THEN excluded.plan_updated_at
				ELSE i.plan_updated_at
			END
		WHERE excluded.installed_at > i.removed_at`
	_, err := p.pool.Exec(ctx, q, rec.ID, formatTime(rec.InstalledAt), rec.Plan, formatTime(rec.PlanUpdatedAt))
	if err != nil {
		return ctxError(ctx, "save instance", err)
	}
	return nil
}

// Instance implements Store.
func (p *Postgres) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	// A tombstone is not returned.
	const q = `SELECT installed_at, plan, plan_updated_at FROM instances
		WHERE id = $1 AND NOT (
			removed_at <> '0001-01-01T00:00:00.000000000Z'
			AND installed_at = '0001-01-01T00:00:00.000000000Z'
			AND plan_updated_at = '0001-01-01T00:00:00.000000000Z'
		)`
	var installedAt, planUpdatedAt string
	rec := InstanceRecord{ID: id}
	err := p.pool.QueryRow(ctx, q, id).Scan(&installedAt, &rec.Plan, &planUpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
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
func (p *Postgres) SetPlan(ctx context.Context, id, plan string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("plan operation time", at); err != nil {
		return err
	}
	const q = `INSERT INTO instances AS i (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES ($1, '0001-01-01T00:00:00.000000000Z', $2, $3, '0001-01-01T00:00:00.000000000Z')
		ON CONFLICT (id) DO UPDATE SET
			plan = excluded.plan,
			plan_updated_at = excluded.plan_updated_at
		WHERE excluded.plan_updated_at > greatest(i.plan_updated_at, i.removed_at)`
	if _, err := p.pool.Exec(ctx, q, id, plan, formatTime(at)); err != nil {
		return ctxError(ctx, "set plan", err)
	}
	return nil
}

// DeleteInstance implements Store. The tombstone upsert reports whether the
// removal applies, and the settings are deleted in the same transaction only
// when it does. The upsert keeps the instance's row locked until the commit,
// so a concurrent install or plan event waits and then sees the removal.
func (p *Postgres) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := checkID(id); err != nil {
		return err
	}
	if err := checkEventTime("removal time", at); err != nil {
		return err
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	// The WHERE clause refuses a removal before the installation time; the
	// zero time of an unknown installation sorts before every removal.
	// RETURNING yields a row only when the row was inserted or updated.
	const q = `INSERT INTO instances AS i (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES ($1, '0001-01-01T00:00:00.000000000Z', '', '0001-01-01T00:00:00.000000000Z', $2)
		ON CONFLICT (id) DO UPDATE SET
			installed_at = '0001-01-01T00:00:00.000000000Z',
			removed_at = greatest(i.removed_at, excluded.removed_at),
			plan = CASE
				WHEN i.plan_updated_at > greatest(i.removed_at, excluded.removed_at) THEN i.plan
				ELSE ''
			END,
			plan_updated_at = CASE
				WHEN i.plan_updated_at > greatest(i.removed_at, excluded.removed_at) THEN i.plan_updated_at
				ELSE '0001-01-01T00:00:00.000000000Z'
			END
		WHERE i.installed_at <= excluded.removed_at
		RETURNING 1`
	var applied int
	err = tx.QueryRow(ctx, q, id, formatTime(at)).Scan(&applied)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // the removal of an earlier installation: stale
	}
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM settings WHERE instance_id = $1`, id); err != nil {
		return ctxError(ctx, "delete instance settings", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	return nil
}
