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
	overlay *OverlayRecord     // nil without an overlay
	// source names, for a template the overlay provides, the overlay's
	// file, so that errors point at it.
	source map[string]string
}

// Config is what a Generator renders from.
type Config struct {
	// Templates is the template tree: its files table (TableFile) and
	// the templates under ProjectDir. The CLI gives the embedded tree;
	// tests give others.
	Templates fs.FS
	// Version is the generator version recorded in manifests.
	Version string
	// Overlay, when set, is laid over Templates (see [Overlay]).
	Overlay *Overlay
}

// New parses the template tree once: its files table and every template,
// with the overlay laid over them.
func New(cfg Config) (*Generator, error) {
	rules, err := loadTable(cfg.Templates)
	if err != nil {
		return nil, err
	}
	g := &Generator{version: cfg.Version, source: make(map[string]string)}
	provided := map[string]bool{}
	if o := cfg.Overlay; o != nil {
		baseTemplates, err := listTemplates(cfg.Templates)
		if err != nil {
			return nil, err
		}
		if rules, provided, err = layOverlay(rules, baseTemplates, o); err != nil {
			return nil, err
		}
		sum, err := OverlayHash(o.FS)
		if err != nil {
			return nil, fmt.Errorf("overlay %s: %w", o.Dir, err)
		}
		g.overlay = &OverlayRecord{Path: o.Path, SHA256: sum}
		for t := range provided {
			g.source[t] = o.file(path.Join(ProjectDir, t))
		}
	}
	root := template.New("").Option("missingkey=error").Funcs(funcMap())
	for _, r := range rules {
		fsys := cfg.Templates
		if provided[r.Template] {
			fsys = cfg.Overlay.FS
		}
		text, err := fs.ReadFile(fsys, path.Join(ProjectDir, r.Template))
		if err != nil {
			return nil, fmt.Errorf("read template: %w", err)
		}
		if _, err := root.New(r.Template).Parse(string(text)); err != nil {
			return nil, fmt.Errorf("parse template %s%s: %w", r.Template, g.from(r.Template), err)
		}
	}
	g.rules, g.tmpl = rules, root
	return g, nil
}

// from says, in an error about template t, which overlay file it is.
func (g *Generator) from(t string) string {
	if src, ok := g.source[t]; ok {
		return " (" + src + ")"
	}
	return ""
}

// Overlay returns the record of the overlay laid over the templates, or
// nil.
func (g *Generator) Overlay() *OverlayRecord { return g.overlay }

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
	m, err := g.manifest(p.Answers, p.Files, nil)
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
		return nil, fmt.Errorf("render %s%s: %w", r.Template, g.from(r.Template), err)
	}
	out := buf.Bytes()
	if len(bytes.TrimSpace(out)) == 0 {
		return nil, fmt.Errorf("render %s%s: the output is empty; give the file a condition in %s instead", r.Template, g.from(r.Template), TableFile)
	}
	if strings.HasSuffix(r.Path, ".go") {
		formatted, err := imports.Process(r.Path, out, &imports.Options{
			FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8,
		})
		if err != nil {
			return nil, fmt.Errorf("format %s (from %s%s): %w", r.Path, r.Template, g.from(r.Template), err)
		}
		out = formatted
	}
	return out, nil
}

// funcMap is the template language's function library: sprig's text
// functions (the README lists them for overlay authors) without
// excludedFuncs, plus dep.
func funcMap() template.FuncMap {
	fm := sprig.TxtFuncMap()
	for _, name := range excludedFuncs {
		delete(fm, name)
	}
	fm["dep"] = depVersion
	return fm
}

// excludedFuncs are sprig's functions templates may not use: a render
// must depend on the answers alone, the same on every machine, every day.
var excludedFuncs = []string{
	// the clock, and the local time zone (which the environment sets)
	"now", "date", "dateInZone", "date_in_zone", "dateModify", "date_modify", "mustDateModify", "must_date_modify",
	"ago", "duration", "durationRound", "htmlDate", "htmlDateInZone", "toDate", "mustToDate", "unixEpoch",
	// the environment, and the operating system wixgen runs on
	"env", "expandenv", "osBase", "osClean", "osDir", "osExt", "osIsAbs",
	// the network
	"getHostByName",
	// randomness, and the keys, certificates and ciphertexts made with it
	"randAlphaNum", "randAlpha", "randAscii", "randNumeric", "randBytes", "randInt", "uuidv4", "shuffle",
	"bcrypt", "htpasswd", "derivePassword", "genPrivateKey", "buildCustomCert", "genCA", "genCAWithKey",
	"genSelfSignedCert", "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey",
	"encryptAES", "decryptAES",
	// sprig's example
	"hello",
}
