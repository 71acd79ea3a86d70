package generator

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sort"
	"strings"
)

// BaseDir holds, in a generated project, a pristine copy of the last
// render of every scaffolded file, at the file's own path below it
// (.wixgen/base/cmd/server/main.go). Upgrade merges against these copies,
// so the base of each three-way merge is exact without the network or the
// old wixgen. The manifest's SHA-256 of each file proves its copy
// unedited. The Go tool ignores directories whose names start with a dot,
// so the copies of Go files are never compiled.
const BaseDir = ".wixgen/base"

// basePath is where the pristine copy of the scaffolded file rel lives.
func basePath(rel string) string { return BaseDir + "/" + rel }

// BaseFiles returns the pristine copies of p's scaffolded files, under
// BaseDir. [Write] writes them with the project; they are not part of
// what Render returns, so golden trees hold only the project's own files.
func (p *Project) BaseFiles() []File {
	var out []File
	for _, f := range p.Files {
		if f.Class == Scaffolded {
			out = append(out, File{Path: basePath(f.Path), Data: f.Data})
		}
	}
	return out
}

// Action is what an upgrade does to one file.
type Action string

// The actions of an upgrade plan.
const (
	// ActionCreate writes a file the new render adds.
	ActionCreate Action = "create"
	// ActionUpdate replaces a file the user has not touched since it was
	// generated with its new render.
	ActionUpdate Action = "update"
	// ActionMerge merges the new render into a scaffolded file the user
	// edited; Conflict says whether conflict markers are left in it.
	ActionMerge Action = "merge"
	// ActionReplace replaces a file the user edited with its new render
	// (a managed file, with --force); the user's version is kept as Orig.
	ActionReplace Action = "replace"
	// ActionDelete deletes an untouched file the generator no longer makes.
	ActionDelete Action = "delete"
	// ActionKeep leaves a file as the user has it although the new render
	// differs; Reason says why.
	ActionKeep Action = "keep"
)

// Change is one file an upgrade changes, or keeps against a newer render.
type Change struct {
	Path     string `json:"path"`
	Action   Action `json:"action"`
	Conflict bool   `json:"conflict"`
	Class    Class  `json:"class,omitempty"`
	// Conflicts counts the conflict regions left with markers.
	Conflicts int `json:"conflicts,omitempty"`
	// Orig is where ActionReplace keeps the user's version.
	Orig string `json:"orig,omitempty"`
	// Reason explains a keep, a binary conflict or a merge without an
	// exact base.
	Reason string `json:"reason,omitempty"`

	Old []byte `json:"-"` // the file in the project now; nil when absent
	New []byte `json:"-"` // the file after the upgrade; nil when deleted
}

// UpgradeOptions tune an upgrade.
type UpgradeOptions struct {
	// Force replaces managed files the user edited (and files of the
	// user's that stand where the new render puts a file), keeping the
	// user's version beside them as FILE.orig.
	Force bool
}

// UpgradePlan is what an upgrade would do to a project: computed from
// the project on disk, written by [ApplyUpgrade].
type UpgradePlan struct {
	Dir     string
	From    *Manifest // the manifest the project has
	Project *Project  // the new render
	Changes []Change  // sorted by path
	// Unresolved lists the project's files that still hold the conflict
	// markers of an earlier upgrade, sorted. Merging into them again would
	// nest markers, and the project does not build until they are gone.
	Unresolved []string

	writes  []File   // changed files, .orig copies, base copies, manifest
	removes []string // deleted files and stale base copies
}

// Changed reports whether applying the plan would write anything: a file,
// a base copy or the manifest. A plan right after an upgrade is empty.
func (p *UpgradePlan) Changed() bool { return len(p.writes) > 0 || len(p.removes) > 0 }

// Paths returns the project paths applying the plan would write or
// delete, sorted: files, .orig copies, base copies and the manifest.
func (p *UpgradePlan) Paths() []string {
	var out []string
	for _, f := range p.writes {
		out = append(out, f.Path)
	}
	out = append(out, p.removes...)
	sort.Strings(out)
	return out
}

// Conflicts returns the paths of files left with conflicts.
func (p *UpgradePlan) Conflicts() []string {
	var out []string
	for _, c := range p.Changes {
		if c.Conflict {
			out = append(out, c.Path)
		}
	}
	return out
}

// Count returns how many changes have the action, merges split into clean
// ones (ActionMerge) and conflicted ones (counted under "conflict").
func (p *UpgradePlan) Count() map[string]int {
	n := make(map[string]int)
	for _, c := range p.Changes {
		if c.Conflict {
			n["conflict"]++
		} else {
			n[string(c.Action)]++
		}
	}
	return n
}

