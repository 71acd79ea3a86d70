package api

import (
	"io"
	"net/http"

	"github.com/labstack/echo/v5"

	"example.com/shop/internal/httpjson"
	"example.com/shop/internal/wixauth"
)

// handlers serves the API's endpoints as echo handlers: each reads the
// request, calls the service and writes its answer, or returns an error
// for errorHandler to answer.
type handlers struct {
	svc *service
}

// identity returns the caller's identity, which the authenticator's
// middleware put in the request's context before any handler runs.
func identity(c *echo.Context) wixauth.Identity {
	id, ok := wixauth.FromContext(c.Request().Context())
	if !ok {
		// Routes are registered only behind the authenticator's middleware.
		panic("api: handler reached without an authenticated identity")
	}
	return id
}

func (h *handlers) me(c *echo.Context) error {
	httpjson.Write(c.Response(), http.StatusOK, newMeBody(identity(c)))
	return nil
}

func (h *handlers) getSettings(c *echo.Context) error {
	body, tag, err := h.svc.settings(c.Request().Context(), identity(c).InstanceID)
	if err != nil {
		return err
	}
	if tag != "" {
		c.Response().Header().Set("ETag", tag)
	}
	httpjson.WriteRaw(c.Response(), http.StatusOK, body.encode())
	return nil
}

func (h *handlers) putSettings(c *echo.Context) error {
	id := identity(c)
	data, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	body, tag, err := h.svc.putSettings(c.Request().Context(), id, c.Request().Header.Get("If-Match"), data)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", tag)
	httpjson.WriteRaw(c.Response(), http.StatusOK, body.encode())
	return nil
}

func (h *handlers) site(c *echo.Context) error {
	inst, err := h.svc.site(c.Request().Context(), identity(c).InstanceID)
	if err != nil {
		return err
	}
	httpjson.Write(c.Response(), http.StatusOK, inst)
	return nil
}

func (h *handlers) widgetSettings(c *echo.Context) error {
	body, err := h.svc.widgetSettings(c.Request().Context(), identity(c).InstanceID)
	if err != nil {
		return err
	}
	httpjson.WriteRaw(c.Response(), http.StatusOK, body)
	return nil
}
