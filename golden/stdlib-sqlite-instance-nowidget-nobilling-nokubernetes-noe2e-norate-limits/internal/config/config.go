// Package config loads the server's configuration from environment
// variables, and reports every problem at once, each naming its variable,
// what is wrong and how to fix it, and never a secret.
package config

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"example.com/shop/internal/cors"
	"example.com/shop/internal/webhooks"
	"example.com/shop/internal/wix"
)

// DefaultAppID is the Wix app ID this project was generated for. WIX_APP_ID
// overrides it. It may be empty, in which case WIX_APP_ID is required.
const DefaultAppID = "1b2c3d4e-0000-4000-8000-000000000001"

// Config is the server's configuration. It holds secrets: log it through
// its LogValue method, which leaves them out, and never print it with fmt.
type Config struct {
	// logged is what LogValue shows: every variable as it was read, a
	// secret as set or unset.
	logged []slog.Attr

	AppID          string           // WIX_APP_ID, lower-cased
	AppSecret      string           // WIX_APP_SECRET
	PreviousSecret string           // WIX_APP_SECRET_PREVIOUS
	PublicKeys     []*rsa.PublicKey // WIX_PUBLIC_KEY: one or more, which verify webhooks
	Port           int              // PORT
	DatabaseURL    string           // DATABASE_URL
	Dev            bool             // DEV
	APIBase        string           // WIX_API_BASE, without a trailing slash
	APIKey         string           // WIX_API_KEY
	SiteID         string           // WIX_SITE_ID
	AccountID      string           // WIX_ACCOUNT_ID
	CORSOrigins    []string         // CORS_ALLOWED_ORIGINS
	LogLevel       slog.Level       // LOG_LEVEL
	ShutdownDelay  time.Duration    // SHUTDOWN_DELAY
	InstanceMaxAge time.Duration    // WIX_INSTANCE_MAX_AGE; zero: no limit
}

// variable is one environment variable and how it is read.
type variable struct {
	name     string
	def      string // taken when the variable is unset or blank
	required bool   // a problem when unset and without default
	secret   bool   // never repeated in a problem
	hint     string // how to set it right
	parse    func(v string) error
	show     func(v string) string // how the log shows a secret that is set; default "set"
}

// shown is value as LogValue shows it.
func (v variable) shown(value string) string {
	switch {
	case !v.secret:
		return value
	case value == "":
		return "unset"
	case v.show != nil:
		return v.show(value)
	}
	return "set"
}

