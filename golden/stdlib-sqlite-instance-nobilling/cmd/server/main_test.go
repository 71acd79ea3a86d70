package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/internal/wixauth/wixauthtest"
)

const (
	testSecret = "test-app-secret"
	testAppID  = "1b2c3d4e-0000-4000-8000-000000000001"
)

// testEnv is a complete configuration, as the README documents it.
func testEnv(t *testing.T) map[string]string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"WIX_APP_ID":     testAppID,
		"WIX_APP_SECRET": testSecret,
		"WIX_PUBLIC_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"DATABASE_URL":   filepath.Join(t.TempDir(), "data", "test.db"),
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
	credential := wixauthtest.SignInstance(testSecret, map[string]any{
		"instanceId": "6a5f1c9e-7b3d-4c2a-9e1f-0d8b7a6c5e4f", "appDefId": testAppID, "uid": "user-1", "permissions": "OWNER",
	})
	if code, body := get("/healthz", ""); code != http.StatusOK {
		t.Errorf("GET /healthz: %d %s", code, body)
	}
	if code, body := get("/api/me", credential); code != http.StatusOK || !strings.Contains(body, "6a5f1c9e") {
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
	if l := logs.String(); strings.Contains(l, testSecret) || strings.Contains(l, credential) {
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
		{"bad public key", func(e map[string]string) { e["WIX_PUBLIC_KEY"] = "not a key" }, "WIX_PUBLIC_KEY"},
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