// ModuleChangeError refuses changing the module path in an upgrade: the
// user's own files import packages by it, and a merge cannot rewrite them.
type ModuleChangeError struct{ From, To string }

func (e *ModuleChangeError) Error() string {
	return fmt.Sprintf("upgrade cannot change the module path from %q to %q: your own files import the project's packages by it. "+
		"Rename it yourself (go mod edit -module %s, then rewrite the imports), set \"module\" in %s to match, and upgrade again",
		e.From, e.To, e.To, ManifestFile)
}

// PlanUpgrade renders the project in dir again with answers a and works
// out, file by file, how to bring the new render into the user's tree
// (see the Action constants). from is the project's manifest (from
// [ReadManifest]). It reads the project and writes nothing.
//
// Per file: a file the user has not touched since the last render (its
// SHA-256 is the manifest's) is replaced or deleted; a managed file the
// user edited is kept (replaced with opts.Force, now or in a later
// upgrade, the user's copy kept as FILE.orig); a scaffolded file the user edited is merged three ways with
// its pristine copy under BaseDir as the base; a file the user deleted
// stays deleted; an edited file the generator no longer makes is kept.
func (g *Generator) PlanUpgrade(dir string, from *Manifest, a Answers, opts UpgradeOptions) (*UpgradePlan, error) {
	if a.Module != from.Answers.Module {
		return nil, &ModuleChangeError{From: from.Answers.Module, To: a.Module}
	}
	p, err := g.Render(a)
	if err != nil {
		return nil, err
	}
	oldEntries := make(map[string]ManifestEntry)
	for _, e := range from.Files {
		if e.Path == ManifestFile || !fs.ValidPath(e.Path) || e.Path == "." || strings.HasPrefix(e.Path, BaseDir+"/") {
			return nil, fmt.Errorf("%s: file entry %q is not a file wixgen generates; restore the manifest from version control", ManifestFile, e.Path)
		}
		oldEntries[e.Path] = e
	}
	newFiles := make(map[string]File)
	var manifest File
	for _, f := range p.Files {
		if f.Path == ManifestFile {
			manifest = f
			continue
		}
		newFiles[f.Path] = f
	}
	var paths, bases []string
	for rel := range oldEntries {
		paths = append(paths, rel)
		bases = append(bases, basePath(rel))
	}
	for rel := range newFiles {
		if _, ok := oldEntries[rel]; !ok {
			paths = append(paths, rel)
			bases = append(bases, basePath(rel))
		}
	}
	sort.Strings(paths)
	sort.Strings(bases)
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer root.Close()
	current, others, err := readFiles(root, append(append(slices.Clip(paths), bases...), ManifestFile))
	if err != nil {
		return nil, err
	}

	plan := &UpgradePlan{Dir: dir, From: from, Project: p}
	for _, rel := range paths {
		if data, ok := current[rel]; ok && HasConflictMarkers(data) {
			plan.Unresolved = append(plan.Unresolved, rel)
		}
	}
	bs := &baseSource{g: g, from: from, current: current}
	taken := make(map[string]bool)
	// Scaffolded files the render drops but the user edited keep their
	// base copies: should a later render make them again (an option
	// turned off, then on), the merge has its exact base.
	keepBase := make(map[string]bool)
	for _, rel := range paths {
		c, ok := planFile(g, rel, oldEntries, newFiles, current, others[rel], bs, opts)
		if !ok {
			continue
		}
		if c.Action == ActionReplace {
			c.Orig = freeName(root, rel, ".orig", taken)
			taken[c.Orig] = true
			plan.writes = append(plan.writes, File{Path: c.Orig, Data: c.Old})
		}
		switch c.Action {
		case ActionCreate, ActionUpdate, ActionMerge, ActionReplace:
			if !bytes.Equal(c.New, c.Old) || c.Old == nil {
				plan.writes = append(plan.writes, File{Path: rel, Class: c.Class, Data: c.New})
			}
		case ActionDelete:
			plan.removes = append(plan.removes, rel)
		case ActionKeep:
			if _, inNew := newFiles[rel]; !inNew && c.Class == Scaffolded && current[rel] != nil {
				keepBase[rel] = true
			}
		}
		plan.Changes = append(plan.Changes, c)
	}

	// The base copies follow the new render: written where they differ,
	// removed where the file is no longer scaffolded.
	for _, f := range p.BaseFiles() {
		if old, ok := current[f.Path]; !ok || !sameText(old, f.Data) {
			plan.writes = append(plan.writes, f)
		}
	}
	for _, b := range bases {
		rel := strings.TrimPrefix(b, BaseDir+"/")
		if _, ok := current[b]; ok && newFiles[rel].Class != Scaffolded && !keepBase[rel] {
			plan.removes = append(plan.removes, b)
		}
	}
	// Base copies of files neither render knows (left by a file the user
	// kept and later deleted, or by an older wixgen) go too, unless the
	// user still has the file: then the copy is that file's base should a
	// later render make it again.
	stray, err := strayBaseCopies(root, oldEntries, newFiles)
	if err != nil {
		return nil, err
	}
	plan.removes = append(plan.removes, stray...)
	// The manifest records the files this upgrade leaves with conflicts;
	// an upgrade that writes nothing else keeps the earlier record.
	conflicts := from.Conflicts
	if plan.Changed() {
		conflicts = plan.Conflicts()
	}
	if len(conflicts) > 0 {
		if manifest.Data, err = g.manifest(a, p.Files, conflicts); err != nil {
			return nil, err
		}
	}
	if plan.Changed() || !sameText(current[ManifestFile], manifest.Data) {
		plan.writes = append(plan.writes, manifest)
	}
	return plan, nil
}

