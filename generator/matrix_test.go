//go:build matrix

package generator_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wixgen/wixgen/generator"
)

// TestMatrix generates every router × store × auth combination, with every
// feature on and with every feature off, outside the repository, and runs
// the project's own checks in each: go mod tidy, gofmt, go vet, go build
// without cgo (the binary must be static) and go test with the race
// detector, as the generated CI does. It prints one line per combination.
// Run it with `make matrix`; it needs the Go module proxy or a warm module
// cache, gcc for -race, and for the postgres combinations a PostgreSQL
// server named by TEST_DATABASE_URL (.ci/run starts the machine's own).
//
// A skipped test counts as a failure: the generated projects skip only the
// PostgreSQL tests, and only when TEST_DATABASE_URL is unset, so a skip means
// a store suite did not run. For the same reason the postgres combinations
// refuse to start without TEST_DATABASE_URL.
func TestMatrix(t *testing.T) {
	g := newGenerator(t)
	root, err := os.MkdirTemp("", "wixgen-matrix-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(root)
		}
	})

	var combos []struct {
		name string
		a    generator.Answers
	}
	seen := make(map[string]bool)
	for _, a := range allAnswers() {
		key := a.Router + "-" + a.Store + "-" + a.Auth
		if seen[key] {
			continue
		}
		seen[key] = true
		combos = append(combos,
			struct {
				name string
				a    generator.Answers
			}{key, allOn(a.Router, a.Store, a.Auth)},
			struct {
				name string
				a    generator.Answers
			}{key + "-minimal", allOff(a.Router, a.Store, a.Auth)},
		)
	}

	var mu sync.Mutex // keeps each combination's line whole
	fmt.Printf("matrix: %d combinations in %s\n", len(combos), root)
	for _, c := range combos {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			dir := filepath.Join(root, c.name)
			step, err := checkProject(t.Context(), g, c.a, dir)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				fmt.Printf("FAIL %-40s %s: %v\n", c.name, step, err)
				t.Errorf("%s: %s: %v", c.name, step, err)
				return
			}
			fmt.Printf("ok   %-40s %5.1fs\n", c.name, time.Since(start).Seconds())
		})
	}
}

// checkProject generates one project and runs its checks, returning the
// step that failed.
func checkProject(ctx context.Context, g *generator.Generator, a generator.Answers, dir string) (string, error) {
	if a.Store == "postgres" && os.Getenv(testDatabaseURL) == "" {
		return "setup", fmt.Errorf("%s is not set, so the PostgreSQL store suite would be skipped; "+
			"point it at a PostgreSQL database the tests may create schemas in (.ci/run uses %s)", testDatabaseURL, localPostgres)
	}
	p, err := g.Render(a)
	if err != nil {
		return "render", err
	}
	if err := generator.Write(ctx, dir, p); err != nil {
		return "write", err
	}
	for _, args := range [][]string{
		{"go", "mod", "tidy"},
		{"gofmt", "-l", "."},
		{"go", "vet", "./..."},
		{"env", "CGO_ENABLED=0", "go", "build", "./..."},
	} {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil && args[0] == "gofmt" && len(out) > 0 {
			err = fmt.Errorf("files need gofmt")
		}
		if err != nil {
			return strings.Join(args, " "), fmt.Errorf("%w\n%s", err, out)
		}
	}
	const testStep = "go test -race -count=1 -json ./..."
	cmd := exec.CommandContext(ctx, "go", "test", "-race", "-count=1", "-json", "./...")
	cmd.Dir = dir
	out, err := cmd.Output() // stderr: build failures, in the error
	res, perr := readTestEvents(out)
	switch {
	case err != nil:
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		return testStep, fmt.Errorf("%w\n%s%s", err, res.output, stderr)
	case perr != nil:
		return testStep, perr
	case len(res.skipped) > 0:
		return testStep, fmt.Errorf("%d tests skipped, and the matrix counts a skip as a failure: %s\n%s",
			len(res.skipped), strings.Join(res.skipped, ", "), res.output)
	case res.passed[a.Module+"/internal/store"] == 0:
		return testStep, fmt.Errorf("no test of the store package passed:\n%s", res.output)
	}
	return "", nil
}

// testDatabaseURL is the variable the generated projects' PostgreSQL tests
// read; localPostgres is what .ci/run sets it to.
const (
	testDatabaseURL = "TEST_DATABASE_URL"
	localPostgres   = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)
