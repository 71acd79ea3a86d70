//go:build fixtures

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/wixgen/wixgen/generator"
)

// fixture is testdata/upgrade/<name>.yaml: see the comments in those
// files.
type fixture struct {
	UserLines map[string]any `json:"userLines"` // "*" or a list of lines
	Upgrades  [][]string     `json:"upgrades"`
	Resolve   []resolveRule  `json:"resolve"`
}

// resolveRule is one edit the user makes again after taking the new
// render's side of every conflict. After, Before and Insert are a string,
// or a map from router to string.
type resolveRule struct {
	File   string `json:"file"`
	Unless string `json:"unless"`
	After  any    `json:"after"`
	Before any    `json:"before"`
	Insert any    `json:"insert"`
}

// TestUpgradeFixtures upgrades each project an earlier wixgen made (with
// the user's edits, testdata/upgrade) with this wixgen, as its
// fixture.yaml says: plainly and with --set. Every line the user wrote is
// kept. An upgrade without conflicts runs with --verify, and the written
// tree builds, vets and passes its tests; one with conflicts is resolved
// by the fixture's rules, then builds, vets and passes. Either way, a
// second upgrade has nothing to do; after the plain upgrade, a third one
// with --set webhooks=false merges cleanly and passes --verify for real. It runs real go builds: build tag
// fixtures, run by .ci/run and `make fixtures`.
func TestUpgradeFixtures(t *testing.T) {
	specs, err := filepath.Glob("testdata/upgrade/*.yaml")
	if err != nil || len(specs) == 0 {
		t.Fatalf("no fixtures in testdata/upgrade (%v)", err)
	}
	for _, spec := range specs {
		name := strings.TrimSuffix(filepath.Base(spec), ".yaml")
		var fx fixture
		data, err := os.ReadFile(spec)
		if err == nil {
			err = yaml.UnmarshalStrict(data, &fx)
		}
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		src := filepath.Join("testdata/upgrade", name)
		for _, sets := range fx.Upgrades {
			label := name
			if len(sets) > 0 {
				label += "+" + strings.Join(sets, "+")
			}
			t.Run(label, func(t *testing.T) {
				start := time.Now()
				upgradeFixture(t, src, &fx, sets)
				t.Logf("%s: %.0fs", label, time.Since(start).Seconds())
			})
		}
	}
}