// planFile decides what happens to one path; ok is false when nothing
// does.
func planFile(g *Generator, rel string, oldEntries map[string]ManifestEntry, newFiles map[string]File,
	current map[string][]byte, other string, bs *baseSource, opts UpgradeOptions) (c Change, ok bool) {
	old, inOld := oldEntries[rel]
	nf, inNew := newFiles[rel]
	cur, onDisk := current[rel]
	c = Change{Path: rel, Class: nf.Class, Old: cur, New: nf.Data}
	if !inNew {
		c.Class = old.Class
	}
	keepMine := func(reason string) (Change, bool) {
		c.Action, c.New, c.Reason = ActionKeep, cur, reason
		return c, true
	}
	renderChanged := inOld && inNew && old.SHA256 != Hash(nf.Data)

	if other != "" {
		// A symbolic link, a directory or a special file stands where
		// the file was or goes: the user's, and not read through.
		if inOld && inNew && !renderChanged {
			return c, false
		}
		c.Action, c.New, c.Reason = ActionKeep, nil, other+", so wixgen leaves it alone"
		return c, true
	}

	switch {
	case inNew && !inOld:
		switch {
		case !onDisk:
			c.Action = ActionCreate
			return c, true
		case sameText(cur, nf.Data):
			return c, false
		case opts.Force:
			c.Action = ActionReplace
			return c, true
		case nf.Class == Managed:
			return keepMine("a file of yours, which wixgen does not track, is where the new version puts one; --force replaces it and keeps yours as " + rel + ".orig")
		}
		// A scaffolded file is the user's anyway: merge, from the base
		// copy kept when an earlier render dropped the file, else with
		// nothing in common to start from.
		base, kept := current[basePath(rel)]
		r := Merge3(base, cur, nf.Data, g.version)
		c.Action, c.New, c.Conflict, c.Conflicts = ActionMerge, r.Data, r.Conflicts > 0, r.Conflicts
		if !kept {
			c.Reason = "a file of yours, which wixgen did not track, was here, so this merged against an empty base: every difference is a conflict (--force replaces it instead, keeping yours as " + rel + ".orig)"
		}
		if kept && !c.Conflict && bytes.Equal(r.Data, cur) {
			return c, false
		}
		return c, true

	case inNew && inOld:
		switch {
		case !onDisk:
			if renderChanged {
				return keepMine("you deleted it, so it stays deleted")
			}
			return c, false
		case sameText(cur, nf.Data):
			return c, false
		case untouched(cur, old.SHA256):
			c.Action, c.New = ActionUpdate, withEOLOf(cur, nf.Data)
			return c, true
		case nf.Class == Managed && opts.Force:
			c.Action = ActionReplace
			return c, true
		case !renderChanged:
			// The user's edit stays, and the render brings nothing new
			// (a managed file kept before is replaced only with Force).
			return c, false
		case nf.Class == Managed:
			return keepMine("you edited this managed file; --force replaces it and keeps yours as " + rel + ".orig")
		}
		base, note := bs.base(rel, old)
		if rel == GoModFile {
			return mergeGoModChange(c, base, note)
		}
		r := Merge3(base, cur, nf.Data, g.version)
		c.Action, c.New, c.Reason = ActionMerge, r.Data, note
		c.Conflict, c.Conflicts = r.Conflicts > 0, r.Conflicts
		if r.Binary {
			c.Reason = "both you and the new version changed this binary file: yours is kept, and the new version is in " + basePath(rel)
		}
		if !c.Conflict && bytes.Equal(r.Data, cur) {
			return c, false
		}
		return c, true

	default: // in the old render only
		switch {
		case !onDisk:
			return c, false
		case untouched(cur, old.SHA256):
			c.Action, c.New = ActionDelete, nil
			return c, true
		}
		return keepMine("wixgen no longer generates it and you edited it, so it is yours now")
	}
}

