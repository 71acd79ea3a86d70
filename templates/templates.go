// Package templates holds wixgen's template tree: files.yaml, the table
// that says which file exists for which options, and project/, the
// templates themselves, mirroring the generated tree.
package templates

import (
	"embed"
	"io/fs"
)

//go:embed files.yaml all:project
var tree embed.FS

// FS returns the template tree.
func FS() fs.FS { return tree }
