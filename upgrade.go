package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/mod/semver"

	"github.com/wixgen/wixgen/generator"
)

const upgradeExamples = `Examples:
   wixgen upgrade                       upgrade the project in the current directory
   wixgen upgrade ./shop --dry-run      show what would change, with diffs, and write nothing
   wixgen upgrade ./shop --set store=memory --set webhooks=false
   wixgen upgrade ./shop --force        also replace managed files you edited (yours kept as FILE.orig)
   wixgen upgrade ./shop --verify       build, vet and test the result in a scratch copy first; write only if it passes

Per file: a file you have not touched since it was generated is replaced; a managed file
you edited is kept and listed (--force replaces it and keeps yours as FILE.orig); a
scaffolded file you edited gets the new version merged in, three ways, with its pristine
copy under .wixgen/base/ as the base; conflicts are left inline between
"<<<<<<< yours" and ">>>>>>> wixgen <version>" and listed; a file wixgen no longer makes
is deleted if untouched and kept if edited; a file you deleted stays deleted; new files
are created. .wixgen.json is written last. A failed or interrupted upgrade leaves the
tree as it was.

--set key=value changes an answer (keys and values as for 'wixgen new'; see
'wixgen options'). The module path cannot be changed by an upgrade. go.mod is
merged as a module, never with conflict markers.

Inside a git work tree, upgrade refuses to write files with uncommitted changes
(except those the previous upgrade left with conflicts) unless --allow-dirty, and
only one upgrade runs in a project at a time.

Exit status: 0 upgraded (or nothing to do); 1 conflicts were left to resolve, or
nothing was written because files still hold the markers of an earlier upgrade,
files it would write have uncommitted changes or another upgrade runs, or a step
such as go mod tidy failed; 2 usage errors; 130 interrupted.
With --dry-run: 0 nothing would change, 1 something would, 2 usage errors or trouble.`

const diffExamples = `Examples:
   wixgen diff                          what an upgrade would change here, as unified diffs
   wixgen diff ./shop --set router=stdlib
   wixgen diff ./shop --json            {"changes":[{"path","action","conflict"},...]} for CI

The same as 'wixgen upgrade --dry-run': the plan (create, update, merge, conflict,
replace, delete, keep) and a unified diff of every file that would change. Nothing is
written.

Exit status, as diff(1): 0 nothing would change; 1 something would (a scheduled job can
then run 'wixgen upgrade' and open a pull request); 2 usage errors or trouble;
130 interrupted.`

// upgradeFlags are the flags upgrade and diff share.
func upgradeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "set", Usage: "change an answer, as `KEY=VALUE` (repeatable), e.g. --set store=memory"},
		&cli.StringFlag{Name: generator.TemplatesKey, Usage: "render with the template overlay in `DIR` instead of the one .wixgen.json records (--templates= for none)"},
		&cli.BoolFlag{Name: "force", Usage: "replace managed files you edited, and your files where a new one goes, keeping yours as FILE.orig"},
		&cli.BoolFlag{Name: "json", Usage: "print one JSON result on stdout instead of text"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors (diff and --dry-run: print nothing; the exit status tells)"},
	}
}

func upgradeCommand(stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:               "upgrade",
		Usage:              "bring a generated project up to this wixgen, keeping your edits",
		ArgsUsage:          "[DIR]",
		Description:        "Renders the project in DIR (default: .) again with this wixgen and the answers in its\n.wixgen.json, and applies the difference to your tree.\n\n" + upgradeExamples,
		CustomHelpTemplate: cli.CommandHelpTemplate,
		Flags: append(upgradeFlags(),
			&cli.BoolFlag{Name: "dry-run", Usage: "show the plan and diffs, and write nothing (exit status 1 when something would change)"},
			&cli.BoolFlag{Name: "no-tidy", Usage: "do not run go mod tidy after upgrading"},
			&cli.BoolFlag{Name: "verify", Usage: "first build, vet and test the upgraded project in a scratch copy; if a step fails, write nothing and show its output"},
			&cli.BoolFlag{Name: "allow-dirty", Usage: "write files that have uncommitted changes in git (by default upgrade refuses, writing nothing)"},
		),
		Action: func(c *cli.Context) error {
			return runUpgrade(c, stderr, c.Bool("dry-run"))
		},
	}
}

