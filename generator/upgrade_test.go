package generator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wixgen/wixgen/generator"
	"github.com/wixgen/wixgen/internal/treetest"
	"github.com/wixgen/wixgen/templates"
)

// templateEdit changes one template of the real tree: Old must occur in it
// exactly once.
type templateEdit struct{ template, old, new string }

// v2Edits are the changes a newer wixgen makes to existing templates.
var v2Edits = []templateEdit{
	// A scaffolded file the user adds a handler to: merges cleanly.
	{"internal/api/handlers_nethttp.go.tmpl",
		"// writeError answers err as JSON with its status.",
		"// writeError answers err as JSON with its status (see asAPIError\n// for the status of each kind of failure)."},
	// A scaffolded file the user edits on the same line: a conflict.
	{"README.md.tmpl",
		"The backend of a Wix app, in Go. It accepts",
		"The backend of a Wix app, written in Go. It accepts"},
	// A managed file the user leaves alone: replaced.
	{"internal/cors/cors.go.tmpl",
		"// maxAge is how long, in seconds, browsers may cache a preflight answer.\n",
		"// maxAge is how long, in seconds, browsers may cache a preflight answer.\n// Browsers cap it: Chromium at 7200 seconds.\n"},
	// A managed file the user edits: kept, or replaced with --force.
	{"internal/wix/retry.go.tmpl",
		"// backoff returns the delay before retry number retry (0 for the first\n",
		"// backoff returns the delay, well under the time a user waits for a\n// dashboard page, before retry number retry (0 for the first\n"},
	// A scaffolded file the user deletes: stays deleted.
	{".env.example.tmpl",
		"# Minimum log level: debug, info, warn or error.",
		"# Minimum log level: debug, info, warn or error (default: info)."},
}

// v2Removed are templates the newer wixgen no longer has.
var v2Removed = []string{
	"internal/wixauth/testdata/fuzz/FuzzParseInstance/garbage.tmpl", // untouched by the user: deleted
	"internal/wixauth/testdata/fuzz/FuzzParseInstance/padded.tmpl",  // edited by the user: kept
}

// v2Added are the rows of the templates under testdata/v2/project.
var v2Added = []string{
	"  - {template: internal/api/version.go.tmpl, class: scaffolded}",
	"  - {template: docs/UPGRADING.md.tmpl, class: scaffolded}",
}

