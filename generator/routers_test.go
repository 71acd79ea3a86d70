package generator_test

import (
	"bytes"
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/wixgen/wixgen/generator"
	"github.com/wixgen/wixgen/templates"
)

// behaviourTest is the generated HTTP-level test every router must pass,
// and behaviourTemplate the template it comes from.
const (
	behaviourTest     = "internal/api/api_test.go"
	behaviourTemplate = "internal/api/api_test.go.tmpl"
)

// TestBehaviourTestIsTheSameForEveryRouter renders every option set and
// checks that the behaviour test, which drives the API over HTTP, is the
// same bytes from the same template for every router, all other answers
// being equal: a case cannot be missing, or different, for one router.
func TestBehaviourTestIsTheSameForEveryRouter(t *testing.T) {
	g := newGenerator(t)
	router, _ := generator.LookupOption("router")
	if len(router.Values()) < 2 {
		t.Fatalf("router has the choices %v; this test needs at least two", router.Values())
	}
	type rendered struct {
		router string
		data   []byte
	}
	byOthers := make(map[generator.Answers]rendered) // answers with Router cleared
	for _, a := range allAnswers() {
		p, err := g.Render(a)
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		var f *generator.File
		for i := range p.Files {
			if p.Files[i].Path == behaviourTest {
				f = &p.Files[i]
			}
		}
		if f == nil {
			t.Fatalf("%+v: no %s", a, behaviourTest)
		}
		if f.Template != behaviourTemplate {
			t.Errorf("router %s: %s comes from %s, want %s", a.Router, behaviourTest, f.Template, behaviourTemplate)
		}
		others := a
		others.Router = ""
		first, seen := byOthers[others]
		if !seen {
			byOthers[others] = rendered{a.Router, f.Data}
			continue
		}
		if !bytes.Equal(first.data, f.Data) {
			t.Errorf("%s differs between routers %s and %s (store %s, auth %s, webhooks %v): %s",
				behaviourTest, first.router, a.Router, a.Store, a.Auth, a.Webhooks, firstDifference(first.data, f.Data))
		}
	}
	for others, r := range byOthers {
		if r.router == "" {
			t.Errorf("%+v: rendered for no router", others)
		}
	}
}

// TestBehaviourTemplateIgnoresTheRouter checks the behaviour test's
// template never asks which router it is rendered for.
func TestBehaviourTemplateIgnoresTheRouter(t *testing.T) {
	data, err := fs.ReadFile(templates.FS(), generator.ProjectDir+"/"+behaviourTemplate)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), ".Router") {
		t.Errorf("%s mentions .Router; the behaviour test must be the same for every router", behaviourTemplate)
	}
	// Nor may it import a router's package.
	routerImport := regexp.MustCompile(`"github\.com/(go-chi|gin-gonic|labstack)/`)
	if m := routerImport.Find(data); m != nil {
		t.Errorf("%s imports %s; the behaviour test must use only HTTP", behaviourTemplate, m)
	}
}