func diffCommand(stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:               "diff",
		Usage:              "show what 'wixgen upgrade' would change, and write nothing",
		ArgsUsage:          "[DIR]",
		Description:        "Shows what upgrading the project in DIR (default: .) would change.\n\n" + diffExamples,
		CustomHelpTemplate: cli.CommandHelpTemplate,
		Flags:              upgradeFlags(),
		Action: func(c *cli.Context) error {
			return runUpgrade(c, stderr, true)
		},
	}
}

// upgradeResult is the --json output of upgrade and diff.
type upgradeResult struct {
	result
	From      string             `json:"from,omitempty"` // the generator version that made the project
	To        string             `json:"to,omitempty"`   // this generator's version
	Changed   bool               `json:"changed"`        // whether anything was (or would be) written
	Changes   []generator.Change `json:"changes"`
	Conflicts []string           `json:"conflicts,omitempty"`
	// Unresolved are files still holding an earlier upgrade's conflict
	// markers: upgrade refuses to run until they are resolved.
	Unresolved []string `json:"unresolved,omitempty"`
	// NewOptions are options added since the project was generated: the
	// project keeps rendering as it did, and Set says how to change that.
	NewOptions []newOption `json:"newOptions,omitempty"`
	// Dirty are the files the upgrade would write that have uncommitted
	// changes: it refuses to run (without --allow-dirty).
	Dirty []string `json:"dirty,omitempty"`
	// Templates is the template overlay the upgrade renders with, beside
	// the one the manifest records; nil when neither exists.
	Templates *overlayResult `json:"templates,omitempty"`
}

// overlayResult compares the overlay an upgrade renders with to the one
// the project was last rendered with.
type overlayResult struct {
	Path     string                   `json:"path,omitempty"` // "" when the upgrade renders without one
	SHA256   string                   `json:"sha256,omitempty"`
	Recorded *generator.OverlayRecord `json:"recorded,omitempty"` // what .wixgen.json records
	Changed  bool                     `json:"changed"`            // another overlay, other content, or none now
}

func overlayOutcome(recorded, now *generator.OverlayRecord) *overlayResult {
	if recorded == nil && now == nil {
		return nil
	}
	res := &overlayResult{Recorded: recorded}
	if now != nil {
		res.Path, res.SHA256 = now.Path, now.SHA256
	}
	res.Changed = recorded == nil || now == nil || *recorded != *now
	return res
}

// note says what changed in the overlay, or "".
func (o *overlayResult) note() string {
	switch {
	case o == nil || !o.Changed:
		return ""
	case o.Recorded == nil:
		return fmt.Sprintf("The template overlay %s is new to this project: its files and changes are part of this upgrade.", o.Path)
	case o.Path == "":
		return fmt.Sprintf("Rendering without the template overlay %s (--templates=): the files it added and nobody edited go, "+
			"and wixgen's own versions of the files it replaced or removed come back.", o.Recorded.Path)
	case o.Path != o.Recorded.Path:
		return fmt.Sprintf("Rendering with the template overlay %s instead of %s: its differences are part of this upgrade.", o.Path, o.Recorded.Path)
	}
	return fmt.Sprintf("The template overlay %s has changed since the project was last rendered (sha256 %.12s, now %.12s): its changes are part of this upgrade.",
		o.Path, o.Recorded.SHA256, o.SHA256)
}

// upgradeOverlay returns the overlay an upgrade renders with: the one
// --templates names (none for --templates=), else the one the manifest
// records, found from the project directory. A recorded overlay that is
// not there is a usage error saying what to do.
func upgradeOverlay(c *cli.Context, dir string, from *generator.Manifest) (*generator.Overlay, error) {
	if c.IsSet(generator.TemplatesKey) {
		return openOverlay(c.String(generator.TemplatesKey), dir)
	}
	if from.Templates == nil {
		return nil, nil
	}
	where := filepath.FromSlash(from.Templates.Path)
	if !filepath.IsAbs(where) {
		where = filepath.Join(dir, where)
	}
	if info, err := os.Stat(where); err != nil || !info.IsDir() {
		return nil, usagef("%s was rendered with the template overlay %s (recorded in %s), which is not there (%s): "+
			"pass --templates DIR where it is now, or --templates= to upgrade without it",
			displayDir(dir), from.Templates.Path, generator.ManifestFile, where)
	}
	return openOverlay(where, dir)
}

