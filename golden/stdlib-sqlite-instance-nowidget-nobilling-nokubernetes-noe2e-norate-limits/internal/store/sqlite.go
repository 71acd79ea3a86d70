package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas: readers that do not block the writer (WAL), a wait rather
// than SQLITE_BUSY while another process writes, committed writes that
// survive a crash of the process (not of the machine), a WAL cut back to
// 16 MiB after each checkpoint, and transactions that lock when they begin.
const sqlitePragmas = "_pragma=journal_mode(WAL)" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=journal_size_limit(16777216)" +
	"&_txlock=immediate"

// SQLite is a Store kept in one SQLite database file, through one
// connection: SQLite has one writer at a time, and writers then queue in
// the process instead of on file locks.
type SQLite struct {
	db *sql.DB
	// Prepared once: SQLite takes longer to parse them than to run them.
	getSettings, putSettings, putSettingsIf *sql.Stmt
}

var _ Store = (*SQLite)(nil)

// Open opens (creating when missing) the SQLite database cfg.DatabaseURL
// and applies the schema migrations it has not seen yet. A missing parent
// directory is created with mode 0700, a new database file with mode 0600.
func Open(ctx context.Context, cfg Config) (*SQLite, error) {
	file, err := sqliteFile(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("store: create database directory: %w", err)
	}
	// SQLite gives its -wal and -shm files the mode of the database file:
	// create that private, so the data never becomes readable by others.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: create database file: %w", err)
	}
	f.Close()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?"+sqlitePragmas)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	db.SetMaxOpenConns(1)
	if err := connect(ctx, db); err != nil {
		db.Close()
		return nil, ctxError(ctx, "open "+file, err)
	}
	log := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if err := migrate(ctx, migrationFiles, log, func(ctx context.Context, m migration) (bool, error) {
		return applyMigration(ctx, db, m)
	}); err != nil {
		db.Close()
		return nil, err
	}
	s := &SQLite{db: db}
	for stmt, q := range map[**sql.Stmt]string{&s.getSettings: getSettingsSQL, &s.putSettings: putSettingsSQL, &s.putSettingsIf: putSettingsIfSQL} {
		if *stmt, err = db.PrepareContext(ctx, q); err != nil {
			db.Close()
			return nil, ctxError(ctx, "prepare", err)
		}
	}
	return s, nil
}

// connect opens db's connection, which applies sqlitePragmas. Two processes
// opening a new database both switch it to WAL, and SQLite answers one
// SQLITE_BUSY at once while the other does: connect retries for 5 s.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(5 * time.Second)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 250*time.Millisecond) {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// sqliteFile returns the file path named by a plain path or a file: URI.
func sqliteFile(dsn string) (string, error) {
	file := dsn
	if scheme, _, ok := strings.Cut(dsn, "://"); ok && !strings.HasPrefix(dsn, "file:") && !strings.ContainsAny(scheme, `/\`) {
		// postgres://user:password@host/db would otherwise become a
		// directory tree; the value is not repeated, as it may hold a
		// password.
		return "", fmt.Errorf("store: database path is a %s:// URL, not a SQLite file path or file: URI", scheme)
	}
	if strings.HasPrefix(dsn, "file:") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("store: database URI: %w", err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("store: database URI %q: query parameters are not supported", dsn)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("store: database URI %q: remote host %q is not supported", dsn, u.Host)
		}
		file = u.Path
		if u.Opaque != "" { // "file:relative/path.db"
			if file, err = url.PathUnescape(u.Opaque); err != nil {
				return "", fmt.Errorf("store: database URI %q: %w", dsn, err)
			}
		}
	}
	switch {
	case file == "":
		return "", errors.New("store: empty database path")
	case file == ":memory:":
		return "", errors.New("store: in-memory SQLite is not supported; generate the project with the memory store instead")
	}
	return filepath.Clean(file), nil
}

// applyMigration applies m unless schema_migrations lists it, and reports
// whether it did.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil) // takes the write lock: see sqlitePragmas
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // does nothing after Commit

	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at TEXT    NOT NULL
	) STRICT`
	if _, err := tx.ExecContext(ctx, createTable); err != nil {
		return false, err
	}
	var done bool
	err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, m.version).Scan(&done)
	if err != nil || done {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
		m.version, formatTime(time.Now()))
	if err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// queryRow runs a write that returns at most one row into dest, to the end
// of the statement: SQLite checkpoints its WAL only when a statement ends,
// and QueryRow's reset after one row would grow the WAL without bound.
func queryRow(ctx context.Context, stmt *sql.Stmt, args []any, dest ...any) error {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	err = sql.ErrNoRows
	for rows.Next() { // to the end of the statement
		err = rows.Scan(dest...)
	}
	return cmp.Or(rows.Err(), err)
}

// Times are stored as UTC text in a fixed-width RFC 3339 layout, which sorts
// in time order: SQLite has no time type.
const (
	timeLayout = "2006-01-02T15:04:05.000000000Z07:00"
	zeroTime   = "0001-01-01T00:00:00.000000000Z"
)

func formatTime(t time.Time) string { return storedTime(t).Format(timeLayout) }

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// Settings implements Store.
func (s *SQLite) Settings(ctx context.Context, instanceID string) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	var (
		st        Settings
		doc       []byte // Scan copies the column into a new slice
		updatedAt string
	)
	err := s.getSettings.QueryRowContext(ctx, instanceID).Scan(&doc, &st.Version, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, ErrNotFound
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "get settings", err)
	}
	st.Doc = doc
	st.UpdatedAt, err = parseTime(updatedAt)
	return st, err
}

