package api

import (
	"context"
	"net/http"
	"time"

	"example.com/shop/internal/httpjson"
)

// The probes are net/http handlers, the same for every router. A failing
// store makes the server unready, never dead: restarting it would not
// mend the store.

// healthz answers 200 while the process serves HTTP, whatever else fails.
func healthz(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the server can serve: it is not draining, and
// the store takes a write within two seconds.
func (s *service) readyz(w http.ResponseWriter, r *http.Request) {
	unready := &apiError{Status: http.StatusServiceUnavailable, Code: httpjson.CodeUnavailable, Message: "the server is shutting down"}
	select {
	case <-s.draining:
		unready.write(w)
		return
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: the store cannot take a write", "err", err)
		unready.Message = "the store cannot take a write"
		unready.write(w)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
}
