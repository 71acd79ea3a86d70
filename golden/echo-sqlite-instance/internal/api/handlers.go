package api

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	"example.com/shop/internal/wixauth"
)

// handlers serves the API's endpoints as echo handlers: each reads the
// request, calls the service and writes its answer, or returns an error
// for errorHandler to answer.
type handlers struct {
	svc *service
}

// identity returns the caller's identity, which the authenticate
// middleware put in the request's context before any handler runs.
func identity(c *echo.Context) wixauth.Identity {
	id, ok := wixauth.FromContext(c.Request().Context())
	if !ok {
		// Routes are registered only behind authenticate.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

// writeJSON sends v as JSON with the headers every API answer carries:
// never cached, never sniffed as another content type.
func writeJSON(c *echo.Context, status int, v any) error {
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.JSON(status, v)
}

func (h *handlers) healthz(c *echo.Context) error {
	body, err := h.svc.health(c.Request().Context())
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, body)
}

func (h *handlers) me(c *echo.Context) error {
	return writeJSON(c, http.StatusOK, newMeBody(identity(c)))
}

func (h *handlers) getSettings(c *echo.Context) error {
	body, tag, err := h.svc.settings(c.Request().Context(), identity(c).InstanceID)
	if err != nil {
		return err
	}
	if tag != "" {
		c.Response().Header().Set("ETag", tag)
	}
	return writeJSON(c, http.StatusOK, body)
}

func (h *handlers) putSettings(c *echo.Context) error {
	id := identity(c)
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	body, tag, err := h.svc.putSettings(c.Request().Context(), id.InstanceID, c.Request().Header.Get("If-Match"), data)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", tag)
	return writeJSON(c, http.StatusOK, body)
}

func (h *handlers) site(c *echo.Context) error {
	inst, err := h.svc.site(c.Request().Context(), identity(c).InstanceID)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, inst)
}
