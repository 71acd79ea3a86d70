package generator

import (
	"strings"
	"testing"
)

func TestMergeGoMod(t *testing.T) {
	const base = `module example.com/shop

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/rs/cors v1.11.1
	modernc.org/sqlite v1.62.0
)
`
	tests := []struct {
		name         string
		base         string // "-" for no base
		mine, theirs string
		want         string
	}{
		{
			name: "a dependency the user added next to one the render adds",
			base: base,
			mine: strings.Replace(base, "\tgithub.com/rs/cors v1.11.1\n", "\tgithub.com/google/uuid v1.6.0\n\tgithub.com/rs/cors v1.11.1\n", 1) +
				"\nrequire golang.org/x/text v0.44.0 // indirect\n",
			theirs: strings.Replace(base, "\tgithub.com/rs/cors v1.11.1\n", "\tgithub.com/jackc/pgx/v5 v5.12.0\n\tgithub.com/rs/cors v1.11.1\n", 1),
			want: `module example.com/shop

go 1.26.0

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/google/uuid v1.6.0
	github.com/jackc/pgx/v5 v5.12.0
	github.com/rs/cors v1.11.1
	modernc.org/sqlite v1.62.0
)

require golang.org/x/text v0.44.0 // indirect
`,
		},
		{
			name:   "the higher version wins, either way",
			base:   base,
			mine:   strings.Replace(base, "modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.70.0", 1),
			theirs: strings.NewReplacer("modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.65.0", "github.com/rs/cors v1.11.1", "github.com/rs/cors v1.12.0").Replace(base),
			want:   strings.NewReplacer("modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.70.0", "github.com/rs/cors v1.11.1", "github.com/rs/cors v1.12.0").Replace(base),
		},
		{
			name:   "a requirement the render drops goes, unless the user changed it",
			base:   base,
			mine:   strings.Replace(base, "modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.63.0", 1),
			theirs: strings.NewReplacer("\tgithub.com/go-chi/chi/v5 v5.5.0\n", "", "\tmodernc.org/sqlite v1.62.0\n", "").Replace(base),
			want:   strings.NewReplacer("\tgithub.com/go-chi/chi/v5 v5.5.0\n", "", "modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.63.0").Replace(base),
		},
		{
			name:   "without a base nothing is dropped",
			base:   "-",
			mine:   base,
			theirs: strings.Replace(base, "\tgithub.com/go-chi/chi/v5 v5.5.0\n", "", 1),
			want:   base,
		},
		{
			name:   "the higher go and toolchain lines",
			base:   base,
			mine:   strings.Replace(base, "go 1.26.0\n", "go 1.25.0\n\ntoolchain go1.26.2\n", 1),
			theirs: strings.Replace(base, "go 1.26.0\n", "go 1.26.1\n\ntoolchain go1.26.1\n", 1),
			want:   strings.Replace(base, "go 1.26.0\n", "go 1.26.1\n\ntoolchain go1.26.2\n", 1),
		},
		{
			name:   "a go line higher than the render's stays",
			base:   base,
			mine:   strings.Replace(base, "go 1.26.0", "go 1.27", 1),
			theirs: strings.Replace(base, "\tgithub.com/rs/cors v1.11.1\n", "\tgithub.com/rs/cors v1.11.2\n", 1),
			want:   strings.NewReplacer("go 1.26.0", "go 1.27", "cors v1.11.1", "cors v1.11.2").Replace(base),
		},
		{
			name: "the user's replace, exclude, retract, tool and godebug lines and comments stay",
			base: base,
			mine: "// Our service.\n" + base + `
// Our fork, until upstream merges the fix.
replace github.com/rs/cors => github.com/us/cors v1.11.1-fix

exclude modernc.org/sqlite v1.61.0

retract v0.1.0 // published by mistake

tool golang.org/x/tools/cmd/stringer

godebug default=go1.25
`,
			theirs: strings.Replace(base, "modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.64.0", 1),
			want: "// Our service.\n" + strings.Replace(base, "modernc.org/sqlite v1.62.0", "modernc.org/sqlite v1.64.0", 1) + `
// Our fork, until upstream merges the fix.
replace github.com/rs/cors => github.com/us/cors v1.11.1-fix

exclude modernc.org/sqlite v1.61.0

retract v0.1.0 // published by mistake

tool golang.org/x/tools/cmd/stringer

godebug default=go1.25
`,
		},
		{
			name:   "a replace the render adds is added; one the user changed stays theirs",
			base:   base + "\nreplace example.com/a => example.com/b v1.0.0\n",
			mine:   base + "\nreplace example.com/a => example.com/mine v1.0.0\n",
			theirs: base + "\nreplace example.com/a => example.com/c v1.0.0\n\nreplace example.com/x => ../x\n",
			want:   base + "\nreplace example.com/a => example.com/mine v1.0.0\n\nreplace example.com/x => ../x\n",
		},
		{
			name:   "a replace the render changes follows it when the user left it",
			base:   base + "\nreplace example.com/a => example.com/b v1.0.0\n",
			mine:   base + "\nreplace example.com/a => example.com/b v1.0.0\n",
			theirs: base + "\nreplace example.com/a => example.com/c v1.0.0\n",
			want:   base + "\nreplace example.com/a => example.com/c v1.0.0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b []byte
			if tt.base != "-" {
				b = []byte(tt.base)
			}
			got, err := mergeGoMod(b, []byte(tt.mine), []byte(tt.theirs))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("merged:\n%s\nwant:\n%s\ndiff:\n%s", got, tt.want, UnifiedDiff("go.mod", []byte(tt.want), got))
			}
			if HasConflictMarkers(got) {
				t.Error("conflict markers in go.mod")
			}
		})
	}
	if _, err := mergeGoMod([]byte(base), []byte("module example.com/shop\n<<<<<<< yours\n"), []byte(base)); err == nil || !strings.Contains(err.Error(), "your go.mod does not parse") {
		t.Errorf("a go.mod that does not parse: %v", err)
	}
}
