package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// recoverPanics is chi middleware that turns a panic in a handler into a
// logged JSON 500, so one bad request cannot take the server down. It does
// what chi's middleware.Recoverer does, but logs through slog and answers
// with the API's JSON error.
func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
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
}

// logRequests is chi middleware that logs one line per request: method,
// path (never the query, which may carry credentials), status and
// duration. Answers with status 500 and above are logged at Warn; the
// others at Debug, since load balancers and hosting platforms keep access
// logs of their own: set LOG_LEVEL=debug to see every request.
func logRequests(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
			next.ServeHTTP(ww, r)
			status := ww.Status()
			if status == 0 { // nothing written: net/http sends 200
				status = http.StatusOK
			}
			level := slog.LevelDebug
			if status >= http.StatusInternalServerError {
				level = slog.LevelWarn
			}
			if !log.Enabled(r.Context(), level) {
				return
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)))
		})
	}
}

// notFoundHandler answers requests no route matches with a JSON 404.
func notFoundHandler(w http.ResponseWriter, r *http.Request) {
	writeError(w, notFound(r.Method, r.URL.Path))
}

// methodNotAllowedHandler answers requests for a path whose routes take
// other methods with a JSON 405 and an Allow header listing those methods,
// which chi leaves to a custom handler. HEAD is allowed wherever GET is
// (see middleware.GetHead).
func methodNotAllowedHandler(routes chi.Routes) http.HandlerFunc {
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions}
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range methods {
			probe := m
			if m == http.MethodHead {
				probe = http.MethodGet
			}
			if routes.Match(chi.NewRouteContext(), probe, r.URL.Path) {
				allowed = append(allowed, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, methodNotAllowed(r.Method, r.URL.Path))
	}
}