// v2Templates is the real template tree changed as a newer wixgen would
// change it (see testdata/v2/README.md).
func v2Templates(t testing.TB) fs.FS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(templates.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(templates.FS(), p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range v2Edits {
		f := m[path.Join(generator.ProjectDir, e.template)]
		if f == nil || strings.Count(string(f.Data), e.old) != 1 {
			t.Fatalf("v2 edit of %s: the template no longer holds %q exactly once; update v2Edits", e.template, e.old)
		}
		f.Data = []byte(strings.Replace(string(f.Data), e.old, e.new, 1))
	}
	table := string(m[generator.TableFile].Data)
	for _, tmpl := range v2Removed {
		delete(m, path.Join(generator.ProjectDir, tmpl))
		// The row is the whole line naming the template, whatever its
		// class and conditions.
		prefix := "  - {template: " + tmpl + ","
		if strings.Count(table, prefix) != 1 {
			t.Fatalf("v2: files.yaml has no single row for %s; update v2Removed", tmpl)
		}
		start := strings.Index(table, prefix)
		end := start + strings.IndexByte(table[start:], '\n') + 1
		table = table[:start] + table[end:]
	}
	table += strings.Join(v2Added, "\n") + "\n"
	m[generator.TableFile] = &fstest.MapFile{Data: []byte(table)}
	err = fs.WalkDir(os.DirFS("testdata/v2"), generator.ProjectDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(filepath.Join("testdata/v2", p))
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func generatorFor(t testing.TB, fsys fs.FS, version string) *generator.Generator {
	t.Helper()
	g, err := generator.New(generator.Config{Templates: fsys, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// userEdit is what a user does to a generated project.
type userEdit struct {
	path string
	// One of: replace old by new; write data (new file or whole
	// rewrite); remove the file.
	old, new string
	data     string
	remove   bool
}

// userEdits are the months of work on a project between v1 and v2.
var userEdits = []userEdit{
	// A handler added at the end of a scaffolded file.
	{path: "internal/api/handlers.go", data: "\n// ping answers the dashboard's liveness probe.\n" +
		"func (h *handlers) ping(w http.ResponseWriter, r *http.Request) {\n" +
		"\thttpjson.Write(w, http.StatusOK, map[string]string{\"ping\": \"pong\"})\n}\n"},
	// The same line v2 changes.
	{path: "README.md", old: "The backend of a Wix app, in Go.", new: "The backend of the Shop app, in Go."},
	// A managed file touched.
	{path: "internal/wix/retry.go", old: "// sleep waits for d, or returns ctx.Err() when ctx is done first.",
		new: "// sleep waits for d, or returns ctx.Err() when ctx is done first; ours."},
	// A scaffolded file deleted.
	{path: ".env.example", remove: true},
	// A file v2 stops generating, edited.
	{path: "internal/wixauth/testdata/fuzz/FuzzParseInstance/padded", data: "go test fuzz v1\nstring(\"mine\")\n[]byte(\"{}\")\n"},
	// A file of the user's where v2 puts a new (scaffolded) one: merged
	// against an empty base, a conflict.
	{path: "docs/UPGRADING.md", data: "# Our upgrade checklist\n"},
	// A file of the user's own.
	{path: "internal/api/extra.go", data: "package api\n\n// extra is the user's own.\nconst extra = 1\n"},
	// A scaffolded file v2 does not change, edited.
	{path: "cmd/server/main.go", old: "package main\n", new: "package main\n\n// Edited by the team.\n"},
}

// apply does the edits to the project in dir, returning the expected
// content of each edited file given its render.
func applyEdits(t *testing.T, dir string, edits []userEdit) {
	t.Helper()
	for _, e := range edits {
		full := filepath.Join(dir, filepath.FromSlash(e.path))
		switch {
		case e.remove:
			if err := os.Remove(full); err != nil {
				t.Fatal(err)
			}
		case e.old != "":
			data, err := os.ReadFile(full)
			if err != nil || strings.Count(string(data), e.old) != 1 {
				t.Fatalf("edit %s: %q is not in the file once (%v)", e.path, e.old, err)
			}
			os.WriteFile(full, []byte(strings.Replace(string(data), e.old, e.new, 1)), 0o644)
		case strings.HasSuffix(e.path, ".go") && fileExists(full):
			data, _ := os.ReadFile(full)
			os.WriteFile(full, append(data, e.data...), 0o644)
		default:
			os.MkdirAll(filepath.Dir(full), 0o755)
			os.WriteFile(full, []byte(e.data), 0o644)
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// upgradeAnswers is the project of the upgrade tests: the memory store
// keeps building it quick.
func upgradeAnswers() generator.Answers {
	a := generator.DefaultAnswers("shop")
	a.Store = "memory"
	return a
}

// generateV1 writes the project with the real templates and makes the
// user's edits.
func generateV1(t *testing.T, a generator.Answers) (dir string, v1 *generator.Project) {
	t.Helper()
	g1 := generatorFor(t, templates.FS(), "v1-test")
	v1, err := g1.Render(a)
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(t.TempDir(), "shop")
	if err := generator.Write(context.Background(), dir, v1); err != nil {
		t.Fatal(err)
	}
	applyEdits(t, dir, userEdits)
	return dir, v1
}

func fileOf(t *testing.T, p *generator.Project, rel string) string {
	t.Helper()
	for _, f := range p.Files {
		if f.Path == rel {
			return string(f.Data)
		}
	}
	t.Fatalf("the render has no %s", rel)
	return ""
}

type planned struct {
	Path     string
	Action   generator.Action
	Conflict bool
}

func summary(p *generator.UpgradePlan) []planned {
	var out []planned
	for _, c := range p.Changes {
		out = append(out, planned{c.Path, c.Action, c.Conflict})
	}
	return out
}

func planUpgrade(t *testing.T, g *generator.Generator, dir string, set map[string]string, opts generator.UpgradeOptions) *generator.UpgradePlan {
	t.Helper()
	m, err := generator.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := m.Answers
	for k, v := range set {
		o, _ := generator.LookupOption(k)
		if err := o.Set(&a, v); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := g.PlanUpgrade(dir, m, a, opts)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestUpgrade generates a project with the real templates, edits it as a
// user would, upgrades it to the v2 templates and checks every file of
// the tree byte for byte, then that upgrading again changes nothing.
func TestUpgrade(t *testing.T) {
	for _, force := range []bool{false, true} {
		t.Run(fmt.Sprintf("force=%v", force), func(t *testing.T) {
			dir, v1 := generateV1(t, upgradeAnswers())
			g2 := generatorFor(t, v2Templates(t), "v2-test")
			v2, err := g2.Render(upgradeAnswers())
			if err != nil {
				t.Fatal(err)
			}
			before, _ := treetest.Read(dir)

			plan := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{Force: force})
			retryAction := generator.ActionKeep
			if force {
				retryAction = generator.ActionReplace
			}
			want := []planned{
				{".env.example", generator.ActionKeep, false},
				{"README.md", generator.ActionMerge, true},
				{"docs/UPGRADING.md", generator.ActionMerge, true}, // the user's file where v2 adds one
				{"internal/api/handlers.go", generator.ActionMerge, false},
				{"internal/api/version.go", generator.ActionCreate, false},
				{"internal/cors/cors.go", generator.ActionUpdate, false},
				{"internal/wix/retry.go", retryAction, false},
				{"internal/wixauth/testdata/fuzz/FuzzParseInstance/garbage", generator.ActionDelete, false},
				{"internal/wixauth/testdata/fuzz/FuzzParseInstance/padded", generator.ActionKeep, false},
			}
			if force {
				want[2] = planned{"docs/UPGRADING.md", generator.ActionReplace, false}
			}
			if got := summary(plan); !reflect.DeepEqual(got, want) {
				t.Errorf("plan:\n%v\nwant:\n%v", got, want)
			}
			if after, _ := treetest.Read(dir); !reflect.DeepEqual(before, after) {
				t.Fatal("planning changed the project")
			}
			if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
				t.Fatal(err)
			}

			// The expected tree: the v2 render and its base copies, then
			// every outcome on top.
			wantTree := make(map[string][]byte)
			for _, f := range append(v2.Files, v2.BaseFiles()...) {
				wantTree[f.Path] = f.Data
			}
			userRetry := strings.Replace(fileOf(t, v1, "internal/wix/retry.go"),
				"when ctx is done first.", "when ctx is done first; ours.", 1)
			if force {
				wantTree["internal/wix/retry.go.orig"] = []byte(userRetry)
				wantTree["docs/UPGRADING.md.orig"] = []byte("# Our upgrade checklist\n")
			} else {
				wantTree["internal/wix/retry.go"] = []byte(userRetry)
				wantTree["docs/UPGRADING.md"] = []byte("<<<<<<< yours\n# Our upgrade checklist\n=======\n" +
					string(wantTree["docs/UPGRADING.md"]) + ">>>>>>> wixgen v2-test\n")
			}
			wantTree["internal/api/handlers.go"] = []byte(fileOf(t, v2, "internal/api/handlers.go") + userEdits[0].data)
			wantTree["README.md"] = []byte(strings.Replace(fileOf(t, v1, "README.md"),
				"The backend of a Wix app, in Go. It accepts requests only from the app's own\n",
				"<<<<<<< yours\n"+
					"The backend of the Shop app, in Go. It accepts requests only from the app's own\n"+
					"=======\n"+
					"The backend of a Wix app, written in Go. It accepts requests only from the app's own\n"+
					">>>>>>> wixgen v2-test\n", 1))
			delete(wantTree, ".env.example")
			wantTree["internal/wixauth/testdata/fuzz/FuzzParseInstance/padded"] = []byte(userEdits[4].data)
			wantTree["internal/api/extra.go"] = []byte(userEdits[6].data)
			wantTree["cmd/server/main.go"] = []byte(strings.Replace(fileOf(t, v1, "cmd/server/main.go"), "package main\n", "package main\n\n// Edited by the team.\n", 1))
			// The manifest records the files left with conflicts.
			wantTree[generator.ManifestFile] = withConflicts(wantTree[generator.ManifestFile], plan.Conflicts())
			got, _ := treetest.Read(dir)
			compareTrees(t, got, wantTree)

			// Right after an upgrade, another one has nothing to do.
			again := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{Force: force})
			if again.Changed() || len(again.Changes) > 0 {
				t.Errorf("upgrading again: %v, changed %v; want nothing", summary(again), again.Changed())
			}
			// ... but it names the files whose conflicts are unresolved.
			wantUnresolved := []string{"README.md", "docs/UPGRADING.md"}
			if force {
				wantUnresolved = []string{"README.md"}
			}
			if !reflect.DeepEqual(again.Unresolved, wantUnresolved) {
				t.Errorf("unresolved after the upgrade: %v, want %v", again.Unresolved, wantUnresolved)
			}
			if len(plan.Unresolved) != 0 {
				t.Errorf("unresolved before the upgrade: %v, want none", plan.Unresolved)
			}
			if !force {
				// The managed file kept above is replaced by a later
				// upgrade with --force, although the render is the same.
				later := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{Force: true})
				want := []planned{{"internal/wix/retry.go", generator.ActionReplace, false}}
				if got := summary(later); !reflect.DeepEqual(got, want) {
					t.Errorf("a later upgrade with --force: %v, want %v", got, want)
				}
			}
		})
	}
}

// withConflicts is a rendered manifest as an upgrade that left conflicts
// in paths writes it.
func withConflicts(manifest []byte, paths []string) []byte {
	if len(paths) == 0 {
		return manifest
	}
	list := "  \"conflicts\": [\n    \"" + strings.Join(paths, "\",\n    \"") + "\"\n  ],\n"
	return []byte(strings.Replace(string(manifest), "  \"files\": [\n", list+"  \"files\": [\n", 1))
}

func compareTrees(t *testing.T, got, want map[string][]byte) {
	t.Helper()
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("unexpected file %s", p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("missing file %s", p)
		case !bytes.Equal(g, want[p]):
			t.Errorf("%s differs:\n%s", p, generator.UnifiedDiff(p, want[p], g))
		}
	}
}

// TestUpgradedProjectBuildsAndPasses upgrades the edited project to v2
// (with --force, so the only conflict is in the README) and runs the
// project's own go vet, go build and go test, as its CI does.
func TestUpgradedProjectBuildsAndPasses(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	g2 := generatorFor(t, v2Templates(t), "v2-test")
	plan := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{Force: true})
	if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"mod", "tidy"}, {"vet", "./..."}, {"build", "./..."}, {"test", "-count=1", "./..."}} {
		if err := runGo(ctx, dir, args...); err != nil {
			t.Fatalf("go %s in the upgraded project: %v", strings.Join(args, " "), err)
		}
	}
}

// TestUpgradeOptionChange upgrades with changed answers (wixgen upgrade
// --set key=value) a project whose user edited, in every scaffolded file
// the change rewrites, a line the change rewrites: each such file
// conflicts, is listed, and keeps the user's line; files the change drops
// but the user edited are kept; nothing the user wrote is lost; and
// upgrading again changes nothing.
//
// Adding a choice (router=chi, say) is one row here.
func TestUpgradeOptionChange(t *testing.T) {
	changes := []struct {
		from generator.Answers
		set  map[string]string
	}{
		{generator.DefaultAnswers("shop"), map[string]string{"store": "memory"}},
		{generator.DefaultAnswers("shop"), map[string]string{"webhooks": "false", "billing": "false"}},
		{upgradeAnswers(), map[string]string{"store": "sqlite", "docker": "false"}},
		{generator.DefaultAnswers("shop"), map[string]string{"router": "chi"}},
		{generator.DefaultAnswers("shop"), map[string]string{"router": "gin"}},
	}
	g := newGenerator(t)
	for _, c := range changes {
		t.Run(fmt.Sprint(c.set), func(t *testing.T) {
			old, err := g.Render(c.from)
			if err != nil {
				t.Fatal(err)
			}
			to := c.from
			for k, v := range c.set {
				o, _ := generator.LookupOption(k)
				if err := o.Set(&to, v); err != nil {
					t.Fatal(err)
				}
			}
			next, err := g.Render(to)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "shop")
			if err := generator.Write(context.Background(), dir, old); err != nil {
				t.Fatal(err)
			}

			// In every scaffolded file, mark the first line the change
			// rewrites (or, for a file the change drops, the first line)
			// as the user's.
			nextFiles := make(map[string]string)
			for _, f := range next.Files {
				nextFiles[f.Path] = string(f.Data)
			}
			mine := make(map[string]string) // path → the user's line
			wantConflict := make(map[string]bool)
			for _, f := range old.Files {
				if f.Class != generator.Scaffolded {
					continue
				}
				newData, kept := nextFiles[f.Path]
				if kept && newData == string(f.Data) {
					continue
				}
				oldLines := strings.SplitAfter(string(f.Data), "\n")
				i := 0
				if kept {
					newLines := strings.SplitAfter(newData, "\n")
					for i < len(oldLines) && i < len(newLines) && oldLines[i] == newLines[i] {
						i++
					}
					if i == len(oldLines) || oldLines[i] == "" {
						continue // the change only appends; nothing of the user's to clash with
					}
					// go.mod is merged as a module, never with markers
					// (TestMergeGoMod); the user's line here does not
					// parse, so the file is kept as theirs.
					wantConflict[f.Path] = f.Path != generator.GoModFile
				}
				mine[f.Path] = "user's own line in " + f.Path + "\n"
				oldLines[i] = mine[f.Path]
				os.WriteFile(filepath.Join(dir, filepath.FromSlash(f.Path)), []byte(strings.Join(oldLines, "")), 0o644)
			}
			if len(wantConflict) == 0 {
				t.Fatal("the option change rewrites no scaffolded line; choose another")
			}

			plan := planUpgrade(t, g, dir, c.set, generator.UpgradeOptions{})
			if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
				t.Fatal(err)
			}
			for p, want := range wantConflict {
				if !want {
					delete(wantConflict, p)
				}
			}
			conflicts := make(map[string]bool)
			for _, p := range plan.Conflicts() {
				conflicts[p] = true
			}
			if !reflect.DeepEqual(conflicts, wantConflict) {
				t.Errorf("conflicts %v, want %v", plan.Conflicts(), sortedSet(wantConflict))
			}
			tree, _ := treetest.Read(dir)
			for p, line := range mine {
				if !strings.Contains(string(tree[p]), line) {
					t.Errorf("%s lost the user's line %q", p, line)
				}
				if hasMarkers := strings.Contains(string(tree[p]), "<<<<<<< yours\n"); hasMarkers != conflicts[p] {
					t.Errorf("%s: conflict markers %v, listed as a conflict %v", p, hasMarkers, conflicts[p])
				}
			}
			// Directories left empty are gone.
			for _, f := range old.Files {
				d := path.Dir(f.Path)
				if _, still := nextFiles[f.Path]; still || d == "." {
					continue
				}
				if entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(d))); err == nil && len(entries) == 0 {
					t.Errorf("the empty directory %s is left behind", d)
				}
			}
			// The manifest now records the changed answers.
			m, err := generator.ReadManifest(dir)
			if err != nil || m.Answers != to {
				t.Errorf("manifest answers %+v (%v), want %+v", m.Answers, err, to)
			}
			again := planUpgrade(t, g, dir, nil, generator.UpgradeOptions{})
			if again.Changed() || len(again.Changes) > 0 {
				t.Errorf("upgrading again: %v; want nothing", summary(again))
			}
		})
	}
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestUpgradeRebuildsMissingBase: a project whose pristine copies are
// gone (deleted, or made before wixgen kept them) still merges exactly
// when the current templates render the recorded answers as they were
// (here: an option change with the same templates); and merges against
// an empty base, as one conflict, when they cannot.
func TestUpgradeRebuildsMissingBase(t *testing.T) {
	g := newGenerator(t)
	a := upgradeAnswers()
	p, err := g.Render(a)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shop")
	if err := generator.Write(context.Background(), dir, p); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, ".wixgen"))
	handlers := filepath.Join(dir, "internal/api/handlers.go")
	data, _ := os.ReadFile(handlers)
	os.WriteFile(handlers, append(data, userEdits[0].data...), 0o644)

	// Same templates: the base is rebuilt from the recorded answers.
	plan := planUpgrade(t, g, dir, map[string]string{"webhooks": "false", "billing": "false"}, generator.UpgradeOptions{})
	for _, c := range plan.Changes {
		if c.Path == "internal/api/handlers.go" && (c.Conflict || c.Reason != "") {
			t.Errorf("handlers.go: %+v, want a clean merge against the rebuilt base", c)
		}
	}

	// Other templates: no exact base, so everything both sides have
	// differently is one conflict, and nothing is lost.
	g2 := generatorFor(t, v2Templates(t), "v2-test")
	plan = planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{})
	var found bool
	for _, c := range plan.Changes {
		if c.Path == "internal/api/handlers.go" {
			found = true
			if !c.Conflict || !strings.Contains(c.Reason, "missing or edited") {
				t.Errorf("handlers.go without a base: %s, conflict %v, reason %q; want a conflict saying why", c.Action, c.Conflict, c.Reason)
			}
			for _, l := range strings.SplitAfter(userEdits[0].data, "\n") {
				if !bytes.Contains(c.New, []byte(l)) {
					t.Errorf("handlers.go without a base lost the user's line %q", l)
				}
			}
		}
	}
	if !found {
		t.Error("handlers.go is not in the plan")
	}
}

