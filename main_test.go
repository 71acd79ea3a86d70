package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wixgen/wixgen/generator"
)

// TestMain lets the test binary act as wixgen: testscript puts it on PATH
// under that name, for scripts and for the tests below that run it as a
// separate process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wixgen": func() { os.Exit(wixgen()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata/script.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
	})
}

// runWixgen runs the wixgen binary (this test binary, from PATH) in dir and
// returns its output and exit status. Its stdin is not a terminal.
func runWixgen(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command("wixgen", args...)
	cmd.Dir = dir
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	default:
		t.Fatalf("run wixgen: %v", err)
	}
	return out.String(), errOut.String(), code
}

// TestUsageErrors checks that every usage error exits with status 2, names
// the bad value and the valid ones, and writes nothing.
func TestUsageErrors(t *testing.T) {
	const appID = "1b2c3d4e-0000-4000-8000-000000000001"
	tests := []struct {
		name      string
		args      []string
		wantInErr string
	}{
		{"unknown router", []string{"new", "shop", "--yes", "--router", "gorilla"}, `invalid router "gorilla": valid values are stdlib`},
		{"unknown store", []string{"new", "shop", "--yes", "--store=mongo"}, `invalid store "mongo": valid values are sqlite, memory`},
		{"unknown auth", []string{"new", "shop", "--yes", "--auth", "oauth"}, `invalid auth "oauth": valid values are instance`},
		{"invalid module", []string{"new", "shop", "--yes", "--module", "example.com/my shop"}, `invalid module "example.com/my shop": use a Go module path`},
		{"app id not a uuid", []string{"new", "shop", "--yes", "--app-id", "abc"}, `invalid app-id "abc": use the app ID from the Wix app dashboard, a UUID`},
		{"bad name", []string{"new", "x", "--yes", "--name", "My Shop"}, `invalid name "My Shop": use 1 to 64 characters`},
		{"name from a bad directory", []string{"new", "My Shop", "--yes"}, `cannot take the project name from directory "My Shop"`},
		{"unknown flag", []string{"new", "shop", "--colour", "red"}, "flag provided but not defined: -colour"},
		{"bad bool", []string{"new", "shop", "--yes", "--webhooks=maybe"}, `invalid boolean value "maybe" for -webhooks`},
		{"two directories", []string{"new", "a", "b", "--yes"}, "new takes at most one directory, got 2 arguments: a b"},
		{"unknown command", []string{"create", "shop"}, `unknown command "create"; commands are new, options, completion`},
		{"missing answers file", []string{"new", "shop", "--answers", "nope.yaml"}, "read answers file: open nope.yaml"},
		{"unknown answers key", []string{"new", "shop", "--answers", "bad.yaml"}, `bad.yaml: answers file: unknown key "colour"; valid keys are name, module`},
		{"bad value in answers file", []string{"new", "shop", "--answers", "badstore.yaml"}, `invalid store "mongo": valid values are sqlite, memory`},
		{"non-empty directory", []string{"new", "full", "--yes", "--app-id", appID}, "full: directory is not empty (it holds keep.txt); choose a new directory, or pass --force"},
		{"unknown shell", []string{"completion", "tcsh"}, `invalid shell "tcsh": valid shells are bash, zsh, fish`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("name: shop\ncolour: red\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "badstore.yaml"), []byte("store: mongo\n"), 0o644)
			os.Mkdir(filepath.Join(dir, "full"), 0o755)
			os.WriteFile(filepath.Join(dir, "full", "keep.txt"), []byte("mine"), 0o644)
			before, _ := generator.ReadTree(dir)

			stdout, stderr, code := runWixgen(t, dir, tt.args...)
			if code != 2 {
				t.Errorf("exit status %d, want 2\nstderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, tt.wantInErr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.wantInErr, stderr)
			}
			if stdout != "" && !strings.Contains(tt.name, "flag") {
				t.Errorf("stdout should be empty on a usage error, got:\n%s", stdout)
			}
			after, _ := generator.ReadTree(dir)
			if len(after) != len(before) {
				t.Errorf("a usage error wrote files: %d before, %d after", len(before), len(after))
			}
		})
	}
}

// TestJSONResultOnError checks that --json reports a failure as one JSON
// object with the exit status.
func TestJSONResultOnError(t *testing.T) {
	stdout, _, code := runWixgen(t, t.TempDir(), "new", "shop", "--yes", "--json", "--router", "gorilla")
	var res struct {
		OK       bool   `json:"ok"`
		Error    string `json:"error"`
		ExitCode int    `json:"exitCode"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, stdout)
	}
	if code != 2 || res.OK || res.ExitCode != 2 || !strings.Contains(res.Error, `invalid router "gorilla"`) {
		t.Errorf("exit %d, result %+v; want exit 2 and the error in the JSON", code, res)
	}
}

// BenchmarkNewProcess runs `wixgen new --no-tidy` as a whole process, as a
// user does: start-up, parsing the templates, rendering, formatting and
// writing the project.
func BenchmarkNewProcess(b *testing.B) {
	root := b.TempDir()
	n := 0
	for b.Loop() {
		n++
		cmd := exec.Command("wixgen", "new", filepath.Join(root, fmt.Sprint("p", n)), "--yes", "--no-tidy", "--quiet")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("wixgen new: %v\n%s", err, out)
		}
	}
}
