package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/wixgen/wixgen/generator"
)

// ptyTerminal drives a process on a pseudo-terminal, as a user would: it
// waits for text and types keys. It answers the cursor-position queries
// survey makes, as a real terminal does.
type ptyTerminal struct {
	t    *testing.T
	pty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	seen int // bytes of out already matched by expect
	more chan struct{}
	done chan struct{}
}

func startTerminal(t *testing.T, cmd *exec.Cmd) *ptyTerminal {
	t.Helper()
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatalf("start on a pseudo-terminal: %v", err)
	}
	term := &ptyTerminal{t: t, pty: f, more: make(chan struct{}, 1), done: make(chan struct{})}
	go term.read()
	t.Cleanup(func() { f.Close() })
	return term
}

func (term *ptyTerminal) read() {
	defer close(term.done)
	buf := make([]byte, 4096)
	for {
		n, err := term.pty.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			for range bytes.Count(chunk, []byte("\x1b[6n")) {
				term.pty.Write([]byte("\x1b[1;1R")) // the cursor is at row 1, column 1
			}
			term.mu.Lock()
			term.out.Write(chunk)
			term.mu.Unlock()
			select {
			case term.more <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// expect waits until s appears after what was matched before.
func (term *ptyTerminal) expect(s string) {
	term.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		term.mu.Lock()
		i := strings.Index(term.out.String()[term.seen:], s)
		if i >= 0 {
			term.seen += i + len(s)
			term.mu.Unlock()
			return
		}
		term.mu.Unlock()
		select {
		case <-term.more:
		case <-term.done:
			term.t.Fatalf("the program ended before printing %q; it printed:\n%s", s, term.output())
		case <-deadline:
			term.t.Fatalf("waited 15s for %q; the terminal shows:\n%s", s, term.output())
		}
	}
}

// typeKeys types keys once the program has stopped drawing: survey
// queries the cursor position while it draws a prompt, and keys typed
// before it reads the answer would be taken for it.
func (term *ptyTerminal) typeKeys(keys string) {
	term.t.Helper()
	term.settle()
	if _, err := term.pty.WriteString(keys); err != nil {
		term.t.Fatalf("type %q: %v", keys, err)
	}
}

// settle waits until the terminal has printed nothing for 100ms.
func (term *ptyTerminal) settle() {
	for {
		select {
		case <-term.more:
		case <-term.done:
			return
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

func (term *ptyTerminal) output() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.out.String()
}

const (
	enter     = "\r"
	arrowDown = "\x1b[B"
)

// startNewOnTerminal runs `wixgen new proj --no-tidy` in dir on a
// pseudo-terminal, with nothing given, so that it asks for every answer.
func startNewOnTerminal(t *testing.T, dir string) (*exec.Cmd, *ptyTerminal) {
	t.Helper()
	cmd := exec.Command("wixgen", "new", "proj", "--no-tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TERM=xterm")
	return cmd, startTerminal(t, cmd)
}

// TestInteractiveNew answers every prompt of `wixgen new` on a
// pseudo-terminal: defaults, typed values, a rejected value, a menu choice
// and yes/no questions, then checks the project and the printed command.
func TestInteractiveNew(t *testing.T) {
	dir := t.TempDir()
	cmd, term := startNewOnTerminal(t, dir)

	term.expect("Project name")
	term.typeKeys(enter) // the default: the directory's name
	term.expect("Go module path")
	term.typeKeys("github.com/acme/proj" + enter)
	term.expect("Wix app ID")
	term.typeKeys("not-a-uuid" + enter)
	term.expect(`invalid app-id "not-a-uuid"`)
	term.typeKeys(strings.Repeat("\x7f", len("not-a-uuid")) + "1b2c3d4e-0000-4000-8000-000000000001" + enter)
	// Each menu offers every choice with its one-line description.
	term.expect("HTTP router")
	term.expect("net/http ServeMux")
	term.expect("go-chi/chi/v5: a net/http router")
	term.expect("gin-gonic/gin: gin.Context handlers")
	term.expect("labstack/echo/v5: handlers return error")
	term.typeKeys(arrowDown + enter) // chi
	term.expect("Datastore")
	term.expect("SQLite file")
	term.expect("in-process maps")
	term.expect("PostgreSQL (github.com/jackc/pgx/v5")
	term.typeKeys(arrowDown + enter) // memory
	term.expect("Authentication")
	term.expect("signed app instance")
	term.expect("Wix access token, checked with Wix's token-info endpoint")
	term.expect("either: a signed instance is checked locally")
	term.typeKeys(arrowDown + enter) // token
	term.expect("Serve a site widget?")
	term.typeKeys(enter) // default yes
	term.expect("Receive Wix webhooks?")
	term.typeKeys("n" + enter) // and billing, which needs webhooks, is not asked
	term.expect("Add a Dockerfile?")
	term.typeKeys(enter) // default yes
	term.expect("Add GitHub Actions workflows?")
	term.typeKeys("n" + enter)
	term.expect("Add Kubernetes manifests?")
	term.typeKeys(enter) // default no
	term.expect("Add an end-to-end test in a real browser?")
	term.typeKeys("n" + enter)
	term.expect("Limit the requests each client and each site may make?")
	term.typeKeys(enter) // default yes
	term.expect("To generate the same project without questions:")
	term.expect("wixgen new proj --name proj --module github.com/acme/proj --app-id 1b2c3d4e-0000-4000-8000-000000000001 " +
		"--router chi --store memory --auth token --widget=true --webhooks=false --billing=false --docker=true --ci=false --kubernetes=false --e2e=false --rate-limits=true --no-tidy --yes")
	term.expect("Created proj in proj.")

	if err := cmd.Wait(); err != nil {
		t.Fatalf("wixgen new: %v\n%s", err, term.output())
	}
	data, err := os.ReadFile(filepath.Join(dir, "proj", generator.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := generator.ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	want := generator.Answers{Name: "proj", Module: "github.com/acme/proj", AppID: "1b2c3d4e-0000-4000-8000-000000000001",
		Router: "chi", Store: "memory", Auth: "token", Widget: true, Webhooks: false, Docker: true, CI: false, RateLimits: true}
	if m.Answers != want {
		t.Errorf("recorded answers %+v, want %+v", m.Answers, want)
	}
}

// TestInteractiveInterrupt presses Ctrl-C at a prompt: wixgen stops with
// status 130 and writes nothing.
func TestInteractiveInterrupt(t *testing.T) {
	dir := t.TempDir()
	cmd, term := startNewOnTerminal(t, dir)
	term.expect("Project name")
	term.typeKeys(enter)
	term.expect("Go module path")
	term.typeKeys("\x03") // Ctrl-C

	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 {
		t.Fatalf("wixgen new after Ctrl-C: %v, want exit status 130\n%s", err, term.output())
	}
	term.expect("interrupted; nothing was written")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("an interrupted run left %d entries", len(entries))
	}
}

// TestInteractiveTerminated sends SIGTERM while wixgen waits at a prompt:
// it stops with status 130, writes nothing, and leaves the terminal out of
// raw mode.
func TestInteractiveTerminated(t *testing.T) {
	dir := t.TempDir()
	cmd, term := startNewOnTerminal(t, dir)
	term.expect("Project name")
	term.settle()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 130 {
		t.Fatalf("wixgen new after SIGTERM: %v, want exit status 130\n%s", err, term.output())
	}
	term.expect("interrupted; nothing was written")
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a terminated run left %d entries", len(entries))
	}
	state, err := unix.IoctlGetTermios(int(term.pty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if state.Lflag&unix.ICANON == 0 || state.Lflag&unix.ECHO == 0 {
		t.Errorf("the terminal was left in raw mode (lflag %#x)", state.Lflag)
	}
}
