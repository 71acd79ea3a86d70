package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"example.com/shop/internal/store"
	"example.com/shop/internal/store/storetest"
)

// This file is the conformance suite for store.Store. It runs against the
// implementation this project is built with, through storetest.Open.
// The installation records (store.Installs) are tested in installs_test.go.

// sameSettings reports whether two settings hold the same data.
func sameSettings(a, b store.Settings) bool {
	return bytes.Equal(a.Doc, b.Doc) && a.Version == b.Version && a.UpdatedAt.Equal(b.UpdatedAt)
}

func mustPut(t *testing.T, st store.Store, id, doc string, ifVersion int64) store.Settings {
	t.Helper()
	s, err := st.PutSettings(t.Context(), id, json.RawMessage(doc), ifVersion, time.Time{})
	if err != nil {
		t.Fatalf("PutSettings(%q, %s, %d): %v", id, doc, ifVersion, err)
	}
	return s
}

func mustSettings(t *testing.T, st store.Store, id string) store.Settings {
	t.Helper()
	s, err := st.Settings(t.Context(), id)
	if err != nil {
		t.Fatalf("Settings(%q): %v", id, err)
	}
	return s
}

func TestSettingsNotFound(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	if _, err := st.Settings(t.Context(), "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Settings before any write: err = %v, want ErrNotFound", err)
	}
	mustPut(t, st, "b", `{"b":true}`, 0)
	if _, err := st.Settings(t.Context(), "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Settings after another instance wrote: err = %v, want ErrNotFound", err)
	}
}

func TestPutSettingsVersions(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	before := time.Now()
	var last store.Settings
	for want := int64(1); want <= 3; want++ {
		doc := fmt.Sprintf(`{"n":%d}`, want)
		put := mustPut(t, st, "inst", doc, 0)
		if put.Version != want {
			t.Errorf("write %d: version = %d", want, put.Version)
		}
		if string(put.Doc) != doc {
			t.Errorf("write %d: returned doc = %s, want %s", want, put.Doc, doc)
		}
		if put.UpdatedAt.Before(before.Add(-time.Second)) || put.UpdatedAt.Location() != time.UTC {
			t.Errorf("write %d: UpdatedAt = %v, want a current UTC time", want, put.UpdatedAt)
		}
		if put.UpdatedAt.Before(last.UpdatedAt) {
			t.Errorf("write %d: UpdatedAt %v is before the previous %v", want, put.UpdatedAt, last.UpdatedAt)
		}
		if got := mustSettings(t, st, "inst"); !sameSettings(got, put) {
			t.Errorf("write %d: Settings = %+v, PutSettings returned %+v", want, got, put)
		}
		last = put
	}
}

func TestPutSettingsIfVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		writes      int // unconditional writes before the conditional one
		ifVersion   int64
		wantErr     error
		wantVersion int64 // stored version afterwards; 0 means nothing stored
	}{
		{name: "nothing stored", writes: 0, ifVersion: 1, wantErr: store.ErrConflict, wantVersion: 0},
		{name: "stale version", writes: 2, ifVersion: 1, wantErr: store.ErrConflict, wantVersion: 2},
		{name: "future version", writes: 2, ifVersion: 3, wantErr: store.ErrConflict, wantVersion: 2},
		{name: "matching version", writes: 2, ifVersion: 2, wantVersion: 3},
		{name: "first write matching 1", writes: 1, ifVersion: 1, wantVersion: 2},
		{name: "zero is unconditional", writes: 2, ifVersion: 0, wantVersion: 3},
		{name: "zero creates", writes: 0, ifVersion: 0, wantVersion: 1},
		{name: "negative", writes: 1, ifVersion: -1, wantErr: store.ErrInvalid, wantVersion: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			const before, after = `{"state":"before"}`, `{"state":"after"}`
			for range tt.writes {
				mustPut(t, st, "inst", before, 0)
			}
			put, err := st.PutSettings(t.Context(), "inst", json.RawMessage(after), tt.ifVersion, time.Time{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutSettings: err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && put.Version != tt.wantVersion {
				t.Errorf("PutSettings returned version %d, want %d", put.Version, tt.wantVersion)
			}

			got, err := st.Settings(t.Context(), "inst")
			if tt.wantVersion == 0 {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("Settings: err = %v, want ErrNotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Settings: %v", err)
			}
			wantDoc := after
			if tt.wantErr != nil {
				wantDoc = before
			}
			if got.Version != tt.wantVersion || string(got.Doc) != wantDoc {
				t.Errorf("stored version %d doc %s, want version %d doc %s", got.Version, got.Doc, tt.wantVersion, wantDoc)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	tooLong := strings.Repeat("a", 257)
	badDocs := []string{
		"",
		"   ",
		"not json",
		`{"a":`,
		`{} {}`,
		`[1,2]`,
		`"a string"`,
		`null`,
		`42`,
		"{\"a\":\"\xff\xfe\"}",     // valid JSON syntax, invalid UTF-8
		"{\"a\":\"\xed\xa0\x80\"}", // a UTF-16 surrogate encoded as UTF-8
		"{\"a\":\"\xc0\xbc\"}",     // an overlong "<"
	}

	type validationCase struct {
		name string
		call func(ctx context.Context) error
	}
	tests := []validationCase{
		{"Settings empty ID", func(ctx context.Context) error {
			_, err := st.Settings(ctx, "")
			return err
		}},
		{"PutSettings empty ID", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, "", json.RawMessage(`{}`), 0, time.Time{})
			return err
		}},
		{"PutSettings ID too long", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, tooLong, json.RawMessage(`{}`), 0, time.Time{})
			return err
		}},
		{"PutSettings ID with NUL", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, "inst\x00", json.RawMessage(`{}`), 0, time.Time{})
			return err
		}},
		{"PutSettings ID not UTF-8", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, "inst\xff", json.RawMessage(`{}`), 0, time.Time{})
			return err
		}},
		{"PutSettings nil doc", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, "inst", nil, 0, time.Time{})
			return err
		}},
		{"PutSettings issuedAt year 10000", func(ctx context.Context) error {
			_, err := st.PutSettings(ctx, "inst", json.RawMessage(`{}`), 0, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
			return err
		}},
	}
	for _, doc := range badDocs {
		tests = append(tests, validationCase{
			name: fmt.Sprintf("PutSettings doc %q", doc),
			call: func(ctx context.Context) error {
				_, err := st.PutSettings(ctx, "inst", json.RawMessage(doc), 0, time.Time{})
				return err
			},
		})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(t.Context()); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}

	// Nothing was written by the rejected calls.
	if _, err := st.Settings(t.Context(), "inst"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Settings after rejected writes: err = %v, want ErrNotFound", err)
	}
}

// craftedID is an instance ID built to reach other instances' rows.
type craftedID struct {
	id          string
	wantInvalid bool // the store must reject it with ErrInvalid
}

// craftedIDs are tried against instance "b": quoting and comment tricks,
// LIKE and glob wildcards, case and whitespace variants, bytes no ID may
// hold, and lengths around the limit.
var craftedIDs = []craftedID{
	{id: "", wantInvalid: true},
	{id: "a' OR '1'='1"},
	{id: "b' --"},
	{id: "'; DROP TABLE settings; --"},
	{id: "%"},
	{id: "_"},
	{id: "b%"},
	{id: "*"},
	{id: "B"},
	{id: "b "},
	{id: " b"},
	{id: "b\n"},
	{id: "b\x00", wantInvalid: true},
	{id: "b\xff", wantInvalid: true},
	{id: "bé"},
	{id: "日本語-🎉"},
	{id: strings.Repeat("b", 256)},
	{id: strings.Repeat("b", 257), wantInvalid: true},
	{id: strings.Repeat("b", 1<<16), wantInvalid: true},
}

// name is a subtest name for the ID, which may be long or unprintable.
func (c craftedID) name() string {
	return fmt.Sprintf("%.24q/len=%d", c.id, len(c.id))
}

// check accepts err when the ID is valid, and only ErrInvalid otherwise.
func (c craftedID) check(t *testing.T, op string, err error) {
	t.Helper()
	if c.wantInvalid {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", op, err)
		}
	} else if err != nil {
		t.Errorf("%s: %v", op, err)
	}
}

