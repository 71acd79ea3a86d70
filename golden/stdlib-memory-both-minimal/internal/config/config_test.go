package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"example.com/shop/internal/ratelimit"
)

const (
	testSecret = "s3cr3t-app-secret-value"
	testAPIKey = "IST.api-key-secret-value"
)

// getenv returns a map-backed getenv holding the required variables, changed
// by overrides (an empty value unsets a variable).
func getenv(overrides map[string]string) func(string) string {
	env := map[string]string{
		"WIX_APP_ID":     "1b2c3d4e-0000-4000-8000-00000000abcd",
		"WIX_APP_SECRET": testSecret,
	}
	for k, v := range overrides {
		env[k] = v
	}
	return func(name string) string { return env[name] }
}

func problemVars(t *testing.T, err error) []string {
	t.Helper()
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("Load error = %v (%T), want *config.Error", err, err)
	}
	var vars []string
	for _, p := range cerr.Problems {
		vars = append(vars, p.Var)
	}
	return vars
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := Load(getenv(map[string]string{"WIX_APP_ID": ""}))
	if DefaultAppID == "" {
		if got := problemVars(t, err); !slices.Equal(got, []string{"WIX_APP_ID"}) {
			t.Fatalf("problems = %v, want [WIX_APP_ID] when DefaultAppID is empty", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		AppID:         DefaultAppID,
		AppSecret:     testSecret,
		Port:          8080,
		APIBase:       "https://www.wixapis.com",
		LogLevel:      slog.LevelInfo,
		ShutdownDelay: 5 * time.Second,
	}
	cfg.logged = nil // TestLogValue checks it
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load =\n%#v\nwant\n%#v", cfg, want)
	}
}