func upgradeFixture(t *testing.T, src string, fx *fixture, sets []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := t.TempDir()
	dir := filepath.Join(root, filepath.Base(src))
	if err := copyProject(src, dir); err != nil {
		t.Fatal(err)
	}
	mine := userLines(t, dir, fx)
	git := func(args ...string) { t.Helper(); mustRun(t, ctx, dir, "git", args...) }
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "the user's project")

	args := []string{"upgrade", dir, "--verify", "--json"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	stdout, stderr, code := runWixgen(t, root, args...)
	var res struct {
		Conflicts []string `json:"conflicts"`
		Error     string   `json:"error"`
		Answers   struct {
			Router string `json:"router"`
		} `json:"answers"`
		Changes []struct {
			Path, Action string
			Conflict     bool
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("upgrade %v: exit %d, not one JSON result: %v\n%s\n%s", sets, code, err, stdout, stderr)
	}
	switch {
	case code == 0 && len(res.Conflicts) == 0:
		// Verified in a scratch copy; the written tree is the same.
	case code == 1 && len(res.Conflicts) > 0:
	default:
		t.Fatalf("upgrade %v: exit %d, conflicts %v: %s", sets, code, res.Conflicts, res.Error)
	}
	t.Logf("upgrade %v: %d changes, conflicts %v", sets, len(res.Changes), res.Conflicts)

	// Every line the user wrote is still in its file.
	for rel, lines := range mine {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Errorf("%s, which holds the user's lines, is gone: %v", rel, err)
			continue
		}
		for _, l := range lines {
			if !containsLine(string(data), l) {
				t.Errorf("%s lost the user's line %q", rel, l)
			}
		}
	}
	if t.Failed() {
		return
	}

	if len(res.Conflicts) > 0 {
		resolve(t, dir, fx, res.Conflicts, res.Answers.Router)
		mustRun(t, ctx, dir, "go", "mod", "tidy")
	}
	for _, step := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "./..."}} {
		mustRun(t, ctx, dir, "go", step...)
	}

	git("add", "-A")
	git("commit", "-q", "-m", "upgraded")
	stdout, stderr, code = runWixgen(t, root, "upgrade", dir, "--json")
	var again struct {
		Changed bool              `json:"changed"`
		Changes []json.RawMessage `json:"changes"`
	}
	if err := json.Unmarshal([]byte(stdout), &again); err != nil || code != 0 || again.Changed || len(again.Changes) > 0 {
		t.Errorf("a second upgrade: exit %d, %s\n%s", code, stdout, stderr)
	}
	if len(sets) > 0 || t.Failed() {
		return
	}

	// Once current, an option change merges cleanly into the user's
	// edits (where the resolution left them), and --verify builds, vets
	// and tests it for real before writing.
	held := linesHeld(t, dir, mine, fx)
	stdout, stderr, code = runWixgen(t, root, "upgrade", dir, "--verify", "--set", "webhooks=false", "--json")
	var later struct {
		Conflicts []string `json:"conflicts"`
		Steps     []struct{ Step, Status string }
	}
	json.Unmarshal([]byte(stdout), &later)
	verified := 0
	for _, s := range later.Steps {
		if strings.HasPrefix(s.Step, "verify: ") && s.Status == "ok" {
			verified++
		}
	}
	if code != 0 || len(later.Conflicts) > 0 || verified != len(verifySteps) {
		t.Fatalf("upgrade --verify --set webhooks=false: exit %d, conflicts %v, %d verify steps passed\n%s\n%s", code, later.Conflicts, verified, stdout, stderr)
	}
	if now := linesHeld(t, dir, mine, fx); fmt.Sprint(now) != fmt.Sprint(held) {
		t.Errorf("after --set webhooks=false, the user's lines are\n%v\nwant\n%v", now, held)
	}
}

// linesHeld returns, per file of the project, the user's lines (those the
// fixture names and those its resolution re-applies) that it holds.
func linesHeld(t *testing.T, dir string, mine map[string][]string, fx *fixture) map[string][]string {
	t.Helper()
	// Lines the user wrote at given places are looked for everywhere (a
	// resolution moves them); a file wholly the user's stays theirs.
	want := make(map[string]bool)
	for rel, lines := range mine {
		if fx.UserLines[rel] == "*" {
			continue
		}
		for _, l := range lines {
			want[strings.TrimSpace(l)] = true
		}
	}
	for _, r := range fx.Resolve {
		vals := []any{r.Insert}
		if m, ok := r.Insert.(map[string]any); ok {
			vals = nil
			for _, v := range m {
				vals = append(vals, v)
			}
		}
		for _, v := range vals {
			for _, l := range strings.Split(fmt.Sprint(v), "\n") {
				if strings.TrimSpace(l) != "" {
					want[strings.TrimSpace(l)] = true
				}
			}
		}
	}
	held := make(map[string][]string)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == ".wixgen") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		for _, line := range strings.Split(string(data), "\n") {
			if want[strings.TrimSpace(line)] || fx.UserLines[rel] == "*" && strings.TrimSpace(line) != "" {
				held[rel] = append(held[rel], strings.TrimSpace(line))
			}
		}
		return nil
	})
	return held
}

// userLines returns, per file, the lines the user wrote (blank lines
// left out), checking that the fixture holds them.
func userLines(t *testing.T, dir string, fx *fixture) map[string][]string {
	t.Helper()
	out := make(map[string][]string)
	for rel, v := range fx.UserLines {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatalf("userLines names %s: %v", rel, err)
		}
		var lines []string
		switch v := v.(type) {
		case string:
			if v != "*" {
				t.Fatalf("userLines %s: %q, want \"*\" or a list of lines", rel, v)
			}
			lines = strings.Split(string(data), "\n")
		case []any:
			for _, l := range v {
				lines = append(lines, fmt.Sprint(l))
			}
		}
		for _, l := range lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			if !containsLine(string(data), l) {
				t.Fatalf("userLines: %s does not hold %q", rel, l)
			}
			out[rel] = append(out[rel], l)
		}
	}
	return out
}

