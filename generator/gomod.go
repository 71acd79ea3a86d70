package generator

import (
	"bytes"
	"fmt"
	"go/version"
	"slices"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// GoModFile is the one scaffolded file upgrade merges as what it means
// rather than as lines of text: see [mergeGoMod].
const GoModFile = "go.mod"

// mergeGoMod brings the new render's go.mod (theirs) into the user's
// (mine), with the old render (base, nil when unknown) telling what the
// render changed. The result is the user's file, comments and layout
// kept, with:
//   - every require, replace, exclude, retract, tool and godebug line the
//     user has, kept;
//   - each module the render requires at the higher of the two versions,
//     added when the user does not require it;
//   - a requirement the render dropped (for example after --set
//     router=...) dropped when the user left it at the old render's
//     version; go mod tidy adds it back if the user's code imports it;
//   - replace, exclude, tool and godebug lines the render adds, added, and
//     those it drops, dropped unless the user changed them;
//   - the higher go and toolchain lines.
//
// It never leaves conflict markers: a go.mod with them does not load.
// It fails only when a file does not parse.
func mergeGoMod(base, mine, theirs []byte) ([]byte, error) {
	f, err := modfile.Parse(GoModFile, mine, nil)
	if err != nil {
		return nil, fmt.Errorf("your go.mod does not parse: %w", err)
	}
	t, err := modfile.Parse(GoModFile, theirs, nil)
	if err != nil {
		return nil, fmt.Errorf("the new go.mod does not parse: %w", err)
	}
	b := new(modfile.File)
	if base != nil {
		if b, err = modfile.Parse(GoModFile, base, nil); err != nil {
			b = new(modfile.File) // an unreadable base is no base
		}
	}

	if t.Go != nil && (f.Go == nil || version.Compare("go"+t.Go.Version, "go"+f.Go.Version) > 0) {
		if err := f.AddGoStmt(t.Go.Version); err != nil {
			return nil, err
		}
	}
	if t.Toolchain != nil && (f.Toolchain == nil || version.Compare(t.Toolchain.Name, f.Toolchain.Name) > 0) {
		if err := f.AddToolchainStmt(t.Toolchain.Name); err != nil {
			return nil, err
		}
	}

	// The requirements, as one list given to SetRequireSeparateIndirect,
	// which keeps each line's comments and puts a new direct requirement
	// among the direct ones.
	mineReq, theirReq, baseReq := requires(f), requires(t), requires(b)
	var reqs []*modfile.Require
	for _, r := range f.Require {
		v := r.Mod.Version
		if tv, ok := theirReq[r.Mod.Path]; ok && semver.Compare(tv, v) > 0 {
			v = tv
		}
		if _, kept := theirReq[r.Mod.Path]; !kept && baseReq[r.Mod.Path] == v {
			continue // the render dropped it, and the user left it as it was
		}
		reqs = append(reqs, &modfile.Require{Mod: module.Version{Path: r.Mod.Path, Version: v}, Indirect: r.Indirect})
	}
	for _, r := range t.Require {
		if _, ok := mineReq[r.Mod.Path]; !ok {
			reqs = append(reqs, &modfile.Require{Mod: r.Mod, Indirect: r.Indirect})
		}
	}
	f.SetRequireSeparateIndirect(reqs)

	err = mergeLines(b.Replace, f.Replace, t.Replace,
		func(r *modfile.Replace) string { return r.Old.String() },
		func(r *modfile.Replace) string { return r.Old.String() + " => " + r.New.String() },
		func(r *modfile.Replace) error {
			return f.AddReplace(r.Old.Path, r.Old.Version, r.New.Path, r.New.Version)
		},
		func(r *modfile.Replace) error { return f.DropReplace(r.Old.Path, r.Old.Version) })
	if err == nil {
		exclude := func(e *modfile.Exclude) string { return e.Mod.String() }
		err = mergeLines(b.Exclude, f.Exclude, t.Exclude, exclude, exclude,
			func(e *modfile.Exclude) error { return f.AddExclude(e.Mod.Path, e.Mod.Version) },
			func(e *modfile.Exclude) error { return f.DropExclude(e.Mod.Path, e.Mod.Version) })
	}
	if err == nil {
		tool := func(e *modfile.Tool) string { return e.Path }
		err = mergeLines(b.Tool, f.Tool, t.Tool, tool, tool,
			func(e *modfile.Tool) error { return f.AddTool(e.Path) },
			func(e *modfile.Tool) error { return f.DropTool(e.Path) })
	}
	if err == nil {
		err = mergeLines(b.Godebug, f.Godebug, t.Godebug,
			func(e *modfile.Godebug) string { return e.Key },
			func(e *modfile.Godebug) string { return e.Key + "=" + e.Value },
			func(e *modfile.Godebug) error { return f.AddGodebug(e.Key, e.Value) },
			func(e *modfile.Godebug) error { return f.DropGodebug(e.Key) })
	}
	if err != nil {
		return nil, err
	}
	f.Cleanup()
	out, err := f.Format()
	if err != nil {
		return nil, err
	}
	if bytes.Equal(out, mine) {
		return mine, nil
	}
	return out, nil
}

// requires maps each module f requires to its version.
func requires(f *modfile.File) map[string]string {
	m := make(map[string]string, len(f.Require))
	for _, r := range f.Require {
		m[r.Mod.Path] = r.Mod.Version
	}
	return m
}

// mergeLines merges one kind of go.mod line. id names what a line is
// about (the module a replace replaces, a godebug key), full the whole
// line. A line the render dropped or changed (in base, not in theirs) is
// dropped where the user still has it as it was; then a line the render
// added or changed (in theirs, not in base) is added unless the user has
// a line about the same thing: theirs, kept.
func mergeLines[T any](base, mine, theirs []T, id, full func(T) string, add, drop func(T) error) error {
	inTheirs, inBase := make(map[string]bool), make(map[string]bool)
	for _, x := range theirs {
		inTheirs[full(x)] = true
	}
	for _, x := range base {
		inBase[full(x)] = true
	}
	mineIDs := make(map[string]bool)
	for _, y := range slices.Clone(mine) { // drop edits the file's own slice

		if inBase[full(y)] && !inTheirs[full(y)] {
			if err := drop(y); err != nil {
				return err
			}
			continue
		}
		mineIDs[id(y)] = true
	}
	for _, x := range theirs {
		if !inBase[full(x)] && !mineIDs[id(x)] {
			if err := add(x); err != nil {
				return err
			}
		}
	}
	return nil
}
