package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/wixgen/wixgen/generator"
)

const newExamples = `Examples:
   wixgen new                       ask for each answer (on a terminal)
   wixgen new ./shop --yes          take every default; the name comes from the directory
   wixgen new ./shop --name shop --app-id 1b2c3d4e-0000-4000-8000-000000000001 --store memory --webhooks=false
   wixgen new ./shop --answers answers.yaml --json
   wixgen new ./shop --yes --dry-run   list the files without writing them

An answers file (JSON or YAML) holds the same keys as the option flags, for example
   name: shop
   app-id: 1b2c3d4e-0000-4000-8000-000000000001
   store: sqlite
   webhooks: true
Flags override the answers file. Without a terminal, or with --yes, nothing is asked
and missing answers take their defaults. Run 'wixgen options' for every valid value.`

func newCommand(stdin *os.File, stderr io.Writer) *cli.Command {
	flags := []cli.Flag{}
	for _, o := range generator.Options() {
		usage := o.Usage
		if o.Kind == generator.KindChoice {
			usage += ": " + strings.Join(o.Values(), ", ")
		}
		if o.Kind == generator.KindBool {
			def, _ := strconv.ParseBool(o.Default)
			flags = append(flags, &cli.BoolFlag{Name: o.Key, Usage: usage + " (--" + o.Key + "=false to leave out)", Value: def, Category: "Answers:"})
			continue
		}
		flags = append(flags, &cli.StringFlag{Name: o.Key, Usage: usage, Value: o.Default, Category: "Answers:"})
	}
	flags = append(flags,
		&cli.StringFlag{Name: "answers", Usage: "read answers from a JSON or YAML `FILE`", Category: "Input:"},
		&cli.StringFlag{Name: generator.TemplatesKey, Usage: "lay the template overlay in `DIR` over wixgen's templates: DIR mirrors wixgen's templates/ (project/*.tmpl and files.yaml rows); recorded in .wixgen.json for upgrades", Category: "Input:"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "never ask: take defaults for missing answers", Category: "Input:"},
		&cli.BoolFlag{Name: "force", Usage: "write into a non-empty directory, replacing files with the same names (never over another generated project)", Category: "Output:"},
		&cli.BoolFlag{Name: "dry-run", Usage: "list the files that would be written, and write nothing", Category: "Output:"},
		&cli.BoolFlag{Name: "no-tidy", Usage: "do not run go mod tidy after writing", Category: "Output:"},
		&cli.BoolFlag{Name: "git", Usage: "run git init and make a first commit", Category: "Output:"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON result on stdout instead of text", Category: "Output:"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors", Category: "Output:"},
	)
	return &cli.Command{
		Name:               "new",
		Usage:              "generate a new Wix app backend",
		ArgsUsage:          "[DIR]",
		Description:        "Writes a new project into DIR (default: ./<name>). DIR must not exist or be empty, unless --force.\n\n" + newExamples,
		Flags:              flags,
		CustomHelpTemplate: cli.CommandHelpTemplate,
		Action: func(c *cli.Context) error {
			return runNew(c, stdin, stderr)
		},
	}
}

// newResult is the --json output of `wixgen new`.
type newResult struct {
	result
	Templates *generator.OverlayRecord `json:"templates,omitempty"` // the overlay, as the manifest records it
	Files     []fileResult             `json:"files,omitempty"`
}

type fileResult struct {
	Path  string          `json:"path"`
	Class generator.Class `json:"class,omitempty"`
}

func runNew(c *cli.Context, stdin *os.File, stderr io.Writer) error {
	var res newResult
	r := newReport(c, stderr, &res.result)
	err := doNew(c, r, &res, stdin, stderr)
	return r.finish(err, false, &res)
}

