package generator

import (
	"bytes"
	"strings"
	"testing"
)

// lines joins its arguments as LF-terminated lines.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestMerge3(t *testing.T) {
	base := lines("package a", "", "func A() {}", "", "func B() {}", "", "func C() {}")
	tests := []struct {
		name          string
		base          string
		ours, theirs  string
		want          string
		wantConflicts int
	}{
		{
			name:   "ours unchanged takes theirs",
			base:   base,
			ours:   base,
			theirs: lines("package a", "", "func A() { return }", "", "func B() {}", "", "func C() {}"),
			want:   lines("package a", "", "func A() { return }", "", "func B() {}", "", "func C() {}"),
		},
		{
			name:   "edits apart merge",
			base:   base,
			ours:   lines("package a", "", "func A() {}", "", "func B() {}", "", "func C() {}", "", "func Mine() {}"),
			theirs: lines("// Package a does things.", "package a", "", "func A() {}", "", "func B() {}", "", "func C() {}"),
			want:   lines("// Package a does things.", "package a", "", "func A() {}", "", "func B() {}", "", "func C() {}", "", "func Mine() {}"),
		},
		{
			name:   "insertions at the same place conflict",
			base:   base,
			ours:   base + lines("", "func Mine() {}"),
			theirs: base + lines("", "func Theirs() {}"),
			// The shared blank line stays outside the markers.
			want:          base + lines("", "<<<<<<< yours", "func Mine() {}", "=======", "func Theirs() {}", ">>>>>>> wixgen v2"),
			wantConflicts: 1,
		},
		{
			name:   "the same insertion on both sides merges once",
			base:   base,
			ours:   base + lines("", "func D() {}"),
			theirs: base + lines("", "func D() {}"),
			want:   base + lines("", "func D() {}"),
		},
		{
			name:   "the same change on both sides among other changes",
			base:   base,
			ours:   lines("package a", "", "func A() { x }", "", "func B() {}", "", "func C() {}", "// mine"),
			theirs: lines("// doc", "package a", "", "func A() { x }", "", "func B() {}", "", "func C() {}"),
			want:   lines("// doc", "package a", "", "func A() { x }", "", "func B() {}", "", "func C() {}", "// mine"),
		},
		{
			name:   "deletions on both sides apart",
			base:   base,
			ours:   lines("package a", "", "func B() {}", "", "func C() {}"),
			theirs: lines("package a", "", "func A() {}", "", "func B() {}"),
			want:   lines("package a", "", "func B() {}"),
		},
		{
			name:          "deletion against an edit of the same line conflicts",
			base:          base,
			ours:          lines("package a", "", "", "func B() {}", "", "func C() {}"),
			theirs:        lines("package a", "", "func A() { x }", "", "func B() {}", "", "func C() {}"),
			want:          lines("package a", "", "<<<<<<< yours", "=======", "func A() { x }", ">>>>>>> wixgen v2", "", "func B() {}", "", "func C() {}"),
			wantConflicts: 1,
		},
		{
			name:   "a block moved by ours, a line edited by theirs",
			base:   lines("a1", "a2", "a3", "", "b1", "b2", "", "c1", "c2", "", "d1"),
			ours:   lines("b1", "b2", "", "c1", "c2", "", "d1", "a1", "a2", "a3", ""),
			theirs: lines("a1", "a2", "a3", "", "b1", "b2", "", "c1", "C2", "", "d1"),
			want:   lines("b1", "b2", "", "c1", "C2", "", "d1", "a1", "a2", "a3", ""),
		},
		{
			name:   "edits separated by one unchanged line merge",
			base:   lines("1", "2", "3", "4", "5"),
			ours:   lines("1", "two", "3", "4", "5"),
			theirs: lines("1", "2", "3", "four", "5"),
			want:   lines("1", "two", "3", "four", "5"),
		},
		{
			name:          "edits of adjacent lines conflict",
			base:          lines("1", "2", "3", "4"),
			ours:          lines("1", "two", "3", "4"),
			theirs:        lines("1", "2", "three", "4"),
			want:          lines("1", "<<<<<<< yours", "two", "3", "=======", "2", "three", ">>>>>>> wixgen v2", "4"),
			wantConflicts: 1,
		},
		{
			name:   "CRLF ours keeps CRLF, theirs' lines converted",
			base:   lines("a", "b", "c", "d", "e"),
			ours:   "a\r\nB\r\nc\r\nd\r\ne\r\n",
			theirs: lines("a", "b", "c", "d", "E", "f"),
			want:   "a\r\nB\r\nc\r\nd\r\nE\r\nf\r\n",
		},
		{
			name:          "CRLF conflict markers in CRLF",
			base:          lines("a", "b"),
			ours:          "a\r\nmine\r\n",
			theirs:        lines("a", "theirs"),
			want:          "a\r\n<<<<<<< yours\r\nmine\r\n=======\r\ntheirs\r\n>>>>>>> wixgen v2\r\n",
			wantConflicts: 1,
		},
		{
			name:   "CRLF base and theirs, LF ours",
			base:   "a\r\nb\r\nc\r\n",
			ours:   lines("a", "b", "c", "mine"),
			theirs: "new\r\na\r\nb\r\nc\r\n",
			want:   lines("new", "a", "b", "c", "mine"),
		},
		{
			name:   "no newline at end: ours adds a line, theirs edits the top",
			base:   "a\nb\nc",
			ours:   "a\nb\nc\nd",
			theirs: "A\nb\nc",
			want:   "A\nb\nc\nd",
		},
		{
			name:   "theirs drops the final newline, ours edits the top",
			base:   "a\nb\nc\n",
			ours:   "x\nb\nc\n",
			theirs: "a\nb\nc",
			want:   "x\nb\nc",
		},
		{
			name:          "both change the last line without newline",
			base:          "a\nb",
			ours:          "a\nmine",
			theirs:        "a\ntheirs",
			want:          "a\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> wixgen v2\n",
			wantConflicts: 1,
		},
		{
			name:   "empty base, identical sides",
			base:   "",
			ours:   "x\n",
			theirs: "x\n",
			want:   "x\n",
		},
		{
			name:          "empty base, different sides",
			base:          "",
			ours:          "mine\n",
			theirs:        "theirs\n",
			want:          lines("<<<<<<< yours", "mine", "=======", "theirs", ">>>>>>> wixgen v2"),
			wantConflicts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Merge3([]byte(tt.base), []byte(tt.ours), []byte(tt.theirs), "v2")
			if string(got.Data) != tt.want || got.Conflicts != tt.wantConflicts {
				t.Errorf("merge: %d conflicts, want %d\ngot:\n%q\nwant:\n%q", got.Conflicts, tt.wantConflicts, got.Data, tt.want)
			}
		})
	}
}