// newOption is an option the project's manifest does not record.
type newOption struct {
	generator.NewOption
	Set string `json:"set"` // the command that gives the project the new-project default, or turns a switch on
}

// conflictError is an upgrade that left conflict markers: it completed,
// and exits 1 so that a pipeline notices.
type conflictError struct{ paths []string }

func (e conflictError) Error() string {
	noun := "file has"
	if len(e.paths) != 1 {
		noun = "files have"
	}
	return fmt.Sprintf("upgrade done, but %d %s conflicts: %s\nresolve the <<<<<<< yours ... >>>>>>> wixgen markers in them, then run go mod tidy",
		len(e.paths), noun, strings.Join(e.paths, ", "))
}

// unresolvedError refuses an upgrade while files still hold the conflict
// markers of an earlier one: merging into them would nest markers.
type unresolvedError struct{ paths []string }

func (e unresolvedError) Error() string {
	return fmt.Sprintf("nothing was written: %s still %s the conflict markers of an earlier upgrade\n"+
		"resolve them (keep what you want between <<<<<<< yours and >>>>>>> wixgen, and delete the marker lines), then upgrade again",
		strings.Join(e.paths, ", "), map[bool]string{true: "holds", false: "hold"}[len(e.paths) == 1])
}

// errWouldChange is the exit status 1 of a dry run that found changes; it
// has been reported already.
var errWouldChange = reportedError{errors.New("the upgrade would change the project")}

// troubleError is a dry run that could not find out what would change:
// exit status 2, as diff(1).
type troubleError struct{ err error }

func (e troubleError) Error() string { return e.err.Error() }
func (e troubleError) Unwrap() error { return e.err }

func runUpgrade(c *cli.Context, stderr io.Writer, dryRun bool) error {
	res := upgradeResult{Changes: []generator.Change{}}
	res.DryRun = dryRun
	r := newReport(c, stderr, &res.result)
	err := doUpgrade(c, r, &res, dryRun)
	if dryRun && err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, errWouldChange) {
		var ue usageError
		if !errors.As(err, &ue) {
			err = troubleError{err}
		}
	}
	return r.finish(err, errors.Is(err, errWouldChange), &res)
}