// TestUpgradeCRLFCheckout: a project whose every file, base copy and
// manifest has CRLF line endings (as Git for Windows checks text out,
// core.autocrlf) but no edit is upgraded as untouched: updated, deleted
// and created, nothing kept or merged; the updates stay CRLF, and another
// upgrade has nothing to do, nor does one of the unchanged templates.
func TestUpgradeCRLFCheckout(t *testing.T) {
	v1, err := generatorFor(t, templates.FS(), "v1-test").Render(upgradeAnswers())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shop")
	if err := generator.Write(context.Background(), dir, v1); err != nil {
		t.Fatal(err)
	}
	tree, _ := treetest.Read(dir)
	for rel, data := range tree {
		crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), crlf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if same := planUpgrade(t, generatorFor(t, templates.FS(), "v1-test"), dir, nil, generator.UpgradeOptions{}); same.Changed() {
		t.Errorf("the same templates: %v, changed %v; want nothing", summary(same), same.Changed())
	}

	g2 := generatorFor(t, v2Templates(t), "v2-test")
	plan := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{})
	for _, c := range plan.Changes {
		if c.Action != generator.ActionUpdate && c.Action != generator.ActionCreate && c.Action != generator.ActionDelete {
			t.Errorf("%s: %s (%s), want it updated, created or deleted", c.Path, c.Action, c.Reason)
		}
	}
	if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	cors, _ := os.ReadFile(filepath.Join(dir, "internal/cors/cors.go"))
	if !bytes.Contains(cors, []byte("Chromium at 7200 seconds.\r\n")) || bytes.Count(cors, []byte("\n")) != bytes.Count(cors, []byte("\r\n")) {
		t.Errorf("the updated cors.go is not v2 with CRLF endings:\n%q", cors)
	}
	if again := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{}); again.Changed() || len(again.Changes) > 0 {
		t.Errorf("upgrading again: %v, changed %v; want nothing", summary(again), again.Changed())
	}
}

