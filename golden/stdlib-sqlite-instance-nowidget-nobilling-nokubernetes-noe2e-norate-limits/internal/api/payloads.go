package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"example.com/shop/internal/store"
	"example.com/shop/internal/wixauth"
)

// This file holds what the API sends and accepts, independent of the
// router: response bodies, settings validation and the ETag/If-Match
// version format.

// MaxBodyBytes bounds every request body; a larger body is answered with
// 413.
const MaxBodyBytes = 1 << 20

// meBody is the answer of GET /api/me: who is calling.
type meBody struct {
	InstanceID  string `json:"instanceId"`
	UserID      string `json:"userId,omitempty"`
	Permissions string `json:"permissions,omitempty"`
	// Instance is the signed instance's payload, every member as Wix sent it.
	Instance json.RawMessage `json:"instance,omitempty"`
}

func newMeBody(id wixauth.Identity) meBody {
	// The dashboard's routes take signed instances only.
	return meBody{InstanceID: id.InstanceID, UserID: id.UserID, Permissions: id.Permissions, Instance: id.Instance.Payload}
}

// settingsBody is the answer of GET and PUT /api/settings. Version 0 means
// nothing has been saved yet.
type settingsBody struct {
	Doc       json.RawMessage
	Version   int64
	UpdatedAt time.Time
}

func newSettingsBody(s store.Settings) settingsBody {
	return settingsBody{Doc: s.Doc, Version: s.Version, UpdatedAt: s.UpdatedAt}
}

// emptySettings is what GET /api/settings answers before the first save.
func emptySettings() settingsBody { return settingsBody{Doc: json.RawMessage(`{}`)} }

// encode returns {"doc": ..., "version": n, "updatedAt": "..."} with the
// document exactly as stored: encoding/json would compact it, and escape
// every <, > and & into six bytes.
func (b settingsBody) encode() []byte {
	out := append(append([]byte(`{"doc":`), b.Doc...), `,"version":`...)
	out = strconv.AppendInt(out, b.Version, 10)
	if !b.UpdatedAt.IsZero() {
		out = b.UpdatedAt.AppendFormat(append(out, `,"updatedAt":"`...), time.RFC3339Nano)
		out = append(out, '"')
	}
	return append(out, "}\n"...)
}

// errNotObject rejects settings that are not a JSON object.
var errNotObject = errors.New("the settings document must be a JSON object in UTF-8")

// parseSettings checks that body is one JSON object, in valid UTF-8
// (json.Valid does not check strings), and returns it without the
// whitespace around it.
func parseSettings(body []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' || !json.Valid(trimmed) || !utf8.Valid(trimmed) {
		return nil, errNotObject
	}
	return json.RawMessage(trimmed), nil
}

// etag is the ETag of a settings version.
func etag(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// parseIfMatch reads the version an If-Match header asks for: a quoted
// version as sent back from ETag, or a bare number. An absent header is 0:
// last write wins.
func parseIfMatch(h string) (int64, error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, nil
	}
	unquoted := strings.TrimSuffix(strings.TrimPrefix(h, `"`), `"`)
	v, err := strconv.ParseInt(unquoted, 10, 64)
	if err != nil || v < 1 || len(unquoted) != len(h) && len(unquoted) != len(h)-2 {
		return 0, fmt.Errorf(`If-Match %s: want the version from an ETag, such as "3"`, h)
	}
	return v, nil
}
