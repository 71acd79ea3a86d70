package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the first key of the advisory lock that serialises
// migrations; the second is a hash of the schema, so that projects in
// separate schemas of one database do not wait for each other.
const migrationLock = 0x77786d67 // "wxmg"

// Postgres is a Store kept in a PostgreSQL database, through a pool of
// connections. Any number of processes (replicas of the server) may share
// one database: every read-check-write is one statement or one transaction.
//
// A context that ends while a statement runs cancels the statement on the
// server, and the call returns the context's error. When the server does
// not answer the cancel request within a second, the connection is dropped
// instead, and a statement still waiting there (for a lock, say) may then
// complete: write with ifVersion where a retry must not apply twice.
type Postgres struct {
	pool      *pgxpool.Pool
	retention time.Duration // Config.RemovedRetention
}

var _ Store = (*Postgres)(nil)

// Open connects to the PostgreSQL database cfg.DatabaseURL and applies the
// schema migrations it has not seen yet. The pool is tuned in the URL
// (pool_max_conns and the like), and the tables live in the first schema
// of search_path (public unless search_path is set).
func Open(ctx context.Context, cfg Config) (*Postgres, error) {
	if strings.TrimSpace(cfg.DatabaseURL) == "" {
		return nil, errors.New("store: empty database URL: use a PostgreSQL URL such as postgres://user:password@localhost:5432/dbname")
	}
	poolCfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err) // pgx leaves the password out
	}
	// pgx's default drops the connection as soon as a context ends, which
	// leaves a statement waiting for a lock to run on, so a write the caller
	// saw fail could be applied later. Ask the server to cancel it instead.
	poolCfg.ConnConfig.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, ctxError(ctx, "connect", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, ctxError(ctx, "connect", err)
	}
	log := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if err := migrate(ctx, migrationFiles, log, func(ctx context.Context, m migration) (bool, error) {
		return applyMigration(ctx, pool, m)
	}); err != nil {
		pool.Close()
		return nil, err
	}
	log.InfoContext(ctx, "store: connected to PostgreSQL", "max_conns", poolCfg.MaxConns)
	return &Postgres{pool: pool, retention: cfg.RemovedRetention}, nil
}

// applyMigration applies m unless schema_migrations lists it, and reports
// whether it did. It takes a transaction-scoped advisory lock first: when
// replicas start together, one applies m while the others wait, then find
// it listed.
func applyMigration(ctx context.Context, pool *pgxpool.Pool, m migration) (applied bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	// With no usable schema in search_path, current_schema() is NULL: the
	// lock is then taken on "" and CREATE TABLE reports the problem.
	const lock = `SELECT pg_advisory_xact_lock($1, hashtext(coalesce(current_schema(), '')))`
	if _, err := tx.Exec(ctx, lock, migrationLock); err != nil {
		return false, err
	}
	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    bigint      NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := tx.Exec(ctx, createTable); err != nil {
		return false, err
	}
	var done bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.version).Scan(&done)
	if err != nil || done {
		return false, err
	}
	// Without arguments, Exec runs every statement of the file.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// nullTime is t, or NULL when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storedTime(t)
}

// Settings implements Store.
func (p *Postgres) Settings(ctx context.Context, instanceID string) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	var (
		st  Settings
		doc string
	)
	err := p.pool.QueryRow(ctx, `SELECT doc, version, updated_at FROM settings WHERE instance_id = $1`, instanceID).
		Scan(&doc, &st.Version, &st.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, ErrNotFound
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "get settings", err)
	}
	st.Doc, st.UpdatedAt = json.RawMessage(doc), st.UpdatedAt.UTC()
	return st, nil
}

// A settings write locks instance $1's row, when there is one, and is
// refused when its removed_at is at or after $4, the issue time of the
// credential that writes (NULL checks nothing). A removal in another
// transaction, which updates that row, then happens wholly before the
// write, which sees it, or wholly after, and deletes what the write wrote.
const (
	lockRemoval = `WITH removal AS (SELECT removed_at FROM instances WHERE id = $1 FOR SHARE) `
	notRemoved  = `NOT EXISTS (SELECT 1 FROM removal WHERE removed_at >= $4)`
)

// PutSettings implements Store. Each case is one statement: PostgreSQL
// locks the row, and a conditional UPDATE that waited for another writer
// checks the version that writer left.
func (p *Postgres) PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64, issuedAt time.Time) (Settings, error) {
	if err := checkPut(instanceID, doc, ifVersion, issuedAt); err != nil {
		return Settings{}, err
	}
	st := Settings{UpdatedAt: storedTime(time.Now())}
	args := []any{instanceID, string(doc), st.UpdatedAt, nullTime(issuedAt)}
	q := lockRemoval + `INSERT INTO settings AS s (instance_id, doc, version, updated_at)
		SELECT $1, $2, 1, $3::timestamptz WHERE ` + notRemoved + `
		ON CONFLICT (instance_id) DO UPDATE SET
			doc = excluded.doc, version = s.version + 1, updated_at = excluded.updated_at
		RETURNING version`
	if ifVersion != 0 {
		q = lockRemoval + `UPDATE settings SET doc = $2, version = version + 1, updated_at = $3
			WHERE instance_id = $1 AND version = $5 AND ` + notRemoved + `
			RETURNING version`
		args = append(args, ifVersion)
	}
	err := p.pool.QueryRow(ctx, q, args...).Scan(&st.Version)
	if errors.Is(err, pgx.ErrNoRows) { // refused: removed, or (with ifVersion) a conflict
		if ifVersion == 0 {
			return Settings{}, ErrRemoved
		}
		var removed bool
		const q = `SELECT EXISTS (SELECT 1 FROM instances WHERE id = $1 AND removed_at >= $2)`
		if err := p.pool.QueryRow(ctx, q, instanceID, nullTime(issuedAt)).Scan(&removed); err != nil {
			return Settings{}, ctxError(ctx, "put settings", err)
		}
		if removed {
			return Settings{}, ErrRemoved
		}
		return Settings{}, ErrConflict
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "put settings", err)
	}
	st.Doc = bytes.Clone(doc)
	return st, nil
}

// Ping implements Store: it writes the time into the one row of
// health_check, and waits, as every write does, for the server to flush it
// to disk.
func (p *Postgres) Ping(ctx context.Context) error {
	const q = `INSERT INTO health_check (id, checked_at) VALUES (1, now())
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`
	if _, err := p.pool.Exec(ctx, q); err != nil {
		return ctxError(ctx, "ping", err)
	}
	return nil
}

// Close implements Store. It waits for connections in use to be returned,
// then closes every connection.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}
