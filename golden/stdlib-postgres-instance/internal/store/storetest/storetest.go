// Package storetest opens stores for tests.
package storetest

import (
	"context"
	"crypto/rand"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"example.com/shop/internal/store"
)

// EnvVar names the variable that points the tests at a PostgreSQL server:
// a database in which they may create and drop schemas, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvVar = "TEST_DATABASE_URL"

// setupTimeout bounds creating and dropping a test schema.
const setupTimeout = 30 * time.Second

// Open connects to a new, empty schema of the TEST_DATABASE_URL database
// (see DatabaseURL), with all migrations applied, and closes the store when
// the test ends. Stores from separate calls share nothing. It skips the test
// when TEST_DATABASE_URL is unset.
// edits change the store's Config.
func Open(t testing.TB, edits ...func(*store.Config)) store.Store {
	t.Helper()
	dsn := DatabaseURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	cfg := store.Config{DatabaseURL: dsn}
	for _, edit := range edits {
		edit(&cfg)
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("storetest: open PostgreSQL store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("storetest: close PostgreSQL store: %v", err)
		}
	})
	return st
}

// DatabaseURL creates a schema with a random name in the TEST_DATABASE_URL
// database and returns TEST_DATABASE_URL with search_path set to it, so that
// whatever connects with it works in that schema alone. The schema and
// everything in it are dropped when the test ends (after the cleanups
// registered later, such as closing a store).
//
// When TEST_DATABASE_URL is unset the test is skipped, with a message saying
// how to run it.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	base := strings.TrimSpace(os.Getenv(EnvVar))
	if base == "" {
		t.Skipf("storetest: %s is not set, so this PostgreSQL test cannot run; "+
			"set it to a database the tests may create schemas in, such as "+
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", EnvVar)
	}
	schema := "storetest_" + strings.ToLower(rand.Text())
	ident := pgx.Identifier{schema}.Sanitize()
	if err := execOnce(base, "CREATE SCHEMA "+ident); err != nil {
		t.Fatalf("storetest: create schema in %s: %v", EnvVar, err)
	}
	t.Cleanup(func() {
		if err := execOnce(base, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("storetest: %s: %v", EnvVar, err)
	}
	return dsn
}

// execOnce runs one statement on a connection of its own.
func execOnce(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withSearchPath sets search_path in a URL or keyword/value connection
// string; pgx sends it to the server when each connection starts.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		// A later keyword overrides an earlier one.
		return dsn + " search_path=" + schema, nil
	}
	u, err := url.Parse(dsn)
	if err != nil {
		// url's errors quote the URL, password included.
		return "", errors.New("not a valid postgres:// URL")
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
