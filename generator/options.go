package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
)

// Answers are the choices a project is generated from. They are recorded in
// the project's manifest so that `wixgen upgrade` can render it again.
// The JSON keys are the option keys (also the CLI flag names).
type Answers struct {
	Name     string `json:"name"`
	Module   string `json:"module"`
	AppID    string `json:"app-id"`
	Router   string `json:"router"`
	Store    string `json:"store"`
	Auth     string `json:"auth"`
	Widget   bool   `json:"widget"`
	Webhooks bool   `json:"webhooks"`
	Billing  bool   `json:"billing"`
	Docker   bool   `json:"docker"`
	CI       bool   `json:"ci"`
	// Kubernetes adds deploy/kubernetes/.
	Kubernetes bool `json:"kubernetes"`
	// E2E adds e2e/, a test that drives a real browser through the app's
	// pages (make e2e).
	E2E bool `json:"e2e"`
	// RateLimits adds request budgets per client and per site.
	RateLimits bool `json:"rate-limits"`
}

// Kind says how an option's value is written.
type Kind string

// The kinds of option.
const (
	KindString Kind = "string" // free text, checked by the option's own rule
	KindChoice Kind = "choice" // one of Choices
	KindBool   Kind = "bool"   // true or false
)

// Choice is one valid value of a choice option.
type Choice struct {
	Value       string `json:"value"`
	Description string `json:"description"`
	// Traits name what the choice brings that templates share between
	// choices, so that a template asks {{if .Traits.database_url}} rather
	// than listing every store that takes DATABASE_URL. A new choice with
	// the same traits needs no template changes for them.
	Traits []string `json:"traits,omitempty"`
}

// Option describes one answer: its key (the flag name and answers-file key),
// what it means, its valid values and its default. The table returned by
// [Options] is the single source for flags, prompts, answers files,
// validation, `wixgen options` and the conditions in the files table.
type Option struct {
	Key     string   `json:"key"`
	Kind    Kind     `json:"kind"`
	Usage   string   `json:"usage"`
	Prompt  string   `json:"-"`
	Choices []Choice `json:"choices,omitempty"`
	// Default is the default as text; for name and module it depends on
	// other answers and is described in Usage ("" here).
	Default string `json:"default"`
	// AddedLater marks an option added after projects were generated
	// without it; Before is then the value that renders those projects
	// as they were. An upgrade of a project whose manifest does not
	// record the option takes Before (not Default: an upgrade never
	// switches a feature on) and tells the user how to set it. See
	// [addedLater].
	AddedLater bool   `json:"addedLater,omitempty"`
	Before     string `json:"before,omitempty"`
	// Needs is the key of a bool option this bool option builds on: while
	// that one is false, this one must be false too, and is not asked.
	Needs string `json:"needs,omitempty"`

	get   func(*Answers) string
	set   func(*Answers, string)
	check func(*Answers, string) error // nil for choice and bool options
}

