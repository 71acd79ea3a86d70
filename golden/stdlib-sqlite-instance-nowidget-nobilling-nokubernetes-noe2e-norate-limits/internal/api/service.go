package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"example.com/shop/internal/httpjson"
	"example.com/shop/internal/store"
	"example.com/shop/internal/wix"
	"example.com/shop/internal/wixauth"
)

// This file holds what the endpoints do, independent of the router: the
// handlers in handlers.go only read the request, call one method here and
// write what it returns. A failure is an *apiError, which every router
// answers as {"error": code, "message": text} with its status.

// apiError is an answer other than success: an HTTP status, an error code
// for programs and a message for people.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// StatusCode is the HTTP status of the answer.
func (e *apiError) StatusCode() int { return e.Status }

// write sends e as the JSON error answer. A 401 carries the challenge
// every 401 of this API carries (RFC 9110).
func (e *apiError) write(w http.ResponseWriter) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", wixauth.Challenge)
	}
	httpjson.Error(w, e.Status, e.Code, e.Message)
}

// errInternal is the answer to every failure the client cannot act on; the
// cause is logged, never sent.
var errInternal = &apiError{Status: http.StatusInternalServerError, Code: httpjson.CodeInternal, Message: "internal error"}

// asAPIError returns err as an *apiError: itself when it is one, and
// errInternal otherwise.
func asAPIError(err error) *apiError {
	if e, ok := errors.AsType[*apiError](err); ok {
		return e
	}
	return errInternal
}

// notFound is the answer to a request no route matches.
func notFound(method, path string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: httpjson.CodeNotFound,
		Message: fmt.Sprintf("no route for %s %s", method, path)}
}

// methodNotAllowed is the answer to a request for a path whose routes
// take other methods; the router adds the Allow header.
func methodNotAllowed(method, path string) *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: httpjson.CodeMethodNotAllowed,
		Message: fmt.Sprintf("%s does not allow %s", path, method)}
}

// tooLarge is the answer to a body over the limit.
func tooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Code: httpjson.CodeTooLarge,
		Message: fmt.Sprintf("the request body is larger than %d bytes", limit)}
}

// bodyError is the answer to a request whose body could not be read: 413
// when it is over the limit (an *http.MaxBytesError, or a router's own
// error with status 413), 400 otherwise.
func bodyError(err error) *apiError {
	if maxErr, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge(maxErr.Limit)
	}
	if sc, ok := errors.AsType[interface {
		error
		StatusCode() int
	}](err); ok && sc.StatusCode() == http.StatusRequestEntityTooLarge {
		return tooLarge(MaxBodyBytes)
	}
	return &apiError{Status: http.StatusBadRequest, Code: httpjson.CodeBadRequest, Message: "could not read the request body"}
}

// service does what the endpoints do.
type service struct {
	log      *slog.Logger
	store    store.Store
	wix      *wix.Client
	draining <-chan struct{} // Deps.Draining
}

