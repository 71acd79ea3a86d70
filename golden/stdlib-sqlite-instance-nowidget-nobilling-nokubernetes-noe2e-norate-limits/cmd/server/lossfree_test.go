//go:build unix

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests check what a stop or a crash must not lose, with the server in
// a process of its own, so that signals and kill -9 are real: the test
// binary runs itself again as the server (see TestMain).

// serverEnv, set to 1, makes the test binary run the server.
const serverEnv = "LOSSFREE_TEST_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(serverEnv) == "1" {
		os.Exit(serveForTest())
	}
	os.Exit(m.Run())
}

// serveForTest runs the server as main does, on the listener the test
// passed as file descriptor 3.
func serveForTest() int {
	file := os.NewFile(3, "listener")
	ln, err := net.FileListener(file) // a copy: the server's shutdown closes it
	file.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout, ln); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 1
	}
	return 0
}

// server is the server running in a child process.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	exited chan struct{} // closed when the process has exited
	err    error         // how it exited, once exited is closed
}

// startServer starts the server with the environment env and returns once
// it is listening (it accepts connections from then on, though it may
// answer them a moment later).
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	file, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{serverEnv + "=1"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.ExtraFiles = []*os.File{file}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Only the child holds the listener now, so that once its shutdown has
	// closed it, connections are refused.
	file.Close()
	ln.Close()
	s := &server{t: t, cmd: cmd, addr: ln.Addr().String(), exited: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	})
	return s
}

// wait waits for the server to exit and returns how it did.
func (s *server) wait() error {
	s.t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(30 * time.Second):
		s.t.Fatal("the server did not exit within 30 s")
		return nil
	}
}

// call makes a request to the settings endpoint, with doc as the body when
// it is not empty, and returns the settings the server answers with.
func (s *server) call(method, doc string) (settings, error) {
	status, body, err := callSettings(s.addr, method, doc, "")
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%s /api/settings: status %d", method, status)
	}
	return body, err
}

// refusesConnections waits until nothing accepts connections at addr.
func refusesConnections(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
	}
	t.Fatal("the server still accepts connections 10 s after SIGTERM")
}

// TestSIGTERMUnreadyFirst sends SIGTERM while the server is reading a
// request's body: /readyz fails at once, yet the server goes on serving
// through SHUTDOWN_DELAY, which a second SIGTERM cuts short; then it stops
// accepting connections, answers the request, stores its write and exits
// cleanly.
func TestSIGTERMUnreadyFirst(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	env["SHUTDOWN_DELAY"] = "1h" // longer than the test: only the second SIGTERM ends it
	srv := startServer(t, env)

	// Expect: 100-continue makes the server say when its handler starts to
	// read the body, which the test then holds back until after SIGTERM.
	const doc = `{"drained":true}`
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(conn, "PUT /api/settings HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", srv.addr, credential(), len(doc))
	r := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v, %v; want 100 Continue", resp, err)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status := func(path string) int {
		resp, err := client.Get("http://" + srv.addr + path)
		if err != nil {
			t.Fatalf("GET %s after SIGTERM: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for deadline := time.Now().Add(10 * time.Second); status("/readyz") != http.StatusServiceUnavailable; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("GET /readyz does not answer 503 10 s after SIGTERM")
		}
	}
	if code := status("/healthz"); code != http.StatusOK {
		t.Errorf("GET /healthz while shutting down: %d, want 200", code)
	}
	if _, err := srv.call(http.MethodGet, ""); err != nil {
		t.Errorf("the API while shutting down: %v", err)
	}

	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	refusesConnections(t, srv.addr)
	if _, err := conn.Write([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("the request in flight at SIGTERM got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the request in flight at SIGTERM got status %d, want 200", resp.StatusCode)
	}
	if err := srv.wait(); err != nil {
		t.Errorf("the server exited with %v, want a clean exit", err)
	}

	got, err := startServer(t, env).call(http.MethodGet, "")
	if err != nil || string(got.Doc) != doc {
		t.Errorf("after a restart the settings are %s, %v; want %s", got.Doc, err, doc)
	}
}

// TestKillLosesNoAcknowledgedWrite kills the server with SIGKILL while
// writers keep it busy: once restarted, it has every write it acknowledged
// (the stored version is at least the highest version answered, and when
// equal, the document is that write's).
func TestKillLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	env := testEnv(t)
	srv := startServer(t, env)
	const (
		writers = 8
		acks    = 200 // writes acknowledged before the kill
	)
	var (
		mu     sync.Mutex
		last   settings // the highest version acknowledged
		count  int
		enough = make(chan struct{})
		killed atomic.Bool
		wg     sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			for n := 0; ; n++ {
				got, err := srv.call(http.MethodPut, fmt.Sprintf(`{"writer":%d,"n":%d}`, w, n))
				if err != nil {
					if !killed.Load() {
						t.Errorf("writer %d before the kill: %v", w, err)
					}
					return
				}
				mu.Lock()
				if got.Version > last.Version {
					last = got
				}
				if count++; count == acks {
					close(enough)
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(time.Minute):
		t.Fatalf("%d writes were not acknowledged within a minute", acks)
	}
	killed.Store(true)
	if err := srv.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	srv.wait()

	mu.Lock()
	defer mu.Unlock()
	got, err := startServer(t, env).call(http.MethodGet, "")
	switch {
	case err != nil:
		t.Fatalf("after the restart: %v", err)
	case got.Version < last.Version:
		t.Errorf("after the restart the version is %d, but %d was acknowledged", got.Version, last.Version)
	case got.Version == last.Version && string(got.Doc) != string(last.Doc):
		t.Errorf("after the restart version %d holds %s, but %s was acknowledged", got.Version, got.Doc, last.Doc)
	}
	t.Logf("%d writes acknowledged before the kill, up to version %d; %d after the restart", count, last.Version, got.Version)
}
