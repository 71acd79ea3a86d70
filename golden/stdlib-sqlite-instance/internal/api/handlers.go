package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"example.com/shop/internal/store"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
)

// handlers serves the API's endpoints.
type handlers struct {
	log   *slog.Logger
	store store.Store
	wix   *wix.Client
}

// healthz answers 200 while the store answers within two seconds, and 503
// otherwise, so a load balancer stops sending traffic to a broken replica.
func (h *handlers) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.log.WarnContext(ctx, "health check: store unreachable", "err", err)
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the store is unreachable")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// identity returns the caller's identity, which the auth middleware put in
// the context before any handler runs.
func identity(r *http.Request) wixauth.Identity {
	id, ok := wixauth.FromContext(r.Context())
	if !ok {
		// Routes are registered only behind wixauth.Middleware.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

func (h *handlers) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, newMeBody(identity(r)))
}

func (h *handlers) getSettings(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	s, err := h.store.Settings(r.Context(), id.InstanceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusOK, emptySettings())
	case err != nil:
		h.internalError(w, r, "read settings", err)
	default:
		w.Header().Set("ETag", etag(s.Version))
		writeJSON(w, http.StatusOK, newSettingsBody(s))
	}
}

func (h *handlers) putSettings(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	ifVersion, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeMessage(maxErr))
			return
		}
		writeError(w, http.StatusBadRequest, codeBadRequest, "could not read the request body")
		return
	}
	doc, err := parseSettings(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	s, err := h.store.PutSettings(r.Context(), id.InstanceID, doc, ifVersion)
	switch {
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusPreconditionFailed, codeConflict,
			"the settings changed since they were read; read them again and retry")
	case err != nil:
		h.internalError(w, r, "write settings", err)
	default:
		h.log.InfoContext(r.Context(), "settings saved", "instance_id", id.InstanceID, "version", s.Version)
		w.Header().Set("ETag", etag(s.Version))
		writeJSON(w, http.StatusOK, newSettingsBody(s))
	}
}

// site returns the caller's app instance and site as Wix describes them.
func (h *handlers) site(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	inst, err := h.wix.GetAppInstance(r.Context(), id.InstanceID)
	if err != nil {
		h.log.WarnContext(r.Context(), "get app instance from Wix", "instance_id", id.InstanceID, "err", err)
		status, message := http.StatusBadGateway, "Wix did not answer"
		if apiErr, ok := errors.AsType[*wix.APIError](err); ok {
			message = "Wix answered: " + apiErr.Message
		}
		writeError(w, status, codeWixError, message)
		return
	}
	writeJSON(w, http.StatusOK, inst)
}

func (h *handlers) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.ErrorContext(r.Context(), what, "err", err)
	writeError(w, http.StatusInternalServerError, codeInternal, "internal error")
}
