// Package config loads the server's configuration from environment variables.
//
// Load reads every variable, checks it, and reports all problems at once so
// that a misconfigured deployment can be fixed in one pass. Error messages
// name the variable, say what is wrong and how to fix it, and never contain
// the value of a secret.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"example.com/shop/internal/cors"
)

// DefaultAppID is the Wix app ID this project was generated for. WIX_APP_ID
// overrides it. It may be empty, in which case WIX_APP_ID is required.
const DefaultAppID = "1b2c3d4e-0000-4000-8000-000000000001"

// Defaults for optional variables.
const (
	DefaultPort        = 8080
	DefaultDatabaseURL = "data/shop.db"
	DefaultAPIBase     = "https://www.wixapis.com"
)

// Config is the server's configuration.
//
// It holds secrets (AppSecret, APIKey); log it through its LogValue method,
// which leaves them out, and never print it with fmt.
type Config struct {
	// AppID is the Wix app ID (WIX_APP_ID, default DefaultAppID), lower-cased.
	AppID string
	// AppSecret is the app secret key (WIX_APP_SECRET) that signs app
	// instances; the Wix client also uses it to get access tokens.
	AppSecret string
	// PublicKeyPEM is the app's webhook public key as given in WIX_PUBLIC_KEY:
	// PEM text, possibly with literal "\n" sequences instead of line breaks.
	// Load only checks that it is set; the caller parses it with
	// webhooks.ParsePublicKey, which reports a malformed key.
	PublicKeyPEM string
	// Port is the TCP port to listen on (PORT, default 8080).
	Port int
	// DatabaseURL locates the store's data (DATABASE_URL, default
	// DefaultDatabaseURL).
	DatabaseURL string
	// Dev enables development conveniences such as CORS for localhost (DEV).
	Dev bool
	// APIBase is the Wix REST API base URL without a trailing slash
	// (WIX_API_BASE, default https://www.wixapis.com).
	APIBase string
	// APIKey enables API-key mode for Wix calls when set (WIX_API_KEY).
	APIKey string
	// SiteID is the site API-key calls act on (WIX_SITE_ID).
	SiteID string
	// AccountID is the account API-key calls act on (WIX_ACCOUNT_ID).
	AccountID string
	// CORSOrigins are extra exact origins allowed to call the API
	// (CORS_ALLOWED_ORIGINS, comma-separated), each in the canonical form
	// browsers send: scheme://host[:port].
	CORSOrigins []string
	// LogLevel is the minimum level logged (LOG_LEVEL, default info).
	LogLevel slog.Level
}

// Problem is one missing or invalid environment variable.
type Problem struct {
	// Var is the name of the variable at fault.
	Var string
	// Detail follows the name in the message: what is wrong and how to fix it.
	Detail string
}

// String returns the problem as a sentence that starts with the variable name.
func (p Problem) String() string {
	return p.Var + " " + p.Detail
}

// Error is returned by Load and lists every problem found.
type Error struct {
	Problems []Problem
}

