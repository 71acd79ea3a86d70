package api

import (
	"net/http"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"example.com/shop/internal/cors"
	"example.com/shop/internal/wixauth"
)

// New returns the API's handler, an Echo instance:
//
//	GET  /healthz        liveness: 200 while the process serves
//	GET  /readyz         readiness: 503 when the store fails or the server stops
//	GET  /api/me         the caller's verified identity
//	GET  /api/settings   the caller's settings document
//	PUT  /api/settings   replace it (If-Match: "<version>" to avoid lost updates)
//	GET  /api/site       the caller's site, from Wix's Get App Instance API
//	GET  /api/widget/settings  the public member of the settings, for site widgets
//	GET  /api/plan       the plan of the caller's site, and where to upgrade it
//	GET  /api/premium    an example for paying sites only (RequirePlan)
//	POST /webhooks       Wix webhooks (a JWT signed by Wix)
//
// Every request goes through request logging, panic recovery, CORS and a
// body size limit, in that order; an /api route then spends its client's
// budget, authenticates the caller and checks their role (a Wix user of
// the site for the dashboard's routes, anyone on the site for a widget's);
// the dashboard's routes then spend the site's budget.
//
// Handlers return errors; errorHandler answers every one of them, and
// echo's own 404 and 405, as JSON {"error": code, "message": text}; a body
// over MaxBodyBytes gets 413.
func New(d Deps) http.Handler {
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix, draining: d.Draining, plans: d.Plans}}
	d.CORS.AnyOrigin = widgetPaths

	e := echo.NewWithConfig(echo.Config{
		Logger:           d.Logger,
		HTTPErrorHandler: errorHandler(d.Logger),
		// By default a group with middleware also routes every unknown
		// path under its prefix through that middleware, which would ask
		// for credentials before answering 404 or 405; here only matched
		// routes do, as with every other router.
		NoGroupAutoRegister404Routes: true,
		// GET routes answer HEAD too, as net/http does; a wrong method,
		// plain OPTIONS included, gets 405 with the same Allow header as
		// with the other routers.
		Router: echo.NewRouter(echo.RouterConfig{
			AutoHandleHEAD:          true,
			MethodNotAllowedHandler: methodNotAllowedHandler,
			OptionsMethodHandler:    methodNotAllowedHandler,
		}),
	})
	e.Use(logRequests(d.Logger))
	e.Use(middleware.Recover())
	e.Use(echo.WrapMiddleware(cors.Middleware(d.CORS)))
	// The body limit is net/http's, not echo's middleware.BodyLimit, as
	// with every other router: reading past it fails with the
	// *http.MaxBytesError that the handlers and the webhook endpoint
	// answer with 413, and a body that is never read is never judged.
	e.Use(echo.WrapMiddleware(limitBody))

	e.GET("/healthz", echo.WrapHandler(http.HandlerFunc(healthz)))
	e.GET("/readyz", echo.WrapHandler(http.HandlerFunc(h.svc.readyz)))
	api := e.Group("/api", echo.WrapMiddleware(d.limitClients), echo.WrapMiddleware(d.Auth.Middleware),
		echo.WrapMiddleware(wixauth.RequireRole(wixauth.RoleUser)), echo.WrapMiddleware(d.limitInstances))
	api.GET("/me", h.me)
	api.GET("/settings", h.getSettings)
	api.PUT("/settings", h.putSettings)
	api.GET("/site", h.site)
	api.GET("/plan", h.plan)
	api.GET("/premium", h.premium, h.RequirePlan())
	widget := e.Group("/api/widget", echo.WrapMiddleware(d.limitClients), echo.WrapMiddleware(d.Auth.WidgetMiddleware), echo.WrapMiddleware(wixauth.RequireRole(widgetRoles...)))
	widget.GET("/settings", h.widgetSettings)
	e.POST("/webhooks", echo.WrapHandler(d.Webhooks))
	return e
}
