package store

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// The instances table holds removed instances too: removed_at set,
// installed_at and plan_updated_at the zero time, '0001-01-01Z'.
// Every statement keeps that: an install or plan event applied writes a time
// after removed_at, and a removal clears the times at or before it. Each
// rule is one INSERT ... ON CONFLICT DO UPDATE, which locks the row and sees
// it as the previous writer left it, so deliveries that reach several
// replicas at once apply in some order and never interleave; and each keeps
// the latest time of its kind, so any order of deliveries ends the same.

// SaveInstance implements Installs.
func (p *Postgres) SaveInstance(ctx context.Context, rec InstanceRecord) error {
	if err := cmp.Or(checkID(rec.ID), checkEventTime("InstalledAt", rec.InstalledAt),
		checkTime("PlanUpdatedAt", rec.PlanUpdatedAt), checkText("plan", rec.Plan)); err != nil {
		return err
	}
	// The WHERE refuses an install at or before the last removal.
	const q = `INSERT INTO instances AS i (id, installed_at, plan, plan_updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (id) DO UPDATE SET
			installed_at = greatest(i.installed_at, excluded.installed_at),
			plan = CASE
				WHEN excluded.plan_updated_at > greatest(i.plan_updated_at, i.removed_at) THEN excluded.plan
				ELSE i.plan
			END,
			plan_updated_at = CASE
				WHEN excluded.plan_updated_at > greatest(i.plan_updated_at, i.removed_at) THEN excluded.plan_updated_at
				ELSE i.plan_updated_at
			END
		WHERE excluded.installed_at > i.removed_at`
	_, err := p.pool.Exec(ctx, q, rec.ID, storedTime(rec.InstalledAt), rec.Plan, storedTime(rec.PlanUpdatedAt))
	if err != nil {
		return ctxError(ctx, "save instance", err)
	}
	return nil
}

// Instance implements Installs.
func (p *Postgres) Instance(ctx context.Context, id string) (InstanceRecord, error) {
	if err := checkID(id); err != nil {
		return InstanceRecord{}, err
	}
	// A removed instance has nothing recorded after its removal.
	const q = `SELECT installed_at, plan, plan_updated_at FROM instances
		WHERE id = $1 AND greatest(installed_at, plan_updated_at) > removed_at`
	rec := InstanceRecord{ID: id}
	err := p.pool.QueryRow(ctx, q, id).Scan(&rec.InstalledAt, &rec.Plan, &rec.PlanUpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return InstanceRecord{}, ErrNotFound
	}
	if err != nil {
		return InstanceRecord{}, ctxError(ctx, "get instance", err)
	}
	rec.InstalledAt, rec.PlanUpdatedAt = rec.InstalledAt.UTC(), rec.PlanUpdatedAt.UTC()
	return rec, nil
}

// DeleteInstance implements Installs. The upsert records the removal, and
// the settings are deleted in the same transaction when it removed the
// current installation; the row stays locked until the commit, so a
// concurrent install, plan event or settings write waits and then sees the
// removal.
func (p *Postgres) DeleteInstance(ctx context.Context, id string, at time.Time) error {
	if err := cmp.Or(checkID(id), checkEventTime("removal time", at)); err != nil {
		return err
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	// An installation after the removal stays; an unknown instance is
	// recorded as removed.
	const q = `INSERT INTO instances AS i (id, installed_at, plan, plan_updated_at, removed_at)
		VALUES ($1, '0001-01-01Z', '', '0001-01-01Z', $2)
		ON CONFLICT (id) DO UPDATE SET
			removed_at = greatest(i.removed_at, excluded.removed_at),
			installed_at = CASE WHEN i.installed_at > excluded.removed_at THEN i.installed_at ELSE '0001-01-01Z' END,
			plan = CASE
				WHEN i.plan_updated_at > greatest(i.removed_at, excluded.removed_at) THEN i.plan
				ELSE ''
			END,
			plan_updated_at = CASE
				WHEN i.plan_updated_at > greatest(i.removed_at, excluded.removed_at) THEN i.plan_updated_at
				ELSE '0001-01-01Z'
			END
		RETURNING installed_at = '0001-01-01Z'`
	var current bool // the current installation was removed
	if err := tx.QueryRow(ctx, q, id, storedTime(at)).Scan(&current); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	if current {
		if p.retention == 0 {
			if err := purgeSite(ctx, tx, id); err != nil {
				return ctxError(ctx, "delete instance data", err)
			}
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return ctxError(ctx, "delete instance", err)
	}
	return nil
}

// RemovedAt implements Installs.
func (p *Postgres) RemovedAt(ctx context.Context, id string) (time.Time, error) {
	if err := checkID(id); err != nil {
		return time.Time{}, err
	}
	var removedAt time.Time
	err := p.pool.QueryRow(ctx, `SELECT removed_at FROM instances WHERE id = $1`, id).Scan(&removedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, ctxError(ctx, "get removal time", err)
	}
	return removedAt.UTC(), nil
}