func doUpgrade(c *cli.Context, r *report, res *upgradeResult, dryRun bool) error {
	if c.NArg() > 1 {
		return usagef("%s takes at most one directory, got %d arguments: %s", c.Command.Name, c.NArg(), strings.Join(c.Args().Slice(), " "))
	}
	dir := c.Args().First()
	if dir == "" {
		dir = "."
	}
	res.Dir = dir
	from, err := generator.ReadManifest(dir)
	if err != nil {
		return err
	}
	if !dryRun {
		unlock, err := lockProject(dir)
		if err != nil {
			return err
		}
		defer unlock()
		// Read it again, as the upgrade that held the lock may have left it.
		if from, err = generator.ReadManifest(dir); err != nil {
			return err
		}
	}
	a := from.Answers
	if err := applySets(&a, c.StringSlice("set")); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return recordedAnswerError(err, c.StringSlice("set"))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".wixgen-staging-*")); len(left) > 0 {
		// Every upgrade removes its staging directory, even when it fails:
		// one left behind was killed part-way (kill -9, a crash, a power
		// cut), and holds the files it had moved aside.
		fmt.Fprintf(r.progress, "warning: %s is left from an upgrade that was killed part-way; "+
			"the files it had replaced or deleted are under its old/ directory. "+
			"Check your files (git status), then delete it.\n", strings.Join(left, ", "))
	}
	res.Answers, res.From, res.To = &a, from.Version, buildVersion()
	res.NewOptions = newOptions(dir, a, from.NewOptions, c.StringSlice("set"))
	if semver.IsValid(from.Version) && semver.IsValid(res.To) && semver.Compare(from.Version, res.To) > 0 && !c.Bool("force") {
		return usagef("%s was made by wixgen %s, newer than this wixgen %s: upgrading would take it back; "+
			"install the newer wixgen (go install github.com/wixgen/wixgen@%s), or pass --force", dir, from.Version, res.To, from.Version)
	}
	overlay, err := upgradeOverlay(c, dir, from)
	if err != nil {
		return err
	}
	g, err := loadGenerator(overlay)
	if err != nil {
		return err
	}
	res.Templates = overlayOutcome(from.Templates, g.Overlay())
	if note := res.Templates.note(); note != "" {
		fmt.Fprintln(r.progress, note)
	}
	plan, err := g.PlanUpgrade(dir, from, a, generator.UpgradeOptions{Force: c.Bool("force")})
	if err != nil {
		var me *generator.ModuleChangeError
		if errors.As(err, &me) {
			return usageError{err}
		}
		if !dryRun {
			return fmt.Errorf("%w\nnothing was written", err)
		}
		return err
	}
	res.Changes = append(res.Changes, plan.Changes...)
	res.Conflicts = plan.Conflicts()
	res.Changed = plan.Changed()
	res.Unresolved = plan.Unresolved
	if len(plan.Unresolved) > 0 && !dryRun {
		return unresolvedError{plan.Unresolved}
	}
	defer func() {
		if len(plan.Unresolved) > 0 {
			fmt.Fprintf(r.progress, "warning: %s still %s the conflict markers of an earlier upgrade; upgrade refuses to run until they are resolved\n",
				strings.Join(plan.Unresolved, ", "), map[bool]string{true: "holds", false: "hold"}[len(plan.Unresolved) == 1])
		}
	}()

	if !plan.Changed() {
		fmt.Fprintf(r.progress, "%s is up to date with wixgen %s: nothing to change.\n", displayDir(dir), res.To)
		return nil
	}
	if !dryRun && !c.Bool("allow-dirty") {
		if err := checkClean(c.Context, plan, res); err != nil {
			return err
		}
	}
	if dryRun {
		if !r.json && !r.quiet {
			printPlan(r.out, plan, from.Version, res.To, true)
			printNewOptions(r.out, res.NewOptions)
		}
		return errWouldChange
	}
	if c.Bool("verify") {
		if len(res.Conflicts) > 0 {
			// Markers do not build: the conflicts are the result to review.
			r.skip("verify")
			fmt.Fprintf(r.progress, "Not verifying: the upgrade leaves conflicts to resolve, and a tree with conflict markers does not build.\n")
		} else if err := verifyUpgrade(c.Context, r, plan); err != nil {
			return err
		}
	}
	if err := generator.ApplyUpgrade(c.Context, plan); err != nil {
		if errors.Is(err, context.Canceled) {
			return err // message() says nothing was written
		}
		return fmt.Errorf("upgrade failed, and the project is as it was: %w", err)
	}
	printPlan(r.progress, plan, from.Version, res.To, false)
	printNewOptions(r.progress, res.NewOptions)
	if len(res.Conflicts) > 0 {
		r.skip("go mod tidy")
		return conflictError{res.Conflicts}
	}
	if c.Bool("no-tidy") {
		r.skip("go mod tidy")
		return nil
	}
	return r.step(c.Context, "go mod tidy", func(ctx context.Context) error { return tidy(ctx, dir) })
}

// applySets changes the answers by --set KEY=VALUE arguments.
func applySets(a *generator.Answers, sets []string) error {
	keys := strings.Join(generator.OptionKeys(), ", ")
	for _, s := range sets {
		key, val, ok := strings.Cut(s, "=")
		if !ok {
			return usagef("--set %q: want KEY=VALUE, such as --set store=memory; keys are %s", s, keys)
		}
		o, ok := generator.LookupOption(key)
		if !ok {
			return usagef("--set %s: unknown key %q; valid keys are %s", s, key, keys)
		}
		if key == "module" && val != a.Module {
			return usageError{&generator.ModuleChangeError{From: a.Module, To: val}}
		}
		if err := o.Set(a, val); err != nil {
			return err
		}
	}
	return nil
}

// recordedAnswerError says where an invalid answer came from when no
// --set gave it: the manifest, edited by hand or by another wixgen.
func recordedAnswerError(err error, sets []string) error {
	var oe *generator.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	for _, s := range sets {
		if key, _, _ := strings.Cut(s, "="); key == oe.Key {
			return err
		}
	}
	return fmt.Errorf("%s records an %w; correct it there or with --set %s=VALUE, or restore the file from version control",
		generator.ManifestFile, err, oe.Key)
}

// displayDir names the project directory in messages: as given, but "."
// (upgrade run inside the project) as its absolute path.
func displayDir(dir string) string {
	if dir == "." {
		if abs, err := filepath.Abs(dir); err == nil {
			return abs
		}
	}
	return dir
}