func TestHasConflictMarkers(t *testing.T) {
	r := Merge3([]byte(lines("a", "b", "c")), []byte(lines("a", "ours", "c")), []byte(lines("a", "theirs", "c")), "v2")
	if r.Conflicts != 1 || !HasConflictMarkers(r.Data) {
		t.Fatalf("a conflicted merge:\n%s\nnot detected", r.Data)
	}
	crlf := bytes.ReplaceAll(r.Data, []byte("\n"), []byte("\r\n"))
	if !HasConflictMarkers(crlf) {
		t.Error("CRLF markers not detected")
	}
	for _, s := range []string{
		lines("a", "b"),
		lines("<<<<<<< yours", "x", ">>>>>>> wixgen v2"),           // no separator
		lines("=======", "<<<<<<< yours", ">>>>>>> wixgen"),        // out of order
		lines("<<<<<<< HEAD", "x", "=======", "y", ">>>>>>> main"), // git's, not ours
		"// <<<<<<< yours\n// =======\n// >>>>>>> wixgen\n",        // quoted, not at the start
	} {
		if HasConflictMarkers([]byte(s)) {
			t.Errorf("markers detected in %q", s)
		}
	}
}

func TestMerge3Binary(t *testing.T) {
	base := []byte("\x00\x01base")
	ours := []byte("\x00\x01ours")
	theirs := []byte("\x00\x01theirs")
	if got := Merge3(base, ours, theirs, "v2"); !got.Binary || got.Conflicts != 1 || !bytes.Equal(got.Data, ours) {
		t.Errorf("binary both changed: %+v, want ours kept as a binary conflict", got)
	}
	if got := Merge3(base, base, theirs, "v2"); got.Conflicts != 0 || !bytes.Equal(got.Data, theirs) {
		t.Errorf("binary theirs changed: %+v, want theirs", got)
	}
	if got := Merge3(base, ours, base, "v2"); got.Conflicts != 0 || !bytes.Equal(got.Data, ours) {
		t.Errorf("binary ours changed: %+v, want ours", got)
	}
}