// options is the table of every answer, in prompt order. Adding a router, a
// store or an auth mode is adding a Choice here and rows in the template
// tree's files table.
//
// Adding an option is a field in [Answers] (its JSON name is the key) and
// a row here. Every option added from now on is added later, for projects
// already generated: wrap its row in addedLater with the value that
// renders an existing project as before. For a feature switch:
//
//	Widget bool `json:"widget"` // in Answers
//
//	addedLater(boolOption("widget", "serve site widgets (GET /api/widget/settings)",
//		"Serve a site widget?", func(a *Answers) *bool { return &a.Widget }), "false"),
//
// New projects get Default (true for boolOption); `wixgen upgrade` of an
// older project renders it with widget=false, and names the option and
// `--set widget=true`. Templates then test {{if .Widget}}, and
// templates/files.yaml rows may say when: {widget: true}.
var options = []Option{
	{
		Key: "name", Kind: KindString,
		Usage:  "project name, used for the directory, the image and the data file (lowercase letters, digits, - and _); default: the directory's name",
		Prompt: "Project name",
		get:    func(a *Answers) string { return a.Name },
		set:    func(a *Answers, v string) { a.Name = v },
		check:  checkName,
	},
	{
		Key: "module", Kind: KindString,
		Usage:  "Go module path; default: example.com/<name>",
		Prompt: "Go module path",
		get:    func(a *Answers) string { return a.Module },
		set:    func(a *Answers, v string) { a.Module = v },
		check:  checkModule,
	},
	{
		Key: "app-id", Kind: KindString,
		Usage:  "Wix app ID (a UUID from the app dashboard); may be empty and set later with WIX_APP_ID",
		Prompt: "Wix app ID (empty to set WIX_APP_ID later)",
		get:    func(a *Answers) string { return a.AppID },
		set:    func(a *Answers, v string) { a.AppID = v },
		check:  checkAppID,
	},
	{
		Key: "router", Kind: KindChoice, Default: "stdlib",
		Usage:  "HTTP router",
		Prompt: "HTTP router",
		Choices: []Choice{
			{Value: "stdlib", Description: "net/http ServeMux with Go 1.22+ method and path patterns; no dependency"},
			{Value: "chi", Description: "go-chi/chi/v5: a net/http router with sub-routers and middleware; handlers stay http.HandlerFunc"},
			{Value: "gin", Description: "gin-gonic/gin: gin.Context handlers and gin middleware"},
			{Value: "echo", Description: "labstack/echo/v5: handlers return error, answered by one central error handler"},
		},
		get: func(a *Answers) string { return a.Router },
		set: func(a *Answers, v string) { a.Router = v },
	},
	{
		Key: "store", Kind: KindChoice, Default: "sqlite",
		Usage:  "datastore",
		Prompt: "Datastore",
		Choices: []Choice{
			{Value: "sqlite", Description: "SQLite file (modernc.org/sqlite, pure Go, no cgo), WAL mode; one server",
				Traits: []string{TraitDatabaseURL, TraitDataFile}},
			{Value: "memory", Description: "in-process maps; data is lost on restart (demos and tests)"},
			{Value: "postgres", Description: "PostgreSQL (github.com/jackc/pgx/v5, a connection pool); several replicas can share it",
				Traits: []string{TraitDatabaseURL}},
		},
		get: func(a *Answers) string { return a.Store },
		set: func(a *Answers, v string) { a.Store = v },
	},
	{
		Key: "auth", Kind: KindChoice, Default: "instance",
		Usage:  "how the backend authenticates the app's frontend",
		Prompt: "Authentication",
		Choices: []Choice{
			{Value: "instance", Description: "signed app instance, verified locally with the app secret (HMAC-SHA256)",
				Traits: []string{TraitSignedInstance}},
			{Value: "token", Description: "Wix access token, checked with Wix's token-info endpoint and cached until it expires",
				Traits: []string{TraitAccessToken}},
			{Value: "both", Description: "either: a signed instance is checked locally, anything else with token-info",
				Traits: []string{TraitSignedInstance, TraitAccessToken}},
		},
		get: func(a *Answers) string { return a.Auth },
		set: func(a *Answers, v string) { a.Auth = v },
	},
	addedLater(boolOption("widget", "serve site widgets: GET /api/widget/settings, the public part of the settings, to site visitors and members with a Wix access token",
		"Serve a site widget?", func(a *Answers) *bool { return &a.Widget }), "false"),
	boolOption("webhooks", "receive Wix webhooks (AppInstalled, AppRemoved, paid plan events) at POST /webhooks",
		"Receive Wix webhooks?", func(a *Answers) *bool { return &a.Webhooks }),
	addedLater(needs("webhooks", boolOption("billing",
		"paid plans per site (GET /api/plan, RequirePlan), every app lifecycle event, and webhook handlers of your own",
		"Track paid plans and handle webhook events of your own?", func(a *Answers) *bool { return &a.Billing })), "false"),
	boolOption("docker", "add a Dockerfile and .dockerignore",
		"Add a Dockerfile?", func(a *Answers) *bool { return &a.Docker }),
	boolOption("ci", "add GitHub Actions workflows: CI, and a weekly wixgen upgrade pull request",
		"Add GitHub Actions workflows?", func(a *Answers) *bool { return &a.CI }),
	addedLater(offByDefault(boolOption("kubernetes",
		"add deploy/kubernetes/, a kustomize base: a Deployment with probes and a graceful stop, a Service, and by store an autoscaler and a disruption budget (postgres) or a volume (sqlite)",
		"Add Kubernetes manifests?", func(a *Answers) *bool { return &a.Kubernetes })), "false"),
	addedLater(boolOption("e2e",
		"add e2e/, a test in a module of its own that drives headless Chromium through a dashboard and a widget page against the backend and a fake Wix (make e2e)",
		"Add an end-to-end test in a real browser?", func(a *Answers) *bool { return &a.E2E }), "false"),
	addedLater(boolOption("rate-limits",
		"budget the requests each client and each site may make (429 over budget; RATE_LIMIT_CLIENT, RATE_LIMIT_INSTANCE)",
		"Limit the requests each client and each site may make?", func(a *Answers) *bool { return &a.RateLimits }), "false"),
}

