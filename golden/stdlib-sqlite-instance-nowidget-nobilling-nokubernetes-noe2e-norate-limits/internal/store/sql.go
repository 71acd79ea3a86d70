// This file holds what the SQL stores share: the schema migrations.

package store

import (
	"cmp"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var embedded embed.FS

// migrationFiles holds the schema migrations, named <version>_<what>.sql.
// (fs.Sub cannot fail on a directory the embed pattern names.)
var migrationFiles, _ = fs.Sub(embedded, "migrations")

// migration is one schema change from the migrations directory.
type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads the *.sql files at the root of fsys, sorted by the
// version number that starts each name.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	migrations := make([]migration, 0, len(names))
	for _, name := range names {
		prefix, _, _ := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		version, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive version number", name)
		}
		text, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		migrations = append(migrations, migration{version: version, name: name, sql: string(text)})
	}
	slices.SortFunc(migrations, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].version == migrations[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", migrations[i-1].name, migrations[i].name)
		}
	}
	return migrations, nil
}

// migrate applies, in version order, each migration in fsys that
// schema_migrations does not list yet. apply runs one in a transaction with
// its schema_migrations row, and reports whether it applied it (another
// process may have), so each applies wholly and once.
func migrate(ctx context.Context, fsys fs.FS, log *slog.Logger, apply func(context.Context, migration) (bool, error)) error {
	migrations, err := loadMigrations(fsys)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, m := range migrations {
		applied, err := apply(ctx, m)
		if err != nil {
			return ctxError(ctx, "migration "+m.name, err)
		}
		if applied {
			log.InfoContext(ctx, "store: migration applied", "version", m.version, "name", m.name)
		}
	}
	return nil
}
