//go:build e2e

package generator_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/wixgen/wixgen/generator"
)

// TestEndToEnd generates a project for each router and each auth mode, with
// every feature on, outside the repository, and runs `make e2e` in each:
// the project's own test that drives headless Chromium through its pages
// against its server and its fake Wix. It prints one line per project. Run
// it with `make e2e`; it needs Chromium or Chrome (.ci/run installs
// Debian's chromium), make, the Go module proxy or a warm module cache,
// and for the postgres project a PostgreSQL server named by
// TEST_DATABASE_URL. The projects run one after another: each builds its
// server and starts a browser, which is what a small machine can take.
func TestEndToEnd(t *testing.T) {
	g := newGenerator(t)
	root, err := os.MkdirTemp("", "wixgen-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !t.Failed() {
			os.RemoveAll(root)
		}
	})
	for _, c := range []struct{ router, store, auth string }{
		{"stdlib", "sqlite", "instance"},
		{"chi", "memory", "token"},
		{"gin", "sqlite", "both"},
		{"echo", "postgres", "instance"},
	} {
		name := c.router + "-" + c.store + "-" + c.auth
		t.Run(name, func(t *testing.T) {
			if c.store == "postgres" && os.Getenv("TEST_DATABASE_URL") == "" {
				t.Fatal("TEST_DATABASE_URL is not set, and the postgres project's server needs a database " +
					"(.ci/run uses postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
			}
			start := time.Now()
			a := allOn(c.router, c.store, c.auth)
			if !a.E2E {
				t.Fatalf("allOn(%s) has no e2e test", name)
			}
			p, err := g.Render(a)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(root, name)
			if err := generator.Write(t.Context(), dir, p); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{{"go", "mod", "tidy"}, {"make", "e2e"}} {
				cmd := exec.CommandContext(t.Context(), args[0], args[1:]...)
				cmd.Dir = dir
				if out, err := cmd.CombinedOutput(); err != nil {
					fmt.Printf("FAIL %-28s %s\n", name, args)
					t.Fatalf("%s in %s: %v\n%s", args, dir, err, out)
				}
			}
			fmt.Printf("ok   %-28s %5.1fs\n", name, time.Since(start).Seconds())
		})
	}
}
