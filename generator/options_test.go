package generator

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestValidateNamesBadValueAndValidOnes(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Answers)
		wantKey string
		wantMsg string
	}{
		{"defaults are valid", func(*Answers) {}, "", ""},
		{"uppercase name", func(a *Answers) { a.Name = "Shop" }, "name", `invalid name "Shop": use 1 to 64 characters`},
		{"name with slash", func(a *Answers) { a.Name = "a/b" }, "name", `invalid name "a/b"`},
		{"empty name", func(a *Answers) { a.Name = "" }, "name", `invalid name ""`},
		{"name too long", func(a *Answers) { a.Name = "a" + strings.Repeat("b", 64) }, "name", "invalid name"},
		{"module with space", func(a *Answers) { a.Module = "example.com/my shop" }, "module", `invalid module "example.com/my shop": use a Go module path`},
		{"module trailing slash", func(a *Answers) { a.Module = "example.com/shop/" }, "module", "invalid module"},
		{"module without a domain", func(a *Answers) { a.Module = "shop" }, "module", `invalid module "shop": use a Go module path that starts with a domain`},
		{"module named like the standard library", func(a *Answers) { a.Module = "net/http" }, "module", `invalid module "net/http"`},
		{"name reserved on Windows", func(a *Answers) { a.Name, a.Module = "con", "example.com/x" }, "name", `invalid name "con": it is a reserved file name`},
		{"app id not a uuid", func(a *Answers) { a.AppID = "my-app" }, "app-id", `invalid app-id "my-app": use the app ID from the Wix app dashboard`},
		{"app id empty is fine", func(a *Answers) { a.AppID = "" }, "", ""},
		{"unknown router", func(a *Answers) { a.Router = "gorilla" }, "router", `invalid router "gorilla": valid values are stdlib, chi, gin, echo`},
		{"unknown store", func(a *Answers) { a.Store = "mongo" }, "store", `invalid store "mongo": valid values are sqlite, memory, postgres`},
		{"unknown auth", func(a *Answers) { a.Auth = "oauth" }, "auth", `invalid auth "oauth": valid values are instance, token, both`},
		{"billing without webhooks", func(a *Answers) { a.Webhooks = false }, "billing",
			`invalid billing "true": billing needs webhooks, and webhooks is false: set billing=false too, or webhooks=true`},
		{"neither billing nor webhooks", func(a *Answers) { a.Webhooks, a.Billing = false, false }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := DefaultAnswers("shop")
			tt.change(&a)
			err := a.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var oe *OptionError
			if !errors.As(err, &oe) || oe.Key != tt.wantKey || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Validate: %v, want an OptionError for %s containing %q", err, tt.wantKey, tt.wantMsg)
			}
		})
	}
}

func TestOptionSet(t *testing.T) {
	tests := []struct {
		key, value string
		wantErr    string
		check      func(Answers) bool
	}{
		{"webhooks", "false", "", func(a Answers) bool { return !a.Webhooks }},
		{"webhooks", "1", "", func(a Answers) bool { return a.Webhooks }},
		{"docker", "maybe", `invalid docker "maybe": valid values are true, false`, nil},
		{"store", "memory", "", func(a Answers) bool { return a.Store == "memory" }},
		{"store", "Memory", `invalid store "Memory": valid values are sqlite, memory, postgres`, nil},
	}
	for _, tt := range tests {
		o, ok := LookupOption(tt.key)
		if !ok {
			t.Fatalf("no option %s", tt.key)
		}
		a := DefaultAnswers("shop")
		err := o.Set(&a, tt.value)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Set(%s=%s) = %v, want %q", tt.key, tt.value, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(a) {
			t.Errorf("Set(%s=%s) = %v, answers %+v", tt.key, tt.value, err, a)
		}
	}
}

func TestDefaultAnswers(t *testing.T) {
	want := Answers{Name: "shop", Module: "example.com/shop", Router: "stdlib", Store: "sqlite", Auth: "instance", Widget: true, Webhooks: true, Billing: true, Docker: true, CI: true, E2E: true, RateLimits: true}
	if got := DefaultAnswers("shop"); got != want {
		t.Errorf("DefaultAnswers(shop) = %+v, want %+v", got, want)
	}
	if got := DefaultAnswers("Not Valid").Name; got != "wix-app" {
		t.Errorf("DefaultAnswers with an unusable directory name: name %q, want wix-app", got)
	}
}

func TestParseAnswersFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]string
		wantErr string
	}{
		{"json", `{"name":"shop","app-id":"1b2c3d4e-0000-4000-8000-000000000001","webhooks":false}`,
			map[string]string{"name": "shop", "app-id": "1b2c3d4e-0000-4000-8000-000000000001", "webhooks": "false"}, ""},
		{"yaml", "name: shop\nstore: memory\ndocker: no\n", map[string]string{"name": "shop", "store": "memory", "docker": "false"}, ""},
		{"yaml booleans", "name: shop\nstore: memory\ndocker: false\n", map[string]string{"name": "shop", "store": "memory", "docker": "false"}, ""},
		{"yaml key without a value", "name: shop\napp-id:\n", map[string]string{"name": "shop"}, ""},
		{"unknown key", "name: shop\ncolour: red\n", nil, `unknown key "colour"; valid keys are name, module, app-id, router, store, auth, widget, webhooks, billing, docker, ci, kubernetes, e2e, rate-limits, templates`},
		{"number for a string", "name: 42\n", nil, "name: want a string, got 42"},
		{"bool for a string", "router: true\n", nil, "router: want a string, got true"},
		{"not an object", "- name\n", nil, "want an object of option keys"},
		{"empty", "", nil, "want an object"},
		{"bad yaml", "name: [\n", nil, "answers file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnswersFile([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestTraits(t *testing.T) {
	tests := []struct {
		store, auth string
		widget      bool
		want        map[string]bool
	}{
		{"sqlite", "instance", true, map[string]bool{TraitDatabaseURL: true, TraitDataFile: true, TraitSignedInstance: true, TraitAccessToken: false, TraitTokenInfo: true, TraitClients: true}},
		{"memory", "instance", false, map[string]bool{TraitDatabaseURL: false, TraitDataFile: false, TraitSignedInstance: true, TraitAccessToken: false, TraitTokenInfo: false, TraitClients: false}},
		{"sqlite", "token", false, map[string]bool{TraitDatabaseURL: true, TraitDataFile: true, TraitSignedInstance: false, TraitAccessToken: true, TraitTokenInfo: true, TraitClients: true}},
		{"memory", "both", true, map[string]bool{TraitDatabaseURL: false, TraitDataFile: false, TraitSignedInstance: true, TraitAccessToken: true, TraitTokenInfo: true, TraitClients: true}},
	}
	for _, tt := range tests {
		a := DefaultAnswers("shop")
		// clients follows from token checks or from rate-limits, so that is
		// off here: only token_info can turn it on.
		a.Store, a.Auth, a.Widget, a.RateLimits = tt.store, tt.auth, tt.widget, false
		if got := a.traits(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("store %s, auth %s: traits %v, want %v (every known trait, so templates can index any)", tt.store, tt.auth, got, tt.want)
		}
	}
}

// TestOptionsAddedLater: every option marked added later renders old
// projects with a valid value.
func TestOptionsAddedLater(t *testing.T) {
	for _, o := range Options() {
		if !o.AddedLater {
			continue
		}
		a := DefaultAnswers("shop")
		if err := o.Check(&a, o.Before); err != nil {
			t.Errorf("option %s: Before %q: %v", o.Key, o.Before, err)
		}
	}
}

// laterTable is the option table as it would be had docker been added
// after projects existed, with false rendering them as before.
func laterTable() []Option {
	table := slices.Clone(options)
	for i, o := range table {
		if o.Key == "docker" {
			table[i] = addedLater(o, "false")
		}
	}
	return table
}

// TestManifestWithoutALaterOption: a manifest that does not record an
// option added later gets the option's old value, not the new-project
// default (nor the field's zero value by chance: here old is false and
// the default true), and names it; one that records it keeps its value;
// a missing answer of any other option is an error naming it.
func TestManifestWithoutALaterOption(t *testing.T) {
	manifest := func(answers string) []byte {
		return []byte(`{"generator": "wixgen", "version": "v0.1.0", "answers": {` + answers + `}, "files": []}`)
	}
	const common = `"name": "shop", "module": "example.com/shop", "app-id": "", "router": "stdlib", "store": "sqlite", "auth": "instance", "widget": false, "webhooks": true, "billing": true, "ci": true, "kubernetes": false, "e2e": false, "rate-limits": false`
	tests := []struct {
		name       string
		answers    string
		table      []Option
		wantDocker bool
		wantNew    []NewOption
		wantErr    string
	}{
		{"recorded on", common + `, "docker": true`, laterTable(), true, nil, ""},
		{"recorded off", common + `, "docker": false`, laterTable(), false, nil, ""},
		{"not recorded: the old value", common, laterTable(), false,
			[]NewOption{{Key: "docker", Usage: "add a Dockerfile and .dockerignore", Value: "false", Default: "true"}}, ""},
		{"not recorded, and not added later", common, options, false, nil, `answers: no value for "docker"`},
		{"a key no option has", common + `, "docker": true, "cache": "redis"`, laterTable(), false, nil, `unknown field "cache"`},
		{"a bool as a string", common + `, "docker": "yes"`, laterTable(), false, nil, `docker: want true or false, got "yes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseManifest(manifest(tt.answers), tt.table)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Answers.Docker != tt.wantDocker || !reflect.DeepEqual(m.NewOptions, tt.wantNew) {
				t.Errorf("docker %v, new options %+v; want %v, %+v", m.Answers.Docker, m.NewOptions, tt.wantDocker, tt.wantNew)
			}
			if !m.Answers.Webhooks || m.Answers.Router != "stdlib" {
				t.Errorf("the recorded answers were not kept: %+v", m.Answers)
			}
		})
	}
}
