package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"example.com/shop/internal/httpjson"
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
		httpjson.Error(w, http.StatusServiceUnavailable, codeUnavailable, "the store is unreachable")
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
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
	httpjson.Write(w, http.StatusOK, newMeBody(identity(r)))
}

func (h *handlers) getSettings(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	s, err := h.store.Settings(r.Context(), id.InstanceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		httpjson.Write(w, http.StatusOK, emptySettings())
	case err != nil:
		h.internalError(w, r, "read settings", err)
	default:
		w.Header().Set("ETag", etag(s.Version))
		httpjson.Write(w, http.StatusOK, newSettingsBody(s))
	}
}

func (h *handlers) putSettings(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	ifVersion, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
			httpjson.Error(w, http.StatusRequestEntityTooLarge, codeTooLarge, tooLargeMessage(maxErr))
			return
		}
		httpjson.Error(w, http.StatusBadRequest, codeBadRequest, "could not read the request body")
		return
	}
	doc, err := parseSettings(body)
	if err != nil {
		httpjson.Error(w, http.StatusBadRequest, codeBadRequest, err.Error())
		return
	}
	s, err := h.store.PutSettings(r.Context(), id.InstanceID, doc, ifVersion)
	switch {
	case errors.Is(err, store.ErrConflict):
		httpjson.Error(w, http.StatusPreconditionFailed, codeConflict,
			"the settings changed since they were read; read them again and retry")
	case err != nil:
		h.internalError(w, r, "write settings", err)
	default:
		h.log.InfoContext(r.Context(), "settings saved", "instance_id", id.InstanceID, "version", s.Version)
		w.Header().Set("ETag", etag(s.Version))
		httpjson.Write(w, http.StatusOK, newSettingsBody(s))
	}
}

// wixTimeout bounds a handler's calls to Wix, retries included, well
// inside the server's write timeout.
const wixTimeout = 15 * time.Second

// site returns the caller's app instance and site as Wix describes them.
func (h *handlers) site(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	ctx, cancel := context.WithTimeout(r.Context(), wixTimeout)
	defer cancel()
	inst, err := h.wix.GetAppInstance(ctx, id.InstanceID)
	if err != nil {
		h.wixError(w, r, "get app instance", err)
		return
	}
	httpjson.Write(w, http.StatusOK, inst)
}

// wixError answers a failed call to Wix without passing on what Wix said,
// which is logged instead.
func (h *handlers) wixError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.WarnContext(r.Context(), what+" from Wix", "err", err)
	switch apiErr, isAPI := errors.AsType[*wix.APIError](err); {
	case errors.Is(err, wix.ErrAPIKeyMode):
		httpjson.Error(w, http.StatusServiceUnavailable, codeUnavailable,
			"this server calls Wix with an API key; per-site calls need OAuth (unset WIX_API_KEY)")
	case errors.Is(err, context.DeadlineExceeded):
		httpjson.Error(w, http.StatusGatewayTimeout, codeWixError, "Wix did not answer in time")
	case isAPI:
		httpjson.Error(w, http.StatusBadGateway, codeWixError, fmt.Sprintf("Wix answered with status %d", apiErr.Status))
	default:
		httpjson.Error(w, http.StatusBadGateway, codeWixError, "Wix could not be reached")
	}
}

func (h *handlers) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.ErrorContext(r.Context(), what, "err", err)
	httpjson.Error(w, http.StatusInternalServerError, codeInternal, "internal error")
}