// TestIsolation checks that no instance ID, however crafted, reaches another
// instance's settings: each crafted ID is either rejected with ErrInvalid or
// behaves as a separate instance, and instance "b" is never touched.
func TestIsolation(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()

	mustPut(t, st, "b", `{"owner":"b"}`, 0)
	mustPut(t, st, "b", `{"owner":"b","v":2}`, 0)
	bSettings := mustSettings(t, st, "b")

	for _, tt := range craftedIDs {
		t.Run(tt.name(), func(t *testing.T) {
			id := tt.id
			doc := `{"owner":"attacker"}`

			_, err := st.PutSettings(ctx, id, json.RawMessage(doc), 0, time.Time{})
			tt.check(t, "PutSettings", err)
			// b is at version 2 and this instance at 1: b's version must not
			// satisfy the check.
			_, err = st.PutSettings(ctx, id, json.RawMessage(`{"owner":"b"}`), bSettings.Version, time.Time{})
			if tt.wantInvalid {
				tt.check(t, "PutSettings with b's version", err)
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("PutSettings with b's version: err = %v, want ErrConflict", err)
			}

			s, err := st.Settings(ctx, id)
			tt.check(t, "Settings", err)
			if err == nil && string(s.Doc) != doc {
				t.Errorf("Settings(%q).Doc = %s, want %s", id, s.Doc, doc)
			}

			if got := mustSettings(t, st, "b"); !sameSettings(got, bSettings) {
				t.Errorf("b's settings changed: got %+v, want %+v", got, bSettings)
			}
		})
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	var big strings.Builder
	big.WriteString(`{"data":"`)
	for big.Len() < 1<<20 {
		big.WriteString(`Grüße, 世界! \"quoted\" \u00e9 🎉 `)
	}
	big.WriteString(`","end":true}`)

	tests := []struct {
		name string
		doc  string
	}{
		{"empty object", `{}`},
		{"whitespace kept", " \n\t{ \"a\" : [ 1 , 2 ] ,\n  \"b\" : { } }\n"},
		{"key order and duplicates kept", `{"z":1,"a":2,"z":3}`},
		{"unicode", `{"de":"Grüße","ja":"日本語","emoji":"🎉👩‍💻","rtl":"שלום"}`},
		{"escapes kept", `{"s":"\u00e9\n\"q\"\\\/","nul":"\u0000","astral":"\ud83c\udf89"}`},
		{"numbers kept", `{"big":123456789012345678901234567890,"f":1.50,"e":1E+300,"neg":-0}`},
		{"HTML characters kept", `{"html":"<script>a && b</script>","amp":"&amp;","ls":"\u2028"}`},
		{"1 MiB", big.String()},
		{"1 MiB of <", `{"lt":"` + strings.Repeat("<", 1<<20) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := storetest.Open(t)
			put := mustPut(t, st, "inst", tt.doc, 0)
			if !bytes.Equal(put.Doc, []byte(tt.doc)) {
				t.Errorf("PutSettings returned a different document (%d bytes, want %d)", len(put.Doc), len(tt.doc))
			}
			got := mustSettings(t, st, "inst")
			if !bytes.Equal(got.Doc, []byte(tt.doc)) {
				t.Errorf("Settings returned a different document (%d bytes, want %d)", len(got.Doc), len(tt.doc))
			}
		})
	}
}

