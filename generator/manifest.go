package generator

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ManifestFile is the manifest's path in a generated project.
const ManifestFile = ".wixgen.json"

// Manifest records how a project was generated: by which generator
// version, from which answers, and every generated file's ownership class
// and the SHA-256 of what was generated, so an upgrade can tell the user's
// edits from the generator's output.
type Manifest struct {
	Generator string  `json:"generator"`
	Version   string  `json:"version"`
	Answers   Answers `json:"answers"`
	// Templates records the template overlay the project is rendered
	// with; nil without one.
	Templates *OverlayRecord `json:"templates,omitempty"`
	// Conflicts lists the files the upgrade that wrote the manifest left
	// with conflicts: the user resolves them before the next upgrade, so
	// the next one may write them although they are not committed.
	Conflicts []string        `json:"conflicts,omitempty"`
	Files     []ManifestEntry `json:"files"`

	// NewOptions are the options added since the project was generated,
	// which its manifest does not record: Answers holds the value that
	// renders the project as before. Not part of the file.
	NewOptions []NewOption `json:"-"`
}

// NewOption is an option a project's manifest does not record, because
// it was added after the project was generated.
type NewOption struct {
	Key     string `json:"key"`
	Usage   string `json:"usage"`
	Value   string `json:"value"`   // what the project gets: the value that renders it as before
	Default string `json:"default"` // what a new project gets
}

// ManifestEntry is one generated file.
type ManifestEntry struct {
	Path   string `json:"path"`
	Class  Class  `json:"class"`
	SHA256 string `json:"sha256"`
}

// manifest encodes the manifest of a project rendered from answers a as
// files (the manifest not among them); conflicts are the files an
// upgrade leaves with conflicts.
func (g *Generator) manifest(a Answers, files []File, conflicts []string) ([]byte, error) {
	m := Manifest{Generator: "wixgen", Version: g.version, Answers: a, Templates: g.overlay, Conflicts: conflicts}
	for _, f := range files {
		if f.Path != ManifestFile {
			m.Files = append(m.Files, ManifestEntry{Path: f.Path, Class: f.Class, SHA256: Hash(f.Data)})
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return buf.Bytes(), nil
}

// ParseManifest decodes a project's manifest strictly. An option added
// later that the manifest does not record gets the value that renders the
// project as before (see [Option.AddedLater]) and is listed in
// NewOptions; any other missing answer is an error.
func ParseManifest(data []byte) (*Manifest, error) { return parseManifest(data, options) }

// parseManifest is ParseManifest with the option table given.
func parseManifest(data []byte, table []Option) (*Manifest, error) {
	var raw struct {
		Manifest
		Answers json.RawMessage `json:"answers"` // decoded by decodeAnswers
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&raw)
	m := raw.Manifest
	if err == nil {
		m.Answers, m.NewOptions, err = decodeAnswers(raw.Answers, table)
	}
	if err != nil {
		// A field this wixgen does not know is most likely one a newer
		// wixgen records: say which wrote the manifest.
		var lenient struct{ Generator, Version string }
		if strings.Contains(err.Error(), "unknown field") && json.Unmarshal(data, &lenient) == nil && lenient.Version != "" {
			return nil, &NewerManifestError{Version: lenient.Version, Err: err}
		}
		return nil, fmt.Errorf("parse %s: %w", ManifestFile, err)
	}
	if m.Generator != "wixgen" {
		return nil, fmt.Errorf("parse %s: generator is %q, not wixgen", ManifestFile, m.Generator)
	}
	return &m, nil
}

// decodeAnswers decodes a manifest's answers by the option table, telling
// a recorded answer from a missing one: the zero value of a field is no
// answer.
func decodeAnswers(data json.RawMessage, table []Option) (Answers, []NewOption, error) {
	var a Answers
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil || raw == nil {
		return a, nil, fmt.Errorf("answers: want an object of option keys")
	}
	var added []NewOption
	known := make(map[string]bool)
	for _, o := range table {
		known[o.Key] = true
		v, ok := raw[o.Key]
		if !ok {
			if !o.AddedLater {
				return a, nil, fmt.Errorf("answers: no value for %q", o.Key)
			}
			o.set(&a, o.Before)
			added = append(added, NewOption{Key: o.Key, Usage: o.Usage, Value: o.Before, Default: o.Default})
			continue
		}
		var text string
		if o.Kind == KindBool {
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				return a, nil, fmt.Errorf("answers: %s: want true or false, got %s", o.Key, v)
			}
			text = strconv.FormatBool(b)
		} else if err := json.Unmarshal(v, &text); err != nil {
			return a, nil, fmt.Errorf("answers: %s: want a string, got %s", o.Key, v)
		}
		o.set(&a, text)
	}
	var unknown []string
	for k := range raw {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return a, nil, fmt.Errorf("answers: unknown field %q", unknown[0])
	}
	return a, added, nil
}

// NewerManifestError is a manifest with fields this wixgen does not know,
// as a newer wixgen writes them.
type NewerManifestError struct {
	Version string // the wixgen that wrote it
	Err     error
}

func (e *NewerManifestError) Error() string {
	return fmt.Sprintf("parse %s: %v: it was written by wixgen %s, which records more than this wixgen knows; "+
		"upgrade with that wixgen or a newer one (go install github.com/wixgen/wixgen@latest)", ManifestFile, e.Err, e.Version)
}

func (e *NewerManifestError) Unwrap() error { return e.Err }

// Hash is the hex SHA-256 of data, as manifests record it.
func Hash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TargetError says why a directory is not one the command can work on (a
// directory that is not a project, or one that cannot receive a new one).
// The CLI reports it as a usage error: the user chose the directory.
type TargetError struct {
	Dir    string
	Reason string
}

func (e *TargetError) Error() string { return fmt.Sprintf("%s: %s", e.Dir, e.Reason) }

// ReadManifest reads and parses the manifest of the project in dir. A
// directory without one is a *TargetError: upgrade and diff work only on
// projects wixgen made.
func ReadManifest(dir string) (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		if _, statErr := os.Stat(dir); statErr != nil {
			return nil, &TargetError{Dir: dir, Reason: "no such directory; give the directory of a project made by wixgen new"}
		}
		if root := projectAbove(dir); root != "" {
			return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("holds no %s: it is inside the project %s; give that directory, or run wixgen from there", ManifestFile, root)}
		}
		return nil, &TargetError{Dir: dir, Reason: fmt.Sprintf("holds no %s, so it is not a project made by wixgen new (or the manifest was deleted; restore it from version control)", ManifestFile)}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestFile, err)
	}
	m, err := ParseManifest(data)
	var newer *NewerManifestError
	if errors.As(err, &newer) {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w (restore it from version control: upgrade relies on what it records)", dir, err)
	}
	return m, nil
}

// projectAbove returns the nearest directory above dir that holds a
// manifest, or "".
func projectAbove(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for d := filepath.Dir(abs); d != abs; abs, d = d, filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ManifestFile)); err == nil {
			return d
		}
	}
	return ""
}
