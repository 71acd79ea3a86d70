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

// identity returns the caller's identity, which the authenticator's
// middleware put in the request's context before any handler runs.
func identity(c *gin.Context) wixauth.Identity {
	id, ok := wixauth.FromContext(c.Request.Context())
	if !ok {
		// Routes are registered only behind the authenticator's middleware.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

// abortWithError answers err as the API's JSON error with its status and
// stops the handler chain.
func abortWithError(c *gin.Context, err error) {
	asAPIError(err).write(c.Writer)
	c.Abort()
}

func (h *handlers) me(c *gin.Context) {
	httpjson.Write(c.Writer, http.StatusOK, newMeBody(identity(c)))
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
	httpjson.WriteRaw(c.Writer, http.StatusOK, body.encode())
}

func (h *handlers) putSettings(c *gin.Context) {
	id := identity(c)
	data, err := c.GetRawData()
	if err != nil {
		abortWithError(c, bodyError(err))
		return
	}
	body, tag, err := h.svc.putSettings(c.Request.Context(), id, c.GetHeader("If-Match"), data)
	if err != nil {
		abortWithError(c, err)
		return
	}
	c.Header("ETag", tag)
	httpjson.WriteRaw(c.Writer, http.StatusOK, body.encode())
}

func (h *handlers) site(c *gin.Context) {
	inst, err := h.svc.site(c.Request.Context(), identity(c).InstanceID)
	if err != nil {
		abortWithError(c, err)
		return
	}
	httpjson.Write(c.Writer, http.StatusOK, inst)
}

func (h *handlers) widgetSettings(c *gin.Context) {
	body, err := h.svc.widgetSettings(c.Request.Context(), identity(c).InstanceID)
	if err != nil {
		abortWithError(c, err)
		return
	}
	httpjson.WriteRaw(c.Writer, http.StatusOK, body)
}
