package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

const (
	// isRemoved holds for an instance with a removal recorded and nothing
	// since.
	isRemoved = `removed_at > '` + zeroTime + `' AND max(installed_at, plan_updated_at) <= removed_at`
	// getPlanSQL reads a plan, without the expiry an event before the
	// latest removal said.
	getPlanSQL = `SELECT plan, plan_cycle, plan_auto_renew, plan_updated_at,
			iif(plan_expiry_updated_at > removed_at, plan_expires_at, '` + zeroTime + `'),
			iif(plan_expiry_updated_at > removed_at, plan_expiry_updated_at, '` + zeroTime + `')
		FROM instances WHERE id = ? AND plan_updated_at > removed_at`
)

// Plan implements Billing.
func (s *SQLite) Plan(ctx context.Context, id string) (Plan, error) {
	if err := checkID(id); err != nil {
		return Plan{}, err
	}
	var (
		p                                   Plan
		updatedAt, expiresAt, expiryUpdated string
	)
	err := s.getPlan.QueryRowContext(ctx, id).Scan(&p.Name, &p.Cycle, &p.AutoRenew, &updatedAt, &expiresAt, &expiryUpdated)
	if errors.Is(err, sql.ErrNoRows) {
		return Plan{}, ErrNotFound
	}
	if err != nil {
		return Plan{}, ctxError(ctx, "get plan", err)
	}
	if p.UpdatedAt, err = parseTime(updatedAt); err == nil {
		if p.ExpiresAt, err = parseTime(expiresAt); err == nil {
			p.ExpiryUpdatedAt, err = parseTime(expiryUpdated)
		}
	}
	return p, err
}

// SetPlan implements Billing. Each part is one UPDATE that applies only
// when it is newer; the transaction applies an event wholly or not at all.
func (s *SQLite) SetPlan(ctx context.Context, id string, p Plan) error {
	if err := checkPlan(id, p); err != nil {
		return err
	}
	const (
		create = `INSERT INTO instances (id, installed_at, plan_updated_at) VALUES (?, ?, ?)
			ON CONFLICT (id) DO NOTHING`
		setPlan = `UPDATE instances SET plan = ?2, plan_cycle = ?3, plan_auto_renew = ?4, plan_updated_at = ?5
			WHERE id = ?1 AND ?5 > max(plan_updated_at, removed_at)`
		setExpiry = `UPDATE instances SET plan_expires_at = ?2, plan_expiry_updated_at = ?3
			WHERE id = ?1 AND ?3 > max(plan_expiry_updated_at, removed_at)`
	)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return ctxError(ctx, "set plan", err)
	}
	defer tx.Rollback() // does nothing after Commit

	_, err = tx.ExecContext(ctx, create, id, zeroTime, zeroTime)
	if err == nil {
		_, err = tx.ExecContext(ctx, setPlan, id, p.Name, p.Cycle, p.AutoRenew, formatTime(p.UpdatedAt))
	}
	if err == nil && !p.ExpiryUpdatedAt.IsZero() {
		_, err = tx.ExecContext(ctx, setExpiry, id, formatTime(p.ExpiresAt), formatTime(p.ExpiryUpdatedAt))
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return ctxError(ctx, "set plan", err)
	}
	return nil
}

// SetSite implements Billing.
func (s *SQLite) SetSite(ctx context.Context, id string, site json.RawMessage, at time.Time) error {
	if err := checkSite(id, site, at); err != nil {
		return err
	}
	const q = `UPDATE instances SET site = ?2, site_updated_at = ?3
		WHERE id = ?1 AND ?3 > max(site_updated_at, removed_at)`
	if _, err := s.db.ExecContext(ctx, q, id, string(site), formatTime(at)); err != nil {
		return ctxError(ctx, "set site", err)
	}
	return nil
}

// Site implements Billing.
func (s *SQLite) Site(ctx context.Context, id string) (json.RawMessage, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	var site []byte
	const q = `SELECT site FROM instances WHERE id = ? AND site != '' AND site_updated_at > removed_at`
	err := s.db.QueryRowContext(ctx, q, id).Scan(&site)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, ctxError(ctx, "get site", err)
	}
	return site, nil
}

// CopySettings implements Billing.
func (s *SQLite) CopySettings(ctx context.Context, from, id string) (bool, error) {
	if err := cmp.Or(checkID(from), checkID(id)); err != nil {
		return false, err
	}
	const q = `INSERT INTO settings (instance_id, doc, version, updated_at)
		SELECT ?2, doc, 1, ?3 FROM settings
		WHERE instance_id = ?1 AND NOT EXISTS (SELECT 1 FROM instances WHERE id IN (?1, ?2) AND ` + isRemoved + `)
		ON CONFLICT (instance_id) DO NOTHING`
	res, err := s.db.ExecContext(ctx, q, from, id, formatTime(time.Now()))
	if err != nil {
		return false, ctxError(ctx, "copy settings", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// ClaimEvent implements Billing.
func (s *SQLite) ClaimEvent(ctx context.Context, key string, now, until time.Time) (bool, error) {
	if err := checkEventKey(key, now, until); err != nil {
		return false, err
	}
	const q = `INSERT INTO webhook_events (key, until) VALUES (?1, ?3)
		ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE webhook_events.until <= ?2`
	res, err := s.db.ExecContext(ctx, q, key, formatTime(now), formatTime(until))
	if err != nil {
		return false, ctxError(ctx, "claim event", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// RememberEvent implements Billing.
func (s *SQLite) RememberEvent(ctx context.Context, key string, until time.Time) error {
	if err := checkEventKey(key, until); err != nil {
		return err
	}
	const q = `INSERT INTO webhook_events (key, until) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET until = excluded.until`
	if _, err := s.db.ExecContext(ctx, q, key, formatTime(until)); err != nil {
		return ctxError(ctx, "remember event", err)
	}
	return nil
}

// Purge implements Billing.
func (s *SQLite) Purge(ctx context.Context, now time.Time) (int, error) {
	if err := checkTime("now", now); err != nil {
		return 0, err
	}
	const (
		expired        = `removed_at <= ?1 AND ` + isRemoved
		deleteSettings = `DELETE FROM settings WHERE instance_id IN (SELECT id FROM instances WHERE ` + expired + `)`
		clearSites     = `UPDATE instances SET site = '', site_updated_at = '` + zeroTime + `' WHERE site != '' AND ` + expired
		deleteEvents   = `DELETE FROM webhook_events WHERE until <= ?`
	)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, ctxError(ctx, "purge", err)
	}
	defer tx.Rollback() // does nothing after Commit

	cutoff := formatTime(now.Add(-s.retention))
	res, err := tx.ExecContext(ctx, deleteSettings, cutoff)
	var n int64
	if err == nil {
		n, err = res.RowsAffected()
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, clearSites, cutoff)
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, deleteEvents, formatTime(now))
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return 0, ctxError(ctx, "purge", err)
	}
	return int(n), nil
}

// purgeSite deletes the settings and site details of id in tx.
func purgeSite(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM settings WHERE instance_id = ?`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE instances SET site = '', site_updated_at = ? WHERE id = ?`, zeroTime, id)
	return err
}
