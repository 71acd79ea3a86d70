package generator

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/sprig/v3"
)

// TestFunctionListInREADME keeps the README's list of template functions
// for overlay authors true: exactly the functions templates have.
func TestFunctionListInREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "<!-- template functions")
	end := strings.Index(string(readme), "<!-- end of template functions -->")
	if start < 0 || end < start {
		t.Fatal("README.md has no template function list between its markers")
	}
	var listed []string
	for _, line := range strings.Split(string(readme[start:end]), "\n") {
		if !strings.HasPrefix(line, "- ") {
			continue
		}
		_, names, _ := strings.Cut(line, ": ")
		names, _, _ = strings.Cut(names, " (")
		for _, m := range regexp.MustCompile("`([A-Za-z0-9_]+)`").FindAllStringSubmatch(names, -1) {
			listed = append(listed, m[1])
		}
	}
	slices.Sort(listed)
	var have []string
	for name := range funcMap() {
		have = append(have, name)
	}
	slices.Sort(have)
	for _, name := range have {
		if _, found := slices.BinarySearch(listed, name); !found {
			t.Errorf("README.md does not list the template function %s", name)
		}
	}
	for i, name := range listed {
		if _, found := slices.BinarySearch(have, name); !found {
			t.Errorf("README.md lists %s, which templates do not have", name)
		}
		if i > 0 && listed[i-1] == name {
			t.Errorf("README.md lists %s twice", name)
		}
	}
}

// TestExcludedFunctionsExist keeps excludedFuncs true to sprig: a name
// sprig dropped or renamed would hide a function that should be
// excluded under its new name.
func TestExcludedFunctionsExist(t *testing.T) {
	all := sprig.TxtFuncMap()
	for _, name := range excludedFuncs {
		if _, ok := all[name]; !ok {
			t.Errorf("excludedFuncs names %s, which sprig does not have", name)
		}
	}
	for _, name := range []string{"now", "env", "getHostByName", "randInt", "uuidv4", "encryptAES", "osBase", "toDate"} {
		if _, ok := funcMap()[name]; ok {
			t.Errorf("templates can call %s", name)
		}
	}
}
