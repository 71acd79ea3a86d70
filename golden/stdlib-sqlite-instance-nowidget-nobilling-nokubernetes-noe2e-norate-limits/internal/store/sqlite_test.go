package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

// These tests cover what only the SQLite store has: paths, pragmas, the
// migration runner, the size of the WAL and Ping on a read-only database. The migration files are checked in sql_test.go, and the
// behaviour every Store shares in store_test.go.

// logRecorder is a slog.Handler that keeps the messages it is given.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Message)
	return nil
}

// count returns how many records had message msg.
func (r *logRecorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

const appliedMsg = "store: migration applied"

func mustOpenSQLite(t *testing.T, path string, log *slog.Logger) *SQLite {
	t.Helper()
	s, err := Open(t.Context(), Config{DatabaseURL: path, Logger: log})
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// appliedMigrations returns schema_migrations as version -> applied_at.
func appliedMigrations(t *testing.T, db *sql.DB) map[int64]string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations`)
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	applied := make(map[int64]string)
	for rows.Next() {
		var (
			version int64
			at      string
		)
		if err := rows.Scan(&version, &at); err != nil {
			t.Fatal(err)
		}
		applied[version] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return applied
}

func TestOpenSQLiteMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")

	rec := &logRecorder{}
	first, err := Open(t.Context(), Config{DatabaseURL: path, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	want := len(mustLoadMigrations(t))
	if got := rec.count(appliedMsg); got != want {
		t.Errorf("first open logged %d applied migrations, want %d", got, want)
	}
	before := appliedMigrations(t, first.db)
	if _, err := first.PutSettings(t.Context(), "inst", json.RawMessage(`{"kept":true}`), 0, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	rec = &logRecorder{}
	second := mustOpenSQLite(t, path, slog.New(rec))
	if got := rec.count(appliedMsg); got != 0 {
		t.Errorf("second open logged %d applied migrations, want 0", got)
	}
	after := appliedMigrations(t, second.db)
	if len(after) != want || !maps.Equal(after, before) {
		t.Errorf("schema_migrations after reopening = %v, want unchanged %v", after, before)
	}
	got, err := second.Settings(t.Context(), "inst")
	if err != nil || string(got.Doc) != `{"kept":true}` {
		t.Errorf("settings after reopening: %s, %v", got.Doc, err)
	}
}

// TestOpenSQLiteConcurrently opens one new database from several goroutines
// at once, as several processes starting together would: each migration is
// still applied exactly once.
func TestOpenSQLiteConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	rec := &logRecorder{}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			s, err := Open(t.Context(), Config{DatabaseURL: path, Logger: slog.New(rec)})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if got, want := rec.count(appliedMsg), len(mustLoadMigrations(t)); got != want {
		t.Errorf("%d migrations applied, want %d", got, want)
	}
}

func TestOpenSQLitePragmas(t *testing.T) {
	t.Parallel()
	s := mustOpenSQLite(t, filepath.Join(t.TempDir(), "store.db"), nil)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "5000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
		{"journal_size_limit", "16777216"},
	}
	for _, tt := range tests {
		var got string
		if err := s.db.QueryRowContext(t.Context(), "PRAGMA "+tt.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tt.pragma, err)
		}
		if got != tt.want {
			t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
		}
	}
}

func TestOpenSQLitePaths(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		dsn  string
		file string // the file the database must end up in
	}{
		{
			name: "plain path, missing directories",
			dsn:  filepath.Join(dir, "a", "b", "store.db"),
			file: filepath.Join(dir, "a", "b", "store.db"),
		},
		{
			name: "file URI",
			dsn:  "file:" + filepath.Join(dir, "uri", "store.db"),
			file: filepath.Join(dir, "uri", "store.db"),
		},
		{
			name: "file URI with empty authority",
			dsn:  "file://" + filepath.Join(dir, "authority", "store.db"),
			file: filepath.Join(dir, "authority", "store.db"),
		},
		{
			name: "file URI with localhost",
			dsn:  "file://localhost" + filepath.Join(dir, "localhost", "store.db"),
			file: filepath.Join(dir, "localhost", "store.db"),
		},
		{
			name: "file URI with escapes",
			dsn:  "file:" + filepath.Join(dir, "my%20data", "store.db"),
			file: filepath.Join(dir, "my data", "store.db"),
		},
		{
			name: "plain path with URI characters",
			dsn:  filepath.Join(dir, "we?ird #dir%", "store.db"),
			file: filepath.Join(dir, "we?ird #dir%", "store.db"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), Config{DatabaseURL: tt.dsn})
			if err != nil {
				t.Fatalf("Open(%q): %v", tt.dsn, err)
			}
			if _, err := s.PutSettings(t.Context(), "inst", json.RawMessage(`{}`), 0, time.Time{}); err != nil {
				t.Errorf("PutSettings: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			checkMode(t, tt.file, 0o600)
			checkMode(t, filepath.Dir(tt.file), fs.ModeDir|0o700)
		})
	}
}

func checkMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

// TestOpenSQLiteRelativePath changes the working directory, so it cannot run
// in parallel.
func TestOpenSQLiteRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, dsn := range []string{"data/plain.db", "file:data/uri.db"} {
		s, err := Open(t.Context(), Config{DatabaseURL: dsn})
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"plain.db", "uri.db"} {
		checkMode(t, filepath.Join(dir, "data", name), 0o600)
	}
}

func TestOpenSQLiteRejects(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name string
		dsn  string
	}{
		{"empty", ""},
		{"empty URI", "file:"},
		{"in-memory", ":memory:"},
		{"in-memory URI", "file::memory:"},
		{"query parameters", "file:" + filepath.Join(dir, "q.db") + "?mode=ro"},
		{"fragment", "file:" + filepath.Join(dir, "f.db") + "#x"},
		{"remote host", "file://example.com" + filepath.Join(dir, "h.db")},
		{"bad escape", "file:" + filepath.Join(dir, "%zz.db")},
		{"server URL", "postgres://app:pw@db/shop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), Config{DatabaseURL: tt.dsn})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tt.dsn)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("rejected DSNs created %d files", len(entries))
	}
}

func TestOpenSQLiteCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	s, err := Open(ctx, Config{DatabaseURL: filepath.Join(t.TempDir(), "store.db")})
	if !errors.Is(err, context.Canceled) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestWALStaysBounded writes settings tens of thousands of times and checks
// that the write-ahead log stays small: SQLite checkpoints it only when a
// write statement runs to its end, which database/sql's QueryRow does not do.
func TestWALStaysBounded(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	s := mustOpenSQLite(t, path, nil)
	const (
		writes = 20_000
		limit  = 16 << 20 // journal_size_limit; without checkpoints the WAL passes 70 MiB
	)
	for i := range writes {
		doc := fmt.Appendf(nil, `{"n":%d,"pad":"%0200d"}`, i, i)
		if _, err := s.PutSettings(t.Context(), fmt.Sprintf("inst-%d", i%16), doc, 0, time.Time{}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if i%1000 == 0 {
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}
	}
	info, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("WAL after %d writes: %d bytes", writes, info.Size())
	if info.Size() > limit {
		t.Errorf("after %d writes the WAL is %d bytes, want at most %d", writes, info.Size(), limit)
	}
}

// TestPingFailsWhenWritesFail checks that Ping, which the health check calls,
// fails when the database answers queries but refuses writes (here the
// connection is made read-only, as a full disk or a read-only file would).
func TestPingFailsWhenWritesFail(t *testing.T) {
	t.Parallel()
	s := mustOpenSQLite(t, filepath.Join(t.TempDir(), "store.db"), nil)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	// The store has one connection, so the pragma holds for every call.
	if _, err := s.db.ExecContext(t.Context(), "PRAGMA query_only = ON"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Settings(t.Context(), "inst"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Settings on the read-only connection: err = %v, want ErrNotFound", err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("Ping succeeded although the database takes no writes")
	}
}

func TestOpenEmpty(t *testing.T) {
	t.Parallel()
	if _, err := Open(t.Context(), Config{}); err == nil {
		t.Error("Open with an empty DatabaseURL succeeded")
	}
}

func mustLoadMigrations(t *testing.T) []migration {
	t.Helper()
	migrations, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	return migrations
}

// TestMigrateFailureRollsBack checks that a failing migration leaves neither
// its changes nor its schema_migrations row behind, and that fixing it lets
// the next run apply it, and only it.
func TestMigrateFailureRollsBack(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()

	fsys := fstest.MapFS{
		"0001_one.sql": &fstest.MapFile{Data: []byte("CREATE TABLE one (x INTEGER);")},
		"0002_two.sql": &fstest.MapFile{Data: []byte("CREATE TABLE two (x INTEGER);\nINSERT INTO missing VALUES (1);")},
	}
	rec := &logRecorder{}
	apply := func(ctx context.Context, m migration) (bool, error) { return applyMigration(ctx, db, m) }
	err = migrate(ctx, fsys, slog.New(rec), apply)
	if err == nil || !strings.Contains(err.Error(), "0002_two.sql") {
		t.Fatalf("migrate with a broken migration: err = %v, want an error naming 0002_two.sql", err)
	}
	if got := appliedMigrations(t, db); len(got) != 1 || got[1] == "" {
		t.Errorf("schema_migrations = %v, want only version 1", got)
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'two'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Error("table two exists after its migration failed")
	}

	fsys["0002_two.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE two (x INTEGER);")}
	rec = &logRecorder{}
	if err := migrate(ctx, fsys, slog.New(rec), apply); err != nil {
		t.Fatalf("migrate after the fix: %v", err)
	}
	if got := rec.count(appliedMsg); got != 1 {
		t.Errorf("applied %d migrations after the fix, want 1", got)
	}
	if got := appliedMigrations(t, db); len(got) != 2 {
		t.Errorf("schema_migrations = %v, want versions 1 and 2", got)
	}
}
