package generator

import (
	"strings"
	"testing"
	"testing/fstest"
)

// houseOverlay is a team's overlay of miniTree: it replaces main.go's
// template, adds a file and removes webhooks.txt.
func houseOverlay() fstest.MapFS {
	return fstest.MapFS{
		"files.yaml": {Data: []byte(`files:
  - {template: LICENSE.tmpl, class: scaffolded}
  - {path: webhooks.txt, remove: true}
`)},
		"project/LICENSE.tmpl":   {Data: []byte("Copyright {{.Name | upper}} team\n")},
		"project/main.go.tmpl":   {Data: []byte("// House rules.\npackage main\n\nfunc main() {}\n")},
		"README.md":              {Data: []byte("The house templates; not part of the overlay's content.\n")},
		"project/.keep.txt.tmpl": {Data: []byte("kept {{.Store}}\n")},
	}
}

func newWithOverlay(t *testing.T, o fstest.MapFS) (*Generator, error) {
	t.Helper()
	return New(Config{Templates: miniTree(), Version: "v0.0.0-test", Overlay: &Overlay{FS: o, Dir: "house", Path: "../house"}})
}

func TestOverlay(t *testing.T) {
	o := houseOverlay()
	appendRow(o, "  - {template: .keep.txt.tmpl, class: managed, when: {store: memory}}\n")
	g, err := newWithOverlay(t, o)
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Render(testAnswers())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".wixgen.json", "LICENSE", "go.mod", "main.go", "store/store.go"}
	if got := paths(p); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v (LICENSE added, webhooks.txt removed, .keep.txt only for memory)", got, want)
	}
	if got := fileData(t, p, "main.go"); got != "// House rules.\npackage main\n\nfunc main() {}\n" {
		t.Errorf("main.go is not the overlay's: %q", got)
	}
	if got := fileData(t, p, "LICENSE"); got != "Copyright SHOP team\n" {
		t.Errorf("LICENSE = %q", got)
	}
	m, err := ParseManifest([]byte(fileData(t, p, ManifestFile)))
	if err != nil {
		t.Fatal(err)
	}
	sum, _ := OverlayHash(o)
	if m.Templates == nil || m.Templates.Path != "../house" || m.Templates.SHA256 != sum || len(sum) != 64 {
		t.Errorf("manifest records the overlay as %+v, want path ../house and sha256 %s", m.Templates, sum)
	}

	// The hash follows the overlay's templates and table, not its other files.
	o["README.md"] = &fstest.MapFile{Data: []byte("changed")}
	if again, _ := OverlayHash(o); again != sum {
		t.Error("the hash changed with the overlay's README")
	}
	o["project/LICENSE.tmpl"] = &fstest.MapFile{Data: []byte("Copyright {{.Name}}\n")}
	if again, _ := OverlayHash(o); again == sum {
		t.Error("the hash did not change with a template")
	}

	// Without the overlay, nothing of it.
	plain, _ := mustNew(t, miniTree()).Render(testAnswers())
	if strings.Contains(fileData(t, plain, ManifestFile), `"templates"`) {
		t.Error("a manifest without an overlay records one")
	}
}

func TestOverlayErrorsNameItsFile(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(fstest.MapFS)
		wantErr string
	}{
		{"template without a row", func(o fstest.MapFS) { o["project/extra.go.tmpl"] = &fstest.MapFile{Data: []byte("package x\n")} },
			"house/files.yaml: templates without a row: house/project/.keep.txt.tmpl, house/project/extra.go.tmpl"},
		{"row for one of wixgen's templates", func(o fstest.MapFS) { appendRow(o, "  - {template: main.go.tmpl, class: managed}\n") },
			"house/files.yaml: row 3 (main.go.tmpl): wixgen's files.yaml already has a row: to replace the template, put yours at project/main.go.tmpl with no row"},
		{"remove a path wixgen does not write", func(o fstest.MapFS) { appendRow(o, "  - {path: .dockerignore, remove: true}\n") },
			`house/files.yaml: row 3: remove ".dockerignore": wixgen writes no file there; paths it writes: go.mod, main.go, store/store.go, webhooks.txt`},
		{"remove row with more than a path", func(o fstest.MapFS) { appendRow(o, "  - {path: go.mod, remove: true, class: managed}\n") },
			"house/files.yaml: row 3: a remove row has only a path"},
		{"unknown condition", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed, when: {colour: red}}\n")
		},
			`house/files.yaml: row 3 (.keep.txt.tmpl): condition on "colour": conditions may name router, store, auth, widget, webhooks, billing, docker, ci, kubernetes, e2e, rate-limits, or a trait`},
		{"unknown condition value", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed, when: {store: mongo}}\n")
		},
			"house/files.yaml: row 3 (.keep.txt.tmpl): condition store=mongo: valid values are sqlite, memory, postgres"},
		{"unknown field", func(o fstest.MapFS) { appendRow(o, "  - {template: .keep.txt.tmpl, class: managed, owner: us}\n") },
			`house/files.yaml: json: unknown field "owner"`},
		{"row for a template it lacks", func(o fstest.MapFS) { appendRow(o, "  - {template: gone.tmpl, class: managed}\n") },
			"house/files.yaml: row 3 (gone.tmpl): no such template under house/project; its templates are: .keep.txt.tmpl, LICENSE.tmpl, main.go.tmpl"},
		{"adds a file where wixgen writes one", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed, path: go.mod}\n")
		}, "house/files.yaml (.keep.txt.tmpl): wixgen's go.mod.tmpl writes go.mod: remove it first with {path: go.mod, remove: true}"},
		{"replaces a template it removes", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed}\n  - {path: main.go, remove: true}\n")
		}, "house/project/main.go.tmpl replaces the template of main.go, which house/files.yaml removes"},
		{"template syntax error", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed}\n")
			o["project/LICENSE.tmpl"] = &fstest.MapFile{Data: []byte("{{if}}")}
		}, "parse template LICENSE.tmpl (house/project/LICENSE.tmpl)"},
		{"not a template", func(o fstest.MapFS) { o["project/notes.md"] = &fstest.MapFile{Data: []byte("x")} },
			"overlay house: list templates: template tree: project/notes.md does not end in .tmpl"},
		{"empty", func(o fstest.MapFS) {
			for k := range o {
				delete(o, k)
			}
			o["README.md"] = &fstest.MapFile{Data: []byte("x")}
		}, "overlay house holds neither files.yaml nor templates under project/"},
		{"clock function", func(o fstest.MapFS) {
			appendRow(o, "  - {template: .keep.txt.tmpl, class: managed}\n")
			o["project/LICENSE.tmpl"] = &fstest.MapFile{Data: []byte("{{now}}")}
		}, `parse template LICENSE.tmpl (house/project/LICENSE.tmpl): template: LICENSE.tmpl:1: function "now" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := houseOverlay()
			tt.edit(o)
			_, err := newWithOverlay(t, o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v\nwant one containing %q", err, tt.wantErr)
			}
		})
	}

	// A render error names the overlay's file too.
	o := houseOverlay()
	appendRow(o, "  - {template: .keep.txt.tmpl, class: managed}\n")
	o["project/LICENSE.tmpl"] = &fstest.MapFile{Data: []byte("{{.Colour}}")}
	g, err := newWithOverlay(t, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Render(testAnswers()); err == nil || !strings.Contains(err.Error(), "render LICENSE.tmpl (house/project/LICENSE.tmpl)") {
		t.Errorf("render error %v, want it to name the overlay's file", err)
	}
}