// addedLater marks o as added after projects were generated without it:
// such a project renders with before (see Option.AddedLater).
func addedLater(o Option, before string) Option {
	o.AddedLater, o.Before = true, before
	return o
}

// offByDefault makes o, a bool option, off in new projects too.
func offByDefault(o Option) Option {
	o.Default = "false"
	return o
}

// needs marks the bool option o as building on the bool option key (see
// Option.Needs).
func needs(key string, o Option) Option {
	o.Needs = key
	return o
}

func boolOption(key, usage, prompt string, field func(*Answers) *bool) Option {
	return Option{
		Key: key, Kind: KindBool, Default: "true", Usage: usage, Prompt: prompt,
		get: func(a *Answers) string { return strconv.FormatBool(*field(a)) },
		set: func(a *Answers, v string) { *field(a) = v == "true" },
	}
}

// The traits choices may have.
const (
	// TraitDatabaseURL: the store is configured by DATABASE_URL.
	TraitDatabaseURL = "database_url"
	// TraitDataFile: the store keeps its data in a local file, which needs
	// a directory (and, in a container, a volume).
	TraitDataFile = "data_file"
	// TraitSignedInstance: the backend accepts signed app instances, checked
	// locally with the app secret.
	TraitSignedInstance = "signed_instance"
	// TraitAccessToken: the backend accepts Wix access tokens, checked with
	// Wix's token-info endpoint.
	TraitAccessToken = "access_token"
	// TraitTokenInfo: the backend asks Wix's token-info endpoint, for
	// access tokens on every route (TraitAccessToken) or for site widgets
	// only. It is the one trait that follows from more than one option.
	TraitTokenInfo = "token_info"
	// TraitClients: the backend tells clients apart (internal/ratelimit),
	// to budget their token-info calls (TraitTokenInfo) or their requests
	// (the rate-limits option).
	TraitClients = "clients"
)

// traits returns every trait of every choice, true for those the answers
// chose, and TraitTokenInfo. Templates index it, so every known trait must
// be present; rows of the files table may name traits too.
func (a *Answers) traits() map[string]bool {
	t := make(map[string]bool)
	for _, o := range options {
		chosen := o.Get(a)
		for _, c := range o.Choices {
			for _, name := range c.Traits {
				t[name] = t[name] || c.Value == chosen
			}
		}
	}
	t[TraitTokenInfo] = t[TraitAccessToken] || a.Widget
	t[TraitClients] = t[TraitTokenInfo] || a.RateLimits
	return t
}

// Options returns the option table in prompt order. The caller must not
// modify it.
func Options() []Option { return options }

// LookupOption returns the option with the given key.
func LookupOption(key string) (Option, bool) {
	i := slices.IndexFunc(options, func(o Option) bool { return o.Key == key })
	if i < 0 {
		return Option{}, false
	}
	return options[i], true
}

// OptionKeys returns every option key in table order.
func OptionKeys() []string {
	keys := make([]string, len(options))
	for i, o := range options {
		keys[i] = o.Key
	}
	return keys
}

// Values returns the valid values of a choice or bool option.
func (o Option) Values() []string {
	switch o.Kind {
	case KindBool:
		return []string{"true", "false"}
	case KindChoice:
		vals := make([]string, len(o.Choices))
		for i, c := range o.Choices {
			vals[i] = c.Value
		}
		return vals
	}
	return nil
}

