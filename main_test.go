package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wixgen/wixgen/generator"
	"github.com/wixgen/wixgen/internal/treetest"
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
		{"unknown router", []string{"new", "shop", "--yes", "--router", "gorilla"}, `invalid router "gorilla": valid values are stdlib, chi, gin, echo`},
		{"unknown store", []string{"new", "shop", "--yes", "--store=mongo"}, `invalid store "mongo": valid values are sqlite, memory, postgres`},
		{"unknown auth", []string{"new", "shop", "--yes", "--auth", "oauth"}, `invalid auth "oauth": valid values are instance, token, both`},
		{"invalid module", []string{"new", "shop", "--yes", "--module", "example.com/my shop"}, `invalid module "example.com/my shop": use a Go module path`},
		{"app id not a uuid", []string{"new", "shop", "--yes", "--app-id", "abc"}, `invalid app-id "abc": use the app ID from the Wix app dashboard, a UUID`},
		{"bad name", []string{"new", "x", "--yes", "--name", "My Shop"}, `invalid name "My Shop": use 1 to 64 characters`},
		{"name from a bad directory", []string{"new", "My Shop", "--yes"}, `cannot take the project name from directory "My Shop"`},
		{"unknown flag", []string{"new", "shop", "--colour", "red"}, "flag provided but not defined: -colour"},
		{"bad bool", []string{"new", "shop", "--yes", "--webhooks=maybe"}, `invalid boolean value "maybe" for -webhooks`},
		{"two directories", []string{"new", "a", "b", "--yes"}, "new takes at most one directory, got 2 arguments: a b"},
		{"unknown command", []string{"create", "shop"}, `unknown command "create"; commands are new, upgrade, diff, options, completion`},
		{"missing answers file", []string{"new", "shop", "--answers", "nope.yaml"}, "read answers file: open nope.yaml"},
		{"unknown answers key", []string{"new", "shop", "--answers", "bad.yaml"}, `bad.yaml: answers file: unknown key "colour"; valid keys are name, module`},
		{"bad value in answers file", []string{"new", "shop", "--answers", "badstore.yaml"}, `invalid store "mongo": valid values are sqlite, memory, postgres`},
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
			before, _ := treetest.Read(dir)

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
			if after, _ := treetest.Read(dir); !reflect.DeepEqual(before, after) {
				t.Errorf("a usage error changed the directory: %d files before, %d after", len(before), len(after))
			}
		})
	}
}

// TestJSONResultOnError checks that --json reports a failure as one JSON
// object with the exit status, flag errors included.
func TestJSONResultOnError(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"new", "shop", "--yes", "--json", "--router", "gorilla"}, `invalid router "gorilla"`},
		{[]string{"new", "shop", "--json", "--colour", "red"}, "flag provided but not defined: -colour"},
		{[]string{"new", "--json", "shop", "--webhooks=maybe"}, `invalid boolean value "maybe"`},
	}
	for _, tt := range tests {
		stdout, stderr, code := runWixgen(t, t.TempDir(), tt.args...)
		var res struct {
			OK       bool   `json:"ok"`
			Error    string `json:"error"`
			ExitCode int    `json:"exitCode"`
		}
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("%v: stdout is not one JSON object: %v\n%s", tt.args, err, stdout)
		}
		if code != 2 || res.OK || res.ExitCode != 2 || !strings.Contains(res.Error, tt.wantErr) {
			t.Errorf("%v: exit %d, result %+v; want exit 2 and %q in the JSON", tt.args, code, res, tt.wantErr)
		}
		if stderr != "" {
			t.Errorf("%v: with --json, stderr should be empty, got %q", tt.args, stderr)
		}
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

