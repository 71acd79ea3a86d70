package generator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The matrix (matrix_test.go) reads each project's `go test -json` output
// with readTestEvents, and fails a combination in which a test skipped.

// testResults summarises the events of `go test -json`.
type testResults struct {
	output  string         // the text go test would have printed
	skipped []string       // "package TestName" of each skipped test
	passed  map[string]int // passed tests per package
}

// testEvent is one line of `go test -json` (see `go doc test2json`).
type testEvent struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func readTestEvents(data []byte) (testResults, error) {
	res := testResults{passed: make(map[string]int)}
	var text strings.Builder
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var ev testEvent
		if err := dec.Decode(&ev); err != nil {
			return res, fmt.Errorf("reading go test -json output: %w", err)
		}
		switch {
		case ev.Action == "output":
			text.WriteString(ev.Output)
		case ev.Action == "skip" && ev.Test != "": // a package without tests has no Test
			res.skipped = append(res.skipped, ev.Package+" "+ev.Test)
		case ev.Action == "pass" && ev.Test != "":
			res.passed[ev.Package]++
		}
	}
	res.output = text.String()
	return res, nil
}

func TestReadTestEvents(t *testing.T) {
	const events = `{"Action":"start","Package":"example.com/shop/internal/store"}
{"Action":"run","Package":"example.com/shop/internal/store","Test":"TestIsolation"}
{"Action":"output","Package":"example.com/shop/internal/store","Test":"TestIsolation","Output":"    storetest.go:60: storetest: TEST_DATABASE_URL is not set\n"}
{"Action":"skip","Package":"example.com/shop/internal/store","Test":"TestIsolation","Elapsed":0}
{"Action":"pass","Package":"example.com/shop/internal/store","Test":"TestValidation","Elapsed":0}
{"Action":"pass","Package":"example.com/shop/internal/store","Elapsed":0.1}
{"Action":"skip","Package":"example.com/shop/internal/store/storetest","Elapsed":0}
`
	res, err := readTestEvents([]byte(events))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"example.com/shop/internal/store TestIsolation"}; !slices.Equal(res.skipped, want) {
		t.Errorf("skipped = %q, want %q (a package without tests is not a skipped test)", res.skipped, want)
	}
	if got := res.passed["example.com/shop/internal/store"]; got != 1 {
		t.Errorf("passed tests in the store package = %d, want 1", got)
	}
	if !strings.Contains(res.output, "TEST_DATABASE_URL is not set") {
		t.Errorf("output = %q, want the test's output", res.output)
	}
	if _, err := readTestEvents([]byte("FAIL build failed\n")); err == nil {
		t.Error("readTestEvents accepted text that is not go test -json")
	}
}
