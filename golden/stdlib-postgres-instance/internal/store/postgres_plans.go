package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// isRemoved holds for an instance with a removal recorded and nothing since.
const isRemoved = `removed_at > '0001-01-01Z' AND greatest(installed_at, plan_updated_at) <= removed_at`

// Plan implements Billing.
func (p *Postgres) Plan(ctx context.Context, id string) (Plan, error) {
	if err := checkID(id); err != nil {
		return Plan{}, err
	}
	// The expiry an event before the latest removal said is not read.
	const q = `SELECT plan, plan_cycle, plan_auto_renew, plan_updated_at,
			CASE WHEN plan_expiry_updated_at > removed_at THEN plan_expires_at ELSE '0001-01-01Z' END,
			CASE WHEN plan_expiry_updated_at > removed_at THEN plan_expiry_updated_at ELSE '0001-01-01Z' END
		FROM instances WHERE id = $1 AND plan_updated_at > removed_at`
	var pl Plan
	err := p.pool.QueryRow(ctx, q, id).Scan(&pl.Name, &pl.Cycle, &pl.AutoRenew, &pl.UpdatedAt, &pl.ExpiresAt, &pl.ExpiryUpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Plan{}, ErrNotFound
	}
	if err != nil {
		return Plan{}, ctxError(ctx, "get plan", err)
	}
	pl.UpdatedAt, pl.ExpiresAt, pl.ExpiryUpdatedAt = pl.UpdatedAt.UTC(), pl.ExpiresAt.UTC(), pl.ExpiryUpdatedAt.UTC()
	return pl, nil
}

// SetPlan implements Billing. Each part is one UPDATE, which locks the row
// and applies only when it is newer; the transaction applies an event
// wholly or not at all.
func (p *Postgres) SetPlan(ctx context.Context, id string, pl Plan) error {
	if err := checkPlan(id, pl); err != nil {
		return err
	}
	const (
		create = `INSERT INTO instances (id, installed_at, plan_updated_at) VALUES ($1, '0001-01-01Z', '0001-01-01Z')
			ON CONFLICT (id) DO NOTHING`
		setPlan = `UPDATE instances SET plan = $2, plan_cycle = $3, plan_auto_renew = $4, plan_updated_at = $5
			WHERE id = $1 AND $5 > greatest(plan_updated_at, removed_at)`
		setExpiry = `UPDATE instances SET plan_expires_at = $2, plan_expiry_updated_at = $3
			WHERE id = $1 AND $3 > greatest(plan_expiry_updated_at, removed_at)`
	)
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return ctxError(ctx, "set plan", err)
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	_, err = tx.Exec(ctx, create, id)
	if err == nil {
		_, err = tx.Exec(ctx, setPlan, id, pl.Name, pl.Cycle, pl.AutoRenew, storedTime(pl.UpdatedAt))
	}
	if err == nil && !pl.ExpiryUpdatedAt.IsZero() {
		_, err = tx.Exec(ctx, setExpiry, id, storedTime(pl.ExpiresAt), storedTime(pl.ExpiryUpdatedAt))
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return ctxError(ctx, "set plan", err)
	}
	return nil
}

// SetSite implements Billing.
func (p *Postgres) SetSite(ctx context.Context, id string, site json.RawMessage, at time.Time) error {
	if err := checkSite(id, site, at); err != nil {
		return err
	}
	const q = `UPDATE instances SET site = $2, site_updated_at = $3
		WHERE id = $1 AND $3 > greatest(site_updated_at, removed_at)`
	if _, err := p.pool.Exec(ctx, q, id, string(site), storedTime(at)); err != nil {
		return ctxError(ctx, "set site", err)
	}
	return nil
}

// Site implements Billing.
func (p *Postgres) Site(ctx context.Context, id string) (json.RawMessage, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var site string
	const q = `SELECT site FROM instances WHERE id = $1 AND site != '' AND site_updated_at > removed_at`
	err := p.pool.QueryRow(ctx, q, id).Scan(&site)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, ctxError(ctx, "get site", err)
	}
	return json.RawMessage(site), nil
}

// CopySettings implements Billing.
func (p *Postgres) CopySettings(ctx context.Context, from, id string) (bool, error) {
	if err := cmp.Or(checkID(from), checkID(id)); err != nil {
		return false, err
	}
	const q = `INSERT INTO settings (instance_id, doc, version, updated_at)
		SELECT $2, doc, 1, $3::timestamptz FROM settings
		WHERE instance_id = $1 AND NOT EXISTS (SELECT 1 FROM instances WHERE id IN ($1, $2) AND ` + isRemoved + `)
		ON CONFLICT (instance_id) DO NOTHING`
	tag, err := p.pool.Exec(ctx, q, from, id, storedTime(time.Now()))
	if err != nil {
		return false, ctxError(ctx, "copy settings", err)
	}
	return tag.RowsAffected() > 0, nil
}

// ClaimEvent implements Billing.
func (p *Postgres) ClaimEvent(ctx context.Context, key string, now, until time.Time) (bool, error) {
	if err := checkEventKey(key, now, until); err != nil {
		return false, err
	}
	const q = `INSERT INTO webhook_events AS e (key, until) VALUES ($1, $3)
		ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE e.until <= $2`
	tag, err := p.pool.Exec(ctx, q, key, storedTime(now), storedTime(until))
	if err != nil {
		return false, ctxError(ctx, "claim event", err)
	}
	return tag.RowsAffected() > 0, nil
}

// RememberEvent implements Billing.
func (p *Postgres) RememberEvent(ctx context.Context, key string, until time.Time) error {
	if err := checkEventKey(key, until); err != nil {
		return err
	}
	const q = `INSERT INTO webhook_events (key, until) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET until = excluded.until`
	if _, err := p.pool.Exec(ctx, q, key, storedTime(until)); err != nil {
		return ctxError(ctx, "remember event", err)
	}
	return nil
}

// Purge implements Billing.
func (p *Postgres) Purge(ctx context.Context, now time.Time) (int, error) {
	if err := checkTime("now", now); err != nil {
		return 0, err
	}
	const (
		expired        = `removed_at <= $1 AND ` + isRemoved
		deleteSettings = `DELETE FROM settings WHERE instance_id IN (SELECT id FROM instances WHERE ` + expired + `)`
		clearSites     = `UPDATE instances SET site = '', site_updated_at = '0001-01-01Z' WHERE site != '' AND ` + expired
		deleteEvents   = `DELETE FROM webhook_events WHERE until <= $1`
	)
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return 0, ctxError(ctx, "purge", err)
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	cutoff := storedTime(now.Add(-p.retention))
	tag, err := tx.Exec(ctx, deleteSettings, cutoff)
	if err == nil {
		_, err = tx.Exec(ctx, clearSites, cutoff)
	}
	if err == nil {
		_, err = tx.Exec(ctx, deleteEvents, storedTime(now))
	}
	if err == nil {
		err = tx.Commit(ctx)
	}
	if err != nil {
		return 0, ctxError(ctx, "purge", err)
	}
	return int(tag.RowsAffected()), nil
}

// purgeSite deletes the settings and site details of id in tx.
func purgeSite(ctx context.Context, tx pgx.Tx, id string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM settings WHERE instance_id = $1`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE instances SET site = '', site_updated_at = '0001-01-01Z' WHERE id = $1`, id)
	return err
}
