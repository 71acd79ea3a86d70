package api

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"example.com/shop/internal/httpjson"
)

// RequirePlan is echo middleware that lets through requests from sites on
// a paid plan, one of plans (package names, as in the Wix app dashboard)
// when any are given, and returns a 402, code plan_required, with the
// upgrade URL for the others. It reads the authenticated identity, so it
// goes after authentication (and the role check); the handler then finds
// the plan with billing.FromContext.
func (h *handlers) RequirePlan(plans ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			ctx, err := h.svc.requirePlan(c.Request().Context(), identity(c), plans)
			if err != nil {
				return err
			}
			c.SetRequest(c.Request().WithContext(ctx))
			return next(c)
		}
	}
}

func (h *handlers) plan(c *echo.Context) error {
	body, err := h.svc.plan(c.Request().Context(), identity(c))
	if err != nil {
		return err
	}
	httpjson.Write(c.Response(), http.StatusOK, body)
	return nil
}

func (h *handlers) premium(c *echo.Context) error {
	httpjson.Write(c.Response(), http.StatusOK, premiumBody(c.Request().Context()))
	return nil
}