// TestUpgradeOptionOffAndOn: a scaffolded file the user edited survives
// an option turned off (kept as theirs, its base copy with it) and on
// again: the render that returns merges with that base, cleanly, instead
// of against an empty base, where every line would conflict.
func TestUpgradeOptionOffAndOn(t *testing.T) {
	g := newGenerator(t)
	p, err := g.Render(upgradeAnswers())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shop")
	if err := generator.Write(context.Background(), dir, p); err != nil {
		t.Fatal(err)
	}
	const rel = "internal/store/installs.go"
	mine := fileOf(t, p, rel) + "\n// ours\n"
	os.WriteFile(filepath.Join(dir, rel), []byte(mine), 0o644)

	for _, step := range []struct {
		webhooks string    // billing, which needs webhooks, goes with it
		want     []planned // for rel
	}{
		{"false", []planned{{rel, generator.ActionKeep, false}}},
		{"true", nil},
	} {
		plan := planUpgrade(t, g, dir, map[string]string{"webhooks": step.webhooks, "billing": step.webhooks}, generator.UpgradeOptions{})
		var got []planned
		for _, c := range summary(plan) {
			if c.Path == rel {
				got = append(got, c)
			}
		}
		if !reflect.DeepEqual(got, step.want) {
			t.Errorf("webhooks=%s: %v, want %v", step.webhooks, got, step.want)
		}
		if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, rel)); string(data) != mine {
			t.Errorf("webhooks=%s: %s is\n%s\nwant the user's", step.webhooks, rel, data)
		}
		if !fileExists(filepath.Join(dir, generator.BaseDir, rel)) {
			t.Errorf("webhooks=%s: the base copy of %s is gone", step.webhooks, rel)
		}
	}
	if again := planUpgrade(t, g, dir, nil, generator.UpgradeOptions{}); again.Changed() {
		t.Errorf("upgrading again: %v; want nothing", summary(again))
	}
}

