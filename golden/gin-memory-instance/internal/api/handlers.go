package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"example.com/shop/internal/httpjson"
	"example.com/shop/internal/wixauth"
)

// handlers serves the API's endpoints as gin handlers: each reads the
// request, calls the service and writes its answer.
type handlers struct {
	svc *service
}

// identity returns the caller's identity, which the authenticate
// middleware put in the request's context before any handler runs.
func identity(c *gin.Context) wixauth.Identity {
	id, ok := wixauth.FromContext(c.Request.Context())
	if !ok {
		// Routes are registered only behind authenticate.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

// abortWithError answers err as the API's JSON error with its status and
// stops the handler chain.
func abortWithError(c *gin.Context, err error) {
	e := asAPIError(err)
	writeJSON(c, e.Status, httpjson.ErrorBody{Error: e.Code, Message: e.Message})
	c.Abort()
}

// writeJSON sends v as JSON with the headers every API answer carries:
// never cached, never sniffed as another content type. The Content-Type is
// application/json, which has no charset parameter (RFC 8259), as with
// every other router; c.JSON keeps a Content-Type that is already set.
func writeJSON(c *gin.Context, status int, v any) {
	c.Header("Content-Type", "application/json")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.JSON(status, v)
}

func (h *handlers) healthz(c *gin.Context) {
	body, err := h.svc.health(c.Request.Context())
	if err != nil {
		abortWithError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, body)
}

func (h *handlers) me(c *gin.Context) {
	writeJSON(c, http.StatusOK, newMeBody(identity(c)))
}

func (h *handlers) getSettings(c *gin.Context) {
	body, tag, err := h.svc.settings(c.Request.Context(), identity(c).InstanceID)
	if err != nil {
		abortWithError(c, err)
		return
	}
	if tag != "" {
		c.Header("ETag", tag)
	}
	writeJSON(c, http.StatusOK, body)
}

func (h *handlers) putSettings(c *gin.Context) {
	id := identity(c)
	data, err := c.GetRawData()
	if err != nil {
		abortWithError(c, bodyError(err))
		return
	}
	body, tag, err := h.svc.putSettings(c.Request.Context(), id.InstanceID, c.GetHeader("If-Match"), data)
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.Header("ETag", tag)
	writeJSON(c, http.StatusOK, body)
}

func (h *handlers) site(c *gin.Context) {
	inst, err := h.svc.site(c.Request.Context(), identity(c).InstanceID)
	if err != nil {
		abortWithError(c, err)
		return
	}
	writeJSON(c, http.StatusOK, inst)
}
