package generator_test

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/wixgen/wixgen/generator"
	"github.com/wixgen/wixgen/internal/treetest"
	"github.com/wixgen/wixgen/templates"
)

var update = flag.Bool("update", false, "rewrite golden/ from the current templates")

const goldenVersion = "v0.0.0-golden"

// goldenCases are the option sets kept in full under golden/<name>;
// those named -overlay are rendered with the overlay in testdata/overlay.
var goldenCases = []goldenCase{
	{"stdlib-sqlite-instance", allOn("stdlib", "sqlite", "instance"), false},
	{"stdlib-postgres-instance", allOn("stdlib", "postgres", "instance"), false},
	{"stdlib-memory-instance-minimal", allOff("stdlib", "memory", "instance"), false},
	{"chi-sqlite-instance", allOn("chi", "sqlite", "instance"), false},
	{"gin-memory-instance", allOn("gin", "memory", "instance"), false},
	{"echo-sqlite-instance", allOn("echo", "sqlite", "instance"), false},
	{"stdlib-sqlite-token", allOn("stdlib", "sqlite", "token"), false},
	{"stdlib-memory-both-minimal", allOff("stdlib", "memory", "both"), false},
	{"chi-postgres-both", allOn("chi", "postgres", "both"), false},
	{"stdlib-sqlite-instance-overlay", allOn("stdlib", "sqlite", "instance"), true},
	// The default project as an older one upgrades to it: every option
	// added after issue 16 off. Issue 16's line budget is measured on it.
	{"stdlib-sqlite-instance-nowidget-nobilling-nokubernetes-noe2e-norate-limits", without(allOn("stdlib", "sqlite", "instance"), "widget", "billing", "kubernetes", "e2e", "rate-limits"), false},
}

type goldenCase struct {
	name    string
	answers generator.Answers
	overlay bool
}

// allOn is a project with every feature, named shop, with an app ID.
func allOn(router, store, auth string) generator.Answers {
	a := generator.DefaultAnswers("shop")
	a.AppID = "1b2c3d4e-0000-4000-8000-000000000001"
	a.Router, a.Store, a.Auth = router, store, auth
	a.Kubernetes = true // off by default
	return a
}

// allOff is a project with no optional feature and no app ID (it comes
// from WIX_APP_ID at run time).
func allOff(router, store, auth string) generator.Answers {
	a := generator.DefaultAnswers("shop")
	a.Router, a.Store, a.Auth = router, store, auth
	a.Widget, a.Webhooks, a.Billing, a.Docker, a.CI, a.E2E, a.RateLimits = false, false, false, false, false, false, false
	return a
}

// without is a with the bool options keys switched off.
func without(a generator.Answers, keys ...string) generator.Answers {
	for _, k := range keys {
		o, _ := generator.LookupOption(k)
		if err := o.Set(&a, "false"); err != nil {
			panic(err)
		}
	}
	return a
}

func newGenerator(t testing.TB) *generator.Generator {
	t.Helper()
	g, err := generator.New(generator.Config{Templates: templates.FS(), Version: goldenVersion})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// testOverlay is the example overlay of the -overlay golden cases, as a
// project next to the directory house-templates records it.
func testOverlay() *generator.Overlay {
	return &generator.Overlay{FS: os.DirFS("testdata/overlay"), Dir: "testdata/overlay", Path: "../house-templates"}
}

// caseGenerator is the generator of a golden case.
func caseGenerator(t testing.TB, g *generator.Generator, overlay bool) *generator.Generator {
	t.Helper()
	if !overlay {
		return g
	}
	og, err := generator.New(generator.Config{Templates: templates.FS(), Version: goldenVersion, Overlay: testOverlay()})
	if err != nil {
		t.Fatal(err)
	}
	return og
}

// TestGolden renders each golden case in memory and compares every byte
// with golden/<case>, reporting missing, unexpected and different files.
// With -update it deletes and rewrites the case folders instead.
func TestGolden(t *testing.T) {
	g := newGenerator(t)
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			p, err := caseGenerator(t, g, c.overlay).Render(c.answers)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join("..", "golden", c.name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				writeTree(t, dir, p)
				return
			}
			want, err := treetest.Read(dir)
			if err != nil {
				t.Fatalf("%v (run `make golden` to create it)", err)
			}
			if !compareTree(t, p, want) {
				actual, _ := os.MkdirTemp("", "wixgen-golden-"+c.name+"-")
				writeTree(t, actual, p)
				t.Errorf("output differs from %s; the actual output is in %s; run `make golden` if the change is intended", dir, actual)
			}
		})
	}
}

