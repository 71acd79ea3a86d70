package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"example.com/shop/internal/cors"
)

// New returns the API's handler, routed by chi:
//
//	GET  /healthz        200 when the store answers, 503 when it does not
//	GET  /api/me         the caller's verified identity
//	GET  /api/settings   the caller's settings document
//	PUT  /api/settings   replace it (If-Match: "<version>" to avoid lost updates)
//	GET  /api/site       the caller's site, from Wix's Get App Instance API
//	GET  /api/plan       the plan of the caller's site, and where to upgrade it
//	GET  /api/premium    an example for paying sites only (RequirePlan)
//	POST /webhooks       Wix webhooks (a JWT signed by Wix)
//
// Every request goes through request logging, panic recovery, CORS and a
// body size limit, in that order, before chi routes it; the /api routes
// also need an authenticated caller. Every error is JSON {"error": code,
// "message": text}, including 404 and 405; a body over MaxBodyBytes gets
// 413.
func New(d Deps) http.Handler {
	h := &handlers{svc: &service{log: d.Logger, store: d.Store, wix: d.Wix, plans: d.Plans}}

	r := chi.NewRouter()
	r.Use(logRequests(d.Logger))
	r.Use(recoverPanics(d.Logger))
	r.Use(cors.Middleware(d.CORS))
	r.Use(middleware.RequestSize(MaxBodyBytes))
	r.Use(middleware.GetHead) // HEAD is served by the GET route, as net/http does
	r.NotFound(notFoundHandler)
	r.MethodNotAllowed(methodNotAllowedHandler(r))

	r.Get("/healthz", h.healthz)
	r.Route("/api", func(r chi.Router) {
		// The authenticated routes are a group, whose middleware runs only
		// for the routes it matches: unknown /api paths get a 404 and
		// wrong methods a 405 without being asked for credentials, as
		// everywhere else.
		r.Group(func(r chi.Router) {
			r.Use(d.Auth.Middleware)
			r.Get("/me", h.me)
			r.Get("/settings", h.getSettings)
			r.Put("/settings", h.putSettings)
			r.Get("/site", h.site)
			r.Get("/plan", h.plan)
			r.With(h.RequirePlan()).Get("/premium", h.premium)
		})
	})
	r.Method(http.MethodPost, "/webhooks", d.Webhooks)
	return r
}