// Error returns one line per problem.
func (e *Error) Error() string {
	var b strings.Builder
	if len(e.Problems) == 1 {
		b.WriteString("config: 1 problem:")
	} else {
		fmt.Fprintf(&b, "config: %d problems:", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads the configuration through getenv (os.Getenv in production, a map
// in tests). An empty value counts as unset and surrounding whitespace is
// ignored. On failure it returns an *Error listing every problem.
func Load(getenv func(string) string) (Config, error) {
	l := loader{getenv: getenv}
	cfg := Config{
		AppID:        l.appID(),
		AppSecret:    l.required("WIX_APP_SECRET", "copy the App Secret Key from your app's OAuth page in the Wix app dashboard"),
		PublicKeyPEM: l.required("WIX_PUBLIC_KEY", `copy the public key from your app's Webhooks page in the Wix app dashboard, including the BEGIN and END lines (line breaks may be written as \n)`),
		Port:         l.port(),
		DatabaseURL:  l.dataFile(),
		Dev:          l.dev(),
		APIBase:      l.apiBase(),
		APIKey:       l.get("WIX_API_KEY"),
		SiteID:       l.get("WIX_SITE_ID"),
		AccountID:    l.get("WIX_ACCOUNT_ID"),
		CORSOrigins:  l.corsOrigins(),
		LogLevel:     l.logLevel(),
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = DefaultDatabaseURL
	}
	l.checkAPIKeyMode(cfg)
	if len(l.problems) > 0 {
		return Config{}, &Error{Problems: l.problems}
	}
	return cfg, nil
}

// LogValue implements slog.LogValuer. Secrets are reported only as "set" or
// "unset".
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("app_id", c.AppID),
		slog.String("app_secret", setOrUnset(c.AppSecret)),
		slog.String("public_key", setOrUnset(c.PublicKeyPEM)),
		slog.Int("port", c.Port),
		slog.String("database_url", c.DatabaseURL),
		slog.Bool("dev", c.Dev),
		slog.String("api_base", c.APIBase),
		slog.String("api_key", setOrUnset(c.APIKey)),
		slog.String("site_id", c.SiteID),
		slog.String("account_id", c.AccountID),
		slog.Any("cors_origins", c.CORSOrigins),
		slog.String("log_level", c.LogLevel.String()),
	)
}

func setOrUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return "set"
}

// loader reads variables and collects problems.
type loader struct {
	getenv   func(string) string
	problems []Problem
}

func (l *loader) get(name string) string {
	return strings.TrimSpace(l.getenv(name))
}

func (l *loader) fail(name, format string, args ...any) {
	l.problems = append(l.problems, Problem{Var: name, Detail: fmt.Sprintf(format, args...)})
}

func (l *loader) required(name, how string) string {
	v := l.get(name)
	if v == "" {
		l.fail(name, "is not set: %s", how)
	}
	return v
}

func (l *loader) appID() string {
	const name = "WIX_APP_ID"
	const where = "copy the App ID from your app's OAuth page in the Wix app dashboard"
	v := l.get(name)
	if v == "" {
		v = DefaultAppID
	}
	switch {
	case v == "":
		l.fail(name, "is not set: %s", where)
	case !isUUID(v):
		l.fail(name, "is %q, which is not an app ID: an app ID looks like 1b2c3d4e-0000-4000-8000-000000000001; %s", v, where)
	}
	// UUIDs are case-insensitive; Wix writes them in lower case.
	return strings.ToLower(v)
}

// isUUID reports whether s has the textual UUID form 8-4-4-4-12 hex digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (l *loader) port() int {
	const name = "PORT"
	v := l.get(name)
	if v == "" {
		return DefaultPort
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 1 || p > 65535 {
		l.fail(name, "is %q: use a TCP port number from 1 to 65535, or leave it unset for %d", v, DefaultPort)
		return 0
	}
	return p
}

func (l *loader) dev() bool {
	const name = "DEV"
	v := l.get(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		l.fail(name, "is %q: use true or false (1/0 and t/f also work), or leave it unset for false", v)
		return false
	}
	return b
}

func (l *loader) apiBase() string {
	const name = "WIX_API_BASE"
	v := l.get(name)
	if v == "" {
		return DefaultAPIBase
	}
	u, err := url.Parse(v)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		l.fail(name, "is %q: use an absolute https URL without user information, query or fragment, such as %s, or leave it unset", redact(v), DefaultAPIBase)
		return ""
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		l.fail(name, "is %q: the app secret and access tokens are sent there, so use https (plain http only for localhost)", v)
		return ""
	}
	// Callers append paths that start with "/".
	return strings.TrimRight(v, "/")
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redact hides the user information (user:password@) of a URL-like value
// before it goes into an error message.
func redact(v string) string {
	at := strings.LastIndex(v, "@")
	if at < 0 {
		return v
	}
	if scheme, _, ok := strings.Cut(v[:at], "://"); ok {
		return scheme + "://xxxxx@" + v[at+1:]
	}
	return "xxxxx@" + v[at+1:]
}

// dataFile reads DATABASE_URL: a SQLite file path or file: URI, or empty
// for DefaultDatabaseURL. A server URL such as postgres://user:pw@host/db is
// refused, without repeating it: the store would take it for a relative
// path and make a directory of it, and the log would show its password.
func (l *loader) dataFile() string {
	const name = "DATABASE_URL"
	v := l.get(name)
	if scheme, _, ok := strings.Cut(v, "://"); ok && isScheme(scheme) && !strings.EqualFold(scheme, "file") {
		l.fail(name, "is a %s:// URL, but this project keeps its data in a SQLite file: set a file path such as %s, or leave it unset", scheme, DefaultDatabaseURL)
		return ""
	}
	return v
}

// isScheme reports whether s is a URL scheme: a letter, then letters,
// digits, '+', '-' or '.'.
func isScheme(s string) bool {
	for i := range len(s) {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return s != ""
}
func (l *loader) checkAPIKeyMode(c Config) {
	switch {
	case c.APIKey != "" && c.SiteID == "" && c.AccountID == "":
		l.fail("WIX_API_KEY", "is set but neither WIX_SITE_ID nor WIX_ACCOUNT_ID is: set exactly one of them to the site or account the API key acts on")
	case c.APIKey != "" && c.SiteID != "" && c.AccountID != "":
		l.fail("WIX_SITE_ID", "and WIX_ACCOUNT_ID are both set: API-key calls act on one site or one account, so unset one of them")
	case c.APIKey == "" && c.SiteID != "":
		l.fail("WIX_SITE_ID", "is set but WIX_API_KEY is not: set WIX_API_KEY to use API-key mode, or unset WIX_SITE_ID")
	case c.APIKey == "" && c.AccountID != "":
		l.fail("WIX_ACCOUNT_ID", "is set but WIX_API_KEY is not: set WIX_API_KEY to use API-key mode, or unset WIX_ACCOUNT_ID")
	}
}

func (l *loader) corsOrigins() []string {
	const name = "CORS_ALLOWED_ORIGINS"
	v := l.get(name)
	if v == "" {
		return nil
	}
	var origins []string
	seen := make(map[string]bool)
	for item := range strings.SplitSeq(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" || seen[item] {
			continue
		}
		if err := cors.CheckOrigin(item); err != nil {
			l.fail(name, "has %q: %v", redact(item), err)
			continue
		}
		seen[item] = true
		origins = append(origins, item)
	}
	return origins
}

func (l *loader) logLevel() slog.Level {
	const name = "LOG_LEVEL"
	v := l.get(name)
	switch strings.ToLower(v) {
	case "", "info":
		return slog.LevelInfo
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		l.fail(name, "is %q: use debug, info, warn or error, or leave it unset for info", v)
		return slog.LevelInfo
	}
}