// TestConcurrentWriters checks that concurrent writers to one instance lose
// no update: every successful write gets its own version, and
// read-modify-write with ifVersion never overwrites a write it has not seen.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const (
		id      = "inst"
		writers = 20
	)

	// Unconditional writes: each one bumps the version exactly once.
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if _, err := st.PutSettings(ctx, id, json.RawMessage(fmt.Sprintf(`{"writer":%d}`, i)), 0, time.Time{}); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := mustSettings(t, st, id); got.Version != writers {
		t.Fatalf("after %d unconditional writes: version = %d", writers, got.Version)
	}

	// Read-modify-write of a counter, retrying on conflict.
	mustPut(t, st, id, `{"count":0}`, 0)
	var successes, conflicts atomic.Int64
	for i := range writers {
		wg.Go(func() {
			for range 10 * writers {
				cur, err := st.Settings(ctx, id)
				if err != nil {
					t.Errorf("writer %d: Settings: %v", i, err)
					return
				}
				var doc struct {
					Count int `json:"count"`
				}
				if err := json.Unmarshal(cur.Doc, &doc); err != nil {
					t.Errorf("writer %d: %v", i, err)
					return
				}
				doc.Count++
				next, err := json.Marshal(doc)
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
					return
				}
				_, err = st.PutSettings(ctx, id, next, cur.Version, time.Time{})
				if errors.Is(err, store.ErrConflict) {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("writer %d: PutSettings: %v", i, err)
					return
				}
				successes.Add(1)
				return
			}
			t.Errorf("writer %d: no successful write after %d attempts", i, 10*writers)
		})
	}
	wg.Wait()

	got := mustSettings(t, st, id)
	wantVersion := int64(writers) + 1 + successes.Load()
	if got.Version != wantVersion {
		t.Errorf("version = %d, want %d (total successful writes)", got.Version, wantVersion)
	}
	if want := fmt.Sprintf(`{"count":%d}`, writers); string(got.Doc) != want {
		t.Errorf("doc = %s, want %s (lost update)", got.Doc, want)
	}
	t.Logf("read-modify-write: %d successes, %d conflicts retried", successes.Load(), conflicts.Load())
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	mustPut(t, st, "inst", `{"a":1}`, 0)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name string
		call func() error
	}{
		{"Settings", func() error {
			_, err := st.Settings(ctx, "inst")
			return err
		}},
		{"PutSettings", func() error {
			_, err := st.PutSettings(ctx, "inst", json.RawMessage(`{"a":2}`), 0, time.Time{})
			return err
		}},
		{"PutSettings ifVersion", func() error {
			_, err := st.PutSettings(ctx, "inst", json.RawMessage(`{"a":2}`), 1, time.Time{})
			return err
		}},
		{"Ping", func() error { return st.Ping(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		})
	}

	// None of the cancelled writes happened.
	if got := mustSettings(t, st, "inst"); got.Version != 1 || string(got.Doc) != `{"a":1}` {
		t.Errorf("settings = version %d doc %s, want version 1 doc {\"a\":1}", got.Version, got.Doc)
	}
}

func TestDocumentsAreCopies(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	ctx := t.Context()
	const original = `{"a":"original"}`

	in := json.RawMessage(original)
	put, err := st.PutSettings(ctx, "inst", in, 0, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	copy(in, `{"a":"mutated!"}`)
	copy(put.Doc, `{"a":"MUTATED!"}`)
	got := mustSettings(t, st, "inst")
	if string(got.Doc) != original {
		t.Fatalf("after mutating the input and returned slices: doc = %s, want %s", got.Doc, original)
	}
	copy(got.Doc, `{"a":"changed!"}`)
	if again := mustSettings(t, st, "inst"); string(again.Doc) != original {
		t.Fatalf("after mutating the read slice: doc = %s, want %s", again.Doc, original)
	}
}

func TestPingAndClose(t *testing.T) {
	t.Parallel()
	st := storetest.Open(t)
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := st.Ping(t.Context()); err == nil {
		t.Error("Ping after Close: err = nil, want an error")
	}
	if _, err := st.Settings(t.Context(), "inst"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Settings after Close: err = %v, want a store error", err)
	}
	// storetest closes the store again at cleanup; Close must allow that.
}

// benchDoc is a settings document of about 1 KiB, a realistic widget
// configuration.
func benchDoc() json.RawMessage {
	var b strings.Builder
	b.WriteString(`{"theme":"dark","layout":"grid","items":[`)
	for i := range 12 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"title":"Item number %d","visible":true,"color":"#33aaff"}`, i, i)
	}
	b.WriteString(`]}`)
	return json.RawMessage(b.String())
}

func BenchmarkSettingsRead(b *testing.B) {
	st := storetest.Open(b)
	ctx := b.Context()
	doc := benchDoc()
	if _, err := st.PutSettings(ctx, "inst", doc, 0, time.Time{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Settings(ctx, "inst"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSettingsWrite(b *testing.B) {
	st := storetest.Open(b)
	ctx := b.Context()
	doc := benchDoc()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.PutSettings(ctx, "inst", doc, 0, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
