package store

import (
	"slices"
	"testing"
	"testing/fstest"
)

// These tests cover the migration files the SQL stores share.

func TestEmbeddedMigrations(t *testing.T) {
	t.Parallel()
	migrations, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) == 0 || migrations[0].name != "0001_init.sql" {
		t.Fatalf("embedded migrations start with %+v, want 0001_init.sql", migrations)
	}
	for i, m := range migrations {
		if m.version != int64(i+1) {
			t.Errorf("migration %s has version %d, want %d (no gaps)", m.name, m.version, i+1)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    []string
		want     []int64 // versions in order; nil when an error is expected
		wantName string  // name of the first migration
	}{
		{
			name:     "sorted by number, not by name",
			files:    []string{"10_c.sql", "0002_b.sql", "0001_a.sql", "README.md"},
			want:     []int64{1, 2, 10},
			wantName: "0001_a.sql",
		},
		{name: "no migrations", files: []string{"notes.txt"}, want: []int64{}},
		{name: "no version", files: []string{"init.sql"}},
		{name: "version zero", files: []string{"0000_init.sql"}},
		{name: "negative version", files: []string{"-1_init.sql"}},
		{name: "duplicate version", files: []string{"0001_a.sql", "1_b.sql"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys[f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			got, err := loadMigrations(fsys)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("loadMigrations succeeded with %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			versions := make([]int64, 0, len(got))
			for _, m := range got {
				versions = append(versions, m.version)
			}
			if !slices.Equal(versions, tt.want) {
				t.Errorf("versions = %v, want %v", versions, tt.want)
			}
			if tt.wantName != "" && got[0].name != tt.wantName {
				t.Errorf("first migration = %s, want %s", got[0].name, tt.wantName)
			}
		})
	}
}
