package api_test

// These tests drive the API through a real HTTP server, as the app's
// frontend and Wix do. They use only HTTP, so they read the same whatever
// router serves the API.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"example.com/shop/internal/api"
	"example.com/shop/internal/cors"
	"example.com/shop/internal/ratelimit"
	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
	"example.com/shop/internal/wixfake"
)

const (
	testSecret = "test-app-secret"
	testAppID  = "1b2c3d4e-0000-4000-8000-000000000001"
	instanceA  = "6a5f1c9e-7b3d-4c2a-9e1f-0d8b7a6c5e4f"
	instanceB  = "0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e"
	appOrigin  = "https://" + testAppID + ".wix.run"
)

// testAPI is the API under test and what it talks to.
type testAPI struct {
	url   string
	store store.Store
	// logs holds what the API logged, as JSON lines, from Debug up.
	logs *lockedBuffer
	// removals is when the app was removed from each instance's site, as
	// the authenticator sees it.
	removals *removalBook
	// wix is the fake Wix the API asks for access tokens, token-info
	// and Get App Instance.
	wix *wixfake.Fake
	// drain, once called, tells the API the server is shutting down.
	drain func()
}

// newTestAPI serves the API over HTTP with a real store and a fake Wix. edits
// change the authenticator's Config.
func newTestAPI(t *testing.T, dev bool, edits ...func(*wixauth.Config)) *testAPI {
	t.Helper()
	fake := startWix(t)
	wixClient, err := wix.New(wix.Config{BaseURL: fake.URL, AppID: testAppID, AppSecret: testSecret, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Open(t)
	logs := new(lockedBuffer)
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	removals := &removalBook{at: map[string]time.Time{}}
	cfg := wixauth.Config{
		AppID:     testAppID,
		Secret:    testSecret,
		TokenInfo: wixClient,
		Removals:  removals,
		Logger:    log,
	}
	for _, edit := range edits {
		edit(&cfg)
	}
	auth, err := wixauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	draining := make(chan struct{})
	a := &testAPI{store: st, logs: logs, removals: removals, wix: fake, drain: sync.OnceFunc(func() { close(draining) })}
	deps := api.Deps{Logger: log, Auth: auth, CORS: cors.Policy{AppID: testAppID, Dev: dev}, Store: st, Wix: wixClient, Draining: draining}
	srv := httptest.NewServer(api.New(deps))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

// removalBook is the authenticator's view of removals: a map.
type removalBook struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (b *removalBook) RemovedAt(_ context.Context, id string) (time.Time, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.at[id], nil
}

// remove records that the app was removed from instance id's site at at.
// The authenticator remembers what it looked up for a few seconds, so
// record a removal before the instance's first request.
func (b *removalBook) remove(id string, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.at[id] = at
}

// startWix starts the fake Wix of one test API, which knows the test's
// app; the app was removed from instance B's site, so Get App Instance
// fails for it.
func startWix(t *testing.T) *wixfake.Fake {
	t.Helper()
	f := wixfake.Start(t, wixfake.Config{AppID: testAppID, AppSecret: testSecret})
	f.SetInstance(wixfake.Instance{ID: instanceB, SiteID: "site-b", OwnerID: "user-b", Removed: true})
	return f
}

// credential is what the frontend sends for the site owner of instance id
// in this auth mode: a signed instance.
func (a *testAPI) credential(id string) string {
	return signedInstance(id)
}

// credentialIssuedAt is a.credential(id) as Wix issued it at at.
func (a *testAPI) credentialIssuedAt(id string, at time.Time) string {
	p := instancePayload(id)
	p["signDate"] = at.UTC().Format(time.RFC3339Nano)
	return signInstance(testSecret, p)
}

// accessToken returns an access token of the given kind for instance id,
// as a's fake Wix issues it and its token-info answers: "valid" (the site
// owner's, issued an hour ago: before the events of TestWebhooks, as a
// token a page kept open since before the app was removed), "member",
// "visitor" and "app" (a site member's, a site visitor's and the app's
// own), "unknown" (of a subject type the API does not know), "expired"
// (issued longer ago than tokens live) and "inactive" (one this fake never
// issued: token-info says it is not active).
func (a *testAPI) accessToken(kind, id string) string {
	c := wixfake.Caller{Role: wixfake.User, InstanceID: id, ID: "user-1", IssuedAt: time.Now().Add(-time.Hour)}
	switch kind {
	case "valid":
	case "member", "visitor", "app", "unknown":
		c.Role, c.ID = wixfake.Role(kind), kind+"-1"
	case "expired":
		c.IssuedAt = time.Now().Add(-wixfake.DefaultLifetime - time.Minute)
	case "inactive":
		other, err := wixfake.New(wixfake.Config{AppID: testAppID, AppSecret: testSecret})
		if err != nil {
			panic(err) // the key is made once, and was
		}
		return other.Token(c)
	default:
		panic("accessToken: no kind " + kind)
	}
	return a.wix.Token(c)
}

// tokenInfoAnswer is a token-info answer, as Wix documents it (values as
// strings), for the site owner of instance A, with fields replaced by
// those in edit: what the fake Wix, which answers only for its own app
// and its own unexpired tokens, never says.
func tokenInfoAnswer(edit map[string]string) string {
	info := map[string]string{
		"active":      "true",
		"subjectType": "USER",
		"subjectId":   "user-1",
		"exp":         strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10),
		"iat":         strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10),
		"clientId":    testAppID,
		"instanceId":  instanceA,
	}
	for k, v := range edit {
		info[k] = v
	}
	text, err := json.Marshal(info)
	if err != nil {
		panic(err) // strings only
	}
	return string(text)
}

// signInstance JSON-encodes payload and signs it with secret as Wix signs
// an instance.
func signInstance(secret string, payload map[string]any) string {
	text, err := json.Marshal(payload)
	if err != nil {
		panic(err) // strings and booleans
	}
	return signRaw(secret, string(text))
}

// signRaw signs payload text, which need not be JSON, as Wix signs an
// instance.
func signRaw(secret, text string) string {
	return wixfake.SignInstancePayload(secret, base64.RawURLEncoding.EncodeToString([]byte(text)))
}

// signedInstance is a valid signed instance of a site owner of id.
func signedInstance(id string) string {
	return signInstance(testSecret, instancePayload(id))
}

// signedInstanceOf is a signed instance of id for a caller in role, shaped
// as Wix signs them: a site member's uid is their member ID, and a
// visitor has no uid, only an aid.
func signedInstanceOf(role, id string) string {
	p := instancePayload(id)
	switch role {
	case "member":
		p["uid"], p["siteMemberId"], p["permissions"], p["aid"] = "member-1", "member-1", "", "visitor-1"
	case "visitor":
		delete(p, "uid")
		p["permissions"], p["aid"] = "", "visitor-1"
	}
	return signInstance(testSecret, p)
}

func instancePayload(id string) map[string]any {
	return map[string]any{
		"instanceId":   id,
		"appDefId":     testAppID,
		"signDate":     "2024-05-01T10:00:00.000Z",
		"uid":          "user-1",
		"permissions":  "OWNER",
		"demoMode":     false,
		"siteOwnerId":  "user-1",
		"siteMemberId": "member-0",
	}
}

// call makes one request and returns the response with its body read.
func (a *testAPI) call(t *testing.T, method, path string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, a.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(data)
}

func auth(instance string) map[string]string { return map[string]string{"Authorization": instance} }

// wantJSONError checks an error answer: status, JSON content type and code.
func wantJSONError(t *testing.T, resp *http.Response, body string, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, status, body)
	}
	wantJSONContentType(t, resp)
	var e struct{ Error, Message string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != code || e.Message == "" {
		t.Errorf("body %s, want {\"error\":%q,\"message\":...}", body, code)
	}
}

