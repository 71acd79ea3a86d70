package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strings"
	"sync"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"golang.org/x/tools/imports"
)

// Generator renders projects from one template tree. It is safe for
// concurrent use.
type Generator struct {
	version string
	rules   []fileRule
	tmpl    *template.Template // every template, named by its path under ProjectDir
}

// New parses the template tree in fsys once: its files table (TableFile)
// and every template under ProjectDir. version is the generator version
// recorded in manifests.
func New(fsys fs.FS, version string) (*Generator, error) {
	rules, err := loadTable(fsys)
	if err != nil {
		return nil, err
	}
	root := template.New("").Option("missingkey=error").Funcs(funcMap())
	for _, r := range rules {
		text, err := fs.ReadFile(fsys, path.Join(ProjectDir, r.Template))
		if err != nil {
			return nil, fmt.Errorf("read template: %w", err)
		}
		if _, err := root.New(r.Template).Parse(string(text)); err != nil {
			return nil, fmt.Errorf("parse template %s: %w", r.Template, err)
		}
	}
	return &Generator{version: version, rules: rules, tmpl: root}, nil
}

// Version is the generator version recorded in manifests.
func (g *Generator) Version() string { return g.version }

// File is one rendered file of a project.
type File struct {
	Path     string // slash-separated, relative to the project root
	Class    Class
	Template string // the template it came from; "" for the manifest
	Data     []byte
}

// Project is a whole rendered project, in memory.
type Project struct {
	Answers Answers
	Files   []File // sorted by Path; the manifest is among them
}

// templateData is what templates see: the answers plus values that follow
// from them and from the generator itself.
type templateData struct {
	Answers
	Traits    map[string]bool // see Choice.Traits
	GoVersion string          // the go directive of generated go.mod files
}

// Render renders every file the answers call for, formats Go files and
// adds the manifest. It validates the answers first and writes nothing.
func (g *Generator) Render(a Answers) (*Project, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	data := templateData{Answers: a, Traits: a.traits(), GoVersion: goVersion}
	var rules []*fileRule
	byPath := make(map[string]string)
	for i := range g.rules {
		r := &g.rules[i]
		if !r.matches(&a) {
			continue
		}
		if other, dup := byPath[r.Path]; dup {
			return nil, fmt.Errorf("templates %s and %s both render %s", other, r.Template, r.Path)
		}
		byPath[r.Path] = r.Template
		rules = append(rules, r)
	}

	// Formatting Go files is most of the work: spread it over the CPUs.
	p := &Project{Answers: a, Files: make([]File, len(rules))}
	errs := make([]error, len(rules))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(rules)) {
		wg.Go(func() {
			for i := range next {
				out, err := g.renderFile(rules[i], &data)
				p.Files[i], errs[i] = File{Path: rules[i].Path, Class: rules[i].Class, Template: rules[i].Template, Data: out}, err
			}
		})
	}
	for i := range rules {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	m, err := g.manifest(p)
	if err != nil {
		return nil, err
	}
	p.Files = append(p.Files, File{Path: ManifestFile, Data: m})
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	return p, nil
}

func (g *Generator) renderFile(r *fileRule, data *templateData) ([]byte, error) {
	var buf bytes.Buffer
	if err := g.tmpl.ExecuteTemplate(&buf, r.Template, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", r.Template, err)
	}
	out := buf.Bytes()
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, fmt.Errorf("render %s: the output is empty; give the file a condition in %s instead", r.Template, TableFile)
	}
	if strings.HasSuffix(r.Path, ".go") {
		formatted, err := imports.Process(r.Path, out, &imports.Options{
			FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8,
		})
		if err != nil {
			return nil, fmt.Errorf("format %s (from %s): %w", r.Path, r.Template, err)
		}
		out = formatted
	}
	return out, nil
}

// funcMap is sprig's text functions without the ones that read the clock,
// the environment or randomness: output must depend on the answers alone.
func funcMap() template.FuncMap {
	fm := sprig.TxtFuncMap()
	for _, name := range []string{
		"env", "expandenv", "now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify",
		"mustDateModify", "must_date_modify", "ago", "duration", "durationRound", "htmlDate", "htmlDateInZone",
		"unixEpoch", "randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "randInt",
		"uuidv4", "shuffle", "genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert",
		"genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "derivePassword",
		"bcrypt", "htpasswd", "getHostByName",
	} {
		delete(fm, name)
	}
	fm["dep"] = depVersion
	return fm
}