func writeTree(t *testing.T, dir string, p *generator.Project) {
	t.Helper()
	for _, f := range p.Files {
		dest := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dest, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// compareTree reports every difference between the rendered project and
// the golden tree, and whether they are equal.
func compareTree(t *testing.T, p *generator.Project, want map[string][]byte) bool {
	t.Helper()
	equal := true
	got := make(map[string][]byte)
	for _, f := range p.Files {
		got[f.Path] = f.Data
	}
	for _, path := range sortedKeys(want) {
		data, ok := got[path]
		switch {
		case !ok:
			t.Errorf("missing: %s is in the golden tree but not rendered", path)
			equal = false
		case !bytes.Equal(data, want[path]):
			t.Errorf("different: %s: %s", path, firstDifference(want[path], data))
			equal = false
		}
	}
	for _, path := range sortedKeys(got) {
		if _, ok := want[path]; !ok {
			t.Errorf("unexpected: %s is rendered but not in the golden tree", path)
			equal = false
		}
	}
	return equal
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func firstDifference(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: golden %q, rendered %q", i+1, w, g)
		}
	}
	return "same lines, different bytes"
}

// TestRenderIsIdempotent renders each golden case twice and checks the
// bytes are the same and that Go output is already gofmt-clean.
func TestRenderIsIdempotent(t *testing.T) {
	g := newGenerator(t)
	for _, c := range goldenCases {
		g := caseGenerator(t, g, c.overlay)
		p1, err := g.Render(c.answers)
		if err != nil {
			t.Fatal(err)
		}
		p2, _ := g.Render(c.answers)
		if len(p1.Files) != len(p2.Files) {
			t.Fatalf("%s: %d files, then %d", c.name, len(p1.Files), len(p2.Files))
		}
		for i, f := range p1.Files {
			if f.Path != p2.Files[i].Path || !bytes.Equal(f.Data, p2.Files[i].Data) {
				t.Errorf("%s: %s differs between two renders", c.name, f.Path)
			}
			if strings.HasSuffix(f.Path, ".go") {
				again, err := format.Source(f.Data)
				if err != nil || !bytes.Equal(again, f.Data) {
					t.Errorf("%s: %s is not gofmt-stable (%v)", c.name, f.Path, err)
				}
			}
		}
	}
}

// allAnswers returns every combination of choice and bool options, but
// for the options in alternating.
func allAnswers() []generator.Answers {
	combos := []generator.Answers{generator.DefaultAnswers("shop")}
	for _, o := range generator.Options() {
		vals := o.Values()
		if vals == nil {
			continue
		}
		if alternating[o.Key] {
			for i := range combos {
				if err := o.Set(&combos[i], vals[i%len(vals)]); err != nil {
					panic(err)
				}
			}
			continue
		}
		var next []generator.Answers
		for _, a := range combos {
			for _, v := range vals {
				b := a
				if err := o.Set(&b, v); err != nil {
					panic(err)
				}
				if o.Check(&b, v) == nil { // billing=true needs webhooks=true
					next = append(next, b)
				}
			}
		}
		combos = next
	}
	return combos
}

// alternating are the bool options that allAnswers does not cross with the
// others: it gives every other combination each value, so that each router
// (the first option, whose combinations are each an even number apart)
// sees both with the same other answers. e2e adds a directory of its own
// and a Makefile target, README section and CI step; crossing it would
// double the time of every test that renders every combination.
var alternating = map[string]bool{"e2e": true}

// TestEveryTemplateIsUsed proves that each embedded template is rendered
// by some option set, and checks the ownership classes: managed source
// files carry the generated-code header (data files such as fuzz corpora
// cannot), scaffolded files do not.
func TestEveryTemplateIsUsed(t *testing.T) {
	g := newGenerator(t)
	used := make(map[string]bool)
	for _, a := range allAnswers() {
		p, err := g.Render(a)
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		for _, f := range p.Files {
			used[f.Template] = true
			header := bytes.Contains(f.Data, []byte("Code generated by wixgen"))
			source := strings.HasSuffix(f.Path, ".go") || strings.HasSuffix(f.Path, ".ts")
			if f.Class == generator.Managed && source && !header {
				t.Errorf("%s is managed but has no \"Code generated by wixgen\" header", f.Path)
			}
			if f.Class == generator.Scaffolded && header {
				t.Errorf("%s is scaffolded (the user's) but says it is generated", f.Path)
			}
		}
	}
	var all []string
	fs.WalkDir(templates.FS(), generator.ProjectDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			all = append(all, strings.TrimPrefix(p, generator.ProjectDir+"/"))
		}
		return err
	})
	if len(all) == 0 {
		t.Fatal("no templates found")
	}
	for _, tmpl := range all {
		if !used[tmpl] {
			t.Errorf("template %s is not rendered by any option set", tmpl)
		}
	}
}

// TestGoldenCaseNames keeps each golden case's name true to its answers:
// router-store-auth, then -minimal when every feature is off, or
// -no<feature> for each feature that is off.
func TestGoldenCaseNames(t *testing.T) {
	for _, c := range goldenCases {
		a := c.answers
		want := a.Router + "-" + a.Store + "-" + a.Auth
		var off []string
		on := false
		for _, o := range generator.Options() {
			switch {
			case o.Kind != generator.KindBool:
			case o.Get(&a) == "true":
				on = true
			default:
				off = append(off, "-no"+o.Key)
			}
		}
		if !on {
			want += "-minimal"
		} else {
			want += strings.Join(off, "")
		}
		if c.overlay {
			want += "-overlay"
		}
		if c.name != want {
			t.Errorf("golden case %s holds the answers of %s", c.name, want)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("golden case %s: %v", c.name, err)
		}
	}
	// A renamed case must not leave its old output behind, unchecked.
	dirs, err := os.ReadDir(filepath.Join("..", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !slices.ContainsFunc(goldenCases, func(c goldenCase) bool { return c.name == d.Name() }) {
			t.Errorf("golden/%s is no golden case: remove it, or add its case", d.Name())
		}
	}
}

// BenchmarkRender measures rendering the default project in memory:
// executing templates, formatting Go files and building the manifest.
func BenchmarkRender(b *testing.B) {
	g := newGenerator(b)
	a := goldenCases[0].answers
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.Render(a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewAndRender adds parsing the template tree, which every
// process does once.
func BenchmarkNewAndRender(b *testing.B) {
	a := goldenCases[0].answers
	b.ReportAllocs()
	for b.Loop() {
		g := newGenerator(b)
		if _, err := g.Render(a); err != nil {
			b.Fatal(err)
		}
	}
}
