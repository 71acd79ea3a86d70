package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the first key of the PostgreSQL advisory lock that
// serialises migrations; the second key is a hash of the schema the tables
// live in, so that projects in separate schemas of one database do not wait
// for each other.
const migrationLock = 0x77786d67 // "wxmg"

// Postgres is a Store kept in a PostgreSQL database, used through a pool of
// connections. It is safe for concurrent use, and any number of processes
// (replicas of the server) may share one database: every read-check-write
// is a single statement or a transaction, so no process keeps state that
// another could make stale.
//
// A context that ends while a statement runs cancels the statement on the
// server, so a write that is still waiting (for a row lock, say) is
// abandoned, not applied later; the call returns the context's error. The
// one exception: when the server does not answer the cancel request within
// a second (overloaded or unreachable), the connection is dropped instead,
// and a statement still waiting on the server may complete after the call
// has failed. Callers that must know should read the data back, or write
// with ifVersion so that a retry cannot apply twice.
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Store = (*Postgres)(nil)

// Open connects to the PostgreSQL database at dsn, as OpenPostgres does.
func Open(ctx context.Context, dsn string, log *slog.Logger) (Store, error) {
	p, err := OpenPostgres(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// OpenPostgres connects to the PostgreSQL database at dsn and applies any
// schema migrations it has not seen yet.
//
// dsn is a URL (postgres://user:password@host:5432/dbname?sslmode=require)
// or a keyword/value string (host=... dbname=...), as pgx accepts them; the
// pool is tuned with pool_max_conns and the like, and the tables live in the
// first schema of search_path (public unless search_path is set). log may be
// nil.
func OpenPostgres(ctx context.Context, dsn string, log *slog.Logger) (*Postgres, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(dsn) == "" {
		return nil, errors.New("store: empty database URL: use a PostgreSQL URL such as postgres://user:password@localhost:5432/dbname")
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx leaves passwords out of its parse errors.
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	// When a context ends during a statement, ask the server to cancel the
	// statement, and drop the connection only if the server has not answered
	// within a second. pgx's default drops the connection at once, which
	// leaves a statement waiting for a lock to go on running on the server,
	// so a write the caller saw fail could still be applied later.
	cfg.ConnConfig.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, ctxError(ctx, "connect", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, ctxError(ctx, "connect", err)
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	applied, err := migratePostgres(ctx, pool, migrations, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	log.InfoContext(ctx, "store: connected to PostgreSQL", "migrations_applied", applied,
		"max_conns", cfg.MaxConns)
	return &Postgres{pool: pool}, nil
}

// migratePostgres applies, in version order, each migration in fsys that
// schema_migrations does not list yet, and returns how many it applied.
//
// Each migration runs in its own transaction together with its
// schema_migrations row, after taking a transaction-scoped advisory lock:
// when several replicas start at once, one applies the migration while the
// others wait for the lock, then find it listed and apply nothing. The lock
// is released by the commit or the rollback, even when the process dies.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, log *slog.Logger) (int, error) {
	migrations, err := loadMigrations(fsys)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	applied := 0
	for _, m := range migrations {
		ok, err := applyPostgresMigration(ctx, pool, m)
		if err != nil {
			return applied, ctxError(ctx, "migration "+m.name, err)
		}
		if ok {
			applied++
			log.InfoContext(ctx, "store: migration applied", "version", m.version, "name", m.name)
		}
	}
	return applied, nil
}

// applyPostgresMigration applies m unless it has been applied already, and
// reports whether it did.
func applyPostgresMigration(ctx context.Context, pool *pgxpool.Pool, m migration) (applied bool, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx) // does nothing after Commit

	// coalesce: with no usable schema in search_path, current_schema() is
	// NULL; the lock is then taken on "" and CREATE TABLE reports the problem.
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
	// Without arguments, Exec uses the simple protocol, which runs every
	// statement of the file.
	if _, err := tx.Exec(ctx, m.sql); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// Settings implements Store.
func (p *Postgres) Settings(ctx context.Context, instanceID string) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	const q = `SELECT doc, version, updated_at FROM settings WHERE instance_id = $1`
	var (
		doc       string
		st        Settings
		updatedAt string
	)
	err := p.pool.QueryRow(ctx, q, instanceID).Scan(&doc, &st.Version, &updatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, ErrNotFound
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "get settings", err)
	}
	st.Doc = json.RawMessage(doc)
	if st.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return Settings{}, fmt.Errorf("store: get settings: %w", err)
	}
	return st, nil
}

// PutSettings implements Store. Each case is a single statement, so the
// version check and the write cannot be separated by another writer, in
// this process or in another replica: PostgreSQL locks the row, and a
// conditional UPDATE that waited for another writer checks the version the
// other writer left.
func (p *Postgres) PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	if err := checkDoc(doc); err != nil {
		return Settings{}, err
	}
	if ifVersion < 0 {
		return Settings{}, fmt.Errorf("%w: negative ifVersion %d", ErrInvalid, ifVersion)
	}
	st := Settings{UpdatedAt: time.Now().UTC()}
	var row pgx.Row
	if ifVersion == 0 {
		const q = `INSERT INTO settings AS s (instance_id, doc, version, updated_at)
			VALUES ($1, $2, 1, $3)
			ON CONFLICT (instance_id) DO UPDATE SET
				doc = excluded.doc,
				version = s.version + 1,
				updated_at = excluded.updated_at
			RETURNING version`
		row = p.pool.QueryRow(ctx, q, instanceID, string(doc), formatTime(st.UpdatedAt))
	} else {
		const q = `UPDATE settings SET doc = $1, version = version + 1, updated_at = $2
			WHERE instance_id = $3 AND version = $4
			RETURNING version`
		row = p.pool.QueryRow(ctx, q, string(doc), formatTime(st.UpdatedAt), instanceID, ifVersion)
	}
	err := row.Scan(&st.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return Settings{}, ErrConflict
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "put settings", err)
	}
	st.Doc = bytes.Clone(doc)
	return st, nil
}

// Ping implements Store: it runs an empty statement on a pooled connection,
// so it fails when the database cannot be reached.
func (p *Postgres) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
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