// The settings statements. A write is refused, in the same statement, when
// instance ?1 has a removal at or after ?5, the credential's issue time
// (NULL checks nothing).
const (
	getSettingsSQL = `SELECT doc, version, updated_at FROM settings WHERE instance_id = ?`
	removedClause  = `EXISTS (SELECT 1 FROM instances WHERE id = ?1 AND removed_at >= ?5)`
	putSettingsSQL = `INSERT INTO settings (instance_id, doc, version, updated_at)
		SELECT ?1, ?2, 1, ?3 WHERE NOT ` + removedClause + `
		ON CONFLICT (instance_id) DO UPDATE SET
			doc = excluded.doc, version = settings.version + 1, updated_at = excluded.updated_at
		RETURNING version`
	putSettingsIfSQL = `UPDATE settings SET doc = ?2, version = version + 1, updated_at = ?3
		WHERE instance_id = ?1 AND version = ?4 AND NOT ` + removedClause + `
		RETURNING version`
)

// PutSettings implements Store.
func (s *SQLite) PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64, issuedAt time.Time) (Settings, error) {
	if err := checkPut(instanceID, doc, ifVersion, issuedAt); err != nil {
		return Settings{}, err
	}
	st := Settings{UpdatedAt: storedTime(time.Now())}
	var issued any // NULL: no removal check
	if !issuedAt.IsZero() {
		issued = formatTime(issuedAt)
	}
	args := []any{instanceID, string(doc), formatTime(st.UpdatedAt), ifVersion, issued}
	stmt := s.putSettings
	if ifVersion != 0 {
		stmt = s.putSettingsIf
	}
	err := queryRow(ctx, stmt, args, &st.Version)
	if errors.Is(err, sql.ErrNoRows) { // refused: removed, or (with ifVersion) a conflict
		if ifVersion == 0 {
			return Settings{}, ErrRemoved
		}
		var removed bool
		if err := s.db.QueryRowContext(ctx, `SELECT `+removedClause, args...).Scan(&removed); err != nil {
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

// Ping implements Store: it writes the one row of health_check.
func (s *SQLite) Ping(ctx context.Context) error {
	const q = `INSERT INTO health_check (id, checked_at) VALUES (1, ?)
		ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`
	if _, err := s.db.ExecContext(ctx, q, formatTime(time.Now())); err != nil {
		return ctxError(ctx, "ping", err)
	}
	return nil
}

// Close implements Store. It waits for running queries to finish.
func (s *SQLite) Close() error { return s.db.Close() }
