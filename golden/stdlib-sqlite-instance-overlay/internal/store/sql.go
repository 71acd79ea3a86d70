// This file holds what the SQL stores share: the embedded migrations and
// the way times are stored.

package store

import (
	"cmp"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrationFiles holds the schema migrations. Each file is named
// <version>_<description>.sql and is applied once, in version order.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

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
		migrations = append(migrations, migration{version: version, name: path.Base(name), sql: string(text)})
	}
	slices.SortFunc(migrations, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	for i := 1; i < len(migrations); i++ {
		if migrations[i].version == migrations[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", migrations[i-1].name, migrations[i].name)
		}
	}
	return migrations, nil
}

// timeLayout is RFC 3339 with a fixed number of fractional digits. Stored in
// UTC, its text sorts in time order, so SQL can compare times as strings.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// formatTime renders t for storage; see timeLayout.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTime reads a time written by formatTime.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}