// wantJSONContentType checks that an answer is JSON, labelled exactly as
// application/json: the media type has no charset parameter (RFC 8259).
func wantJSONContentType(t *testing.T, resp *http.Response) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", resp.Request.Method, resp.Request.URL.Path, ct)
	}
}

// wantNoErrorLogged checks that the API logged nothing at ERROR: a bad
// request is the client's fault, not the server's.
func wantNoErrorLogged(t *testing.T, a *testAPI) {
	t.Helper()
	if strings.Contains(a.logs.String(), `"level":"ERROR"`) {
		t.Errorf("bad input logged as a server error:\n%s", a.logs.String())
	}
}

func TestMe(t *testing.T) {
	a := newTestAPI(t, false)
	resp, body := a.call(t, "GET", "/api/me", auth(a.credential(instanceA)), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
	wantJSONContentType(t, resp)
	var me struct {
		InstanceID  string `json:"instanceId"`
		UserID      string `json:"userId"`
		Permissions string `json:"permissions"`
		Instance    struct {
			SiteOwnerID string `json:"siteOwnerId"`
		} `json:"instance"`
	}
	if err := json.Unmarshal([]byte(body), &me); err != nil {
		t.Fatal(err)
	}
	if me.InstanceID != instanceA || me.UserID != "user-1" || me.Permissions != "OWNER" || me.Instance.SiteOwnerID != "user-1" {
		t.Errorf("GET /api/me = %s", body)
	}
}

// TestInvalidInstances checks that every kind of bad credential gets a
// JSON 401 and never reaches a handler.
func TestInvalidInstances(t *testing.T) {
	a := newTestAPI(t, false)
	valid := signedInstance(instanceA)
	sig, payload, _ := strings.Cut(valid, ".")
	withPayload := func(change func(map[string]any)) string {
		p := instancePayload(instanceA)
		change(p)
		return signInstance(testSecret, p)
	}
	tests := []struct {
		name, header string
	}{
		{"missing", ""},
		{"no dot", sig + payload},
		{"empty signature", "." + payload},
		{"empty payload", sig + "."},
		{"signature not base64", "%%%." + payload},
		{"payload not base64", sig + ".%%%"},
		{"payload not JSON", signRaw(testSecret, "not json")},
		{"payload not an object", signRaw(testSecret, `["a"]`)},
		{"signed with another secret", signInstance("other-secret", instancePayload(instanceA))},
		{"payload changed after signing", sig + "." + strings.TrimSuffix(payload, "Q") + "R"},
		{"instance ID swapped", sig + "." + strings.Split(signedInstance(instanceB), ".")[1]},
		{"another app's instance", withPayload(func(p map[string]any) { p["appDefId"] = "00000000-0000-4000-8000-000000000000" })},
		{"no instance ID", withPayload(func(p map[string]any) { delete(p, "instanceId") })},
		{"oversized", valid + strings.Repeat("A", 5000)},
		{"plain instance ID", instanceA},
		// Correctly signed, but no store could key a site's rows by it.
		{"instance ID with a NUL", withPayload(func(p map[string]any) { p["instanceId"] = "6a5f\x00" })},
		{"instance ID of 300 characters", withPayload(func(p map[string]any) { p["instanceId"] = strings.Repeat("6", 300) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, method := range []string{"GET", "PUT"} {
				for _, path := range []string{"/api/me", "/api/settings"} {
					if method == "PUT" && path == "/api/me" {
						continue
					}
					resp, body := a.call(t, method, path, auth(tt.header), `{"a":1}`)
					wantJSONError(t, resp, body, http.StatusUnauthorized, "unauthorized")
				}
			}
		})
	}
	wantNoErrorLogged(t, a)
}

// tokenRoute is a route that takes access tokens.
const tokenRoute = "/api/settings"

// TestInvalidTokens checks that every kind of refused access token gets a
// JSON 401 and never reaches a handler.
func TestInvalidTokens(t *testing.T) {
	a := newTestAPI(t, false)
	expired := strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)
	tests := []struct {
		name, header string
		tokenInfo    string // when set, token-info's answer during the case
	}{
		{"missing", "", ""},
		{"Bearer without a token", "Bearer ", ""},
		{"unknown to Wix", "OauthNG.JWS.forged.token.value", ""},
		{"inactive", a.accessToken("inactive", instanceA), ""},
		{"inactive, with every other field", a.accessToken("valid", instanceA), tokenInfoAnswer(map[string]string{"active": "false"})},
		{"expired, as Wix says it", a.accessToken("expired", instanceA), ""},
		{"expired, yet called active", a.accessToken("valid", instanceA), tokenInfoAnswer(map[string]string{"exp": expired})},
		{"another app's token", a.accessToken("valid", instanceA), tokenInfoAnswer(map[string]string{"clientId": "00000000-0000-4000-8000-000000000000"})},
		{"oversized", a.accessToken("valid", instanceA) + strings.Repeat("A", 5000), ""},
		{"plain instance ID", instanceA, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.tokenInfo != "" {
				a.wix.Fail(wixfake.TokenInfoEndpoint, wixfake.Fault{Body: tt.tokenInfo})
				defer a.wix.ClearFaults()
			}
			for _, path := range []string{"/api/me", tokenRoute} {
				resp, body := a.call(t, "GET", path, auth(tt.header), "")
				wantJSONError(t, resp, body, http.StatusUnauthorized, "unauthorized")
			}
		})
	}
}

