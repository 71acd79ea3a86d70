package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"runtime/debug"
	"strings"
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
			writeError(w, errInternal)
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
// which may carry credentials), status and duration; at Warn for a 5xx,
// else at Debug (LOG_LEVEL=debug), as load balancers keep access logs.
func logRequests(next http.Handler, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 { // nothing written: net/http sends 200
			rec.status = http.StatusOK
		}
		level := slog.LevelDebug
		if rec.status >= http.StatusInternalServerError {
			level = slog.LevelWarn
		}
		if !log.Enabled(r.Context(), level) {
			return
		}
		log.LogAttrs(r.Context(), level, "request",
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

// exactPaths answers a JSON 404, as chi, gin and echo do, to a path that
// is not canonical: //healthz or /api/./me, which ServeMux would redirect
// with an HTML 307, or /api/%6De, which it would route as /api/me.
func exactPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p != "" && p != "/" {
			clean := path.Clean(p)
			if strings.HasSuffix(p, "/") {
				clean += "/"
			}
			if clean != p || r.URL.RawPath != "" {
				writeError(w, notFound(r.Method, p))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// routeErrors is the handler for requests no route matches, registered
// as the catch-all pattern "/". It answers JSON 405 with an Allow header
// when the path has routes for other methods, and JSON 404 otherwise.
// Only unmatched requests pay for the extra lookups.
func routeErrors(mux *http.ServeMux) http.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions}
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		probe := *r
		for _, m := range methods {
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "/" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, methodNotAllowed(r.Method, r.URL.Path))
			return
		}
		writeError(w, notFound(r.Method, r.URL.Path))
	}
}
