package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"example.com/shop/internal/cors"
	"example.com/shop/internal/wixauth"
)

// New returns the API's handler, routed by chi:
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
// body size limit, in that order, before chi routes it; an /api route then
// spends its client's budget, authenticates the caller and checks their
// role (a Wix user of the site for the dashboard's routes, anyone on the
// site for a widget's); the dashboard's routes then spend the site's budget.
//
// Every error is JSON {"error": code, "message": text}, including 404 and
// 405; a body over MaxBodyBytes gets 413.
func New(d Deps) http.Handler {
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix, draining: d.Draining, plans: d.Plans}}
	d.CORS.AnyOrigin = widgetPaths

	r := chi.NewRouter()
	r.Use(logRequests(d.Logger))
	r.Use(recoverPanics(d.Logger))
	r.Use(cors.Middleware(d.CORS))
	r.Use(middleware.RequestSize(MaxBodyBytes))
	r.Use(middleware.GetHead) // HEAD is served by the GET route, as net/http does
	r.NotFound(notFoundHandler)
	r.MethodNotAllowed(methodNotAllowedHandler(r))

	r.Get("/healthz", healthz)
	r.Get("/readyz", h.svc.readyz)
	r.Route("/api", func(r chi.Router) {
		// The authenticated routes are a group, whose middleware runs only
		// for the routes it matches: unknown /api paths get a 404 and
		// wrong methods a 405 without being asked for credentials, as
		// everywhere else.
		r.Group(func(r chi.Router) {
			r.Use(d.limitClients, d.Auth.Middleware, wixauth.RequireRole(wixauth.RoleUser), d.limitInstances)
			r.Get("/me", h.me)
			r.Get("/settings", h.getSettings)
			r.Put("/settings", h.putSettings)
			r.Get("/site", h.site)
			r.Get("/plan", h.plan)
			r.With(h.RequirePlan()).Get("/premium", h.premium)
		})
		r.Group(func(r chi.Router) {
			r.Use(d.limitClients, d.Auth.WidgetMiddleware, wixauth.RequireRole(widgetRoles...))
			r.Get("/widget/settings", h.widgetSettings)
		})
	})
	r.Method(http.MethodPost, "/webhooks", d.Webhooks)
	return r
}