// TestTokenInfoDown checks that a token Wix cannot vouch for, because
// token-info fails, gets a JSON 503, not a 401, and reaches no handler.
func TestTokenInfoDown(t *testing.T) {
	a := newTestAPI(t, false)
	a.wix.Fail(wixfake.TokenInfoEndpoint, wixfake.Fault{Status: http.StatusServiceUnavailable})
	resp, body := a.call(t, "GET", tokenRoute, auth(a.accessToken("valid", instanceA)), "")
	wantJSONError(t, resp, body, http.StatusServiceUnavailable, "auth_unavailable")
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("503 Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	if rec := findLog(t, a.logs, "request not authenticated", tokenRoute); rec["level"] != "WARN" {
		t.Errorf("a credential that could not be checked is logged as %v, want level WARN", rec)
	}
}

// TestGarbageNeverReachesWix checks that values that cannot be Wix access
// tokens are refused here with 401, without a token-info request, even
// when Wix cannot be reached (issue: every such value cost a call to Wix,
// and with Wix failing, garbage got 503).
func TestGarbageNeverReachesWix(t *testing.T) {
	unreachable := httptest.NewServer(http.NotFoundHandler())
	unreachable.Close()
	wixClient, err := wix.New(wix.Config{BaseURL: unreachable.URL, AppID: testAppID, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	a := newTestAPI(t, false, func(c *wixauth.Config) { c.TokenInfo = wixClient })
	for _, garbage := range []string{"garbage", "bogus-12345", "OauthNG.JWS.", "OauthNG.JWS.a+b", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", strings.Repeat("x", 4096)} {
		resp, body := a.call(t, "GET", tokenRoute, auth(garbage), "")
		wantJSONError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	}
	resp, body := a.call(t, "GET", tokenRoute, auth(a.accessToken("valid", instanceA)), "")
	wantJSONError(t, resp, body, http.StatusServiceUnavailable, "auth_unavailable")
}

// TestNewTokensBudgeted checks that one client cannot make the server ask
// Wix about any number of tokens (issue: 10,000 bogus values from one
// client cost 10,290 token-info calls): over its budget it gets 429 with
// Retry-After, which the app's page can read (CORS), and Wix is not asked.
func TestNewTokensBudgeted(t *testing.T) {
	a := newTestAPI(t, false, func(c *wixauth.Config) { c.NewTokens = ratelimit.Config{Rate: 0.01, Burst: 2} })
	h := map[string]string{"Origin": appOrigin}
	for i := range 2 {
		h["Authorization"] = "OauthNG.JWS.forged." + strconv.Itoa(i) + ".value"
		resp, body := a.call(t, "GET", tokenRoute, h, "")
		wantJSONError(t, resp, body, http.StatusUnauthorized, "unauthorized")
	}
	h["Authorization"] = "OauthNG.JWS.forged.3.value"
	resp, body := a.call(t, "GET", tokenRoute, h, "")
	wantJSONError(t, resp, body, http.StatusTooManyRequests, "rate_limited")
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 100 {
		t.Errorf("Retry-After %q, want the seconds until the next token may be checked", resp.Header.Get("Retry-After"))
	}
	if got, want := resp.Header.Get("Access-Control-Allow-Origin"), appOrigin; got != want {
		t.Errorf("429 Access-Control-Allow-Origin %q, want %q", got, want)
	}
	if e := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(e, "Retry-After") {
		t.Errorf("429 Access-Control-Expose-Headers %q, want Retry-After", e)
	}
	if n := a.wix.Requests(wixfake.TokenInfoEndpoint); n != 2 {
		t.Errorf("%d token-info requests, want 2: the third token was over the budget", n)
	}
}

// TestEitherCredential checks that the same site owner is recognised with a
// signed instance and with an access token, and sees the same data.
func TestEitherCredential(t *testing.T) {
	a := newTestAPI(t, false)
	a.call(t, "PUT", "/api/settings", auth(signedInstance(instanceA)), `{"saved":"with an instance"}`)
	resp, body := a.call(t, "GET", "/api/settings", auth(a.accessToken("valid", instanceA)), "")
	if s := decodeSettings(t, body); resp.StatusCode != 200 || string(s.Doc) != `{"saved":"with an instance"}` {
		t.Fatalf("GET with an access token: %d %s", resp.StatusCode, body)
	}
	resp, body = a.call(t, "GET", "/api/me", auth("Bearer "+a.accessToken("valid", instanceA)), "")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"instanceId":"`+instanceA+`"`) || !strings.Contains(body, `"userId":"user-1"`) {
		t.Fatalf("GET /api/me with an access token: %d %s", resp.StatusCode, body)
	}
}

func TestBearerPrefixIsAccepted(t *testing.T) {
	a := newTestAPI(t, false)
	resp, body := a.call(t, "GET", "/api/me", auth("Bearer "+a.credential(instanceA)), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
}

// TestRoles checks who may call which route, with every kind of credential
// this project takes: the dashboard's routes serve the site's Wix users
// only and answer any other caller 403 forbidden. A
// credential a route does not take, or one naming no known kind of caller,
// is 401. A refused write writes nothing.
func TestRoles(t *testing.T) {
	a := newTestAPI(t, false)
	callers := []struct {
		name, credential string
		dashboard        int // the status each kind of route answers
	}{
		{"owner, signed instance", signedInstanceOf("user", instanceA), 200},
		{"site member, signed instance", signedInstanceOf("member", instanceA), 403},
		{"site visitor, signed instance", signedInstanceOf("visitor", instanceA), 403},
		{"Wix user, token", a.accessToken("valid", instanceA), 200},
		{"site member, token", a.accessToken("member", instanceA), 403},
		{"site visitor, token", a.accessToken("visitor", instanceA), 403},
		{"the app, token", a.accessToken("app", instanceA), 403},
		{"unknown kind of caller, token", a.accessToken("unknown", instanceA), 401},
	}
	routes := []struct {
		method, path string
		widget       bool
	}{
		{"GET", "/api/me", false},
		{"GET", "/api/settings", false},
		{"PUT", "/api/settings", false},
		{"GET", "/api/site", false},
	}
	codes := map[int]string{401: "unauthorized", 403: "forbidden"}
	for _, c := range callers {
		for _, r := range routes {
			t.Run(c.name+" "+r.method+" "+r.path, func(t *testing.T) {
				want := c.dashboard
				before, _ := a.store.Settings(t.Context(), instanceA)
				resp, body := a.call(t, r.method, r.path, auth(c.credential), `{"by":"`+c.name+`"}`)
				if want != http.StatusOK {
					wantJSONError(t, resp, body, want, codes[want])
					if after, _ := a.store.Settings(t.Context(), instanceA); after.Version != before.Version {
						t.Errorf("a refused %s wrote the settings", r.method)
					}
					return
				}
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
				}
			})
		}
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name    string
		dev     bool
		origin  string
		allowed bool
	}{
		{"app origin", false, appOrigin, true},
		{"app origin in dev", true, appOrigin, true},
		{"localhost without dev", false, "http://localhost:5173", false},
		{"localhost in dev", true, "http://localhost:5173", true},
		{"127.0.0.1 in dev", true, "http://127.0.0.1:3000", true},
		{"suffix look-alike", false, appOrigin + ".evil.com", false},
		{"prefix look-alike", false, "https://evil" + testAppID + ".wix.run", false},
		{"http app origin", false, "http://" + testAppID + ".wix.run", false},
		{"localhost look-alike in dev", true, "http://localhost.evil.com", false},
		{"localhost port look-alike in dev", true, "http://localhost:3000.evil.com", false},
		{"another app", false, "https://00000000-0000-4000-8000-000000000000.wix.run", false},
		{"null", true, "null", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTestAPI(t, tt.dev)
			resp, _ := a.call(t, "OPTIONS", "/api/settings", map[string]string{
				"Origin":                         tt.origin,
				"Access-Control-Request-Method":  "PUT",
				"Access-Control-Request-Headers": "authorization, content-type",
			}, "")
			if resp.StatusCode >= 300 {
				t.Errorf("preflight status %d, want 2xx", resp.StatusCode)
			}
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if tt.allowed {
				if got != tt.origin {
					t.Errorf("preflight Access-Control-Allow-Origin %q, want %q", got, tt.origin)
				}
				if m := resp.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PUT") {
					t.Errorf("preflight Access-Control-Allow-Methods %q, want PUT", m)
				}
				h := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
				if !strings.Contains(h, "authorization") || !strings.Contains(h, "content-type") {
					t.Errorf("preflight Access-Control-Allow-Headers %q, want authorization and content-type", h)
				}
			} else if got != "" {
				t.Errorf("preflight from %s allowed (%q)", tt.origin, got)
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("preflight Vary %q, want Origin", resp.Header.Values("Vary"))
			}

			header := auth(a.credential(instanceA))
			header["Origin"] = tt.origin
			resp, body := a.call(t, "GET", "/api/me", header, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET status %d, body %s", resp.StatusCode, body)
			}
			got = resp.Header.Get("Access-Control-Allow-Origin")
			if tt.allowed && got != tt.origin || !tt.allowed && got != "" {
				t.Errorf("GET Access-Control-Allow-Origin %q, allowed %v", got, tt.allowed)
			}
			if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("GET Vary %q, want Origin", resp.Header.Values("Vary"))
			}
		})
	}
}

type settings struct {
	Doc     json.RawMessage `json:"doc"`
	Version int64           `json:"version"`
}

func decodeSettings(t *testing.T, body string) settings {
	t.Helper()
	var s settings
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return s
}

func TestSettingsRoundTrip(t *testing.T) {
	a := newTestAPI(t, false)
	h := auth(a.credential(instanceA))

	resp, body := a.call(t, "GET", "/api/settings", h, "")
	if s := decodeSettings(t, body); resp.StatusCode != 200 || string(s.Doc) != "{}" || s.Version != 0 {
		t.Fatalf("before any save: %d %s", resp.StatusCode, body)
	}

	doc := `{"greeting":"héllo ✓","count":3,"nested":{"on":true}}`
	resp, body = a.call(t, "PUT", "/api/settings", h, doc)
	if s := decodeSettings(t, body); resp.StatusCode != 200 || s.Version != 1 || string(s.Doc) != doc {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("ETag") != `"1"` {
		t.Errorf("PUT ETag %q, want \"1\"", resp.Header.Get("ETag"))
	}

	resp, body = a.call(t, "GET", "/api/settings", h, "")
	if s := decodeSettings(t, body); resp.StatusCode != 200 || string(s.Doc) != doc || s.Version != 1 {
		t.Fatalf("GET after PUT: %d %s", resp.StatusCode, body)
	}

	h["If-Match"] = `"1"`
	resp, body = a.call(t, "PUT", "/api/settings", h, `{"count":4}`)
	if s := decodeSettings(t, body); resp.StatusCode != 200 || s.Version != 2 {
		t.Fatalf("PUT If-Match current version: %d %s", resp.StatusCode, body)
	}
	resp, body = a.call(t, "PUT", "/api/settings", h, `{"count":5}`)
	wantJSONError(t, resp, body, http.StatusPreconditionFailed, "version_conflict")
}

func TestSettingsRejectsBadInput(t *testing.T) {
	a := newTestAPI(t, false)
	tests := []struct {
		name, ifMatch, body string
		status              int
		code                string
	}{
		{"not JSON", "", "{", 400, "bad_request"},
		{"an array", "", "[1,2]", 400, "bad_request"},
		{"a string", "", `"x"`, 400, "bad_request"},
		{"empty", "", "", 400, "bad_request"},
		{"bad If-Match", "W/abc", "{}", 400, "bad_request"},
		// json.Valid does not look inside strings; a store would refuse them.
		{"invalid UTF-8 in a string", "", "{\"a\":\"\xff\xfe\"}", 400, "bad_request"},
		{"a UTF-16 surrogate in UTF-8", "", "{\"a\":\"\xed\xa0\x80\"}", 400, "bad_request"},
		{"too large", "", `{"x":"` + strings.Repeat("a", api.MaxBodyBytes) + `"}`, 413, "request_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := auth(a.credential(instanceA))
			if tt.ifMatch != "" {
				h["If-Match"] = tt.ifMatch
			}
			resp, body := a.call(t, "PUT", "/api/settings", h, tt.body)
			wantJSONError(t, resp, body, tt.status, tt.code)
		})
	}
	if _, err := a.store.Settings(t.Context(), instanceA); err == nil {
		t.Error("a rejected PUT stored settings")
	}
	wantNoErrorLogged(t, a)
}

// TestRemovedInstance checks that once the app's removal from a site is
// recorded, a credential issued before it gets 401 instance_removed, reads
// and writes alike, and the write creates nothing; a credential issued
// after it (a reinstall) works (issue: after AppRemoved deleted a site's
// settings, a PUT with an instance signed before the removal got 200 and
// recreated them).
func TestRemovedInstance(t *testing.T) {
	a := newTestAPI(t, false)
	removedAt := time.Now().Add(-time.Hour)
	a.removals.remove(instanceA, removedAt)
	before := auth(a.credentialIssuedAt(instanceA, removedAt.Add(-time.Minute)))
	for _, method := range []string{"GET", "PUT"} {
		resp, body := a.call(t, method, "/api/settings", before, `{"recreated":true}`)
		wantJSONError(t, resp, body, http.StatusUnauthorized, "instance_removed")
	}
	if _, err := a.store.Settings(t.Context(), instanceA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused PUT stored settings: %v", err)
	}
	after := auth(a.credentialIssuedAt(instanceA, removedAt.Add(time.Minute)))
	if resp, body := a.call(t, "PUT", "/api/settings", after, `{"reinstalled":true}`); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT with a credential issued after the removal: %d %s", resp.StatusCode, body)
	}
}

// TestSettingsByteForByte checks that settings come back exactly as they
// were sent, neither compacted nor HTML-escaped (issue: { "a" :  1 } came
// back as {"a":1}, and a 1 MiB document of < as 6.3 MB).
func TestSettingsByteForByte(t *testing.T) {
	a := newTestAPI(t, false)
	h := auth(a.credential(instanceA))
	for _, doc := range []string{
		`{ "a" :  1 ,"b":[ 1,2 ] }`,
		`{"html":"<script>&amp;</script>","unicode":"\u00e9 é"}`,
		`{"x":"` + strings.Repeat("<", api.MaxBodyBytes-16) + `"}`,
	} {
		resp, put := a.call(t, "PUT", "/api/settings", h, doc)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT: %d %.200s", resp.StatusCode, put)
		}
		resp, got := a.call(t, "GET", "/api/settings", h, "")
		for name, body := range map[string]string{"PUT": put, "GET": got} {
			if !strings.HasPrefix(body, `{"doc":`+doc+`,"version":`) {
				t.Errorf("%s answered %.200s; want the document as sent", name, body)
			}
			if len(body) > len(doc)+100 {
				t.Errorf("%s answered %d bytes for a document of %d", name, len(body), len(doc))
			}
		}
		if s := decodeSettings(t, got); resp.StatusCode != http.StatusOK || s.Version < 1 {
			t.Errorf("GET: %d, version %d", resp.StatusCode, s.Version)
		}
	}
}

// TestCredentialsBeforeBody checks that a request without valid
// credentials is refused as such, whatever its body: the body is neither
// read nor judged for a caller who is not authenticated.
func TestCredentialsBeforeBody(t *testing.T) {
	a := newTestAPI(t, false)
	for name, body := range map[string]string{
		"too large": strings.Repeat(" ", api.MaxBodyBytes+1),
		"not JSON":  "{",
	} {
		t.Run(name, func(t *testing.T) {
			resp, got := a.call(t, "PUT", "/api/settings", nil, body)
			wantJSONError(t, resp, got, http.StatusUnauthorized, "unauthorized")
		})
	}
}

// TestInstancesAreIsolated checks that one site never sees or changes
// another's settings.
func TestInstancesAreIsolated(t *testing.T) {
	a := newTestAPI(t, false)
	hA, hB := auth(a.credential(instanceA)), auth(a.credential(instanceB))
	a.call(t, "PUT", "/api/settings", hA, `{"owner":"A"}`)

	resp, body := a.call(t, "GET", "/api/settings", hB, "")
	if s := decodeSettings(t, body); resp.StatusCode != 200 || string(s.Doc) != "{}" {
		t.Fatalf("B sees %s", body)
	}
	a.call(t, "PUT", "/api/settings", hB, `{"owner":"B"}`)
	_, body = a.call(t, "GET", "/api/settings", hA, "")
	if s := decodeSettings(t, body); string(s.Doc) != `{"owner":"A"}` || s.Version != 1 {
		t.Fatalf("A's settings after B wrote: %s", body)
	}
}

func TestSite(t *testing.T) {
	a := newTestAPI(t, false)
	resp, body := a.call(t, "GET", "/api/site", auth(a.credential(instanceA)), "")
	if site := a.wix.Instance(instanceA).SiteID; resp.StatusCode != http.StatusOK || !strings.Contains(body, `"siteId":"`+site+`"`) {
		t.Fatalf("GET /api/site: %d %s", resp.StatusCode, body)
	}
	resp, body = a.call(t, "GET", "/api/site", auth(a.credential(instanceB)), "")
	wantJSONError(t, resp, body, http.StatusBadGateway, "wix_error")
}

func TestRoutingErrors(t *testing.T) {
	a := newTestAPI(t, false)
	resp, body := a.call(t, "GET", "/api/nope", auth(a.credential(instanceA)), "")
	wantJSONError(t, resp, body, http.StatusNotFound, "not_found")

	resp, body = a.call(t, "DELETE", "/api/settings", auth(a.credential(instanceA)), "")
	wantJSONError(t, resp, body, http.StatusMethodNotAllowed, "method_not_allowed")
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "PUT") {
		t.Errorf("405 Allow %q, want GET and PUT", allow)
	}
}

// TestRouteErrorsWithoutCredentials checks that an unknown path gets a JSON
// 404 and a known path asked with the wrong method a JSON 405 whose Allow
// header lists the methods it takes (HEAD wherever GET is), before any
// credentials are asked for, and that a path with a trailing slash, an
// empty, "." or ".." element is unknown rather than redirected, as is one
// that escapes a character that needs no escaping.
func TestRouteErrorsWithoutCredentials(t *testing.T) {
	a := newTestAPI(t, false)
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        string
	}{
		{"GET", "/nope", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/nope", http.StatusNotFound, "not_found", ""},
		{"GET", "/api", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/me/", http.StatusNotFound, "not_found", ""},
		{"GET", "//healthz", http.StatusNotFound, "not_found", ""},
		{"GET", "/api//me", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/./me", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/x/../me", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/%6De", http.StatusNotFound, "not_found", ""},
		{"GET", "/api/me%2F", http.StatusNotFound, "not_found", ""},
		{"POST", "/api/nope", http.StatusNotFound, "not_found", ""},
		{"DELETE", "/api/settings", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, PUT"},
		{"POST", "/api/settings", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD, PUT"},
		{"PUT", "/api/me", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"OPTIONS", "/api/me", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"POST", "/healthz", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{"PUT", "/readyz", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := a.call(t, tt.method, tt.path, nil, "")
			wantJSONError(t, resp, body, tt.status, tt.code)
			if allow := resp.Header.Get("Allow"); allow != tt.allow {
				t.Errorf("Allow %q, want %q", allow, tt.allow)
			}
		})
	}
}

// TestHeadIsServedByGet checks that every GET route answers HEAD with the
// status and headers of GET and no body, credentials checked as for GET.
func TestHeadIsServedByGet(t *testing.T) {
	a := newTestAPI(t, false)
	tests := []struct {
		path   string
		header map[string]string
		status int
	}{
		{"/healthz", nil, http.StatusOK},
		{"/readyz", nil, http.StatusOK},
		{"/api/me", auth(a.credential(instanceA)), http.StatusOK},
		{"/api/settings", auth(a.credential(instanceA)), http.StatusOK},
		{"/api/me", nil, http.StatusUnauthorized},
		{"/api/nope", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		resp, body := a.call(t, "HEAD", tt.path, tt.header, "")
		if resp.StatusCode != tt.status || body != "" {
			t.Errorf("HEAD %s: status %d, body %q; want %d and no body", tt.path, resp.StatusCode, body, tt.status)
		}
		wantJSONContentType(t, resp)
	}
}

// TestPreflightOnEveryPath checks that CORS preflight requests, which carry
// no credentials, are answered for every path, known or not, before
// authentication and routing.
func TestPreflightOnEveryPath(t *testing.T) {
	a := newTestAPI(t, false)
	for _, path := range []string{"/api/me", "/api/settings", "/api/site", "/api/nope", "/healthz", "/readyz"} {
		t.Run(path, func(t *testing.T) {
			resp, body := a.call(t, "OPTIONS", path, map[string]string{
				"Origin":                         appOrigin,
				"Access-Control-Request-Method":  "GET",
				"Access-Control-Request-Headers": "authorization",
			}, "")
			if resp.StatusCode != http.StatusNoContent {
				t.Errorf("status %d, want 204; body %s", resp.StatusCode, body)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != appOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, appOrigin)
			}
			if got := resp.Header.Get("Access-Control-Max-Age"); got != "600" {
				t.Errorf("Access-Control-Max-Age %q, want 600", got)
			}
			if allow := resp.Header.Get("Allow"); allow != "" || body != "" {
				t.Errorf("preflight answer has Allow %q and body %q, want neither", allow, body)
			}
		})
	}
}

// TestAnswersAreNotCached checks that answers, successful or not, carry
// the headers that keep them out of caches and content sniffing, that the
// app's origin may read them, errors included, and that it may read ETag.
func TestAnswersAreNotCached(t *testing.T) {
	a := newTestAPI(t, false)
	h := auth(a.credential(instanceA))
	a.call(t, "PUT", "/api/settings", h, `{"a":1}`)
	h["Origin"] = appOrigin
	fromApp := map[string]string{"Origin": appOrigin}
	tests := []struct {
		name, method, path string
		header             map[string]string
		status             int
	}{
		{"success", "GET", "/api/settings", h, http.StatusOK},
		{"unauthorized", "GET", "/api/me", fromApp, http.StatusUnauthorized},
		{"not found", "GET", "/api/nope", fromApp, http.StatusNotFound},
		// POST, since the CORS policy allows only the methods the API uses.
		{"method not allowed", "POST", "/api/settings", fromApp, http.StatusMethodNotAllowed},
		{"too large", "PUT", "/api/settings", h, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.status == http.StatusRequestEntityTooLarge {
				body = strings.Repeat(" ", api.MaxBodyBytes+1)
			}
			resp, got := a.call(t, tt.method, tt.path, tt.header, body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.status, got)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q, want no-store", cc)
			}
			// RFC 9110: a 401 names the scheme the credential goes with.
			wantChallenge := ""
			if tt.status == http.StatusUnauthorized {
				wantChallenge = `Bearer realm="wix"`
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, wantChallenge)
			}
			if n := resp.Header.Get("X-Content-Type-Options"); n != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", n)
			}
			wantJSONContentType(t, resp)
			// The app's page can read why a request failed, not only
			// that it did.
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != appOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, appOrigin)
			}
		})
	}
	resp, _ := a.call(t, "GET", "/api/settings", h, "")
	if e := strings.ToLower(resp.Header.Get("Access-Control-Expose-Headers")); !strings.Contains(e, "etag") || !strings.Contains(e, "retry-after") {
		t.Errorf("Access-Control-Expose-Headers %q, want ETag and Retry-After", e)
	}
}

// panicOnPing is a store whose Ping panics, to make a handler panic.
type panicOnPing struct{ store.Store }

func (panicOnPing) Ping(context.Context) error { panic("ping exploded") }

// lockedBuffer is a log destination that handlers may write to while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicIsJSON500 checks that a panic in a handler is logged and
// answered with a JSON 500 that says nothing of it, and that the server
// goes on serving.
func TestPanicIsJSON500(t *testing.T) {
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	wixClient, err := wix.New(wix.Config{AppID: testAppID, AppSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := wixauth.New(wixauth.Config{AppID: testAppID, Secret: testSecret, TokenInfo: wixClient, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Deps{
		Logger: log,
		Auth:   auth,
		CORS:   cors.Policy{AppID: testAppID},
		Store:  panicOnPing{Store: storetest.Open(t)},
		Wix:    wixClient,
	}))
	t.Cleanup(srv.Close)
	a := &testAPI{url: srv.URL}
	for range 2 {
		resp, body := a.call(t, "GET", "/readyz", nil, "")
		wantJSONError(t, resp, body, http.StatusInternalServerError, "internal")
		if strings.Contains(body, "exploded") {
			t.Errorf("the answer tells of the panic: %s", body)
		}
	}
	if !strings.Contains(logs.String(), "ping exploded") {
		t.Errorf("the panic was not logged; logs:\n%s", logs.String())
	}
	if rec := findLog(t, &logs, "request", "/readyz"); rec["level"] != "WARN" || rec["status"] != float64(500) {
		t.Errorf("the request that panicked is logged as %v, want level WARN and status 500", rec)
	}
	resp, body := a.call(t, "GET", "/api/me", nil, "")
	wantJSONError(t, resp, body, http.StatusUnauthorized, "unauthorized")
}

// TestProbes checks liveness and readiness: /healthz answers 200 whatever
// fails; /readyz answers 503 once the store cannot take a write, and once
// the server is shutting down, while the API goes on serving until the
// server stops taking requests.
func TestProbes(t *testing.T) {
	a, broken := newTestAPI(t, false), newTestAPI(t, false)
	broken.store.Close()
	a.drain()
	tests := []struct {
		name   string
		api    *testAPI
		path   string
		status int
		want   string // in the body
	}{
		{"serving: alive", newTestAPI(t, false), "/healthz", http.StatusOK, `"status":"ok"`},
		{"serving: ready", newTestAPI(t, false), "/readyz", http.StatusOK, `"status":"ready"`},
		{"store closed: alive", broken, "/healthz", http.StatusOK, `"status":"ok"`},
		{"store closed: not ready", broken, "/readyz", http.StatusServiceUnavailable, `"error":"unavailable"`},
		{"draining: alive", a, "/healthz", http.StatusOK, `"status":"ok"`},
		{"draining: not ready", a, "/readyz", http.StatusServiceUnavailable, "shutting down"},
		{"draining: still serving", a, "/api/me", http.StatusOK, instanceA},
	}
	for _, tt := range tests {
		resp, body := tt.api.call(t, "GET", tt.path, auth(tt.api.credential(instanceA)), "")
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s: GET %s: %d %s, want %d with %s", tt.name, tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
		wantJSONContentType(t, resp)
	}
	wantNoErrorLogged(t, a)
}

// findLog returns the first log record with message msg and path, waiting
// a little for it: a request's line is written as its answer is sent.
func findLog(t *testing.T, logs *lockedBuffer, msg, path string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		for line := range strings.Lines(logs.String()) {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if rec["msg"] == msg && rec["path"] == path {
				return rec
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log record %q for %s; logs:\n%s", msg, path, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRequestLog checks that every request is logged once, with the
// same fields whatever the router: method, path without the query (which
// may carry credentials), status and duration; at Debug below 500. A
// refused credential is logged at Info with the reason, never itself.
func TestRequestLog(t *testing.T) {
	a := newTestAPI(t, false)
	tests := []struct {
		method, path, query string
		header              map[string]string
		status              int
	}{
		{"GET", "/api/me", "?secret=query-value", auth(a.credential(instanceA)), http.StatusOK},
		{"GET", "/api/settings", "", auth("not-a-credential"), http.StatusUnauthorized},
		{"GET", "/nope", "", nil, http.StatusNotFound},
		{"DELETE", "/healthz", "", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		if resp, body := a.call(t, tt.method, tt.path+tt.query, tt.header, ""); resp.StatusCode != tt.status {
			t.Fatalf("%s %s: status %d, want %d; body %s", tt.method, tt.path, resp.StatusCode, tt.status, body)
		}
		rec := findLog(t, a.logs, "request", tt.path)
		if rec["level"] != "DEBUG" || rec["method"] != tt.method || rec["status"] != float64(tt.status) || rec["duration"] == nil {
			t.Errorf("%s %s logged as %v, want level DEBUG, method, status %d and duration", tt.method, tt.path, rec, tt.status)
		}
	}
	rec := findLog(t, a.logs, "request not authenticated", "/api/settings")
	if rec["level"] != "INFO" || rec["reason"] == nil {
		t.Errorf("refused credential logged as %v, want level INFO with a reason", rec)
	}
	for _, secret := range []string{"query-value", "not-a-credential", a.credential(instanceA)} {
		if strings.Contains(a.logs.String(), secret) {
			t.Errorf("the logs hold %q:\n%s", secret, a.logs.String())
		}
	}
	if n := strings.Count(a.logs.String(), `"msg":"request",`); n != len(tests) {
		t.Errorf("%d request lines for %d requests; logs:\n%s", n, len(tests), a.logs.String())
	}
}
