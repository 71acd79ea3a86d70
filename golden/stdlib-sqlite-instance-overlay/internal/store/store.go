// Package store keeps what the backend knows about each Wix app instance:
// the installation record (when it was installed, which paid plan it is on)
// and the instance's settings document.
//
// Every method takes the instance ID explicitly and touches only that
// instance's rows, so one site can never read or change another site's data.
// The ID must come from a verified credential, never from plain request
// input: take it from the signed instance or a verified webhook.
//
// Open returns the implementation this project was generated with.
package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	// ErrNotFound is returned when the data asked for does not exist.
	ErrNotFound = errors.New("store: not found")

	// ErrConflict is returned by PutSettings when the stored version is not
	// the version the caller expected (optimistic concurrency).
	ErrConflict = errors.New("store: version conflict")

	// ErrInvalid is returned, wrapped with a description, when an argument
	// is rejected before the store is touched, such as an empty or malformed
	// instance ID or a settings document that is not a JSON object.
	ErrInvalid = errors.New("store: invalid argument")
)

// maxIDLen bounds instance IDs. Wix instance IDs are 36-character UUIDs; the
// bound only keeps garbage out.
const maxIDLen = 256

// Settings is one instance's settings document.
type Settings struct {
	// Doc is a JSON object, returned exactly as it was written. Each call
	// returns its own copy.
	Doc json.RawMessage
	// Version increments on every write and starts at 1.
	Version int64
	// UpdatedAt is when the document was last written (UTC).
	UpdatedAt time.Time
}

// Store keeps each app instance's data apart: every method takes the instance
// ID and no method reads or writes another instance's rows.
//
// Implementations are safe for concurrent use. Instance IDs must be non-empty
// valid UTF-8 without NUL bytes, at most 256 bytes long; anything else is
// rejected with ErrInvalid. A method called with a context that is already
// done returns an error wrapping the context's error.
type Store interface {
	// Instances holds the installation records, kept up to date by the
	// webhooks package; see instances.go.
	Instances

	// Settings returns the settings document of instanceID, or ErrNotFound
	// when it has never been written.
	Settings(ctx context.Context, instanceID string) (Settings, error)

	// PutSettings stores doc, which must be a JSON object, as the settings
	// of instanceID and returns what was stored. With ifVersion 0 the write
	// always succeeds (last write wins); otherwise it succeeds only when the
	// stored version equals ifVersion, and returns ErrConflict when it does
	// not (including when nothing is stored yet).
	PutSettings(ctx context.Context, instanceID string, doc json.RawMessage, ifVersion int64) (Settings, error)

	// Ping reports whether the store is usable.
	Ping(ctx context.Context) error

	// Close releases the store's resources. It is safe to call more than once.
	Close() error
}

// checkID rejects instance IDs that no Wix instance can have.
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%w: empty instance ID", ErrInvalid)
	case len(id) > maxIDLen:
		return fmt.Errorf("%w: instance ID longer than %d bytes", ErrInvalid, maxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("%w: instance ID is not valid UTF-8", ErrInvalid)
	case strings.IndexByte(id, 0) >= 0:
		return fmt.Errorf("%w: instance ID contains a NUL byte", ErrInvalid)
	}
	return nil
}

// checkDoc rejects settings documents that are not a JSON object in UTF-8.
func checkDoc(doc json.RawMessage) error {
	if !json.Valid(doc) {
		return fmt.Errorf("%w: settings document is not valid JSON", ErrInvalid)
	}
	if !utf8.Valid(doc) {
		return fmt.Errorf("%w: settings document is not valid UTF-8", ErrInvalid)
	}
	// json.Valid has checked the syntax, so the first non-space byte starts
	// the top-level value.
	if trimmed := bytes.TrimLeft(doc, " \t\r\n"); trimmed[0] != '{' {
		return fmt.Errorf("%w: settings document is not a JSON object", ErrInvalid)
	}
	return nil
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