func doNew(c *cli.Context, r *report, res *newResult, stdin *os.File, stderr io.Writer) error {
	if c.NArg() > 1 {
		return usagef("new takes at most one directory, got %d arguments: %s", c.NArg(), strings.Join(c.Args().Slice(), " "))
	}
	dir := c.Args().First()

	a, set, overlayDir, err := answersFromInput(c)
	if err != nil {
		return err
	}
	p := newPrompter(stdin, stderr)
	interactive := !c.Bool("yes") && p != nil && len(set) < len(generator.Options())
	if interactive {
		if err := p.askMissing(c.Context, &a, set, dir); err != nil {
			return err
		}
	} else if err := fillDefaults(&a, set, dir); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if dir == "" {
		dir = a.Name
	}
	res.Dir, res.Answers = dir, &a

	if err := checkTarget(dir, c.Bool("force")); err != nil {
		return err
	}
	overlay, err := openOverlay(overlayDir, dir)
	if err != nil {
		return err
	}
	g, err := loadGenerator(overlay)
	if err != nil {
		return err
	}
	res.Templates = g.Overlay()
	project, err := g.Render(a)
	if err != nil {
		return err
	}
	for _, f := range project.Files {
		res.Files = append(res.Files, fileResult{Path: f.Path, Class: f.Class})
	}
	if interactive {
		fmt.Fprintf(r.progress, "\nTo generate the same project without questions:\n  %s\n\n", equivalentCommand(c, dir, a, overlayDir))
	}
	if c.Bool("dry-run") {
		res.DryRun = true
		if !r.json {
			fmt.Fprintf(r.out, "Would write %d files into %s:\n", len(project.Files), dir)
			for _, f := range project.Files {
				action := "create"
				if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f.Path))); err == nil {
					action = "replace"
				}
				fmt.Fprintf(r.out, "  %-7s %s\n", action, f.Path)
			}
		}
		return nil
	}
	if err := generator.Write(c.Context, dir, project); err != nil {
		return err
	}
	fmt.Fprintf(r.progress, "Wrote %d files to %s\n", len(project.Files), dir)

	stepErr := newSteps(c, r, dir)
	if !r.json && !r.quiet {
		printNextSteps(r.out, dir, a, c.Bool("no-tidy") || stepErr != nil)
	}
	return stepErr
}

// newSteps runs go mod tidy and git init as asked, reporting progress.
func newSteps(c *cli.Context, r *report, dir string) error {
	steps := []struct {
		name string
		skip bool
		run  func(context.Context) error
	}{
		{"go mod tidy", c.Bool("no-tidy"), func(ctx context.Context) error { return tidy(ctx, dir) }},
		{"git init", !c.Bool("git"), func(ctx context.Context) error {
			return gitInit(ctx, dir, "Generate project with wixgen "+buildVersion())
		}},
	}
	for _, s := range steps {
		if s.skip {
			r.skip(s.name)
			continue
		}
		if err := r.step(c.Context, s.name, s.run); err != nil {
			return err
		}
	}
	return nil
}

// checkTarget reports whether dir may receive a new project: it must not
// exist, or be an empty directory, or force must be set. A directory that
// already holds a generated project is refused even with force: writing a
// project with other options over it would leave the old option's files
// behind, in a tree that no longer builds.
func checkTarget(dir string, force bool) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check target: %w", err)
	}
	if !info.IsDir() {
		return &generator.TargetError{Dir: dir, Reason: "exists and is not a directory; choose another path"}
	}
	if _, err := os.Lstat(filepath.Join(dir, generator.ManifestFile)); err == nil {
		return &generator.TargetError{Dir: dir, Reason: fmt.Sprintf("already holds a wixgen project (%s); "+
			"generate into a new directory (even --force does not write a project over another)", generator.ManifestFile)}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("check target: %w", err)
	}
	if len(entries) == 0 || force {
		return nil
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(3, len(entries))] {
		names = append(names, e.Name())
	}
	held := strings.Join(names, ", ")
	if len(entries) > 3 {
		held += fmt.Sprintf(" and %d more", len(entries)-3)
	}
	return &generator.TargetError{Dir: dir, Reason: fmt.Sprintf(
		"directory is not empty (it holds %s); choose a new directory, or pass --force to write into it", held)}
}

// answersFromInput reads the answers file, then the flags over it, and
// returns the answers, which keys were given, and the overlay directory
// (a relative one in an answers file is relative to that file).
func answersFromInput(c *cli.Context) (generator.Answers, map[string]bool, string, error) {
	var a generator.Answers
	values := make(map[string]string)
	if file := c.String("answers"); file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return a, nil, "", usagef("read answers file: %v", err)
		}
		values, err = generator.ParseAnswersFile(data)
		if err != nil {
			return a, nil, "", usageError{fmt.Errorf("%s: %w", file, err)}
		}
		if t := values[generator.TemplatesKey]; t != "" && !filepath.IsAbs(t) {
			values[generator.TemplatesKey] = filepath.Join(filepath.Dir(file), t)
		}
	}
	for _, o := range generator.Options() {
		if !c.IsSet(o.Key) {
			continue
		}
		if o.Kind == generator.KindBool {
			values[o.Key] = strconv.FormatBool(c.Bool(o.Key))
		} else {
			values[o.Key] = c.String(o.Key)
		}
	}
	if c.IsSet(generator.TemplatesKey) {
		values[generator.TemplatesKey] = c.String(generator.TemplatesKey)
	}
	set := make(map[string]bool)
	for _, o := range generator.Options() {
		v, ok := values[o.Key]
		if !ok {
			continue
		}
		if err := o.Set(&a, v); err != nil {
			return a, nil, "", err
		}
		set[o.Key] = true
	}
	return a, set, values[generator.TemplatesKey], nil
}