// actionLabel is how a change is listed: conflicted merges as "conflict".
func actionLabel(c generator.Change) string {
	if c.Conflict {
		return "conflict"
	}
	return string(c.Action)
}

// printPlan lists the changes, one a line, then a summary; a dry run adds
// a unified diff of each file that would change.
func printPlan(w io.Writer, plan *generator.UpgradePlan, from, to string, dryRun bool) {
	verb := "Upgraded"
	if dryRun {
		verb = "Upgrading would change"
	}
	fmt.Fprintf(w, "%s %s, from wixgen %s to %s:\n", verb, displayDir(plan.Dir), from, to)
	for _, c := range plan.Changes {
		note := ""
		switch {
		case c.Orig != "":
			note = " (yours kept as " + c.Orig + ")"
		case c.Reason != "":
			note = " (" + c.Reason + ")"
		}
		fmt.Fprintf(w, "  %-8s %s%s\n", actionLabel(c), c.Path, note)
	}
	counts := plan.Count()
	var parts []string
	for _, k := range []string{"create", "update", "merge", "conflict", "replace", "delete", "keep"} {
		if n := counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, map[string]string{
				"create": "created", "update": "updated", "merge": "merged", "conflict": "with conflicts",
				"replace": "replaced", "delete": "deleted", "keep": "kept as you have them",
			}[k]))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "only wixgen's own records (.wixgen.json, .wixgen/base/)")
	}
	fmt.Fprintf(w, "Files: %s.\n", strings.Join(parts, ", "))
	if !dryRun {
		return
	}
	for _, c := range plan.Changes {
		if c.Action == generator.ActionKeep {
			continue
		}
		if d := generator.UnifiedDiff(c.Path, c.Old, c.New); d != "" {
			fmt.Fprintf(w, "\n%s", d)
		}
	}
}

// newOptions lists the options added since the project was generated
// that no --set gives a value, with the command that sets each to its
// new-project default, or, for a switch off in new projects too (such as
// kubernetes), the command that turns it on.
func newOptions(dir string, a generator.Answers, added []generator.NewOption, sets []string) []newOption {
	given := make(map[string]bool)
	for _, s := range sets {
		key, _, _ := strings.Cut(s, "=")
		given[key] = true
	}
	var out []newOption
	for _, o := range added {
		if given[o.Key] {
			continue
		}
		args := []string{"wixgen", "upgrade"}
		if dir != "." {
			args = append(args, shellQuote(dir))
		}
		value := o.Default
		if value == o.Value && (value == "true" || value == "false") {
			value = strconv.FormatBool(value == "false")
		}
		args = append(args, "--set", shellQuote(o.Key+"="+value))
		// An option that needs another, off in this project, turns it on too.
		if opt, _ := generator.LookupOption(o.Key); value == "true" {
			if need, ok := generator.LookupOption(opt.Needs); ok && need.Get(&a) != "true" {
				args = append(args, "--set", need.Key+"=true")
			}
		}
		out = append(out, newOption{NewOption: o, Set: strings.Join(args, " ")})
	}
	return out
}

// printNewOptions names the options added since the project was
// generated, what the project keeps, the new-project default and the
// command that changes it.
func printNewOptions(w io.Writer, opts []newOption) {
	if len(opts) == 0 {
		return
	}
	fmt.Fprintf(w, "New options since this project was generated (it keeps rendering as it did):\n")
	for _, o := range opts {
		fmt.Fprintf(w, "  %s: %s\n    this project: %s; new projects: %s; to change it: %s\n", o.Key, o.Usage, o.Value, o.Default, o.Set)
	}
}

// checkClean refuses a plan that would write files with uncommitted
// changes, except those the previous upgrade left with conflicts: the
// user resolves them before running this one.
func checkClean(ctx context.Context, plan *generator.UpgradePlan, res *upgradeResult) error {
	dirty, err := dirtyFiles(ctx, plan.Dir, plan.Paths())
	if err != nil {
		return fmt.Errorf("%w\nnothing was written; --allow-dirty skips this check", err)
	}
	dirty = slices.DeleteFunc(dirty, func(p string) bool { return slices.Contains(plan.From.Conflicts, p) })
	if len(dirty) > 0 {
		res.Dirty = dirty
		return dirtyError{dirty}
	}
	return nil
}