// containsLine reports whether text has a line that is l, leading and
// trailing white space aside.
func containsLine(text, l string) bool {
	l = strings.TrimSpace(l)
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == l {
			return true
		}
	}
	return false
}

var conflictRE = regexp.MustCompile(`(?ms)^<<<<<<< yours\n.*?^=======\n(.*?)^>>>>>>> wixgen [^\n]*\n`)

// resolve does what the fixture's user does with conflicts: take the new
// render's side of each, then make sure of each rule's edit.
func resolve(t *testing.T, dir string, fx *fixture, conflicts []string, router string) {
	t.Helper()
	for _, rel := range conflicts {
		p := filepath.Join(dir, rel)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		resolved := conflictRE.ReplaceAll(data, []byte("$1"))
		if generator.HasConflictMarkers(resolved) {
			t.Fatalf("%s: markers left after taking the new side:\n%s", rel, resolved)
		}
		os.WriteFile(p, resolved, 0o644)
	}
	for _, r := range fx.Resolve {
		p := filepath.Join(dir, r.File)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("resolve rule for %s: %v", r.File, err)
		}
		insert := forRouter(t, r.Insert, router)
		if strings.Contains(string(data), strings.TrimRight(insert, "\n")) || r.Unless != "" && packageMatches(t, filepath.Dir(p), r.Unless) {
			continue
		}
		anchor, before := r.After, false
		if r.Before != nil {
			anchor, before = r.Before, true
		}
		re := regexp.MustCompile(forRouter(t, anchor, router))
		lines := strings.SplitAfter(string(data), "\n")
		i := 0
		for i < len(lines) && !re.MatchString(strings.TrimRight(lines[i], "\n")) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("resolve rule for %s: no line matches %s in the new render; the templates changed, so update the rule in its fixture's .yaml", r.File, re)
		}
		if !before {
			i++
		}
		ins := strings.TrimRight(insert, "\n") + "\n"
		lines = append(lines[:i], append([]string{ins}, lines[i:]...)...)
		os.WriteFile(p, []byte(strings.Join(lines, "")), 0o644)
	}
}

// forRouter returns v, or v[router] when v is a map by router.
func forRouter(t *testing.T, v any, router string) string {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		s, ok := v[router].(string)
		if !ok {
			t.Fatalf("resolve rule has no form for router %s: %v", router, v)
		}
		return s
	}
	t.Fatalf("resolve rule value %v: want a string or a map by router", v)
	return ""
}

// packageMatches reports whether a Go file in dir matches the regular
// expression.
func packageMatches(t *testing.T, dir, expr string) bool {
	t.Helper()
	re := regexp.MustCompile(expr)
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if re.Match(data) {
			return true
		}
	}
	return false
}

func mustRun(t *testing.T, ctx context.Context, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// TestOverlayProjectBuilds generates the golden case
// stdlib-sqlite-instance-overlay through the CLI, with the example
// overlay in generator/testdata/overlay, and runs the project's own
// go vet, go build and go test: the overlay's files compile and pass.
func TestOverlayProjectBuilds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	root := t.TempDir()
	overlay, err := filepath.Abs("generator/testdata/overlay")
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runWixgen(t, root, "new", "shop", "--yes", "--app-id", "1b2c3d4e-0000-4000-8000-000000000001",
		"--templates", overlay, "--no-tidy", "-q")
	if code != 0 {
		t.Fatalf("new --templates: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(root, "shop")
	if _, err := os.Stat(filepath.Join(dir, "internal/buildinfo/buildinfo_test.go")); err != nil {
		t.Fatalf("the overlay's file is missing: %v", err)
	}
	for _, step := range [][]string{{"mod", "tidy"}, {"vet", "./..."}, {"build", "./..."}, {"test", "./..."}} {
		mustRun(t, ctx, dir, "go", step...)
	}
}