// fakeGo puts a go command that runs script first on PATH for the wixgen
// processes started by cmd.
func fakeGo(t *testing.T, cmd *exec.Cmd, script string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestFailedStepExitsOne checks that a failing go mod tidy makes wixgen
// exit 1, whatever status the go command itself returned.
func TestFailedStepExitsOne(t *testing.T) {
	for _, status := range []int{1, 2, 130} {
		dir := t.TempDir()
		cmd := exec.Command("wixgen", "new", "shop", "--yes")
		cmd.Dir = dir
		fakeGo(t, cmd, fmt.Sprintf("exit %d", status))
		out, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 1 {
			t.Errorf("go mod tidy exiting %d: wixgen %v, want exit status 1\n%s", status, err, out)
		}
		if !strings.Contains(string(out), "run the step again with: cd shop && go mod tidy") {
			t.Errorf("go mod tidy exiting %d: no command to run again in\n%s", status, out)
		}
	}
}

// TestInterruptedStep interrupts wixgen while go mod tidy runs: the
// command is stopped, wixgen exits 130 and says the project is written.
func TestInterruptedStep(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("wixgen", "new", "shop", "--yes")
	cmd.Dir = dir
	fakeGo(t, cmd, "exec sleep 60")
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "Running go mod tidy") {
		if time.Now().After(deadline) {
			t.Fatalf("go mod tidy did not start:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 {
		t.Fatalf("interrupted during go mod tidy: %v, want exit status 130\n%s", err, out.String())
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("wixgen took %v to stop after the interrupt", waited)
	}
	for _, want := range []string{"go mod tidy was interrupted", "the files are written; run the step again with"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// lockedBuffer is a bytes.Buffer that a process may write while a test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestCheckTarget(t *testing.T) {
	root := t.TempDir()
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	full := filepath.Join(root, "full")
	os.Mkdir(full, 0o755)
	os.WriteFile(filepath.Join(full, "a.txt"), nil, 0o644)
	project := filepath.Join(root, "project")
	os.Mkdir(project, 0o755)
	os.WriteFile(filepath.Join(project, generator.ManifestFile), nil, 0o644)
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)

	tests := []struct {
		dir     string
		force   bool
		wantErr string
	}{
		{filepath.Join(root, "missing"), false, ""},
		{empty, false, ""},
		{full, false, "directory is not empty (it holds a.txt); choose a new directory, or pass --force"},
		{full, true, ""},
		{project, false, "already holds a wixgen project"},
		{project, true, "even --force does not write a project over another"},
		{file, true, "exists and is not a directory"},
	}
	for _, tt := range tests {
		err := checkTarget(tt.dir, tt.force)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("checkTarget(%s, %v) = %v, want %q", filepath.Base(tt.dir), tt.force, err, tt.wantErr)
		}
		var te *generator.TargetError
		if err != nil && !errors.As(err, &te) {
			t.Errorf("checkTarget(%s) error is %T, want *generator.TargetError", filepath.Base(tt.dir), err)
		}
	}
}

// TestNewOptionsNamed: an upgrade names each option added since the
// project was generated, what the project keeps, the new-project default
// and the command that sets it, in text and in --json; an option given
// by --set is not listed.
func TestNewOptionsNamed(t *testing.T) {
	added := []generator.NewOption{
		{Key: "widget", Usage: "serve site widgets", Value: "false", Default: "true"},
		{Key: "telemetry", Usage: "export traces", Value: "none", Default: "otel"},
		{Key: "kubernetes", Usage: "add manifests", Value: "false", Default: "false"},
	}
	opts := newOptions("./shop", generator.Answers{}, added, []string{"telemetry=none"})
	var text bytes.Buffer
	printNewOptions(&text, opts[:1])
	want := "New options since this project was generated (it keeps rendering as it did):\n" +
		"  widget: serve site widgets\n" +
		"    this project: false; new projects: true; to change it: wixgen upgrade ./shop --set widget=true\n"
	if text.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", text.String(), want)
	}
	if len(opts) != 2 || opts[1].Set != "wixgen upgrade ./shop --set kubernetes=true" {
		t.Errorf("a switch off in new projects too: %+v, want it turned on by --set kubernetes=true", opts)
	}
	js, _ := json.Marshal(opts[:1])
	if wantJS := `[{"key":"widget","usage":"serve site widgets","value":"false","default":"true","set":"wixgen upgrade ./shop --set widget=true"}]`; string(js) != wantJS {
		t.Errorf("JSON %s\nwant %s", js, wantJS)
	}
	if here := newOptions(".", generator.Answers{}, added[:1], nil); here[0].Set != "wixgen upgrade --set widget=true" {
		t.Errorf("inside the project: %q", here[0].Set)
	}
	// billing needs webhooks: a project without them is told to turn both on.
	billing := []generator.NewOption{{Key: "billing", Usage: "paid plans", Value: "false", Default: "true"}}
	if got := newOptions(".", generator.Answers{Webhooks: false}, billing, nil)[0].Set; got != "wixgen upgrade --set billing=true --set webhooks=true" {
		t.Errorf("billing without webhooks: %q", got)
	}
	if got := newOptions(".", generator.Answers{Webhooks: true}, billing, nil)[0].Set; got != "wixgen upgrade --set billing=true" {
		t.Errorf("billing with webhooks: %q", got)
	}
}

// TestUpgradeLock: while one upgrade holds the project's lock, another
// refuses (exit 1) and writes nothing; a dry run does not wait for it;
// once the lock is released (or its holder dies), upgrade runs and
// leaves no lock file.
func TestUpgradeLock(t *testing.T) {
	root := t.TempDir()
	if _, stderr, code := runWixgen(t, root, "new", "shop", "--yes", "--no-tidy", "-q"); code != 0 {
		t.Fatalf("new: %s", stderr)
	}
	dir := filepath.Join(root, "shop")
	unlock, err := lockProject(dir)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := treetest.Read(dir)
	_, stderr, code := runWixgen(t, root, "upgrade", "shop", "--set", "docker=false", "--no-tidy")
	if code != 1 || !strings.Contains(stderr, "another wixgen upgrade is running in shop (process ") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("upgrade while locked: exit %d\n%s", code, stderr)
	}
	if after, _ := treetest.Read(dir); !reflect.DeepEqual(before, after) {
		t.Error("an upgrade refused by the lock changed the project")
	}
	if _, stderr, code := runWixgen(t, root, "diff", "shop", "--set", "docker=false", "--quiet"); code != 1 {
		t.Errorf("diff while locked: exit %d, want 1 (changes)\n%s", code, stderr)
	}
	unlock()
	if _, stderr, code := runWixgen(t, root, "upgrade", "shop", "--set", "docker=false", "--no-tidy"); code != 0 {
		t.Errorf("upgrade after the lock was released: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, lockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lock file is left: %v", err)
	}
}