// TestUpgradeKeepsFileModes: a file the upgrade replaces or merges into
// keeps the permissions the user gave it.
func TestUpgradeKeepsFileModes(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	modes := map[string]fs.FileMode{
		"internal/cors/cors.go":    0o755, // updated
		"internal/api/handlers.go": 0o600, // merged
	}
	for rel, mode := range modes {
		if err := os.Chmod(filepath.Join(dir, rel), mode); err != nil {
			t.Fatal(err)
		}
	}
	plan := planUpgrade(t, generatorFor(t, v2Templates(t), "v2-test"), dir, nil, generator.UpgradeOptions{})
	if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	for rel, mode := range modes {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != mode {
			t.Errorf("%s: mode %v after the upgrade, want %v", rel, info.Mode().Perm(), mode)
		}
	}
	if info, _ := os.Stat(filepath.Join(dir, "internal/api/version.go")); info == nil || info.Mode().Perm() != 0o644 {
		t.Errorf("a created file: %v, want mode 0644", info)
	}
}

// TestUpgradeInterruptedLeavesTreeAsItWas cancels the upgrade at every
// point of its writing: each time the tree is exactly as before.
func TestUpgradeInterruptedLeavesTreeAsItWas(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	g2 := generatorFor(t, v2Templates(t), "v2-test")
	before, _ := treetest.Read(dir)
	for n := 0; ; n++ {
		plan := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{Force: true})
		err := generator.ApplyUpgrade(&countdownContext{Context: context.Background(), n: n}, plan)
		if err == nil {
			if n < 5 {
				t.Fatalf("the upgrade finished after only %d checks of the context", n)
			}
			break
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled after %d checks: %v", n, err)
		}
		if after, _ := treetest.Read(dir); !reflect.DeepEqual(before, after) {
			t.Fatalf("cancelled after %d checks, the tree changed", n)
		}
	}
}

