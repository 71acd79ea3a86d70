package api

import (
	"io"
	"net/http"

	"example.com/shop/internal/httpjson"
	"example.com/shop/internal/wixauth"
)

// handlers serves the API's endpoints as net/http handlers: each reads
// the request, calls the service and writes its answer.
type handlers struct {
	svc *service
}

// identity returns the caller's identity, which the authenticator's
// middleware put in the context before any handler runs.
func identity(r *http.Request) wixauth.Identity {
	id, ok := wixauth.FromContext(r.Context())
	if !ok {
		// Routes are registered only behind the authenticator's middleware.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

// writeError answers err as JSON with its status.
func writeError(w http.ResponseWriter, err error) {
	asAPIError(err).write(w)
}

func (h *handlers) me(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, http.StatusOK, newMeBody(identity(r)))
}

func (h *handlers) getSettings(w http.ResponseWriter, r *http.Request) {
	body, tag, err := h.svc.settings(r.Context(), identity(r).InstanceID)
	if err != nil {
		writeError(w, err)
		return
	}
	if tag != "" {
		w.Header().Set("ETag", tag)
	}
	httpjson.WriteRaw(w, http.StatusOK, body.encode())
}

func (h *handlers) putSettings(w http.ResponseWriter, r *http.Request) {
	id := identity(r)
	data, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, bodyError(err))
		return
	}
	body, tag, err := h.svc.putSettings(r.Context(), id, r.Header.Get("If-Match"), data)
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("ETag", tag)
	httpjson.WriteRaw(w, http.StatusOK, body.encode())
}

func (h *handlers) site(w http.ResponseWriter, r *http.Request) {
	inst, err := h.svc.site(r.Context(), identity(r).InstanceID)
	if err != nil {
		writeError(w, err)
		return
	}
	httpjson.Write(w, http.StatusOK, inst)
}
