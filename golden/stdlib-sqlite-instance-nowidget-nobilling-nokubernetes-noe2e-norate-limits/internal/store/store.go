// Package store keeps each Wix app instance's data: its installation record
// (kept by the webhooks package) and its settings document. Every method
// takes the instance ID, which must come from a verified credential or webhook,
// and touches that instance's rows only. The README's "Data" section says
// how the data is kept.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: the stored version is not the one PutSettings expected.
	ErrConflict = errors.New("store: version conflict")
	// ErrInvalid is wrapped for an argument no instance can have (an
	// instance ID that is empty, over 256 bytes or not UTF-8 text without
	// NUL bytes, a document that is not a JSON object, a time outside years
	// 1 to 9999); nothing is written.
	ErrInvalid = errors.New("store: invalid argument")
	// ErrRemoved refuses a write made with a credential issued at or before
	// the instance's latest removal. Nothing is written.
	ErrRemoved = errors.New("store: instance removed")
)

// Config configures Open.
type Config struct {
	// DatabaseURL is the SQLite file: a path ("data/shop.db") or a file:
	// URI without query parameters ("file:///var/lib/shop/shop.db").
	DatabaseURL string
	// Logger receives what the store reports while opening; nil discards it.
	Logger *slog.Logger
}

// Settings is one instance's settings document.
type Settings struct {
	Doc       json.RawMessage // a JSON object, byte for byte as written; a copy
	Version   int64           // 1, then one more on every write
	UpdatedAt time.Time       // UTC, to the microsecond
}

// Store keeps each app instance's data apart: every method takes the instance
// ID and no method reads or writes another instance's rows. It is safe for
// concurrent use; an error after ctx is done wraps ctx's error.
type Store interface {
	// Installs holds the installation records (installs.go).
	Installs

	// Settings returns the settings of instanceID, or ErrNotFound when they
	// have never been written.
	Settings(ctx context.Context, instanceID string) (Settings, error)

	// PutSettings stores doc, a JSON object, as the settings of instanceID
	// and returns what was stored: always with ifVersion 0 (last write
	// wins), else only over version ifVersion, and ErrConflict otherwise.
	// With a removal at or after issuedAt, when the request's credential was
	// issued, it writes nothing and returns ErrRemoved, atomically; a zero
	// issuedAt checks nothing.
	PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64, issuedAt time.Time) (Settings, error)

	// Ping reports whether the store can take writes: it commits a small
	// write, so that a full disk fails it too.
	Ping(ctx context.Context) error

	Close() error // safe to call more than once
}

// checkID rejects instance IDs that no Wix instance can have: Wix makes them
// 36-character UUIDs.
func checkID(id string) error {
	if id == "" || len(id) > 256 {
		return fmt.Errorf("%w: instance ID must be 1 to 256 bytes long", ErrInvalid)
	}
	return checkText("instance ID", id)
}

// checkText rejects text no database column takes: invalid UTF-8 and NUL
// bytes, which PostgreSQL refuses and SQLite would store as given.
func checkText(name, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s is not UTF-8 text without NUL bytes", ErrInvalid, name)
	}
	return nil
}

// checkPut checks PutSettings' arguments.
func checkPut(instanceID string, doc json.RawMessage, ifVersion int64, issuedAt time.Time) error {
	if err := checkID(instanceID); err != nil {
		return err
	}
	// json.Valid does not check UTF-8, and after it the first non-space
	// byte starts the top-level value.
	if !json.Valid(doc) || !utf8.Valid(doc) || bytes.TrimLeft(doc, " \t\r\n")[0] != '{' {
		return fmt.Errorf("%w: settings document is not a JSON object in UTF-8", ErrInvalid)
	}
	if ifVersion < 0 {
		return fmt.Errorf("%w: negative ifVersion %d", ErrInvalid, ifVersion)
	}
	return checkTime("issuedAt", issuedAt)
}

// checkTime rejects times outside years 1 to 9999, which RFC 3339 cannot hold.
func checkTime(name string, t time.Time) error {
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("%w: %s year %d is outside 1 to 9999", ErrInvalid, name, y)
	}
	return nil
}

// storedTime is t as every store keeps it: UTC, to the microsecond (as
// PostgreSQL's timestamptz; Wix's times have milliseconds at most).
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// ctxError wraps err for operation op. When ctx is done, the result also
// wraps the context's error, so callers can tell a cancelled request from a
// failing store with errors.Is(err, context.Canceled).
func ctxError(ctx context.Context, op string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("store: %s: %w: %w", op, ctxErr, err)
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