// countdownContext is done after its Err method has been asked n times:
// a Ctrl-C part-way through.
type countdownContext struct {
	context.Context
	n int
}

func (c *countdownContext) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestUpgradeFailureLeavesTreeAsItWas makes the upgrade fail part-way (a
// directory stands where it must write a file): the tree is as before.
func TestUpgradeFailureLeavesTreeAsItWas(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	g2 := generatorFor(t, v2Templates(t), "v2-test")
	plan := planUpgrade(t, g2, dir, nil, generator.UpgradeOptions{})
	// internal/api/version.go sorts after files the upgrade replaces and
	// deletes nothing yet.
	os.MkdirAll(filepath.Join(dir, "internal/api/version.go/x"), 0o755)
	before, _ := treetest.Read(dir)
	err := generator.ApplyUpgrade(context.Background(), plan)
	if err == nil || !strings.Contains(err.Error(), "internal/api/version.go") {
		t.Fatalf("error %v, want one naming internal/api/version.go", err)
	}
	if after, _ := treetest.Read(dir); !reflect.DeepEqual(before, after) {
		t.Error("a failed upgrade changed the tree")
	}
}

func TestUpgradeRefusesModuleChange(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	m, _ := generator.ReadManifest(dir)
	a := m.Answers
	a.Module = "example.com/other"
	_, err := newGenerator(t).PlanUpgrade(dir, m, a, generator.UpgradeOptions{})
	var me *generator.ModuleChangeError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "go mod edit -module example.com/other") {
		t.Errorf("error %v, want a ModuleChangeError saying how to rename", err)
	}
	if _, err := generator.ReadManifest(t.TempDir()); err == nil || !strings.Contains(err.Error(), "holds no .wixgen.json") {
		t.Errorf("ReadManifest of a plain directory: %v", err)
	}
}