// mergeGoModChange merges go.mod as a module file (see [mergeGoMod]):
// never a conflict. A go.mod that does not parse is kept as the user has
// it, with the reason.
func mergeGoModChange(c Change, base []byte, note string) (Change, bool) {
	data, err := mergeGoMod(base, toLF(c.Old), c.New)
	if err != nil {
		c.Action, c.New = ActionKeep, c.Old
		c.Reason = err.Error() + "; wixgen merges go.mod as a module, not as text: fix it, then upgrade again"
		return c, true
	}
	data = withEOLOf(c.Old, data)
	if bytes.Equal(data, c.Old) {
		return c, false
	}
	c.Action, c.New = ActionMerge, data
	if note != "" {
		c.Reason = "merged as a module without the old render (" + basePath(GoModFile) +
			" is missing or edited): requirements the new version no longer needs stay until go mod tidy drops the unused"
	}
	return c, true
}

// Line endings. Git for Windows checks text files out with CRLF endings
// (core.autocrlf), so a project's files, base copies and manifest may
// differ from what wixgen wrote by their line endings alone: that is no
// edit. A file that is CRLF throughout gets its update CRLF too.

// toLF returns data with its CRLF line endings turned into LF.
func toLF(data []byte) []byte {
	if !bytes.Contains(data, []byte("\r\n")) {
		return data
	}
	return bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
}

// sameText reports whether cur is want, or want with CRLF line endings.
func sameText(cur, want []byte) bool {
	return bytes.Equal(cur, want) || (!isBinary(cur) && bytes.Equal(toLF(cur), want))
}

// untouched reports whether cur is what was generated with SHA-256 sum,
// or that with CRLF line endings.
func untouched(cur []byte, sum string) bool {
	return Hash(cur) == sum || (!isBinary(cur) && bytes.Contains(cur, []byte("\r\n")) && Hash(toLF(cur)) == sum)
}

// withEOLOf returns data with CRLF line endings when cur has them on
// every line, else data unchanged.
func withEOLOf(cur, data []byte) []byte {
	n := bytes.Count(cur, []byte("\n"))
	if n == 0 || isBinary(cur) || isBinary(data) || bytes.Count(cur, []byte("\r\n")) != n {
		return data
	}
	return bytes.ReplaceAll(toLF(data), []byte("\n"), []byte("\r\n"))
}

// baseSource finds the exact base of a merge: the pristine copy under
// BaseDir when its hash is the manifest's, else the file as the current
// generator renders the recorded answers when that hash matches (the same
// templates made it), else nothing.
type baseSource struct {
	g       *Generator
	from    *Manifest
	current map[string][]byte
	old     *Project // rendered on first need
	oldErr  error
}

func (s *baseSource) base(rel string, e ManifestEntry) (data []byte, note string) {
	if b, ok := s.current[basePath(rel)]; ok && untouched(b, e.SHA256) {
		return toLF(b), ""
	}
	if s.old == nil && s.oldErr == nil {
		s.old, s.oldErr = s.g.Render(s.from.Answers)
	}
	if s.old != nil {
		for _, f := range s.old.Files {
			if f.Path == rel && Hash(f.Data) == e.SHA256 {
				return f.Data, ""
			}
		}
	}
	return nil, "the pristine copy " + basePath(rel) + " is missing or edited, so this merged against an empty base: every difference is a conflict"
}

// ApplyUpgrade carries out plan in its directory as one change: on any
// failure or cancellation of ctx the tree is left exactly as it was; the
// manifest is written last. Conflicted files are written with their
// markers, and the manifest records the new render, so that the next
// upgrade merges from it.
func ApplyUpgrade(ctx context.Context, plan *UpgradePlan) error {
	if !plan.Changed() {
		return nil
	}
	return apply(ctx, plan.Dir, plan.writes, plan.removes)
}

// strayBaseCopies returns the base copies (as project paths) of files
// that neither the old nor the new render has and that the project no
// longer holds as regular files.
func strayBaseCopies(root *os.Root, oldEntries map[string]ManifestEntry, newFiles map[string]File) ([]string, error) {
	copies, err := listBaseCopies(root)
	if err != nil {
		return nil, err
	}
	var stray []string
	for _, rel := range copies {
		if _, ok := oldEntries[rel]; ok {
			continue
		}
		if _, ok := newFiles[rel]; ok {
			continue
		}
		if link, _ := linkAmong(root, rel); link == "" {
			if info, err := root.Lstat(native(rel)); err == nil && info.Mode().IsRegular() {
				continue
			}
		}
		stray = append(stray, basePath(rel))
	}
	return stray, nil
}