// Load reads the configuration through getenv (os.Getenv in production, a
// map in tests). Surrounding whitespace is ignored and an empty value is
// unset. On failure it returns an *Error listing every problem.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	const secretHint = "copy the App Secret Key from your app's OAuth page in the Wix app dashboard"
	variables := []variable{
		{name: "WIX_APP_ID", def: DefaultAppID, required: true, hint: "copy the App ID from your app's OAuth page in the Wix app dashboard", parse: func(v string) error {
			if !uuid.MatchString(v) {
				return errors.New("not an app ID, which looks like 1b2c3d4e-0000-4000-8000-000000000001")
			}
			c.AppID = strings.ToLower(v) // UUIDs ignore case; Wix writes them in lower case
			return nil
		}},
		{name: "WIX_APP_SECRET", required: true, secret: true, hint: secretHint, parse: text(&c.AppSecret)},
		{name: "WIX_APP_SECRET_PREVIOUS", secret: true, parse: text(&c.PreviousSecret)},
		{name: "WIX_PUBLIC_KEY", required: true, secret: true,
			hint:  `copy the public key from your app's Webhooks page in the Wix app dashboard, including the BEGIN and END lines (line breaks may be written as \n)`,
			parse: func(v string) (err error) { c.PublicKeys, err = webhooks.ParsePublicKeys(v); return err }},
		{name: "PORT", def: "8080", parse: func(v string) (err error) {
			if c.Port, err = strconv.Atoi(v); err != nil || c.Port < 1 || c.Port > 65535 {
				return errors.New("use a TCP port number from 1 to 65535")
			}
			return nil
		}},
		// The store refuses what is not a file path or file: URI.
		{name: "DATABASE_URL", def: "data/shop.db", parse: text(&c.DatabaseURL)},
		{name: "DEV", def: "false", parse: boolean(&c.Dev)},
		{name: "WIX_API_BASE", def: wix.DefaultBaseURL, parse: func(v string) (err error) {
			c.APIBase, err = wix.CheckBaseURL(v)
			return err
		}},
		{name: "WIX_API_KEY", secret: true, parse: text(&c.APIKey)},
		{name: "WIX_SITE_ID", parse: text(&c.SiteID)},
		{name: "WIX_ACCOUNT_ID", parse: text(&c.AccountID)},
		{name: "CORS_ALLOWED_ORIGINS", parse: func(v string) error {
			var errs []error
			for origin := range strings.SplitSeq(v, ",") {
				if origin = strings.TrimSpace(origin); origin == "" {
					continue
				}
				if err := cors.CheckOrigin(origin); err != nil {
					errs = append(errs, fmt.Errorf("%q: %w", redact(origin), err))
				} else if !slices.Contains(c.CORSOrigins, origin) {
					c.CORSOrigins = append(c.CORSOrigins, origin)
				}
			}
			return errors.Join(errs...)
		}},
		{name: "LOG_LEVEL", def: "info", parse: func(v string) error {
			if !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(v)) {
				return errors.New("use debug, info, warn or error")
			}
			return c.LogLevel.UnmarshalText([]byte(v))
		}},
		{name: "SHUTDOWN_DELAY", def: "5s", parse: duration(&c.ShutdownDelay, "to stop at once")},
		{name: "WIX_INSTANCE_MAX_AGE", parse: duration(&c.InstanceMaxAge, "for no limit")},
	}

	var problems []Problem
	for _, v := range variables {
		value := get(v.name)
		if value == "" {
			value = v.def
		}
		c.logged = append(c.logged, slog.String(strings.ToLower(v.name), v.shown(value)))
		if value == "" {
			if v.required {
				problems = append(problems, Problem{v.name, "is not set: " + v.hint})
			}
			continue
		}
		if err := v.parse(value); err != nil {
			shown := fmt.Sprintf("is %q", redact(value))
			if v.secret {
				shown = "is set but unusable"
			}
			detail := shown + ": " + err.Error()
			if v.def != "" {
				detail += ", or leave it unset for " + v.def
			}
			if v.hint != "" {
				detail += "; " + v.hint
			}
			problems = append(problems, Problem{v.name, detail})
		}
	}
	if err := wix.CheckAPIKey(c.APIKey, c.SiteID, c.AccountID); err != nil {
		problems = append(problems, Problem{"WIX_API_KEY", "with WIX_SITE_ID and WIX_ACCOUNT_ID: " + err.Error() + "; set WIX_API_KEY and exactly one of the two, or none of the three"})
	}
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	return c, nil
}

// uuid matches the textual form of a UUID, which app IDs are.
var uuid = regexp.MustCompile(`^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$`)

func text(field *string) func(string) error {
	return func(v string) error { *field = v; return nil }
}

// duration parses a duration of at least 0, which means what zero says.
func duration(field *time.Duration, zero string) func(string) error {
	return func(v string) (err error) {
		if *field, err = time.ParseDuration(v); err != nil || *field < 0 {
			return errors.New("use a duration such as 12h, 30m or 5s, or 0 " + zero)
		}
		return nil
	}
}

func boolean(field *bool) func(string) error {
	return func(v string) (err error) {
		if *field, err = strconv.ParseBool(v); err != nil {
			return errors.New("use true or false (1/0 and t/f also work)")
		}
		return nil
	}
}

// redact hides the user information (user:password@) of a URL-like value
// before it goes into a problem.
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
	fmt.Fprintf(&b, "config: %d problem", len(e.Problems))
	if len(e.Problems) > 1 {
		b.WriteString("s")
	}
	b.WriteString(":")
	for _, p := range e.Problems {
		b.WriteString("\n  - " + p.String())
	}
	return b.String()
}

// LogValue implements slog.LogValuer: it shows every variable as Load
// read it, and secrets only as "set" or "unset".
func (c Config) LogValue() slog.Value { return slog.GroupValue(c.logged...) }