// runGo runs the go command in dir, returning its output with any error.
func runGo(ctx context.Context, dir string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%w\n%s", err, out)
	}
	return nil
}

// TestGitKeepsBaseCopies: no generated .gitignore ignores .wixgen/, which
// upgrades need and the README says to commit.
func TestGitKeepsBaseCopies(t *testing.T) {
	g := newGenerator(t)
	for _, a := range allAnswers() {
		p, err := g.Render(a)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(fileOf(t, p, ".gitignore"), "\n") {
			pattern := strings.Trim(strings.TrimSpace(l), "/")
			if pattern == "" || strings.HasPrefix(pattern, "#") || strings.HasPrefix(pattern, "!") {
				continue
			}
			for _, name := range []string{".wixgen", "base", generator.ManifestFile} {
				if ok, _ := path.Match(pattern, name); ok {
					t.Errorf("%+v: .gitignore line %q ignores %s", a, l, name)
				}
			}
		}
	}
}

// TestUpgradeLeavesSymlinksAlone: a generated file replaced by a
// symbolic link, or by a directory, or below a linked directory, is not
// read or written through: it is kept, listed when the new render differs,
// and the rest of the upgrade goes on.
func TestUpgradeLeavesSymlinksAlone(t *testing.T) {
	dir, _ := generateV1(t, upgradeAnswers())
	elsewhere := t.TempDir()
	target := filepath.Join(elsewhere, "elsewhere.go")
	os.WriteFile(target, []byte("package api\n"), 0o644)
	handlers := filepath.Join(dir, "internal/api/handlers.go")
	os.Remove(handlers)
	if err := os.Symlink(target, handlers); err != nil {
		t.Fatal(err)
	}
	// The managed package cors, moved out and linked back.
	cors := filepath.Join(dir, "internal/cors")
	if err := os.Rename(cors, filepath.Join(elsewhere, "cors")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "cors"), cors); err != nil {
		t.Fatal(err)
	}
	// The user's notes where v2 puts a file, as a directory.
	os.Remove(filepath.Join(dir, "docs/UPGRADING.md"))
	os.MkdirAll(filepath.Join(dir, "docs/UPGRADING.md/notes"), 0o755)
	elsewhereBefore, _ := treetest.Read(elsewhere)

	plan := planUpgrade(t, generatorFor(t, v2Templates(t), "v2-test"), dir, nil, generator.UpgradeOptions{Force: true})
	kept := map[string]string{
		"internal/api/handlers.go": "it is a symbolic link",
		"internal/cors/cors.go":    "it is in internal/cors, a symbolic link",
		"docs/UPGRADING.md":        "it is a directory",
	}
	for _, c := range plan.Changes {
		if want, ok := kept[c.Path]; ok {
			if c.Action != generator.ActionKeep || !strings.HasPrefix(c.Reason, want) {
				t.Errorf("%s: %s (%s), want kept because %s", c.Path, c.Action, c.Reason, want)
			}
			delete(kept, c.Path)
		}
	}
	for rel := range kept {
		t.Errorf("%s is not in the plan", rel)
	}
	if err := generator.ApplyUpgrade(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if after, _ := treetest.Read(elsewhere); !reflect.DeepEqual(after, elsewhereBefore) {
		t.Error("the upgrade wrote through a link")
	}
	if info, err := os.Lstat(handlers); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("handlers.go is no longer the link: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "internal/api/version.go")); len(data) == 0 {
		t.Error("the rest of the upgrade was not done")
	}
}