// Get returns the option's value in a as text.
func (o Option) Get(a *Answers) string { return o.get(a) }

// Set checks v and stores it in a. Bool options accept the spellings of
// strconv.ParseBool; choice options accept only their values.
func (o Option) Set(a *Answers, v string) error {
	switch o.Kind {
	case KindBool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return &OptionError{Key: o.Key, Value: v, Valid: o.Values()}
		}
		v = strconv.FormatBool(b)
	case KindChoice:
		if !slices.Contains(o.Values(), v) {
			return &OptionError{Key: o.Key, Value: v, Valid: o.Values()}
		}
	}
	o.set(a, v)
	return nil
}

// Check reports whether v is valid for this option in the context of a.
func (o Option) Check(a *Answers, v string) error {
	if o.check != nil {
		return o.check(a, v)
	}
	if !slices.Contains(o.Values(), v) {
		return &OptionError{Key: o.Key, Value: v, Valid: o.Values()}
	}
	if need, ok := LookupOption(o.Needs); ok && v == "true" && need.Get(a) != "true" {
		return &OptionError{Key: o.Key, Value: v, Reason: fmt.Sprintf("%[1]s needs %[2]s, and %[2]s is %[3]s: set %[1]s=false too, or %[2]s=true",
			o.Key, need.Key, need.Get(a))}
	}
	return nil
}

// OptionError is a bad answer: it names the option, the value and what is
// valid instead. The CLI reports it as a usage error.
type OptionError struct {
	Key    string
	Value  string
	Valid  []string // the valid values, for choice and bool options
	Reason string   // what a valid value looks like, for string options
}

func (e *OptionError) Error() string {
	if len(e.Valid) > 0 {
		return fmt.Sprintf("invalid %s %q: valid values are %s", e.Key, e.Value, strings.Join(e.Valid, ", "))
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Key, e.Value, e.Reason)
}

// DefaultAnswers returns the defaults for a project in a directory called
// dirName ("" when unknown).
func DefaultAnswers(dirName string) Answers {
	var a Answers
	for _, o := range options {
		if o.Default != "" {
			o.set(&a, o.Default)
		}
	}
	if checkName(&a, dirName) == nil {
		a.Name = dirName
	} else {
		a.Name = "wix-app"
	}
	a.Module = DefaultModule(a.Name)
	return a
}

// DefaultModule is the module path used when none is given.
func DefaultModule(name string) string { return "example.com/" + name }

// Validate checks every answer and returns the first problem as an
// *OptionError. It also normalizes the app ID to lower case.
func (a *Answers) Validate() error {
	a.AppID = strings.ToLower(strings.TrimSpace(a.AppID))
	for _, o := range options {
		if err := o.Check(a, o.get(a)); err != nil {
			return err
		}
	}
	return nil
}

var (
	nameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	appIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

func checkName(_ *Answers, v string) error {
	if !nameRE.MatchString(v) || len(v) > 64 {
		return &OptionError{Key: "name", Value: v,
			Reason: "use 1 to 64 characters: a lowercase letter first, then lowercase letters, digits, '-' or '_' (for example shop or my-app)"}
	}
	if module.CheckPath(DefaultModule(v)) != nil { // con, aux, nul and such
		return &OptionError{Key: "name", Value: v, Reason: "it is a reserved file name on some systems; choose another"}
	}
	return nil
}

func checkModule(_ *Answers, v string) error {
	// module.CheckPath also wants a dot in the first element, as in a
	// domain name: that keeps module paths apart from the standard
	// library's (a module called fmt would not build).
	if err := module.CheckPath(v); err != nil {
		return &OptionError{Key: "module", Value: v,
			Reason: "use a Go module path that starts with a domain, such as example.com/shop or github.com/you/shop"}
	}
	return nil
}

func checkAppID(_ *Answers, v string) error {
	if v != "" && !appIDRE.MatchString(v) {
		return &OptionError{Key: "app-id", Value: v,
			Reason: "use the app ID from the Wix app dashboard, a UUID like 1b2c3d4e-0000-4000-8000-000000000001, or leave it empty"}
	}
	return nil
}
