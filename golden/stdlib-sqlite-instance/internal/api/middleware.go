package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// recoverPanics turns a panic in a handler into a logged 500, so one bad
// request cannot take the server down.
func recoverPanics(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel value from net/http, compared as it documents
				panic(v)
			}
			log.ErrorContext(r.Context(), "panic serving request",
				"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, http.StatusInternalServerError, codeInternal, "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs one line per request: method, path (never the query,
// which may carry credentials), status and duration.
func logRequests(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if !log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)))
	})
}

// limitBody bounds every request body; reading past the limit fails with
// an *http.MaxBytesError, which handlers answer with 413.
func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// jsonErrors answers requests that match no route with JSON 404 or 405
// (keeping the Allow header) instead of ServeMux's plain-text pages.
func jsonErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			w = &jsonErrorWriter{ResponseWriter: w, r: r}
		}
		mux.ServeHTTP(w, r)
	})
}

// jsonErrorWriter replaces the body of ServeMux's own 404 and 405 pages
// with JSON; any other answer (a redirect to a cleaned path) goes through.
type jsonErrorWriter struct {
	http.ResponseWriter
	r           *http.Request
	wroteHeader bool
	passThrough bool
}

func (j *jsonErrorWriter) WriteHeader(status int) {
	if j.wroteHeader {
		return
	}
	j.wroteHeader = true
	switch status {
	case http.StatusNotFound:
		writeError(j.ResponseWriter, status, codeNotFound, fmt.Sprintf("no route for %s %s", j.r.Method, j.r.URL.Path))
	case http.StatusMethodNotAllowed:
		writeError(j.ResponseWriter, status, codeMethodNotAllowed, fmt.Sprintf("%s does not allow %s", j.r.URL.Path, j.r.Method))
	default:
		j.passThrough = true
		j.ResponseWriter.WriteHeader(status)
	}
}

// Write drops ServeMux's plain-text error body.
func (j *jsonErrorWriter) Write(b []byte) (int, error) {
	if !j.wroteHeader {
		j.WriteHeader(http.StatusOK)
	}
	if j.passThrough {
		return j.ResponseWriter.Write(b)
	}
	return len(b), nil
}

// writeJSON sends v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do then
}

// writeError sends the JSON error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody{Error: code, Message: message})
}
