package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/internal/store/storetest"
	"example.com/shop/internal/wixfake"
)

// replica is one of several servers run by one test on one database.
type replica struct {
	addr string
	logs *syncBuffer
}

// startReplicas starts n servers at once, as a deployment does, with the
// environment env, and returns once each is ready. They stop when the
// test ends.
func startReplicas(t *testing.T, n int, env map[string]string) []replica {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	replicas := make([]replica, n)
	done := make(chan error, n)
	for i := range replicas {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		replicas[i] = replica{addr: ln.Addr().String(), logs: new(syncBuffer)}
		go func() { done <- run(ctx, func(k string) string { return env[k] }, replicas[i].logs, ln) }()
	}
	t.Cleanup(func() {
		stop()
		for range replicas {
			if err := <-done; err != nil {
				t.Errorf("a replica stopped with %v", err)
			}
		}
	})
	for _, r := range replicas {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			resp, err := client.Get("http://" + r.addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %s not ready within 30 s; its log:\n%s", r.addr, r.logs)
			}
		}
	}
	return replicas
}

// TestReplicas runs two servers on one database, as a deployment with
// several replicas does: they apply each migration once between them, a
// setting written through one is read through the other, and a version
// conflict is seen across them. A webhook delivered to both, as Wix may deliver
// it again to another replica, is applied once.
func TestReplicas(t *testing.T) {
	wix := testWix(t)
	env := envFor(t, wix)
	env["DATABASE_URL"] = storetest.DatabaseURL(t)
	replicas := startReplicas(t, 2, env)
	a, b := replicas[0], replicas[1]

	// Each migration was applied by one replica, and every one was.
	files, err := os.ReadDir("../../internal/store/migrations")
	if err != nil {
		t.Fatal(err)
	}
	applied := make(map[string]int)
	for _, r := range replicas {
		for line := range strings.Lines(r.logs.String()) {
			var rec struct{ Msg, Name string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "store: migration applied" {
				applied[rec.Name]++
			}
		}
	}
	for _, f := range files {
		if n := applied[f.Name()]; n != 1 {
			t.Errorf("migration %s applied %d times, want once", f.Name(), n)
		}
	}
	if len(applied) != len(files) {
		t.Errorf("applied %v, want the %d migrations", applied, len(files))
	}

	// A setting written through one is read through the other, and
	// If-Match sees a write made through the other.
	want := func(r replica, method, doc, ifMatch string, status int, version int64) settings {
		t.Helper()
		code, got, err := callSettings(r.addr, method, doc, ifMatch)
		if err != nil || code != status || (status == http.StatusOK && got.Version != version) {
			t.Fatalf("%s /api/settings through %s: %d, version %d, %v; want %d, version %d", method, r.addr, code, got.Version, err, status, version)
		}
		return got
	}
	want(a, http.MethodPut, `{"from":"a"}`, "", http.StatusOK, 1)
	if got := want(b, http.MethodGet, "", "", http.StatusOK, 1); string(got.Doc) != `{"from":"a"}` {
		t.Errorf("through b: %s, want what a wrote", got.Doc)
	}
	want(b, http.MethodPut, `{"from":"b"}`, `"1"`, http.StatusOK, 2)
	want(a, http.MethodPut, `{"from":"a, late"}`, `"1"`, http.StatusPreconditionFailed, 0)
	if got := want(a, http.MethodGet, "", "", http.StatusOK, 2); string(got.Doc) != `{"from":"b"}` {
		t.Errorf("through a: %s, want what b wrote", got.Doc)
	}

	// Wix removes the app, and the delivery reaches both replicas at once:
	// the settings are gone, through either. The app is installed again,
	// and settings written; then the removal comes once more, late: it was
	// applied already, and is not applied again.
	now := time.Now()
	removed := signEvent(t, wix, "AppRemoved", now.Add(-2*time.Minute))
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Go(func() { deliver(t, r, removed) })
	}
	wg.Wait()
	want(b, http.MethodGet, "", "", http.StatusOK, 0)
	want(a, http.MethodGet, "", "", http.StatusOK, 0)
	deliver(t, b, signEvent(t, wix, "AppInstalled", now.Add(-time.Minute)))
	want(b, http.MethodPut, `{"after":"reinstall"}`, "", http.StatusOK, 1)
	deliver(t, a, removed)
	if got := want(a, http.MethodGet, "", "", http.StatusOK, 1); string(got.Doc) != `{"after":"reinstall"}` {
		t.Errorf("after the late removal: %s, want the settings written after the reinstall", got.Doc)
	}
}

// signEvent returns the body of a webhook of eventType for testInstance,
// issued at iat, signed by wix as Wix signs it.
func signEvent(t *testing.T, wix *wixfake.Fake, eventType string, iat time.Time) string {
	t.Helper()
	token, err := wix.Sign(wixfake.Event{Type: eventType, InstanceID: testInstance, Data: map[string]string{"appId": testAppID}, IssuedAt: iat})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// deliver posts a webhook to r, which must answer 200.
func deliver(t *testing.T, r replica, body string) {
	t.Helper()
	resp, err := client.Post("http://"+r.addr+"/webhooks", "text/plain", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("webhook delivered to %s: status %d, want 200", r.addr, resp.StatusCode)
	}
}