// healthz answers 200 while the process serves, whatever else fails: a
// failing store makes the server unready, not dead, as a restart would
// not mend it. The probes are net/http handlers for every router.
func healthz(w http.ResponseWriter, _ *http.Request) {
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the server can serve: it is not shutting down,
// and the store takes a write within two seconds.
func (s *service) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	select {
	case <-s.draining:
		httpjson.Error(w, http.StatusServiceUnavailable, httpjson.CodeUnavailable, "the server is shutting down")
	default:
		if err := s.store.Ping(ctx); err != nil {
			s.log.WarnContext(ctx, "not ready: the store cannot take a write", "err", err)
			httpjson.Error(w, http.StatusServiceUnavailable, httpjson.CodeUnavailable, "the store cannot take a write")
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// settings returns an instance's settings and their ETag; before the
// first save, an empty document and no ETag.
func (s *service) settings(ctx context.Context, instanceID string) (settingsBody, string, error) {
	st, err := s.store.Settings(ctx, instanceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return emptySettings(), "", nil
	case err != nil:
		return settingsBody{}, "", s.internal(ctx, "read settings", err)
	}
	return newSettingsBody(st), etag(st.Version), nil
}

// putSettings replaces an instance's settings with body, when ifMatch (the
// If-Match header) names the current version or is empty, and returns the
// saved settings and their ETag.
func (s *service) putSettings(ctx context.Context, id wixauth.Identity, ifMatch string, body []byte) (settingsBody, string, error) {
	ifVersion, err := parseIfMatch(ifMatch)
	if err != nil {
		return settingsBody{}, "", &apiError{Status: http.StatusBadRequest, Code: httpjson.CodeBadRequest, Message: err.Error()}
	}
	doc, err := parseSettings(body)
	if err != nil {
		return settingsBody{}, "", &apiError{Status: http.StatusBadRequest, Code: httpjson.CodeBadRequest, Message: err.Error()}
	}
	// The store refuses, in the same statement as the write, a credential
	// issued before the site removed the app: the authenticator checked
	// that too, but a removal may land between its check and this write.
	st, err := s.store.PutSettings(ctx, id.InstanceID, doc, ifVersion, id.IssuedAt)
	switch {
	case errors.Is(err, store.ErrRemoved):
		return settingsBody{}, "", &apiError{Status: http.StatusUnauthorized, Code: httpjson.CodeInstanceRemoved,
			Message: "the app was removed from this site after this credential was issued"}
	case errors.Is(err, store.ErrConflict):
		return settingsBody{}, "", &apiError{Status: http.StatusPreconditionFailed, Code: httpjson.CodeConflict,
			Message: "the settings changed since they were read; read them again and retry"}
	case errors.Is(err, store.ErrInvalid):
		// The store's rules are the last word on what it keeps: what it
		// refuses is the client's to fix, not our fault.
		return settingsBody{}, "", &apiError{Status: http.StatusBadRequest, Code: httpjson.CodeBadRequest, Message: "the store refused these settings"}
	case err != nil:
		return settingsBody{}, "", s.internal(ctx, "write settings", err)
	}
	s.log.InfoContext(ctx, "settings saved", "instance_id", id.InstanceID, "version", st.Version)
	return newSettingsBody(st), etag(st.Version), nil
}

// wixTimeout bounds a handler's calls to Wix, retries included, well
// inside the server's write timeout.
const wixTimeout = 15 * time.Second

// site returns an instance's app instance and site as Wix describes them.
func (s *service) site(ctx context.Context, instanceID string) (wix.AppInstance, error) {
	ctx, cancel := context.WithTimeout(ctx, wixTimeout)
	defer cancel()
	inst, err := s.wix.GetAppInstance(ctx, instanceID)
	if err != nil {
		return wix.AppInstance{}, s.wixError(ctx, "get app instance", err)
	}
	return inst, nil
}

// wixError is the answer to a failed call to Wix. What Wix said is logged,
// not passed on.
func (s *service) wixError(ctx context.Context, what string, err error) *apiError {
	s.log.WarnContext(ctx, what+" from Wix", "err", err)
	switch apiErr, isAPI := errors.AsType[*wix.APIError](err); {
	case errors.Is(err, wix.ErrAPIKeyMode):
		return &apiError{Status: http.StatusServiceUnavailable, Code: httpjson.CodeUnavailable,
			Message: "this server calls Wix with an API key; per-site calls need OAuth (unset WIX_API_KEY)"}
	case errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusGatewayTimeout, Code: httpjson.CodeWixError, Message: "Wix did not answer in time"}
	case isAPI:
		return &apiError{Status: http.StatusBadGateway, Code: httpjson.CodeWixError, Message: fmt.Sprintf("Wix answered with status %d", apiErr.Status)}
	default:
		return &apiError{Status: http.StatusBadGateway, Code: httpjson.CodeWixError, Message: "Wix could not be reached"}
	}
}

// internal logs a failure the client cannot act on and returns errInternal.
func (s *service) internal(ctx context.Context, what string, err error) *apiError {
	s.log.ErrorContext(ctx, what, "err", err)
	return errInternal
}
