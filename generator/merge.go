package generator

import (
	"bytes"
	"slices"
)

// Conflict markers. A conflict shows the user's lines first and the new
// render's lines second, as git does for a merge:
//
//	<<<<<<< yours
//	the lines in the project
//	=======
//	the lines the new wixgen renders
//	>>>>>>> wixgen v1.4.0
const (
	markerOurs   = "<<<<<<< yours"
	markerSep    = "======="
	markerTheirs = ">>>>>>> wixgen"
)

// HasConflictMarkers reports whether data still holds a conflict that
// [Merge3] wrote: a line "<<<<<<< yours", then a line "=======", then a
// line starting ">>>>>>> wixgen", whatever the line endings.
func HasConflictMarkers(data []byte) bool {
	want := 0
	for len(data) > 0 {
		var l []byte
		l, data, _ = bytes.Cut(data, []byte("\n"))
		l = bytes.TrimSuffix(l, []byte("\r"))
		switch {
		case want == 0 && string(l) == markerOurs,
			want == 1 && string(l) == markerSep:
			want++
		case want == 2 && bytes.HasPrefix(l, []byte(markerTheirs)):
			return true
		}
	}
	return false
}

// MergeResult is the outcome of a three-way merge.
type MergeResult struct {
	Data      []byte
	Conflicts int // conflict regions left in Data as markers
	// Binary is set when a file holds a NUL byte on some side and both
	// sides changed it: it cannot be merged by lines, so Data is ours
	// unchanged and Conflicts is 1.
	Binary bool
}

// Merge3 merges the change from base to theirs into ours, line by line
// (diff3): a region only one side changed takes that side's lines; a
// region both sides changed identically takes them once; a region both
// changed differently is a conflict, written with markers naming ours
// "yours" and theirs "wixgen <version>". Changes that touch the same or
// adjacent lines conflict, as in git and GNU diff3; changes with an
// unchanged line between them merge.
//
// Line endings: lines compare equal whatever their ending (LF or CRLF),
// lines kept from ours keep their exact bytes, and lines taken from theirs
// get ours' prevailing ending, so a file the user's editor turned into
// CRLF stays CRLF. A missing newline at the end of the file is a change
// like any other.
func Merge3(base, ours, theirs []byte, version string) MergeResult {
	switch {
	case bytes.Equal(ours, theirs), bytes.Equal(base, theirs):
		return MergeResult{Data: ours}
	case bytes.Equal(base, ours):
		return MergeResult{Data: theirs}
	case isBinary(base) || isBinary(ours) || isBinary(theirs):
		return MergeResult{Data: ours, Conflicts: 1, Binary: true}
	}
	in := interner{}
	b, o, t := in.split(base), in.split(ours), in.split(theirs)
	m := merger{eol: prevailingEOL(o), theirsLabel: markerTheirs + " " + version}
	if version == "" {
		m.theirsLabel = markerTheirs
	}

	type sided struct {
		hunk
		theirs bool
	}
	var all []sided
	for _, h := range diffLines(b, o) {
		all = append(all, sided{h, false})
	}
	for _, h := range diffLines(b, t) {
		all = append(all, sided{h, true})
	}
	slices.SortStableFunc(all, func(x, y sided) int { return x.A0 - y.A0 })

	bPos, oPos := 0, 0
	for i := 0; i < len(all); {
		// A region: hunks whose base ranges overlap or touch.
		rs, re := all[i].A0, all[i].A1
		j := i + 1
		for j < len(all) && all[j].A0 <= re {
			re = max(re, all[j].A1)
			j++
		}
		// The stable lines before it are the same on every side.
		m.keep(o[oPos : oPos+rs-bPos])
		oPos += rs - bPos

		// Each side's lines for the region.
		var first, last [2]*hunk
		for k := i; k < j; k++ {
			s := 0
			if all[k].theirs {
				s = 1
			}
			if first[s] == nil {
				first[s] = &all[k].hunk
			}
			last[s] = &all[k].hunk
		}
		// A side without hunks here has the base's lines; start is where
		// they begin on that side (only needed for ours).
		span := func(s int, lines []line, start int) []line {
			if first[s] == nil {
				return lines[start : start+re-rs]
			}
			return lines[first[s].B0-(first[s].A0-rs) : last[s].B1+(re-last[s].A1)]
		}
		ol := span(0, o, oPos)
		switch {
		case first[1] == nil: // only ours changed it
			m.keep(ol)
		case first[0] == nil: // only theirs changed it
			m.take(span(1, t, 0))
		default:
			m.both(ol, span(1, t, 0))
		}
		oPos += len(ol)
		bPos = re
		i = j
	}
	m.keep(o[oPos:])
	return MergeResult{Data: m.out.Bytes(), Conflicts: m.conflicts}
}

// merger writes a merge's output.
type merger struct {
	out         bytes.Buffer
	eol         string // ours' prevailing line ending
	theirsLabel string
	conflicts   int
	open        bool // the last line written had no ending
}

func (m *merger) write(text []byte) {
	if m.open {
		m.out.WriteString(m.eol)
	}
	m.out.Write(text)
	m.open = len(text) > 0 && text[len(text)-1] != '\n'
}

// keep writes lines of ours as they are.
func (m *merger) keep(lines []line) {
	for _, l := range lines {
		m.write(l.text)
	}
}

// take writes lines of theirs with ours' line ending.
func (m *merger) take(lines []line) {
	for _, l := range lines {
		m.write(withEOL(l.text, m.eol))
	}
}

// both writes a region both sides changed: once if they agree, else as a
// conflict, keeping the lines both sides share at its edges outside the
// markers.
func (m *merger) both(ol, tl []line) {
	for len(ol) > 0 && len(tl) > 0 && ol[0].key == tl[0].key {
		m.keep(ol[:1])
		ol, tl = ol[1:], tl[1:]
	}
	var tail []line
	for len(ol) > 0 && len(tl) > 0 && ol[len(ol)-1].key == tl[len(tl)-1].key {
		tail = append([]line{ol[len(ol)-1]}, tail...)
		ol, tl = ol[:len(ol)-1], tl[:len(tl)-1]
	}
	if len(ol) > 0 || len(tl) > 0 {
		m.conflicts++
		m.write([]byte(markerOurs + m.eol))
		m.keep(ol)
		m.write([]byte(markerSep + m.eol))
		m.take(tl)
		m.write([]byte(m.theirsLabel + m.eol))
	}
	m.keep(tail)
}

// prevailingEOL is "\r\n" when most of the lines end so, else "\n".
func prevailingEOL(lines []line) string {
	crlf, lf := 0, 0
	for _, l := range lines {
		switch {
		case bytes.HasSuffix(l.text, []byte("\r\n")):
			crlf++
		case bytes.HasSuffix(l.text, []byte("\n")):
			lf++
		}
	}
	if crlf > lf {
		return "\r\n"
	}
	return "\n"
}

// withEOL gives a line the ending eol; a line without one keeps none.
func withEOL(text []byte, eol string) []byte {
	if !bytes.HasSuffix(text, []byte("\n")) {
		return text
	}
	body := bytes.TrimSuffix(bytes.TrimSuffix(text, []byte("\n")), []byte("\r"))
	return append(body[:len(body):len(body)], eol...)
}