// TestGitAttributesMarkBaseCopies: in a generated project, git (and so
// GitHub) sees the base copies as generated and binary: folded in
// reviews, no line merge, no line-ending conversion; the project's own
// files are plain text.
func TestGitAttributesMarkBaseCopies(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	p, err := newGenerator(t).Render(upgradeAnswers())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "shop")
	if err := generator.Write(context.Background(), dir, p); err != nil {
		t.Fatal(err)
	}
	attrs := func(rel string) string {
		cmd := exec.Command("git", "check-attr", "linguist-generated", "diff", "merge", "text", "--", rel)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
		if err := exec.Command("git", "-C", dir, "init", "--quiet").Run(); err != nil {
			t.Fatal(err)
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git check-attr: %v\n%s", err, out)
		}
		return string(out)
	}
	base := attrs(".wixgen/base/cmd/server/main.go")
	for _, want := range []string{"linguist-generated: true", "diff: unset", "merge: unset", "text: unset"} {
		if !strings.Contains(base, want) {
			t.Errorf("a base copy's attributes lack %q:\n%s", want, base)
		}
	}
	if own := attrs("cmd/server/main.go"); strings.Contains(own, "linguist-generated: true") || strings.Contains(own, "unset") {
		t.Errorf("the project's own main.go has attributes:\n%s", own)
	}
}