// openOverlay checks the overlay directory dir ("" for none) and returns
// it as the engine takes it, recorded relative to the project directory.
func openOverlay(dir, project string) (*generator.Overlay, error) {
	if dir == "" {
		return nil, nil
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return nil, usagef("--templates %s: no such directory; give a directory that mirrors wixgen's templates/ "+
			"(templates under project/, ending in .tmpl, and a files.yaml with rows for the files it adds or removes)", dir)
	}
	record := dir
	if ao, err := filepath.Abs(dir); err == nil {
		record = ao
		if ap, err := filepath.Abs(project); err == nil {
			if rel, err := filepath.Rel(ap, ao); err == nil {
				record = rel
			}
		}
	}
	return &generator.Overlay{FS: os.DirFS(dir), Dir: dir, Path: filepath.ToSlash(record)}, nil
}

// fillDefaults gives every answer not in set its default. The name
// defaults to the directory's name, the module to example.com/<name>.
func fillDefaults(a *generator.Answers, set map[string]bool, dir string) error {
	for _, o := range generator.Options() {
		if set[o.Key] {
			continue
		}
		def, err := defaultFor(o, a, dir)
		if err != nil {
			return err
		}
		if err := o.Set(a, def); err != nil {
			return err
		}
	}
	return nil
}

// defaultFor is an option's default given the answers so far: an option
// that needs one answered false defaults to false too.
func defaultFor(o generator.Option, a *generator.Answers, dir string) (string, error) {
	if need, ok := generator.LookupOption(o.Needs); ok && need.Get(a) == "false" {
		return "false", nil
	}
	switch o.Key {
	case "name":
		if dir == "" {
			return generator.DefaultAnswers("").Name, nil
		}
		base := filepath.Base(filepath.Clean(dir))
		if abs, err := filepath.Abs(dir); err == nil {
			base = filepath.Base(abs) // "." and ".." name the directories they stand for
		}
		if err := o.Check(a, base); err != nil {
			return "", usagef("cannot take the project name from directory %q: %v; pass --name", dir, err)
		}
		return base, nil
	case "module":
		return generator.DefaultModule(a.Name), nil
	}
	return o.Default, nil
}

// equivalentCommand is the command line that makes the same project
// without questions.
func equivalentCommand(c *cli.Context, dir string, a generator.Answers, overlayDir string) string {
	args := []string{"wixgen", "new", dir}
	for _, o := range generator.Options() {
		v := o.Get(&a)
		if o.Kind == generator.KindBool {
			args = append(args, "--"+o.Key+"="+v)
		} else {
			args = append(args, "--"+o.Key, v)
		}
	}
	if overlayDir != "" {
		args = append(args, "--"+generator.TemplatesKey, overlayDir)
	}
	for _, f := range []string{"force", "no-tidy", "git"} {
		if c.Bool(f) {
			args = append(args, "--"+f)
		}
	}
	args = append(args, "--yes")
	for i, s := range args {
		args[i] = shellQuote(s)
	}
	return strings.Join(args, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func printNextSteps(w io.Writer, dir string, a generator.Answers, needTidy bool) {
	fmt.Fprintf(w, "Created %s in %s.\n\nNext steps:\n  cd %s\n", a.Name, dir, shellQuote(dir))
	if needTidy {
		fmt.Fprintf(w, "  go mod tidy\n")
	}
	secrets := "WIX_APP_SECRET"
	if a.AppID == "" {
		secrets = "WIX_APP_ID, " + secrets
	}
	if a.Webhooks {
		secrets += " and WIX_PUBLIC_KEY"
	}
	fmt.Fprintf(w, "  cp .env.example .env   # set %s from your app's page in the Wix app dashboard\n", secrets)
	fmt.Fprintf(w, "  make run               # serves on http://localhost:8080\n")
	fmt.Fprintf(w, "  make test\n\nREADME.md explains the Wix app dashboard settings and every environment variable.\n")
}
