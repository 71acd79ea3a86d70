package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas configures every connection: write-ahead logging so readers
// do not block the writer, a busy timeout instead of immediate SQLITE_BUSY
// errors when another process holds the lock, and transactions that take the
// write lock when they begin, so a read-then-write transaction cannot fail
// halfway when another process writes first.
const sqlitePragmas = "_pragma=journal_mode(WAL)" +
	"&_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_txlock=immediate"

// SQLite is a Store kept in a single SQLite database file. It is safe for
// concurrent use.
//
// It uses one database connection: SQLite allows one writer at a time, and a
// single connection serialises writers inside the process instead of making
// them wait on file locks.
type SQLite struct {
	db *sql.DB
}

var _ Store = (*SQLite)(nil)

// Open opens the SQLite database at dsn, as OpenSQLite does.
func Open(ctx context.Context, dsn string, log *slog.Logger) (Store, error) {
	s, err := OpenSQLite(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenSQLite opens (creating when missing) the SQLite database at path and
// applies any schema migrations it has not seen yet.
//
// path is a file path ("data/shop.db") or a file: URI ("file:data/shop.db",
// "file:///var/lib/shop/shop.db") without query parameters; the connection
// settings are fixed by this package. A missing parent directory is created
// with mode 0700 and a new database file with mode 0600. log may be nil.
func OpenSQLite(ctx context.Context, path string, log *slog.Logger) (*SQLite, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	file, err := sqliteFile(path)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("store: create database directory: %w", err)
	}
	if err := createPrivateFile(file); err != nil {
		return nil, fmt.Errorf("store: create database file: %w", err)
	}

	dsn := "file:" + (&url.URL{Path: file}).EscapedPath() + "?" + sqlitePragmas
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	db.SetMaxOpenConns(1)
	if err := connect(ctx, db); err != nil {
		db.Close()
		return nil, ctxError(ctx, "open "+file, err)
	}
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	if err := migrate(ctx, db, migrations, log); err != nil {
		db.Close()
		return nil, err
	}
	return &SQLite{db: db}, nil
}

// connect opens db's connection, which applies sqlitePragmas. When two
// processes open a new database at once, both switch it to WAL, and SQLite
// answers one of them SQLITE_BUSY at once instead of calling the busy
// handler (waiting could deadlock); the other completes the switch, so a
// retry succeeds. connect retries SQLITE_BUSY for as long as busy_timeout
// would wait, then gives up with the error.
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

// createPrivateFile creates file with mode 0600 when it does not exist, so
// that SQLite, which gives its -wal and -shm files the database file's mode,
// never makes the data readable by other users.
func createPrivateFile(file string) error {
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Close()
}

// migrate applies, in version order, each migration in fsys that
// schema_migrations does not list yet. Each migration runs in its own
// transaction together with its schema_migrations row, so it is applied
// completely and exactly once, even when two processes start together.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS, log *slog.Logger) error {
	migrations, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	const createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at TEXT    NOT NULL
	) STRICT`
	if _, err := db.ExecContext(ctx, createTable); err != nil {
		return ctxError(ctx, "create schema_migrations", err)
	}
	for _, m := range migrations {
		applied, err := applyMigration(ctx, db, m)
		if err != nil {
			return ctxError(ctx, "migration "+m.name, err)
		}
		if applied {
			log.InfoContext(ctx, "store: migration applied", "version", m.version, "name", m.name)
		}
	}
	return nil
}

// applyMigration applies m unless it has been applied already, and reports
// whether it did.
func applyMigration(ctx context.Context, db *sql.DB, m migration) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback() // does nothing after Commit

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

// Settings implements Store.
func (s *SQLite) Settings(ctx context.Context, instanceID string) (Settings, error) {
	if err := checkID(instanceID); err != nil {
		return Settings{}, err
	}
	const q = `SELECT doc, version, updated_at FROM settings WHERE instance_id = ?`
	var (
		doc       []byte // Scan copies the column into a new slice
		st        Settings
		updatedAt string
	)
	err := s.db.QueryRowContext(ctx, q, instanceID).Scan(&doc, &st.Version, &updatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, ErrNotFound
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "get settings", err)
	}
	st.Doc = doc
	if st.UpdatedAt, err = parseTime(updatedAt); err != nil {
		return Settings{}, fmt.Errorf("store: get settings: %w", err)
	}
	return st, nil
}

// PutSettings implements Store. Each case is a single statement, so the
// version check and the write cannot be separated by another writer.
func (s *SQLite) PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64) (Settings, error) {
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
	var row *sql.Row
	if ifVersion == 0 {
		const q = `INSERT INTO settings (instance_id, doc, version, updated_at)
			VALUES (?, ?, 1, ?)
			ON CONFLICT (instance_id) DO UPDATE SET
				doc = excluded.doc,
				version = settings.version + 1,
				updated_at = excluded.updated_at
			RETURNING version`
		row = s.db.QueryRowContext(ctx, q, instanceID, string(doc), formatTime(st.UpdatedAt))
	} else {
		const q = `UPDATE settings SET doc = ?, version = version + 1, updated_at = ?
			WHERE instance_id = ? AND version = ?
			RETURNING version`
		row = s.db.QueryRowContext(ctx, q, string(doc), formatTime(st.UpdatedAt), instanceID, ifVersion)
	}
	err := row.Scan(&st.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return Settings{}, ErrConflict
	}
	if err != nil {
		return Settings{}, ctxError(ctx, "put settings", err)
	}
	st.Doc = bytes.Clone(doc)
	return st, nil
}

// Ping implements Store.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return ctxError(ctx, "ping", err)
	}
	return nil
}

// Close implements Store. It waits for running queries to finish.
func (s *SQLite) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}