// FuzzMerge3 checks the merge's laws on any input: a side equal to the
// base yields the other side; identical sides yield that side; a merge
// without conflicts keeps every line ours added that theirs did not touch
// (checked through the diff of ours against the result); nothing panics.
func FuzzMerge3(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nB\nc\n", "a\nb\nC\n")
	f.Add("a\r\nb\r\n", "a\r\nx\r\nb\r\n", "a\nb\ny")
	f.Add("", "x", "y")
	f.Add("a\nb", "b\na", "a\nb\n")
	f.Fuzz(func(t *testing.T, base, x, y string) {
		if got := Merge3([]byte(base), []byte(base), []byte(x), "v"); string(got.Data) != x || got.Conflicts != 0 {
			t.Fatalf("merge(base, base, x) = %q, want x = %q", got.Data, x)
		}
		if got := Merge3([]byte(base), []byte(x), []byte(base), "v"); string(got.Data) != x || got.Conflicts != 0 {
			t.Fatalf("merge(base, x, base) = %q, want x = %q", got.Data, x)
		}
		if got := Merge3([]byte(base), []byte(x), []byte(x), "v"); string(got.Data) != x || got.Conflicts != 0 {
			t.Fatalf("merge(base, x, x) = %q, want x = %q", got.Data, x)
		}
		got := Merge3([]byte(base), []byte(x), []byte(y), "v")
		if got.Conflicts == 0 && !got.Binary {
			// Symmetry, up to line endings: merging the other way
			// round has no conflict either.
			back := Merge3([]byte(base), []byte(y), []byte(x), "v")
			if back.Conflicts != 0 {
				t.Fatalf("merge(base, x, y) is clean but merge(base, y, x) has %d conflicts", back.Conflicts)
			}
		}
	})
}

func TestDiffLines(t *testing.T) {
	tests := []struct{ a, b string }{
		{"", ""},
		{"a\n", ""},
		{"", "a\n"},
		{"a\nb\nc\n", "a\nc\n"},
		{"a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n"}, // Myers' paper's example
		{"x\ny\n", "y\nx\n"},
		{"a\nb", "a\nb\n"},
		// Past maxEditDistance: two files with nothing in common but
		// their first and last lines.
		{"first\n" + strings.Repeat("a\n", 1500) + "last\n", "first\n" + strings.Repeat("b\n", 1500) + "last\n"},
	}
	for _, tt := range tests {
		in := interner{}
		a, b := in.split([]byte(tt.a)), in.split([]byte(tt.b))
		hs := diffLines(a, b)
		// Applying the hunks to a must give b, and the kept lines
		// must match.
		var out []byte
		ai := 0
		for _, h := range hs {
			for ; ai < h.A0; ai++ {
				out = append(out, a[ai].text...)
			}
			for _, l := range b[h.B0:h.B1] {
				out = append(out, l.text...)
			}
			ai = h.A1
		}
		for ; ai < len(a); ai++ {
			out = append(out, a[ai].text...)
		}
		if string(out) != tt.b {
			t.Errorf("diff %.40q → %.40q: hunks %v rebuild %.40q", tt.a, tt.b, hs, out)
		}
	}
	// Shortest: Myers' example needs 5 edits.
	in := interner{}
	hs := diffLines(in.split([]byte("a\nb\nc\na\nb\nb\na\n")), in.split([]byte("c\nb\na\nb\na\nc\n")))
	edits := 0
	for _, h := range hs {
		edits += h.A1 - h.A0 + h.B1 - h.B0
	}
	if edits != 5 {
		t.Errorf("Myers' example: %d edits (%v), want 5", edits, hs)
	}
}

func TestUnifiedDiff(t *testing.T) {
	old := lines("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12")
	new := lines("1", "2", "3", "four", "5", "6", "7", "8", "9", "10", "11", "12", "13")
	want := "--- a/f.txt\n+++ b/f.txt\n" +
		"@@ -1,7 +1,7 @@\n 1\n 2\n 3\n-4\n+four\n 5\n 6\n 7\n" +
		"@@ -10,3 +10,4 @@\n 10\n 11\n 12\n+13\n"
	if got := UnifiedDiff("f.txt", []byte(old), []byte(new)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := UnifiedDiff("f", nil, []byte("x\n")); got != "--- /dev/null\n+++ b/f\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("create: got %q", got)
	}
	if got := UnifiedDiff("f", []byte("x"), nil); got != "--- a/f\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n\\ No newline at end of file\n" {
		t.Errorf("delete: got %q", got)
	}
	if got := UnifiedDiff("f", []byte("x\n"), []byte("x\n")); got != "" {
		t.Errorf("equal: got %q", got)
	}
}
