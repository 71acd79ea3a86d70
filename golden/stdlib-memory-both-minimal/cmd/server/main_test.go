package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/internal/wixfake"
)

const (
	testSecret = "test-app-secret"
	testAppID  = "1b2c3d4e-0000-4000-8000-000000000001"
)

// testEnv is a complete configuration, as the README documents it.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	return map[string]string{
		"WIX_APP_ID":     testAppID,
		"WIX_APP_SECRET": testSecret,
		// Stop at once; TestSIGTERMUnreadyFirst tests the delay.
		"SHUTDOWN_DELAY": "0",
	}
}

// syncBuffer collects the server's log lines from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// settings is the body of GET and PUT /api/settings.
type settings struct {
	Doc     json.RawMessage `json:"doc"`
	Version int64           `json:"version"`
}

// testInstance is the instance the test credential is for.
const testInstance = "6a5f1c9e-7b3d-4c2a-9e1f-0d8b7a6c5e4f"

// credential is what the app's frontend would send.
func credential() string {
	payload, _ := json.Marshal(map[string]any{
		"instanceId": testInstance, "appDefId": testAppID, "uid": "user-1", "permissions": "OWNER",
		"signDate": time.Now().UTC().Format(time.RFC3339Nano),
	})
	return wixfake.SignInstancePayload(testSecret, base64.RawURLEncoding.EncodeToString(payload))
}

// client makes a new connection per request, so that nothing outlives a
// server.
var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// callSettings makes a request to the settings endpoint of the server at
// addr, with doc as the body when it is not empty and If-Match when ifMatch
// is, and returns the status and the settings answered (none but for 200).
func callSettings(addr, method, doc, ifMatch string) (int, settings, error) {
	req, err := http.NewRequest(method, "http://"+addr+"/api/settings", strings.NewReader(doc))
	if err != nil {
		return 0, settings{}, err
	}
	req.Header.Set("Authorization", credential())
	req.Header.Set("Content-Type", "application/json")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, settings{}, err
	}
	defer resp.Body.Close()
	var body settings
	if resp.StatusCode == http.StatusOK {
		err = json.NewDecoder(resp.Body).Decode(&body)
	}
	return resp.StatusCode, body, err
}

// TestServerAnswersAndShutsDown starts the real server as main does, calls
// it over TCP, then stops it the way SIGTERM does.
func TestServerAnswersAndShutsDown(t *testing.T) {
	env := testEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &logs, ln) }()
	base := "http://" + ln.Addr().String()

	get := func(path, credential string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", base+path, nil)
		if credential != "" {
			req.Header.Set("Authorization", credential)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	cred := credential()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(path, ""); code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, code, body)
		}
	}
	if code, body := get("/api/me", cred); code != http.StatusOK || !strings.Contains(body, testInstance) {
		t.Errorf("GET /api/me with a credential: %d %s", code, body)
	}
	if code, body := get("/api/me", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /api/me without a credential: %d %s", code, body)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not shut down")
	}
	if l := logs.String(); strings.Contains(l, testSecret) || strings.Contains(l, cred) {
		t.Errorf("logs contain a secret or a credential:\n%s", l)
	}
}

func TestServerRefusesIncompleteConfig(t *testing.T) {
	tests := []struct {
		name    string
		change  func(map[string]string)
		wantErr string
	}{
		{"no secret", func(e map[string]string) { delete(e, "WIX_APP_SECRET") }, "WIX_APP_SECRET"},
		{"bad port", func(e map[string]string) { e["PORT"] = "http" }, "PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			tt.change(env)
			// Should the configuration pass after all, the server stops at
			// once instead of serving.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			err = run(ctx, func(k string) string { return env[k] }, io.Discard, ln)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("run: %v, want an error naming %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("the error shows the secret: %v", err)
			}
		})
	}
}
