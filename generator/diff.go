package generator

import (
	"bytes"
	"fmt"
	"strings"
)

// This file holds the line diff under upgrade's three-way merge and its
// unified diffs: Myers' O(ND) algorithm over lines.

// line is one line of a file: its bytes including the line ending, and
// key, which compares lines regardless of their ending ("\n" or "\r\n"),
// so that a file an editor turned into CRLF still matches its LF base.
// A last line without an ending has its own key: adding or removing the
// final newline is a change.
type line struct {
	text []byte
	key  int
}

// interner gives equal line contents equal keys across the files of one
// merge or diff.
type interner map[string]int

// split cuts data into lines, each with its ending.
func (in interner) split(data []byte) []line {
	var lines []line
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var text []byte
		if i < 0 {
			text, data = data, nil
		} else {
			text, data = data[:i+1], data[i+1:]
		}
		content := string(bytes.TrimSuffix(bytes.TrimSuffix(text, []byte("\n")), []byte("\r")))
		if text[len(text)-1] != '\n' {
			content += "\x00no newline at end of file"
		}
		k, ok := in[content]
		if !ok {
			k = len(in)
			in[content] = k
		}
		lines = append(lines, line{text: text, key: k})
	}
	return lines
}

// hunk is a run of lines that differ between a and b: a[A0:A1] became
// b[B0:B1]. Either side may be empty.
type hunk struct{ A0, A1, B0, B1 int }

// diffLines returns the hunks that turn a into b, in order, with a
// shortest edit script (Myers 1986).
func diffLines(a, b []line) []hunk {
	// Common prefix and suffix cost nothing and shrink the search.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre].key == b[pre].key {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf].key == b[len(b)-1-suf].key {
		suf++
	}
	hs := myers(a[pre:len(a)-suf], b[pre:len(b)-suf])
	for i := range hs {
		hs[i].A0 += pre
		hs[i].A1 += pre
		hs[i].B0 += pre
		hs[i].B1 += pre
	}
	return hs
}

// maxEditDistance bounds the search for a shortest edit script: past it,
// the middle of two files that hardly resemble each other is one hunk.
// The bound keeps memory at O(maxEditDistance²) words.
const maxEditDistance = 2000

func myers(a, b []line) []hunk {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	if n == 0 || m == 0 {
		return []hunk{{0, n, 0, m}}
	}
	maxD := min(n+m, maxEditDistance)
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	// trace[d] is the frontier before step d, for diagonals -d..d.
	var trace [][]int
	dEnd := -1
search:
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x].key == b[y].key {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				dEnd = d
				break search
			}
		}
	}
	if dEnd < 0 {
		return []hunk{{0, n, 0, m}}
	}
	// Walk back through the saved frontiers, collecting matched pairs.
	type pair struct{ x, y int }
	var matches []pair
	x, y := n, m
	for d := dEnd; d > 0; d-- {
		vp := trace[d] // vp[k+d] is diagonal k
		k := x - y
		var prevK int
		if k == -d || (k != d && vp[k-1+d] < vp[k+1+d]) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := vp[prevK+d]
		prevY := prevX - prevK
		for x > prevX && y > prevY { // the snake after this step's edit
			x, y = x-1, y-1
			matches = append(matches, pair{x, y})
		}
		x, y = prevX, prevY
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		matches = append(matches, pair{x, y})
	}
	// matches run backwards; turn the gaps between them into hunks.
	var hs []hunk
	ai, bi := 0, 0
	for i := len(matches) - 1; i >= -1; i-- {
		mx, my := n, m
		if i >= 0 {
			mx, my = matches[i].x, matches[i].y
		}
		if mx > ai || my > bi {
			hs = append(hs, hunk{ai, mx, bi, my})
		}
		ai, bi = mx+1, my+1
	}
	return hs
}

// isBinary reports whether data looks like something other than text: it
// holds a NUL byte. Such files are not merged line by line.
func isBinary(data []byte) bool { return bytes.IndexByte(data, 0) >= 0 }

// UnifiedDiff returns a unified diff (three lines of context) that turns
// old into new, naming them a/name and b/name in its header; "" when they
// are equal. A nil side is shown as /dev/null.
func UnifiedDiff(name string, old, new []byte) string {
	if bytes.Equal(old, new) && (old == nil) == (new == nil) {
		return ""
	}
	from, to := "a/"+name, "b/"+name
	if old == nil {
		from = "/dev/null"
	}
	if new == nil {
		to = "/dev/null"
	}
	var sb strings.Builder
	if isBinary(old) || isBinary(new) {
		fmt.Fprintf(&sb, "Binary files %s and %s differ\n", from, to)
		return sb.String()
	}
	in := interner{}
	a, b := in.split(old), in.split(new)
	hs := diffLines(a, b)
	if len(hs) == 0 {
		// Only line endings differ (LF against CRLF): say so rather
		// than print a diff without changes.
		fmt.Fprintf(&sb, "--- %s\n+++ %s\n(only line endings differ)\n", from, to)
		return sb.String()
	}
	fmt.Fprintf(&sb, "--- %s\n+++ %s\n", from, to)
	const context = 3
	for i := 0; i < len(hs); {
		// Group hunks whose contexts touch.
		j := i
		for j+1 < len(hs) && hs[j+1].A0-hs[j].A1 <= 2*context {
			j++
		}
		a0 := max(hs[i].A0-context, 0)
		b0 := max(hs[i].B0-context, 0)
		a1 := min(hs[j].A1+context, len(a))
		b1 := min(hs[j].B1+context, len(b))
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(a0, a1), hunkRange(b0, b1))
		ai := a0
		for k := i; k <= j; k++ {
			h := hs[k]
			for ; ai < h.A0; ai++ {
				writeDiffLine(&sb, ' ', a[ai].text)
			}
			for _, l := range a[h.A0:h.A1] {
				writeDiffLine(&sb, '-', l.text)
			}
			for _, l := range b[h.B0:h.B1] {
				writeDiffLine(&sb, '+', l.text)
			}
			ai = h.A1
		}
		for ; ai < a1; ai++ {
			writeDiffLine(&sb, ' ', a[ai].text)
		}
		i = j + 1
	}
	return sb.String()
}

func hunkRange(start, end int) string {
	n := end - start
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func writeDiffLine(sb *strings.Builder, op byte, text []byte) {
	sb.WriteByte(op)
	sb.Write(text)
	if len(text) == 0 || text[len(text)-1] != '\n' {
		sb.WriteString("\n\\ No newline at end of file\n")
	}
}
