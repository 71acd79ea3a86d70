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
	// output is what go test would have printed for the tests and
	// packages that failed or skipped, and nothing of those that passed,
	// so that a failure is not lost among hundreds of passing tests.
	output  string
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
	pending := make(map[[2]string]*strings.Builder) // output so far, by package and test
	dec := json.NewDecoder(bytes.NewReader(data))
	for dec.More() {
		var ev testEvent
		if err := dec.Decode(&ev); err != nil {
			return res, fmt.Errorf("reading go test -json output: %w", err)
		}
		key := [2]string{ev.Package, ev.Test}
		switch ev.Action {
		case "output", "build-output":
			b := pending[key]
			if b == nil {
				b = new(strings.Builder)
				pending[key] = b
			}
			b.WriteString(ev.Output)
			continue
		case "skip":
			if ev.Test != "" { // a package without tests has no Test
				res.skipped = append(res.skipped, ev.Package+" "+ev.Test)
			}
		case "fail", "build-fail":
		case "pass":
			if ev.Test != "" {
				res.passed[ev.Package]++
			}
			delete(pending, key)
			continue
		default:
			continue
		}
		if b := pending[key]; b != nil && (ev.Action != "skip" || ev.Test != "") {
			text.WriteString(b.String())
		}
		delete(pending, key)
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
{"Action":"run","Package":"example.com/shop/internal/api","Test":"TestMe"}
{"Action":"output","Package":"example.com/shop/internal/api","Test":"TestMe","Output":"=== RUN   TestMe\n"}
{"Action":"output","Package":"example.com/shop/internal/api","Test":"TestMe","Output":"--- PASS: TestMe (0.00s)\n"}
{"Action":"pass","Package":"example.com/shop/internal/api","Test":"TestMe","Elapsed":0}
{"Action":"run","Package":"example.com/shop/internal/api","Test":"TestCORS"}
{"Action":"output","Package":"example.com/shop/internal/api","Test":"TestCORS","Output":"    api_test.go:9: Vary missing\n"}
{"Action":"output","Package":"example.com/shop/internal/api","Test":"TestCORS","Output":"--- FAIL: TestCORS (0.00s)\n"}
{"Action":"fail","Package":"example.com/shop/internal/api","Test":"TestCORS","Elapsed":0}
{"Action":"output","Package":"example.com/shop/internal/api","Output":"FAIL\texample.com/shop/internal/api\t0.1s\n"}
{"Action":"fail","Package":"example.com/shop/internal/api","Elapsed":0.1}
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
	for _, want := range []string{"TEST_DATABASE_URL is not set", "api_test.go:9: Vary missing", "--- FAIL: TestCORS", "FAIL\texample.com/shop/internal/api"} {
		if !strings.Contains(res.output, want) {
			t.Errorf("output = %q, want it to hold %q", res.output, want)
		}
	}
	if strings.Contains(res.output, "TestMe") {
		t.Errorf("output = %q holds a passing test's output", res.output)
	}
	if _, err := readTestEvents([]byte("FAIL build failed\n")); err == nil {
		t.Error("readTestEvents accepted text that is not go test -json")
	}
}
