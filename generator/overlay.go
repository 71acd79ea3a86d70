package generator

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// Overlay is a team's own template tree, laid over wixgen's: it mirrors
// the template tree, so project/README.md.tmpl replaces wixgen's README
// template, and its optional files.yaml holds rows of its own. A row for
// a template of the overlay adds a file; a row {path: P, remove: true}
// removes the file wixgen writes to P. A template that replaces one of
// wixgen's needs no row: it keeps wixgen's. The same checks as wixgen's
// own tree run at load, and errors name the overlay's file.
type Overlay struct {
	FS fs.FS
	// Dir is where the overlay is, as messages name it (the path the
	// user gave).
	Dir string
	// Path is where the overlay is as the manifest records it: relative
	// to the project where it can be, so that a project and its overlay
	// moved together (in one repository) still find each other.
	Path string
}

// OverlayRecord is a manifest's record of the overlay a project was
// rendered with.
type OverlayRecord struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"` // see [OverlayHash]
}

// file names an overlay file in messages.
func (o *Overlay) file(name string) string {
	return strings.TrimSuffix(o.Dir, "/") + "/" + name
}

// OverlayHash is the SHA-256 that identifies an overlay's content: its
// files table and every file under ProjectDir, by path and content.
// Other files of the overlay directory (its README, its .git) do not
// count.
func OverlayHash(fsys fs.FS) (string, error) {
	h := sha256.New()
	add := func(p string) error {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%s\n", p, Hash(data))
		return nil
	}
	if err := add(TableFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("hash overlay: %w", err)
	}
	err := fs.WalkDir(fsys, ProjectDir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == ProjectDir {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() {
			return err
		}
		return add(p) // WalkDir goes in lexical order: the hash is stable
	})
	if err != nil {
		return "", fmt.Errorf("hash overlay: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// layOverlay lays the overlay o over wixgen's rules (whose templates are
// baseTemplates) and returns the rules of the combined tree and the set
// of templates the overlay provides (its own and those it replaces).
func layOverlay(rules []fileRule, baseTemplates []string, o *Overlay) ([]fileRule, map[string]bool, error) {
	templates, err := listTemplates(o.FS)
	if errors.Is(err, fs.ErrNotExist) {
		templates, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("overlay %s: %w", o.Dir, err)
	}
	rows, err := readTable(o.FS)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if len(templates) == 0 {
			return nil, nil, fmt.Errorf("overlay %s holds neither %s nor templates under %s/; "+
				"an overlay mirrors wixgen's templates/ directory", o.Dir, TableFile, ProjectDir)
		}
	case err != nil:
		return nil, nil, fmt.Errorf("%s: %w", o.file(TableFile), err)
	}

	provided := make(map[string]bool, len(templates))
	for _, t := range templates {
		provided[t] = true
	}
	removed := make(map[string]bool)
	basePaths := make(map[string]string) // output path → a template of wixgen's
	for _, r := range rules {
		basePaths[r.Path] = r.Template
	}
	var added []fileRule
	seen := make(map[string]bool)
	for i, r := range rows {
		where := fmt.Sprintf("%s: row %d", o.file(TableFile), i+1)
		if r.Remove {
			if r.Template != "" || r.Class != "" || len(r.When) > 0 {
				return nil, nil, fmt.Errorf("%s: a remove row has only a path: {path: %s, remove: true}", where, r.Path)
			}
			if _, ok := basePaths[r.Path]; !ok {
				return nil, nil, fmt.Errorf("%s: remove %q: wixgen writes no file there; paths it writes: %s",
					where, r.Path, strings.Join(slices.Sorted(maps.Keys(basePaths)), ", "))
			}
			removed[r.Path] = true
			continue
		}
		if _, found := slices.BinarySearch(baseTemplates, r.Template); found {
			return nil, nil, fmt.Errorf("%s (%s): wixgen's %s already has a row: to replace the template, put yours at %s/%s "+
				"with no row; to change where it goes or when, remove its path and add a row for a template of your own",
				where, r.Template, TableFile, ProjectDir, r.Template)
		}
		if _, found := slices.BinarySearch(templates, r.Template); !found {
			return nil, nil, fmt.Errorf("%s (%s): no such template under %s; its templates are: %s",
				where, r.Template, o.file(ProjectDir), strings.Join(templates, ", "))
		}
		if err := checkRule(&r, seen, templates); err != nil {
			return nil, nil, fmt.Errorf("%s (%s): %w", where, r.Template, err)
		}
		added = append(added, r)
	}
	var missing []string
	for _, t := range templates {
		_, isBase := slices.BinarySearch(baseTemplates, t)
		if !isBase && !seen[t] {
			missing = append(missing, o.file(path.Join(ProjectDir, t)))
		}
	}
	if len(missing) > 0 {
		return nil, nil, fmt.Errorf("%s: templates without a row: %s", o.file(TableFile), strings.Join(missing, ", "))
	}

	var out []fileRule
	for _, r := range rules {
		if !removed[r.Path] {
			out = append(out, r)
			continue
		}
		if provided[r.Template] {
			return nil, nil, fmt.Errorf("%s replaces the template of %s, which %s removes",
				o.file(path.Join(ProjectDir, r.Template)), r.Path, o.file(TableFile))
		}
	}
	for _, r := range added {
		if t, taken := basePaths[r.Path]; taken && !removed[r.Path] {
			return nil, nil, fmt.Errorf("%s (%s): wixgen's %s writes %s: remove it first with {path: %s, remove: true}",
				o.file(TableFile), r.Template, t, r.Path, r.Path)
		}
		out = append(out, r)
	}
	return out, provided, nil
}