func TestLoadAllSet(t *testing.T) {
	t.Parallel()
	cfg, err := Load(getenv(map[string]string{
		"PORT":                    "9090",
		"DEV":                     "true",
		"WIX_API_BASE":            "http://127.0.0.1:4010/",
		"WIX_API_KEY":             testAPIKey,
		"WIX_SITE_ID":             "site-1",
		"CORS_ALLOWED_ORIGINS":    "https://example.com, http://localhost:5173",
		"LOG_LEVEL":               "debug",
		"SHUTDOWN_DELAY":          "0",
		"TRUSTED_PROXIES":         "10.0.0.0/8",
		"WIX_INSTANCE_MAX_AGE":    "12h",
		"WIX_APP_SECRET_PREVIOUS": "0ld-app-secret-value",
		"WIX_INSTANCE_CHECK":      "wix",
		"WIX_TOKEN_ANY_SHAPE":     "true",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Config{
		AppID:                 "1b2c3d4e-0000-4000-8000-00000000abcd",
		AppSecret:             testSecret,
		Port:                  9090,
		Dev:                   true,
		APIBase:               "http://127.0.0.1:4010",
		APIKey:                testAPIKey,
		SiteID:                "site-1",
		CORSOrigins:           []string{"https://example.com", "http://localhost:5173"},
		LogLevel:              slog.LevelDebug,
		InstanceMaxAge:        12 * time.Hour,
		PreviousSecret:        "0ld-app-secret-value",
		CheckInstancesWithWix: true,
	}
	want.TrustedProxies, _ = ratelimit.ParseTrustedProxies("10.0.0.0/8")
	want.AnyTokenShape = true
	cfg.logged = nil // TestLogValue checks it
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load =\n%#v\nwant\n%#v", cfg, want)
	}
}

func TestLoadAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   map[string]string
		check func(Config) bool
	}{
		{
			name:  "app ID is lower-cased",
			env:   map[string]string{"WIX_APP_ID": "1B2C3D4E-0000-4000-8000-00000000ABCD"},
			check: func(c Config) bool { return c.AppID == "1b2c3d4e-0000-4000-8000-00000000abcd" },
		},
		{
			name:  "surrounding whitespace is ignored",
			env:   map[string]string{"WIX_APP_SECRET": "  " + testSecret + "\n", "PORT": " 3000 "},
			check: func(c Config) bool { return c.AppSecret == testSecret && c.Port == 3000 },
		},
		{
			name:  "lowest port",
			env:   map[string]string{"PORT": "1"},
			check: func(c Config) bool { return c.Port == 1 },
		},
		{
			name:  "highest port",
			env:   map[string]string{"PORT": "65535"},
			check: func(c Config) bool { return c.Port == 65535 },
		},
		{
			name:  "DEV=1",
			env:   map[string]string{"DEV": "1"},
			check: func(c Config) bool { return c.Dev },
		},
		{
			name:  "DEV=FALSE",
			env:   map[string]string{"DEV": "FALSE"},
			check: func(c Config) bool { return !c.Dev },
		},
		{
			name:  "LOG_LEVEL is case-insensitive",
			env:   map[string]string{"LOG_LEVEL": "WARN"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelWarn },
		},
		{
			name:  "LOG_LEVEL=error",
			env:   map[string]string{"LOG_LEVEL": "error"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelError },
		},
		{
			name:  "LOG_LEVEL=info",
			env:   map[string]string{"LOG_LEVEL": "info"},
			check: func(c Config) bool { return c.LogLevel == slog.LevelInfo },
		},
		{
			name:  "API base with a path keeps it",
			env:   map[string]string{"WIX_API_BASE": "https://proxy.example.com/wix/"},
			check: func(c Config) bool { return c.APIBase == "https://proxy.example.com/wix" },
		},
		{
			name:  "API key with account ID",
			env:   map[string]string{"WIX_API_KEY": testAPIKey, "WIX_ACCOUNT_ID": "acct-1"},
			check: func(c Config) bool { return c.APIKey == testAPIKey && c.AccountID == "acct-1" && c.SiteID == "" },
		},
		{
			name: "CORS origins: empty items and duplicates are dropped",
			env:  map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example.com,,https://a.example.com, http://[::1]:8080 ,"},
			check: func(c Config) bool {
				return slices.Equal(c.CORSOrigins, []string{"https://a.example.com", "http://[::1]:8080"})
			},
		},
		{
			name:  "CORS origin with a non-default port",
			env:   map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com:8443"},
			check: func(c Config) bool { return slices.Equal(c.CORSOrigins, []string{"https://example.com:8443"}) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(getenv(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !tt.check(cfg) {
				t.Errorf("Load = %#v, check failed", cfg)
			}
		})
	}
}

func TestLoadRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		wantVar  string
		wantText string // part of the message
	}{
		{"app ID not a UUID", map[string]string{"WIX_APP_ID": "my-app"}, "WIX_APP_ID", `"my-app": not an app ID`},
		{"app ID with braces", map[string]string{"WIX_APP_ID": "1b2c3d4e-0000-4000-8000-00000000abc}"}, "WIX_APP_ID", "OAuth page"},
		{"app ID with a non-hex digit", map[string]string{"WIX_APP_ID": "1b2c3d4e-0000-4000-8000-00000000abcg"}, "WIX_APP_ID", "not an app ID"},
		{"app ID too long", map[string]string{"WIX_APP_ID": "1b2c3d4e-0000-4000-8000-00000000abcd0"}, "WIX_APP_ID", "not an app ID"},
		{"app ID dashes misplaced", map[string]string{"WIX_APP_ID": "1b2c3d4e0-000-4000-8000-00000000abcd"}, "WIX_APP_ID", "not an app ID"},
		{"secret unset", map[string]string{"WIX_APP_SECRET": ""}, "WIX_APP_SECRET", "is not set: copy the App Secret Key from your app's OAuth page in the Wix app dashboard"},
		{"secret blank", map[string]string{"WIX_APP_SECRET": "   "}, "WIX_APP_SECRET", "is not set"},
		{"port not a number", map[string]string{"PORT": "http"}, "PORT", `"http": use a TCP port number from 1 to 65535, or leave it unset for 8080`},
		{"port zero", map[string]string{"PORT": "0"}, "PORT", "from 1 to 65535"},
		{"port too high", map[string]string{"PORT": "65536"}, "PORT", "from 1 to 65535"},
		{"port negative", map[string]string{"PORT": "-1"}, "PORT", "from 1 to 65535"},
		{"DEV not a bool", map[string]string{"DEV": "yes"}, "DEV", `"yes": use true or false`},
		{"API base relative", map[string]string{"WIX_API_BASE": "www.wixapis.com"}, "WIX_API_BASE", "absolute https URL"},
		{"API base wrong scheme", map[string]string{"WIX_API_BASE": "ftp://www.wixapis.com"}, "WIX_API_BASE", "absolute https URL"},
		{"API base with query", map[string]string{"WIX_API_BASE": "https://www.wixapis.com?x=1"}, "WIX_API_BASE", "without user information, query or fragment"},
		{"API base with user info", map[string]string{"WIX_API_BASE": "https://u:p@www.wixapis.com"}, "WIX_API_BASE", `"https://xxxxx@www.wixapis.com": use an absolute https URL`},
		{"API base over plain http", map[string]string{"WIX_API_BASE": "http://wix-proxy.example.com"}, "WIX_API_BASE", "use https (plain http only for localhost)"},
		{"API base unparsable", map[string]string{"WIX_API_BASE": "https://www.wixapis.com:port"}, "WIX_API_BASE", "absolute https URL"},
		{"API key without site or account", map[string]string{"WIX_API_KEY": testAPIKey}, "WIX_API_KEY", "needs the ID of the site or account"},
		{"API key with site and account", map[string]string{"WIX_API_KEY": testAPIKey, "WIX_SITE_ID": "s", "WIX_ACCOUNT_ID": "a"}, "WIX_API_KEY", "give only one of their IDs"},
		{"site ID without API key", map[string]string{"WIX_SITE_ID": "s"}, "WIX_API_KEY", "only used with an API key"},
		{"account ID without API key", map[string]string{"WIX_ACCOUNT_ID": "a"}, "WIX_API_KEY", "only used with an API key"},
		{"CORS wildcard", map[string]string{"CORS_ALLOWED_ORIGINS": "https://*.example.com"}, "CORS_ALLOWED_ORIGINS", "wildcards are not supported"},
		{"CORS star", map[string]string{"CORS_ALLOWED_ORIGINS": "*"}, "CORS_ALLOWED_ORIGINS", "wildcards are not supported"},
		{"CORS null", map[string]string{"CORS_ALLOWED_ORIGINS": "null"}, "CORS_ALLOWED_ORIGINS", "scheme://host[:port]"},
		{"CORS no scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "example.com"}, "CORS_ALLOWED_ORIGINS", "scheme://host[:port]"},
		{"CORS wrong scheme", map[string]string{"CORS_ALLOWED_ORIGINS": "ftp://example.com"}, "CORS_ALLOWED_ORIGINS", "scheme://host[:port]"},
		{"CORS no host", map[string]string{"CORS_ALLOWED_ORIGINS": "https://:8443"}, "CORS_ALLOWED_ORIGINS", "scheme://host[:port]"},
		{"CORS path", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com/app"}, "CORS_ALLOWED_ORIGINS", "no path"},
		{"CORS trailing slash", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com/"}, "CORS_ALLOWED_ORIGINS", `write it as "https://example.com"`},
		{"CORS query", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com?a=b"}, "CORS_ALLOWED_ORIGINS", "no query or fragment"},
		{"CORS empty query", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com?"}, "CORS_ALLOWED_ORIGINS", "no query or fragment"},
		{"CORS fragment", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com#x"}, "CORS_ALLOWED_ORIGINS", "no query or fragment"},
		{"CORS empty fragment", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com#"}, "CORS_ALLOWED_ORIGINS", "no query or fragment"},
		{"CORS user info", map[string]string{"CORS_ALLOWED_ORIGINS": "https://user:pw@example.com"}, "CORS_ALLOWED_ORIGINS", `"https://xxxxx@example.com": an origin has no user information`},
		{"CORS upper case", map[string]string{"CORS_ALLOWED_ORIGINS": "HTTPS://Example.COM"}, "CORS_ALLOWED_ORIGINS", `write it as "https://example.com"`},
		{"CORS default https port", map[string]string{"CORS_ALLOWED_ORIGINS": "https://example.com:443"}, "CORS_ALLOWED_ORIGINS", `write it as "https://example.com"`},
		{"CORS default http port", map[string]string{"CORS_ALLOWED_ORIGINS": "http://example.com:80"}, "CORS_ALLOWED_ORIGINS", `write it as "http://example.com"`},
		{"CORS empty port", map[string]string{"CORS_ALLOWED_ORIGINS": "http://example.com:"}, "CORS_ALLOWED_ORIGINS", `write it as "http://example.com"`},
		{"CORS port with leading zero", map[string]string{"CORS_ALLOWED_ORIGINS": "http://localhost:03000"}, "CORS_ALLOWED_ORIGINS", `write it as "http://localhost:3000"`},
		{"CORS port zero", map[string]string{"CORS_ALLOWED_ORIGINS": "http://localhost:0"}, "CORS_ALLOWED_ORIGINS", "from 1 to 65535"},
		{"CORS port too high", map[string]string{"CORS_ALLOWED_ORIGINS": "http://localhost:70000"}, "CORS_ALLOWED_ORIGINS", "from 1 to 65535"},
		{"CORS non-ASCII host", map[string]string{"CORS_ALLOWED_ORIGINS": "https://bücher.example"}, "CORS_ALLOWED_ORIGINS", "xn--"},
		{"LOG_LEVEL unknown", map[string]string{"LOG_LEVEL": "verbose"}, "LOG_LEVEL", `"verbose": use debug, info, warn or error`},
		{"LOG_LEVEL warning", map[string]string{"LOG_LEVEL": "warning"}, "LOG_LEVEL", "use debug, info, warn or error"},
		{"LOG_LEVEL with an offset", map[string]string{"LOG_LEVEL": "info+2"}, "LOG_LEVEL", "use debug, info, warn or error"},
		{"shutdown delay without a unit", map[string]string{"SHUTDOWN_DELAY": "5"}, "SHUTDOWN_DELAY", `"5": use a duration such as 12h, 30m or 5s, or 0 to stop at once, or leave it unset for 5s`},
		{"shutdown delay negative", map[string]string{"SHUTDOWN_DELAY": "-1s"}, "SHUTDOWN_DELAY", "or 0 to stop at once"},
		{"trusted proxy not an address", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, lb.internal"}, "TRUSTED_PROXIES", `"lb.internal" is neither an IP address nor a CIDR network`},
		{"instance max age not a duration", map[string]string{"WIX_INSTANCE_MAX_AGE": "a day"}, "WIX_INSTANCE_MAX_AGE", `"a day": use a duration such as 12h`},
		{"instance max age negative", map[string]string{"WIX_INSTANCE_MAX_AGE": "-1h"}, "WIX_INSTANCE_MAX_AGE", "or 0 for no limit"},
		{"instance check neither local nor wix", map[string]string{"WIX_INSTANCE_CHECK": "remote"}, "WIX_INSTANCE_CHECK", "use local"},
		{"token any shape not a bool", map[string]string{"WIX_TOKEN_ANY_SHAPE": "sometimes"}, "WIX_TOKEN_ANY_SHAPE", "use true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(getenv(tt.env))
			if err == nil {
				t.Fatalf("Load = %#v, want an error naming %s", cfg, tt.wantVar)
			}
			if strings.Contains(err.Error(), testSecret) {
				t.Errorf("error repeats the app secret: %v", err)
			}
			if got := problemVars(t, err); !slices.Equal(got, []string{tt.wantVar}) {
				t.Errorf("problems = %v, want [%s]; error: %v", got, tt.wantVar, err)
			}
			if !strings.Contains(err.Error(), tt.wantVar+" ") {
				t.Errorf("error %q does not name %s", err, tt.wantVar)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if !reflect.DeepEqual(cfg, Config{}) {
				t.Errorf("Load returned %#v with an error, want the zero Config", cfg)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := Load(func(name string) string {
		return map[string]string{
			"WIX_APP_ID":           "nope",
			"PORT":                 "eighty",
			"DEV":                  "maybe",
			"WIX_API_BASE":         "wixapis",
			"WIX_SITE_ID":          "s",
			"CORS_ALLOWED_ORIGINS": "https://ok.example.com,https://bad.example.com/,*",
			"LOG_LEVEL":            "loud",
		}[name]
	})
	want := []string{
		"WIX_APP_ID",
		"WIX_APP_SECRET",
		"PORT",
		"DEV",
		"WIX_API_BASE",
		"CORS_ALLOWED_ORIGINS", // one problem naming both bad origins
		"LOG_LEVEL",
		"WIX_API_KEY",
	}
	if got := problemVars(t, err); !slices.Equal(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
	msg := err.Error()
	if prefix := fmt.Sprintf("config: %d problems:\n  - WIX_APP_ID ", len(want)); !strings.HasPrefix(msg, prefix) {
		t.Errorf("error starts %q, want a count then one line per problem", msg)
	}
	if n := strings.Count(msg, "\n  - "); n != len(want) {
		t.Errorf("error has %d problem lines, want %d:\n%s", n, len(want), msg)
	}
	if !strings.Contains(msg, `"https://bad.example.com/": origins are matched exactly`) || !strings.Contains(msg, `"*": wildcards are not supported`) {
		t.Errorf("error does not name both bad origins:\n%s", msg)
	}
}

func TestErrorSingular(t *testing.T) {
	t.Parallel()
	err := &Error{
		Problems: []Problem{
			{Var: "PORT", Detail: "is wrong"},
		},
	}
	if got, want := err.Error(), "config: 1 problem:\n  - PORT is wrong"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestErrorsNeverContainSecrets(t *testing.T) {
	t.Parallel()
	// Secrets set, with every rule that involves them broken.
	_, err := Load(getenv(map[string]string{
		"WIX_API_KEY":    testAPIKey,
		"WIX_SITE_ID":    "s",
		"WIX_ACCOUNT_ID": "a",
		"PORT":           "bad",
	}))
	if err == nil {
		t.Fatal("Load: want an error")
	}
	for _, secret := range []string{testSecret, testAPIKey} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains a secret", err)
		}
	}
	_, err = Load(getenv(map[string]string{"WIX_API_KEY": testAPIKey}))
	if err == nil || strings.Contains(err.Error(), testAPIKey) {
		t.Errorf("error %v: want an error without the API key", err)
	}
}

func TestLogValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		want     []string
		wantNone []string
	}{
		{
			name: "secrets set",
			env: map[string]string{
				"WIX_APP_SECRET_PREVIOUS": "0ld-app-secret-value",
				"WIX_API_KEY":             testAPIKey,
				"WIX_SITE_ID":             "site-1",
				"CORS_ALLOWED_ORIGINS":    "https://example.com",
				"LOG_LEVEL":               "debug",
			},
			want: []string{
				"cfg.wix_app_id=1b2c3d4e-0000-4000-8000-00000000abcd",
				"cfg.wix_app_secret=set",
				"cfg.wix_app_secret_previous=set",
				"cfg.port=8080",
				"cfg.dev=false",
				"cfg.wix_api_base=https://www.wixapis.com",
				"cfg.wix_api_key=set",
				"cfg.wix_site_id=site-1",
				"cfg.cors_allowed_origins=https://example.com",
				"cfg.log_level=debug",
				"cfg.shutdown_delay=5s",
				"cfg.wix_token_any_shape=false",
			},
			wantNone: []string{testSecret, testAPIKey, "0ld-app-secret-value"},
		},
		{
			name: "secrets unset",
			env:  map[string]string{},
			want: []string{
				"cfg.wix_api_key=unset",
				"cfg.wix_app_secret_previous=unset",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(getenv(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "cfg", cfg)
			out := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w+" ") && !strings.HasSuffix(strings.TrimSpace(out), w) {
					t.Errorf("log %q does not contain %q", out, w)
				}
			}
			for _, s := range tt.wantNone {
				if strings.Contains(out, s) {
					t.Errorf("log %q contains secret %q", out, s)
				}
			}
		})
	}
}
